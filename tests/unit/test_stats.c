/*
 * Unit tests of workflow/stats.c: the NOTES.md vector, both quartile
 * definitions against hand computations, the trimmed mean at its edges, and
 * the rejected inputs.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "stats.h"

#define assert_near(a, b, tol) assert_true(fabs((a) - (b)) < (tol))
#define COUNT(a)	       (sizeof(a) / sizeof *(a))

/* Scores {92,88,85,95,60,90,87} from NOTES.md, in hundredths. */
static void
stats_notes_vector_matches_published_figures(void **state)
{
	const int64_t v[] = {9200, 8800, 8500, 9500, 6000, 9000, 8700};
	struct stats s;

	(void)state;
	assert_int_equal(
	    stats_compute(v, COUNT(v), 100, 1, QUANTILE_LINEAR, &s), 0);
	assert_int_equal(s.n, 7);
	assert_near(s.mean, 597.0 / 7, 1e-12);
	assert_true(s.has_trimmed_mean);
	/* Without 60 and 95: (85 + 87 + 88 + 90 + 92) / 5 = 442 / 5. */
	assert_near(s.trimmed_mean, 88.40, 1e-12);
	assert_near(s.median, 88, 1e-12);
	assert_near(s.min, 60, 1e-12);
	assert_near(s.max, 95, 1e-12);
	assert_true(s.has_sd);
	assert_int_equal(lround(s.sd * 100), 1163);
	assert_true(s.has_cv);
	assert_int_equal(lround(s.cv * 1000), 136);
	assert_near(s.cv, s.sd / s.mean, 1e-15);
	/*
	 * Sorted 60 85 87 88 90 92 95.  Linear: h = 6/4 = 1.5 gives
	 * (85 + 87) / 2 = 86, h = 18/4 = 4.5 gives (90 + 92) / 2 = 91.
	 */
	assert_near(s.q1, 86, 1e-12);
	assert_near(s.q3, 91, 1e-12);
	assert_near(s.iqr, 5, 1e-12);
}

/* Weibull on the same vector: h = 8/4 - 1 = 1 and 24/4 - 1 = 5. */
static void
stats_notes_vector_weibull_quartiles(void **state)
{
	const int64_t v[] = {9200, 8800, 8500, 9500, 6000, 9000, 8700};
	struct stats s;

	(void)state;
	assert_int_equal(
	    stats_compute(v, COUNT(v), 100, 1, QUANTILE_WEIBULL, &s), 0);
	assert_near(s.q1, 85, 1e-12);
	assert_near(s.q3, 92, 1e-12);
	assert_near(s.iqr, 7, 1e-12);
	assert_near(s.median, 88, 1e-12);
}

/*
 * {3,4,4,5,5}: linear h = 1 and 3 give 4 and 5, IQR 1; Weibull h = 0.5 and
 * 3.5 give 3.5 and 5, IQR 1.5 (NOTES.md).
 */
static void
stats_iqr_depends_on_quantile_definition(void **state)
{
	const int64_t v[] = {5, 4, 3, 5, 4};
	struct stats lin, wei;

	(void)state;
	assert_int_equal(
	    stats_compute(v, COUNT(v), 1, 1, QUANTILE_LINEAR, &lin), 0);
	assert_int_equal(
	    stats_compute(v, COUNT(v), 1, 1, QUANTILE_WEIBULL, &wei), 0);
	assert_near(lin.q1, 4.0, 1e-12);
	assert_near(lin.q3, 5.0, 1e-12);
	assert_near(lin.iqr, 1.0, 1e-12);
	assert_near(wei.q1, 3.5, 1e-12);
	assert_near(wei.q3, 5.0, 1e-12);
	assert_near(wei.iqr, 1.5, 1e-12);
}

/* One rating: every location statistic is that rating, no spread. */
static void
stats_single_rating_has_no_sd_or_cv(void **state)
{
	const int64_t v[] = {8550};
	struct stats s;

	(void)state;
	assert_int_equal(stats_compute(v, 1, 100, 0, QUANTILE_WEIBULL, &s), 0);
	assert_near(s.mean, 85.5, 1e-12);
	assert_near(s.median, 85.5, 1e-12);
	assert_near(s.q1, 85.5, 1e-12);
	assert_near(s.q3, 85.5, 1e-12);
	assert_near(s.iqr, 0, 1e-12);
	assert_true(s.has_trimmed_mean);
	assert_near(s.trimmed_mean, 85.5, 1e-12);
	assert_false(s.has_sd);
	assert_false(s.has_cv);

	assert_int_equal(stats_compute(v, 1, 100, 1, QUANTILE_LINEAR, &s), 0);
	assert_false(s.has_trimmed_mean);
}

