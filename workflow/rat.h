/*
 * Exact rationals for everything that decides a verdict (DESIGN.md,
 * Arithmetic): item values, global weights, totals.  A verdict never
 * depends on binary floating point.
 *
 * A struct rat is always reduced with a positive denominator, so equal
 * values have equal representations.  Every operation that can overflow
 * returns false instead of wrapping; callers turn that into an error.
 */
#ifndef PINGSHEN_RAT_H
#define PINGSHEN_RAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RAT_MUSTCHECK __attribute__((warn_unused_result))

struct rat {
	int64_t num;
	int64_t den; /* > 0 */
};

/* The integer n. */
struct rat rat_int(int64_t n);

/* num / den, reduced.  False when den == 0 or the result overflows. */
bool rat_make(int64_t num, int64_t den, struct rat *out) RAT_MUSTCHECK;
bool rat_add(struct rat a, struct rat b, struct rat *out) RAT_MUSTCHECK;
bool rat_sub(struct rat a, struct rat b, struct rat *out) RAT_MUSTCHECK;
bool rat_mul(struct rat a, struct rat b, struct rat *out) RAT_MUSTCHECK;
/* False also when b is zero. */
bool rat_div(struct rat a, struct rat b, struct rat *out) RAT_MUSTCHECK;

/* -1, 0 or 1 as a < b, a == b, a > b; exact, never overflows. */
int rat_cmp(struct rat a, struct rat b);

/* The largest integer not above a. */
int64_t rat_floor(struct rat a);

/*
 * a * scale rounded half up (towards +infinity on a tie), as an integer:
 * rat_round_half_up(84.995, 100) is 8500.  False on overflow.
 */
bool rat_round_half_up(struct rat a, int64_t scale, int64_t *out) RAT_MUSTCHECK;

/*
 * Writes a rounded half up to `decimals` places ("85.00") into buf, which
 * must hold at least RAT_FORMAT_MAX bytes.  Returns buf.  Values too large
 * to round and decimals outside 0..DEC_MAX_DECIMALS print as "overflow".
 */
#define RAT_FORMAT_MAX 48
char *rat_format(struct rat a, int decimals, char *buf);

/* For display only. */
double rat_to_double(struct rat a);

#endif
