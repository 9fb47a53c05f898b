/* Login throttling: per account, per address, by window, bounded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "throttle.h"

static void
test_account_limit_and_window(void **state)
{
	struct throttle *t = throttle_new(3, 60);
	int retry = 0;

	(void)state;
	for (int i = 0; i < 3; i++) {
		assert_true(
		    throttle_allow(t, "alice", "10.0.0.1", 1000, &retry));
		throttle_fail(t, "alice", "10.0.0.1", 1000 + i);
	}
	/* the account is locked from any address... */
	assert_false(throttle_allow(t, "alice", "10.0.0.2", 1010, &retry));
	assert_int_equal(retry, 50);
	/* ...until its window is over */
	assert_true(throttle_allow(t, "alice", "10.0.0.2", 1060, &retry));
	throttle_free(t);
}

/* An address fails THROTTLE_ADDRESS_FACTOR times the account limit before
 * it is locked, whichever accounts it tried. */
static void
test_address_limit_spans_accounts(void **state)
{
	struct throttle *t = throttle_new(2, 60);
	int retry = 0;

	(void)state;
	throttle_fail(t, "a", "10.0.0.9", 5);
	throttle_fail(t, "b", "10.0.0.9", 5);
	assert_true(throttle_allow(t, "c", "10.0.0.9", 6, &retry));
	for (int i = 0; i < 8; i++)
		throttle_fail(t, "d", "10.0.0.9", 5);
	assert_false(throttle_allow(t, "c", "10.0.0.9", 6, &retry));
	assert_true(throttle_allow(t, "c", "10.0.0.8", 6, &retry));
	throttle_free(t);
}

static void
test_success_clears_the_account_only(void **state)
{
	struct throttle *t = throttle_new(2, 60);
	int retry = 0;

	(void)state;
	throttle_fail(t, "a", "10.0.0.1", 5);
	throttle_succeed(t, "a");
	throttle_fail(t, "a", "10.0.0.2", 6);
	assert_true(throttle_allow(t, "a", "10.0.0.3", 7, &retry));
	/* the address keeps its failure: nine more lock it */
	for (int i = 0; i < 9; i++)
		throttle_fail(t, "x", "10.0.0.1", 8);
	assert_false(throttle_allow(t, "y", "10.0.0.1", 9, &retry));
	throttle_succeed(t, "never-seen");
	throttle_free(t);
}

/* Many distinct keys cannot grow memory: old entries give way, and the
 * newest failures still count. */
static void
test_table_is_bounded(void **state)
{
	struct throttle *t = throttle_new(1, 3600);
	char name[32];
	int retry = 0;

	(void)state;
	for (int i = 0; i < 100000; i++) {
		snprintf(name, sizeof name, "user%d", i);
		throttle_fail(t, name, "10.1.1.1", 100 + i);
	}
	assert_false(
	    throttle_allow(t, "user99999", "10.9.9.9", 100100, &retry));
	throttle_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_account_limit_and_window),
	    cmocka_unit_test(test_address_limit_spans_accounts),
	    cmocka_unit_test(test_success_clears_the_account_only),
	    cmocka_unit_test(test_table_is_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
