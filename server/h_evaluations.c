/*
 * Evaluations: POST /evaluations, GET /evaluations, GET /evaluations/{id},
 * GET /evaluations/{id}/table.  The secretary who creates an evaluation
 * runs it; experts see the evaluations where they hold a seat; auditors
 * see all.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "body.h"
#include "catalog.h"
#include "decimal.h"
#include "handlers.h"
#include "stage.h"
#include "table_cache.h"
#include "table_json.h"
#include "txn.h"
#include "verdict.h"
#include "xalloc.h"

#define EVAL_PAGE_DEFAULT 50
#define EVAL_PAGE_MAX	  200

json_t *
eval_json(const PGresult *res, int row)
{
	json_t *orgs = json_loads(PQgetvalue(res, row, 4), 0, NULL);
	json_t *verdict = json_null();
	char threshold[32];

	if (!PQgetisnull(res, row, 11))
		verdict = json_pack(
		    "{s:s, s:b, s:s}", "total", PQgetvalue(res, row, 11),
		    "advanced", strcmp(PQgetvalue(res, row, 12), "true") == 0,
		    "conclusion", PQgetvalue(res, row, 13));
	return json_pack(
	    "{s:I, s:s, s:{s:s, s:s}, s:o, s:s, s:s, s:I, s:s, s:o, s:o}", "id",
	    (json_int_t)strtoll(PQgetvalue(res, row, 0), NULL, 10), "title",
	    PQgetvalue(res, row, 1), "standard", "code",
	    PQgetvalue(res, row, 2), "title", PQgetvalue(res, row, 3),
	    "drafting_organizations", orgs ? orgs : json_array(), "stage",
	    PQgetvalue(res, row, 5), "threshold",
	    dec_format(strtoll(PQgetvalue(res, row, 6), NULL, 10), 2, threshold,
		       sizeof threshold),
	    "version", (json_int_t)strtoll(PQgetvalue(res, row, 7), NULL, 10),
	    "created_at", PQgetvalue(res, row, 8), "template",
	    PQgetisnull(res, row, 9) ? json_null()
				     : json_string(PQgetvalue(res, row, 9)),
	    "verdict", verdict);
}

bool
eval_row_access(struct req *r, const PGresult *res, struct eval_row *out)
{
	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		txn_reply_db_error(r, res);
		return false;
	}
	if (PQntuples(res) == 0) {
		http_reply_error(r, 404, "not_found",
				 "there is no such evaluation");
		return false;
	}
	memset(out, 0, sizeof *out);
	out->id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	snprintf(out->id_text, sizeof out->id_text, "%s",
		 PQgetvalue(res, 0, 0));
	if (!stage_parse(PQgetvalue(res, 0, 5), &out->stage))
		out->stage = STAGE_STANDARDS;
	out->threshold = strtoll(PQgetvalue(res, 0, 6), NULL, 10);
	out->version = strtoll(PQgetvalue(res, 0, 7), NULL, 10);
	out->secretary =
	    r->user.role == ROLE_SECRETARY &&
	    strtoll(PQgetvalue(res, 0, 10), NULL, 10) == r->user.id;
	out->seated = strcmp(PQgetvalue(res, 0, 14), "t") == 0;
	if (!out->secretary && r->user.role != ROLE_AUDITOR &&
	    !(r->user.role == ROLE_EXPERT && out->seated)) {
		http_reply_error(r, 403, "forbidden",
				 "only its secretary, its panel and auditors "
				 "may see this evaluation");
		return false;
	}
	out->json = eval_json(res, 0);
	return true;
}

/* The table of a row eval_row_access has read. */
static void
eval_row_parse_table(const PGresult *res, struct eval_row *out)
{
	out->nodes = json_loads(PQgetvalue(res, 0, 15), 0, NULL);
	out->item_values = PQgetisnull(res, 0, 16)
			       ? NULL
			       : json_loads(PQgetvalue(res, 0, 16), 0, NULL);
}

bool
eval_row_read(struct req *r, const PGresult *res, struct eval_row *out)
{
	if (!eval_row_access(r, res, out))
		return false;
	eval_row_parse_table(res, out);
	return true;
}

void
eval_row_free(struct eval_row *e)
{
	json_decref(e->json);
	json_decref(e->nodes);
	json_decref(e->item_values);
	memset(e, 0, sizeof *e);
}

/* ---- POST /evaluations ---- */

