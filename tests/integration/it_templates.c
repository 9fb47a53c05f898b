/*
 * Saved templates on the real pingshend: POST /templates from a finalized
 * evaluation (its own secretary only, not before it is finalized, no id
 * taken twice nor a built-in's), GET /templates listing it after the
 * built-ins, GET /templates/{id} serving it like a built-in, and
 * POST /evaluations starting from it at `scoring` with the same table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

#define PASSWORD "templates-password-1"
#define N_LEAVES 16

static struct it_server *server;
static char *admin_token, *sec_token, *sec2_token, *expert_token, *aud_token;
static long long expert_id;

static int
tpl_setup(void **state)
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
	it_create_user(admin_token, "sec", "secretary", PASSWORD);
	it_create_user(admin_token, "sec2", "secretary", PASSWORD);
	expert_id = it_create_user(admin_token, "expert", "expert", PASSWORD);
	it_create_user(admin_token, "aud", "auditor", PASSWORD);
	sec_token = it_login("sec", PASSWORD);
	sec2_token = it_login("sec2", PASSWORD);
	expert_token = it_login("expert", PASSWORD);
	aud_token = it_login("aud", PASSWORD);
	return 0;
}

static int
tpl_teardown(void **state)
{
	(void)state;
	free(admin_token);
	free(sec_token);
	free(sec2_token);
	free(expert_token);
	free(aud_token);
	it_env_stop();
	return 0;
}

/* ---- helpers ---- */

static json_t *
take(struct it_resp *r, long status)
{
	json_t *j;

	it_assert_status(r, status);
	j = json_incref(r->json);
	it_resp_free(r);
	return j;
}

static void
take_error(struct it_resp *r, long status, const char *code)
{
	it_assert_error(r, status, code);
	it_resp_free(r);
}

static struct it_resp *post(const char *token, json_t *body, const char *fmt,
			    ...) __attribute__((format(printf, 3, 4)));

static struct it_resp *
post(const char *token, json_t *body, const char *fmt, ...)
{
	char path[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof path, fmt, ap);
	va_end(ap);
	return body ? it_send_json("POST", path, token, body)
		    : it_send("POST", path, token, "{}");
}

static const char *
str(const json_t *j, const char *key)
{
	const char *s = json_string_value(json_object_get(j, key));

	assert_non_null(s);
	return s;
}

static long long
eval_new(const char *template_id)
{
	json_t *j = take(
	    post(sec_token,
		 json_pack("{s:s, s:{s:s, s:s}, s:s}", "title", "模板来源评价",
			   "standard", "code", "GB/T 1-2026", "title",
			   "标准化工作导则", "template", template_id),
		 V1 "/evaluations"),
	    201);
	long long id = json_integer_value(json_object_get(j, "id"));

	assert_true(id > 0);
	assert_string_equal(str(j, "stage"), "scoring");
	json_decref(j);
	return id;
}

/* The leaves of a JSON table, in order, into out; returns how many. */
static size_t
leaves_of(const json_t *nodes, const json_t **out, size_t n)
{
	const json_t *node;
	size_t i;

	json_array_foreach(nodes, i, node)
	{
		const json_t *children = json_object_get(node, "children");

		if (json_array_size(children) > 0) {
			n = leaves_of(children, out, n);
		} else {
			assert_true(n < 64);
			out[n++] = node;
		}
	}
	return n;
}

/* Both tables have the same leaves with the same global weights. */
static void
same_leaves(const json_t *a, const json_t *b)
{
	const json_t *la[64], *lb[64];
	size_t na = leaves_of(a, la, 0), nb = leaves_of(b, lb, 0);

	assert_int_equal(na, N_LEAVES);
	assert_int_equal(nb, N_LEAVES);
	for (size_t i = 0; i < na; i++) {
		assert_string_equal(str(la[i], "code"), str(lb[i], "code"));
		assert_string_equal(str(la[i], "global_weight"),
				    str(lb[i], "global_weight"));
		assert_null(json_object_get(la[i], "value"));
	}
}

/* Scores every leaf 90 in one round of one expert and finalizes. */
static void
eval_finalize(long long eval)
{
	json_t *j, *scores = json_array();
	long long meeting;
	const json_t *l[64];
	json_t *table;
	size_t n;

	j = take(
	    post(sec_token,
		 json_pack("{s:s, s:s, s:[I], s:{s:s, s:i},"
			   " s:{s:s, s:s, s:s}, s:i}",
			   "kind", "scoring", "title", "评审会", "experts",
			   expert_id, "aggregation", "method", "mean", "trim",
			   0, "consensus", "max_iqr", "10", "max_cv", "0.25",
			   "quantile", "linear", "quorum", 1),
		 V1 "/evaluations/%lld/meetings", eval),
	    201);
	meeting = json_integer_value(json_object_get(j, "id"));
	json_decref(j);
	json_decref(take(post(expert_token,
			      json_pack("{s:b, s:s}", "conflict_of_interest", 0,
					"statement", "无利益冲突"),
			      V1 "/meetings/%lld/seat", meeting),
			 200));
	json_decref(take(
	    post(sec_token, NULL, V1 "/meetings/%lld/rounds", meeting), 201));
	table = take(it_get(V1 "/templates/ywtb", sec_token), 200);
	n = leaves_of(json_object_get(table, "nodes"), l, 0);
	assert_int_equal(n, N_LEAVES);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(scores, json_pack("{s:s, s:s}", "item",
							str(l[i], "code"),
							"score", "90"));
	json_decref(table);
	{
		char path[128];

		snprintf(path, sizeof path, V1 "/meetings/%lld/rounds/1/ballot",
			 meeting);
		json_decref(
		    take(it_send_json("PUT", path, expert_token,
				      json_pack("{s:o}", "scores", scores)),
			 200));
	}
	json_decref(take(
	    post(sec_token, NULL, V1 "/meetings/%lld/rounds/1/close", meeting),
	    200));
	json_decref(take(
	    post(sec_token, NULL, V1 "/meetings/%lld/finalize", meeting), 200));
	json_decref(take(
	    post(sec_token, NULL, V1 "/evaluations/%lld/verdict", eval), 201));
}

