/*
 * Unit tests of workflow/kendall.c: the NOTES.md vector, the extremes of W,
 * the tie correction, degenerate panels, and the chi-square tail against
 * closed forms and reference values.  Reference values without a closed form
 * were computed with mpmath (gammainc, regularized, 40 digits).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "kendall.h"

#define assert_near(a, b, tol) assert_true(fabs((a) - (b)) < (tol))
#define assert_rel(a, b, tol)  assert_true(fabs((a) - (b)) <= (tol)*fabs(b))
#define COUNT(a)	       (sizeof(a) / sizeof *(a))

/*
 * 3 experts x 5 items (NOTES.md).  Mid-ranks: x (1,3,4,2,5), y (1,3.5,5,2,
 * 3.5), z (1.5,4.5,3,1.5,4.5); rank sums (3.5,11,12,5.5,13) around 9 give
 * S = 71.5; ties: one pair in y and two in z, 3 (2^3 - 2) = 18.
 * W = 12 * 71.5 / (9 * 120 - 3 * 18) = 858 / 1026.
 */
static void
kendall_notes_vector_matches_published_figures(void **state)
{
	const int64_t scores[] = {
	    1, 5, 7, 2, 8, /* x */
	    1, 6, 8, 3, 6, /* y */
	    2, 5, 4, 2, 5, /* z */
	};
	struct kendall k;

	(void)state;
	assert_int_equal(kendall_w(scores, 3, 5, &k), 0);
	assert_near(k.s, 71.5, 1e-12);
	assert_near(k.tie_sum, 18, 1e-12);
	assert_near(k.w, 858.0 / 1026, 1e-12);
	assert_int_equal(lround(k.w * 1e4), 8363);
	assert_near(k.chi2, 12 * 858.0 / 1026, 1e-12);
	assert_int_equal(lround(k.chi2 * 1e3), 10035);
	assert_int_equal(k.df, 4);
	assert_rel(k.p, 0.039840763578685894692, 1e-12);
	assert_int_equal(lround(k.p * 1e4), 398);
}

/*
 * Three experts order four items alike in different units: rank sums
 * (3,6,9,12) around 7.5, S = 45, W = 12 * 45 / (9 * 60) = 1, chi2 = 9.
 */
static void
kendall_perfect_agreement_without_ties_gives_one(void **state)
{
	const int64_t scores[] = {
	    10, 20, 30, 40, 1, 2, 3, 4, 100, 250, 300, 999,
	};
	struct kendall k;

	(void)state;
	assert_int_equal(kendall_w(scores, 3, 4, &k), 0);
	assert_near(k.s, 45, 1e-12);
	assert_near(k.tie_sum, 0, 1e-12);
	assert_near(k.w, 1, 1e-12);
	assert_near(k.chi2, 9, 1e-12);
	assert_int_equal(k.df, 3);
	/* Q(1.5, 4.5) from mpmath. */
	assert_rel(k.p, 0.029290886534888232107, 1e-12);
}

/* Two experts with reversed rankings: rank sums all 4, S = 0, W = 0. */
static void
kendall_opposite_rankings_give_zero(void **state)
{
	const int64_t scores[] = {1, 2, 3, 30, 20, 10};
	struct kendall k;

	(void)state;
	assert_int_equal(kendall_w(scores, 2, 3, &k), 0);
	assert_near(k.s, 0, 1e-12);
	assert_near(k.w, 0, 1e-12);
	assert_near(k.chi2, 0, 1e-12);
	assert_int_equal(k.df, 2);
	assert_near(k.p, 1, 1e-12);
}

/*
 * Two experts who both tie the first two items agree perfectly; only the
 * correction says so.  Rank sums (3,3,6) around 4: S = 6; ties
 * 2 (2^3 - 2) = 12; W = 12 * 6 / (4 * 24 - 2 * 12) = 1 (0.75 without it).
 */
static void
kendall_tie_correction_restores_perfect_agreement(void **state)
{
	const int64_t scores[] = {7, 7, 9, 1, 1, 5};
	struct kendall k;

	(void)state;
	assert_int_equal(kendall_w(scores, 2, 3, &k), 0);
	assert_near(k.s, 6, 1e-12);
	assert_near(k.tie_sum, 12, 1e-12);
	assert_near(k.w, 1, 1e-12);
}

static void
kendall_rejects_degenerate_panels(void **state)
{
	const int64_t scores[] = {1, 2, 3, 4, 5, 6};
	const int64_t flat[] = {5, 5, 5, 8, 8, 8};
	const int64_t half_flat[] = {5, 5, 5, 1, 2, 3};
	struct kendall k;

	(void)state;
	assert_int_equal(kendall_w(scores, 1, 6, &k), -1);
	assert_int_equal(kendall_w(scores, 6, 1, &k), -1);
	assert_int_equal(kendall_w(scores, 0, 0, &k), -1);
	assert_int_equal(kendall_w(flat, 2, 3, &k), -1);
	/*
	 * One expert with an opinion is enough: rank sums (3,4,5), S = 2,
	 * ties 24, W = 24 / (4 * 24 - 2 * 24) = 0.5.
	 */
	assert_int_equal(kendall_w(half_flat, 2, 3, &k), 0);
	assert_near(k.w, 0.5, 1e-12);
}