/* With trim 1, three and four ratings leave exactly the median's values. */
static void
stats_trimmed_mean_equals_median_for_three_and_four(void **state)
{
	const int64_t three[] = {7000, 9500, 8000};
	const int64_t four[] = {6000, 9000, 7000, 10000};
	struct stats s;

	(void)state;
	assert_int_equal(
	    stats_compute(three, COUNT(three), 100, 1, QUANTILE_LINEAR, &s), 0);
	assert_true(s.has_trimmed_mean);
	assert_near(s.trimmed_mean, 80, 1e-12);
	assert_near(s.median, 80, 1e-12);

	/* Sorted 60 70 90 100: trimmed (70 + 90) / 2 = 80 = median. */
	assert_int_equal(
	    stats_compute(four, COUNT(four), 100, 1, QUANTILE_LINEAR, &s), 0);
	assert_true(s.has_trimmed_mean);
	assert_near(s.trimmed_mean, 80, 1e-12);
	assert_near(s.median, 80, 1e-12);
}

/*
 * A tie at an end drops one occurrence only: {1,1,4,9,9} keeps {1,4,9},
 * mean 14/3.  Dropping every tied value would leave {4} instead.
 */
static void
stats_trimmed_mean_drops_one_occurrence_of_tied_ends(void **state)
{
	const int64_t v[] = {9, 1, 4, 9, 1};
	const int64_t w[] = {1, 1, 5, 9, 9};
	struct stats s;

	(void)state;
	assert_int_equal(stats_compute(v, COUNT(v), 1, 1, QUANTILE_LINEAR, &s),
			 0);
	assert_true(s.has_trimmed_mean);
	assert_near(s.trimmed_mean, 14.0 / 3, 1e-12);
	assert_near(s.mean, 24.0 / 5, 1e-12);

	assert_int_equal(stats_compute(w, COUNT(w), 1, 1, QUANTILE_LINEAR, &s),
			 0);
	assert_near(s.trimmed_mean, 5, 1e-12);
}

/* The trimmed mean needs n >= 2 trim + 1. */
static void
stats_trim_too_large_has_no_trimmed_mean(void **state)
{
	const int64_t v[] = {10, 20, 30, 40, 50};
	struct stats s;

	(void)state;
	assert_int_equal(stats_compute(v, 4, 1, 2, QUANTILE_LINEAR, &s), 0);
	assert_false(s.has_trimmed_mean);
	assert_int_equal(stats_compute(v, 5, 1, 3, QUANTILE_LINEAR, &s), 0);
	assert_false(s.has_trimmed_mean);
	assert_int_equal(stats_compute(v, 5, 1, 2, QUANTILE_LINEAR, &s), 0);
	assert_true(s.has_trimmed_mean);
	assert_near(s.trimmed_mean, 30, 1e-12);
}

/* A mean of zero leaves the CV undefined, though the SD exists. */
static void
stats_zero_mean_has_sd_but_no_cv(void **state)
{
	const int64_t v[] = {-500, 500};
	struct stats s;

	(void)state;
	assert_int_equal(
	    stats_compute(v, COUNT(v), 100, 0, QUANTILE_LINEAR, &s), 0);
	assert_true(s.has_sd);
	assert_near(s.sd, sqrt(50.0), 1e-12);
	assert_false(s.has_cv);
}

static void
stats_rejects_empty_input_bad_scale_and_negative_trim(void **state)
{
	const int64_t v[] = {8500, 9000};
	struct stats s;

	(void)state;
	assert_int_equal(stats_compute(v, 0, 100, 1, QUANTILE_LINEAR, &s), -1);
	assert_int_equal(stats_compute(v, 2, 0, 1, QUANTILE_LINEAR, &s), -1);
	assert_int_equal(stats_compute(v, 2, -100, 1, QUANTILE_LINEAR, &s), -1);
	assert_int_equal(stats_compute(v, 2, 100, -1, QUANTILE_LINEAR, &s), -1);
}

