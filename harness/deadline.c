/* Monotonic deadlines. */
#include "deadline.h"

#include <time.h>

double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

struct deadline deadline_in(int budget_ms)
{
	struct deadline d = { now_ms() + budget_ms, budget_ms };
	return d;
}

int deadline_left(struct deadline d, int cap_ms)
{
	double left = d.at_ms - now_ms();
	int ms = left <= 0 ? 0 : (int)(left + 0.999);
	if (cap_ms > 0 && ms > cap_ms)
		ms = cap_ms;
	return ms;
}

int deadline_passed(struct deadline d)
{
	return now_ms() >= d.at_ms;
}
