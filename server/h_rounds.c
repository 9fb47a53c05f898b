/*
 * Delphi rounds: POST /meetings/{id}/rounds (open),
 * POST /meetings/{id}/rounds/{n}/close, GET .../rounds/{n}/results, and
 * GET /meetings/{id}/events.  Closing computes every statistic with
 * workflow/ from the complete ballots only, under a lock that makes a
 * ballot committed before the close count and one after it fail.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agg.h"
#include "body.h"
#include "consensus.h"
#include "decimal.h"
#include "events.h"
#include "handlers.h"
#include "kendall.h"
#include "kinds.h"
#include "meeting.h"
#include "stats.h"
#include "table_json.h"
#include "txn.h"
#include "xalloc.h"

/* A round request in progress. */
struct round_ctx {
	struct meeting_row m;
	int n;
	char n_text[16];
	char *items;	     /* JSON text */
	char *rules;	     /* JSON text */
	char *results;	     /* JSON text */
	char *counted;	     /* JSON text */
	json_t *round_items; /* the round's items, for closing */
	json_t *round_rules;
	const char *deadline;
	json_t *answer;
};

static void
round_ctx_free(void *p)
{
	struct round_ctx *c = p;

	meeting_row_free(&c->m);
	free(c->items);
	free(c->rules);
	json_decref(c->round_items);
	json_decref(c->round_rules);
	free(c->results);
	free(c->counted);
	json_decref(c->answer);
	free(c);
}

static struct round_ctx *
round_ctx_new(struct req *r)
{
	struct round_ctx *c = xcalloc(1, sizeof *c);

	r->state = c;
	r->state_free = round_ctx_free;
	return c;
}

/* ---- POST /meetings/{id}/rounds ---- */

DB_STMT(
    stmt_round_context, 2,
    "SELECT (SELECT nodes::text FROM evaluations WHERE id = $2),"
    " (SELECT results::text FROM rounds WHERE meeting_id = $1"
    "  AND closed_at IS NOT NULL ORDER BY n DESC LIMIT 1),"
    " COALESCE((SELECT json_agg(json_build_object('code', code, 'kind',"
    "  kind, 'key', key)) FROM pool WHERE evaluation_id = $2), '[]')::text");

DB_STMT(stmt_round_open, 11,
	"WITH r AS (INSERT INTO rounds (meeting_id, n, items, rules, deadline)"
	"  SELECT $6, $8::int, $9::jsonb, m.rules, $10::timestamptz"
	"  FROM meetings m WHERE m.id = $6"
	"  AND ($10::timestamptz IS NULL OR $10::timestamptz > now())"
	"  RETURNING n, deadline AS d),"
	" a AS (INSERT INTO audit_log (actor_id, actor_username, actor_role,"
	"  action, evaluation_id, meeting_id, object_type, object_id,"
	"  details, request_id, client_addr)"
	"  SELECT $1, $2, $3, 'round.open', $7::bigint, $6, 'round', r.n,"
	"  jsonb_build_object('round', r.n, 'items', $9::jsonb,"
	"  'deadline', $10::text, 'rules', $11::jsonb), $4, $5 FROM r)"
	" SELECT n, to_char(d AT TIME ZONE 'UTC',"
	"  'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM r");

static json_t *
round_opened(struct req *r, const PGresult *res, int *status)
{
	struct round_ctx *c = r->state;
	json_t *items;

	if (strcmp(db_sqlstate(res), "23505") == 0) {
		http_reply_error(r, 409, "round_open",
				 "another round of this meeting is open");
		return NULL;
	}
	if (strncmp(db_sqlstate(res), "22", 2) == 0) {
		body_invalid(r, "deadline", "the deadline is an RFC 3339 time");
		return NULL;
	}
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		txn_reply_db_error(r, res);
		return NULL;
	}
	if (PQntuples(res) == 0) {
		body_invalid(r, "deadline", "the deadline is in the past");
		return NULL;
	}
	items = json_loads(c->items, 0, NULL);
	events_publish(r->srv->events, c->m.id, "round_opened",
		       json_pack("{s:i, s:I}", "round", c->n, "items",
				 (json_int_t)json_array_size(items)));
	*status = 201;
	/* The deadline as stored, in UTC, as GET /meetings/{id} shows it. */
	return json_pack("{s:i, s:o, s:s, s:o, s:i}", "n", c->n, "items", items,
			 "state", "open", "deadline",
			 PQgetisnull(res, 0, 1)
			     ? json_null()
			     : json_string(PQgetvalue(res, 0, 1)),
			 "complete_ballots", 0);
}