/* The input is sorted in a copy, never in place. */
static void
stats_leaves_input_unchanged(void **state)
{
	int64_t v[] = {9, 1, 4, 9, 1};
	const int64_t before[] = {9, 1, 4, 9, 1};
	struct stats s;

	(void)state;
	assert_int_equal(stats_compute(v, COUNT(v), 1, 1, QUANTILE_WEIBULL, &s),
			 0);
	assert_memory_equal(v, before, sizeof v);
}

/*
 * Even n = 6, sorted {10,20,30,40,50,60}, results times 4.
 * Linear h = 5p: q1 h = 1.25 -> 20 + 2.5 = 22.5 (90); q2 h = 2.5 -> 35
 * (140); q3 h = 3.75 -> 40 + 7.5 = 47.5 (190).
 * Weibull h = 7p - 1: q1 h = 0.75 -> 10 + 7.5 = 17.5 (70); q2 h = 2.5 -> 35
 * (140); q3 h = 4.25 -> 50 + 2.5 = 52.5 (210).
 */
static void
stats_quartiles_even_n_by_hand(void **state)
{
	const int64_t v[] = {10, 20, 30, 40, 50, 60};

	(void)state;
	assert_int_equal(stats_quartile_x4(v, 6, 1, QUANTILE_LINEAR), 90);
	assert_int_equal(stats_quartile_x4(v, 6, 2, QUANTILE_LINEAR), 140);
	assert_int_equal(stats_quartile_x4(v, 6, 3, QUANTILE_LINEAR), 190);
	assert_int_equal(stats_quartile_x4(v, 6, 1, QUANTILE_WEIBULL), 70);
	assert_int_equal(stats_quartile_x4(v, 6, 2, QUANTILE_WEIBULL), 140);
	assert_int_equal(stats_quartile_x4(v, 6, 3, QUANTILE_WEIBULL), 210);
}

/*
 * Odd n = 5, sorted {1,2,4,8,16}, results times 4.
 * Linear h = 4p lands on elements: q1 = 2 (8), q2 = 4 (16), q3 = 8 (32).
 * Weibull h = 6p - 1: q1 h = 0.5 -> 1.5 (6); q2 h = 2 -> 4 (16);
 * q3 h = 3.5 -> 12 (48).
 */
static void
stats_quartiles_odd_n_by_hand(void **state)
{
	const int64_t v[] = {1, 2, 4, 8, 16};

	(void)state;
	assert_int_equal(stats_quartile_x4(v, 5, 1, QUANTILE_LINEAR), 8);
	assert_int_equal(stats_quartile_x4(v, 5, 2, QUANTILE_LINEAR), 16);
	assert_int_equal(stats_quartile_x4(v, 5, 3, QUANTILE_LINEAR), 32);
	assert_int_equal(stats_quartile_x4(v, 5, 1, QUANTILE_WEIBULL), 6);
	assert_int_equal(stats_quartile_x4(v, 5, 2, QUANTILE_WEIBULL), 16);
	assert_int_equal(stats_quartile_x4(v, 5, 3, QUANTILE_WEIBULL), 48);
}

/*
 * n = 2, {0, 4}: Weibull h = 3p - 1 falls outside the sample for q1
 * (-0.25) and q3 (1.25) and is clamped to 0 and 4; linear h = p gives
 * 1 (4) and 3 (12).  Negative {-7, -3}: linear q1 = -7 + 1 = -6 (-24).
 */
static void
stats_quartiles_clamp_and_negative_values(void **state)
{
	const int64_t v[] = {0, 4};
	const int64_t neg[] = {-7, -3};

	(void)state;
	assert_int_equal(stats_quartile_x4(v, 2, 1, QUANTILE_WEIBULL), 0);
	assert_int_equal(stats_quartile_x4(v, 2, 3, QUANTILE_WEIBULL), 16);
	assert_int_equal(stats_quartile_x4(v, 2, 1, QUANTILE_LINEAR), 4);
	assert_int_equal(stats_quartile_x4(v, 2, 3, QUANTILE_LINEAR), 12);
	assert_int_equal(stats_quartile_x4(neg, 2, 1, QUANTILE_LINEAR), -24);
	assert_int_equal(stats_quartile_x4(neg, 2, 3, QUANTILE_LINEAR), -16);
}

