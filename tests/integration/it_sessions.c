/*
 * Sessions against the real pingshend: logging in and out, what ends a
 * session (logout, expiry, deactivation, a new password), answers that do
 * not tell whether an account exists, login throttling, and scrypt running
 * off the event loop (a health check overtakes a login in progress).
 */
#define _GNU_SOURCE /* strptime, timegm */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "harness.h"

/* A lifetime of our choosing, to see that expires_at follows it. */
#define SESSIONS_TTL_S 3600

static struct it_server *server;
static char *admin_token;

static int
sessions_setup(void **state)
{
	static const char *const args[] = {"--scrypt-log2-n=" IT_FAST_SCRYPT,
					   "--login-max-failures=1000",
					   "--session-ttl-s=3600", NULL};

	(void)state;
	it_env_start();
	/* The administrator's hash has the default (OWASP) cost: the
	 * ordering test needs a login that takes real scrypt time. */
	assert_int_equal(
	    it_create_admin(IT_ADMIN_NAME, IT_ADMIN_PASSWORD, "17"), 0);
	server = it_server_start(args);
	admin_token = it_login(IT_ADMIN_NAME, IT_ADMIN_PASSWORD);
	return 0;
}

static int
sessions_teardown(void **state)
{
	(void)state;
	free(admin_token);
	it_env_stop();
	return 0;
}

/* POST /sessions with this username and password. */
static struct it_resp *
sessions_try(const char *username, const char *password)
{
	return it_send_json("POST", V1 "/sessions", NULL,
			    json_pack("{s:s, s:s}", "username", username,
				      "password", password));
}

