/* Exact aggregation: mean, trimmed mean with ties, median. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "agg.h"

#define N(a) (sizeof(a) / sizeof *(a))

static void
assert_rat(struct rat r, int64_t num, int64_t den)
{
	assert_int_equal(r.num, num);
	assert_int_equal(r.den, den);
}

/* NOTES.md: {92,88,85,95,60,90,87}: mean 85.29, trimmed 88.40, median 88. */
static void
test_notes_vector(void **state)
{
	const int64_t v[] = {9200, 8800, 8500, 9500, 6000, 9000, 8700};
	struct rat r;

	(void)state;
	assert_int_equal(agg_mean(v, N(v), &r), AGG_OK);
	assert_rat(r, 59700, 7); /* 85.2857... */
	assert_int_equal(agg_trimmed_mean(v, N(v), 1, &r), AGG_OK);
	assert_rat(r, 8840, 1);
	assert_int_equal(agg_median(v, N(v), &r), AGG_OK);
	assert_rat(r, 8800, 1);
}

/* A tie at an end drops one occurrence per trim, not every copy. */
static void
test_trimmed_mean_ties_at_both_ends(void **state)
{
	const int64_t v[] = {9000, 6000, 9000, 7000, 6000, 8000};
	struct rat r;

	(void)state;
	/* drop one 6000 and one 9000: {6000, 7000, 8000, 9000} → 7500 */
	assert_int_equal(agg_trimmed_mean(v, N(v), 1, &r), AGG_OK);
	assert_rat(r, 7500, 1);
	/* drop both at each end: {7000, 8000} */
	assert_int_equal(agg_trimmed_mean(v, N(v), 2, &r), AGG_OK);
	assert_rat(r, 7500, 1);
	{
		const int64_t all[] = {5000, 5000, 5000, 5000, 5000};

		assert_int_equal(agg_trimmed_mean(all, N(all), 2, &r), AGG_OK);
		assert_rat(r, 5000, 1);
	}
}

static void
test_trimmed_mean_equals_median_for_three_and_four(void **state)
{
	const int64_t three[] = {7000, 9900, 8000};
	const int64_t four[] = {7000, 9900, 8100, 8000};
	struct rat t, m;

	(void)state;
	assert_int_equal(agg_trimmed_mean(three, 3, 1, &t), AGG_OK);
	assert_int_equal(agg_median(three, 3, &m), AGG_OK);
	assert_int_equal(rat_cmp(t, m), 0);
	assert_rat(t, 8000, 1);
	assert_int_equal(agg_trimmed_mean(four, 4, 1, &t), AGG_OK);
	assert_int_equal(agg_median(four, 4, &m), AGG_OK);
	assert_int_equal(rat_cmp(t, m), 0);
	assert_rat(t, 8050, 1);
}

static void
test_errors(void **state)
{
	const int64_t v[] = {1, 2, 3, 4};
	const int64_t huge[] = {INT64_MAX, 1};
	struct rat r;

	(void)state;
	assert_int_equal(agg_mean(v, 0, &r), AGG_EMPTY);
	assert_int_equal(agg_median(v, 0, &r), AGG_EMPTY);
	assert_int_equal(agg_trimmed_mean(v, 0, 1, &r), AGG_EMPTY);
	assert_int_equal(agg_trimmed_mean(v, 4, 2, &r), AGG_TOO_FEW_TO_TRIM);
	assert_int_equal(agg_trimmed_mean(v, 4, -1, &r), AGG_BAD_RULE);
	assert_int_equal(agg_mean(huge, 2, &r), AGG_OVERFLOW);
	assert_int_equal(agg_trimmed_mean(v, 4, 0, &r), AGG_OK);
	assert_rat(r, 5, 2);
}

static void
test_apply_and_names(void **state)
{
	const int64_t v[] = {1, 2, 9};
	struct agg_rule rule = {AGG_MEDIAN, 0};
	enum agg_method m;
	struct rat r;

	(void)state;
	assert_int_equal(agg_apply(&rule, v, 3, &r), AGG_OK);
	assert_rat(r, 2, 1);
	rule.method = AGG_MEAN;
	assert_int_equal(agg_apply(&rule, v, 3, &r), AGG_OK);
	assert_rat(r, 4, 1);
	rule.method = AGG_TRIMMED_MEAN;
	rule.trim = 1;
	assert_int_equal(agg_apply(&rule, v, 3, &r), AGG_OK);
	assert_rat(r, 2, 1);
	rule.method = (enum agg_method)42;
	assert_int_equal(agg_apply(&rule, v, 3, &r), AGG_BAD_RULE);

	for (int i = AGG_MEAN; i <= AGG_MEDIAN; i++) {
		assert_true(agg_method_parse(agg_method_name(i), &m));
		assert_int_equal(m, i);
	}
	assert_false(agg_method_parse("Mean", &m));
	assert_false(agg_method_parse("", &m));
	assert_string_equal(agg_method_name((enum agg_method)42), "unknown");
	for (int s = AGG_OK; s <= AGG_OVERFLOW; s++)
		assert_non_null(agg_status_message(s));
	assert_string_equal(agg_status_message((enum agg_status)99),
			    "unknown aggregation status");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_notes_vector),
	    cmocka_unit_test(test_trimmed_mean_ties_at_both_ends),
	    cmocka_unit_test(
		test_trimmed_mean_equals_median_for_three_and_four),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_apply_and_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
