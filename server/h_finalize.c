/*
 * POST /meetings/{id}/finalize: applies, for each item, the result of the
 * latest closed round that covered it (DESIGN.md, Round) to the
 * evaluation.  A selection meeting marks the key indicators of the pool; a
 * weighting meeting writes the table they form, with its weights and the
 * advanced levels the secretary confirmed; a scoring meeting stores the
 * item values the verdict is computed from.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "handlers.h"
#include "kinds.h"
#include "meeting.h"
#include "table_json.h"
#include "txn.h"
#include "xalloc.h"

DB_STMT(stmt_finalize_read, 2,
	"SELECT (SELECT nodes::text FROM evaluations WHERE id = $2),"
	" COALESCE((SELECT json_agg(json_build_object('n', n, 'results',"
	"  results) ORDER BY n) FROM rounds WHERE meeting_id = $1"
	"  AND closed_at IS NOT NULL), '[]')::text,"
	" COALESCE((SELECT json_agg(json_build_object('code', code, 'kind',"
	"  kind, 'name', name, 'description', description, 'comparison',"
	"  comparison, 'key', key)) FROM pool WHERE evaluation_id = $2),"
	"  '[]')::text");

/* The write of each kind: $6 meeting, $7 evaluation, $8 what is applied
 * (also the audit entry's details). */
#define FINALIZE_MEETING                                                       \
	"WITH m AS (UPDATE meetings SET finalized_at = now(),"                 \
	"  version = version + 1"                                              \
	"  WHERE id = $6 AND finalized_at IS NULL RETURNING id),"
#define FINALIZE_AUDIT                                                         \
	" a AS (INSERT INTO audit_log (actor_id, actor_username, actor_role,"  \
	"  action, evaluation_id, meeting_id, object_type, object_id,"         \
	"  details, request_id, client_addr)"                                  \
	"  SELECT $1, $2, $3, 'meeting.finalize', $7::bigint, $6, 'meeting',"  \
	"  $6, $8::jsonb, $4, $5 FROM m)"                                      \
	" SELECT count(*) FROM m"

DB_STMT(stmt_finalize_scoring, 8,
	FINALIZE_MEETING
	" e AS (UPDATE evaluations SET item_values = $8::jsonb->'item_values',"
	"  version = version + 1 WHERE id = $7 AND EXISTS (SELECT 1 FROM m)"
	"  RETURNING id)," FINALIZE_AUDIT);

DB_STMT(stmt_finalize_selection, 8,
	FINALIZE_MEETING
	" p AS (UPDATE pool SET key = (code IN (SELECT"
	"  jsonb_array_elements_text($8::jsonb->'selected')))"
	"  WHERE evaluation_id = $7 AND kind = 'candidate'"
	"  AND EXISTS (SELECT 1 FROM m) RETURNING code)," FINALIZE_AUDIT);

DB_STMT(stmt_finalize_weighting, 8,
	FINALIZE_MEETING
	" e AS (UPDATE evaluations SET nodes = $8::jsonb->'table',"
	"  item_values = NULL, version = version + 1"
	"  WHERE id = $7 AND EXISTS (SELECT 1 FROM m) RETURNING "
	"id)," FINALIZE_AUDIT);

struct finalize {
	struct meeting_row m;
	json_t *nodes, *rounds, *pool; /* as read */
	json_t *applied;	       /* the answer's and audit's details */
	json_t *shown;		       /* what the answer shows instead */
	char *applied_text;
};

static void
finalize_free(void *p)
{
	struct finalize *f = p;

	meeting_row_free(&f->m);
	json_decref(f->nodes);
	json_decref(f->rounds);
	json_decref(f->pool);
	json_decref(f->applied);
	json_decref(f->shown);
	free(f->applied_text);
	free(f);
}

static json_t *
finalize_done(struct req *r, const PGresult *res, int *status)
{
	struct finalize *f = r->state;
	json_t *out;

	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		txn_reply_db_error(r, res);
		return NULL;
	}
	if (strcmp(PQgetvalue(res, 0, 0), "1") != 0) {
		http_reply_error(r, 409, "meeting_finalized",
				 "the meeting is finalized");
		return NULL;
	}
	events_publish(r->srv->events, f->m.id, "meeting_finalized",
		       json_pack("{s:I}", "meeting", (json_int_t)f->m.id));
	*status = 200;
	out = json_pack("{s:I, s:s}", "id", (json_int_t)f->m.id, "state",
			"finalized");
	json_object_update(out, f->shown ? f->shown : f->applied);
	return out;
}