/* The items of a new round out of the meeting's universe: named ones
 * (checked), else all for round 1, else those without consensus in the
 * last closed round. */
static json_t *
round_pick_items(struct req *r, const json_t *universe, const json_t *last)
{
	json_t *named = json_object_get(r->body, "items"), *x, *items;
	size_t i, k;

	if (named != NULL) {
		if (!json_is_array(named) || json_array_size(named) == 0) {
			body_invalid(r, "items",
				     "items is a non-empty list of indicator "
				     "codes");
			return NULL;
		}
		json_array_foreach(named, i, x)
		{
			for (k = 0; k < json_array_size(universe); k++) {
				if (json_equal(json_array_get(universe, k), x))
					break;
			}
			if (k == json_array_size(universe)) {
				body_invalid(r, "items",
					     "%s is not an item of this "
					     "meeting",
					     json_is_string(x)
						 ? json_string_value(x)
						 : "an item");
				return NULL;
			}
			for (k = 0; k < i; k++) {
				if (json_equal(json_array_get(named, k), x)) {
					body_invalid(r, "items",
						     "%s is named twice",
						     json_string_value(x));
					return NULL;
				}
			}
		}
		return json_incref(named);
	}
	if (last == NULL)
		return json_incref((json_t *)universe);
	items = json_array();
	json_array_foreach(json_object_get(last, "items"), i, x)
	{
		if (!json_is_true(json_object_get(x, "consensus")))
			json_array_append(items, json_object_get(x, "item"));
	}
	if (json_array_size(items) == 0) {
		json_decref(items);
		http_reply_error(r, 409, "consensus_reached",
				 "every item reached consensus in the last "
				 "round; name items to rate them again");
		return NULL;
	}
	return items;
}

/* Every item a meeting of this kind can cover, in table order: the
 * leaves of the table for scoring, the pool's candidates for selection,
 * the nodes of the table the key indicators form for weighting.  NULL
 * after answering. */
static json_t *
round_universe(struct req *r, const char *kind, const PGresult *res)
{
	struct problems p = {0};
	json_t *nodes, *pool, *out;
	struct tbl *t = NULL;

	if (strcmp(kind, "scoring") != 0) {
		pool = json_loads(PQgetvalue(res, 0, 2), 0, NULL);
		out = strcmp(kind, "selection") == 0
			  ? kind_selection_items(pool)
			  : kind_weighting_items(pool);
		json_decref(pool);
		if (json_array_size(out) > 0)
			return out;
		json_decref(out);
		http_reply_error(
		    r, 409, "no_items", "there is nothing to %s yet: %s",
		    strcmp(kind, "selection") == 0 ? "select" : "weigh",
		    strcmp(kind, "selection") == 0
			? "the pool has no candidates"
			: "no key indicator was selected");
		return NULL;
	}
	nodes = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	if (nodes != NULL)
		t = tbl_from_json(nodes, &p);
	json_decref(nodes);
	if (t == NULL || tbl_validate(t, &p) != 0) {
		problems_free(&p);
		tbl_free(t);
		http_reply_error(r, 409, "table_invalid",
				 "the evaluation's indicator table is not "
				 "complete");
		return NULL;
	}
	out = json_array();
	for (size_t i = 0; i < t->n_leaves; i++)
		json_array_append_new(out, json_string(t->leaves[i]->code));
	tbl_free(t);
	return out;
}

