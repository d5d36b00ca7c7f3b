/* deadline.c: monotonic deadlines. Time passing is seen by spinning on
   now_ms() for a few milliseconds at most, never by sleeping. Every check
   that depends on the clock brackets the call between two readings of
   now_ms(), so a preempted test cannot make it fail. */
#include "check.h"
#include "deadline.h"

/* Spins until now_ms() has moved at least ms past t0; gives up after 200 ms
   (returns the time reached). */
static double spin_until(double t0, double ms)
{
	double t;
	do
		t = now_ms();
	while (t - t0 < ms && t - t0 < 200);
	return t;
}

/* deadline_left(d, 0) measured between two clock readings: the whole
   milliseconds left lie between what was left at the end and at the start. */
static int left_bracketed(struct deadline d, int *lo, int *hi)
{
	double t1 = now_ms();
	int left = deadline_left(d, 0);
	double t2 = now_ms();
	double x = d.at_ms - t2, y = d.at_ms - t1;
	*lo = x <= 0 ? 0 : (int)x;                     /* floor */
	*hi = y <= 0 ? 0 : (int)y + ((double)(int)y < y); /* ceil */
	return left;
}

int main(void)
{
	int lo, hi;

	/* now_ms: milliseconds, never going back */
	double a = now_ms(), b = now_ms();
	CHECK(a > 0);
	CHECK(b >= a);
	double c = spin_until(a, 2);
	CHECK(c - a >= 2);

	/* a deadline 50 ms away */
	double before = now_ms();
	struct deadline d = deadline_in(50);
	double after = now_ms();
	CHECK_INT(d.budget_ms, 50);
	CHECK(d.at_ms >= before + 50 && d.at_ms <= after + 50);
	double t1 = now_ms();
	int passed = deadline_passed(d);
	double t2 = now_ms();
	CHECK(passed == 0 || t2 >= d.at_ms); /* 0 unless this test was frozen 50 ms */
	CHECK(passed == 1 || t1 < d.at_ms);
	int left = left_bracketed(d, &lo, &hi);
	CHECK(left <= 50);
	CHECK(left > 0 || hi == 0);
	CHECK(left >= lo && left <= hi);
	/* capped at cap_ms when cap_ms > 0 */
	int one = deadline_left(d, 1);
	CHECK(one == 1 || now_ms() >= d.at_ms);
	CHECK(one <= 1);
	int capped = deadline_left(d, 10);
	CHECK(capped == 10 || d.at_ms - now_ms() < 10);
	CHECK(capped <= 10);
	CHECK(deadline_left(d, 1000) <= 50);
	CHECK(deadline_left(d, -5) <= 50); /* cap <= 0: no cap */

	/* time passes: 5 ms later, at least 4 whole ms less is left */
	int first = left_bracketed(d, &lo, &hi);
	spin_until(now_ms(), 5);
	int later = left_bracketed(d, &lo, &hi);
	CHECK(later <= 45);
	CHECK(later >= lo && later <= hi);
	CHECK(later < first || first == 0);

	/* a deadline of 0 has passed already, nothing left, whatever the cap */
	struct deadline z = deadline_in(0);
	CHECK_INT(z.budget_ms, 0);
	CHECK_INT(deadline_passed(z), 1);
	CHECK_INT(deadline_left(z, 0), 0);
	CHECK_INT(deadline_left(z, 10), 0);

	/* a negative budget too */
	struct deadline neg = deadline_in(-100);
	CHECK_INT(deadline_passed(neg), 1);
	CHECK_INT(deadline_left(neg, 0), 0);

	/* a short deadline runs out while spinning, not before its budget */
	double t0 = now_ms();
	struct deadline s = deadline_in(3);
	while (!deadline_passed(s) && now_ms() - t0 < 200)
		;
	double t = now_ms(); /* read after deadline_passed said so */
	CHECK_INT(deadline_passed(s), 1);
	CHECK(t >= s.at_ms);
	CHECK(t - t0 >= 3);
	CHECK_INT(deadline_left(s, 0), 0);

	/* whole milliseconds round up: 0.5 ms left is 1, not 0 (a poll timeout of
	   0 would spin). Tried a few times in case the test is preempted. */
	int got_one = 0;
	for (int i = 0; i < 20 && !got_one; i++) {
		struct deadline tiny = { now_ms() + 0.5, 0 };
		got_one = deadline_left(tiny, 0) == 1;
	}
	CHECK(got_one);

	return check_summary();
}
