/* bytes.c: capped buffers, hex and escaped text, the JSON form, payload specs. */
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "check.h"

/* The compact, key-sorted dump of j (caller frees). */
static char *dump(json_t *j)
{
	return j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY) : NULL;
}

static void test_append(void)
{
	struct bytes b;
	bytes_init(&b, 8);
	CHECK_INT(b.len, 0);
	CHECK_INT(b.dropped, 0);
	CHECK_INT(b.limit, 8);

	/* under the limit: everything kept */
	bytes_append(&b, "abc", 3);
	CHECK_INT(b.len, 3);
	CHECK_INT(b.dropped, 0);
	CHECK(memcmp(b.data, "abc", 3) == 0);

	/* exactly up to the limit */
	bytes_append(&b, "defgh", 5);
	CHECK_INT(b.len, 8);
	CHECK_INT(b.dropped, 0);
	CHECK(memcmp(b.data, "abcdefgh", 8) == 0);

	/* over the limit: counted, not kept */
	bytes_append(&b, "XYZ", 3);
	CHECK_INT(b.len, 8);
	CHECK_INT(b.dropped, 3);
	CHECK(memcmp(b.data, "abcdefgh", 8) == 0);
	bytes_free(&b);
	CHECK(b.data == NULL);
	CHECK_INT(b.len, 0);

	/* one append straddling the limit: the head kept, the tail counted */
	bytes_init(&b, 5);
	bytes_append(&b, "12", 2);
	bytes_append(&b, "3456789", 7);
	CHECK_INT(b.len, 5);
	CHECK_INT(b.dropped, 4);
	CHECK(memcmp(b.data, "12345", 5) == 0);
	bytes_free(&b);

	/* growth past the first allocation keeps every byte in order */
	bytes_init(&b, 5000);
	unsigned char big[6000];
	for (size_t i = 0; i < sizeof big; i++)
		big[i] = (unsigned char)(i * 7);
	for (size_t off = 0; off < sizeof big; off += 1000)
		bytes_append(&b, big + off, 1000);
	CHECK_INT(b.len, 5000);
	CHECK_INT(b.dropped, 1000);
	CHECK(memcmp(b.data, big, 5000) == 0);
	bytes_free(&b);

	/* a zero limit keeps nothing */
	bytes_init(&b, 0);
	bytes_append(&b, "xy", 2);
	CHECK_INT(b.len, 0);
	CHECK_INT(b.dropped, 2);
	bytes_free(&b);
}

static void test_hex(void)
{
	char *s = hex_string((const unsigned char *)"Me", 2);
	CHECK_STR(s, "4d 65");
	free(s);
	s = hex_string((const unsigned char *)"", 0);
	CHECK_STR(s, "");
	free(s);
	const unsigned char raw[] = { 0x00, 0x0a, 0x7f, 0x80, 0xff };
	s = hex_string(raw, sizeof raw);
	CHECK_STR(s, "00 0a 7f 80 ff");
	free(s);
	s = hex_string(raw + 4, 1);
	CHECK_STR(s, "ff");
	free(s);
}

static void test_escaped(void)
{
	char *s = escaped_string((const unsigned char *)"a\nb", 3);
	CHECK_STR(s, "a\\nb");
	free(s);
	s = escaped_string((const unsigned char *)"\t", 1);
	CHECK_STR(s, "\\t");
	free(s);
	s = escaped_string((const unsigned char *)"a\\b", 3);
	CHECK_STR(s, "a\\\\b");
	free(s);
	const unsigned char nul[] = { 'x', 0x00, 'y' };
	s = escaped_string(nul, sizeof nul);
	CHECK_STR(s, "x\\x00y");
	free(s);
	const unsigned char high[] = { 0x80, 0xff };
	s = escaped_string(high, sizeof high);
	CHECK_STR(s, "\\x80\\xff");
	free(s);
	const unsigned char del[] = { 0x7f, 0x1b };
	s = escaped_string(del, sizeof del);
	CHECK_STR(s, "\\x7f\\x1b");
	free(s);
	const char *printable = "Connection 1! ~{}[]@#%^&*()_+-=:;'<>,.?/|`0129azAZ";
	s = escaped_string((const unsigned char *)printable, strlen(printable));
	CHECK_STR(s, printable);
	free(s);
	s = escaped_string((const unsigned char *)"", 0);
	CHECK_STR(s, "");
	free(s);
	/* every non-printable byte: four characters \xNN, so the worst case fits */
	unsigned char all[256];
	for (int i = 0; i < 256; i++)
		all[i] = (unsigned char)i;
	s = escaped_string(all, sizeof all);
	CHECK(s != NULL && strncmp(s, "\\x00\\x01", 8) == 0);
	CHECK(s != NULL && strlen(s) > 256 && strcmp(s + strlen(s) - 4, "\\xff") == 0);
	free(s);
}