static void
round_context_read(struct req *r, const PGresult *res)
{
	struct round_ctx *c = r->state;
	json_t *universe, *last = NULL, *items;
	const char *params[TXN_AUDIT_PARAMS + 6];

	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		txn_reply_db_error(r, res);
		return;
	}
	universe = round_universe(r, c->m.kind, res);
	if (universe == NULL)
		return;
	if (!PQgetisnull(res, 0, 1))
		last = json_loads(PQgetvalue(res, 0, 1), 0, NULL);
	items = round_pick_items(r, universe, last);
	json_decref(last);
	if (items != NULL && strcmp(c->m.kind, "weighting") == 0) {
		json_t *whole = kind_weighting_whole_groups(universe, items);

		json_decref(items);
		items = whole;
	}
	json_decref(universe);
	if (items == NULL)
		return;
	c->items = json_dumps(items, JSON_COMPACT);
	json_decref(items);
	c->rules = json_dumps(c->m.rules, JSON_COMPACT | JSON_SORT_KEYS);
	txn_audit_params(r, params);
	params[5] = c->m.id_text;
	params[6] = c->m.evaluation_text;
	params[7] = c->n_text;
	params[8] = c->items;
	params[9] = c->deadline;
	params[10] = c->rules;
	txn_write(r, &stmt_round_open, params, round_opened);
}

static void
round_open_checked(struct req *r, const PGresult *res)
{
	static const char *const fields[] = {"items", "deadline", NULL};
	struct round_ctx *c = r->state;

	if (!meeting_row_read(r, res, &c->m))
		return;
	if (!meeting_require_secretary(r, &c->m) ||
	    !meeting_require_open(r, &c->m) || !body_only(r, fields) ||
	    !body_time(r, "deadline", false, &c->deadline))
		return;
	if (c->m.open_round != 0) {
		http_reply_error(r, 409, "round_open",
				 "round %d is open; close it first",
				 c->m.open_round);
		return;
	}
	c->n = c->m.last_round + 1;
	snprintf(c->n_text, sizeof c->n_text, "%d", c->n);
	req_query(r, &stmt_round_context,
		  (const char *const[]){c->m.id_text, c->m.evaluation_text},
		  round_context_read);
}

static void
h_rounds_open_start(struct req *r)
{
	round_ctx_new(r);
	meeting_load(r, round_open_checked);
}

/* A retry with the same Idempotency-Key replays the first answer before
 * any state is checked again. */
void
h_rounds_open(struct req *r)
{
	txn_idempotent(r, h_rounds_open_start);
}

/* ---- POST /meetings/{id}/rounds/{n}/close ---- */

DB_STMT(stmt_round_lock, 2,
	"SELECT items::text, rules::text FROM rounds"
	" WHERE meeting_id = $1 AND n = $2 AND closed_at IS NULL FOR UPDATE");

/* Each seated expert's latest revision; only complete ones count. */
#define ROUND_BALLOTS_QUERY(ballot)                                            \
	"SELECT h.expert_id, h.revision, h.complete, " ballot                  \
	" FROM ballot_heads h JOIN ballots b ON b.meeting_id = h.meeting_id"   \
	" AND b.round_n = h.round_n AND b.expert_id = h.expert_id"             \
	" AND b.revision = h.revision"                                         \
	" JOIN seats s ON s.meeting_id = h.meeting_id"                         \
	" AND s.expert_id = h.expert_id AND s.state = 'seated'"                \
	" WHERE h.meeting_id = $1 AND h.round_n = $2::int"                     \
	" ORDER BY h.expert_id"

DB_STMT(stmt_round_ballots, 2, ROUND_BALLOTS_QUERY("b.scores::text"));

/*
 * A scoring ballot as "1.1 8950 1.2 7000": each item and its score
 * (hundredths).  Parsing 1,000 ballots of 100 scores as JSON took 60 % of
 * closing such a round; PostgreSQL renders this from its binary jsonb at
 * about the cost of rendering the JSON text, and the server reads it one
 * number at a time.  Item codes are digits and dots (tbl_code_valid), so
 * a space separates.
 */
DB_STMT(stmt_round_score_rows, 2,
	ROUND_BALLOTS_QUERY(
	    "(SELECT string_agg((e->>'item') || ' ' || (e->>'score'), ' ')"
	    "  FROM jsonb_array_elements(b.scores) e)"));

DB_STMT(stmt_round_close, 10,
	"WITH r AS (UPDATE rounds SET closed_at = now(), results = $9::jsonb,"
	"  counted = $10::jsonb WHERE meeting_id = $6 AND n = $8::int"
	"  AND closed_at IS NULL RETURNING n),"
	" a AS (INSERT INTO audit_log (actor_id, actor_username, actor_role,"
	"  action, evaluation_id, meeting_id, object_type, object_id,"
	"  details, request_id, client_addr)"
	"  SELECT $1, $2, $3, 'round.close', $7::bigint, $6, 'round', r.n,"
	"  jsonb_build_object('round', r.n, 'results', $9::jsonb,"
	"  'counted', $10::jsonb), $4, $5 FROM r)"
	" SELECT n FROM r");

