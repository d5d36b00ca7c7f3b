/* Log lines matched by the client's port. */
#include "logmatch.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 1 when s[i..i+n) is a whole token: no digit right before or after. */
static int whole(const char *s, size_t len, size_t i, size_t n)
{
	return (i == 0 || !isdigit((unsigned char)s[i - 1])) &&
	       (i + n >= len || !isdigit((unsigned char)s[i + n]));
}

static int has_number(const char *s, size_t len, const char *num)
{
	size_t n = strlen(num);
	for (size_t i = 0; i + n <= len; i++)
		if (memcmp(s + i, num, n) == 0 && whole(s, len, i, n))
			return 1;
	return 0;
}

char *match_log_line(const char *out, size_t len, int port, const char *addr)
{
	char num[16];
	snprintf(num, sizeof num, "%d", port);
	size_t nlen = strlen(num), alen = strlen(addr);
	for (size_t start = 0; start < len;) {
		const char *nl = memchr(out + start, '\n', len - start);
		size_t end = nl ? (size_t)(nl - out) + 1 : len;
		const char *line = out + start;
		size_t llen = end - start;
		if (has_number(line, llen, num)) {
			char *r = malloc(llen * 6 + 16), *o = r; /* "{port}" may outgrow a short number */
			if (!r)
				return NULL;
			for (size_t i = 0; i < llen;) {
				if (i + nlen <= llen && memcmp(line + i, num, nlen) == 0 &&
				    whole(line, llen, i, nlen)) {
					o += sprintf(o, "{port}");
					i += nlen;
				} else if (alen && i + alen <= llen && memcmp(line + i, addr, alen) == 0 &&
					   whole(line, llen, i, alen)) {
					o += sprintf(o, "{addr}");
					i += alen;
				} else {
					*o++ = line[i++];
				}
			}
			*o = '\0';
			return r;
		}
		start = end;
	}
	return NULL;
}
