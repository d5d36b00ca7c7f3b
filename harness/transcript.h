/* The transcript of one case: who sent what, when, as text and hex. */
#ifndef TRANSCRIPT_H
#define TRANSCRIPT_H

#include <stddef.h>
#include <jansson.h>

#define TRANSCRIPT_MAX_EVENTS 400
#define TRANSCRIPT_MAX_BYTES 512 /* bytes shown per event; the rest is counted */

struct transcript {
	json_t *events; /* array */
	double t0_ms;
	size_t omitted; /* events past TRANSCRIPT_MAX_EVENTS */
};

/* Starts an empty transcript; t=0 is now. */
void transcript_init(struct transcript *t);

/* Records an event with bytes (p may be NULL for none). who: probe, program or
   peer; what: start, connect, send, recv, eof, stdin, stdout, stderr, exit,
   signal, note. */
void transcript_bytes(struct transcript *t, const char *who, const char *what,
		      const void *p, size_t n);

/* Records an event with a printf-style text. */
void transcript_note(struct transcript *t, const char *who, const char *what,
		     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* The events as a JSON array (new reference); marks omitted events. */
json_t *transcript_json(struct transcript *t);

void transcript_free(struct transcript *t);

#endif
