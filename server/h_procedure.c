/*
 * The section 4.1 procedure's records and the stage machine:
 * POST /evaluations/{id}/standards (a), POST .../pool (b),
 * PUT .../pool/{code}/comparison (c), POST .../consultations (d), and
 * POST .../advance, whose guards are workflow/stage.c's, and GET
 * .../procedure, which shows them all.  A stage's
 * records change only while the evaluation is at that stage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "body.h"
#include "handlers.h"
#include "stage.h"
#include "table.h"
#include "table_json.h"
#include "txn.h"
#include "xalloc.h"

/* A procedure request in progress: the evaluation and text parameters. */
struct proc_ctx {
	struct eval_row e;
	char *json; /* a JSON parameter (clauses, source, comparison) */
	char code[ROUTER_MAX_PARAM_LEN + 1];
	enum stage to;
	const char *reason;
};

static void
proc_ctx_free(void *p)
{
	struct proc_ctx *c = p;

	eval_row_free(&c->e);
	free(c->json);
	free(c);
}

/* The evaluation is the caller's and at stage `at`; false after
 * answering. */
static bool
proc_require(struct req *r, const PGresult *res, struct proc_ctx *c,
	     enum stage at)
{
	if (!eval_row_read(r, res, &c->e))
		return false;
	if (!c->e.secretary) {
		http_reply_error(r, 403, "forbidden",
				 "only the evaluation's secretary keeps its "
				 "records");
		return false;
	}
	if (c->e.stage == STAGE_FINALIZED) {
		http_reply_error(r, 409, "evaluation_finalized",
				 "the evaluation is finalized; nothing of it "
				 "changes any more");
		return false;
	}
	if (c->e.stage != at) {
		http_reply_error_details(
		    r, 409, "wrong_stage",
		    json_pack("{s:s, s:s}", "stage", stage_name(c->e.stage),
			      "needed", stage_name(at)),
		    "these records are kept at stage %s; the evaluation is "
		    "at %s",
		    stage_name(at), stage_name(c->e.stage));
		return false;
	}
	return true;
}

static struct proc_ctx *
proc_ctx_new(struct req *r)
{
	struct proc_ctx *c = xcalloc(1, sizeof *c);

	r->state = c;
	r->state_free = proc_ctx_free;
	return c;
}

/* The first column of a write's single row as the answer, or the
 * conflict named when the key already exists. */
static json_t *
proc_written(struct req *r, const PGresult *res, int *status,
	     const char *exists_code, const char *exists_message)
{
	json_t *out;

	if (strcmp(db_sqlstate(res), "23505") == 0) {
		http_reply_error(r, 409, exists_code, "%s", exists_message);
		return NULL;
	}
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		txn_reply_db_error(r, res);
		return NULL;
	}
	out = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	*status = 201;
	return out;
}

/* ---- (a) POST /evaluations/{id}/standards ---- */

static const char *const proc_scopes[] = {
    "international", "foreign", "national", "industry", "local", "group", NULL};

DB_STMT(stmt_standard_add, 10,
	"WITH s AS (INSERT INTO standards (evaluation_id, code, title, scope,"
	"  clauses) VALUES ($6, $7, $8, $9, $10::jsonb) RETURNING *),"
	" a AS (INSERT INTO audit_log (actor_id, actor_username, actor_role,"
	"  action, evaluation_id, object_type, object_id, details, request_id,"
	"  client_addr) SELECT $1, $2, $3, 'standard.add', $6, 'standard',"
	"  s.id, jsonb_build_object('code', s.code, 'title', s.title,"
	"  'scope', s.scope, 'clauses', s.clauses), $4, $5 FROM s)"
	" SELECT json_build_object('id', id, 'code', code, 'title', title,"
	"  'scope', scope, 'clauses', clauses)::text FROM s");

