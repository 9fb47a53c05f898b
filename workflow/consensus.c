/*
 * Consensus on one item, decided exactly: the IQR is compared in quarter
 * units and the CV through a squared, cross-multiplied inequality, so no
 * rating on a threshold can fall on the wrong side by rounding.
 */
#include "consensus.h"

#include <stdlib.h>

#include "agg.h"
#include "rat.h"

typedef unsigned __int128 consensus_u128;

/*
 * Keeps every quartile times 4 inside int64 (see stats_quartile_x4); real
 * ratings are many orders of magnitude smaller.
 */
#define CONSENSUS_VALUE_MAX (INT64_MAX / 4)

/*
 * Whether sd / mean <= num / den, as 1 or 0, or -1 when even 128 bits
 * cannot hold the cross-multiplied terms.  With S1 = sum x and S2 = sum x^2
 * the sample variance is (n S2 - S1^2) / (n (n - 1)) and the mean S1 / n,
 * so squaring both sides (both nonnegative) gives
 * n (n S2 - S1^2) den^2 <= (n - 1) num^2 S1^2.
 */
static int
consensus_cv_ok(const int64_t *values, size_t n, int64_t num, int64_t den)
{
	consensus_u128 s2 = 0, sq, n_s2, s1_sq, spread, lhs, rhs, abs_s1;
	__int128 s1 = 0;
	struct rat bound;
	size_t i;

	/* |x| <= CONSENSUS_VALUE_MAX, so n of them cannot overflow s1. */
	for (i = 0; i < n; i++) {
		s1 += values[i];
		sq = (consensus_u128)((__int128)values[i] * values[i]);
		if (__builtin_add_overflow(s2, sq, &s2))
			return -1;
	}
	abs_s1 = (consensus_u128)(s1 < 0 ? -s1 : s1);
	if (__builtin_mul_overflow((consensus_u128)n, s2, &n_s2) ||
	    __builtin_mul_overflow(abs_s1, abs_s1, &s1_sq))
		return -1;
	/* n S2 >= S1^2 by Cauchy-Schwarz; equality means all ratings equal. */
	spread = n_s2 - s1_sq;
	if (spread == 0)
		return 1;

	/* Reduced, 2500/10000 overflows no sooner than 1/4 would. */
	if (!rat_make(num, den, &bound))
		return -1;
	num = bound.num;
	den = bound.den;
	if (__builtin_mul_overflow((consensus_u128)n, spread, &lhs) ||
	    __builtin_mul_overflow(lhs, (consensus_u128)den, &lhs) ||
	    __builtin_mul_overflow(lhs, (consensus_u128)den, &lhs) ||
	    __builtin_mul_overflow((consensus_u128)(n - 1), s1_sq, &rhs) ||
	    __builtin_mul_overflow(rhs, (consensus_u128)num, &rhs) ||
	    __builtin_mul_overflow(rhs, (consensus_u128)num, &rhs))
		return -1;
	/* The ratings differ, so lhs > 0: a zero mean (rhs 0) fails. */
	return lhs <= rhs;
}

int
consensus_check(const int64_t *values, size_t n,
		const struct consensus_rule *rule, struct consensus *out)
{
	int64_t *sorted, q1, q3;
	int cv_ok;
	size_t i;

	if (n == 0 || rule->max_iqr < 0 || rule->max_cv_num < 0 ||
	    rule->max_cv_den <= 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (values[i] > CONSENSUS_VALUE_MAX ||
		    values[i] < -CONSENSUS_VALUE_MAX)
			return -1;
	}
	cv_ok = consensus_cv_ok(values, n, rule->max_cv_num, rule->max_cv_den);
	if (cv_ok < 0)
		return -1;

	sorted = agg_sorted_copy(values, n);
	q1 = stats_quartile_x4(sorted, n, 1, rule->quantile);
	q3 = stats_quartile_x4(sorted, n, 3, rule->quantile);
	free(sorted);

	/* Compare 4 IQR with 4 max_iqr: quartiles are exact in quarters. */
	out->iqr_ok = (__int128)q3 - q1 <= (__int128)rule->max_iqr * 4;
	out->cv_ok = cv_ok;
	out->reached = out->iqr_ok && out->cv_ok;
	return 0;
}