/* Writes what finalizing applies, kept in f->applied. */
static void
finalize_write(struct req *r, struct db_stmt *stmt)
{
	struct finalize *f = r->state;
	const char *params[TXN_AUDIT_PARAMS + 3];

	f->applied_text = json_dumps(f->applied, JSON_COMPACT | JSON_SORT_KEYS);
	txn_audit_params(r, params);
	params[5] = f->m.id_text;
	params[6] = f->m.evaluation_text;
	params[7] = f->applied_text;
	txn_write(r, stmt, params, finalize_done);
}

/* field of each item from the latest closed round that covered it: later
 * rounds override earlier ones. */
static json_t *
finalize_latest(const json_t *rounds, const char *field)
{
	json_t *out = json_object(), *round, *item;
	size_t i, k;

	json_array_foreach(rounds, i, round)
	{
		json_array_foreach(
		    json_object_get(json_object_get(round, "results"), "items"),
		    k, item)
		{
			const char *code =
			    json_string_value(json_object_get(item, "item"));
			json_t *v = json_object_get(item, field);

			if (code != NULL && v != NULL && !json_is_null(v))
				json_object_set(out, code, v);
		}
	}
	return out;
}

/* Appends item_not_rated for each code of items without a result. */
static void
finalize_check_rated(const json_t *items, const json_t *results,
		     struct problems *p)
{
	size_t i;
	json_t *x;

	json_array_foreach(items, i, x)
	{
		const char *code = json_string_value(x);

		if (json_object_get(results, code) == NULL)
			problems_add(p, "item_not_rated", code,
				     "no closed round decided %s", code);
	}
}

static void
finalize_reply_unrated(struct req *r, struct problems *p)
{
	http_reply_problems(r, 409, "items_not_rated", p,
			    "some items were not decided in any closed "
			    "round");
	problems_free(p);
}

static void
finalize_scoring(struct req *r)
{
	struct finalize *f = r->state;
	struct problems p = {0};
	json_t *values = finalize_latest(f->rounds, "exact");
	struct tbl *t = NULL;

	if (f->nodes != NULL)
		t = tbl_from_json(f->nodes, &p);
	if (t == NULL || tbl_validate(t, &p) != 0) {
		problems_free(&p);
		tbl_free(t);
		json_decref(values);
		http_reply_error(r, 409, "table_invalid",
				 "the evaluation's indicator table is not "
				 "complete");
		return;
	}
	for (size_t i = 0; i < t->n_leaves; i++) {
		if (json_object_get(values, t->leaves[i]->code) == NULL)
			problems_add(&p, "item_not_rated", t->leaves[i]->code,
				     "no closed round rated %s",
				     t->leaves[i]->code);
	}
	tbl_free(t);
	f->applied = json_pack("{s:o}", "item_values", values);
	if (p.n > 0) {
		finalize_reply_unrated(r, &p);
		return;
	}
	finalize_write(r, &stmt_finalize_scoring);
}

static void
finalize_selection(struct req *r)
{
	struct finalize *f = r->state;
	struct problems p = {0};
	json_t *items = kind_selection_items(f->pool);
	json_t *chosen = finalize_latest(f->rounds, "selected");
	json_t *selected = json_array(), *excluded = json_array(), *x;
	size_t i;

	finalize_check_rated(items, chosen, &p);
	json_array_foreach(items, i, x)
	{
		json_array_append(
		    json_is_true(json_object_get(chosen, json_string_value(x)))
			? selected
			: excluded,
		    x);
	}
	json_decref(items);
	json_decref(chosen);
	f->applied =
	    json_pack("{s:o, s:o}", "selected", selected, "excluded", excluded);
	if (p.n > 0) {
		finalize_reply_unrated(r, &p);
		return;
	}
	finalize_write(r, &stmt_finalize_selection);
}

/* code -> text of the secretary's confirmations. */
static json_t *
finalize_levels(const json_t *confirmed)
{
	json_t *out = json_object(), *x;
	size_t i;

	json_array_foreach(confirmed, i, x)
	{
		json_object_set(out,
				json_string_value(json_object_get(x, "item")),
				json_object_get(x, "text"));
	}
	return out;
}

/* The leaves of the formed table (its key candidates) without a
 * confirmed advanced level, as [{"code","subject","message"}]. */