static json_t *
proc_standard_added(struct req *r, const PGresult *res, int *status)
{
	return proc_written(r, res, status, "standard_exists",
			    "this evaluation already lists that standard");
}

/* A list of 0..50 strings of 1..300 bytes, as JSON text (caller frees). */
static char *
proc_string_list(struct req *r, const char *field)
{
	json_t *list = json_object_get(r->body, field), *x;
	size_t i;

	if (list == NULL)
		return xstrdup("[]");
	if (!json_is_array(list) || json_array_size(list) > 50) {
		body_invalid(r, field, "%s is a list of at most 50 texts",
			     field);
		return NULL;
	}
	json_array_foreach(list, i, x)
	{
		if (!json_is_string(x) || json_string_length(x) == 0 ||
		    json_string_length(x) > 300) {
			body_invalid(r, field,
				     "each of %s is a text of 1 to 300 bytes",
				     field);
			return NULL;
		}
	}
	return json_dumps(list, JSON_COMPACT);
}

static void
proc_standard_checked(struct req *r, const PGresult *res)
{
	static const char *const fields[] = {"code", "title", "scope",
					     "clauses", NULL};
	struct proc_ctx *c = r->state;
	const char *code, *title, *scope, *params[TXN_AUDIT_PARAMS + 5];
	char *clauses;
	size_t i;

	if (!proc_require(r, res, c, STAGE_STANDARDS) ||
	    !body_only(r, fields) ||
	    !body_string(r, "code", true, 1, 100, &code) ||
	    !body_string(r, "title", true, 1, 300, &title) ||
	    !body_string(r, "scope", true, 1, 32, &scope))
		return;
	for (i = 0; proc_scopes[i] != NULL; i++) {
		if (strcmp(proc_scopes[i], scope) == 0)
			break;
	}
	if (proc_scopes[i] == NULL) {
		body_invalid(r, "scope",
			     "scope is international, foreign, national, "
			     "industry, local or group");
		return;
	}
	/* A refused list has answered, and freed c with the request. */
	clauses = proc_string_list(r, "clauses");
	if (clauses == NULL)
		return;
	c->json = clauses;
	txn_audit_params(r, params);
	params[5] = c->e.id_text;
	params[6] = code;
	params[7] = title;
	params[8] = scope;
	params[9] = c->json;
	txn_write(r, &stmt_standard_add, params, proc_standard_added);
}

static void
proc_standards_start(struct req *r)
{
	proc_ctx_new(r);
	eval_load(r, proc_standard_checked);
}

void
h_procedure_standards(struct req *r)
{
	txn_idempotent(r, proc_standards_start);
}

/* ---- (b) POST /evaluations/{id}/pool ---- */

/* A group or candidate; a candidate's parent must be a group of the
 * pool, and its code must extend the parent's by one level. */
DB_STMT(stmt_pool_add, 12,
	"WITH p AS (INSERT INTO pool (evaluation_id, code, kind, name,"
	"  description, parent, source)"
	"  SELECT $6, $7, $8, $9, $10, $11, $12::jsonb"
	"  WHERE $11::text IS NULL OR EXISTS (SELECT 1 FROM pool g"
	"   WHERE g.evaluation_id = $6 AND g.code = $11 AND g.kind = 'group')"
	"  RETURNING *),"
	" a AS (INSERT INTO audit_log (actor_id, actor_username, actor_role,"
	"  action, evaluation_id, object_type, details, request_id,"
	"  client_addr) SELECT $1, $2, $3, 'pool.add', $6, p.kind,"
	"  jsonb_strip_nulls(jsonb_build_object('code', p.code, 'name',"
	"  p.name, 'parent', p.parent, 'source', p.source)), $4, $5 FROM p)"
	" SELECT json_strip_nulls(json_build_object('code', code, 'kind', kind,"
	"  'name', name, 'description', description, 'parent', parent,"
	"  'source', source))::text FROM p");

