/* The verdict of one case: expected next to observed. */
#ifndef VERDICT_H
#define VERDICT_H

#include <jansson.h>

#include "scenario.h"

/* Builds the verdict line for case c. expected is the reference's recorded
   observation (NULL: record mode, verdict "recorded"). Takes the facts from
   obs and ctx; returns a new object. */
json_t *verdict_make(json_t *c, json_t *obs, json_t *expected, const struct probe_ctx *ctx,
		     double time_ms);

/* The compared fields of c on which obs differs from expected (new array). */
json_t *verdict_mismatch(json_t *c, json_t *obs, json_t *expected);

#endif
