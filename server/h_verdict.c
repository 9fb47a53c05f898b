/*
 * The verdict (section 5.1): GET /evaluations/{id}/verdict/preview,
 * POST /evaluations/{id}/verdict, GET /evaluations/{id}/verdict, and the
 * public keys that verify it (GET /keys).  The total is recomputed
 * exactly by workflow/ from the ballots each round counted, so the
 * leave-one-expert-out check rests on the same numbers as the verdict.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "body.h"
#include "decimal.h"
#include "handlers.h"
#include "meeting.h"
#include "signing.h"
#include "table_json.h"
#include "txn.h"
#include "verdict.h"
#include "xalloc.h"

struct verdict_ctx {
	struct eval_row e;
	json_t *document; /* the finalized verdict, before signing */
	char *canonical, *signature, *doc_text;
	const char *statement;
	char at[32];
};

static void
verdict_ctx_free(void *p)
{
	struct verdict_ctx *v = p;

	eval_row_free(&v->e);
	json_decref(v->document);
	free(v->canonical);
	free(v->signature);
	free(v->doc_text);
	free(v);
}

/* The closed rounds of the latest finalized scoring meeting, each with
 * the ballots it counted. */
DB_STMT(stmt_verdict_rounds, 1,
	"SELECT r.n, r.items::text, r.rules::text,"
	" COALESCE((SELECT json_agg(json_build_object('expert', b.expert_id,"
	"  'scores', b.scores)) FROM jsonb_to_recordset(r.counted)"
	"  AS c(expert bigint, revision int) JOIN ballots b"
	"  ON b.meeting_id = r.meeting_id AND b.round_n = r.n"
	"  AND b.expert_id = c.expert AND b.revision = c.revision),"
	"  '[]')::text"
	" FROM rounds r WHERE r.closed_at IS NOT NULL AND r.meeting_id ="
	" (SELECT max(id) FROM meetings WHERE evaluation_id = $1"
	"  AND kind = 'scoring' AND finalized_at IS NOT NULL)"
	" ORDER BY r.n");

/* The ratings of one leaf in the round that decided it. */
struct verdict_item {
	int64_t *experts, *scores;
	size_t n;
};

static const char *
verdict_money(struct rat v, int decimals, char *buf)
{
	return rat_format(v, decimals, buf);
}

/* Fills items[i] for every leaf from the latest round that covered it. */
static bool
verdict_items(const PGresult *res, const struct tbl *t, struct vd_item *items,
	      struct verdict_item *data)
{
	for (size_t i = 0; i < t->n_leaves; i++) {
		const char *code = t->leaves[i]->code;
		int found = -1;

		for (int row = PQntuples(res) - 1; row >= 0 && found < 0;
		     row--) {
			json_t *its =
			    json_loads(PQgetvalue(res, row, 1), 0, NULL);
			size_t k;
			json_t *x;

			json_array_foreach(its, k, x)
			{
				if (strcmp(json_string_value(x), code) == 0)
					found = row;
			}
			json_decref(its);
		}
		if (found < 0)
			return false;
		{
			json_t *rules =
			    json_loads(PQgetvalue(res, found, 2), 0, NULL);
			json_t *ballots =
			    json_loads(PQgetvalue(res, found, 3), 0, NULL);
			struct meeting_rules mr;
			size_t e;
			json_t *b;

			if (!meeting_rules_parse(rules, &mr)) {
				json_decref(rules);
				json_decref(ballots);
				return false;
			}
			data[i].n = json_array_size(ballots);
			data[i].experts =
			    xcalloc(data[i].n + 1, sizeof(int64_t));
			data[i].scores =
			    xcalloc(data[i].n + 1, sizeof(int64_t));
			json_array_foreach(ballots, e, b)
			{
				size_t k;
				json_t *s;

				data[i].experts[e] = json_integer_value(
				    json_object_get(b, "expert"));
				json_array_foreach(json_object_get(b, "scores"),
						   k, s)
				{
					if (strcmp(
						json_string_value(
						    json_object_get(s, "item")),
						code) == 0)
						data[i].scores[e] =
						    json_integer_value(
							json_object_get(
							    s, "score"));
				}
			}
			items[i].code = code;
			items[i].global_weight = t->leaves[i]->global_weight;
			items[i].rule = mr.agg;
			items[i].experts = data[i].experts;
			items[i].scores = data[i].scores;
			items[i].n = data[i].n;
			json_decref(rules);
			json_decref(ballots);
		}
	}
	return true;
}

