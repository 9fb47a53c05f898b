/*
 * Ballots: PUT and GET /meetings/{id}/rounds/{n}/ballot.  Every PUT is a
 * new revision; the last complete one of each seated expert counts when
 * the round closes.  A ballot's scores are never shown to anyone but its
 * expert (and auditors, once the round is closed).
 */
#include <event2/http.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "body.h"
#include "decimal.h"
#include "events.h"
#include "handlers.h"
#include "kinds.h"
#include "meeting.h"
#include "txn.h"
#include "xalloc.h"

#define BALLOT_COMMENT_MAX 2000

struct ballot_ctx {
	int64_t meeting;
	char meeting_text[24];
	int n;
	char n_text[16], version[16];
	char kind[16];
	char *scores;
	bool complete;
	size_t n_items;
};

static void
ballot_ctx_free(void *p)
{
	struct ballot_ctx *c = p;

	free(c->scores);
	free(c);
}

/* A stored ballot of a meeting of kind as the API shows it: an object
 * whose members ("scores", "votes" or "weights" and "advanced_levels") go
 * into the answer; stored may be NULL. */
static json_t *
ballot_kind_json(const char *kind, const json_t *stored)
{
	if (strcmp(kind, "selection") == 0)
		return kind_selection_ballot_json(stored);
	if (strcmp(kind, "weighting") == 0)
		return kind_weighting_ballot_json(stored);
	return json_pack("{s:o}", "scores",
			 stored ? ballot_scores_json(stored) : json_array());
}

json_t *
ballots_for_display(const json_t *ballots, const char *kind)
{
	json_t *out = json_array(), *b;
	size_t i;

	json_array_foreach(ballots, i, b)
	{
		json_t *copy = json_deep_copy(b);
		json_t *shown =
		    ballot_kind_json(kind, json_object_get(b, "scores"));

		json_object_del(copy, "scores");
		json_object_update(copy, shown);
		json_decref(shown);
		json_array_append_new(out, copy);
	}
	return out;
}

json_t *
ballot_scores_json(const json_t *stored)
{
	json_t *out = json_array(), *s;
	char buf[32];
	size_t i;

	json_array_foreach(stored, i, s)
	{
		json_t *o = json_pack(
		    "{s:O, s:s}", "item", json_object_get(s, "item"), "score",
		    dec_format(json_integer_value(json_object_get(s, "score")),
			       2, buf, sizeof buf));

		if (json_object_get(s, "comment") != NULL)
			json_object_set(o, "comment",
					json_object_get(s, "comment"));
		json_array_append_new(out, o);
	}
	return out;
}

/*
 * A score as clients send it: a JSON number or a string, 0 to 100 with at
 * most two decimals, into hundredths.  A JSON number is a double, so it is
 * accepted when it is within a millionth of a whole number of hundredths:
 * 85.55 arrives as 85.549999... and means 8555; 85.555 does not.
 */
static bool
ballot_score(const json_t *v, int64_t *out)
{
	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);

		if (i < 0 || i > 100)
			return false;
		*out = (int64_t)i * 100;
		return true;
	}
	if (json_is_real(v)) {
		double x = json_real_value(v) * 100, r = round(x);

		if (!isfinite(x) || fabs(x - r) > 1e-6 || r < 0 || r > 10000)
			return false;
		*out = (int64_t)r;
		return true;
	}
	if (json_is_string(v))
		return dec_parse(json_string_value(v), json_string_length(v), 2,
				 10000, out);
	return false;
}

/* One score s, checked against the round's items (known, by
 * meeting_item_index) and the items scored before it (seen), appended to
 * stored in hundredths; false after answering. */