/* The SHA-256 of a token in hex: what the sessions table holds. */
static void
sessions_token_hash(const char *token, char out[65])
{
	unsigned char md[32];
	unsigned int len = 0;

	assert_int_equal(
	    EVP_Digest(token, strlen(token), md, &len, EVP_sha256(), NULL), 1);
	assert_int_equal(len, 32);
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* Sessions of the user called username, from the database. */
static long long
sessions_of(const char *username)
{
	char sql[200];

	snprintf(sql, sizeof sql,
		 "SELECT count(*) FROM sessions s JOIN users u"
		 " ON u.id = s.user_id WHERE u.username = '%s'",
		 username);
	return it_db_long(sql);
}

/* Asserts the token opens nothing (any more). */
static void
sessions_assert_dead(const char *token)
{
	struct it_resp *r = it_get(V1 "/me", token);

	it_assert_error(r, 401, "unauthorized");
	it_resp_free(r);
}

/* PATCH /users/{id} as the administrator with body; asserts 200. */
static void
sessions_patch(long long id, const char *body)
{
	char path[64];
	struct it_resp *r;

	snprintf(path, sizeof path, V1 "/users/%lld", id);
	r = it_send("PATCH", path, admin_token, body);
	it_assert_status(r, 200);
	it_resp_free(r);
}

static void
test_login(void **state)
{
	static const char *const keys[] = {
	    "id",	    "username", "display_name", "role",
	    "organization", "active",	"version",	NULL};
	struct it_resp *r, *me;
	json_t *user, *token;
	char hash[65], sql[200];
	struct tm tm = {0};
	long long id, expires;
	char *other, *end;

	(void)state;
	r = it_send_json("POST", V1 "/users", admin_token,
			 json_pack("{s:s, s:s, s:s, s:s, s:s}", "username",
				   "alice", "display_name", "Alice Liu", "role",
				   "expert", "organization", "Org A",
				   "password", "alice-password"));
	it_assert_status(r, 201);
	id = json_integer_value(json_object_get(r->json, "id"));
	it_resp_free(r);

	r = sessions_try("alice", "alice-password");
	it_assert_status(r, 201);
	assert_int_equal(json_object_size(r->json), 3);
	/* 256 bits in base64url without padding. */
	token = json_object_get(r->json, "token");
	assert_true(json_is_string(token));
	assert_int_equal(json_string_length(token), 43);
	assert_int_equal(
	    strspn(json_string_value(token),
		   "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstu"
		   "vwxyz0123456789-_"),
	    43);
	/* expires_at is RFC 3339 UTC, the configured lifetime from now. */
	end =
	    strptime(json_string_value(json_object_get(r->json, "expires_at")),
		     "%Y-%m-%dT%H:%M:%SZ", &tm);
	assert_non_null(end);
	assert_int_equal(*end, '\0');
	expires = (long long)timegm(&tm);
	assert_true(expires >= (long long)time(NULL) + SESSIONS_TTL_S - 60);
	assert_true(expires <= (long long)time(NULL) + SESSIONS_TTL_S + 60);
	user = json_object_get(r->json, "user");
	for (size_t i = 0; keys[i] != NULL; i++)
		assert_non_null(json_object_get(user, keys[i]));
	assert_int_equal(json_object_size(user), 7);
	assert_int_equal(json_integer_value(json_object_get(user, "id")), id);
	assert_string_equal(
	    json_string_value(json_object_get(user, "username")), "alice");
	assert_string_equal(
	    json_string_value(json_object_get(user, "display_name")),
	    "Alice Liu");
	assert_string_equal(json_string_value(json_object_get(user, "role")),
			    "expert");
	assert_string_equal(
	    json_string_value(json_object_get(user, "organization")), "Org A");
	assert_true(json_is_true(json_object_get(user, "active")));

	/* The database keeps the token's hash, never the token. */
	sessions_token_hash(json_string_value(token), hash);
	snprintf(sql, sizeof sql,
		 "SELECT count(*) FROM sessions WHERE token_hash = '%s'"
		 " AND user_id = %lld",
		 hash, id);
	assert_int_equal(it_db_long(sql), 1);
	snprintf(sql, sizeof sql,
		 "SELECT count(*) FROM sessions WHERE token_hash = '%s'",
		 json_string_value(token));
	assert_int_equal(it_db_long(sql), 0);

	/* The token opens GET /me, which shows the same user. */
	me = it_get(V1 "/me", json_string_value(token));
	it_assert_status(me, 200);
	assert_true(json_equal(me->json, user));
	it_resp_free(me);

	/* A second login is a second session with another token. */
	other = it_login("alice", "alice-password");
	assert_string_not_equal(other, json_string_value(token));
	assert_int_equal(sessions_of("alice"), 2);
	free(other);
	it_resp_free(r);
}

/* The header lines of r except those that differ on every answer. */
static void
sessions_assert_same_headers(const struct it_resp *a, const struct it_resp *b)
{
	size_t ia = 0, ib = 0;

	for (;;) {
		while (ia < a->n_headers &&
		       (strncasecmp(a->headers[ia], "X-Request-Id:", 13) == 0 ||
			strncasecmp(a->headers[ia], "Date:", 5) == 0))
			ia++;
		while (ib < b->n_headers &&
		       (strncasecmp(b->headers[ib], "X-Request-Id:", 13) == 0 ||
			strncasecmp(b->headers[ib], "Date:", 5) == 0))
			ib++;
		if (ia == a->n_headers || ib == b->n_headers)
			break;
		assert_string_equal(a->headers[ia], b->headers[ib]);
		ia++;
		ib++;
	}
	assert_int_equal(ia, a->n_headers);
	assert_int_equal(ib, b->n_headers);
}

/* Wrong password, unknown user, deactivated user: one indistinguishable
 * answer, and nothing written. */
static void
test_bad_credentials_identical(void **state)
{
	struct it_resp *wrong, *unknown, *inactive;
	struct it_snapshot before;
	long long off;

	(void)state;
	it_create_user(admin_token, "bob", "expert", "bob-password");
	off = it_create_user(admin_token, "bob-off", "expert", "bob-password");
	sessions_patch(off, "{\"active\":false}");

	it_snapshot(&before);
	wrong = sessions_try("bob", "not-bobs-password");
	unknown = sessions_try("nobody-here", "not-bobs-password");
	inactive = sessions_try("bob-off", "bob-password");
	it_assert_error(wrong, 401, "bad_credentials");
	assert_int_equal(unknown->status, wrong->status);
	assert_int_equal(inactive->status, wrong->status);
	assert_int_equal(unknown->body_len, wrong->body_len);
	assert_memory_equal(unknown->body, wrong->body, wrong->body_len);
	assert_int_equal(inactive->body_len, wrong->body_len);
	assert_memory_equal(inactive->body, wrong->body, wrong->body_len);
	sessions_assert_same_headers(wrong, unknown);
	sessions_assert_same_headers(wrong, inactive);
	assert_null(it_header(wrong, "Retry-After"));
	it_resp_free(wrong);
	it_resp_free(unknown);
	it_resp_free(inactive);
	it_assert_unchanged(&before, "failed logins");
}

static void
test_logout(void **state)
{
	char *first, *second;
	struct it_resp *r;

	(void)state;
	it_create_user(admin_token, "carol", "secretary", "carol-password");
	first = it_login("carol", "carol-password");
	second = it_login("carol", "carol-password");
	assert_int_equal(sessions_of("carol"), 2);

	r = it_delete(V1 "/sessions/current", first);
	it_assert_status(r, 204);
	assert_int_equal(r->body_len, 0);
	it_resp_free(r);
	sessions_assert_dead(first);
	r = it_delete(V1 "/sessions/current", first);
	it_assert_error(r, 401, "unauthorized");
	it_resp_free(r);
	/* Only the current session ended. */
	assert_int_equal(sessions_of("carol"), 1);
	r = it_get(V1 "/me", second);
	it_assert_status(r, 200);
	it_resp_free(r);
	free(first);
	free(second);
}

static void
test_expired_token(void **state)
{
	char hash[65], sql[200];
	char *token;
	struct it_resp *r;

	(void)state;
	it_create_user(admin_token, "dave", "expert", "dave-password");
	token = it_login("dave", "dave-password");
	r = it_get(V1 "/me", token);
	it_assert_status(r, 200);
	it_resp_free(r);
	sessions_token_hash(token, hash);
	snprintf(sql, sizeof sql,
		 "UPDATE sessions SET expires_at = now() - interval '1 second'"
		 " WHERE token_hash = '%s'",
		 hash);
	assert_int_equal(it_db_command(sql), 1);
	sessions_assert_dead(token);
	free(token);
}

static void
test_deactivated_user(void **state)
{
	char *a, *b, *again;
	struct it_resp *r, *wrong;
	long long id;

	(void)state;
	id = it_create_user(admin_token, "erin", "expert", "erin-password");
	a = it_login("erin", "erin-password");
	b = it_login("erin", "erin-password");
	sessions_patch(id, "{\"active\":false}");
	sessions_assert_dead(a);
	sessions_assert_dead(b);
	assert_int_equal(sessions_of("erin"), 0);
	/* The right password no longer logs in, and says no more than a
	 * wrong one. */
	r = sessions_try("erin", "erin-password");
	wrong = sessions_try("erin", "wrong-password");
	it_assert_error(r, 401, "bad_credentials");
	assert_string_equal(r->body, wrong->body);
	it_resp_free(r);
	it_resp_free(wrong);
	/* Back on, the account logs in again (the old sessions stay
	 * ended). */
	sessions_patch(id, "{\"active\":true}");
	again = it_login("erin", "erin-password");
	sessions_assert_dead(a);
	free(again);
	free(a);
	free(b);
}

static void
test_password_change(void **state)
{
	struct it_resp *r;
	char *token, *fresh;
	long long id;

	(void)state;
	id = it_create_user(admin_token, "frank", "auditor", "frank-password");
	token = it_login("frank", "frank-password");
	sessions_patch(id, "{\"password\":\"frank-new-password\"}");
	sessions_assert_dead(token);
	r = sessions_try("frank", "frank-password");
	it_assert_error(r, 401, "bad_credentials");
	it_resp_free(r);
	fresh = it_login("frank", "frank-new-password");
	/* The administrator's own session was not touched. */
	r = it_get(V1 "/me", admin_token);
	it_assert_status(r, 200);
	it_resp_free(r);
	free(token);
	free(fresh);
}

/* An answer that holds a token is never stored for replay. */
static void
test_login_not_replayed(void **state)
{
	static const char *const key[] = {"Idempotency-Key: login-1", NULL};
	static const char body[] =
	    "{\"username\":\"alice\",\"password\":\"alice-password\"}";
	struct it_resp *a, *b;
	long long keys = it_db_long("SELECT count(*) FROM idempotency_keys");

	(void)state;
	a = it_do(&(struct it_req){.method = "POST",
				   .path = V1 "/sessions",
				   .headers = key,
				   .body = body});
	b = it_do(&(struct it_req){.method = "POST",
				   .path = V1 "/sessions",
				   .headers = key,
				   .body = body});
	it_assert_status(a, 201);
	it_assert_status(b, 201);
	assert_null(it_header(b, "Idempotent-Replayed"));
	assert_string_not_equal(
	    json_string_value(json_object_get(a->json, "token")),
	    json_string_value(json_object_get(b->json, "token")));
	assert_int_equal(it_db_long("SELECT count(*) FROM idempotency_keys"),
			 keys);
	it_resp_free(a);
	it_resp_free(b);
}

/* libcurl's progress callback: notes when the request body is all sent. */
static int
sessions_on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow,
		     curl_off_t ultotal, curl_off_t ulnow)
{
	bool *sent = arg;

	(void)dltotal;
	(void)dlnow;
	if (ultotal > 0 && ulnow == ultotal)
		*sent = true;
	return 0;
}