DB_STMT(stmt_eval_create, 13,
	"WITH e AS (INSERT INTO evaluations (title, standard_code,"
	"  standard_title, drafting_organizations, template_id, stage,"
	"  threshold, nodes, created_by)"
	"  VALUES ($6, $7, $8, $9::jsonb, $10, $11, $12::int, $13::jsonb, $1)"
	"  RETURNING *),"
	" a AS (INSERT INTO audit_log (actor_id, actor_username, actor_role,"
	"  action, evaluation_id, object_type, object_id, details, request_id,"
	"  client_addr)"
	"  SELECT $1, $2, $3, 'evaluation.create', e.id, 'evaluation', e.id,"
	"  jsonb_build_object('title', e.title, 'standard', e.standard_code,"
	"  'template', e.template_id, 'stage', e.stage), $4, $5 FROM e)"
	" SELECT " EVAL_COLUMNS("$1") " FROM e LEFT JOIN verdicts v ON false");

/* The values of POST /evaluations, kept until the write; the strings
 * point into r->body unless freed here. */
struct eval_create {
	char *orgs, *nodes;
	const char *title, *code, *stitle, *template_id;
	bool has_threshold, from_template;
	int64_t threshold;
	char threshold_text[16];
};

static void
eval_create_free(void *p)
{
	struct eval_create *c = p;

	free(c->orgs);
	free(c->nodes);
	free(c);
}

static json_t *
eval_created(struct req *r, const PGresult *res, int *status)
{
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		txn_reply_db_error(r, res);
		return NULL;
	}
	*status = 201;
	return eval_json(res, 0);
}

/* drafting_organizations: 1..20 non-empty strings of up to 200 bytes. */
static bool
eval_read_orgs(struct req *r, json_t **out)
{
	json_t *orgs = json_object_get(r->body, "drafting_organizations");
	size_t i;
	json_t *o;

	if (orgs == NULL) {
		*out = json_array();
		return true;
	}
	if (!json_is_array(orgs) || json_array_size(orgs) > 20) {
		body_invalid(r, "drafting_organizations",
			     "drafting_organizations is a list of at most 20 "
			     "names");
		return false;
	}
	json_array_foreach(orgs, i, o)
	{
		if (!json_is_string(o) || json_string_length(o) == 0 ||
		    json_string_length(o) > 200) {
			body_invalid(r, "drafting_organizations",
				     "each drafting organization is a name of "
				     "1 to 200 bytes");
			return false;
		}
	}
	*out = json_incref(orgs);
	return true;
}

/* Writes the evaluation once its table and threshold are known. */
static void
eval_create_write(struct req *r)
{
	struct eval_create *c = r->state;
	const char *params[TXN_AUDIT_PARAMS + 8];

	snprintf(c->threshold_text, sizeof c->threshold_text, "%lld",
		 (long long)c->threshold);
	txn_audit_params(r, params);
	params[5] = c->title;
	params[6] = c->code;
	params[7] = c->stitle;
	params[8] = c->orgs;
	params[9] = c->from_template ? c->template_id : NULL;
	params[10] = stage_name(stage_initial(c->from_template));
	params[11] = c->threshold_text;
	params[12] = c->nodes;
	txn_write(r, &stmt_eval_create, params, eval_created);
}

DB_STMT(stmt_eval_saved_template, 1,
	"SELECT threshold, nodes::text FROM templates WHERE id = $1");

/* A template that is not built in: a saved one, or none. */
static void
eval_saved_template_got(struct req *r, const PGresult *res)
{
	struct eval_create *c = r->state;

	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		txn_reply_db_error(r, res);
		return;
	}
	if (PQntuples(res) == 0) {
		body_invalid(r, "template", "there is no template \"%s\"",
			     c->template_id);
		return;
	}
	c->from_template = true;
	if (!c->has_threshold)
		c->threshold = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	free(c->nodes);
	c->nodes = xstrdup(PQgetvalue(res, 0, 1));
	eval_create_write(r);
}