/* One item's result from its ratings (hundredths). */
static json_t *
round_item_result(const char *code, const int64_t *v, size_t n,
		  const struct meeting_rules *rules)
{
	struct stats st;
	struct consensus cons;
	struct rat value, points;
	char buf[RAT_FORMAT_MAX];

	if (agg_apply(&rules->agg, v, n, &value) != AGG_OK ||
	    stats_compute(v, n, 100, rules->agg.trim, rules->consensus.quantile,
			  &st) < 0 ||
	    consensus_check(v, n, &rules->consensus, &cons) < 0 ||
	    !rat_make(value.num, value.den * 100, &points))
		return NULL;
	return json_pack(
	    "{s:s, s:I, s:s, s:{s:I, s:I}, s:o, s:o, s:o, s:o, s:o, s:o, s:o,"
	    " s:o, s:o, s:o, s:b}",
	    "item", code, "n", (json_int_t)n, "value",
	    rat_format(points, 2, buf), "exact", "num", (json_int_t)value.num,
	    "den", (json_int_t)value.den, "mean",
	    meeting_stat_json(true, st.mean, 2), "trimmed_mean",
	    meeting_stat_json(st.has_trimmed_mean, st.trimmed_mean, 2),
	    "median", meeting_stat_json(true, st.median, 2), "sd",
	    meeting_stat_json(st.has_sd, st.sd, 2), "cv",
	    meeting_stat_json(st.has_cv, st.cv, 4), "q1",
	    meeting_stat_json(true, st.q1, 2), "q3",
	    meeting_stat_json(true, st.q3, 2), "iqr",
	    meeting_stat_json(true, st.iqr, 2), "min",
	    meeting_stat_json(true, st.min, 2), "max",
	    meeting_stat_json(true, st.max, 2), "consensus", cons.reached);
}

/* Reads a ballot of stmt_round_score_rows into row[0..n_items), where
 * columns maps each item's code to its index (meeting_item_index); -1
 * where it gives no score.  False when it names an item not in columns (a
 * server bug). */
static bool
round_row_parse(const char *text, const json_t *columns, int64_t *row,
		size_t n_items)
{
	const char *p = text;

	for (size_t k = 0; k < n_items; k++)
		row[k] = -1;
	while (*p != '\0') {
		size_t len = strcspn(p, " ");
		json_t *k = json_object_getn(columns, p, len);
		char *end;

		if (k == NULL || p[len] != ' ')
			return false;
		errno = 0;
		row[json_integer_value(k)] = strtoll(p + len + 1, &end, 10);
		if (end == p + len + 1 || errno != 0 ||
		    (*end != ' ' && *end != '\0'))
			return false;
		p = *end == ' ' ? end + 1 : end;
	}
	return true;
}

/* A scoring round's per item results and Kendall's W over the panel
 * (*panel, null when undefined) from the m x n_items matrix of the
 * counted ballots' scores. */
static json_t *
round_scoring_items(const int64_t *matrix, size_t m, const json_t *round_items,
		    const struct meeting_rules *rules, json_t **panel)
{
	size_t n_items = json_array_size(round_items);
	int64_t *column = xcalloc(m + 1, sizeof *column);
	json_t *items = json_array();
	struct kendall kw;

	for (size_t k = 0; k < n_items; k++) {
		for (size_t e = 0; e < m; e++)
			column[e] = matrix[e * n_items + k];
		json_array_append_new(
		    items, round_item_result(json_string_value(json_array_get(
						 round_items, k)),
					     column, m, rules));
	}
	*panel = json_null();
	if (kendall_w(matrix, m, n_items, &kw) == 0)
		*panel =
		    json_pack("{s:o, s:o, s:i, s:o}", "kendall_w",
			      meeting_stat_json(true, kw.w, 4), "chi2",
			      meeting_stat_json(true, kw.chi2, 3), "df", kw.df,
			      "p", meeting_stat_json(true, kw.p, 4));
	free(column);
	return items;
}