static bool
ballot_read_score(struct req *r, const json_t *s, const json_t *known,
		  json_t *seen, json_t *stored)
{
	const char *item = json_string_value(json_object_get(s, "item"));
	json_t *comment = json_object_get(s, "comment"), *entry;
	int64_t score;

	if (!json_is_object(s) || item == NULL ||
	    json_object_size(s) > (comment ? 3u : 2u)) {
		http_reply_error(r, 400, "bad_request",
				 "each score is {\"item\", \"score\", "
				 "\"comment\"?}");
		return false;
	}
	if (json_object_get(known, item) == NULL) {
		body_item_error(r, "unknown_item", item,
				"not an item of this round");
		return false;
	}
	if (json_object_get(seen, item) != NULL) {
		body_item_error(r, "duplicate_item", item,
				"scored twice in one ballot");
		return false;
	}
	if (!ballot_score(json_object_get(s, "score"), &score)) {
		body_item_error(r, "invalid_score", item,
				"a score is 0 to 100 with at most two "
				"decimals");
		return false;
	}
	if (comment != NULL &&
	    (!json_is_string(comment) ||
	     json_string_length(comment) > BALLOT_COMMENT_MAX)) {
		body_item_error(r, "invalid_comment", item,
				"a comment is text of at most 2000 bytes");
		return false;
	}
	json_object_set_new(seen, item, json_true());
	entry =
	    json_pack("{s:s, s:I}", "item", item, "score", (json_int_t)score);
	if (comment != NULL)
		json_object_set(entry, "comment", comment);
	json_array_append_new(stored, entry);
	return true;
}

/*
 * The scores against the round's items: each known, none twice, each a
 * valid score.  Builds the stored form (hundredths); false after
 * answering.  Objects, not searches, find the known and the repeated items:
 * a ballot of 100 scores would otherwise cost 15,000 comparisons.
 */
static bool
ballot_read_scores(struct req *r, const json_t *items, struct ballot_ctx *c)
{
	static const char *const fields[] = {"scores", NULL};
	json_t *scores = json_object_get(r->body, "scores"), *s;
	json_t *known, *seen, *stored;
	size_t i;
	bool ok = true;

	if (!body_only(r, fields))
		return false;
	if (!json_is_array(scores)) {
		http_reply_error_details(
		    r, 400, "bad_request",
		    json_pack("{s:s}", "field", "scores"),
		    "\"scores\" is a list of {\"item\", \"score\", "
		    "\"comment\"?}");
		return false;
	}
	known = meeting_item_index(items);
	seen = json_object();
	stored = json_array();
	json_array_foreach(scores, i, s)
	{
		ok = ballot_read_score(r, s, known, seen, stored);
		if (!ok)
			break;
	}
	if (ok) {
		c->complete = json_array_size(stored) == json_array_size(items);
		c->n_items = json_array_size(stored);
		c->scores = json_dumps(stored, JSON_COMPACT);
	}
	json_decref(known);
	json_decref(seen);
	json_decref(stored);
	return ok;
}

/*
 * What a ballot needs to know, in one light query (the write path runs it
 * for every save): the evaluation's stage, the meeting, the caller's seat
 * and the round.
 */
DB_STMT(stmt_ballot_context, 3,
	"SELECT e.stage, m.finalized_at IS NOT NULL, s.state, r.items::text,"
	" r.closed_at IS NOT NULL,"
	" r.deadline IS NOT NULL AND r.deadline <= now(), m.kind"
	" FROM meetings m JOIN evaluations e ON e.id = m.evaluation_id"
	" LEFT JOIN seats s ON s.meeting_id = m.id AND s.expert_id = $3"
	" LEFT JOIN rounds r ON r.meeting_id = m.id AND r.n = $2::int"
	" WHERE m.id = $1");

/* The round must be open and the seat taken when the row is written: the
 * FOR SHARE locks make a concurrent close or recusal wait for us, or us
 * for it, so no acknowledged ballot is left out of a close.  The head row
 * numbers revisions and makes two saves of one ballot queue. */
