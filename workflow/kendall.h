/*
 * Kendall's coefficient of concordance W over one round: how much the
 * experts agree on the ranking of the items, with the tie correction, and
 * its chi-square test.  Shown to the panel; never decides a verdict.
 */
#ifndef PINGSHEN_KENDALL_H
#define PINGSHEN_KENDALL_H

#include <stddef.h>
#include <stdint.h>

struct kendall {
	double s;	/* sum of squared deviations of the rank sums */
	double tie_sum; /* sum over experts and tie groups of t^3 - t */
	double w;	/* 12 S / (m^2 (n^3 - n) - m tie_sum) */
	double chi2;	/* m (n - 1) W */
	int df;		/* n - 1 */
	double p;	/* P(chi-square with df >= chi2) */
};

/*
 * scores holds m rows (experts) of n columns (items), row-major, in any
 * integer unit; each expert's scores are ranked across the items with mid-
 * ranks for ties.  Returns 0, or -1 when m < 2, n < 2 (or n - 1 beyond an
 * int), or W is undefined (every expert gives every item the same score).
 */
int kendall_w(const int64_t *scores, size_t m, size_t n, struct kendall *out);

/*
 * Upper tail of the chi-square distribution, P(X >= x), for df > 0
 * degrees of freedom: the regularized upper incomplete gamma function
 * Q(df / 2, x / 2), to about 1e-12 relative (df up to a thousand).
 * Returns 1 for x <= 0, and NaN when x is NaN or df is not positive.
 */
double kendall_chi2_survival(double x, double df);

#endif
