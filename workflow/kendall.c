/*
 * Kendall's W with the tie correction and its chi-square p-value.  Ranks are
 * kept doubled so mid-ranks stay integers; the chi-square tail is the
 * regularized incomplete gamma function, written here because libm has none.
 */
#include "kendall.h"

#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

#include "xalloc.h"

/* Relative accuracy the incomplete gamma iterations stop at. */
#define KENDALL_EPS 1e-15
/* Both iterations converge in O(sqrt(a)) steps; this is far beyond that. */
#define KENDALL_MAX_ITER 100000
/* Stands in for a zero divisor in Lentz's method. */
#define KENDALL_TINY 1e-300

struct kendall_cell {
	int64_t score;
	size_t item;
};

/* qsort comparator: by score; ties are ranked together, so order is free. */
static int
kendall_cmp_cell(const void *a, const void *b)
{
	int64_t x = ((const struct kendall_cell *)a)->score;
	int64_t y = ((const struct kendall_cell *)b)->score;

	return (x > y) - (x < y);
}

/*
 * Adds one expert's doubled mid-ranks of row[0..n) to rank2[] and returns
 * its sum of t^3 - t over tie groups; *varied is set when the expert does
 * not give every item the same score.  A tie group at sorted positions
 * i..j (0-based) shares the rank (i + j + 2) / 2, doubled i + j + 2.
 */
static long double
kendall_rank_row(const int64_t *row, size_t n, struct kendall_cell *cells,
		 int64_t *rank2, bool *varied)
{
	long double ties = 0, t;
	size_t i, j, k;

	for (i = 0; i < n; i++) {
		cells[i].score = row[i];
		cells[i].item = i;
	}
	qsort(cells, n, sizeof *cells, kendall_cmp_cell);
	for (i = 0; i < n; i = j + 1) {
		j = i;
		while (j + 1 < n && cells[j + 1].score == cells[i].score)
			j++;
		for (k = i; k <= j; k++)
			rank2[cells[k].item] += (int64_t)(i + j + 2);
		t = (long double)(j - i + 1);
		ties += t * t * t - t;
		if (j - i + 1 < n)
			*varied = true;
	}
	return ties;
}

int
kendall_w(const int64_t *scores, size_t m, size_t n, struct kendall *out)
{
	struct kendall_cell *cells;
	long double s4 = 0, tie_sum = 0, lm, ln, denom, d, w;
	int64_t *rank2, mean2;
	bool varied = false;
	size_t e, j;

	if (m < 2 || n < 2 || n - 1 > (size_t)INT_MAX)
		return -1;
	cells = xreallocarray(NULL, n, sizeof *cells);
	rank2 = xcalloc(n, sizeof *rank2);
	for (e = 0; e < m; e++)
		tie_sum +=
		    kendall_rank_row(scores + e * n, n, cells, rank2, &varied);
	if (!varied) {
		free(cells);
		free(rank2);
		return -1;
	}

	/* Every doubled rank sum averages m (n + 1); S is a quarter of s4. */
	mean2 = (int64_t)(m * (n + 1));
	for (j = 0; j < n; j++) {
		d = (long double)(rank2[j] - mean2);
		s4 += d * d;
	}
	free(cells);
	free(rank2);

	lm = (long double)m;
	ln = (long double)n;
	denom = lm * lm * (ln * ln * ln - ln) - lm * tie_sum;
	out->s = (double)(s4 / 4);
	out->tie_sum = (double)tie_sum;
	/* 12 S = 3 s4; denom > 0 because some expert varied. */
	w = 3 * s4 / denom;
	out->w = (double)w;
	out->chi2 = (double)(lm * (ln - 1) * w);
	out->df = (int)(n - 1);
	out->p = kendall_chi2_survival(out->chi2, out->df);
	return 0;
}

/* e^-x x^a / Gamma(a), the factor both expansions of Q(a, x) share. */
static double
kendall_gamma_prefactor(double a, double x)
{
	return exp(-x + a * log(x) - lgamma(a));
}

/* Lower regularized gamma P(a, x) by its power series; for x < a + 1. */
static double
kendall_gamma_p_series(double a, double x)
{
	double term = 1 / a, sum = term, ap = a;
	int i;

	for (i = 0; i < KENDALL_MAX_ITER; i++) {
		ap += 1;
		term *= x / ap;
		sum += term;
		if (fabs(term) < fabs(sum) * KENDALL_EPS)
			break;
	}
	return sum * kendall_gamma_prefactor(a, x);
}

/*
 * Upper regularized gamma Q(a, x) by its continued fraction, evaluated
 * with the modified Lentz method; for x >= a + 1, where it converges fast
 * and keeps full relative accuracy deep in the tail.
 */
static double
kendall_gamma_q_fraction(double a, double x)
{
	double b = x + 1 - a, c = 1 / KENDALL_TINY, d = 1 / b, h = d, an, delta;
	int i;

	for (i = 1; i <= KENDALL_MAX_ITER; i++) {
		an = -i * (i - a);
		b += 2;
		d = an * d + b;
		if (fabs(d) < KENDALL_TINY)
			d = KENDALL_TINY;
		c = b + an / c;
		if (fabs(c) < KENDALL_TINY)
			c = KENDALL_TINY;
		d = 1 / d;
		delta = d * c;
		h *= delta;
		if (fabs(delta - 1) < KENDALL_EPS)
			break;
	}
	return h * kendall_gamma_prefactor(a, x);
}

double
kendall_chi2_survival(double x, double df)
{
	double a = df / 2, half = x / 2;

	if (isnan(x) || !(df > 0))
		return NAN;
	if (x <= 0)
		return 1;
	if (isinf(x))
		return 0;
	/*
	 * Below a + 1, Q stays above 0.08 for df >= 1 (above 0.002 even for
	 * df = 0.02), so taking 1 - P costs at most a digit or two.
	 */
	if (half < a + 1)
		return 1 - kendall_gamma_p_series(a, half);
	return kendall_gamma_q_fraction(a, half);
}