static json_t *
proc_pool_added(struct req *r, const PGresult *res, int *status)
{
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 0) {
		body_invalid(r, "parent",
			     "the parent is not a group of this pool");
		return NULL;
	}
	return proc_written(r, res, status, "pool_code_exists",
			    "the pool already has that code");
}

/* A candidate's source: where it comes from (section 4.1 b). */
static bool
proc_read_source(struct req *r, struct proc_ctx *c)
{
	json_t *src = json_object_get(r->body, "source");
	const char *type = json_string_value(json_object_get(src, "type"));

	if (src == NULL || json_is_null(src))
		return true;
	if (!json_is_object(src) || type == NULL ||
	    (strcmp(type, "standard") != 0 && strcmp(type, "market") != 0 &&
	     strcmp(type, "trend") != 0)) {
		body_invalid(r, "source",
			     "source is {\"type\": \"standard\" | \"market\" | "
			     "\"trend\", \"ref\"?, \"clause\"?, \"text\"?}");
		return false;
	}
	c->json = json_dumps(src, JSON_COMPACT | JSON_SORT_KEYS);
	return true;
}

static void
proc_pool_checked(struct req *r, const PGresult *res)
{
	static const char *const fields[] = {
	    "code", "kind", "name", "description", "parent", "source", NULL};
	struct proc_ctx *c = r->state;
	const char *code, *kind, *name, *desc, *parent;
	const char *params[TXN_AUDIT_PARAMS + 7];
	const char *dot;

	if (!proc_require(r, res, c, STAGE_POOL) || !body_only(r, fields) ||
	    !body_string(r, "code", true, 1, 63, &code) ||
	    !body_string(r, "kind", false, 1, 16, &kind) ||
	    !body_string(r, "name", true, 1, 200, &name) ||
	    !body_string(r, "description", false, 0, 2000, &desc) ||
	    !body_string(r, "parent", false, 1, 63, &parent) ||
	    !proc_read_source(r, c))
		return;
	if (kind == NULL)
		kind = "candidate";
	if (strcmp(kind, "group") != 0 && strcmp(kind, "candidate") != 0) {
		body_invalid(r, "kind", "kind is group or candidate");
		return;
	}
	if (!tbl_code_valid(code)) {
		body_invalid(r, "code",
			     "a code is numbers joined by dots, like 1.2.3");
		return;
	}
	dot = strrchr(code, '.');
	if (dot == NULL
		? parent != NULL
		: parent == NULL || strlen(parent) != (size_t)(dot - code) ||
		      strncmp(parent, code, strlen(parent)) != 0) {
		body_invalid(r, "parent",
			     "the parent is the code without its last part "
			     "(none for a top-level group)");
		return;
	}
	if (parent == NULL && strcmp(kind, "group") != 0) {
		body_invalid(r, "kind",
			     "top-level entries are groups (关键性指标 ...)");
		return;
	}
	txn_audit_params(r, params);
	params[5] = c->e.id_text;
	params[6] = code;
	params[7] = kind;
	params[8] = name;
	params[9] = desc;
	params[10] = parent;
	params[11] = c->json;
	txn_write(r, &stmt_pool_add, params, proc_pool_added);
}

static void
proc_pool_start(struct req *r)
{
	proc_ctx_new(r);
	eval_load(r, proc_pool_checked);
}

void
h_procedure_pool(struct req *r)
{
	txn_idempotent(r, proc_pool_start);
}

/* ---- (c) PUT /evaluations/{id}/pool/{code}/comparison ---- */

DB_STMT(stmt_pool_compare, 8,
	"WITH p AS (UPDATE pool SET comparison = $8::jsonb"
	"  WHERE evaluation_id = $6 AND code = $7 AND kind = 'candidate'"
	"  RETURNING code, comparison),"
	" a AS (INSERT INTO audit_log (actor_id, actor_username, actor_role,"
	"  action, evaluation_id, object_type, details, request_id,"
	"  client_addr) SELECT $1, $2, $3, 'pool.compare', $6, 'candidate',"
	"  jsonb_build_object('code', p.code, 'comparison', p.comparison),"
	"  $4, $5 FROM p)"
	" SELECT json_build_object('code', code, 'comparison',"
	"  comparison)::text FROM p");