/* The counted ballots of a round as read: whole JSON ballots for
 * selection and weighting, the expert x item matrix for scoring. */
struct round_ballots {
	size_t m;
	json_t **json;
	int64_t *matrix;
};

/* Reads the complete ballots of res into b and lists them in *counted
 * (new reference); false when a stored ballot cannot be read. */
static bool
round_ballots_collect(const struct round_ctx *c, const PGresult *res,
		      struct round_ballots *b, json_t **counted)
{
	size_t rows = (size_t)PQntuples(res);
	size_t n_items = json_array_size(c->round_items);
	json_t *columns = NULL;
	bool ok = true;

	memset(b, 0, sizeof *b);
	if (strcmp(c->m.kind, "scoring") == 0) {
		b->matrix = xcalloc(rows * n_items + 1, sizeof *b->matrix);
		columns = meeting_item_index(c->round_items);
	} else {
		b->json = xcalloc(rows + 1, sizeof *b->json);
	}
	*counted = json_array();
	for (size_t i = 0; i < rows; i++) {
		const char *ballot = PQgetvalue(res, (int)i, 3);

		if (strcmp(PQgetvalue(res, (int)i, 2), "t") != 0)
			continue;
		if (b->matrix != NULL)
			ok = ok && round_row_parse(ballot, columns,
						   b->matrix + b->m * n_items,
						   n_items);
		else
			ok = ok && (b->json[b->m] =
					json_loads(ballot, 0, NULL)) != NULL;
		b->m++;
		json_array_append_new(
		    *counted,
		    json_pack("{s:I, s:I}", "expert",
			      (json_int_t)strtoll(PQgetvalue(res, (int)i, 0),
						  NULL, 10),
			      "revision",
			      (json_int_t)strtoll(PQgetvalue(res, (int)i, 1),
						  NULL, 10)));
	}
	json_decref(columns);
	return ok;
}

static void
round_ballots_free(struct round_ballots *b)
{
	for (size_t e = 0; b->json != NULL && e < b->m; e++)
		json_decref(b->json[e]);
	free(b->json);
	free(b->matrix);
}

/* The per item results of a round of any kind; NULL when the stored rules
 * cannot be applied (a server bug). */
static json_t *
round_kind_items(const struct round_ctx *c, const struct round_ballots *b,
		 const struct meeting_rules *rules, json_t **panel)
{
	*panel = json_null();
	if (strcmp(c->m.kind, "selection") == 0)
		return kind_selection_results(b->json, b->m, c->round_items,
					      c->round_rules);
	if (strcmp(c->m.kind, "weighting") == 0)
		return kind_weighting_results(b->json, b->m, c->round_items,
					      rules);
	return round_scoring_items(b->matrix, b->m, c->round_items, rules,
				   panel);
}

/*
 * Results and the counted ballots from the latest revisions: per item
 * results as the meeting's kind defines them.  NULL after answering
 * (quorum not met).
 */
static json_t *
round_compute(struct req *r, const PGresult *res, json_t **counted)
{
	struct round_ctx *c = r->state;
	struct meeting_rules rules;
	struct round_ballots b;
	json_t *items = NULL, *panel = NULL, *out;
	bool read;

	if (!meeting_rules_parse(c->round_rules, &rules)) {
		http_reply_error(r, 500, "internal_error",
				 "the round's rules are unreadable");
		return NULL;
	}
	read = round_ballots_collect(c, res, &b, counted);
	if (read && (int)b.m >= rules.quorum)
		items = round_kind_items(c, &b, &rules, &panel);
	round_ballots_free(&b);
	if (read && (int)b.m < rules.quorum) {
		json_decref(*counted);
		http_reply_error_details(
		    r, 409, "quorum_not_met",
		    json_pack("{s:I, s:i}", "complete_ballots", (json_int_t)b.m,
			      "quorum", rules.quorum),
		    "%zu complete ballots; the quorum is %d", b.m,
		    rules.quorum);
		return NULL;
	}
	if (items == NULL) {
		json_decref(*counted);
		json_decref(panel);
		http_reply_error(r, 500, "internal_error",
				 "the round's results cannot be computed");
		return NULL;
	}
	out = json_pack("{s:i, s:s, s:I, s:o, s:o, s:O}", "round", c->n, "kind",
			c->m.kind, "n", (json_int_t)b.m, "items", items,
			"panel", panel, "rules", c->round_rules);
	if (json_object_get(c->round_rules, "selection_threshold") != NULL)
		json_object_set(
		    out, "threshold",
		    json_object_get(c->round_rules, "selection_threshold"));
	return out;
}