/* Hundredths of a point to points. */
static struct rat
verdict_points(struct rat hundredths)
{
	struct rat r;

	if (!rat_make(hundredths.num, hundredths.den * 100, &r))
		return rat_int(0);
	return r;
}

/*
 * The verdict's figures as JSON: total, advanced, threshold, breakdown,
 * leave_one_out, robust.  NULL after answering.
 */
static json_t *
verdict_compute(struct req *r, const PGresult *res, const struct eval_row *e)
{
	struct problems p = {0};
	struct tbl *t = tbl_from_json(e->nodes, &p);
	struct vd_item *items;
	struct verdict_item *data;
	struct vd_result vr;
	json_t *breakdown, *loo, *out = NULL;
	char buf[RAT_FORMAT_MAX], th[32], value[RAT_FORMAT_MAX],
	    contribution[RAT_FORMAT_MAX];

	if (t == NULL || tbl_validate(t, &p) != 0) {
		problems_free(&p);
		tbl_free(t);
		http_reply_error(r, 409, "table_invalid",
				 "the evaluation's table is not complete");
		return NULL;
	}
	items = xcalloc(t->n_leaves + 1, sizeof *items);
	data = xcalloc(t->n_leaves + 1, sizeof *data);
	if (!verdict_items(res, t, items, data)) {
		http_reply_error(r, 409, "scoring_not_finalized",
				 "finalize the scoring meeting, with every "
				 "indicator rated, first");
	} else if (vd_compute(items, t->n_leaves, e->threshold, &vr, &p) < 0) {
		http_reply_problems(r, 409, "verdict_not_computable", &p,
				    "the verdict cannot be computed");
	} else {
		breakdown = json_array();
		for (size_t i = 0; i < vr.n_lines; i++)
			json_array_append_new(
			    breakdown,
			    json_pack(
				"{s:s, s:s, s:s, s:s}", "item",
				vr.lines[i].code, "global_weight",
				tbl_format_global_weight(
				    vr.lines[i].global_weight, buf),
				"value",
				verdict_money(verdict_points(vr.lines[i].value),
					      2, value),
				"contribution",
				verdict_money(
				    verdict_points(vr.lines[i].contribution), 4,
				    contribution)));
		loo = json_array();
		for (size_t i = 0; i < vr.n_loo; i++)
			json_array_append_new(
			    loo,
			    json_pack("{s:I, s:o, s:o}", "expert",
				      (json_int_t)vr.loo[i].expert, "total",
				      vr.loo[i].computed
					  ? json_string(
						dec_format(vr.loo[i].published,
							   2, buf, sizeof buf))
					  : json_null(),
				      "advanced",
				      vr.loo[i].computed
					  ? json_boolean(vr.loo[i].advanced)
					  : json_null()));
		out = json_pack("{s:s, s:b, s:s, s:s, s:o, s:o, s:b}", "total",
				dec_format(vr.published, 2, buf, sizeof buf),
				"advanced", vr.advanced, "conclusion",
				vd_conclusion(vr.advanced), "threshold",
				dec_format(e->threshold, 2, th, sizeof th),
				"breakdown", breakdown, "leave_one_out", loo,
				"robust", vr.robust);
		vd_result_free(&vr);
	}
	for (size_t i = 0; i < t->n_leaves; i++) {
		free(data[i].experts);
		free(data[i].scores);
	}
	free(data);
	free(items);
	problems_free(&p);
	tbl_free(t);
	return out;
}

