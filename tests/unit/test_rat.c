/* Exact rationals: reduction, overflow refusal, rounding half up. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "rat.h"

static struct rat
R(int64_t num, int64_t den) {
	struct rat r;

	assert_true(rat_make(num, den, &r));
	return r;
}

static void
test_make_reduces_and_normalizes_sign(void **state)
{
	struct rat r;

	(void)state;
	r = R(6, -4);
	assert_int_equal(r.num, -3);
	assert_int_equal(r.den, 2);
	r = R(0, 7);
	assert_int_equal(r.num, 0);
	assert_int_equal(r.den, 1);
	assert_false(rat_make(1, 0, &r));
}

static void
test_arithmetic(void **state)
{
	struct rat r;

	(void)state;
	assert_true(rat_add(R(1, 3), R(1, 6), &r));
	assert_int_equal(rat_cmp(r, R(1, 2)), 0);
	assert_true(rat_sub(R(1, 3), R(1, 2), &r));
	assert_int_equal(rat_cmp(r, R(-1, 6)), 0);
	assert_true(rat_mul(R(3, 10), R(18, 100), &r));
	assert_int_equal(r.num, 27);
	assert_int_equal(r.den, 500);
	assert_true(rat_div(R(1, 2), R(1, 4), &r));
	assert_int_equal(rat_cmp(r, rat_int(2)), 0);
	assert_false(rat_div(R(1, 2), rat_int(0), &r));
}

static void
test_overflow_is_refused_not_wrapped(void **state)
{
	struct rat big = rat_int(INT64_MAX), r;

	(void)state;
	assert_false(rat_add(big, rat_int(1), &r));
	assert_false(rat_mul(big, rat_int(2), &r));
	assert_false(rat_make(INT64_MIN, 1, &r));
	/* Large intermediates that reduce back into range are fine. */
	assert_true(rat_mul(big, R(1, INT64_MAX), &r));
	assert_int_equal(rat_cmp(r, rat_int(1)), 0);
}

static void
test_cmp_is_exact(void **state)
{
	(void)state;
	assert_int_equal(rat_cmp(R(1, 3), R(333333333, 1000000000)), 1);
	assert_int_equal(rat_cmp(R(-1, 2), R(-1, 3)), -1);
	assert_int_equal(rat_cmp(R(2, 4), R(1, 2)), 0);
}

static void
test_floor(void **state)
{
	(void)state;
	assert_int_equal(rat_floor(R(7, 2)), 3);
	assert_int_equal(rat_floor(R(-7, 2)), -4);
	assert_int_equal(rat_floor(R(-4, 2)), -2);
}

static void
test_round_half_up(void **state)
{
	int64_t v;

	(void)state;
	/* 84.995 publishes as 85.00; 84.99499... as 84.99. */
	assert_true(rat_round_half_up(R(84995, 1000), 100, &v));
	assert_int_equal(v, 8500);
	assert_true(rat_round_half_up(R(8499499999, 100000000), 100, &v));
	assert_int_equal(v, 8499);
	/* Half up means towards +infinity, also below zero. */
	assert_true(rat_round_half_up(R(-5, 2), 1, &v));
	assert_int_equal(v, -2);
	assert_true(rat_round_half_up(R(-26, 10), 1, &v));
	assert_int_equal(v, -3);
}

static void
test_format(void **state)
{
	char buf[RAT_FORMAT_MAX];

	(void)state;
	assert_string_equal(rat_format(rat_int(85), 2, buf), "85.00");
	assert_string_equal(rat_format(R(1, 3), 4, buf), "0.3333");
	assert_string_equal(rat_format(R(2, 3), 2, buf), "0.67");
	assert_string_equal(rat_format(R(-1, 200), 2, buf), "0.00");
	assert_string_equal(rat_format(R(-1, 100), 2, buf), "-0.01");
	assert_string_equal(rat_format(R(27, 500), 3, buf), "0.054");
	assert_string_equal(rat_format(rat_int(1), 19, buf), "overflow");
	assert_string_equal(rat_format(rat_int(INT64_MAX), 2, buf), "overflow");
	assert_true(rat_to_double(R(1, 4)) == 0.25);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_make_reduces_and_normalizes_sign),
	    cmocka_unit_test(test_arithmetic),
	    cmocka_unit_test(test_overflow_is_refused_not_wrapped),
	    cmocka_unit_test(test_cmp_is_exact),
	    cmocka_unit_test(test_floor),
	    cmocka_unit_test(test_round_half_up),
	    cmocka_unit_test(test_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
