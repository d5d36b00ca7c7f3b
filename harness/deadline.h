/* Deadlines: every wait in the probe is bounded by one of these. */
#ifndef DEADLINE_H
#define DEADLINE_H

/* Default tolerances (milliseconds); a case may override them in its params. */
#define READY_MS 1000   /* a server must be listening / bound within this (correct ones take ~5 ms) */
#define EXIT_MS 1000    /* a program that should end must have ended (correct ones take ~1 ms) */
#define IO_MS 2000      /* a reply, an echo, a datagram must have arrived */
#define SETTLE_MS 2000  /* a program must have gone back to waiting for input */
#define PROMPT_MS 500   /* a program given bad arguments must have exited */

struct deadline {
	double at_ms; /* CLOCK_MONOTONIC milliseconds */
	int budget_ms;
};

/* Milliseconds on the monotonic clock. */
double now_ms(void);

/* A deadline budget_ms from now. */
struct deadline deadline_in(int budget_ms);

/* Whole milliseconds left (0 when passed), capped at cap_ms when cap_ms > 0. */
int deadline_left(struct deadline d, int cap_ms);

/* 1 when the deadline has passed. */
int deadline_passed(struct deadline d);

#endif