/* Exact up to INT64_MAX / 4; saturates, never wraps, beyond it. */
static void
stats_quartiles_of_extreme_values(void **state)
{
	const int64_t edge[] = {INT64_MAX / 4 - 1, INT64_MAX / 4};
	const int64_t huge[] = {INT64_MIN, INT64_MAX};

	(void)state;
	/* With M = INT64_MAX / 4, q3 at h = 0.75 is (M - 1) + 3 M. */
	assert_int_equal(stats_quartile_x4(edge, 2, 3, QUANTILE_LINEAR),
			 INT64_MAX / 4 * 4 - 1);
	assert_int_equal(stats_quartile_x4(huge, 2, 3, QUANTILE_WEIBULL),
			 INT64_MAX);
	assert_int_equal(stats_quartile_x4(huge, 2, 1, QUANTILE_WEIBULL),
			 INT64_MIN);
}

/* The linear q2 is the median for every n from 1 to 8. */
static void
stats_linear_q2_is_median(void **state)
{
	const int64_t v[] = {3, 8, 8, 15, 40, 41, 77, 100};
	struct stats s;
	size_t n;

	(void)state;
	for (n = 1; n <= COUNT(v); n++) {
		assert_int_equal(stats_compute(v, n, 1, 0, QUANTILE_LINEAR, &s),
				 0);
		assert_near(s.median,
			    stats_quartile_x4(v, n, 2, QUANTILE_LINEAR) / 4.0,
			    1e-12);
		if (n % 2)
			assert_near(s.median, (double)v[n / 2], 1e-12);
		else
			assert_near(s.median, (v[n / 2 - 1] + v[n / 2]) / 2.0,
				    1e-12);
	}
}

static void
stats_quantile_def_names_round_trip(void **state)
{
	enum quantile_def def = QUANTILE_WEIBULL;

	(void)state;
	assert_true(quantile_def_parse("linear", &def));
	assert_int_equal(def, QUANTILE_LINEAR);
	assert_string_equal(quantile_def_name(def), "linear");
	assert_true(quantile_def_parse("weibull", &def));
	assert_int_equal(def, QUANTILE_WEIBULL);
	assert_string_equal(quantile_def_name(def), "weibull");
	assert_true(
	    quantile_def_parse(quantile_def_name(QUANTILE_LINEAR), &def));
	assert_int_equal(def, QUANTILE_LINEAR);
}

/* Only the exact lower-case names; a failed parse leaves *out alone. */
static void
stats_quantile_def_parse_rejects_other_spellings(void **state)
{
	const char *bad[] = {"Linear",	 "",	   "spss",
			     "weibull ", "LINEAR", "type7"};
	enum quantile_def def = QUANTILE_WEIBULL;
	size_t i;

	(void)state;
	for (i = 0; i < COUNT(bad); i++) {
		assert_false(quantile_def_parse(bad[i], &def));
		assert_int_equal(def, QUANTILE_WEIBULL);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(stats_notes_vector_matches_published_figures),
	    cmocka_unit_test(stats_notes_vector_weibull_quartiles),
	    cmocka_unit_test(stats_iqr_depends_on_quantile_definition),
	    cmocka_unit_test(stats_single_rating_has_no_sd_or_cv),
	    cmocka_unit_test(
		stats_trimmed_mean_equals_median_for_three_and_four),
	    cmocka_unit_test(
		stats_trimmed_mean_drops_one_occurrence_of_tied_ends),
	    cmocka_unit_test(stats_trim_too_large_has_no_trimmed_mean),
	    cmocka_unit_test(stats_zero_mean_has_sd_but_no_cv),
	    cmocka_unit_test(
		stats_rejects_empty_input_bad_scale_and_negative_trim),
	    cmocka_unit_test(stats_leaves_input_unchanged),
	    cmocka_unit_test(stats_quartiles_even_n_by_hand),
	    cmocka_unit_test(stats_quartiles_odd_n_by_hand),
	    cmocka_unit_test(stats_quartiles_clamp_and_negative_values),
	    cmocka_unit_test(stats_quartiles_of_extreme_values),
	    cmocka_unit_test(stats_linear_q2_is_median),
	    cmocka_unit_test(stats_quantile_def_names_round_trip),
	    cmocka_unit_test(stats_quantile_def_parse_rejects_other_spellings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
