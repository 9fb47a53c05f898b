/*
 * The section 4.1 procedure of the real pingshend: related standards (a),
 * the indicator pool (b), comparisons (c) and consultations (d), each kept
 * only at its own stage and only by the evaluation's secretary; the stage
 * guards of POST /evaluations/{id}/advance listing every unmet condition;
 * going back with a reason; template evaluations that cannot go back; and
 * GET /evaluations/{id}/history holding each state change once, in order.
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

#define PASSWORD "procedure-password-1"

static struct it_server *server;
static char *admin_token, *sec_token, *sec2_token, *expert_token, *aud_token;

/* The writes of the main evaluation, in order, for the history test. */
#define MAX_LOG 64
static struct {
	long long eval;
	const char *actions[MAX_LOG];
	size_t n;
	bool done;
} flow;

static void
logged(const char *action)
{
	assert_true(flow.n < MAX_LOG);
	flow.actions[flow.n++] = action;
}

static int
proc_setup(void **state)
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
	it_create_user(admin_token, "expert", "expert", PASSWORD);
	it_create_user(admin_token, "aud", "auditor", PASSWORD);
	sec_token = it_login("sec", PASSWORD);
	sec2_token = it_login("sec2", PASSWORD);
	expert_token = it_login("expert", PASSWORD);
	aud_token = it_login("aud", PASSWORD);
	return 0;
}

static int
proc_teardown(void **state)
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

static const char *
epath(char *buf, size_t len, long long id, const char *suffix)
{
	snprintf(buf, len, V1 "/evaluations/%lld%s", id, suffix);
	return buf;
}

/* Rows of the procedure's tables and the evaluations' versions: what the
 * harness snapshot does not see. */
static long long
records(void)
{
	return it_db_long(
	    "SELECT (SELECT count(*) FROM standards) * 1000000"
	    " + (SELECT count(*) FROM pool) * 10000"
	    " + (SELECT count(*) FROM consultations) * 100"
	    " + (SELECT coalesce(sum(version), 0) FROM evaluations)"
	    " + (SELECT count(*) FROM pool WHERE comparison IS NOT NULL)"
	    "   * 100000000");
}

struct before {
	struct it_snapshot s;
	long long rec;
};

static void
before_take(struct before *b)
{
	it_snapshot(&b->s);
	b->rec = records();
}

static void
before_same(const struct before *b, const char *what)
{
	it_assert_unchanged(&b->s, what);
	if (records() != b->rec)
		fail_msg("%s changed the procedure's records", what);
}

/* Sends body (stolen) and asserts it is refused with status/code, writing
 * nothing.  Returns the answer (caller frees). */
static struct it_resp *
refused(const char *method, const char *path, const char *token, json_t *body,
	long status, const char *code)
{
	struct before b;
	struct it_resp *r;

	before_take(&b);
	r = it_send_json(method, path, token, body);
	it_assert_error(r, status, code);
	before_same(&b, path);
	return r;
}

static void
refused_free(const char *method, const char *path, const char *token,
	     json_t *body, long status, const char *code)
{
	it_resp_free(refused(method, path, token, body, status, code));
}

/* The details of an error answer. */
static json_t *
details(const struct it_resp *r)
{
	json_t *d =
	    json_object_get(json_object_get(r->json, "error"), "details");

	assert_true(json_is_object(d));
	return d;
}

static void
assert_field(const struct it_resp *r, const char *field)
{
	assert_string_equal(
	    json_string_value(json_object_get(details(r), "field")), field);
}

/* A wrong_stage refusal, with its details. */
static void
wrong_stage(const char *method, const char *path, json_t *body,
	    const char *stage, const char *needed)
{
	struct it_resp *r =
	    refused(method, path, sec_token, body, 409, "wrong_stage");
	json_t *d = details(r);

	assert_string_equal(json_string_value(json_object_get(d, "stage")),
			    stage);
	assert_string_equal(json_string_value(json_object_get(d, "needed")),
			    needed);
	it_resp_free(r);
}