/*
 * scrypt runs on the worker pool, not on the event loop: while a login at
 * the default cost is hashing, health checks on other connections are
 * answered.  Ordering, not time: every health check, sent one after the
 * other once the login was on the wire, completes before the login.
 */
#define SESSIONS_CHECKS 3

static void
test_scrypt_off_loop(void **state)
{
	static const char body[] = "{\"username\":\"" IT_ADMIN_NAME
				   "\",\"password\":\"" IT_ADMIN_PASSWORD "\"}";
	struct it_resp *login = it_resp_new(), *checks[SESSIONS_CHECKS];
	CURL *login_easy, *check_easy = NULL;
	CURLM *multi = curl_multi_init();
	int order[SESSIONS_CHECKS + 1], n_done = 0, n_checks = 0, running;
	bool sent = false, login_done = false;

	(void)state;
	login_easy = it_easy_new(&(struct it_req){.method = "POST",
						  .path = V1 "/sessions",
						  .body = body},
				 login);
	curl_easy_setopt(login_easy, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(login_easy, CURLOPT_XFERINFOFUNCTION,
			 sessions_on_progress);
	curl_easy_setopt(login_easy, CURLOPT_XFERINFODATA, &sent);
	curl_multi_add_handle(multi, login_easy);
	/* Every transfer has its own 30 s limit, so this loop ends. */
	while (!login_done || n_checks < SESSIONS_CHECKS || check_easy) {
		CURLMsg *msg;
		int left;

		/* A login that ended unsent leaves nothing to order. */
		if (login_done && !sent)
			break;
		curl_multi_perform(multi, &running);
		while ((msg = curl_multi_info_read(multi, &left)) != NULL) {
			/* The message dies with the handle's removal: read
			 * it first. */
			CURL *done = msg->easy_handle;
			CURLcode code = msg->data.result;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_multi_remove_handle(multi, done);
			if (done == login_easy) {
				it_easy_done(done, login, code);
				/* Freed: a new handle may reuse the address. */
				login_easy = NULL;
				login_done = true;
				order[n_done++] = -1;
			} else {
				it_easy_done(done, checks[n_checks - 1], code);
				check_easy = NULL;
				order[n_done++] = n_checks - 1;
			}
		}
		/* The next check goes out once the login is on the wire
		 * and the previous check is answered. */
		if (sent && check_easy == NULL && n_checks < SESSIONS_CHECKS) {
			checks[n_checks] = it_resp_new();
			check_easy =
			    it_easy_new(&(struct it_req){.path = V1 "/healthz"},
					checks[n_checks++]);
			curl_easy_setopt(check_easy, CURLOPT_FRESH_CONNECT, 1L);
			curl_multi_add_handle(multi, check_easy);
			continue;
		}
		if (!login_done || check_easy != NULL)
			curl_multi_poll(multi, NULL, 0, 1000, NULL);
	}
	curl_multi_cleanup(multi);

	it_assert_status(login, 201);
	assert_int_equal(n_done, SESSIONS_CHECKS + 1);
	for (int i = 0; i < SESSIONS_CHECKS; i++) {
		it_assert_status(checks[i], 200);
		/* The checks were answered in turn, the login last. */
		assert_int_equal(order[i], i);
		it_resp_free(checks[i]);
	}
	assert_int_equal(order[SESSIONS_CHECKS], -1);
	it_resp_free(login);
}

/*
 * A server of its own, allowing 3 failures per account in 10 minutes:
 * after 3 wrong passwords the account is refused even with the right one,
 * while another account from the same address still gets in; the address
 * itself is refused after five times as many failures, whatever the names.
 */
static void
test_throttling(void **state)
{
	static const char *const args[] = {"--scrypt-log2-n=" IT_FAST_SCRYPT,
					   "--login-max-failures=3",
					   "--login-window-s=600", NULL};
	struct it_server *strict;
	struct it_snapshot before;
	struct it_resp *r;
	char *token;
	int retry;

	(void)state;
	it_create_user(admin_token, "grace", "expert", "grace-password");
	it_create_user(admin_token, "heidi", "expert", "heidi-password");
	strict = it_server_start(args);
	it_snapshot(&before);
	for (int i = 0; i < 3; i++) {
		r = sessions_try("grace", "wrong-password");
		it_assert_error(r, 401, "bad_credentials");
		it_resp_free(r);
	}
	r = sessions_try("grace", "grace-password");
	it_assert_error(r, 429, "too_many_requests");
	assert_non_null(it_header(r, "Retry-After"));
	retry = atoi(it_header(r, "Retry-After"));
	assert_true(retry >= 1 && retry <= 600);
	it_resp_free(r);
	it_assert_unchanged(&before, "throttled logins");
	/* One person's typos do not lock out the address. */
	token = it_login("heidi", "heidi-password");
	free(token);
	/* 3 failures so far from this address; 12 more reach 5 x 3, with
	 * names that do not exist. */
	for (int i = 0; i < 12; i++) {
		char name[32];

		snprintf(name, sizeof name, "nobody-%d", i);
		r = sessions_try(name, "whatever-password");
		it_assert_error(r, 401, "bad_credentials");
		it_resp_free(r);
	}
	r = sessions_try("heidi", "heidi-password");
	it_assert_error(r, 429, "too_many_requests");
	assert_non_null(it_header(r, "Retry-After"));
	it_resp_free(r);
	assert_int_equal(it_server_stop(strict), 0);

	/* The counters live in that server: this one lets grace in. */
	it_server_use(server);
	token = it_login("grace", "grace-password");
	free(token);
}

/* Last: a clean exit, which under AddressSanitizer also means no leak. */
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
	    cmocka_unit_test(test_login),
	    cmocka_unit_test(test_bad_credentials_identical),
	    cmocka_unit_test(test_logout),
	    cmocka_unit_test(test_expired_token),
	    cmocka_unit_test(test_deactivated_user),
	    cmocka_unit_test(test_password_change),
	    cmocka_unit_test(test_login_not_replayed),
	    cmocka_unit_test(test_scrypt_off_loop),
	    cmocka_unit_test(test_throttling),
	    cmocka_unit_test(test_stop_clean),
	};

	return cmocka_run_group_tests(tests, sessions_setup, sessions_teardown);
}
