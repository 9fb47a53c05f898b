/*
 * Descriptive statistics of one item's ratings.  Sums and quartiles are
 * computed exactly in integers and converted to display units once, so the
 * only rounding is in the final division and in the standard deviation.
 */
#include "stats.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "agg.h"

/* Every definition, so parsing and naming share one list of spellings. */
static const enum quantile_def stats_quantile_defs[] = {
    QUANTILE_LINEAR,
    QUANTILE_WEIBULL,
};

bool
quantile_def_parse(const char *name, enum quantile_def *out)
{
	const size_t count =
	    sizeof stats_quantile_defs / sizeof *stats_quantile_defs;
	const char *known;
	size_t i;

	for (i = 0; i < count; i++) {
		known = quantile_def_name(stats_quantile_defs[i]);
		if (strcmp(name, known) == 0) {
			*out = stats_quantile_defs[i];
			return true;
		}
	}
	return false;
}

const char *
quantile_def_name(enum quantile_def def)
{
	switch (def) {
	case QUANTILE_LINEAR:
		return "linear";
	case QUANTILE_WEIBULL:
		return "weibull";
	}
	/* Only a value cast from outside the enum gets here. */
	return "unknown";
}

/*
 * Quartile q times 4 without overflow for any int64 input.  The 0-based
 * position h is kept as 4h so its fractional part f/4 stays exact; the
 * interpolation a + (f/4)(b - a), times 4, is then (4 - f) a + f b.
 */
static __int128
stats_quartile_wide(const int64_t *sorted, size_t n, int q,
		    enum quantile_def def)
{
	__int128 h4;
	size_t lo;
	int f;

	assert(n >= 1 && q >= 1 && q <= 3);
	if (def == QUANTILE_LINEAR) {
		/* h = (n - 1) p */
		h4 = (__int128)(n - 1) * q;
	} else {
		/* h = (n + 1) p - 1, clamped to the sample */
		h4 = (__int128)(n + 1) * q - 4;
		if (h4 < 0)
			h4 = 0;
		if (h4 > (__int128)(n - 1) * 4)
			h4 = (__int128)(n - 1) * 4;
	}
	lo = (size_t)(h4 / 4);
	f = (int)(h4 % 4);
	if (f == 0)
		return (__int128)sorted[lo] * 4;
	return (__int128)sorted[lo] * (4 - f) + (__int128)sorted[lo + 1] * f;
}

/*
 * Saturates rather than wraps: only inputs beyond +-INT64_MAX / 4 can
 * reach the bounds, and consensus_check refuses those before calling.
 */
int64_t
stats_quartile_x4(const int64_t *sorted, size_t n, int q, enum quantile_def def)
{
	__int128 v = stats_quartile_wide(sorted, n, q, def);

	if (v > INT64_MAX)
		return INT64_MAX;
	if (v < INT64_MIN)
		return INT64_MIN;
	return (int64_t)v;
}

/* Exact sum of values[0..n): n int64 values cannot overflow __int128. */
static __int128
stats_sum(const int64_t *values, size_t n)
{
	__int128 sum = 0;
	size_t i;

	for (i = 0; i < n; i++)
		sum += values[i];
	return sum;
}

/*
 * Sample standard deviation in input units, two-pass around the mean so
 * large, close values do not cancel catastrophically.
 */
static long double
stats_sd(const int64_t *values, size_t n, long double mean)
{
	long double ss = 0, d;
	size_t i;

	for (i = 0; i < n; i++) {
		d = (long double)values[i] - mean;
		ss += d * d;
	}
	return sqrtl(ss / (long double)(n - 1));
}

int
stats_compute(const int64_t *values, size_t n, int64_t scale, int trim,
	      enum quantile_def def, struct stats *out)
{
	long double unit, mean, sd;
	__int128 sum, q1, q3;
	int64_t *sorted;
	size_t kept;

	if (n == 0 || scale <= 0 || trim < 0)
		return -1;
	sorted = agg_sorted_copy(values, n);

	unit = (long double)scale;
	memset(out, 0, sizeof *out);
	out->n = n;

	sum = stats_sum(sorted, n);
	mean = (long double)sum / (long double)n;
	out->mean = (double)(mean / unit);
	out->min = (double)((long double)sorted[0] / unit);
	out->max = (double)((long double)sorted[n - 1] / unit);

	/* Both definitions put the median at h = (n - 1) / 2. */
	out->median =
	    (double)((long double)stats_quartile_wide(sorted, n, 2, def) /
		     (4 * unit));
	q1 = stats_quartile_wide(sorted, n, 1, def);
	q3 = stats_quartile_wide(sorted, n, 3, def);
	out->q1 = (double)((long double)q1 / (4 * unit));
	out->q3 = (double)((long double)q3 / (4 * unit));
	out->iqr = (double)((long double)(q3 - q1) / (4 * unit));

	/* 2 trim + 1 <= 2 INT_MAX + 1 cannot wrap even a 32-bit size_t. */
	if (n >= 2 * (size_t)trim + 1) {
		kept = n - 2 * (size_t)trim;
		out->has_trimmed_mean = true;
		out->trimmed_mean =
		    (double)((long double)stats_sum(sorted + trim, kept) /
			     (long double)kept / unit);
	}

	if (n >= 2) {
		sd = stats_sd(sorted, n, mean);
		out->has_sd = true;
		out->sd = (double)(sd / unit);
		/* The exact sum decides: a tiny nonzero mean has a CV. */
		if (sum != 0) {
			out->has_cv = true;
			out->cv = (double)(sd / mean);
		}
	}
	free(sorted);
	return 0;
}
