/* verdict.c: which compared fields differ, and the verdict line. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "verdict.h"

static char *dump(json_t *j)
{
	return j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY) : NULL;
}

/* CHECK_STR on the compact sorted dump of j. */
#define CHECK_JSON(j, text)                      \
	do {                                     \
		char *d_ = dump(j);              \
		CHECK_STR(d_, text);             \
		free(d_);                        \
	} while (0)

static json_t *parse(const char *text)
{
	json_t *j = json_loads(text, JSON_DECODE_ANY, NULL);
	CHECK(j != NULL);
	return j;
}

static const char *str(json_t *v, const char *key)
{
	return json_string_value(json_object_get(v, key));
}

/* A case comparing replies then exit; its hint is "try harder". */
static json_t *a_case(void)
{
	return parse("{\"id\": \"qq.first\", \"program\": \"tcp_qq_srver\", \"compare\": [\"replies\", \"exit\"],"
		     " \"hint\": \"try harder\", \"category\": \"core\", \"points\": 2}");
}

static void test_mismatch(void)
{
	json_t *c = a_case();
	json_t *exp = parse("{\"replies\": [\"Connection 1!\\n\"], \"exit\": \"still running\", \"stderr\": \"empty\"}");

	/* all compared fields equal, another differs: no mismatch */
	json_t *obs = parse("{\"replies\": [\"Connection 1!\\n\"], \"exit\": \"still running\", \"stderr\": \"message\","
			    " \"extra\": 1}");
	json_t *d = verdict_mismatch(c, obs, exp);
	CHECK(json_is_array(d));
	CHECK_INT(json_array_size(d), 0);
	json_decref(d);
	json_decref(obs);

	/* one compared field differs */
	obs = parse("{\"replies\": [\"Connection 0!\\n\"], \"exit\": \"still running\", \"stderr\": \"empty\"}");
	d = verdict_mismatch(c, obs, exp);
	CHECK_JSON(d, "[\"replies\"]");
	json_decref(d);
	json_decref(obs);

	/* both differ: in the order of "compare" */
	obs = parse("{\"replies\": [], \"exit\": \"exit 0\"}");
	d = verdict_mismatch(c, obs, exp);
	CHECK_JSON(d, "[\"replies\",\"exit\"]");
	json_decref(d);
	json_decref(obs);

	/* a compared field missing from the observation */
	obs = parse("{\"replies\": [\"Connection 1!\\n\"], \"stderr\": \"empty\"}");
	d = verdict_mismatch(c, obs, exp);
	CHECK_JSON(d, "[\"exit\"]");
	json_decref(d);
	json_decref(obs);

	/* ... or from the expected one */
	json_t *exp2 = parse("{\"replies\": [\"Connection 1!\\n\"]}");
	obs = parse("{\"replies\": [\"Connection 1!\\n\"], \"exit\": \"still running\"}");
	d = verdict_mismatch(c, obs, exp2);
	CHECK_JSON(d, "[\"exit\"]");
	json_decref(d);
	json_decref(obs);
	json_decref(exp2);

	/* equality is exact: a type change differs (1 vs "1", 1 vs 1.0) */
	json_t *c2 = parse("{\"id\": \"x.y\", \"compare\": [\"n\"]}");
	json_t *e2 = parse("{\"n\": 1}"), *o2 = parse("{\"n\": \"1\"}"), *o3 = parse("{\"n\": 1}");
	d = verdict_mismatch(c2, o2, e2);
	CHECK_INT(json_array_size(d), 1);
	json_decref(d);
	d = verdict_mismatch(c2, o3, e2);
	CHECK_INT(json_array_size(d), 0);
	json_decref(d);
	json_decref(c2);
	json_decref(e2);
	json_decref(o2);
	json_decref(o3);

	json_decref(exp);
	json_decref(c);
}

static void ctx_init(struct probe_ctx *ctx, struct transcript *tr)
{
	memset(ctx, 0, sizeof *ctx);
	transcript_init(tr);
	ctx->tr = tr;
	ctx->program = "tcp_qq_srver";
}