/* The 0.95 quantiles for df 1 and 2 (R qchisq) have a tail of 0.05. */
static void
kendall_chi2_survival_at_five_percent_quantiles(void **state)
{
	(void)state;
	assert_rel(kendall_chi2_survival(3.841458820694124, 1), 0.05, 1e-12);
	assert_rel(kendall_chi2_survival(5.991464547107979, 2), 0.05, 1e-12);
	/* qchisq(0.95, 100) to six decimals; mpmath gives 0.0500000025499. */
	assert_rel(kendall_chi2_survival(124.342113, 100),
		   0.050000002549929903532, 1e-11);
	assert_near(kendall_chi2_survival(124.342113, 100), 0.05, 1e-8);
}

/* df 2 is exponential, Q = exp(-x / 2); x < 4 takes the series branch. */
static void
kendall_chi2_survival_df2_is_exponential(void **state)
{
	const double xs[] = {1e-6, 0.01, 0.5, 1, 2, 3.9, 4, 4.1, 10, 50, 200};
	size_t i;

	(void)state;
	for (i = 0; i < COUNT(xs); i++)
		assert_rel(kendall_chi2_survival(xs[i], 2), exp(-xs[i] / 2),
			   1e-12);
}

/* df 1 is a folded normal, Q = erfc(sqrt(x / 2)). */
static void
kendall_chi2_survival_df1_is_erfc(void **state)
{
	const double xs[] = {1e-4, 0.1, 1, 2.9, 3.1, 20, 50};
	size_t i;

	(void)state;
	for (i = 0; i < COUNT(xs); i++)
		assert_rel(kendall_chi2_survival(xs[i], 1),
			   erfc(sqrt(xs[i] / 2)), 1e-12);
}

/* Far tails keep their relative accuracy: (100, 2) is exp(-50). */
static void
kendall_chi2_survival_far_tail(void **state)
{
	(void)state;
	assert_rel(kendall_chi2_survival(100, 2), exp(-50), 1e-12);
	assert_rel(kendall_chi2_survival(100, 2), 1.928749847963917783e-22,
		   1e-12);
	assert_rel(kendall_chi2_survival(30, 10), 0.00085664121077530039211,
		   1e-12);
}

/* Values across both branches and large df, against mpmath. */
static void
kendall_chi2_survival_matches_reference_values(void **state)
{
	const struct {
		double x, df, q;
	} cases[] = {
	    {0.5, 3, 0.91889141165467585936},
	    {2.5, 5, 0.77649507112332270673},
	    {1e-3, 7, 0.99999999999975979509},
	    {0.1, 0.5, 0.48344467916953436572},
	    {200, 150, 0.0039731859708216113254},
	    {1000, 900, 0.01099460894213584808},
	};
	size_t i;

	(void)state;
	for (i = 0; i < COUNT(cases); i++)
		assert_rel(kendall_chi2_survival(cases[i].x, cases[i].df),
			   cases[i].q, 1e-11);
}

/* No mass below zero; NaN for an argument or df it cannot mean. */
static void
kendall_chi2_survival_edges(void **state)
{
	(void)state;
	assert_true(kendall_chi2_survival(0, 3) == 1);
	assert_true(kendall_chi2_survival(-2, 3) == 1);
	assert_true(kendall_chi2_survival(INFINITY, 3) == 0);
	assert_true(isnan(kendall_chi2_survival(1, 0)));
	assert_true(isnan(kendall_chi2_survival(1, -2)));
	assert_true(isnan(kendall_chi2_survival(NAN, 2)));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(kendall_notes_vector_matches_published_figures),
	    cmocka_unit_test(kendall_perfect_agreement_without_ties_gives_one),
	    cmocka_unit_test(kendall_opposite_rankings_give_zero),
	    cmocka_unit_test(kendall_tie_correction_restores_perfect_agreement),
	    cmocka_unit_test(kendall_rejects_degenerate_panels),
	    cmocka_unit_test(kendall_chi2_survival_at_five_percent_quantiles),
	    cmocka_unit_test(kendall_chi2_survival_df2_is_exponential),
	    cmocka_unit_test(kendall_chi2_survival_df1_is_erfc),
	    cmocka_unit_test(kendall_chi2_survival_far_tail),
	    cmocka_unit_test(kendall_chi2_survival_matches_reference_values),
	    cmocka_unit_test(kendall_chi2_survival_edges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