static json_t *
proc_compared(struct req *r, const PGresult *res, int *status)
{
	json_t *out;

	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 0) {
		http_reply_error(r, 404, "not_found",
				 "the pool has no candidate with that code");
		return NULL;
	}
	out = proc_written(r, res, status, "conflict", "conflict");
	if (out != NULL)
		*status = 200;
	return out;
}

/* A comparison side: null, or an object of non-empty strings with the
 * keys named (and, for a benchmark, a scope). */
static bool
proc_side_ok(const json_t *side, bool benchmark)
{
	const char *scope;

	if (side == NULL || json_is_null(side))
		return true;
	if (!json_is_object(side) ||
	    !json_is_string(json_object_get(side, "ref")) ||
	    !json_is_string(json_object_get(side, "level")))
		return false;
	if (!benchmark)
		return true;
	scope = json_string_value(json_object_get(side, "scope"));
	return scope != NULL && (strcmp(scope, "domestic") == 0 ||
				 strcmp(scope, "international") == 0);
}

static void
proc_compare_checked(struct req *r, const PGresult *res)
{
	static const char *const fields[] = {"standard", "benchmark", NULL};
	struct proc_ctx *c = r->state;
	json_t *st = json_object_get(r->body, "standard");
	json_t *bm = json_object_get(r->body, "benchmark");
	const char *params[TXN_AUDIT_PARAMS + 3];

	if (!proc_require(r, res, c, STAGE_COMPARISON) || !body_only(r, fields))
		return;
	if (!proc_side_ok(st, false) || !proc_side_ok(bm, true) ||
	    ((st == NULL || json_is_null(st)) &&
	     (bm == NULL || json_is_null(bm)))) {
		body_invalid(r, "standard",
			     "give the highest standard level {\"ref\", "
			     "\"clause\"?, \"level\"}, or a benchmark "
			     "{\"scope\": \"domestic\" | \"international\", "
			     "\"ref\", \"level\"}, or both");
		return;
	}
	c->json = json_dumps(r->body, JSON_COMPACT | JSON_SORT_KEYS);
	snprintf(c->code, sizeof c->code, "%s", r->match.params[1].text);
	txn_audit_params(r, params);
	params[5] = c->e.id_text;
	params[6] = c->code;
	params[7] = c->json;
	txn_write(r, &stmt_pool_compare, params, proc_compared);
}

static void
proc_compare_start(struct req *r)
{
	proc_ctx_new(r);
	eval_load(r, proc_compare_checked);
}

void
h_procedure_compare(struct req *r)
{
	txn_idempotent(r, proc_compare_start);
}

/* ---- (d) POST /evaluations/{id}/consultations ---- */

static const char *const proc_stakeholders[] = {"industry_association",
						"enterprise",
						"professional_institution",
						"supplier",
						"consumer",
						"other",
						NULL};

DB_STMT(stmt_consultation_add, 10,
	"WITH k AS (INSERT INTO consultations (evaluation_id, stakeholder,"
	"  organization, opinion, response) VALUES ($6, $7, $8, $9, $10)"
	"  RETURNING *),"
	" a AS (INSERT INTO audit_log (actor_id, actor_username, actor_role,"
	"  action, evaluation_id, object_type, object_id, details, request_id,"
	"  client_addr) SELECT $1, $2, $3, 'consultation.add', $6,"
	"  'consultation', k.id, jsonb_strip_nulls(jsonb_build_object("
	"  'stakeholder', k.stakeholder, 'organization', k.organization,"
	"  'opinion', k.opinion, 'response', k.response)), $4, $5 FROM k)"
	" SELECT json_strip_nulls(json_build_object('id', id, 'stakeholder',"
	"  stakeholder, 'organization', organization, 'opinion', opinion,"
	"  'response', response))::text FROM k");