static json_t *
tpl_body(long long eval, const char *id)
{
	return json_pack("{s:I, s:s, s:s}", "from_evaluation", (json_int_t)eval,
			 "id", id, "title", "一网通办（本领域）");
}

/* ---- the test ---- */

static void
test_saved_template(void **state)
{
	long long eval = eval_new("ywtb"), pending = eval_new("ywtb"), next;
	json_t *tpl, *list, *ywtb, *got, *table, *items;
	char sql[256];

	(void)state;
	/* Not finalized yet. */
	take_error(
	    post(sec_token, tpl_body(pending, "field-a"), V1 "/templates"), 409,
	    "not_finalized");
	eval_finalize(eval);

	/* Refusals before anything is written. */
	take_error(post(sec_token, tpl_body(eval, "ywtb"), V1 "/templates"),
		   409, "template_exists");
	take_error(post(sec_token, tpl_body(eval, "Bad Id"), V1 "/templates"),
		   422, "invalid_field");
	take_error(post(sec2_token, tpl_body(eval, "field-a"), V1 "/templates"),
		   403, "forbidden");
	take_error(
	    post(expert_token, tpl_body(eval, "field-a"), V1 "/templates"), 403,
	    "forbidden");
	take_error(
	    post(sec_token, tpl_body(999999, "field-a"), V1 "/templates"), 404,
	    "not_found");

	/* Saved. */
	tpl = take(post(sec_token, tpl_body(eval, "field-a"), V1 "/templates"),
		   201);
	ywtb = take(it_get(V1 "/templates/ywtb", aud_token), 200);
	assert_string_equal(str(tpl, "id"), "field-a");
	assert_string_equal(str(tpl, "title"), "一网通办（本领域）");
	assert_string_equal(str(tpl, "threshold"), str(ywtb, "threshold"));
	same_leaves(json_object_get(tpl, "nodes"),
		    json_object_get(ywtb, "nodes"));
	take_error(post(sec_token, tpl_body(eval, "field-a"), V1 "/templates"),
		   409, "template_exists");

	/* Listed after the built-ins, served like one. */
	list = take(it_get(V1 "/templates", expert_token), 200);
	items = json_object_get(list, "items");
	assert_int_equal(json_array_size(items), 2);
	assert_string_equal(str(json_array_get(items, 0), "id"), "ywtb");
	assert_string_equal(str(json_array_get(items, 1), "id"), "field-a");
	assert_string_equal(str(json_array_get(items, 1), "threshold"),
			    str(ywtb, "threshold"));
	assert_true(json_is_null(json_object_get(list, "next")));
	got = take(it_get(V1 "/templates/field-a", aud_token), 200);
	assert_true(json_equal(got, tpl));
	take_error(it_get(V1 "/templates/nothing", aud_token), 404,
		   "not_found");

	/* An evaluation from it. */
	next = eval_new("field-a");
	{
		char path[128];
		json_t *e;

		snprintf(path, sizeof path, V1 "/evaluations/%lld/table", next);
		table = take(it_get(path, sec_token), 200);
		same_leaves(json_object_get(table, "nodes"),
			    json_object_get(ywtb, "nodes"));
		e = json_object_get(table, "evaluation");
		assert_string_equal(str(e, "template"), "field-a");
		assert_string_equal(str(e, "threshold"),
				    str(ywtb, "threshold"));
		json_decref(table);
	}
	take_error(
	    post(sec_token,
		 json_pack("{s:s, s:{s:s, s:s}, s:s}", "title", "x", "standard",
			   "code", "c", "title", "t", "template", "nothing"),
		 V1 "/evaluations"),
	    422, "invalid_field");

	/* Audited once; append-only. */
	assert_int_equal(it_db_long("SELECT count(*) FROM audit_log"
				    " WHERE action = 'template.create'"),
			 1);
	snprintf(sql, sizeof sql,
		 "SELECT count(*) FROM audit_log WHERE action ="
		 " 'template.create' AND details = jsonb_build_object('id',"
		 " 'field-a', 'from_evaluation', %lld)",
		 eval);
	assert_int_equal(it_db_long(sql), 1);
	{
		char state6[6];

		assert_string_equal(
		    it_db_sqlstate("UPDATE templates SET title = 'x'", state6),
		    "42501");
		assert_string_equal(
		    it_db_sqlstate("DELETE FROM templates", state6), "42501");
	}
	json_decref(tpl);
	json_decref(ywtb);
	json_decref(list);
	json_decref(got);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_saved_template),
	};

	return cmocka_run_group_tests(tests, tpl_setup, tpl_teardown);
}