static json_t *
advance_body(const char *to, const char *reason)
{
	json_t *b = json_pack("{s:s}", "to", to);

	if (reason != NULL)
		json_object_set_new(b, "reason", json_string(reason));
	return b;
}

/*
 * Asserts POST .../advance is refused with stage_guard whose unmet list is
 * exactly the n (code, subject-or-NULL) pairs given, in order, and that
 * nothing was written.
 */
static void
guard(long long id, const char *token, const char *to, const char *reason,
      size_t n, ...)
{
	char path[128];
	struct it_resp *r;
	json_t *unmet, *u;
	va_list ap;

	epath(path, sizeof path, id, "/advance");
	r = refused("POST", path, token, advance_body(to, reason), 409,
		    "stage_guard");
	unmet = json_object_get(details(r), "unmet");
	assert_true(json_is_array(unmet));
	if (json_array_size(unmet) != n) {
		char *text = json_dumps(unmet, JSON_COMPACT);

		print_error("unmet %s\n", text ? text : "?");
		free(text);
		fail_msg("%zu unmet conditions, expected %zu",
			 json_array_size(unmet), n);
	}
	va_start(ap, n);
	for (size_t i = 0; i < n; i++) {
		const char *code = va_arg(ap, const char *);
		const char *subject = va_arg(ap, const char *);

		u = json_array_get(unmet, i);
		assert_string_equal(
		    json_string_value(json_object_get(u, "code")), code);
		assert_true(json_is_string(json_object_get(u, "message")));
		if (subject == NULL)
			assert_null(json_object_get(u, "subject"));
		else
			assert_string_equal(
			    json_string_value(json_object_get(u, "subject")),
			    subject);
	}
	va_end(ap);
	it_resp_free(r);
}

/* A successful move to `to`; logs the action when id is the flow's. */
static void
move(long long id, const char *to, const char *reason, bool back)
{
	char path[128];
	struct it_resp *r;
	long long audit;
	struct it_snapshot s;

	it_snapshot(&s);
	audit = s.audit_log;
	epath(path, sizeof path, id, "/advance");
	r = it_send_json("POST", path, sec_token, advance_body(to, reason));
	it_assert_status(r, 200);
	assert_int_equal(json_integer_value(json_object_get(r->json, "id")),
			 id);
	assert_string_equal(
	    json_string_value(json_object_get(r->json, "stage")), to);
	it_resp_free(r);
	it_snapshot(&s);
	assert_int_equal(s.audit_log, audit + 1);
	if (id == flow.eval)
		logged(back ? "stage.back" : "stage.advance");
}

/* POST /evaluations; the new id after checking its stage. */
static long long
eval_new(const char *template_id, const char *stage)
{
	json_t *body =
	    json_pack("{s:s, s:{s:s, s:s}}", "title", "先进性评价", "standard",
		      "code", "DB31/T 1234-2024", "title", "政务服务规范");
	struct it_resp *r;
	long long id;

	if (template_id != NULL)
		json_object_set_new(body, "template", json_string(template_id));
	r = it_send_json("POST", V1 "/evaluations", sec_token, body);
	it_assert_status(r, 201);
	id = json_integer_value(json_object_get(r->json, "id"));
	assert_true(id > 0);
	assert_string_equal(
	    json_string_value(json_object_get(r->json, "stage")), stage);
	it_resp_free(r);
	return id;
}

/* A write that must succeed with status; the answer (caller frees). */
static struct it_resp *
written(const char *method, const char *path, json_t *body, long status,
	const char *action)
{
	struct it_snapshot s;
	long long audit;
	struct it_resp *r;

	it_snapshot(&s);
	audit = s.audit_log;
	r = it_send_json(method, path, sec_token, body);
	it_assert_status(r, status);
	it_snapshot(&s);
	assert_int_equal(s.audit_log, audit + 1);
	logged(action);
	return r;
}