static json_t *
proc_consulted(struct req *r, const PGresult *res, int *status)
{
	return proc_written(r, res, status, "conflict", "conflict");
}

static void
proc_consult_checked(struct req *r, const PGresult *res)
{
	static const char *const fields[] = {"stakeholder", "organization",
					     "opinion", "response", NULL};
	struct proc_ctx *c = r->state;
	const char *who, *org, *opinion, *response;
	const char *params[TXN_AUDIT_PARAMS + 5];
	size_t i;

	if (!proc_require(r, res, c, STAGE_SELECTION) ||
	    !body_only(r, fields) ||
	    !body_string(r, "stakeholder", true, 1, 32, &who) ||
	    !body_string(r, "organization", true, 1, 200, &org) ||
	    !body_string(r, "opinion", true, 1, 4000, &opinion) ||
	    !body_string(r, "response", false, 0, 4000, &response))
		return;
	for (i = 0; proc_stakeholders[i] != NULL; i++) {
		if (strcmp(proc_stakeholders[i], who) == 0)
			break;
	}
	if (proc_stakeholders[i] == NULL) {
		body_invalid(r, "stakeholder",
			     "stakeholder is industry_association, enterprise, "
			     "professional_institution, supplier, consumer or "
			     "other");
		return;
	}
	txn_audit_params(r, params);
	params[5] = c->e.id_text;
	params[6] = who;
	params[7] = org;
	params[8] = opinion;
	params[9] = response;
	txn_write(r, &stmt_consultation_add, params, proc_consulted);
}

static void
proc_consult_start(struct req *r)
{
	proc_ctx_new(r);
	eval_load(r, proc_consult_checked);
}

void
h_procedure_consultations(struct req *r)
{
	txn_idempotent(r, proc_consult_start);
}

/* ---- POST /evaluations/{id}/advance ---- */

/* What the guards look at (workflow/stage.h), in one query. */
DB_STMT(stmt_stage_snapshot, 1,
	"SELECT (SELECT count(*) FROM standards WHERE evaluation_id = $1),"
	" COALESCE((SELECT json_agg(json_build_object('code', code,"
	"  'source', source IS NOT NULL, 'comparison', comparison IS NOT NULL)"
	"  ORDER BY code) FROM pool WHERE evaluation_id = $1"
	"  AND kind = 'candidate'), '[]')::text,"
	" (SELECT count(*) FROM consultations WHERE evaluation_id = $1),"
	" EXISTS (SELECT 1 FROM meetings WHERE evaluation_id = $1"
	"  AND kind = 'selection' AND finalized_at IS NOT NULL),"
	" EXISTS (SELECT 1 FROM meetings WHERE evaluation_id = $1"
	"  AND kind = 'weighting' AND finalized_at IS NOT NULL),"
	" (SELECT count(*) FROM pool WHERE evaluation_id = $1"
	"  AND kind = 'candidate' AND key)");

DB_STMT(stmt_stage_move, 10,
	"WITH e AS (UPDATE evaluations SET stage = $7, version = version + 1"
	"  WHERE id = $6 AND stage = $8 RETURNING *),"
	" a AS (INSERT INTO audit_log (actor_id, actor_username, actor_role,"
	"  action, evaluation_id, object_type, object_id, details, request_id,"
	"  client_addr) SELECT $1, $2, $3, $9, $6, 'evaluation', $6,"
	"  jsonb_strip_nulls(jsonb_build_object('from', $8::text, 'to',"
	"  $7::text, 'reason', $10::text)), $4, $5 FROM e)"
	" SELECT " EVAL_COLUMNS("$1") " FROM e LEFT JOIN verdicts v ON false");