DB_STMT(stmt_ballot_put, 11,
	"WITH r AS (SELECT 1 FROM rounds WHERE meeting_id = $6 AND n = $7::int"
	"  AND closed_at IS NULL AND (deadline IS NULL OR deadline > now())"
	"  FOR SHARE),"
	" s AS (SELECT 1 FROM seats WHERE meeting_id = $6 AND expert_id = $1"
	"  AND state = 'seated' FOR SHARE),"
	" h AS (INSERT INTO ballot_heads (meeting_id, round_n, expert_id,"
	"  revision, complete) SELECT $6, $7::int, $1, 1, $8::boolean"
	"  FROM r, s WHERE $10::int IS NULL OR $10::int = COALESCE((SELECT"
	"  revision FROM ballot_heads WHERE meeting_id = $6"
	"  AND round_n = $7::int AND expert_id = $1), 0)"
	"  ON CONFLICT (meeting_id, round_n, expert_id) DO UPDATE"
	"  SET revision = ballot_heads.revision + 1,"
	"  complete = EXCLUDED.complete"
	"  WHERE $10::int IS NULL OR ballot_heads.revision = $10::int"
	"  RETURNING revision, complete),"
	" b AS (INSERT INTO ballots (meeting_id, round_n, expert_id, revision,"
	"  complete, scores) SELECT $6, $7::int, $1, h.revision, h.complete,"
	"  $9::jsonb FROM h RETURNING revision),"
	" a AS (INSERT INTO audit_log (actor_id, actor_username, actor_role,"
	"  action, evaluation_id, meeting_id, object_type, object_id,"
	"  details, request_id, client_addr)"
	"  SELECT $1, $2, $3, 'ballot.submit', m.evaluation_id, $6, 'round',"
	"  $7::int, jsonb_build_object('round', $7::int, 'revision',"
	"  h.revision, 'complete', h.complete, 'items', $11::int), $4, $5"
	"  FROM h, meetings m WHERE m.id = $6)"
	" SELECT (SELECT count(*) FROM r), (SELECT count(*) FROM s),"
	"  h.revision, h.complete,"
	"  (SELECT count(*) FROM ballot_heads x JOIN seats y"
	"   ON y.meeting_id = x.meeting_id AND y.expert_id = x.expert_id"
	"   AND y.state = 'seated' WHERE x.meeting_id = $6"
	"   AND x.round_n = $7::int AND x.complete AND x.expert_id <> $1)"
	"  + CASE WHEN $8::boolean THEN 1 ELSE 0 END"
	" FROM (SELECT 1) one LEFT JOIN h ON true");

static json_t *
ballot_written(struct req *r, const PGresult *res, int *status)
{
	struct ballot_ctx *c = r->state;

	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		txn_reply_db_error(r, res);
		return NULL;
	}
	if (strcmp(PQgetvalue(res, 0, 0), "0") == 0) {
		http_reply_error(r, 409, "round_closed",
				 "round %d is closed or past its deadline",
				 c->n);
		return NULL;
	}
	if (strcmp(PQgetvalue(res, 0, 1), "0") == 0) {
		http_reply_error(r, 403, "not_seated",
				 "only experts who accepted their seat vote");
		return NULL;
	}
	if (PQgetisnull(res, 0, 2)) {
		http_reply_error(r, 412, "version_mismatch",
				 "your ballot changed since you read it");
		return NULL;
	}
	events_publish(
	    r->srv->events, c->meeting, "ballot_count",
	    json_pack("{s:i, s:I}", "round", c->n, "complete_ballots",
		      (json_int_t)strtoll(PQgetvalue(res, 0, 4), NULL, 10)));
	*status = 200;
	return json_pack("{s:b, s:I}", "complete", c->complete, "version",
			 (json_int_t)strtoll(PQgetvalue(res, 0, 2), NULL, 10));
}

/* The caller may vote now: on the panel, seated, the round open. */
static bool
ballot_context_ok(struct req *r, const PGresult *res, struct ballot_ctx *c)
{
	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		txn_reply_db_error(r, res);
		return false;
	}
	if (PQntuples(res) == 0) {
		http_reply_error(r, 404, "not_found",
				 "there is no such meeting");
		return false;
	}
	if (PQgetisnull(res, 0, 2)) {
		http_reply_error(r, 403, "forbidden",
				 "only the panel's experts have ballots");
		return false;
	}
	if (strcmp(PQgetvalue(res, 0, 2), "seated") != 0) {
		http_reply_error(r, 403, "not_seated",
				 "accept your seat with a conflict-of-interest "
				 "declaration first (POST /meetings/%s/seat)",
				 c->meeting_text);
		return false;
	}
	if (PQgetisnull(res, 0, 3)) {
		http_reply_error(r, 404, "not_found", "there is no round %d",
				 c->n);
		return false;
	}
	snprintf(c->kind, sizeof c->kind, "%s", PQgetvalue(res, 0, 6));
	return true;
}

/* Reads the body as a ballot of the meeting's kind into c; false after
 * answering. */