static json_t *
standard_body(const char *code, const char *scope)
{
	return json_pack("{s:s, s:s, s:s, s:[s,s]}", "code", code, "title",
			 "政务服务事项办理规范", "scope", scope, "clauses",
			 "4.1", "5.2");
}

static json_t *
pool_body(const char *code, const char *kind, const char *parent,
	  const char *source_type)
{
	json_t *b = json_pack("{s:s, s:s}", "code", code, "name", "指标");

	if (kind != NULL)
		json_object_set_new(b, "kind", json_string(kind));
	if (parent != NULL)
		json_object_set_new(b, "parent", json_string(parent));
	if (source_type != NULL)
		json_object_set_new(b, "source",
				    json_pack("{s:s, s:s}", "type", source_type,
					      "ref", "GB/T 1.1-2020"));
	return b;
}

/* ---- tests ---- */

static void
test_standards_stage(void **state)
{
	char path[128], other[128];
	struct it_resp *r;
	json_t *want;

	(void)state;
	flow.eval = eval_new(NULL, "standards");
	logged("evaluation.create");
	epath(path, sizeof path, flow.eval, "/standards");

	/* Nothing to leave the stage with; no skipping. */
	guard(flow.eval, sec_token, "pool", NULL, 1, "no_standards", NULL);
	guard(flow.eval, sec_token, "comparison", NULL, 1, "not_next_stage",
	      "comparison");

	/* Other stages' records are refused here. */
	wrong_stage("POST", epath(other, sizeof other, flow.eval, "/pool"),
		    pool_body("1", "group", NULL, NULL), "standards", "pool");
	wrong_stage(
	    "PUT",
	    epath(other, sizeof other, flow.eval, "/pool/1.1/comparison"),
	    json_pack("{s:{s:s, s:s}}", "standard", "ref", "GB 1", "level",
		      "high"),
	    "standards", "comparison");
	wrong_stage("POST",
		    epath(other, sizeof other, flow.eval, "/consultations"),
		    json_pack("{s:s, s:s, s:s}", "stakeholder", "enterprise",
			      "organization", "Org", "opinion", "ok"),
		    "standards", "selection");

	/* Only the evaluation's own secretary. */
	refused_free("POST", path, sec2_token,
		     standard_body("GB/T 1", "national"), 403, "forbidden");
	refused_free("POST", path, expert_token,
		     standard_body("GB/T 1", "national"), 403, "forbidden");
	refused_free("POST", path, aud_token,
		     standard_body("GB/T 1", "national"), 403, "forbidden");
	epath(other, sizeof other, flow.eval, "/advance");
	refused_free("POST", other, sec2_token, advance_body("pool", NULL), 403,
		     "forbidden");
	refused_free("POST", other, expert_token, advance_body("pool", NULL),
		     403, "forbidden");

	/* A bad scope. */
	r = refused("POST", path, sec_token,
		    standard_body("GB/T 1", "planetary"), 422, "invalid_field");
	assert_field(r, "scope");
	it_resp_free(r);

	r = written("POST", path, standard_body("GB/T 1", "national"), 201,
		    "standard.add");
	assert_true(json_integer_value(json_object_get(r->json, "id")) > 0);
	want = json_pack("{s:s, s:s, s:s, s:[s,s]}", "code", "GB/T 1", "title",
			 "政务服务事项办理规范", "scope", "national", "clauses",
			 "4.1", "5.2");
	json_object_set(want, "id", json_object_get(r->json, "id"));
	assert_true(json_equal(r->json, want));
	json_decref(want);
	it_resp_free(r);
	assert_int_equal(
	    it_db_long("SELECT count(*) FROM standards WHERE evaluation_id = "
		       "(SELECT max(id) FROM evaluations)"),
	    1);

	refused_free("POST", path, sec_token,
		     standard_body("GB/T 1", "industry"), 409,
		     "standard_exists");

	move(flow.eval, "pool", NULL, false);

	/* Standards are kept at their stage only. */
	wrong_stage("POST", path, standard_body("GB/T 2", "group"), "pool",
		    "standards");
}