static json_t *
proc_moved(struct req *r, const PGresult *res, int *status)
{
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		txn_reply_db_error(r, res);
		return NULL;
	}
	if (PQntuples(res) == 0) {
		http_reply_error(r, 409, "stage_changed",
				 "the evaluation's stage changed meanwhile; "
				 "read it again");
		return NULL;
	}
	*status = 200;
	return eval_json(res, 0);
}

static void
proc_snapshot_read(struct req *r, const PGresult *res)
{
	struct proc_ctx *c = r->state;
	struct stage_snapshot snap = {0};
	struct stage_candidate *cands = NULL;
	struct problems p = {0};
	struct tbl *table = NULL;
	const char *params[TXN_AUDIT_PARAMS + 5];
	json_t *list, *x;
	bool back = c->to < c->e.stage;
	size_t i;

	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		txn_reply_db_error(r, res);
		return;
	}
	list = json_loads(PQgetvalue(res, 0, 1), 0, NULL);
	cands = xcalloc(json_array_size(list) + 1, sizeof *cands);
	json_array_foreach(list, i, x)
	{
		cands[i].code = json_string_value(json_object_get(x, "code"));
		cands[i].has_source =
		    json_is_true(json_object_get(x, "source"));
		cands[i].has_comparison =
		    json_is_true(json_object_get(x, "comparison"));
	}
	snap.stage = c->e.stage;
	snap.from_template =
	    !json_is_null(json_object_get(c->e.json, "template"));
	snap.n_standards = (size_t)strtoull(PQgetvalue(res, 0, 0), NULL, 10);
	snap.candidates = cands;
	snap.n_candidates = json_array_size(list);
	snap.n_consultations =
	    (size_t)strtoull(PQgetvalue(res, 0, 2), NULL, 10);
	snap.selection_finalized = strcmp(PQgetvalue(res, 0, 3), "t") == 0;
	snap.weighting_finalized = strcmp(PQgetvalue(res, 0, 4), "t") == 0;
	snap.n_key_indicators =
	    (size_t)strtoull(PQgetvalue(res, 0, 5), NULL, 10);
	if (c->e.nodes != NULL && json_array_size(c->e.nodes) > 0)
		table = tbl_from_json(c->e.nodes, &p);
	problems_free(&p);
	snap.table = table;
	if (back)
		stage_check_back(&snap, c->to, c->reason, &p);
	else
		stage_check_advance(&snap, c->to, &p);
	tbl_free(table);
	free(cands);
	if (p.n > 0) {
		json_t *unmet = http_problems_json(&p);

		http_reply_error_details(
		    r, 409, "stage_guard", json_pack("{s:o}", "unmet", unmet),
		    "the evaluation cannot move from %s to %s yet",
		    stage_name(c->e.stage), stage_name(c->to));
		problems_free(&p);
		json_decref(list);
		return;
	}
	json_decref(list);
	txn_audit_params(r, params);
	params[5] = c->e.id_text;
	params[6] = stage_name(c->to);
	params[7] = stage_name(c->e.stage);
	params[8] = back ? "stage.back" : "stage.advance";
	params[9] = c->reason;
	txn_write(r, &stmt_stage_move, params, proc_moved);
}

static void
proc_advance_checked(struct req *r, const PGresult *res)
{
	static const char *const fields[] = {"to", "reason", NULL};
	struct proc_ctx *c = r->state;
	const char *to;

	if (!eval_row_read(r, res, &c->e))
		return;
	if (!c->e.secretary) {
		http_reply_error(r, 403, "forbidden",
				 "only the evaluation's secretary moves it "
				 "between stages");
		return;
	}
	if (!body_only(r, fields) || !body_string(r, "to", true, 1, 16, &to) ||
	    !body_string(r, "reason", false, 1, 2000, &c->reason))
		return;
	if (!stage_parse(to, &c->to)) {
		body_invalid(r, "to",
			     "a stage is standards, pool, comparison, "
			     "selection, weighting, scoring or finalized");
		return;
	}
	if (c->to == STAGE_FINALIZED && c->e.stage == STAGE_SCORING) {
		http_reply_error(r, 409, "stage_guard",
				 "an evaluation is finalized with its verdict: "
				 "POST /evaluations/%s/verdict",
				 c->e.id_text);
		return;
	}
	req_query(r, &stmt_stage_snapshot, (const char *const[]){c->e.id_text},
		  proc_snapshot_read);
}

