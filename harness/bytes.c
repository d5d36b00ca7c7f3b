/* Byte buffers with a cap, hex and escaped text. */
#include "bytes.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void bytes_init(struct bytes *b, size_t limit)
{
	memset(b, 0, sizeof *b);
	b->limit = limit;
}

void bytes_append(struct bytes *b, const void *p, size_t n)
{
	size_t room = b->limit > b->len ? b->limit - b->len : 0;
	size_t take = n < room ? n : room;
	if (take > 0) {
		if (b->len + take > b->alloc) {
			size_t want = b->alloc ? b->alloc : 256;
			while (want < b->len + take)
				want *= 2;
			unsigned char *d = realloc(b->data, want);
			if (!d) {
				b->dropped += n;
				return;
			}
			b->data = d;
			b->alloc = want;
		}
		memcpy(b->data + b->len, p, take);
		b->len += take;
	}
	b->dropped += n - take;
}

void bytes_free(struct bytes *b)
{
	free(b->data);
	memset(b, 0, sizeof *b);
}

char *hex_string(const unsigned char *p, size_t n)
{
	char *s = malloc(n * 3 + 1);
	if (!s)
		return NULL;
	for (size_t i = 0; i < n; i++)
		snprintf(s + i * 3, 4, "%02x ", p[i]);
	s[n ? n * 3 - 1 : 0] = '\0';
	return s;
}

char *escaped_string(const unsigned char *p, size_t n)
{
	char *s = malloc(n * 4 + 1), *o = s;
	if (!s)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = p[i];
		switch (c) {
		case '\n': *o++ = '\\'; *o++ = 'n'; break;
		case '\t': *o++ = '\\'; *o++ = 't'; break;
		case '\r': *o++ = '\\'; *o++ = 'r'; break;
		case '\\': *o++ = '\\'; *o++ = '\\'; break;
		default:
			if (c >= 0x20 && c < 0x7f)
				*o++ = (char)c;
			else
				o += sprintf(o, "\\x%02x", c);
		}
	}
	*o = '\0';
	return s;
}

json_t *bytes_json(const unsigned char *p, size_t n, size_t dropped)
{
	char *text = escaped_string(p, n), *hex = hex_string(p, n);
	json_t *j = json_pack("{s:s, s:s}", "text", text ? text : "", "hex", hex ? hex : "");
	free(text);
	free(hex);
	if (j && dropped)
		json_object_set_new(j, "cut", json_integer((json_int_t)dropped));
	return j;
}

int bytes_from_spec(json_t *spec, struct bytes *out, char *err, size_t errlen)
{
	bytes_init(out, (size_t)1 << 20);
	if (json_is_string(spec)) {
		if (json_string_length(spec) > out->limit) {
			snprintf(err, errlen, "a payload holds at most %zu bytes", out->limit);
			return -1;
		}
		bytes_append(out, json_string_value(spec), json_string_length(spec));
		return 0;
	}
	json_t *hex = json_object_get(spec, "hex");
	if (!json_is_string(hex)) {
		snprintf(err, errlen, "a payload is a string or {\"hex\": \"..\"}");
		return -1;
	}
	const char *s = json_string_value(hex);
	while (*s) {
		if (isspace((unsigned char)*s)) {
			s++;
			continue;
		}
		unsigned v;
		int used;
		if (!isxdigit((unsigned char)s[0]) || !isxdigit((unsigned char)s[1]) ||
		    sscanf(s, "%2x%n", &v, &used) != 1 || used != 2) {
			snprintf(err, errlen, "bad hex payload near \"%.8s\"", s);
			bytes_free(out);
			return -1;
		}
		unsigned char c = (unsigned char)v;
		if (out->len == out->limit) {
			snprintf(err, errlen, "a payload holds at most %zu bytes", out->limit);
			bytes_free(out);
			return -1;
		}
		bytes_append(out, &c, 1);
		s += 2;
	}
	return 0;
}