static bool
ballot_read(struct req *r, const json_t *items, struct ballot_ctx *c)
{
	json_t *stored;

	if (strcmp(c->kind, "scoring") == 0)
		return ballot_read_scores(r, items, c);
	stored = strcmp(c->kind, "selection") == 0
		     ? kind_selection_ballot_read(r, items, &c->complete,
						  &c->n_items)
		     : kind_weighting_ballot_read(r, items, &c->complete,
						  &c->n_items);
	if (stored == NULL)
		return false;
	c->scores = json_dumps(stored, JSON_COMPACT);
	json_decref(stored);
	return true;
}

static void
ballot_put_context(struct req *r, const PGresult *res)
{
	struct ballot_ctx *c = r->state;
	const char *params[TXN_AUDIT_PARAMS + 6];
	char count[16];
	json_t *items;

	if (!ballot_context_ok(r, res, c))
		return;
	if (strcmp(PQgetvalue(res, 0, 0), "finalized") == 0) {
		http_reply_error(r, 409, "evaluation_finalized",
				 "the evaluation is finalized; nothing of it "
				 "changes any more");
		return;
	}
	if (strcmp(PQgetvalue(res, 0, 1), "t") == 0 ||
	    strcmp(PQgetvalue(res, 0, 4), "t") == 0 ||
	    strcmp(PQgetvalue(res, 0, 5), "t") == 0) {
		http_reply_error(r, 409, "round_closed",
				 "round %d is closed or past its deadline",
				 c->n);
		return;
	}
	items = json_loads(PQgetvalue(res, 0, 3), 0, NULL);
	if (!ballot_read(r, items, c)) {
		json_decref(items);
		return;
	}
	json_decref(items);
	snprintf(count, sizeof count, "%zu", c->n_items);
	txn_audit_params(r, params);
	params[5] = c->meeting_text;
	params[6] = c->n_text;
	params[7] = c->complete ? "true" : "false";
	params[8] = c->scores;
	params[9] = c->version[0] ? c->version : NULL;
	params[10] = count;
	txn_write(r, &stmt_ballot_put, params, ballot_written);
}

/* Reads the path's meeting and round and the If-Match header. */
static bool
ballot_read_path(struct req *r, struct ballot_ctx *c)
{
	const char *h;

	c->meeting = r->match.params[0].id;
	snprintf(c->meeting_text, sizeof c->meeting_text, "%lld",
		 (long long)c->meeting);
	if (!meeting_round_param(r, &c->n))
		return false;
	snprintf(c->n_text, sizeof c->n_text, "%d", c->n);
	h = evhttp_find_header(evhttp_request_get_input_headers(r->ev),
			       "If-Match");
	if (h == NULL)
		return true;
	if (strspn(h, "0123456789") == 0 || strspn(h, "0123456789") > 9 ||
	    h[strspn(h, "0123456789")] != '\0') {
		http_reply_error(r, 400, "bad_if_match",
				 "If-Match is your ballot's version");
		return false;
	}
	snprintf(c->version, sizeof c->version, "%s", h);
	return true;
}

static void
h_ballots_put_start(struct req *r)
{
	struct ballot_ctx *c = xcalloc(1, sizeof *c);

	r->state = c;
	r->state_free = ballot_ctx_free;
	if (!ballot_read_path(r, c))
		return;
	req_query(
	    r, &stmt_ballot_context,
	    (const char *const[]){c->meeting_text, c->n_text, r->user.id_text},
	    ballot_put_context);
}

/* A retry with the same Idempotency-Key replays the first answer before
 * any state is checked again. */
void
h_ballots_put(struct req *r)
{
	txn_idempotent(r, h_ballots_put_start);
}

/* ---- GET .../ballot ---- */

/* The caller's latest revision, the round's items, and from round 2 the
 * previous round's median and IQR with the caller's own previous score. */
DB_STMT(stmt_ballot_get, 3,
	"SELECT r.items::text,"
	" (SELECT json_build_object('version', b.revision, 'complete',"
	"  b.complete, 'scores', b.scores) FROM ballots b"
	"  WHERE b.meeting_id = $1 AND b.round_n = $2::int"
	"  AND b.expert_id = $3 ORDER BY b.revision DESC LIMIT 1)::text,"
	" (SELECT p.results::text FROM rounds p WHERE p.meeting_id = $1"
	"  AND p.n = $2::int - 1),"
	" (SELECT b.scores::text FROM ballots b WHERE b.meeting_id = $1"
	"  AND b.round_n = $2::int - 1 AND b.expert_id = $3"
	"  ORDER BY b.revision DESC LIMIT 1)"
	" FROM rounds r WHERE r.meeting_id = $1 AND r.n = $2::int");