static void test_make(void)
{
	struct transcript tr;
	struct probe_ctx ctx;
	json_t *c = a_case();
	json_t *exp = parse("{\"replies\": [\"Connection 1!\\n\"], \"exit\": \"still running\", \"stderr\": \"empty\"}");
	json_t *same = parse("{\"replies\": [\"Connection 1!\\n\"], \"exit\": \"still running\", \"stderr\": \"message\"}");
	json_t *other = parse("{\"replies\": [\"Connection 1!\\n\"], \"exit\": \"exit 0\", \"stderr\": \"empty\"}");

	/* pass */
	ctx_init(&ctx, &tr);
	transcript_note(&tr, "probe", "note", "hello");
	json_t *v = verdict_make(c, same, exp, &ctx, 12.54);
	CHECK_STR(str(v, "verdict"), "pass");
	CHECK_STR(str(v, "id"), "qq.first");
	CHECK_STR(str(v, "program"), "tcp_qq_srver");
	CHECK_STR(str(v, "reason"), "");
	CHECK_STR(str(v, "hint"), "");
	CHECK_JSON(json_object_get(v, "mismatch"), "[]");
	/* only the compared fields, side by side */
	CHECK_JSON(json_object_get(v, "expected"), "{\"exit\":\"still running\",\"replies\":[\"Connection 1!\\n\"]}");
	CHECK_JSON(json_object_get(v, "observed"), "{\"exit\":\"still running\",\"replies\":[\"Connection 1!\\n\"]}");
	CHECK(json_is_real(json_object_get(v, "time_ms")));
	CHECK(json_real_value(json_object_get(v, "time_ms")) == 12.5);
	CHECK_INT(json_array_size(json_object_get(v, "transcript")), 1);
	CHECK_STR(str(json_array_get(json_object_get(v, "transcript"), 0), "text"), "hello");
	json_decref(v);
	transcript_free(&tr);

	/* fail: the reason names the first differing field */
	ctx_init(&ctx, &tr);
	v = verdict_make(c, other, exp, &ctx, 1);
	CHECK_STR(str(v, "verdict"), "fail");
	CHECK_JSON(json_object_get(v, "mismatch"), "[\"exit\"]");
	CHECK_STR(str(v, "reason"), "exit differs from the reference");
	CHECK_STR(str(v, "hint"), "try harder");
	CHECK_JSON(json_object_get(v, "expected"), "{\"exit\":\"still running\",\"replies\":[\"Connection 1!\\n\"]}");
	CHECK_JSON(json_object_get(v, "observed"), "{\"exit\":\"exit 0\",\"replies\":[\"Connection 1!\\n\"]}");
	json_decref(v);
	transcript_free(&tr);

	/* fail with a reason from the scenario: named after the field */
	json_t *both = parse("{\"replies\": [], \"exit\": \"exit 0\"}");
	ctx_init(&ctx, &tr);
	strcpy(ctx.reason, "the server closed the connection early");
	v = verdict_make(c, both, exp, &ctx, 1);
	CHECK_STR(str(v, "verdict"), "fail");
	CHECK_JSON(json_object_get(v, "mismatch"), "[\"replies\",\"exit\"]");
	CHECK_STR(str(v, "reason"), "replies differs: the server closed the connection early");
	json_decref(v);
	transcript_free(&tr);
	json_decref(both);

	/* timeout: a wait ran out and a field differs */
	ctx_init(&ctx, &tr);
	ctx.timed_out = 1;
	strcpy(ctx.reason, "no reply within 2000 ms");
	v = verdict_make(c, other, exp, &ctx, 2001);
	CHECK_STR(str(v, "verdict"), "timeout");
	CHECK_STR(str(v, "reason"), "exit differs: no reply within 2000 ms");
	CHECK_STR(str(v, "hint"), "try harder");
	json_decref(v);
	transcript_free(&tr);

	/* a wait ran out but every compared field is equal: pass */
	ctx_init(&ctx, &tr);
	ctx.timed_out = 1;
	strcpy(ctx.reason, "no reply within 2000 ms");
	v = verdict_make(c, same, exp, &ctx, 2001);
	CHECK_STR(str(v, "verdict"), "pass");
	CHECK_STR(str(v, "reason"), "");
	CHECK_STR(str(v, "hint"), "");
	json_decref(v);
	transcript_free(&tr);

	/* error: the probe's own fault, whatever the fields */
	ctx_init(&ctx, &tr);
	ctx.internal = 1;
	strcpy(ctx.reason, "peer did not start");
	v = verdict_make(c, same, exp, &ctx, 3);
	CHECK_STR(str(v, "verdict"), "error");
	CHECK(strstr(str(v, "reason"), "peer did not start") != NULL);
	CHECK_STR(str(v, "hint"), "try harder");
	json_decref(v);
	transcript_free(&tr);

	/* error: no recorded observation for this case */
	json_t *null = json_null();
	ctx_init(&ctx, &tr);
	v = verdict_make(c, same, null, &ctx, 3);
	CHECK_STR(str(v, "verdict"), "error");
	CHECK(strstr(str(v, "reason"), "no reference observation") != NULL);
	json_decref(v);
	transcript_free(&tr);

	/* recorded: no expectation; the whole observation comes back */
	ctx_init(&ctx, &tr);
	v = verdict_make(c, other, NULL, &ctx, 3);
	CHECK_STR(str(v, "verdict"), "recorded");
	CHECK_JSON(json_object_get(v, "observed"),
		   "{\"exit\":\"exit 0\",\"replies\":[\"Connection 1!\\n\"],\"stderr\":\"empty\"}");
	CHECK(json_object_get(v, "expected") == NULL);
	CHECK(json_object_get(v, "mismatch") == NULL);
	CHECK_STR(str(v, "reason"), "");
	CHECK_STR(str(v, "hint"), "try harder");
	/* a copy: changing the observation later does not change the verdict */
	json_object_set_new(other, "exit", json_string("changed"));
	CHECK_STR(str(json_object_get(v, "observed"), "exit"), "exit 0");
	json_decref(v);
	transcript_free(&tr);

	/* a compared field missing from the observation shows as null */
	json_t *partial = parse("{\"replies\": [\"Connection 1!\\n\"]}");
	ctx_init(&ctx, &tr);
	v = verdict_make(c, partial, exp, &ctx, 3);
	CHECK_STR(str(v, "verdict"), "fail");
	CHECK_JSON(json_object_get(v, "observed"), "{\"exit\":null,\"replies\":[\"Connection 1!\\n\"]}");
	CHECK_STR(str(v, "reason"), "exit differs from the reference");
	json_decref(v);
	transcript_free(&tr);
	json_decref(partial);

	/* a case without a hint: empty hint on failure too */
	json_t *nohint = parse("{\"id\": \"qq.nohint\", \"program\": \"tcp_qq_srver\", \"compare\": [\"exit\"]}");
	ctx_init(&ctx, &tr);
	v = verdict_make(nohint, other, exp, &ctx, 3);
	CHECK_STR(str(v, "verdict"), "fail");
	CHECK_STR(str(v, "hint"), "");
	json_decref(v);
	transcript_free(&tr);
	json_decref(nohint);

	json_decref(same);
	json_decref(other);
	json_decref(exp);
	json_decref(c);
}

