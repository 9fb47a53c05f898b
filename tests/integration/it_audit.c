/*
 * The audit log of the real pingshend: one entry per write with the right
 * actor and object, a dense sequence whose hash chain recomputes (by our own
 * verifier, from API.md) to GET /audit/head, tampering detected, the
 * database refusing to rewrite history, Idempotency-Key replays that write
 * nothing twice, and the filters and pagination of GET /audit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

static struct it_server *server;
static char *admin_token, *auditor_token;
static long long auditor_id;

static int
audit_setup(void **state)
{
	static const char *const args[] = {"--scrypt-log2-n=" IT_FAST_SCRYPT,
					   "--login-max-failures=1000", NULL};

	(void)state;
	it_env_start();
	assert_int_equal(
	    it_create_admin(IT_ADMIN_NAME, IT_ADMIN_PASSWORD, IT_FAST_SCRYPT),
	    0);
	server = it_server_start(args);
	admin_token = it_login(IT_ADMIN_NAME, IT_ADMIN_PASSWORD);
	auditor_id =
	    it_create_user(admin_token, "olga", "auditor", "auditor-password");
	auditor_token = it_login("olga", "auditor-password");
	return 0;
}

static int
audit_teardown(void **state)
{
	(void)state;
	free(admin_token);
	free(auditor_token);
	it_env_stop();
	return 0;
}

/* GET /audit/head: the size, and the hash into hash (65 bytes). */
static long long
audit_head(char hash[65])
{
	struct it_resp *r = it_get(V1 "/audit/head", auditor_token);
	json_t *size, *h;
	long long n;

	it_assert_status(r, 200);
	assert_int_equal(json_object_size(r->json), 3);
	size = json_object_get(r->json, "size");
	h = json_object_get(r->json, "hash");
	assert_true(json_is_integer(size));
	assert_true(json_is_string(h));
	assert_true(json_is_string(json_object_get(r->json, "at")));
	snprintf(hash, 65, "%s", json_string_value(h));
	n = json_integer_value(size);
	it_resp_free(r);
	return n;
}

/* The entries after seq `after`, as GET /audit returns them. */
static json_t *
audit_since(long long after)
{
	char path[128];
	struct it_resp *r;
	json_t *items;

	snprintf(path, sizeof path, V1 "/audit?after=%lld", after);
	r = it_get(path, auditor_token);
	it_assert_status(r, 200);
	items = json_incref(json_object_get(r->json, "items"));
	assert_true(json_is_array(items));
	it_resp_free(r);
	return items;
}

/*
 * Fails unless the one entry that appeared since `before` is this
 * action by this actor (id 0: none) on this user, under the request id the
 * client saw, and GET /audit/head and the database both grew by one.
 */
static void
audit_assert_one(long long before, const char *action, long long actor,
		 long long object, const char *request_id)
{
	char hash[65];
	json_t *items = audit_since(before), *e, *who;
	long long size = audit_head(hash);

	assert_int_equal(size, before + 1);
	assert_int_equal(it_db_long("SELECT count(*) FROM audit_log"), size);
	assert_int_equal(json_array_size(items), 1);
	e = json_array_get(items, 0);
	assert_int_equal(json_integer_value(json_object_get(e, "seq")), size);
	assert_string_equal(json_string_value(json_object_get(e, "action")),
			    action);
	who = json_object_get(e, "actor");
	assert_true(json_is_object(who));
	if (actor == 0) {
		assert_true(json_is_null(json_object_get(who, "id")));
	} else {
		assert_int_equal(json_integer_value(json_object_get(who, "id")),
				 actor);
		assert_true(json_is_string(json_object_get(who, "username")));
		assert_true(json_is_string(json_object_get(who, "role")));
	}
	assert_string_equal(
	    json_string_value(json_object_get(e, "object_type")), "user");
	assert_int_equal(json_integer_value(json_object_get(e, "object_id")),
			 object);
	assert_true(json_is_null(json_object_get(e, "evaluation_id")));
	assert_true(json_is_null(json_object_get(e, "meeting_id")));
	assert_true(json_is_object(json_object_get(e, "details")));
	assert_string_equal(json_string_value(json_object_get(e, "request_id")),
			    request_id);
	assert_string_equal(json_string_value(json_object_get(e, "client")),
			    "127.0.0.1");
	assert_string_equal(json_string_value(json_object_get(e, "hash")),
			    hash);
	json_decref(items);
}