static void
proc_advance_start(struct req *r)
{
	proc_ctx_new(r);
	eval_load(r, proc_advance_checked);
}

void
h_procedure_advance(struct req *r)
{
	txn_idempotent(r, proc_advance_start);
}

/* ---- GET /evaluations/{id}/procedure ---- */

/* Everything stages a-d recorded, for the secretary, the panels (who vote
 * on the pool's candidates by name, not by code) and auditors. */
DB_STMT(stmt_procedure_records, 1,
	"SELECT COALESCE((SELECT json_agg(json_build_object('id', id, 'code',"
	"  code, 'title', title, 'scope', scope, 'clauses', clauses)"
	"  ORDER BY id) FROM standards WHERE evaluation_id = $1), '[]')::text,"
	" COALESCE((SELECT json_agg(json_strip_nulls(json_build_object("
	"  'code', code, 'kind', kind, 'name', name, 'description',"
	"  description, 'parent', parent, 'source', source, 'comparison',"
	"  comparison, 'key', key))) FROM pool WHERE evaluation_id = $1),"
	"  '[]')::text,"
	" COALESCE((SELECT json_agg(json_strip_nulls(json_build_object('id',"
	"  id, 'stakeholder', stakeholder, 'organization', organization,"
	"  'opinion', opinion, 'response', response)) ORDER BY id)"
	"  FROM consultations WHERE evaluation_id = $1), '[]')::text");

static int
proc_pool_cmp(const void *a, const void *b)
{
	return tbl_code_cmp(
	    json_string_value(json_object_get(*(json_t *const *)a, "code")),
	    json_string_value(json_object_get(*(json_t *const *)b, "code")));
}

/* The pool in table order ("1.2" before "1.10"), which SQL's text order
 * is not. */
static json_t *
proc_pool_sorted(json_t *pool)
{
	size_t i, n = json_array_size(pool);
	json_t **rows = xcalloc(n + 1, sizeof *rows), *out = json_array();

	for (i = 0; i < n; i++)
		rows[i] = json_array_get(pool, i);
	qsort(rows, n, sizeof *rows, proc_pool_cmp);
	for (i = 0; i < n; i++)
		json_array_append(out, rows[i]);
	free(rows);
	json_decref(pool);
	return out;
}

static void
proc_records_read(struct req *r, const PGresult *res)
{
	struct proc_ctx *c = r->state;

	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		txn_reply_db_error(r, res);
		return;
	}
	http_reply_json(
	    r, 200,
	    json_pack(
		"{s:s, s:o, s:o, s:o}", "stage", stage_name(c->e.stage),
		"standards", json_loads(PQgetvalue(res, 0, 0), 0, NULL), "pool",
		proc_pool_sorted(json_loads(PQgetvalue(res, 0, 1), 0, NULL)),
		"consultations", json_loads(PQgetvalue(res, 0, 2), 0, NULL)));
}

static void
proc_records_checked(struct req *r, const PGresult *res)
{
	struct proc_ctx *c = r->state;

	if (!eval_row_read(r, res, &c->e))
		return;
	req_query(r, &stmt_procedure_records,
		  (const char *const[]){c->e.id_text}, proc_records_read);
}

void
h_procedure_records(struct req *r)
{
	proc_ctx_new(r);
	eval_load(r, proc_records_checked);
}