static void test_json(void)
{
	json_t *j = bytes_json((const unsigned char *)"Me\n", 3, 0);
	char *d = dump(j);
	CHECK_STR(d, "{\"hex\":\"4d 65 0a\",\"text\":\"Me\\\\n\"}");
	CHECK_STR(json_string_value(json_object_get(j, "text")), "Me\\n");
	CHECK_STR(json_string_value(json_object_get(j, "hex")), "4d 65 0a");
	CHECK(json_object_get(j, "cut") == NULL);
	CHECK_INT(json_object_size(j), 2);
	free(d);
	json_decref(j);

	j = bytes_json((const unsigned char *)"ab", 2, 17);
	CHECK_STR(json_string_value(json_object_get(j, "text")), "ab");
	CHECK_STR(json_string_value(json_object_get(j, "hex")), "61 62");
	CHECK(json_is_integer(json_object_get(j, "cut")));
	CHECK_INT(json_integer_value(json_object_get(j, "cut")), 17);
	CHECK_INT(json_object_size(j), 3);
	json_decref(j);

	j = bytes_json((const unsigned char *)"", 0, 0);
	d = dump(j);
	CHECK_STR(d, "{\"hex\":\"\",\"text\":\"\"}");
	free(d);
	json_decref(j);
}

static void test_spec(void)
{
	struct bytes b;
	char err[256];

	/* a JSON string: its UTF-8 bytes */
	json_t *spec = json_loads("\"h\\u00e9!\\n\"", JSON_DECODE_ANY, NULL);
	CHECK(spec != NULL);
	strcpy(err, "");
	CHECK_INT(bytes_from_spec(spec, &b, err, sizeof err), 0);
	CHECK_INT(b.len, 5);
	CHECK(b.len == 5 && memcmp(b.data, "h\xc3\xa9!\n", 5) == 0);
	CHECK_INT(b.dropped, 0);
	bytes_free(&b);
	json_decref(spec);

	/* a string holding a NUL keeps it */
	spec = json_stringn("a\0b", 3);
	CHECK_INT(bytes_from_spec(spec, &b, err, sizeof err), 0);
	CHECK(b.len == 3 && memcmp(b.data, "a\0b", 3) == 0);
	bytes_free(&b);
	json_decref(spec);

	/* the empty string: no bytes */
	spec = json_string("");
	CHECK_INT(bytes_from_spec(spec, &b, err, sizeof err), 0);
	CHECK_INT(b.len, 0);
	bytes_free(&b);
	json_decref(spec);

	/* {"hex": ...} */
	spec = json_pack("{s:s}", "hex", "00 ff 0a");
	CHECK_INT(bytes_from_spec(spec, &b, err, sizeof err), 0);
	CHECK_INT(b.len, 3);
	CHECK(b.len == 3 && memcmp(b.data, "\x00\xff\x0a", 3) == 0);
	bytes_free(&b);
	json_decref(spec);

	/* white space anywhere between bytes, upper case digits, no spaces */
	spec = json_pack("{s:s}", "hex", "  00\tFF\n0a  4D65 ");
	CHECK_INT(bytes_from_spec(spec, &b, err, sizeof err), 0);
	CHECK_INT(b.len, 5);
	CHECK(b.len == 5 && memcmp(b.data, "\x00\xff\x0a\x4d\x65", 5) == 0);
	bytes_free(&b);
	json_decref(spec);

	/* an empty hex string: no bytes */
	spec = json_pack("{s:s}", "hex", "");
	CHECK_INT(bytes_from_spec(spec, &b, err, sizeof err), 0);
	CHECK_INT(b.len, 0);
	bytes_free(&b);
	json_decref(spec);

	/* malformed: a non-hex digit */
	spec = json_pack("{s:s}", "hex", "0g");
	strcpy(err, "");
	CHECK_INT(bytes_from_spec(spec, &b, err, sizeof err), -1);
	CHECK(strstr(err, "hex") != NULL);
	CHECK(strstr(err, "0g") != NULL);
	json_decref(spec);

	/* an odd number of digits */
	spec = json_pack("{s:s}", "hex", "abc");
	strcpy(err, "");
	CHECK_INT(bytes_from_spec(spec, &b, err, sizeof err), -1);
	CHECK(strstr(err, "hex") != NULL);
	json_decref(spec);

	/* a byte split by white space is two half bytes */
	spec = json_pack("{s:s}", "hex", "0 a");
	strcpy(err, "");
	CHECK_INT(bytes_from_spec(spec, &b, err, sizeof err), -1);
	CHECK(err[0] != '\0');
	json_decref(spec);

	/* a "0x" prefix is not hex digits */
	spec = json_pack("{s:s}", "hex", "0x41");
	strcpy(err, "");
	CHECK_INT(bytes_from_spec(spec, &b, err, sizeof err), -1);
	CHECK(err[0] != '\0');
	json_decref(spec);

	/* not a string nor {"hex": string} */
	json_t *bad[] = { json_integer(42), json_true(), json_null(), json_pack("[s]", "00"),
			  json_pack("{s:i}", "hex", 0), json_pack("{s:s}", "text", "00") };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		strcpy(err, "");
		CHECK_INT(bytes_from_spec(bad[i], &b, err, sizeof err), -1);
		CHECK(strstr(err, "hex") != NULL && strstr(err, "string") != NULL);
		json_decref(bad[i]);
	}
}

int main(void)
{
	test_append();
	test_hex();
	test_escaped();
	test_json();
	test_spec();
	return check_summary();
}