/* Fails unless the details of the newest entry equal want (stolen). */
static void
audit_assert_last_details(json_t *want)
{
	char hash[65];
	json_t *items = audit_since(audit_head(hash) - 1), *d;

	assert_int_equal(json_array_size(items), 1);
	d = json_object_get(json_array_get(items, 0), "details");
	if (!json_equal(d, want)) {
		char *text = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS);

		print_error("details %s\n", text ? text : "?");
		free(text);
		fail();
	}
	json_decref(want);
	json_decref(items);
}

static void
test_one_entry_per_write(void **state)
{
	char hash[65], path[64], id[32];
	struct it_resp *r;
	long long before, user;
	char *token;

	(void)state;
	/* An account. */
	before = audit_head(hash);
	r = it_send_json("POST", V1 "/users", admin_token,
			 json_pack("{s:s, s:s, s:s, s:s}", "username", "pavel",
				   "role", "expert", "organization", "Org P",
				   "password", "pavel-password"));
	it_assert_status(r, 201);
	user = json_integer_value(json_object_get(r->json, "id"));
	snprintf(id, sizeof id, "%s", it_header(r, "X-Request-Id"));
	it_resp_free(r);
	audit_assert_one(before, "user.create", 1, user, id);
	audit_assert_last_details(json_pack("{s:s, s:s, s:s}", "username",
					    "pavel", "role", "expert",
					    "organization", "Org P"));

	/* A login, by the account itself. */
	before = audit_head(hash);
	r = it_send_json("POST", V1 "/sessions", NULL,
			 json_pack("{s:s, s:s}", "username", "pavel",
				   "password", "pavel-password"));
	it_assert_status(r, 201);
	token = strdup(json_string_value(json_object_get(r->json, "token")));
	snprintf(id, sizeof id, "%s", it_header(r, "X-Request-Id"));
	it_resp_free(r);
	audit_assert_one(before, "session.create", user, user, id);

	/* A change of account, by the administrator. */
	before = audit_head(hash);
	snprintf(path, sizeof path, V1 "/users/%lld", user);
	r = it_send("PATCH", path, admin_token,
		    "{\"display_name\":\"Pavel P.\"}");
	it_assert_status(r, 200);
	snprintf(id, sizeof id, "%s", it_header(r, "X-Request-Id"));
	it_resp_free(r);
	audit_assert_one(before, "user.update", 1, user, id);
	audit_assert_last_details(
	    json_pack("{s:s}", "display_name", "Pavel P."));

	/* A logout, by the account. */
	before = audit_head(hash);
	r = it_delete(V1 "/sessions/current", token);
	it_assert_status(r, 204);
	snprintf(id, sizeof id, "%s", it_header(r, "X-Request-Id"));
	it_resp_free(r);
	audit_assert_one(before, "session.delete", user, user, id);
	free(token);

	/* A new password: recorded as changed, never the password. */
	before = audit_head(hash);
	r = it_send("PATCH", path, admin_token,
		    "{\"password\":\"pavel-new-password\"}");
	it_assert_status(r, 200);
	snprintf(id, sizeof id, "%s", it_header(r, "X-Request-Id"));
	it_resp_free(r);
	audit_assert_one(before, "user.update", 1, user, id);
	audit_assert_last_details(json_pack("{s:b}", "password_changed", 1));
	assert_int_equal(it_db_long("SELECT count(*) FROM audit_log WHERE"
				    " details::text LIKE '%pavel-new%'"),
			 0);

	/* Reads, refusals and failed logins write nothing. */
	before = audit_head(hash);
	it_resp_free(it_get(V1 "/me", admin_token));
	it_resp_free(it_get(V1 "/users", admin_token));
	r = it_send_json("POST", V1 "/users", admin_token,
			 json_pack("{s:s, s:s, s:s}", "username", "pavel",
				   "role", "expert", "password",
				   "pavel-password"));
	it_assert_error(r, 409, "username_taken");
	it_resp_free(r);
	r = it_send_json("POST", V1 "/sessions", NULL,
			 json_pack("{s:s, s:s}", "username", "pavel",
				   "password", "pavel-password"));
	it_assert_error(r, 401, "bad_credentials");
	it_resp_free(r);
	assert_int_equal(audit_head(hash), before);
	assert_int_equal(it_db_long("SELECT count(*) FROM audit_log"), before);
}