static void
h_evaluations_create_start(struct req *r)
{
	static const char *const fields[] = {
	    "title",	"standard",  "drafting_organizations",
	    "template", "threshold", NULL};
	const char *title, *template_id, *threshold, *code, *stitle;
	const struct template *tp = NULL;
	json_t *standard = json_object_get(r->body, "standard"), *orgs;
	struct eval_create *c;
	int64_t th = 8500;

	if (!body_only(r, fields) ||
	    !body_string(r, "title", true, 1, 300, &title) ||
	    !body_string(r, "template", false, 1, 64, &template_id) ||
	    !body_string(r, "threshold", false, 1, 16, &threshold))
		return;
	if (!json_is_object(standard) ||
	    !json_is_string(json_object_get(standard, "code")) ||
	    !json_is_string(json_object_get(standard, "title"))) {
		http_reply_error_details(
		    r, 400, "bad_request",
		    json_pack("{s:s}", "field", "standard"),
		    "\"standard\" must be {\"code\": ..., \"title\": ...}");
		return;
	}
	code = json_string_value(json_object_get(standard, "code"));
	stitle = json_string_value(json_object_get(standard, "title"));
	if (strlen(code) == 0 || strlen(code) > 100 || strlen(stitle) == 0 ||
	    strlen(stitle) > 300) {
		body_invalid(r, "standard",
			     "the standard needs a code (1 to 100 bytes) and a "
			     "title (1 to 300 bytes)");
		return;
	}
	if (template_id != NULL)
		tp = catalog_find(template_id);
	if (tp != NULL)
		th = tp->threshold;
	if (threshold != NULL &&
	    !dec_parse(threshold, strlen(threshold), 2, 10000, &th)) {
		body_invalid(r, "threshold",
			     "the threshold is a score from 0 to 100 with at "
			     "most two decimals, like \"85\"");
		return;
	}
	if (!eval_read_orgs(r, &orgs))
		return;
	c = xcalloc(1, sizeof *c);
	r->state = c;
	r->state_free = eval_create_free;
	c->orgs = json_dumps(orgs, JSON_COMPACT);
	json_decref(orgs);
	c->title = title;
	c->code = code;
	c->stitle = stitle;
	c->template_id = template_id;
	c->has_threshold = threshold != NULL;
	c->threshold = th;
	if (tp != NULL) {
		json_t *nodes = tbl_to_json(tp->table);

		c->nodes = json_dumps(nodes, JSON_COMPACT);
		json_decref(nodes);
		c->from_template = true;
	} else {
		c->nodes = xstrdup("[]");
	}
	if (template_id != NULL && tp == NULL) {
		req_query(r, &stmt_eval_saved_template,
			  (const char *const[]){template_id},
			  eval_saved_template_got);
		return;
	}
	eval_create_write(r);
}

/* A retry with the same Idempotency-Key replays the first answer before
 * any state is checked again. */
void
h_evaluations_create(struct req *r)
{
	txn_idempotent(r, h_evaluations_create_start);
}

/* ---- GET /evaluations ---- */

/* Visibility in SQL: auditors all, a secretary those they run, an expert
 * those where they hold a seat ($3 is the caller's role). */
DB_STMT(stmt_eval_list, 4,
	"SELECT " EVAL_COLUMNS(
	    "$2") " FROM evaluations e"
		  " LEFT JOIN verdicts v ON v.evaluation_id = e.id"
		  " WHERE e.id > $1 AND ($3 = 'auditor'"
		  "  OR ($3 = 'secretary' AND e.created_by = $2)"
		  "  OR ($3 = 'expert' AND EXISTS (SELECT 1 FROM seats s"
		  "   JOIN meetings m ON m.id = s.meeting_id"
		  "   WHERE m.evaluation_id = e.id AND s.expert_id = $2"
		  "   AND s.state <> 'recused')))"
		  " ORDER BY e.id LIMIT $4");

static void
eval_listed(struct req *r, const PGresult *res)
{
	page_reply(r, res, *(int64_t *)r->state, eval_json);
}

void
h_evaluations_list(struct req *r)
{
	int64_t limit = EVAL_PAGE_DEFAULT, after = 0;
	char after_text[24], limit_text[24];

	if (!query_only(r, (const char *const[]){"limit", "after", NULL}) ||
	    !query_int(r, "limit", 1, EVAL_PAGE_MAX, &limit) ||
	    !query_int(r, "after", 1, INT64_MAX, &after))
		return;
	snprintf(after_text, sizeof after_text, "%lld", (long long)after);
	snprintf(limit_text, sizeof limit_text, "%lld", (long long)limit + 1);
	r->state = xmalloc(sizeof limit);
	r->state_free = free;
	*(int64_t *)r->state = limit;
	req_query(r, &stmt_eval_list,
		  (const char *const[]){after_text, r->user.id_text,
					user_role_name(r->user.role),
					limit_text},
		  eval_listed);
}

/* ---- GET /evaluations/{id} and its table ---- */

DB_STMT(stmt_eval_get, 2,
	"SELECT " EVAL_COLUMNS("$2") " FROM evaluations e"
				     " LEFT JOIN verdicts v ON v.evaluation_id "
				     "= e.id WHERE e.id = $1");

void
eval_load(struct req *r, req_result_cb then)
{
	eval_load_id(r, r->match.params[0].id, then);
}

void
eval_load_id(struct req *r, int64_t eval_id, req_result_cb then)
{
	char id[24];

	snprintf(id, sizeof id, "%lld", (long long)eval_id);
	req_query(r, &stmt_eval_get, (const char *const[]){id, r->user.id_text},
		  then);
}