static void
test_pool_stage(void **state)
{
	char path[128];
	struct it_resp *r;

	(void)state;
	assert_true(flow.eval > 0);
	epath(path, sizeof path, flow.eval, "/pool");

	guard(flow.eval, sec_token, "comparison", NULL, 1, "no_candidates",
	      NULL);

	/* Top-level codes are groups without a parent. */
	r = refused("POST", path, sec_token,
		    pool_body("1", "candidate", NULL, "standard"), 422,
		    "invalid_field");
	it_resp_free(r);
	r = refused("POST", path, sec_token, pool_body("1", NULL, NULL, NULL),
		    422, "invalid_field");
	it_resp_free(r);
	r = refused("POST", path, sec_token, pool_body("1", "group", "0", NULL),
		    422, "invalid_field");
	assert_field(r, "parent");
	it_resp_free(r);
	refused_free("POST", path, sec2_token,
		     pool_body("1", "group", NULL, NULL), 403, "forbidden");
	refused_free("POST", path, expert_token,
		     pool_body("1", "group", NULL, NULL), 403, "forbidden");

	it_resp_free(written("POST", path, pool_body("1", "group", NULL, NULL),
			     201, "pool.add"));
	/* A group is not a candidate. */
	guard(flow.eval, sec_token, "comparison", NULL, 1, "no_candidates",
	      NULL);

	/* Parents: the code without its last part, and a group already in
	 * the pool. */
	r = refused("POST", path, sec_token,
		    pool_body("1.1", NULL, NULL, "market"), 422,
		    "invalid_field");
	assert_field(r, "parent");
	it_resp_free(r);
	r = refused("POST", path, sec_token,
		    pool_body("1.1", NULL, "2", "market"), 422,
		    "invalid_field");
	assert_field(r, "parent");
	it_resp_free(r);
	r = refused("POST", path, sec_token,
		    pool_body("2.1", NULL, "2", "market"), 422,
		    "invalid_field");
	assert_field(r, "parent");
	it_resp_free(r);

	r = written("POST", path, pool_body("1.1", NULL, "1", "standard"), 201,
		    "pool.add");
	assert_string_equal(json_string_value(json_object_get(r->json, "code")),
			    "1.1");
	assert_string_equal(json_string_value(json_object_get(r->json, "kind")),
			    "candidate");
	assert_string_equal(
	    json_string_value(json_object_get(r->json, "parent")), "1");
	assert_string_equal(json_string_value(json_object_get(
				json_object_get(r->json, "source"), "type")),
			    "standard");
	it_resp_free(r);

	/* A candidate is no parent. */
	r = refused("POST", path, sec_token,
		    pool_body("1.1.1", NULL, "1.1", "trend"), 422,
		    "invalid_field");
	assert_field(r, "parent");
	it_resp_free(r);
	refused_free("POST", path, sec_token,
		     pool_body("1.1", NULL, "1", "trend"), 409,
		     "pool_code_exists");
	refused_free("POST", path, sec_token,
		     pool_body("1", "group", NULL, NULL), 409,
		     "pool_code_exists");
	r = refused("POST", path, sec_token,
		    pool_body("1.3", NULL, "1", "guesswork"), 422,
		    "invalid_field");
	assert_field(r, "source");
	it_resp_free(r);

	it_resp_free(written("POST", path,
			     pool_body("1.2", "candidate", "1", "trend"), 201,
			     "pool.add"));

	move(flow.eval, "comparison", NULL, false);
	wrong_stage("POST", path, pool_body("1.3", NULL, "1", "market"),
		    "comparison", "pool");
}

