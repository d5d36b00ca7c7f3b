/* Byte buffers with a cap, and their JSON form {"text": ..., "hex": ...}. */
#ifndef BYTES_H
#define BYTES_H

#include <stddef.h>
#include <jansson.h>

struct bytes {
	unsigned char *data;
	size_t len;
	size_t alloc;
	size_t limit;   /* bytes beyond this are counted, not kept */
	size_t dropped; /* how many bytes were cut */
};

/* An empty buffer that keeps at most limit bytes. */
void bytes_init(struct bytes *b, size_t limit);

/* Appends n bytes; what does not fit under the limit is counted in dropped. */
void bytes_append(struct bytes *b, const void *p, size_t n);

void bytes_free(struct bytes *b);

/* "4d 65 ..." for n bytes (caller frees). */
char *hex_string(const unsigned char *p, size_t n);

/* Printable text with C escapes (\n, \t, \r, \\, \xNN) (caller frees). */
char *escaped_string(const unsigned char *p, size_t n);

/* {"text": escaped, "hex": hex} for n bytes, plus "cut": N when dropped > 0. */
json_t *bytes_json(const unsigned char *p, size_t n, size_t dropped);

/* Reads a payload spec: a JSON string (its UTF-8 bytes) or {"hex": "00 ff"}.
   Returns 0, or -1 with a message in err. The caller frees with bytes_free. */
int bytes_from_spec(json_t *spec, struct bytes *out, char *err, size_t errlen);

#endif