static void
test_chain(void **state)
{
	char hash[65], last[65], why[200];
	json_t *all, *first, *who;
	long long size;

	(void)state;
	all = it_audit_all(auditor_token, 1000);
	size = audit_head(hash);
	assert_int_equal((long long)json_array_size(all), size);
	assert_int_equal(it_db_long("SELECT count(*) FROM audit_log"), size);
	assert_int_equal(it_db_long("SELECT count(*) FROM audit_chain"), size);
	if (!it_audit_verify(all, last, why, sizeof why))
		fail_msg("the chain does not verify: %s", why);
	assert_string_equal(last, hash);

	/* The first entry is the administrator that --create-admin made,
	 * by nobody. */
	first = json_array_get(all, 0);
	assert_string_equal(json_string_value(json_object_get(first, "action")),
			    "user.create");
	who = json_object_get(first, "actor");
	assert_true(json_is_null(json_object_get(who, "id")));
	assert_true(json_is_null(json_object_get(who, "username")));
	assert_true(json_is_null(json_object_get(who, "role")));
	assert_int_equal(
	    json_integer_value(json_object_get(first, "object_id")), 1);
	assert_true(json_is_null(json_object_get(first, "request_id")));
	json_decref(all);
}

/* Fails unless verifying entries fails. */
static void
audit_assert_broken(json_t *entries, const char *what)
{
	char last[65], why[200];

	if (it_audit_verify(entries, last, why, sizeof why))
		fail_msg("the verifier missed: %s", what);
	print_message("%s: %s\n", what, why);
	json_decref(entries);
}

/* The verifier is only worth something if it notices a change. */
static void
test_tampering_detected(void **state)
{
	char last[65], why[200], forged[65];
	json_t *all, *t, *e;

	(void)state;
	all = it_audit_all(auditor_token, 1000);
	assert_true(json_array_size(all) >= 4);
	assert_true(it_audit_verify(all, last, why, sizeof why));

	t = json_deep_copy(all);
	e = json_array_get(t, 2);
	json_object_set_new(json_object_get(e, "actor"), "username",
			    json_string("mallory"));
	audit_assert_broken(t, "actor renamed");

	t = json_deep_copy(all);
	e = json_array_get(t, 1);
	json_object_set_new(e, "object_id", json_integer(999));
	audit_assert_broken(t, "object changed");

	t = json_deep_copy(all);
	e = json_array_get(t, json_array_size(t) - 1);
	json_object_set_new(e, "at",
			    json_string("2000-01-01T00:00:00.000000Z"));
	audit_assert_broken(t, "last entry's time changed");

	t = json_deep_copy(all);
	e = json_array_get(t, 0);
	json_object_set_new(json_object_get(e, "details"), "role",
			    json_string("auditor"));
	audit_assert_broken(t, "details changed");

	/* An entry removed from the middle. */
	t = json_deep_copy(all);
	json_array_remove(t, 1);
	audit_assert_broken(t, "entry removed");

	/* Two entries swapped, their seq numbers swapped back. */
	t = json_deep_copy(all);
	e = json_deep_copy(json_array_get(t, 1));
	json_array_set(t, 1, json_array_get(t, 2));
	json_array_set_new(t, 2, e);
	json_object_set_new(json_array_get(t, 1), "seq", json_integer(2));
	json_object_set_new(json_array_get(t, 2), "seq", json_integer(3));
	audit_assert_broken(t, "entries swapped");

	/* A forged entry that carries its own correct hash still breaks
	 * the next link, which covers the hash it replaced. */
	t = json_deep_copy(all);
	e = json_array_get(t, 1);
	json_object_set_new(e, "action", json_string("user.delete"));
	it_audit_hash(
	    json_string_value(json_object_get(json_array_get(t, 0), "hash")), e,
	    forged);
	json_object_set_new(e, "hash", json_string(forged));
	assert_false(it_audit_verify(t, last, why, sizeof why));
	assert_string_equal(why, "entry 3: the hash does not recompute");
	audit_assert_broken(t, "forged action");
	json_decref(all);
}

