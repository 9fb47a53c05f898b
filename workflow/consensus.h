/*
 * Whether a panel agrees on one item.  This decides which items go to the
 * next Delphi round, so it is computed exactly from the integer ratings:
 * a rating exactly on the threshold is always on the same side.
 */
#ifndef PINGSHEN_CONSENSUS_H
#define PINGSHEN_CONSENSUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stats.h"

struct consensus_rule {
	int64_t max_iqr;    /* in the ratings' own units (hundredths) */
	int64_t max_cv_num; /* max CV = max_cv_num / max_cv_den */
	int64_t max_cv_den; /* > 0 */
	enum quantile_def quantile;
};

struct consensus {
	bool iqr_ok;
	bool cv_ok;   /* true when every rating is equal, whatever the mean */
	bool reached; /* iqr_ok && cv_ok */
};

/*
 * Checks values[0..n) (any order) against rule.  Returns 0, or -1 when
 * n == 0, the rule is malformed (negative bounds, max_cv_den <= 0), or the
 * ratings are too large for the exact arithmetic (a magnitude above
 * INT64_MAX / 4, or squared sums beyond 128 bits: far beyond any score).
 */
int consensus_check(const int64_t *values, size_t n,
		    const struct consensus_rule *rule, struct consensus *out);

#endif