/* What a scoring ballot shows of the previous round: its median, IQR and
 * consensus, and the expert's own score (own is a stored ballot or NULL). */
static json_t *
ballot_scoring_previous(const json_t *results, const json_t *own,
			const json_t *items)
{
	json_t *out = json_array(), *x;
	size_t i, k;

	json_array_foreach(json_object_get(results, "items"), i, x)
	{
		const char *code =
		    json_string_value(json_object_get(x, "item"));
		json_t *mine = json_null(), *s;
		char buf[32];

		for (k = 0; k < json_array_size(items); k++) {
			if (strcmp(json_string_value(json_array_get(items, k)),
				   code) == 0)
				break;
		}
		if (k == json_array_size(items))
			continue;
		json_array_foreach(own, k, s)
		{
			if (strcmp(
				json_string_value(json_object_get(s, "item")),
				code) == 0)
				mine = json_string(
				    dec_format(json_integer_value(
						   json_object_get(s, "score")),
					       2, buf, sizeof buf));
		}
		json_array_append_new(
		    out, json_pack("{s:s, s:O, s:O, s:O, s:o}", "item", code,
				   "median", json_object_get(x, "median"),
				   "iqr", json_object_get(x, "iqr"),
				   "consensus", json_object_get(x, "consensus"),
				   "own_score", mine));
	}
	return json_pack("{s:O, s:o}", "round",
			 json_object_get(results, "round"), "items", out);
}

/* The previous round as the meeting's kind shows it, or null in round 1. */
static json_t *
ballot_previous(const char *kind, const PGresult *res, const json_t *items)
{
	json_t *results, *own, *out;

	if (PQgetisnull(res, 0, 2))
		return json_null();
	results = json_loads(PQgetvalue(res, 0, 2), 0, NULL);
	own = PQgetisnull(res, 0, 3)
		  ? NULL
		  : json_loads(PQgetvalue(res, 0, 3), 0, NULL);
	if (strcmp(kind, "selection") == 0)
		out = kind_selection_previous(results, own, items);
	else if (strcmp(kind, "weighting") == 0)
		out = kind_weighting_previous(results, own, items);
	else
		out = ballot_scoring_previous(results, own, items);
	json_decref(own);
	json_decref(results);
	return out;
}

static void
ballot_got(struct req *r, const PGresult *res)
{
	struct ballot_ctx *c = r->state;
	json_t *items, *mine, *out, *shown;

	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK ||
	    PQntuples(res) != 1) {
		txn_reply_db_error(r, res);
		return;
	}
	items = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	mine = PQgetisnull(res, 0, 1)
		   ? NULL
		   : json_loads(PQgetvalue(res, 0, 1), 0, NULL);
	out = json_pack(
	    "{s:i, s:O, s:o, s:b, s:o}", "round", c->n, "items", items,
	    "version",
	    mine ? json_incref(json_object_get(mine, "version")) : json_null(),
	    "complete", mine && json_is_true(json_object_get(mine, "complete")),
	    "previous", ballot_previous(c->kind, res, items));
	shown = ballot_kind_json(c->kind,
				 mine ? json_object_get(mine, "scores") : NULL);
	json_object_update(out, shown);
	json_decref(shown);
	json_decref(mine);
	json_decref(items);
	http_reply_json(r, 200, out);
}

static void
ballot_get_context(struct req *r, const PGresult *res)
{
	struct ballot_ctx *c = r->state;

	if (!ballot_context_ok(r, res, c))
		return;
	req_query(
	    r, &stmt_ballot_get,
	    (const char *const[]){c->meeting_text, c->n_text, r->user.id_text},
	    ballot_got);
}

void
h_ballots_get(struct req *r)
{
	struct ballot_ctx *c = xcalloc(1, sizeof *c);

	r->state = c;
	r->state_free = ballot_ctx_free;
	if (!ballot_read_path(r, c))
		return;
	req_query(
	    r, &stmt_ballot_context,
	    (const char *const[]){c->meeting_text, c->n_text, r->user.id_text},
	    ballot_get_context);
}