static json_t *
finalize_unconfirmed(const json_t *pool, const json_t *items,
		     const json_t *levels)
{
	json_t *unmet = json_array(), *x, *row;
	size_t i, k;

	json_array_foreach(items, i, x)
	{
		const char *code = json_string_value(x);

		json_array_foreach(pool, k, row)
		{
			if (strcmp(
				json_string_value(json_object_get(row, "code")),
				code) == 0 &&
			    strcmp(
				json_string_value(json_object_get(row, "kind")),
				"candidate") == 0 &&
			    json_object_get(levels, code) == NULL)
				json_array_append_new(
				    unmet,
				    json_pack("{s:s, s:s, s:s}", "code",
					      "advanced_level_unconfirmed",
					      "subject", code, "message",
					      "confirm the advanced level of "
					      "this indicator"));
		}
	}
	return unmet;
}

static void
finalize_weighting(struct req *r)
{
	struct finalize *f = r->state;
	struct problems p = {0};
	json_t *items = kind_weighting_items(f->pool);
	json_t *weights = kind_weighting_final_weights(f->rounds);
	json_t *levels = finalize_levels(f->m.levels), *nodes;
	json_t *unmet = finalize_unconfirmed(f->pool, items, levels);
	struct tbl *t;

	finalize_check_rated(items, weights, &p);
	json_decref(items);
	if (p.n > 0 || json_array_size(unmet) > 0) {
		json_decref(weights);
		json_decref(levels);
		if (p.n > 0) {
			json_decref(unmet);
			finalize_reply_unrated(r, &p);
			return;
		}
		http_reply_error_details(
		    r, 409, "advanced_levels_unconfirmed",
		    json_pack("{s:o}", "unmet", unmet),
		    "confirm the advanced level of every indicator first "
		    "(PUT /meetings/%s/advanced-levels/CODE)",
		    f->m.id_text);
		return;
	}
	json_decref(unmet);
	t = kind_weighting_table(f->pool, weights, levels);
	json_decref(weights);
	json_decref(levels);
	/* The table is stored as templates are, without global weights,
	 * which tbl_to_json adds once a table is validated; the answer shows
	 * them, as GET /evaluations/{id}/table does. */
	nodes = tbl_to_json(t);
	if (tbl_validate(t, &p) != 0) {
		tbl_free(t);
		json_decref(nodes);
		http_reply_problems(r, 409, "table_invalid", &p,
				    "the weights do not form a valid "
				    "indicator table");
		problems_free(&p);
		return;
	}
	f->applied = json_pack("{s:o}", "table", nodes);
	f->shown = json_pack("{s:o}", "table", tbl_to_json(t));
	tbl_free(t);
	finalize_write(r, &stmt_finalize_weighting);
}

static void
finalize_read(struct req *r, const PGresult *res)
{
	struct finalize *f = r->state;

	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		txn_reply_db_error(r, res);
		return;
	}
	f->nodes = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	f->rounds = json_loads(PQgetvalue(res, 0, 1), 0, NULL);
	f->pool = json_loads(PQgetvalue(res, 0, 2), 0, NULL);
	if (strcmp(f->m.kind, "selection") == 0)
		finalize_selection(r);
	else if (strcmp(f->m.kind, "weighting") == 0)
		finalize_weighting(r);
	else
		finalize_scoring(r);
}

static void
finalize_checked(struct req *r, const PGresult *res)
{
	struct finalize *f = r->state;

	if (!meeting_row_read(r, res, &f->m))
		return;
	if (!meeting_require_secretary(r, &f->m) ||
	    !meeting_require_open(r, &f->m))
		return;
	if (f->m.open_round != 0) {
		http_reply_error(r, 409, "round_open", "close round %d first",
				 f->m.open_round);
		return;
	}
	if (f->m.last_round == 0) {
		http_reply_error(r, 409, "no_closed_round",
				 "the meeting has no closed round yet");
		return;
	}
	req_query(r, &stmt_finalize_read,
		  (const char *const[]){f->m.id_text, f->m.evaluation_text},
		  finalize_read);
}

static void
h_meetings_finalize_start(struct req *r)
{
	r->state = xcalloc(1, sizeof(struct finalize));
	r->state_free = finalize_free;
	meeting_load(r, finalize_checked);
}

/* A retry with the same Idempotency-Key replays the first answer before
 * any state is checked again. */
void
h_meetings_finalize(struct req *r)
{
	txn_idempotent(r, h_meetings_finalize_start);
}
