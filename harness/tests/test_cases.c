/* cases.c: case_check on one case, cases_load on case files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cases.h"
#include "check.h"

/* A case that passes every check. */
static json_t *valid_case(const char *id)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:{s:[{s:s, s:b}]}, s:[s], s:s, s:b}",
			 "id", id, "description", "first connection gets Connection 1!",
			 "requirement", "The k-th accepted connection gets `Connection k!\\n`.",
			 "why", "Clients parse the reply byte for byte.",
			 "category", "core", "points", 3, "scenario", "tcp_server",
			 "params", "connections", "send", "", "read", 1,
			 "compare", "replies", "hint", "Write exactly \"Connection %d!\\n\".",
			 "hidden", 0);
}

/* case_check on the valid case with key set to v (v NULL: key removed);
   must fail with a message holding every word of want (NULL-terminated). */
static void expect_reject(const char *what, const char *key, json_t *v, const char *const want[])
{
	json_t *c = valid_case("qq.first_connection");
	if (v)
		json_object_set_new(c, key, v);
	else
		json_object_del(c, key);
	char err[512] = "";
	int r = case_check(c, err, sizeof err);
	if (r != -1)
		fprintf(stderr, "  (%s: accepted)\n", what);
	CHECK_INT(r, -1);
	CHECK(err[0] != '\0');
	for (int i = 0; want[i]; i++)
		if (!strstr(err, want[i])) {
			fprintf(stderr, "  (%s: message \"%s\" lacks \"%s\")\n", what, err, want[i]);
			CHECK(strstr(err, want[i]) != NULL);
		} else {
			CHECK(1);
		}
	json_decref(c);
}

#define W(...) ((const char *const[]){ __VA_ARGS__, NULL })

static void test_case_check(void)
{
	char err[512] = "unchanged";
	json_t *c = valid_case("qq.first_connection");
	CHECK(c != NULL);
	CHECK_INT(case_check(c, err, sizeof err), 0);
	json_decref(c);

	/* the same, from text; the optional fields left out; an id with digits and _ */
	c = json_loads("{\"id\": \"echo.sr_2\", \"description\": \"d\", \"requirement\": \"r\","
		       " \"why\": \"w\", \"category\": \"hygiene\", \"points\": 1, \"scenario\": \"bad_args\","
		       " \"compare\": [\"exit\", \"stderr\"]}", 0, NULL);
	CHECK(c != NULL);
	CHECK_INT(case_check(c, err, sizeof err), 0);
	json_decref(c);

	/* every category and every scenario the catalogue names */
	const char *cats[] = { "core", "robustness", "hygiene" };
	for (int i = 0; i < 3; i++) {
		c = valid_case("qq.x");
		json_object_set_new(c, "category", json_string(cats[i]));
		CHECK_INT(case_check(c, err, sizeof err), 0);
		json_decref(c);
	}
	const char *scens[] = { "unix_server", "unix_send", "tcp_server", "tcp_client", "bad_args" };
	for (int i = 0; i < 5; i++) {
		c = valid_case("qq.x");
		json_object_set_new(c, "scenario", json_string(scens[i]));
		CHECK_INT(case_check(c, err, sizeof err), 0);
		json_decref(c);
	}
	/* "program" (set by cases_load) is a known field */
	c = valid_case("qq.x");
	json_object_set_new(c, "program", json_string("tcp_qq_srver"));
	CHECK_INT(case_check(c, err, sizeof err), 0);
	json_decref(c);

	expect_reject("missing id", "id", NULL, W("id"));
	expect_reject("id not a string", "id", json_integer(7), W("id"));
	expect_reject("uppercase id", "id", json_string("QQ.First"), W("QQ.First", "lowercase"));
	expect_reject("uppercase name", "id", json_string("qq.First"), W("qq.First", "lowercase"));
	expect_reject("id without a dot", "id", json_string("qqfirst"), W("qqfirst", "prefix.name"));
	expect_reject("id with a space", "id", json_string("qq.first one"), W("qq.first one"));
	expect_reject("empty id", "id", json_string(""), W("id"));
	expect_reject("empty name", "id", json_string("qq."), W("qq.", "prefix.name"));
	expect_reject("empty middle part", "id", json_string("qq..x"), W("qq..x", "prefix.name"));

	/* a typo: "pionts" for "points" */
	c = valid_case("qq.typo");
	json_object_del(c, "points");
	json_object_set_new(c, "pionts", json_integer(3));
	strcpy(err, "");
	CHECK_INT(case_check(c, err, sizeof err), -1);
	CHECK(strstr(err, "unknown field") != NULL);
	CHECK(strstr(err, "\"pionts\"") != NULL);
	CHECK(strstr(err, "qq.typo") != NULL);
	json_decref(c);

	expect_reject("bad category", "category", json_string("extra"), W("category", "extra"));
	expect_reject("category not a string", "category", json_integer(1), W("category"));
	expect_reject("missing category", "category", NULL, W("category"));
	expect_reject("points 0", "points", json_integer(0), W("points", "positive"));
	expect_reject("points negative", "points", json_integer(-2), W("points", "positive"));
	expect_reject("points a string", "points", json_string("3"), W("points"));
	expect_reject("points a real", "points", json_real(2.5), W("points"));
	expect_reject("missing points", "points", NULL, W("points"));
	expect_reject("unknown scenario", "scenario", json_string("tcp_servr"), W("unknown scenario", "tcp_servr"));
	expect_reject("missing scenario", "scenario", NULL, W("scenario"));
	expect_reject("params an array", "params", json_array(), W("params", "object"));
	expect_reject("params a string", "params", json_string("{}"), W("params"));
	expect_reject("empty compare", "compare", json_array(), W("compare"));
	expect_reject("compare a string", "compare", json_string("replies"), W("compare"));
	expect_reject("missing compare", "compare", NULL, W("compare"));
	expect_reject("compare with a number", "compare", json_pack("[s, i]", "replies", 1), W("compare"));
	expect_reject("hint a number", "hint", json_integer(1), W("hint"));
	expect_reject("hidden a string", "hidden", json_string("no"), W("hidden"));
	expect_reject("missing description", "description", NULL, W("description"));
	expect_reject("missing requirement", "requirement", NULL, W("requirement"));
	expect_reject("missing why", "why", NULL, W("qq.first_connection", "\"why\"", "string"));
	expect_reject("why a number", "why", json_integer(1), W("\"why\"", "string"));
	expect_reject("why an array", "why", json_pack("[s]", "a reason"), W("\"why\"", "string"));
	expect_reject("why null", "why", json_null(), W("\"why\"", "string"));

	/* not an object at all */
	json_t *arr = json_array();
	strcpy(err, "");
	CHECK_INT(case_check(arr, err, sizeof err), -1);
	CHECK(err[0] != '\0');
	json_decref(arr);
}