/* ---- preview ---- */

static void
preview_rounds(struct req *r, const PGresult *res)
{
	struct verdict_ctx *v = r->state;
	json_t *out;

	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		txn_reply_db_error(r, res);
		return;
	}
	out = verdict_compute(r, res, &v->e);
	if (out != NULL)
		http_reply_json(r, 200, out);
}

/* Loaded evaluation: the secretary at stage scoring (or later, to show
 * what was decided). */
static bool
verdict_require(struct req *r, const PGresult *res, struct verdict_ctx *v)
{
	if (!eval_row_read(r, res, &v->e))
		return false;
	if (!v->e.secretary) {
		http_reply_error(r, 403, "forbidden",
				 "only the evaluation's secretary does this");
		return false;
	}
	if (v->e.item_values == NULL) {
		http_reply_error(r, 409, "scoring_not_finalized",
				 "finalize the scoring meeting first");
		return false;
	}
	return true;
}

static void
preview_checked(struct req *r, const PGresult *res)
{
	struct verdict_ctx *v = r->state;

	if (!verdict_require(r, res, v))
		return;
	req_query(r, &stmt_verdict_rounds, (const char *const[]){v->e.id_text},
		  preview_rounds);
}

static struct verdict_ctx *
verdict_ctx_new(struct req *r)
{
	struct verdict_ctx *v = xcalloc(1, sizeof *v);

	r->state = v;
	r->state_free = verdict_ctx_free;
	return v;
}

void
h_verdict_preview(struct req *r)
{
	verdict_ctx_new(r);
	eval_load(r, preview_checked);
}

/* ---- POST /evaluations/{id}/verdict ---- */

DB_STMT(stmt_verdict_store, 11,
	"WITH e AS (UPDATE evaluations SET stage = 'finalized',"
	"  version = version + 1 WHERE id = $6 AND stage = 'scoring'"
	"  RETURNING id),"
	" v AS (INSERT INTO verdicts (evaluation_id, document, canonical,"
	"  signature, key_id, finalized_at, finalized_by)"
	"  SELECT e.id, $7::jsonb, $8, $9, $10, $11::timestamptz, $1 FROM e"
	"  RETURNING evaluation_id),"
	" a AS (INSERT INTO audit_log (actor_id, actor_username, actor_role,"
	"  action, evaluation_id, object_type, object_id, details,"
	"  request_id, client_addr)"
	"  SELECT $1, $2, $3, 'verdict.finalize', $6, 'evaluation', $6,"
	"  jsonb_build_object('verdict', $7::jsonb, 'signature', $9::text,"
	"  'key_id', $10::text), $4, $5 FROM v)"
	" SELECT count(*) FROM v");

static json_t *
verdict_signed_json(const json_t *document, const char *key_id,
		    const char *signature)
{
	json_t *out = json_deep_copy(document);

	json_object_set_new(out, "signature",
			    json_pack("{s:s, s:s, s:s}", "alg", "Ed25519",
				      "key_id", key_id, "value", signature));
	return out;
}

static json_t *
verdict_stored(struct req *r, const PGresult *res, int *status)
{
	struct verdict_ctx *v = r->state;

	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		txn_reply_db_error(r, res);
		return NULL;
	}
	if (strcmp(PQgetvalue(res, 0, 0), "1") != 0) {
		http_reply_error(r, 409, "evaluation_finalized",
				 "the evaluation is already finalized");
		return NULL;
	}
	*status = 201;
	return verdict_signed_json(v->document, signing_key_id(r->srv->signing),
				   v->signature);
}

