/* Weighting: aggregation per sibling group and largest remainder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "weighting.h"

static void
test_three_equal_weights_round_to_334_333_333(void **state)
{
	const struct rat v[] = {{1, 3}, {1, 3}, {1, 3}};
	const char *codes[] = {"1.1", "1.2", "1.3"};
	int64_t out[3];

	(void)state;
	assert_int_equal(wgt_renormalize(v, codes, 3, 1000, out), WGT_OK);
	assert_int_equal(out[0], 334);
	assert_int_equal(out[1], 333);
	assert_int_equal(out[2], 333);
}

/* The extra unit goes to the smaller code as a person reads it, whatever
 * the input order: 1.2 < 1.10. */
static void
test_ties_break_by_code_not_by_position(void **state)
{
	const struct rat v[] = {{1, 3}, {1, 3}, {1, 3}};
	const char *codes[] = {"1.10", "1.9", "1.2"};
	int64_t out[3];

	(void)state;
	assert_int_equal(wgt_renormalize(v, codes, 3, 1000, out), WGT_OK);
	assert_int_equal(out[0], 333);
	assert_int_equal(out[1], 333);
	assert_int_equal(out[2], 334);
}

/* Largest remainder, not rounding each: 0.4445/0.4445/0.111 of 1000 would
 * round to 445+445+111 = 1001. */
static void
test_largest_remainder_keeps_the_sum(void **state)
{
	const struct rat v[] = {{4445, 1}, {4445, 1}, {1110, 1}};
	const char *codes[] = {"2.1", "2.2", "2.3"};
	int64_t out[3];

	(void)state;
	assert_int_equal(wgt_renormalize(v, codes, 3, 1000, out), WGT_OK);
	assert_int_equal(out[0] + out[1] + out[2], 1000);
	assert_int_equal(out[0], 445);
	assert_int_equal(out[1], 444);
	assert_int_equal(out[2], 111);
}

/* Three experts, median per weight: medians 300, 300, 300 are scaled up. */
static void
test_group_aggregation_renormalizes(void **state)
{
	const int64_t ballots[] = {
	    500, 300, 200, /* expert 1 */
	    300, 300, 400, /* expert 2 */
	    200, 500, 300, /* expert 3 */
	};
	const char *codes[] = {"1", "2", "3"};
	struct agg_rule median = {AGG_MEDIAN, 0};
	struct agg_rule mean = {AGG_MEAN, 0};
	struct rat agg[3];
	int64_t out[3];

	(void)state;
	assert_int_equal(
	    wgt_aggregate_group(&median, ballots, 3, 3, codes, out, agg, NULL),
	    WGT_OK);
	assert_int_equal(agg[0].num, 300);
	assert_int_equal(agg[2].num, 300);
	assert_int_equal(out[0], 334);
	assert_int_equal(out[1], 333);
	assert_int_equal(out[2], 333);
	/* Means already sum to 1000 and stay as they are. */
	assert_int_equal(
	    wgt_aggregate_group(&mean, ballots, 3, 3, codes, out, NULL, NULL),
	    WGT_OK);
	assert_int_equal(out[0], 333);
	assert_int_equal(out[1], 367);
	assert_int_equal(out[2], 300);
}

static void
test_errors(void **state)
{
	const struct rat zero[] = {{0, 1}, {0, 1}};
	const struct rat neg[] = {{-1, 1}, {2, 1}};
	const struct rat huge[] = {{INT64_MAX, 1}, {INT64_MAX, 1}};
	const struct rat coprime[] = {{1, 4611686018427387847},
				      {1, 4611686018427387817}};
	const char *codes[] = {"1", "2"};
	const int64_t ballots[] = {1000, 0, 0, 1000};
	struct agg_rule trimmed = {AGG_TRIMMED_MEAN, 1};
	enum agg_status as = AGG_OK;
	int64_t out[2];

	(void)state;
	assert_int_equal(wgt_renormalize(zero, codes, 2, 1000, out),
			 WGT_ZERO_SUM);
	assert_int_equal(wgt_renormalize(neg, codes, 2, 1000, out),
			 WGT_NEGATIVE);
	assert_int_equal(wgt_renormalize(huge, codes, 2, 1000, out),
			 WGT_OVERFLOW);
	assert_int_equal(wgt_renormalize(coprime, codes, 2, 1000, out),
			 WGT_OVERFLOW);
	assert_int_equal(wgt_renormalize(zero, codes, 0, 1000, out), WGT_EMPTY);
	assert_int_equal(
	    wgt_aggregate_group(&trimmed, ballots, 2, 2, codes, out, NULL, &as),
	    WGT_AGG_ERROR);
	assert_int_equal(as, AGG_TOO_FEW_TO_TRIM);
	assert_int_equal(
	    wgt_aggregate_group(&trimmed, ballots, 0, 2, codes, out, NULL, &as),
	    WGT_EMPTY);
	for (int s = WGT_OK; s <= WGT_OVERFLOW; s++)
		assert_non_null(wgt_status_message(s));
	assert_string_equal(wgt_status_message((enum wgt_status)99),
			    "unknown weighting status");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_three_equal_weights_round_to_334_333_333),
	    cmocka_unit_test(test_ties_break_by_code_not_by_position),
	    cmocka_unit_test(test_largest_remainder_keeps_the_sum),
	    cmocka_unit_test(test_group_aggregation_renormalizes),
	    cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