/* The database itself refuses to rewrite history, even to the server's
 * own role. */
static void
test_append_only(void **state)
{
	static const char *const refused[] = {
	    "UPDATE audit_log SET action = 'forged' WHERE id = 1",
	    "DELETE FROM audit_log WHERE id = 1",
	    "TRUNCATE audit_log CASCADE",
	    "UPDATE audit_chain SET hash = repeat('0', 64) WHERE seq = 1",
	    "DELETE FROM audit_chain WHERE seq = 1",
	    "TRUNCATE audit_chain",
	};
	char state_code[6], hash[65], last[65], why[200];
	long long size = audit_head(hash);
	json_t *all;

	(void)state;
	for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
		print_message("%s\n", refused[i]);
		/* insufficient_privilege, raised by the triggers. */
		assert_string_equal(it_db_sqlstate(refused[i], state_code),
				    "42501");
	}
	/* Plain TRUNCATE fails even earlier, on the chain's foreign key. */
	assert_string_not_equal(
	    it_db_sqlstate("TRUNCATE audit_log", state_code), "");
	assert_int_equal(it_db_long("SELECT count(*) FROM audit_log"), size);
	assert_int_equal(it_db_long("SELECT count(*) FROM audit_chain"), size);
	assert_int_equal(it_db_long("SELECT count(*) FROM audit_log"
				    " WHERE action = 'forged'"),
			 0);
	all = it_audit_all(auditor_token, 1000);
	assert_true(it_audit_verify(all, last, why, sizeof why));
	assert_string_equal(last, hash);
	json_decref(all);
}

/* POST /users with an Idempotency-Key. */
static struct it_resp *
audit_post_keyed(const char *token, const char *key, const char *body)
{
	char line[300];

	snprintf(line, sizeof line, "Idempotency-Key: %s", key);
	return it_do(
	    &(struct it_req){.method = "POST",
			     .path = V1 "/users",
			     .token = token,
			     .headers = (const char *const[]){line, NULL},
			     .body = body});
}

