/*
 * A database outage under the real pingshend: with PostgreSQL stopped,
 * everything that needs it answers 503 database_unavailable (never a
 * wrong 401, never a 500) and what needs nothing still works; once
 * PostgreSQL is back, the very first request succeeds, without a restart
 * of the server and without retrying; the audit chain carries on intact,
 * and the server still exits cleanly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "harness.h"

static struct it_server *server;
static char *admin_token, *auditor_token;

static int
outage_setup(void **state)
{
	/* One failed login would throttle: the logins refused during the
	 * outage must not count as failures. */
	static const char *const args[] = {"--scrypt-log2-n=" IT_FAST_SCRYPT,
					   "--login-max-failures=1", NULL};

	(void)state;
	it_env_start();
	assert_int_equal(
	    it_create_admin(IT_ADMIN_NAME, IT_ADMIN_PASSWORD, IT_FAST_SCRYPT),
	    0);
	server = it_server_start(args);
	admin_token = it_login(IT_ADMIN_NAME, IT_ADMIN_PASSWORD);
	it_create_user(admin_token, "ursula", "auditor", "ursula-password");
	auditor_token = it_login("ursula", "ursula-password");
	return 0;
}

static int
outage_teardown(void **state)
{
	(void)state;
	free(admin_token);
	free(auditor_token);
	it_env_stop();
	return 0;
}

/* GET path with token; asserts the status and frees the answer. */
static void
outage_expect(const char *path, const char *token, long status)
{
	struct it_resp *r = it_get(path, token);

	if (status == 503)
		it_assert_error(r, 503, "database_unavailable");
	else
		it_assert_status(r, status);
	it_resp_free(r);
}

static void
test_database_down(void **state)
{
	struct it_resp *r;

	(void)state;
	outage_expect(V1 "/healthz", NULL, 200);
	outage_expect(V1 "/me", admin_token, 200);
	assert_int_equal(it_pg_local("stop"), 0);

	outage_expect(V1 "/me", admin_token, 503);
	outage_expect(V1 "/healthz", NULL, 503);
	outage_expect(V1 "/audit/head", auditor_token, 503);
	/* A login cannot be checked, which is not a wrong password. */
	r = it_send_json("POST", V1 "/sessions", NULL,
			 json_pack("{s:s, s:s}", "username", IT_ADMIN_NAME,
				   "password", IT_ADMIN_PASSWORD));
	it_assert_error(r, 503, "database_unavailable");
	it_resp_free(r);
	r = it_send_json("POST", V1 "/users", admin_token,
			 json_pack("{s:s, s:s, s:s}", "username", "victor",
				   "role", "expert", "password",
				   "victor-password"));
	it_assert_error(r, 503, "database_unavailable");
	it_resp_free(r);
	/* What needs no database still answers. */
	r = it_get(V1 "/metrics", NULL);
	it_assert_status(r, 200);
	assert_non_null(
	    strstr(r->body, "\npingshen_db_connect_failures_total "));
	it_resp_free(r);
}

static void
test_database_back(void **state)
{
	struct it_resp *r;
	char *token;

	(void)state;
	assert_int_equal(it_pg_local("start"), 0);
	/* The first request after the restart, exactly once: the pool
	 * tries a connection at once when a lease finds them all down. */
	outage_expect(V1 "/me", admin_token, 200);
	outage_expect(V1 "/healthz", NULL, 200);
	/* The refused login did not count as a failure (one would
	 * throttle), and the write refused during the outage was not
	 * half-done. */
	token = it_login(IT_ADMIN_NAME, IT_ADMIN_PASSWORD);
	free(token);
	assert_int_equal(it_db_long("SELECT count(*) FROM users"
				    " WHERE username = 'victor'"),
			 0);
	r = it_send_json("POST", V1 "/users", admin_token,
			 json_pack("{s:s, s:s, s:s}", "username", "victor",
				   "role", "expert", "password",
				   "victor-password"));
	it_assert_status(r, 201);
	it_resp_free(r);
}

/* The sequencer carried on: every entry, before and after, is in one
 * chain that recomputes to the head. */
static void
test_audit_intact(void **state)
{
	struct it_resp *r;
	char last[65], why[200];
	json_t *all;

	(void)state;
	r = it_get(V1 "/audit/head", auditor_token);
	it_assert_status(r, 200);
	all = it_audit_all(auditor_token, 1000);
	assert_int_equal(json_integer_value(json_object_get(r->json, "size")),
			 (json_int_t)json_array_size(all));
	assert_int_equal(it_db_long("SELECT count(*) FROM audit_log"),
			 (long long)json_array_size(all));
	if (!it_audit_verify(all, last, why, sizeof why))
		fail_msg("the chain does not verify: %s", why);
	assert_string_equal(
	    last, json_string_value(json_object_get(r->json, "hash")));
	json_decref(all);
	it_resp_free(r);
}

/*
 * A database that could lose acknowledged writes is refused at start-up:
 * synchronous_commit off for the server's own connection (any session may
 * set it) makes pingshend stop with a message naming the setting.
 */
static void
test_refuses_unsafe_database(void **state)
{
	char cmd[2048], out[4096];
	size_t len;
	FILE *p;
	int status;

	(void)state;
	snprintf(
	    cmd, sizeof cmd,
	    "'%s' --migrate --db \"%s options='-c synchronous_commit=off'\""
	    " 2>&1",
	    IT_PINGSHEND, it_conninfo());
	p = popen(cmd, "r");
	assert_non_null(p);
	len = fread(out, 1, sizeof out - 1, p);
	out[len] = '\0';
	status = pclose(p);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 1);
	assert_non_null(strstr(out, "synchronous_commit = off"));
	/* the same database with the setting on is fine */
	snprintf(cmd, sizeof cmd, "'%s' --migrate --db \"%s\" >/dev/null 2>&1",
		 IT_PINGSHEND, it_conninfo());
	status = system(cmd);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* Last: a clean exit after the outage, which under AddressSanitizer also
 * means no leak. */
static void
test_stop_clean(void **state)
{
	(void)state;
	assert_int_equal(it_server_stop(server), 0);
	server = NULL;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_database_down),
	    cmocka_unit_test(test_database_back),
	    cmocka_unit_test(test_audit_intact),
	    cmocka_unit_test(test_refuses_unsafe_database),
	    cmocka_unit_test(test_stop_clean),
	};

	return cmocka_run_group_tests(tests, outage_setup, outage_teardown);
}
