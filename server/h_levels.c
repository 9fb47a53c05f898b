/*
 * PUT /meetings/{id}/advanced-levels/{code}: before a weighting meeting is
 * finalized, its secretary confirms the advanced level of every indicator,
 * choosing one the panel proposed or writing one (section 4.1 e).  Each
 * confirmation replaces the previous one and is audited.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "body.h"
#include "handlers.h"
#include "kinds.h"
#include "meeting.h"
#include "txn.h"
#include "xalloc.h"

DB_STMT(stmt_levels_context, 2,
	"SELECT COALESCE((SELECT json_agg(json_build_object('code', code,"
	"  'kind', kind, 'key', key)) FROM pool WHERE evaluation_id = $2),"
	"  '[]')::text,"
	" COALESCE((SELECT json_agg(json_build_object('n', n, 'results',"
	"  results) ORDER BY n) FROM rounds WHERE meeting_id = $1"
	"  AND closed_at IS NOT NULL), '[]')::text");

/* The meeting must still be open when the row is written: the lock makes
 * a concurrent finalize wait for us, or us for it. */
DB_STMT(stmt_levels_confirm, 10,
	"WITH m AS (SELECT id FROM meetings WHERE id = $6"
	"  AND finalized_at IS NULL FOR SHARE),"
	" l AS (INSERT INTO advanced_levels (meeting_id, code, text,"
	"  from_proposal, confirmed_by) SELECT m.id, $8, $9, $10::boolean, $1"
	"  FROM m ON CONFLICT (meeting_id, code) DO UPDATE"
	"  SET text = EXCLUDED.text, from_proposal = EXCLUDED.from_proposal,"
	"  confirmed_by = EXCLUDED.confirmed_by, confirmed_at = now()"
	"  RETURNING code, text, from_proposal),"
	" a AS (INSERT INTO audit_log (actor_id, actor_username, actor_role,"
	"  action, evaluation_id, meeting_id, object_type, details,"
	"  request_id, client_addr) SELECT $1, $2, $3,"
	"  'advanced_level.confirm', $7::bigint, $6, 'advanced_level',"
	"  jsonb_build_object('item', l.code, 'text', l.text,"
	"  'from_proposal', l.from_proposal), $4, $5 FROM l)"
	" SELECT json_build_object('item', code, 'text', text,"
	"  'from_proposal', from_proposal)::text FROM l");

struct levels_ctx {
	struct meeting_row m;
	const char *text; /* in r->body */
	const char *code; /* the path's */
};

static void
levels_ctx_free(void *p)
{
	struct levels_ctx *c = p;

	meeting_row_free(&c->m);
	free(c);
}

static json_t *
levels_confirmed(struct req *r, const PGresult *res, int *status)
{
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		txn_reply_db_error(r, res);
		return NULL;
	}
	if (PQntuples(res) == 0) {
		http_reply_error(r, 409, "meeting_finalized",
				 "the meeting is finalized");
		return NULL;
	}
	*status = 200;
	return json_loads(PQgetvalue(res, 0, 0), 0, NULL);
}

/* Whether code is a leaf of the table the key indicators form: one of the
 * meeting's items that is a candidate (groups are never leaves there). */
static bool
levels_is_leaf(const json_t *pool, const char *code)
{
	json_t *items = kind_weighting_items(pool), *row;
	bool found = meeting_has_item(items, code);
	size_t i;

	json_decref(items);
	if (!found)
		return false;
	json_array_foreach(pool, i, row)
	{
		if (strcmp(json_string_value(json_object_get(row, "code")),
			   code) == 0)
			return strcmp(json_string_value(
					  json_object_get(row, "kind")),
				      "candidate") == 0;
	}
	return false;
}

static void
levels_context_read(struct req *r, const PGresult *res)
{
	struct levels_ctx *c = r->state;
	const char *params[TXN_AUDIT_PARAMS + 5];
	json_t *pool, *rounds;
	bool leaf, proposed;

	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		txn_reply_db_error(r, res);
		return;
	}
	pool = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	rounds = json_loads(PQgetvalue(res, 0, 1), 0, NULL);
	leaf = levels_is_leaf(pool, c->code);
	proposed = kind_weighting_proposed(rounds, c->code, c->text);
	json_decref(pool);
	json_decref(rounds);
	if (!leaf) {
		http_reply_error(r, 404, "not_found",
				 "%s is not an indicator of the table the key "
				 "indicators form",
				 c->code);
		return;
	}
	txn_audit_params(r, params);
	params[5] = c->m.id_text;
	params[6] = c->m.evaluation_text;
	params[7] = c->code;
	params[8] = c->text;
	params[9] = proposed ? "true" : "false";
	txn_write(r, &stmt_levels_confirm, params, levels_confirmed);
}

static void
levels_checked(struct req *r, const PGresult *res)
{
	static const char *const fields[] = {"text", NULL};
	struct levels_ctx *c = r->state;

	if (!meeting_row_read(r, res, &c->m))
		return;
	if (!meeting_require_secretary(r, &c->m) ||
	    !meeting_require_open(r, &c->m))
		return;
	if (strcmp(c->m.kind, "weighting") != 0) {
		http_reply_error(r, 409, "wrong_kind",
				 "advanced levels are confirmed in weighting "
				 "meetings");
		return;
	}
	if (!body_only(r, fields) ||
	    !body_string(r, "text", true, 1, 2000, &c->text))
		return;
	c->code = r->match.params[1].text;
	req_query(r, &stmt_levels_context,
		  (const char *const[]){c->m.id_text, c->m.evaluation_text},
		  levels_context_read);
}

static void
h_levels_confirm_start(struct req *r)
{
	r->state = xcalloc(1, sizeof(struct levels_ctx));
	r->state_free = levels_ctx_free;
	meeting_load(r, levels_checked);
}

/* A retry with the same Idempotency-Key replays the first answer before
 * any state is checked again. */
void
h_levels_confirm(struct req *r)
{
	txn_idempotent(r, h_levels_confirm_start);
}