static void
finalize_rounds(struct req *r, const PGresult *res)
{
	struct verdict_ctx *v = r->state;
	const char *params[TXN_AUDIT_PARAMS + 6];
	json_t *document;

	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		txn_reply_db_error(r, res);
		return;
	}
	/* verdict_compute may answer, and the request may be gone with it. */
	document = verdict_compute(r, res, &v->e);
	if (document == NULL)
		return;
	v->document = document;
	http_now_rfc3339(v->at);
	json_object_set_new(v->document, "evaluation_id",
			    json_integer(v->e.id));
	json_object_set_new(v->document, "statement",
			    v->statement ? json_string(v->statement)
					 : json_null());
	json_object_set_new(v->document, "finalized_at", json_string(v->at));
	json_object_set_new(v->document, "finalized_by",
			    json_pack("{s:I, s:s}", "id",
				      (json_int_t)r->user.id, "username",
				      r->user.username));
	v->canonical = signing_canonical(v->document);
	if (v->canonical == NULL ||
	    signing_sign(r->srv->signing, v->canonical, strlen(v->canonical),
			 &v->signature) < 0) {
		http_reply_error(r, 500, "internal_error",
				 "the verdict could not be signed");
		return;
	}
	v->doc_text = json_dumps(v->document, JSON_COMPACT);
	txn_audit_params(r, params);
	params[5] = v->e.id_text;
	params[6] = v->doc_text;
	params[7] = v->canonical;
	params[8] = v->signature;
	params[9] = signing_key_id(r->srv->signing);
	params[10] = v->at;
	txn_write(r, &stmt_verdict_store, params, verdict_stored);
}

static void
finalize_checked(struct req *r, const PGresult *res)
{
	static const char *const fields[] = {"statement", NULL};
	struct verdict_ctx *v = r->state;
	struct stage_snapshot snap = {0};
	struct problems p = {0};

	if (!verdict_require(r, res, v) || !body_only(r, fields) ||
	    !body_string(r, "statement", false, 0, 2000, &v->statement))
		return;
	snap.stage = v->e.stage;
	snap.scoring_finalized = v->e.item_values != NULL;
	snap.scoring_quorum_met = true; /* every closed round had its quorum */
	if (stage_check_advance(&snap, STAGE_FINALIZED, &p) > 0) {
		http_reply_problems(r, 409,
				    problems_find(&p, "evaluation_finalized")
					? "evaluation_finalized"
					: "stage_guard",
				    &p, "the evaluation cannot be finalized");
		problems_free(&p);
		return;
	}
	req_query(r, &stmt_verdict_rounds, (const char *const[]){v->e.id_text},
		  finalize_rounds);
}

static void
h_verdict_finalize_start(struct req *r)
{
	verdict_ctx_new(r);
	eval_load(r, finalize_checked);
}

/* A retry with the same Idempotency-Key replays the first answer before
 * any state is checked again. */
void
h_verdict_finalize(struct req *r)
{
	txn_idempotent(r, h_verdict_finalize_start);
}

/* ---- GET /evaluations/{id}/verdict ---- */

DB_STMT(stmt_verdict_get, 1,
	"SELECT document::text, key_id, signature FROM verdicts"
	" WHERE evaluation_id = $1");

static void
verdict_got(struct req *r, const PGresult *res)
{
	json_t *doc;

	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		txn_reply_db_error(r, res);
		return;
	}
	if (PQntuples(res) == 0) {
		http_reply_error(r, 404, "not_found",
				 "the evaluation has no verdict yet");
		return;
	}
	doc = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	http_reply_json(r, 200,
			verdict_signed_json(doc, PQgetvalue(res, 0, 1),
					    PQgetvalue(res, 0, 2)));
	json_decref(doc);
}

static void
verdict_get_checked(struct req *r, const PGresult *res)
{
	struct verdict_ctx *v = r->state;

	if (!eval_row_read(r, res, &v->e))
		return;
	req_query(r, &stmt_verdict_get, (const char *const[]){v->e.id_text},
		  verdict_got);
}

void
h_verdict_get(struct req *r)
{
	verdict_ctx_new(r);
	eval_load(r, verdict_get_checked);
}

void
h_keys(struct req *r)
{
	http_reply_json(r, 200, signing_keys_json(r->srv->signing));
}
