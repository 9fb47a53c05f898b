/*
 * Descriptive statistics of one item's ratings, shown to the panel after a
 * round closes.  Floating point is fine here: nothing in this file decides a
 * verdict (DESIGN.md, Arithmetic); consensus.h decides exactly.
 */
#ifndef PINGSHEN_STATS_H
#define PINGSHEN_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * How quartiles are computed.  The definition is frozen into a round with
 * its rule set, because {3,4,4,5,5} has IQR 1.0 under one and 1.5 under the
 * other (NOTES.md, Statistics).
 */
enum quantile_def {
	QUANTILE_LINEAR,  /* numpy default, R type 7, Excel QUARTILE.INC */
	QUANTILE_WEIBULL, /* SPSS, R type 6, Excel QUARTILE.EXC */
};

/* "linear" or "weibull"; returns false for anything else. */
bool quantile_def_parse(const char *name, enum quantile_def *out);
/* Returns a static string. */
const char *quantile_def_name(enum quantile_def def);

/*
 * Results are in display units: the integer inputs divided by scale
 * (scores in hundredths of a point use scale 100).
 */
struct stats {
	size_t n;
	double mean;
	double median;
	double min;
	double max;
	double q1;
	double q3;
	double iqr;
	bool has_trimmed_mean; /* n >= 2 * trim + 1 */
	double trimmed_mean;
	bool has_sd; /* n >= 2 */
	double sd;   /* sample standard deviation (n - 1) */
	bool has_cv; /* n >= 2 and mean != 0 */
	double cv;   /* sd / mean */
};

/*
 * Computes every statistic of values[0..n) (any order; not modified).
 * trim is the count dropped at each end for the trimmed mean.  Returns 0, or
 * -1 when n == 0, scale <= 0 or trim < 0.
 */
int stats_compute(const int64_t *values, size_t n, int64_t scale, int trim,
		  enum quantile_def def, struct stats *out);

/*
 * Quartile q (1, 2 or 3) of sorted[0..n), times 4, exactly: under both
 * definitions a quartile is a multiple of 1/4 of the input unit, so the
 * result is an integer and comparisons against thresholds never round.
 * n must be at least 1 and q 1, 2 or 3.  Exact while every |value| is at
 * most INT64_MAX / 4; beyond that the result saturates instead of wrapping.
 */
int64_t stats_quartile_x4(const int64_t *sorted, size_t n, int q,
			  enum quantile_def def);

#endif
