/*
 * Templates: GET /templates, GET /templates/{id} and POST /templates.  The
 * built-in ones come from the catalog; saved ones (a finalized
 * evaluation's indicator table, kept for its field) from the templates
 * table, which never changes once written.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "body.h"
#include "catalog.h"
#include "decimal.h"
#include "handlers.h"
#include "txn.h"
#include "xalloc.h"

/* A saved template's row (id, title, threshold, nodes) as template_to_json
 * shows it, or NULL when the stored table does not parse. */
static json_t *
tpl_row_json(const PGresult *res, int row)
{
	struct problems p = {0};
	char threshold[32];
	json_t *nodes = json_loads(PQgetvalue(res, row, 3), 0, NULL), *doc,
	       *out = NULL;
	struct template *tp;

	if (nodes == NULL)
		return NULL;
	doc = json_pack("{s:s, s:s, s:s, s:o}", "id", PQgetvalue(res, row, 0),
			"title", PQgetvalue(res, row, 1), "threshold",
			dec_format(strtoll(PQgetvalue(res, row, 2), NULL, 10),
				   2, threshold, sizeof threshold),
			"nodes", nodes);
	tp = template_from_json(doc, &p);
	if (tp != NULL)
		out = template_to_json(tp);
	template_free(tp);
	problems_free(&p);
	json_decref(doc);
	return out;
}

/* ---- GET /templates ---- */

DB_STMT(stmt_tpl_list, 0,
	"SELECT id, title, threshold FROM templates ORDER BY id");

static void
tpl_listed(struct req *r, const PGresult *res)
{
	json_t *items = json_array();
	const struct template *tp;
	char threshold[32];

	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		json_decref(items);
		txn_reply_db_error(r, res);
		return;
	}
	for (size_t i = 0; (tp = catalog_template(i)) != NULL; i++)
		json_array_append_new(
		    items, json_pack("{s:s, s:s, s:s}", "id", tp->id, "title",
				     tp->title, "threshold",
				     dec_format(tp->threshold, 2, threshold,
						sizeof threshold)));
	for (int i = 0; i < PQntuples(res); i++)
		json_array_append_new(
		    items,
		    json_pack(
			"{s:s, s:s, s:s}", "id", PQgetvalue(res, i, 0), "title",
			PQgetvalue(res, i, 1), "threshold",
			dec_format(strtoll(PQgetvalue(res, i, 2), NULL, 10), 2,
				   threshold, sizeof threshold)));
	http_reply_json(r, 200,
			json_pack("{s:o, s:n}", "items", items, "next"));
}

void
h_templates_list(struct req *r)
{
	req_query(r, &stmt_tpl_list, (const char *const[]){NULL}, tpl_listed);
}

/* ---- GET /templates/{id} ---- */

DB_STMT(stmt_tpl_get, 1,
	"SELECT id, title, threshold, nodes::text FROM templates"
	" WHERE id = $1");

static void
tpl_got(struct req *r, const PGresult *res)
{
	json_t *out;

	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		txn_reply_db_error(r, res);
		return;
	}
	if (PQntuples(res) == 0) {
		http_reply_error(r, 404, "not_found",
				 "there is no template \"%s\"",
				 r->match.params[0].text);
		return;
	}
	out = tpl_row_json(res, 0);
	if (out == NULL) {
		http_reply_error(r, 500, "internal_error",
				 "the saved template does not parse");
		return;
	}
	http_reply_json(r, 200, out);
}

void
h_templates_get(struct req *r)
{
	const struct template *tp = catalog_find(r->match.params[0].text);

	if (tp != NULL) {
		http_reply_json(r, 200, template_to_json(tp));
		return;
	}
	req_query(r, &stmt_tpl_get,
		  (const char *const[]){r->match.params[0].text}, tpl_got);
}

/* ---- POST /templates ---- */

DB_STMT(stmt_tpl_create, 10,
	"WITH t AS (INSERT INTO templates (id, title, threshold, nodes,"
	"  from_evaluation, created_by)"
	"  VALUES ($6, $7, $8::int, $9::jsonb, $10::bigint, $1) RETURNING *),"
	" a AS (INSERT INTO audit_log (actor_id, actor_username, actor_role,"
	"  action, evaluation_id, object_type, object_id, details, request_id,"
	"  client_addr)"
	"  SELECT $1, $2, $3, 'template.create', t.from_evaluation,"
	"  'template', NULL, jsonb_build_object('id', t.id,"
	"  'from_evaluation', t.from_evaluation), $4, $5 FROM t)"
	" SELECT id, title, threshold, nodes::text FROM t");