static void
test_idempotency(void **state)
{
	static const char body[] =
	    "{\"username\":\"quinn\",\"role\":\"expert\","
	    "\"password\":\"quinn-password\"}";
	/* The same JSON, written differently. */
	static const char same[] =
	    "{ \"password\" : \"quinn-password\", "
	    "\"role\":\"expert\", \"username\":\"quinn\" }";
	static const char other[] =
	    "{\"username\":\"quincy\",\"role\":"
	    "\"expert\",\"password\":\"quinn-password\"}";
	struct it_resp *first, *again, *reworded, *reused, *by_other;
	struct it_snapshot before, after;
	char hash[65], *admin2;
	long long size;

	(void)state;
	it_snapshot(&before);
	size = audit_head(hash);
	first = audit_post_keyed(admin_token, "create-quinn", body);
	it_assert_status(first, 201);
	assert_null(it_header(first, "Idempotent-Replayed"));
	it_snapshot(&after);
	assert_int_equal(after.users, before.users + 1);
	assert_int_equal(after.audit_log, before.audit_log + 1);
	assert_int_equal(after.idempotency_keys, before.idempotency_keys + 1);

	/* Replays: the first answer again, and nothing written. */
	again = audit_post_keyed(admin_token, "create-quinn", body);
	reworded = audit_post_keyed(admin_token, "create-quinn", same);
	it_assert_status(again, 201);
	it_assert_status(reworded, 201);
	assert_non_null(it_header(again, "Idempotent-Replayed"));
	assert_string_equal(it_header(again, "Idempotent-Replayed"), "true");
	assert_non_null(it_header(reworded, "Idempotent-Replayed"));
	assert_string_equal(again->body, first->body);
	assert_string_equal(reworded->body, first->body);
	it_assert_unchanged(&after, "a replay");
	assert_int_equal(it_db_long("SELECT count(*) FROM users"
				    " WHERE username = 'quinn'"),
			 1);
	assert_int_equal(audit_head(hash), size + 1);

	/* The key with another body: refused, nothing written. */
	reused = audit_post_keyed(admin_token, "create-quinn", other);
	it_assert_error(reused, 422, "idempotency_key_reused");
	it_assert_unchanged(&after, "a reused key");

	/* Keys belong to their user: another administrator's same key and
	 * body is a request of its own (and quinn exists). */
	it_create_user(admin_token, "root2", "admin", "root2-password");
	admin2 = it_login("root2", "root2-password");
	it_snapshot(&after);
	by_other = audit_post_keyed(admin2, "create-quinn", body);
	it_assert_error(by_other, 409, "username_taken");
	it_assert_unchanged(&after, "another user's key");

	it_resp_free(first);
	it_resp_free(again);
	it_resp_free(reworded);
	it_resp_free(reused);
	it_resp_free(by_other);
	free(admin2);
}

/* The same keyed request twice at once: one write, two equal answers,
 * one of them the replay. */
static void
test_idempotency_concurrent(void **state)
{
	static const char body[] = "{\"username\":\"rita\",\"role\":\"expert\","
				   "\"password\":\"rita-password\"}";
	static const char *const key[] = {"Idempotency-Key: create-rita", NULL};
	const struct it_req keyed = {.method = "POST",
				     .path = V1 "/users",
				     .token = admin_token,
				     .headers = key,
				     .body = body};
	struct it_resp *resp[2];
	CURL *easy[2];
	CURLM *multi = curl_multi_init();
	struct it_snapshot before, after;
	int running = 1, replayed = 0;
	CURLMsg *msg;
	int left;

	(void)state;
	it_snapshot(&before);
	for (int i = 0; i < 2; i++) {
		resp[i] = it_resp_new();
		easy[i] = it_easy_new(&keyed, resp[i]);
		curl_multi_add_handle(multi, easy[i]);
	}
	/* Each transfer has its own 30 s limit, so this ends. */
	while (running > 0) {
		curl_multi_perform(multi, &running);
		if (running > 0)
			curl_multi_poll(multi, NULL, 0, 1000, NULL);
	}
	while ((msg = curl_multi_info_read(multi, &left)) != NULL) {
		/* The message dies with the handle's removal: read it
		 * first. */
		CURL *done = msg->easy_handle;
		CURLcode code = msg->data.result;

		if (msg->msg != CURLMSG_DONE)
			continue;
		for (int i = 0; i < 2; i++) {
			if (done == easy[i]) {
				curl_multi_remove_handle(multi, done);
				it_easy_done(done, resp[i], code);
				easy[i] = NULL;
			}
		}
	}
	curl_multi_cleanup(multi);
	assert_null(easy[0]);
	assert_null(easy[1]);
	for (int i = 0; i < 2; i++) {
		it_assert_status(resp[i], 201);
		replayed += it_header(resp[i], "Idempotent-Replayed") != NULL;
	}
	assert_int_equal(replayed, 1);
	assert_string_equal(resp[0]->body, resp[1]->body);
	it_snapshot(&after);
	assert_int_equal(after.users, before.users + 1);
	assert_int_equal(after.audit_log, before.audit_log + 1);
	assert_int_equal(after.idempotency_keys, before.idempotency_keys + 1);
	it_resp_free(resp[0]);
	it_resp_free(resp[1]);
}