static void
test_comparison_stage(void **state)
{
	char path[128];
	struct it_resp *r;
	json_t *body, *got;

	(void)state;
	assert_true(flow.eval > 0);

	/* Every uncompared candidate is listed. */
	guard(flow.eval, sec_token, "selection", NULL, 2,
	      "candidate_without_comparison", "1.1",
	      "candidate_without_comparison", "1.2");

	epath(path, sizeof path, flow.eval, "/pool/1.1/comparison");
	refused_free("PUT", path, sec_token,
		     json_pack("{s:n, s:n}", "standard", "benchmark"), 422,
		     "invalid_field");
	refused_free("PUT", path, sec_token, json_object(), 422,
		     "invalid_field");
	refused_free("PUT", path, sec2_token,
		     json_pack("{s:{s:s, s:s}}", "standard", "ref", "GB 1",
			       "level", "high"),
		     403, "forbidden");
	refused_free("PUT", path, expert_token,
		     json_pack("{s:{s:s, s:s}}", "standard", "ref", "GB 1",
			       "level", "high"),
		     403, "forbidden");

	body =
	    json_pack("{s:{s:s, s:s, s:s}, s:n}", "standard", "ref", "GB/T 1",
		      "clause", "4.1", "level", "leading", "benchmark");
	r = written("PUT", path, json_deep_copy(body), 200, "pool.compare");
	assert_string_equal(json_string_value(json_object_get(r->json, "code")),
			    "1.1");
	got = json_object_get(r->json, "comparison");
	assert_true(json_equal(json_object_get(got, "standard"),
			       json_object_get(body, "standard")));
	json_decref(body);
	it_resp_free(r);

	/* Only 1.2 is left. */
	guard(flow.eval, sec_token, "selection", NULL, 1,
	      "candidate_without_comparison", "1.2");

	/* A group, an unknown code: no candidate. */
	refused_free("PUT",
		     epath(path, sizeof path, flow.eval, "/pool/1/comparison"),
		     sec_token,
		     json_pack("{s:{s:s, s:s}}", "standard", "ref", "GB 1",
			       "level", "high"),
		     404, "not_found");
	refused_free(
	    "PUT", epath(path, sizeof path, flow.eval, "/pool/9.9/comparison"),
	    sec_token,
	    json_pack("{s:{s:s, s:s}}", "standard", "ref", "GB 1", "level",
		      "high"),
	    404, "not_found");

	epath(path, sizeof path, flow.eval, "/pool/1.2/comparison");
	refused_free("PUT", path, sec_token,
		     json_pack("{s:{s:s, s:s, s:s}}", "benchmark", "scope",
			       "galactic", "ref", "X", "level", "top"),
		     422, "invalid_field");
	r = written("PUT", path,
		    json_pack("{s:n, s:{s:s, s:s, s:s}}", "standard",
			      "benchmark", "scope", "international", "ref",
			      "ISO 9001", "level", "equal"),
		    200, "pool.compare");
	assert_string_equal(json_string_value(json_object_get(r->json, "code")),
			    "1.2");
	assert_string_equal(
	    json_string_value(json_object_get(
		json_object_get(json_object_get(r->json, "comparison"),
				"benchmark"),
		"scope")),
	    "international");
	it_resp_free(r);

	move(flow.eval, "selection", NULL, false);
	wrong_stage("PUT", path,
		    json_pack("{s:{s:s, s:s}}", "standard", "ref", "GB 1",
			      "level", "high"),
		    "selection", "comparison");
}

