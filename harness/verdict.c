/* Verdicts: pass when every compared fact equals the reference's. */
#include "verdict.h"

#include <stdio.h>
#include <string.h>

json_t *verdict_mismatch(json_t *c, json_t *obs, json_t *expected)
{
	json_t *diff = json_array(), *f;
	size_t i;
	json_array_foreach(json_object_get(c, "compare"), i, f) {
		const char *key = json_string_value(f);
		json_t *want = json_object_get(expected, key), *got = json_object_get(obs, key);
		if (!want || !got || !json_equal(want, got))
			json_array_append(diff, f);
	}
	return diff;
}

/* The compared fields of c that obs marks vacuous (mark_vacuous), new
   array; *why gets the first one's reason. */
static json_t *vacuous_fields(json_t *c, json_t *obs, const char **why)
{
	json_t *list = json_array(), *f, *vac = json_object_get(obs, "vacuous");
	size_t i;
	*why = NULL;
	json_array_foreach(json_object_get(c, "compare"), i, f) {
		json_t *r = json_object_get(vac, json_string_value(f));
		if (!r)
			continue;
		json_array_append(list, f);
		if (!*why)
			*why = json_string_value(r);
	}
	return list;
}

/* Only the compared fields: what the report shows side by side. */
static json_t *compared(json_t *c, json_t *o)
{
	json_t *sub = json_object(), *f;
	size_t i;
	json_array_foreach(json_object_get(c, "compare"), i, f) {
		json_t *v = json_object_get(o, json_string_value(f));
		json_object_set(sub, json_string_value(f), v ? v : json_null());
	}
	return sub;
}

json_t *verdict_make(json_t *c, json_t *obs, json_t *expected, const struct probe_ctx *ctx,
		     double time_ms)
{
	json_t *v = json_pack("{s:O, s:O}", "id", json_object_get(c, "id"), "program",
			      json_object_get(c, "program"));
	const char *verdict, *why;
	char reason[700] = "";
	/* A fact whose precondition never happened shows nothing: such a case
	   scores nothing, and the reference must never be in that position. */
	json_t *vacuous = vacuous_fields(c, obs, &why);
	if (ctx->internal) {
		verdict = "error";
		snprintf(reason, sizeof reason, "grader fault: %s", ctx->reason);
	} else if (!expected && why) {
		verdict = "error";
		snprintf(reason, sizeof reason, "grader fault: nothing to record for the reference: %s", why);
	} else if (!expected) {
		verdict = "recorded";
	} else if (!json_is_object(expected)) {
		verdict = "error";
		snprintf(reason, sizeof reason, "grader fault: no reference observation recorded for this case");
	} else {
		json_t *diff = why ? json_incref(vacuous) : verdict_mismatch(c, obs, expected);
		if (why) {
			verdict = ctx->timed_out ? "timeout" : "fail";
			if (ctx->reason[0] && !strstr(why, ctx->reason))
				snprintf(reason, sizeof reason, "nothing to judge: %s; %s", why, ctx->reason);
			else
				snprintf(reason, sizeof reason, "nothing to judge: %s", why);
		} else if (json_array_size(diff) == 0) {
			verdict = "pass";
		} else {
			verdict = ctx->timed_out ? "timeout" : "fail";
			const char *first = json_string_value(json_array_get(diff, 0));
			if (ctx->reason[0])
				snprintf(reason, sizeof reason, "%s differs: %s", first, ctx->reason);
			else
				snprintf(reason, sizeof reason, "%s differs from the reference", first);
		}
		json_object_set_new(v, "mismatch", diff);
		json_object_set_new(v, "expected", compared(c, expected));
	}
	json_object_set_new(v, "verdict", json_string(verdict));
	json_object_set_new(v, "observed", expected ? compared(c, obs) : json_copy(obs));
	json_object_set_new(v, "reason", json_string(reason));
	json_t *hint = json_object_get(c, "hint");
	json_object_set_new(v, "hint", json_string(hint && strcmp(verdict, "pass") ? json_string_value(hint) : ""));
	json_object_set_new(v, "time_ms", json_real((double)(long)(time_ms * 10) / 10));
	json_object_set_new(v, "transcript", transcript_json(ctx->tr));
	json_decref(vacuous);
	return v;
}