/* POST /templates in progress. */
struct tpl_create {
	const char *id, *title; /* in r->body */
	char *nodes;
	char threshold[24], from[24];
};

static void
tpl_create_free(void *p)
{
	struct tpl_create *c = p;

	free(c->nodes);
	free(c);
}

static json_t *
tpl_created(struct req *r, const PGresult *res, int *status)
{
	json_t *out;

	if (strcmp(db_sqlstate(res), "23505") == 0) {
		http_reply_error(r, 409, "template_exists",
				 "there is already a template \"%s\"",
				 ((struct tpl_create *)r->state)->id);
		return NULL;
	}
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		txn_reply_db_error(r, res);
		return NULL;
	}
	out = tpl_row_json(res, 0);
	if (out == NULL) {
		http_reply_error(r, 500, "internal_error",
				 "the saved template does not parse");
		return NULL;
	}
	*status = 201;
	return out;
}

static void
tpl_eval_got(struct req *r, const PGresult *res)
{
	struct tpl_create *c = r->state;
	const char *params[TXN_AUDIT_PARAMS + 5];
	struct eval_row e;

	if (!eval_row_read(r, res, &e))
		return;
	if (!e.secretary) {
		http_reply_error(r, 403, "forbidden",
				 "only the evaluation's secretary may save its "
				 "table as a template");
		eval_row_free(&e);
		return;
	}
	if (e.stage != STAGE_FINALIZED) {
		http_reply_error(r, 409, "not_finalized",
				 "only a finalized evaluation's table can be "
				 "saved as a template");
		eval_row_free(&e);
		return;
	}
	c->nodes = json_dumps(e.nodes ? e.nodes : json_array(), JSON_COMPACT);
	snprintf(c->threshold, sizeof c->threshold, "%lld",
		 (long long)e.threshold);
	eval_row_free(&e);
	txn_audit_params(r, params);
	params[5] = c->id;
	params[6] = c->title;
	params[7] = c->threshold;
	params[8] = c->nodes;
	params[9] = c->from;
	txn_write(r, &stmt_tpl_create, params, tpl_created);
}

static void
h_templates_create_start(struct req *r)
{
	static const char *const fields[] = {"from_evaluation", "id", "title",
					     NULL};
	json_t *from = json_object_get(r->body, "from_evaluation");
	const char *id, *title;
	struct tpl_create *c;

	if (!body_only(r, fields))
		return;
	if (!json_is_integer(from)) {
		http_reply_error_details(
		    r, 400, "bad_request",
		    json_pack("{s:s}", "field", "from_evaluation"),
		    "\"from_evaluation\" must be an evaluation id");
		return;
	}
	if (json_integer_value(from) <= 0) {
		body_invalid(r, "from_evaluation",
			     "from_evaluation is a positive evaluation id");
		return;
	}
	if (!body_string(r, "id", true, 1, 64, &id) ||
	    !body_string(r, "title", true, 1, 300, &title))
		return;
	if (strspn(id, "abcdefghijklmnopqrstuvwxyz0123456789_-") !=
	    strlen(id)) {
		body_invalid(r, "id",
			     "a template id is 1 to 64 of a-z, 0-9, _ and -");
		return;
	}
	if (catalog_find(id) != NULL) {
		http_reply_error(r, 409, "template_exists",
				 "\"%s\" is a built-in template", id);
		return;
	}
	c = xcalloc(1, sizeof *c);
	r->state = c;
	r->state_free = tpl_create_free;
	c->id = id;
	c->title = title;
	snprintf(c->from, sizeof c->from, "%lld",
		 (long long)json_integer_value(from));
	eval_load_id(r, json_integer_value(from), tpl_eval_got);
}

/* A retry with the same Idempotency-Key replays the first answer. */
void
h_templates_create(struct req *r)
{
	txn_idempotent(r, h_templates_create_start);
}