/* A temporary file in /tmp holding text; its name goes to path. */
static void temp_file(char *path, const char *text)
{
	strcpy(path, "/tmp/test_cases_XXXXXX");
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	if (fd < 0)
		return;
	size_t n = strlen(text);
	CHECK_INT(write(fd, text, n), (long long)n);
	close(fd);
}

/* A case file {"program": program, "cases": [cases...]} as text (caller frees). */
static char *case_file_text(const char *program, json_t *cases)
{
	json_t *doc = json_pack("{s:s, s:o}", "program", program, "cases", cases);
	char *s = json_dumps(doc, JSON_INDENT(2));
	json_decref(doc);
	return s;
}

static int starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static void test_cases_load(void)
{
	char good[64], good2[64], broken[64], dup[64], shape1[64], shape2[64], shape3[64], badcase[64], nowhy[64];
	char err[1024];

	char *text = case_file_text("tcp_qq_srver", json_pack("[o, o]", valid_case("qq.one"), valid_case("qq.two")));
	temp_file(good, text);
	free(text);
	text = case_file_text("tcp_client", json_pack("[o]", valid_case("client.one")));
	temp_file(good2, text);
	free(text);

	/* one good file: both cases, in order, each with its program */
	char *files1[] = { good };
	strcpy(err, "");
	json_t *all = cases_load(files1, 1, err, sizeof err);
	CHECK(json_is_array(all));
	CHECK_INT(json_array_size(all), 2);
	CHECK_STR(json_string_value(json_object_get(json_array_get(all, 0), "id")), "qq.one");
	CHECK_STR(json_string_value(json_object_get(json_array_get(all, 1), "id")), "qq.two");
	CHECK_STR(json_string_value(json_object_get(json_array_get(all, 0), "program")), "tcp_qq_srver");
	CHECK_STR(json_string_value(json_object_get(json_array_get(all, 1), "program")), "tcp_qq_srver");
	CHECK_INT(json_integer_value(json_object_get(json_array_get(all, 0), "points")), 3);
	json_decref(all);

	/* two good files: three cases, each with its own file's program */
	char *files2[] = { good, good2 };
	all = cases_load(files2, 2, err, sizeof err);
	CHECK_INT(json_array_size(all), 3);
	CHECK_STR(json_string_value(json_object_get(json_array_get(all, 2), "id")), "client.one");
	CHECK_STR(json_string_value(json_object_get(json_array_get(all, 2), "program")), "tcp_client");
	json_decref(all);

	/* invalid JSON on line 4 */
	temp_file(broken, "{\n  \"program\": \"tcp_qq_srver\",\n  \"cases\": [\n    oops\n  ]\n}\n");
	char *files3[] = { good, broken };
	strcpy(err, "");
	all = cases_load(files3, 2, err, sizeof err);
	CHECK(all == NULL);
	CHECK(starts_with(err, broken));
	CHECK(strncmp(err + strlen(broken), ": ", 2) == 0);
	CHECK(strstr(err, "line 4") != NULL);
	CHECK(strchr(err, '\n') == NULL);
	json_decref(all);

	/* the same id in two files */
	text = case_file_text("tcp_client", json_pack("[o, o]", valid_case("client.two"), valid_case("qq.two")));
	temp_file(dup, text);
	free(text);
	char *files4[] = { good, dup };
	strcpy(err, "");
	all = cases_load(files4, 2, err, sizeof err);
	CHECK(all == NULL);
	CHECK(starts_with(err, dup));
	CHECK(strstr(err, "qq.two") != NULL);
	CHECK(strstr(err, "used twice") != NULL);
	json_decref(all);
	/* ... and the same file twice */
	char *files5[] = { good, good };
	strcpy(err, "");
	all = cases_load(files5, 2, err, sizeof err);
	CHECK(all == NULL);
	CHECK(strstr(err, "used twice") != NULL);
	json_decref(all);

	/* files that are not {"program": NAME, "cases": [...]} */
	temp_file(shape1, "[1, 2]\n");
	temp_file(shape2, "{\"program\": \"tcp_qq_srver\"}\n");
	temp_file(shape3, "{\"program\": 3, \"cases\": []}\n");
	char *shapes[] = { shape1, shape2, shape3 };
	for (int i = 0; i < 3; i++) {
		char *files6[] = { shapes[i] };
		strcpy(err, "");
		all = cases_load(files6, 1, err, sizeof err);
		CHECK(all == NULL);
		CHECK(starts_with(err, shapes[i]));
		CHECK(strstr(err, "program") != NULL && strstr(err, "cases") != NULL);
		json_decref(all);
	}

	/* a bad case inside a file: the file name, then case_check's message */
	json_t *typo = valid_case("qq.typo");
	json_object_set_new(typo, "pionts", json_integer(3));
	text = case_file_text("tcp_qq_srver", json_pack("[o]", typo));
	temp_file(badcase, text);
	free(text);
	char *files7[] = { badcase };
	strcpy(err, "");
	all = cases_load(files7, 1, err, sizeof err);
	CHECK(all == NULL);
	CHECK(starts_with(err, badcase));
	CHECK(strstr(err, "pionts") != NULL);
	json_decref(all);

	/* a case without "why" inside a file: the file name, the case and the field */
	json_t *bare = valid_case("qq.bare");
	json_object_del(bare, "why");
	text = case_file_text("tcp_qq_srver", json_pack("[o, o]", valid_case("qq.one"), bare));
	temp_file(nowhy, text);
	free(text);
	char *files9[] = { nowhy };
	strcpy(err, "");
	all = cases_load(files9, 1, err, sizeof err);
	CHECK(all == NULL);
	CHECK(starts_with(err, nowhy));
	CHECK(strstr(err, "qq.bare") != NULL);
	CHECK(strstr(err, "\"why\"") != NULL);
	json_decref(all);

	/* a file that does not exist */
	char *files8[] = { "/tmp/test_cases_no_such_file.json" };
	strcpy(err, "");
	all = cases_load(files8, 1, err, sizeof err);
	CHECK(all == NULL);
	CHECK(starts_with(err, "/tmp/test_cases_no_such_file.json"));
	json_decref(all);

	const char *paths[] = { good, good2, broken, dup, shape1, shape2, shape3, badcase, nowhy };
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
		unlink(paths[i]);
}

int main(void)
{
	test_case_check();
	test_cases_load();
	return check_summary();
}