static void
test_selection_stage_and_back(void **state)
{
	char path[128];
	struct it_resp *r;

	(void)state;
	assert_true(flow.eval > 0);
	epath(path, sizeof path, flow.eval, "/consultations");

	/* Both conditions at once; then only the meeting. */
	guard(flow.eval, sec_token, "weighting", NULL, 2, "no_consultations",
	      NULL, "selection_not_finalized", NULL);

	r = refused("POST", path, sec_token,
		    json_pack("{s:s, s:s, s:s}", "stakeholder", "government",
			      "organization", "Org", "opinion", "ok"),
		    422, "invalid_field");
	assert_field(r, "stakeholder");
	it_resp_free(r);
	refused_free("POST", path, sec2_token,
		     json_pack("{s:s, s:s, s:s}", "stakeholder", "consumer",
			       "organization", "Org", "opinion", "ok"),
		     403, "forbidden");
	refused_free("POST", path, expert_token,
		     json_pack("{s:s, s:s, s:s}", "stakeholder", "consumer",
			       "organization", "Org", "opinion", "ok"),
		     403, "forbidden");

	r = written("POST", path,
		    json_pack("{s:s, s:s, s:s, s:s}", "stakeholder",
			      "industry_association", "organization",
			      "上海市标准化协会", "opinion", "支持", "response",
			      "采纳"),
		    201, "consultation.add");
	assert_string_equal(
	    json_string_value(json_object_get(r->json, "stakeholder")),
	    "industry_association");
	it_resp_free(r);

	guard(flow.eval, sec_token, "weighting", NULL, 1,
	      "selection_not_finalized", NULL);
	guard(flow.eval, sec_token, "scoring", NULL, 1, "not_next_stage",
	      "scoring");

	/* Back: one stage at a time, with a reason. */
	guard(flow.eval, sec_token, "comparison", NULL, 1, "reason_required",
	      NULL);
	guard(flow.eval, sec_token, "comparison", " \t", 1, "reason_required",
	      NULL);
	guard(flow.eval, sec_token, "pool", "redo the pool", 1,
	      "not_previous_stage", "pool");
	epath(path, sizeof path, flow.eval, "/advance");
	refused_free("POST", path, sec2_token,
		     advance_body("comparison", "mine now"), 403, "forbidden");
	refused_free("POST", path, expert_token,
		     advance_body("comparison", "mine now"), 403, "forbidden");
	move(flow.eval, "comparison", "benchmark of 1.2 was outdated", true);

	/* The comparisons are still there: forward again. */
	move(flow.eval, "selection", NULL, false);
	flow.done = true;
}

static void
test_history(void **state)
{
	char path[128];
	struct it_resp *r;
	json_t *items, *e, *d;
	size_t i;

	(void)state;
	assert_true(flow.done);
	epath(path, sizeof path, flow.eval, "/history");

	r = it_get(path, expert_token);
	it_assert_error(r, 403, "forbidden");
	it_resp_free(r);
	r = it_get(path, sec2_token);
	it_assert_error(r, 403, "forbidden");
	it_resp_free(r);

	for (int who = 0; who < 2; who++) {
		long long seq = 0;

		r = it_get(path, who == 0 ? sec_token : aud_token);
		it_assert_status(r, 200);
		assert_true(json_is_null(json_object_get(r->json, "next")));
		items = json_object_get(r->json, "items");
		assert_true(json_is_array(items));
		if (json_array_size(items) != flow.n) {
			char *text = json_dumps(items, JSON_COMPACT);

			print_error("history %s\n", text ? text : "?");
			free(text);
			fail_msg("%zu entries, expected %zu",
				 json_array_size(items), flow.n);
		}
		json_array_foreach(items, i, e)
		{
			long long s =
			    json_integer_value(json_object_get(e, "seq"));

			assert_string_equal(
			    json_string_value(json_object_get(e, "action")),
			    flow.actions[i]);
			assert_int_equal(json_integer_value(json_object_get(
					     e, "evaluation_id")),
					 flow.eval);
			assert_true(s > seq);
			seq = s;
		}
		/* The way back, with its reason. */
		for (i = 0; i < flow.n; i++) {
			if (strcmp(flow.actions[i], "stage.back") == 0)
				break;
		}
		assert_true(i < flow.n);
		d = json_object_get(json_array_get(items, i), "details");
		e = json_pack("{s:s, s:s, s:s}", "from", "selection", "to",
			      "comparison", "reason",
			      "benchmark of 1.2 was outdated");
		assert_true(json_equal(d, e));
		json_decref(e);
		/* The move after it: selection reached again. */
		assert_true(i + 1 < flow.n);
		d = json_object_get(json_array_get(items, i + 1), "details");
		assert_string_equal(
		    json_string_value(json_object_get(d, "from")),
		    "comparison");
		assert_string_equal(json_string_value(json_object_get(d, "to")),
				    "selection");
		it_resp_free(r);
	}
}