static void
eval_got(struct req *r, const PGresult *res)
{
	struct eval_row e;

	if (!eval_row_access(r, res, &e))
		return;
	http_reply_json(r, 200, json_incref(e.json));
	eval_row_free(&e);
}

void
h_evaluations_get(struct req *r)
{
	eval_load(r, eval_got);
}

/*
 * The table with each leaf's value and contribution and the total, once
 * the scoring meeting has been finalized (item_values), all exact until
 * they are printed.
 */
json_t *
eval_table_json(const json_t *nodes, const json_t *item_values,
		int64_t threshold)
{
	struct problems p = {0};
	struct tbl *t = tbl_from_json(nodes, &p);
	json_t *out, *total_json = json_null();
	struct rat total = rat_int(0);
	char buf[RAT_FORMAT_MAX];
	bool have_all = item_values != NULL;

	if (t == NULL || tbl_validate(t, &p) != 0) {
		/* A table under construction (stages a-e): as stored. */
		problems_free(&p);
		tbl_free(t);
		return json_pack("{s:O, s:n, s:n}", "nodes", nodes, "total",
				 "advanced");
	}
	out = tbl_to_json(t);
	for (size_t i = 0; have_all && i < t->n_leaves; i++) {
		const struct tbl_node *leaf = t->leaves[i];
		json_t *v = json_object_get(item_values, leaf->code);
		struct rat value, contribution;

		if (v == NULL ||
		    !rat_make(json_integer_value(json_object_get(v, "num")),
			      json_integer_value(json_object_get(v, "den")),
			      &value) ||
		    !rat_mul(leaf->global_weight, value, &contribution) ||
		    !rat_add(total, contribution, &total)) {
			have_all = false;
			break;
		}
		/* value is in hundredths of a point */
		if (!rat_make(value.num, value.den * 100, &value) ||
		    !rat_make(contribution.num, contribution.den * 100,
			      &contribution)) {
			have_all = false;
			break;
		}
		json_object_set_new(tbl_json_find(out, leaf->code), "value",
				    json_string(rat_format(value, 2, buf)));
		json_object_set_new(
		    tbl_json_find(out, leaf->code), "contribution",
		    json_string(rat_format(contribution, 4, buf)));
	}
	if (have_all) {
		int64_t published;

		if (vd_publish(total, &published)) {
			total_json = json_string(
			    dec_format(published, 2, buf, sizeof buf));
			tbl_free(t);
			return json_pack("{s:o, s:o, s:b}", "nodes", out,
					 "total", total_json, "advanced",
					 published >= threshold);
		}
	}
	tbl_free(t);
	return json_pack("{s:o, s:o, s:n}", "nodes", out, "total", total_json,
			 "advanced");
}

/* Renders the evaluation's table into the cache from its row; NULL when
 * the stored table cannot be rendered. */
static const struct table_cache_entry *
eval_table_render(struct table_cache *tc, const PGresult *res,
		  struct eval_row *e)
{
	const struct table_cache_entry *t;
	json_t *table;

	eval_row_parse_table(res, e);
	table = eval_table_json(e->nodes, e->item_values, e->threshold);
	t = table_cache_put(tc, e->id, e->version, table);
	json_decref(table);
	return t;
}

static void
eval_table_got(struct req *r, const PGresult *res)
{
	const char *format = router_query_get(r->query, "format");
	const struct table_cache_entry *t;
	struct eval_row e;

	if (!eval_row_access(r, res, &e))
		return;
	t = table_cache_get(r->srv->tables, e.id, e.version);
	if (t == NULL)
		t = eval_table_render(r->srv->tables, res, &e);
	if (t == NULL) {
		http_reply_error(r, 500, "internal_error",
				 "the stored table cannot be rendered");
	} else if (format != NULL && strcmp(format, "csv") == 0) {
		http_reply_text(r, 200, "text/csv; charset=utf-8", t->csv,
				t->csv_len);
	} else {
		char *evaluation = json_dumps(e.json, JSON_COMPACT);
		char *text =
		    xasprintf("{%s,\"evaluation\":%s}", t->members, evaluation);

		http_reply_text(r, 200, "application/json; charset=utf-8", text,
				strlen(text));
		free(text);
		free(evaluation);
	}
	eval_row_free(&e);
}

void
h_evaluations_table(struct req *r)
{
	const char *format = router_query_get(r->query, "format");

	if (!query_only(r, (const char *const[]){"format", NULL}))
		return;
	if (format != NULL && strcmp(format, "csv") != 0 &&
	    strcmp(format, "json") != 0) {
		http_reply_error(r, 400, "bad_query", "format is json or csv");
		return;
	}
	eval_load(r, eval_table_got);
}
