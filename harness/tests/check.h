/* A tiny check set for the harness's unit tests: each failed check prints
   "file:line: what failed" on stderr and is counted; check_summary() prints
   one closing line "N passed, M failed" and returns the exit status. */
#ifndef CHECK_H
#define CHECK_H

#include <stdio.h>
#include <string.h>

static int check_passed_, check_failed_;

static inline void check_record_(int ok)
{
	if (ok)
		check_passed_++;
	else
		check_failed_++;
}

/* cond must hold. */
#define CHECK(cond)                                                                  \
	do {                                                                         \
		int ok_ = !!(cond);                                                  \
		if (!ok_)                                                            \
			fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, \
				#cond);                                              \
		check_record_(ok_);                                                  \
	} while (0)

/* Two C strings must be equal (NULL only equals NULL). */
#define CHECK_STR(a, b)                                                              \
	do {                                                                         \
		const char *a_ = (a), *b_ = (b);                                     \
		int ok_ = (a_ && b_) ? strcmp(a_, b_) == 0 : a_ == b_;               \
		if (!ok_)                                                            \
			fprintf(stderr, "%s:%d: CHECK_STR(%s, %s) failed: \"%s\" != \"%s\"\n", \
				__FILE__, __LINE__, #a, #b, a_ ? a_ : "(null)",      \
				b_ ? b_ : "(null)");                                 \
		check_record_(ok_);                                                  \
	} while (0)

/* Two integers must be equal. */
#define CHECK_INT(a, b)                                                              \
	do {                                                                         \
		long long a_ = (long long)(a), b_ = (long long)(b);                  \
		int ok_ = a_ == b_;                                                  \
		if (!ok_)                                                            \
			fprintf(stderr, "%s:%d: CHECK_INT(%s, %s) failed: %lld != %lld\n", \
				__FILE__, __LINE__, #a, #b, a_, b_);                 \
		check_record_(ok_);                                                  \
	} while (0)

/* Prints "N passed, M failed" alone on a line; 0 when nothing failed, else 1. */
static inline int check_summary(void)
{
	fflush(stderr);
	printf("%d passed, %d failed\n", check_passed_, check_failed_);
	fflush(stdout);
	return check_failed_ == 0 ? 0 : 1;
}

#endif