static json_t *
round_closed(struct req *r, const PGresult *res, int *status)
{
	struct round_ctx *c = r->state;

	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		txn_reply_db_error(r, res);
		return NULL;
	}
	if (PQntuples(res) == 0) {
		http_reply_error(r, 409, "round_closed",
				 "round %d is already closed", c->n);
		return NULL;
	}
	events_publish(r->srv->events, c->m.id, "round_closed",
		       json_pack("{s:i}", "round", c->n));
	*status = 200;
	return json_incref(c->answer);
}

static void
round_ballots_read(struct req *r, const PGresult *res)
{
	struct round_ctx *c = r->state;
	const char *params[TXN_AUDIT_PARAMS + 5];
	json_t *counted, *answer;

	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		txn_reply_db_error(r, res);
		return;
	}
	if (c->round_items == NULL) {
		http_reply_error(r, 409, "round_closed",
				 "round %d is already closed", c->n);
		return;
	}
	/* round_compute may answer, and the request may be gone with it:
	 * nothing of r is touched before knowing it is not. */
	answer = round_compute(r, res, &counted);
	if (answer == NULL)
		return;
	c->answer = answer;
	c->results = json_dumps(c->answer, JSON_COMPACT | JSON_SORT_KEYS);
	c->counted = json_dumps(counted, JSON_COMPACT);
	json_decref(counted);
	txn_audit_params(r, params);
	params[5] = c->m.id_text;
	params[6] = c->m.evaluation_text;
	params[7] = c->n_text;
	params[8] = c->results;
	params[9] = c->counted;
	txn_write(r, &stmt_round_close, params, round_closed);
}

static void
round_locked(struct req *r, const PGresult *res)
{
	struct round_ctx *c = r->state;

	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK ||
	    PQntuples(res) != 1)
		return; /* round_ballots_read answers */
	c->round_items = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	c->round_rules = json_loads(PQgetvalue(res, 0, 1), 0, NULL);
}

/* The round of the path: the open one; a closed one is a 409. */
static bool
round_require_open(struct req *r, struct round_ctx *c)
{
	if (!meeting_round_param(r, &c->n))
		return false;
	snprintf(c->n_text, sizeof c->n_text, "%d", c->n);
	if (c->n > c->m.last_round) {
		http_reply_error(r, 404, "not_found", "there is no round %d",
				 c->n);
		return false;
	}
	if (c->n != c->m.open_round) {
		http_reply_error(r, 409, "round_closed", "round %d is closed",
				 c->n);
		return false;
	}
	return true;
}

static void
round_close_checked(struct req *r, const PGresult *res)
{
	struct round_ctx *c = r->state;

	if (!meeting_row_read(r, res, &c->m))
		return;
	if (!meeting_require_secretary(r, &c->m) ||
	    !meeting_require_open(r, &c->m) || !round_require_open(r, c))
		return;
	txn_begin(r);
	req_query(r, &stmt_round_lock,
		  (const char *const[]){c->m.id_text, c->n_text}, round_locked);
	req_query(r,
		  strcmp(c->m.kind, "scoring") == 0 ? &stmt_round_score_rows
						    : &stmt_round_ballots,
		  (const char *const[]){c->m.id_text, c->n_text},
		  round_ballots_read);
}

static void
h_rounds_close_start(struct req *r)
{
	round_ctx_new(r);
	meeting_load(r, round_close_checked);
}

/* A retry with the same Idempotency-Key replays the first answer before
 * any state is checked again. */
void
h_rounds_close(struct req *r)
{
	txn_idempotent(r, h_rounds_close_start);
}

/* ---- GET /meetings/{id}/rounds/{n}/results ---- */

/*
 * One light query with what the access check needs (the evaluation's
 * secretary, the caller's seat): results are read often, by the whole
 * panel.  Auditors also get the counted ballots with their experts.
 */
