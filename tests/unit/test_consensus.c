/*
 * Unit tests of workflow/consensus.c: ratings exactly on each threshold,
 * one step beyond it, equal ratings, the quantile definition that changes a
 * verdict, and the rules and inputs that are refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "consensus.h"

#define COUNT(a) (sizeof(a) / sizeof *(a))

/* The default of DESIGN.md: IQR <= 10 points, CV <= 0.25, in hundredths. */
static const struct consensus_rule default_rule = {
    .max_iqr = 1000,
    .max_cv_num = 25,
    .max_cv_den = 100,
    .quantile = QUANTILE_LINEAR,
};

/*
 * Sorted {8000,8600,9400,9600}, linear: q1 at h = 0.75 is
 * 8000 + 0.75 * 600 = 8450, q3 at h = 2.25 is 9400 + 0.25 * 200 = 9450,
 * so the IQR is exactly 1000.
 */
static void
consensus_iqr_on_threshold_is_reached(void **state)
{
	const int64_t v[] = {9600, 8000, 9400, 8600};
	struct consensus c;

	(void)state;
	assert_int_equal(consensus_check(v, COUNT(v), &default_rule, &c), 0);
	assert_true(c.iqr_ok);
	assert_true(c.cv_ok);
	assert_true(c.reached);
}

/* 9604 moves q3 to 9400 + 0.25 * 204 = 9451: IQR 1001. */
static void
consensus_iqr_one_hundredth_above_is_not_reached(void **state)
{
	const int64_t v[] = {8000, 8600, 9400, 9604};
	struct consensus c;

	(void)state;
	assert_int_equal(consensus_check(v, COUNT(v), &default_rule, &c), 0);
	assert_false(c.iqr_ok);
	assert_true(c.cv_ok);
	assert_false(c.reached);
}

/* 9601 moves q3 to 9450.25: a quarter of a hundredth still counts. */
static void
consensus_iqr_quarter_hundredth_above_is_not_reached(void **state)
{
	const int64_t v[] = {8000, 8600, 9400, 9601};
	struct consensus c;

	(void)state;
	assert_int_equal(consensus_check(v, COUNT(v), &default_rule, &c), 0);
	assert_false(c.iqr_ok);
	assert_false(c.reached);
}

/*
 * {3000,4000,5000}: mean 4000, sample variance (1000^2 + 0 + 1000^2) / 2,
 * so SD 1000 and CV exactly 0.25; linear quartiles 3500 and 4500 put the
 * IQR exactly on 1000 too.  In the exact form: n = 3, S1 = 12000,
 * S2 = 5e7, n S2 - S1^2 = 6e6, and 3 * 6e6 * 100^2 = 2 * 25^2 * 12000^2.
 */
static void
consensus_cv_on_threshold_is_reached(void **state)
{
	const int64_t v[] = {5000, 3000, 4000};
	struct consensus_rule scaled = default_rule;
	struct consensus c;

	(void)state;
	assert_int_equal(consensus_check(v, COUNT(v), &default_rule, &c), 0);
	assert_true(c.iqr_ok);
	assert_true(c.cv_ok);
	assert_true(c.reached);

	/* The same bound written 2500/10000 is the same rule. */
	scaled.max_cv_num = 2500;
	scaled.max_cv_den = 10000;
	assert_int_equal(consensus_check(v, COUNT(v), &scaled, &c), 0);
	assert_true(c.cv_ok);
}

/*
 * {2999,4000,5001}: mean 4000, SD 1001, CV 0.25025.  The IQR bound is
 * relaxed so only the CV can fail.
 */
static void
consensus_cv_one_hundredth_above_is_not_reached(void **state)
{
	const int64_t v[] = {2999, 4000, 5001};
	struct consensus_rule rule = default_rule;
	struct consensus c;

	(void)state;
	rule.max_iqr = 2000;
	assert_int_equal(consensus_check(v, COUNT(v), &rule, &c), 0);
	assert_true(c.iqr_ok);
	assert_false(c.cv_ok);
	assert_false(c.reached);

	/* A bound of 0.2503 lets it through again. */
	rule.max_cv_num = 2503;
	rule.max_cv_den = 10000;
	assert_int_equal(consensus_check(v, COUNT(v), &rule, &c), 0);
	assert_true(c.cv_ok);
	assert_true(c.reached);
}

/* Equal ratings agree whatever the mean, zero included, and whatever CV. */
static void
consensus_equal_ratings_are_reached(void **state)
{
	const int64_t same[] = {8500, 8500, 8500, 8500, 8500};
	const int64_t zeros[] = {0, 0, 0};
	const int64_t one[] = {4200};
	struct consensus_rule strict = {0, 0, 1, QUANTILE_WEIBULL};
	struct consensus c;

	(void)state;
	assert_int_equal(consensus_check(same, COUNT(same), &strict, &c), 0);
	assert_true(c.iqr_ok);
	assert_true(c.cv_ok);
	assert_true(c.reached);
	assert_int_equal(consensus_check(zeros, COUNT(zeros), &strict, &c), 0);
	assert_true(c.reached);
	assert_int_equal(consensus_check(one, COUNT(one), &strict, &c), 0);
	assert_true(c.reached);
}

