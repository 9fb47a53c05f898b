/*
 * Weighting meetings (section 4.1 e): each expert gives, for every sibling
 * group, weights in thousandths summing to 1000.  Each weight is aggregated
 * like a score, then the group is renormalized and rounded to thousandths by
 * largest remainder so it sums to exactly 1000 again.  Ties in remainders
 * go to the smaller item code, so the result never depends on input order.
 */
#ifndef PINGSHEN_WEIGHTING_H
#define PINGSHEN_WEIGHTING_H

#include <stddef.h>
#include <stdint.h>

#include "agg.h"
#include "rat.h"

enum wgt_status {
	WGT_OK = 0,
	WGT_EMPTY,     /* no items or no ballots */
	WGT_NEGATIVE,  /* an aggregated weight below zero */
	WGT_ZERO_SUM,  /* every aggregated weight is zero: nothing to scale */
	WGT_AGG_ERROR, /* the aggregation rule cannot apply (see agg_status) */
	WGT_OVERFLOW,
};

/* Returns a static sentence describing status. */
const char *wgt_status_message(enum wgt_status status);

/*
 * Scales values[0..n) so they sum to `total` units and rounds each to an
 * integer by largest remainder; codes[i] names item i for tie-breaking.
 * out[0..n) receives the integers, which sum to exactly total.
 */
enum wgt_status wgt_renormalize(const struct rat *values,
				const char *const *codes, size_t n,
				int64_t total, int64_t *out);

/*
 * Aggregates one sibling group: ballots holds m rows (experts) of n weights
 * (items, in thousandths), row-major.  Each item's weights are aggregated by
 * rule into aggregated[i] (may be NULL when not wanted), then renormalized
 * into out[0..n), which sums to exactly 1000.  On WGT_AGG_ERROR, *agg_status
 * (may be NULL) says why.
 */
enum wgt_status wgt_aggregate_group(const struct agg_rule *rule,
				    const int64_t *ballots, size_t m, size_t n,
				    const char *const *codes, int64_t *out,
				    struct rat *aggregated,
				    enum agg_status *agg_status);

#endif