/* A compared fact marked vacuous fails the case whatever its value; the
   reference in that position is the grader's fault. */
static void test_vacuous(void)
{
	struct transcript tr;
	struct probe_ctx ctx;
	json_t *c = parse("{\"id\": \"us.gone\", \"program\": \"unix_d_server\", \"compare\": [\"socket_file\"],"
			  " \"hint\": \"unlink it\"}");
	json_t *exp = parse("{\"socket_file\": \"removed\"}");
	json_t *obs = parse("{\"socket_file\": \"removed\", \"vacuous\": {\"socket_file\": \"nothing was bound\","
			    " \"stdout\": \"nothing was bound\"}}");

	/* equal, and vacuous: fail, with the precondition as the reason */
	ctx_init(&ctx, &tr);
	strcpy(ctx.reason, "it ended (exit 1) without binding");
	json_t *v = verdict_make(c, obs, exp, &ctx, 1);
	CHECK_STR(str(v, "verdict"), "fail");
	CHECK_JSON(json_object_get(v, "mismatch"), "[\"socket_file\"]");
	CHECK_STR(str(v, "reason"), "nothing to judge: nothing was bound; it ended (exit 1) without binding");
	CHECK_STR(str(v, "hint"), "unlink it");
	json_decref(v);
	transcript_free(&tr);

	/* a wait ran out on the way: timeout; without a reason of the scenario's, only the precondition */
	ctx_init(&ctx, &tr);
	ctx.timed_out = 1;
	v = verdict_make(c, obs, exp, &ctx, 1);
	CHECK_STR(str(v, "verdict"), "timeout");
	CHECK_STR(str(v, "reason"), "nothing to judge: nothing was bound");
	json_decref(v);
	transcript_free(&tr);

	/* recording the reference: an error, never an expectation */
	ctx_init(&ctx, &tr);
	v = verdict_make(c, obs, NULL, &ctx, 1);
	CHECK_STR(str(v, "verdict"), "error");
	CHECK(strstr(str(v, "reason"), "nothing was bound") != NULL);
	json_decref(v);
	transcript_free(&tr);

	/* only compared fields count: a vacuous field the case ignores does not */
	json_t *c2 = parse("{\"id\": \"us.ready\", \"program\": \"unix_d_server\", \"compare\": [\"ready\"]}");
	json_t *obs2 = parse("{\"ready\": \"bound\", \"vacuous\": {\"stdout\": \"no datagram\"}}");
	json_t *exp2 = parse("{\"ready\": \"bound\"}");
	ctx_init(&ctx, &tr);
	v = verdict_make(c2, obs2, exp2, &ctx, 1);
	CHECK_STR(str(v, "verdict"), "pass");
	json_decref(v);
	transcript_free(&tr);

	json_decref(c2);
	json_decref(obs2);
	json_decref(exp2);
	json_decref(obs);
	json_decref(exp);
	json_decref(c);
}

int main(void)
{
	test_mismatch();
	test_vacuous();
	test_make();
	return check_summary();
}