/* A zero CV bound admits no spread at all. */
static void
consensus_zero_cv_bound_needs_equal_ratings(void **state)
{
	const int64_t v[] = {8500, 8501};
	struct consensus_rule rule = {1000, 0, 1, QUANTILE_LINEAR};
	struct consensus c;

	(void)state;
	assert_int_equal(consensus_check(v, COUNT(v), &rule, &c), 0);
	assert_true(c.iqr_ok);
	assert_false(c.cv_ok);
	assert_false(c.reached);
}

/* Differing ratings around a zero mean have an unbounded CV. */
static void
consensus_spread_around_zero_mean_fails_cv(void **state)
{
	const int64_t v[] = {-100, 100};
	struct consensus_rule loose = {1000, 1000, 1, QUANTILE_LINEAR};
	struct consensus c;

	(void)state;
	assert_int_equal(consensus_check(v, COUNT(v), &loose, &c), 0);
	assert_true(c.iqr_ok);
	assert_false(c.cv_ok);
	assert_false(c.reached);
}

/*
 * {300,400,400,500,500} with max IQR 100: linear quartiles 400 and 500
 * (IQR 100, reached), Weibull 350 and 500 (IQR 150, not reached).
 */
static void
consensus_quantile_definition_changes_outcome(void **state)
{
	const int64_t v[] = {500, 400, 300, 500, 400};
	struct consensus_rule rule = {100, 1, 1, QUANTILE_LINEAR};
	struct consensus c;

	(void)state;
	assert_int_equal(consensus_check(v, COUNT(v), &rule, &c), 0);
	assert_true(c.iqr_ok);
	assert_true(c.reached);

	rule.quantile = QUANTILE_WEIBULL;
	assert_int_equal(consensus_check(v, COUNT(v), &rule, &c), 0);
	assert_false(c.iqr_ok);
	assert_true(c.cv_ok);
	assert_false(c.reached);
}

static void
consensus_rejects_malformed_rules_and_empty_input(void **state)
{
	const int64_t v[] = {8500, 9000};
	struct consensus_rule rule;
	struct consensus c;

	(void)state;
	assert_int_equal(consensus_check(v, 0, &default_rule, &c), -1);
	rule = default_rule;
	rule.max_iqr = -1;
	assert_int_equal(consensus_check(v, COUNT(v), &rule, &c), -1);
	rule = default_rule;
	rule.max_cv_num = -1;
	assert_int_equal(consensus_check(v, COUNT(v), &rule, &c), -1);
	rule = default_rule;
	rule.max_cv_den = 0;
	assert_int_equal(consensus_check(v, COUNT(v), &rule, &c), -1);
	rule = default_rule;
	rule.max_cv_den = -100;
	assert_int_equal(consensus_check(v, COUNT(v), &rule, &c), -1);
}

/*
 * Large ratings stay exact up to INT64_MAX / 4; past it, or when the
 * squared sums pass 128 bits, the check refuses rather than guess.
 */
static void
consensus_refuses_ratings_beyond_exact_range(void **state)
{
	const int64_t edge[] = {INT64_MAX / 4, INT64_MAX / 4};
	const int64_t over[] = {INT64_MAX / 4 + 1, 0};
	const int64_t under[] = {0, INT64_MIN};
	int64_t many[64];
	struct consensus c;
	size_t i;

	(void)state;
	assert_int_equal(consensus_check(edge, COUNT(edge), &default_rule, &c),
			 0);
	assert_true(c.reached);
	assert_int_equal(consensus_check(over, COUNT(over), &default_rule, &c),
			 -1);
	assert_int_equal(
	    consensus_check(under, COUNT(under), &default_rule, &c), -1);
	/* 64 squares of nearly 2^122 each: n S2 is about 2^134. */
	for (i = 0; i < COUNT(many); i++)
		many[i] = INT64_MAX / 4 - (int64_t)i;
	assert_int_equal(consensus_check(many, COUNT(many), &default_rule, &c),
			 -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(consensus_iqr_on_threshold_is_reached),
	    cmocka_unit_test(consensus_iqr_one_hundredth_above_is_not_reached),
	    cmocka_unit_test(
		consensus_iqr_quarter_hundredth_above_is_not_reached),
	    cmocka_unit_test(consensus_cv_on_threshold_is_reached),
	    cmocka_unit_test(consensus_cv_one_hundredth_above_is_not_reached),
	    cmocka_unit_test(consensus_equal_ratings_are_reached),
	    cmocka_unit_test(consensus_zero_cv_bound_needs_equal_ratings),
	    cmocka_unit_test(consensus_spread_around_zero_mean_fails_cv),
	    cmocka_unit_test(consensus_quantile_definition_changes_outcome),
	    cmocka_unit_test(consensus_rejects_malformed_rules_and_empty_input),
	    cmocka_unit_test(consensus_refuses_ratings_beyond_exact_range),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