#define ROUND_RESULTS_QUERY(ballots)                                           \
	"SELECT r.results::text, r.closed_at IS NOT NULL, e.created_by,"       \
	" (SELECT s.state FROM seats s WHERE s.meeting_id = r.meeting_id"      \
	"  AND s.expert_id = $3), " ballots "::text, m.kind"                   \
	" FROM rounds r JOIN meetings m ON m.id = r.meeting_id"                \
	" JOIN evaluations e ON e.id = m.evaluation_id"                        \
	" WHERE r.meeting_id = $1 AND r.n = $2::int"

/* Two statements rather than one with CASE WHEN auditor: a parameter
 * deciding the shape of the plan kept PostgreSQL from ever settling on a
 * generic plan, and planning cost more than running the panel's read. */
DB_STMT(stmt_round_results, 3, ROUND_RESULTS_QUERY("NULL"));
DB_STMT(stmt_round_results_audit, 3,
	ROUND_RESULTS_QUERY(
	    "(SELECT json_agg(json_build_object('expert',"
	    "  json_build_object('id', u.id, 'username', u.username),"
	    "  'revision', b.revision, 'scores', b.scores) ORDER BY u.id)"
	    "  FROM jsonb_to_recordset(r.counted) AS c(expert bigint,"
	    "  revision int) JOIN ballots b ON b.meeting_id = r.meeting_id"
	    "  AND b.round_n = r.n AND b.expert_id = c.expert"
	    "  AND b.revision = c.revision JOIN users u ON u.id = c.expert)"));

static void
round_results_read(struct req *r, const PGresult *res)
{
	struct round_ctx *c = r->state;
	const char *seat;
	json_t *results;

	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		txn_reply_db_error(r, res);
		return;
	}
	if (PQntuples(res) == 0) {
		http_reply_error(r, 404, "not_found", "there is no round %d",
				 c->n);
		return;
	}
	seat = PQgetisnull(res, 0, 3) ? "" : PQgetvalue(res, 0, 3);
	if (r->user.role != ROLE_AUDITOR &&
	    !(r->user.role == ROLE_SECRETARY &&
	      strtoll(PQgetvalue(res, 0, 2), NULL, 10) == r->user.id) &&
	    !(r->user.role == ROLE_EXPERT &&
	      (strcmp(seat, "seated") == 0 || strcmp(seat, "invited") == 0))) {
		http_reply_error(r, 403, "forbidden",
				 "only the meeting's secretary, its panel and "
				 "auditors see its results");
		return;
	}
	if (strcmp(PQgetvalue(res, 0, 1), "t") != 0) {
		http_reply_error(r, 409, "round_open",
				 "round %d is open: its results exist once it "
				 "is closed",
				 c->n);
		return;
	}
	if (r->user.role != ROLE_AUDITOR) {
		/* The panel's view is the stored results as they are. */
		http_reply_text(r, 200, "application/json; charset=utf-8",
				PQgetvalue(res, 0, 0),
				(size_t)PQgetlength(res, 0, 0));
		return;
	}
	results = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	{
		json_t *b = json_loads(PQgetvalue(res, 0, 4), 0, NULL);

		json_object_set_new(
		    results, "ballots",
		    b ? ballots_for_display(b, PQgetvalue(res, 0, 5))
		      : json_array());
		json_decref(b);
	}
	http_reply_json(r, 200, results);
}

void
h_rounds_results(struct req *r)
{
	struct round_ctx *c = round_ctx_new(r);

	snprintf(c->m.id_text, sizeof c->m.id_text, "%lld",
		 (long long)r->match.params[0].id);
	if (!meeting_round_param(r, &c->n))
		return;
	snprintf(c->n_text, sizeof c->n_text, "%d", c->n);
	req_query(
	    r,
	    r->user.role == ROLE_AUDITOR ? &stmt_round_results_audit
					 : &stmt_round_results,
	    (const char *const[]){c->m.id_text, c->n_text, r->user.id_text},
	    round_results_read);
}

/* ---- GET /meetings/{id}/events ---- */

static void
events_checked(struct req *r, const PGresult *res)
{
	struct round_ctx *c = r->state;

	if (!meeting_row_read(r, res, &c->m))
		return;
	events_subscribe(r->srv->events, r, c->m.id);
}

void
h_meetings_events(struct req *r)
{
	round_ctx_new(r);
	meeting_load(r, events_checked);
}
