/* Strict decimal parsing and exact formatting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "decimal.h"

static int64_t
parse_ok(const char *s, int decimals, int64_t max)
{
	int64_t v = -1;

	assert_true(dec_parse(s, strlen(s), decimals, max, &v));
	return v;
}

static void
refuse(const char *s, int decimals, int64_t max)
{
	int64_t v = 12345;

	assert_false(dec_parse(s, strlen(s), decimals, max, &v));
	assert_int_equal(v, 12345);
}

static void
test_parse_accepts_fixed_decimals(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("85", 2, 10000), 8500);
	assert_int_equal(parse_ok("85.5", 2, 10000), 8550);
	assert_int_equal(parse_ok("85.55", 2, 10000), 8555);
	assert_int_equal(parse_ok("0", 2, 10000), 0);
	assert_int_equal(parse_ok("100.00", 2, 10000), 10000);
	assert_int_equal(parse_ok("007.1", 2, 10000), 710);
	assert_int_equal(parse_ok("0.054", 3, 1000), 54);
	assert_int_equal(parse_ok("1", 3, 1000), 1000);
	assert_int_equal(parse_ok("9223372036854775807", 0, INT64_MAX),
			 INT64_MAX);
}

static void
test_parse_refuses_everything_else(void **state)
{
	(void)state;
	refuse("", 2, 10000);
	refuse(".5", 2, 10000);
	refuse("85.", 2, 10000);
	refuse("85.555", 2, 10000);
	refuse("-1", 2, 10000);
	refuse("+1", 2, 10000);
	refuse("1e2", 2, 10000);
	refuse(" 85", 2, 10000);
	refuse("85 ", 2, 10000);
	refuse("8,5", 2, 10000);
	refuse("1.2.3", 2, 10000);
	refuse("100.01", 2, 10000);
	refuse("9223372036854775808", 0, INT64_MAX);
	refuse("92233720368547758.07", 3, INT64_MAX);
	refuse("1", -1, 10);
	refuse("1", 19, 10);
	refuse("1", 0, -1);
}

static void
test_parse_respects_length_not_nul(void **state)
{
	int64_t v;

	(void)state;
	assert_true(dec_parse("85.5junk", 4, 2, 10000, &v));
	assert_int_equal(v, 8550);
	/* An embedded NUL inside the length is not a terminator. */
	assert_false(dec_parse("85\0", 3, 2, 10000, &v));
}

static void
test_format(void **state)
{
	char buf[32];

	(void)state;
	assert_string_equal(dec_format(8550, 2, buf, sizeof buf), "85.50");
	assert_string_equal(dec_format(54, 3, buf, sizeof buf), "0.054");
	assert_string_equal(dec_format(-5, 2, buf, sizeof buf), "-0.05");
	assert_string_equal(dec_format(85, 0, buf, sizeof buf), "85");
	assert_string_equal(dec_format(INT64_MIN, 2, buf, sizeof buf),
			    "-92233720368547758.08");
	assert_string_equal(dec_format(7, 99, buf, sizeof buf), "7");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_accepts_fixed_decimals),
	    cmocka_unit_test(test_parse_refuses_everything_else),
	    cmocka_unit_test(test_parse_respects_length_not_nul),
	    cmocka_unit_test(test_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