/* The entries of all whose member key (or key.sub) equals want (stolen),
 * as a new array. */
static json_t *
audit_select(const json_t *all, const char *key, const char *sub, json_t *want)
{
	json_t *out = json_array(), *e;
	size_t i;

	json_array_foreach(all, i, e)
	{
		json_t *v = json_object_get(e, key);

		if (sub != NULL)
			v = json_object_get(v, sub);
		if (json_equal(v, want))
			json_array_append(out, e);
	}
	json_decref(want);
	return out;
}

/* GET path (a filtered /audit) as one page of at most 1000. */
static json_t *
audit_page(const char *path)
{
	struct it_resp *r = it_get(path, auditor_token);
	json_t *items;

	it_assert_status(r, 200);
	assert_true(json_is_null(json_object_get(r->json, "next")));
	items = json_incref(json_object_get(r->json, "items"));
	it_resp_free(r);
	return items;
}

static void
test_filters_and_pages(void **state)
{
	json_t *all, *want, *got, *paged, *e;
	char path[256], at[64];
	size_t i, n_from = 0;

	(void)state;
	all = it_audit_all(auditor_token, 1000);
	assert_true(json_array_size(all) >= 8);

	want = audit_select(all, "action", NULL, json_string("user.create"));
	got = audit_page(V1 "/audit?action=user.create");
	assert_true(json_array_size(want) >= 2);
	assert_true(json_equal(got, want));
	json_decref(want);
	json_decref(got);

	want = audit_select(all, "actor", "id", json_integer(auditor_id));
	snprintf(path, sizeof path, V1 "/audit?actor_id=%lld", auditor_id);
	got = audit_page(path);
	assert_true(json_array_size(want) >= 1);
	assert_true(json_equal(got, want));
	json_decref(want);
	json_decref(got);

	/* Nothing belongs to an evaluation yet. */
	got = audit_page(V1 "/audit?evaluation_id=1");
	assert_int_equal(json_array_size(got), 0);
	json_decref(got);

	/* from is inclusive, to exclusive. */
	snprintf(
	    at, sizeof at, "%s",
	    json_string_value(json_object_get(json_array_get(all, 3), "at")));
	snprintf(path, sizeof path, V1 "/audit?from=%s", at);
	got = audit_page(path);
	json_array_foreach(all, i, e)
	{
		if (strcmp(json_string_value(json_object_get(e, "at")), at) >=
		    0)
			n_from++;
	}
	assert_int_equal(json_array_size(got), n_from);
	json_decref(got);
	snprintf(path, sizeof path, V1 "/audit?to=%s", at);
	got = audit_page(path);
	assert_int_equal(json_array_size(got), json_array_size(all) - n_from);
	json_decref(got);

	/* Pages of 1, 2 and 3 walk every entry exactly once, in order. */
	for (int size = 1; size <= 3; size++) {
		paged = it_audit_all(auditor_token, size);
		assert_true(json_equal(paged, all));
		json_decref(paged);
	}
	json_decref(all);
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
	    cmocka_unit_test(test_one_entry_per_write),
	    cmocka_unit_test(test_chain),
	    cmocka_unit_test(test_tampering_detected),
	    cmocka_unit_test(test_append_only),
	    cmocka_unit_test(test_idempotency),
	    cmocka_unit_test(test_idempotency_concurrent),
	    cmocka_unit_test(test_filters_and_pages),
	    cmocka_unit_test(test_stop_clean),
	};

	return cmocka_run_group_tests(tests, audit_setup, audit_teardown);
}
