/* Transcript of a case, capped so a flooding program cannot blow it up. */
#include "transcript.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "bytes.h"
#include "deadline.h"

void transcript_init(struct transcript *t)
{
	t->events = json_array();
	t->t0_ms = now_ms();
	t->omitted = 0;
}

static json_t *event(struct transcript *t, const char *who, const char *what)
{
	if (json_array_size(t->events) >= TRANSCRIPT_MAX_EVENTS) {
		t->omitted++;
		return NULL;
	}
	double ms = (double)(long)((now_ms() - t->t0_ms) * 10) / 10;
	json_t *e = json_pack("{s:f, s:s, s:s}", "t_ms", ms, "who", who, "what", what);
	json_array_append_new(t->events, e);
	return e;
}

void transcript_bytes(struct transcript *t, const char *who, const char *what,
		      const void *p, size_t n)
{
	json_t *e = event(t, who, what);
	if (!e || !p)
		return;
	size_t shown = n < TRANSCRIPT_MAX_BYTES ? n : TRANSCRIPT_MAX_BYTES;
	json_t *b = bytes_json(p, shown, n - shown);
	json_object_update(e, b);
	json_decref(b);
}

void transcript_note(struct transcript *t, const char *who, const char *what,
		     const char *fmt, ...)
{
	json_t *e = event(t, who, what);
	if (!e)
		return;
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	json_object_set_new(e, "text", json_string(buf));
}

json_t *transcript_json(struct transcript *t)
{
	json_t *a = json_copy(t->events);
	if (t->omitted)
		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:I}", "who", "probe", "what", "note",
						   "text", "later events omitted", "omitted",
						   (json_int_t)t->omitted));
	return a;
}

void transcript_free(struct transcript *t)
{
	json_decref(t->events);
	t->events = NULL;
}