/* Two candidates without a source, listed each, in a fresh evaluation. */
static void
test_sources_guard(void **state)
{
	char path[128];
	struct it_resp *r;
	long long id;

	(void)state;
	id = eval_new(NULL, "standards");
	r = it_send_json("POST", epath(path, sizeof path, id, "/standards"),
			 sec_token, standard_body("ISO 1", "international"));
	it_assert_status(r, 201);
	it_resp_free(r);
	move(id, "pool", NULL, false);
	epath(path, sizeof path, id, "/pool");
	r = it_send_json("POST", path, sec_token,
			 pool_body("1", "group", NULL, NULL));
	it_assert_status(r, 201);
	it_resp_free(r);
	r = it_send_json("POST", path, sec_token,
			 pool_body("1.1", NULL, "1", NULL));
	it_assert_status(r, 201);
	assert_null(json_object_get(r->json, "source"));
	it_resp_free(r);
	r = it_send_json("POST", path, sec_token,
			 pool_body("1.2", NULL, "1", "market"));
	it_assert_status(r, 201);
	it_resp_free(r);
	r = it_send_json("POST", path, sec_token,
			 pool_body("1.3", NULL, "1", NULL));
	it_assert_status(r, 201);
	it_resp_free(r);

	guard(id, sec_token, "comparison", NULL, 2, "candidate_without_source",
	      "1.1", "candidate_without_source", "1.3");
	/* Back to standards is still possible, with a reason. */
	guard(id, sec_token, "standards", NULL, 1, "reason_required", NULL);
	move(id, "standards", "another standard applies", true);
	/* No going back before the first stage. */
	guard(id, sec_token, "standards", "again", 1, "not_next_stage",
	      "standards");
}

static void
test_template_evaluation(void **state)
{
	char path[128];
	long long id;

	(void)state;
	id = eval_new("ywtb", "scoring");
	guard(id, sec_token, "weighting", "redo the weights", 1,
	      "from_template", NULL);
	/* The verdict endpoint finalizes, not advance. */
	refused_free("POST", epath(path, sizeof path, id, "/advance"),
		     sec_token, advance_body("finalized", NULL), 409,
		     "stage_guard");
	wrong_stage("POST", epath(path, sizeof path, id, "/standards"),
		    standard_body("GB 2", "local"), "scoring", "standards");
	wrong_stage("POST", epath(path, sizeof path, id, "/consultations"),
		    json_pack("{s:s, s:s, s:s}", "stakeholder", "other",
			      "organization", "Org", "opinion", "ok"),
		    "scoring", "selection");
	refused_free("POST", epath(path, sizeof path, id, "/advance"),
		     sec2_token, advance_body("weighting", "x"), 403,
		     "forbidden");
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
	    cmocka_unit_test(test_standards_stage),
	    cmocka_unit_test(test_pool_stage),
	    cmocka_unit_test(test_comparison_stage),
	    cmocka_unit_test(test_selection_stage_and_back),
	    cmocka_unit_test(test_history),
	    cmocka_unit_test(test_sources_guard),
	    cmocka_unit_test(test_template_evaluation),
	    cmocka_unit_test(test_stop_clean),
	};

	return cmocka_run_group_tests(tests, proc_setup, proc_teardown);
}
