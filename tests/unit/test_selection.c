/* Selection: exact include shares against the threshold. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "selection.h"

static void
test_default_two_thirds_is_exact(void **state)
{
	struct sel_result r;
	struct rat rounded;

	(void)state;
	/* 4 of 6 is exactly 2/3: selected under the default... */
	assert_int_equal(sel_aggregate(4, 6, sel_default_threshold(), &r), 0);
	assert_true(r.selected);
	assert_true(r.consensus);
	assert_int_equal(r.share.num, 2);
	assert_int_equal(r.share.den, 3);
	/* ...but not under a rounded "0.6667". */
	assert_true(rat_make(6667, 10000, &rounded));
	assert_int_equal(sel_aggregate(4, 6, rounded, &r), 0);
	assert_false(r.selected);
}

static void
test_consensus_either_way(void **state)
{
	struct sel_result r;

	(void)state;
	/* 1 of 6 includes: excluded with consensus (5/6 exclude). */
	assert_int_equal(sel_aggregate(1, 6, sel_default_threshold(), &r), 0);
	assert_false(r.selected);
	assert_true(r.consensus);
	/* 3 of 6: neither side reaches 2/3. */
	assert_int_equal(sel_aggregate(3, 6, sel_default_threshold(), &r), 0);
	assert_false(r.selected);
	assert_false(r.consensus);
	assert_int_equal(r.n, 6);
	assert_int_equal(r.includes, 3);
}

static void
test_rejects_bad_input(void **state)
{
	struct sel_result r;

	(void)state;
	assert_int_equal(sel_aggregate(0, 0, sel_default_threshold(), &r), -1);
	assert_int_equal(sel_aggregate(7, 6, sel_default_threshold(), &r), -1);
	assert_int_equal(sel_aggregate(1, 2, rat_int(0), &r), -1);
	assert_int_equal(sel_aggregate(1, 2, rat_int(2), &r), -1);
	assert_int_equal(sel_aggregate(2, 2, rat_int(1), &r), 0);
	assert_true(r.selected);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_default_two_thirds_is_exact),
	    cmocka_unit_test(test_consensus_either_way),
	    cmocka_unit_test(test_rejects_bad_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
