/* Aggregation and largest-remainder renormalization of sibling weights. */
#include "weighting.h"

#include <stdlib.h>

#include "table.h"
#include "xalloc.h"

typedef __int128 i128;

const char *
wgt_status_message(enum wgt_status status)
{
	switch (status) {
	case WGT_OK:
		return "ok";
	case WGT_EMPTY:
		return "there are no weights to aggregate";
	case WGT_NEGATIVE:
		return "a weight is negative";
	case WGT_ZERO_SUM:
		return "every aggregated weight of the group is zero, so they "
		       "cannot be scaled to 1";
	case WGT_AGG_ERROR:
		return "the aggregation rule cannot be applied to these "
		       "weights";
	case WGT_OVERFLOW:
		return "the weights are too large to aggregate exactly";
	}
	return "unknown weighting status";
}

/* One item while distributing the units left after flooring. */
struct wgt_share {
	size_t index;
	const char *code;
	i128 remainder; /* of total * a_i / sum, over the common sum */
};

static int
wgt_share_cmp(const void *pa, const void *pb)
{
	const struct wgt_share *a = pa, *b = pb;

	if (a->remainder != b->remainder)
		return a->remainder > b->remainder ? -1 : 1;
	return tbl_code_cmp(a->code, b->code);
}

static i128
wgt_gcd(i128 a, i128 b)
{
	while (b != 0) {
		i128 t = a % b;
		a = b;
		b = t;
	}
	return a;
}

enum wgt_status
wgt_renormalize(const struct rat *values, const char *const *codes, size_t n,
		int64_t total, int64_t *out)
{
	struct wgt_share *shares;
	i128 lcm = 1, sum = 0, given = 0;

	if (n == 0 || total <= 0)
		return WGT_EMPTY;
	/* Bring every value to one denominator so remainders compare as
	 * integers. */
	for (size_t i = 0; i < n; i++) {
		if (values[i].num < 0)
			return WGT_NEGATIVE;
		lcm = lcm / wgt_gcd(lcm, values[i].den) * values[i].den;
		if (lcm > INT64_MAX)
			return WGT_OVERFLOW;
	}
	for (size_t i = 0; i < n; i++) {
		sum += values[i].num * (lcm / values[i].den);
		if (sum > INT64_MAX)
			return WGT_OVERFLOW;
	}
	if (sum == 0)
		return WGT_ZERO_SUM;

	shares = xreallocarray(NULL, n, sizeof *shares);
	for (size_t i = 0; i < n; i++) {
		i128 scaled =
		    (i128)total * values[i].num * (lcm / values[i].den);

		out[i] = (int64_t)(scaled / sum);
		given += out[i];
		shares[i].index = i;
		shares[i].code = codes[i];
		shares[i].remainder = scaled % sum;
	}
	qsort(shares, n, sizeof *shares, wgt_share_cmp);
	/* Fewer than n units are left, one for each of the largest
	 * remainders. */
	for (size_t k = 0; given < total; k++, given++)
		out[shares[k].index]++;
	free(shares);
	return WGT_OK;
}

enum wgt_status
wgt_aggregate_group(const struct agg_rule *rule, const int64_t *ballots,
		    size_t m, size_t n, const char *const *codes, int64_t *out,
		    struct rat *aggregated, enum agg_status *agg_status)
{
	struct rat *values;
	int64_t *column;
	enum wgt_status st = WGT_OK;

	if (m == 0 || n == 0)
		return WGT_EMPTY;
	values = xreallocarray(NULL, n, sizeof *values);
	column = xreallocarray(NULL, m, sizeof *column);
	for (size_t i = 0; i < n && st == WGT_OK; i++) {
		enum agg_status as;

		for (size_t e = 0; e < m; e++)
			column[e] = ballots[e * n + i];
		as = agg_apply(rule, column, m, &values[i]);
		if (as != AGG_OK) {
			st = WGT_AGG_ERROR;
			if (agg_status != NULL)
				*agg_status = as;
		}
	}
	if (st == WGT_OK)
		st = wgt_renormalize(values, codes, n, TBL_WEIGHT_ONE, out);
	if (st == WGT_OK && aggregated != NULL) {
		for (size_t i = 0; i < n; i++)
			aggregated[i] = values[i];
	}
	free(column);
	free(values);
	return st;
}
