/*
 * The audit chain's hash, against vectors computed independently (Python:
 * hashlib.sha256 over the previous hash's bytes and json.dumps with
 * sort_keys, separators (",", ":") and ensure_ascii off), so the
 * documented format, not just this implementation, is what is pinned.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "audit.h"

static json_t *
entry_one(void)
{
	return json_pack(
	    "{s:i, s:s, s:{s:n, s:n, s:n}, s:s, s:n, s:n, s:s, s:i,"
	    " s:{s:s, s:s}, s:n, s:n}",
	    "seq", 1, "at", "2026-01-01T00:00:00.000000Z", "actor", "id",
	    "username", "role", "action", "user.create", "evaluation_id",
	    "meeting_id", "object_type", "user", "object_id", 1, "details",
	    "username", "评审", "via", "pingshend --create-admin", "request_id",
	    "client");
}

static void
test_first_and_second_link(void **state)
{
	json_t *e1 = entry_one(), *e2 = json_copy(e1);
	char h1[AUDIT_HASH_HEX + 1], h2[AUDIT_HASH_HEX + 1];

	(void)state;
	assert_true(audit_chain_hash("", e1, h1));
	assert_string_equal(
	    h1,
	    "2cafa079a5498fd8e2cebd9bea16589257b1f6f9062f88e499e4f1935fa20e5e");
	json_object_set_new(e2, "seq", json_integer(2));
	json_object_set_new(e2, "action", json_string("session.create"));
	json_object_set_new(e2, "actor",
			    json_pack("{s:i, s:s, s:s}", "id", 1, "username",
				      "admin", "role", "admin"));
	json_object_set_new(e2, "details", json_object());
	json_object_set_new(e2, "client", json_string("127.0.0.1"));
	json_object_set_new(e2, "request_id", json_string("00ff"));
	/* A "hash" member is not part of what is hashed. */
	json_object_set_new(e2, "hash", json_string("ignored"));
	assert_true(audit_chain_hash(h1, e2, h2));
	assert_string_equal(
	    h2,
	    "7d6594cde461952c2cba3a384ede5c2cd9b5febe5b611f587d156826f64d29d3");
	json_decref(e1);
	json_decref(e2);
}

static void
test_any_change_changes_the_hash(void **state)
{
	json_t *e = entry_one();
	char a[AUDIT_HASH_HEX + 1], b[AUDIT_HASH_HEX + 1];

	(void)state;
	assert_true(audit_chain_hash("", e, a));
	json_object_set_new(json_object_get(e, "details"), "username",
			    json_string("评审2"));
	assert_true(audit_chain_hash("", e, b));
	assert_string_not_equal(a, b);
	json_decref(e);
}

static void
test_malformed_previous_hash(void **state)
{
	json_t *e = entry_one();
	char out[AUDIT_HASH_HEX + 1];

	(void)state;
	assert_false(audit_chain_hash("abc", e, out));
	assert_false(audit_chain_hash(
	    "zzafa079a5498fd8e2cebd9bea16589257b1f6f9062f88e499e4f1935fa20e5e",
	    e, out));
	json_decref(e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_first_and_second_link),
	    cmocka_unit_test(test_any_change_changes_the_hash),
	    cmocka_unit_test(test_malformed_previous_hash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
