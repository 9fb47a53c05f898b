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
#include "meeting.h"
#include "txn.h"
#include "xalloc.h"

#define BALLOT_COMMENT_MAX 2000

struct ballot_ctx {
	struct meeting_row m;
	int n;
	char n_text[16], version[16];
	char *scores;
	bool complete;
	size_t n_items;
};

static void
ballot_ctx_free(void *p)
{
	struct ballot_ctx *c = p;

	meeting_row_free(&c->m);
	free(c->scores);
	free(c);
}

json_t *
ballots_for_display(const json_t *ballots)
{
	json_t *out = json_array(), *b;
	size_t i;

	json_array_foreach(ballots, i, b)
	{
		json_t *copy = json_deep_copy(b);

		json_object_set_new(
		    copy, "scores",
		    ballot_scores_json(json_object_get(b, "scores")));
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

static void
ballot_bad_item(struct req *r, const char *code, const char *item,
		const char *message)
{
	http_reply_error_details(r, 422, code, json_pack("{s:s}", "item", item),
				 "%s: %s", item, message);
}

/*
 * The scores against the round's items: each known, none twice, each a
 * valid score.  Builds the stored form (hundredths); false after
 * answering.
 */
static bool
ballot_read_scores(struct req *r, const json_t *items, struct ballot_ctx *c)
{
	json_t *scores = json_object_get(r->body, "scores"), *s, *stored;
	size_t i, k, matched = 0;

	if (!json_is_array(scores)) {
		http_reply_error_details(
		    r, 400, "bad_request",
		    json_pack("{s:s}", "field", "scores"),
		    "\"scores\" is a list of {\"item\", \"score\", "
		    "\"comment\"?}");
		return false;
	}
	stored = json_array();
	json_array_foreach(scores, i, s)
	{
		const char *item =
		    json_string_value(json_object_get(s, "item"));
		json_t *comment = json_object_get(s, "comment");
		int64_t score;

		if (!json_is_object(s) || item == NULL ||
		    json_object_size(s) > (comment ? 3u : 2u)) {
			json_decref(stored);
			http_reply_error(r, 400, "bad_request",
					 "each score is {\"item\", \"score\", "
					 "\"comment\"?}");
			return false;
		}
		for (k = 0; k < json_array_size(items); k++) {
			if (strcmp(json_string_value(json_array_get(items, k)),
				   item) == 0)
				break;
		}
		if (k == json_array_size(items)) {
			json_decref(stored);
			ballot_bad_item(r, "unknown_item", item,
					"not an item of this round");
			return false;
		}
		for (k = 0; k < i; k++) {
			if (strcmp(json_string_value(json_object_get(
				       json_array_get(scores, k), "item")),
				   item) == 0) {
				json_decref(stored);
				ballot_bad_item(r, "duplicate_item", item,
						"scored twice in one ballot");
				return false;
			}
		}
		if (!ballot_score(json_object_get(s, "score"), &score)) {
			json_decref(stored);
			ballot_bad_item(r, "invalid_score", item,
					"a score is 0 to 100 with at most two "
					"decimals");
			return false;
		}
		if (comment != NULL &&
		    (!json_is_string(comment) ||
		     json_string_length(comment) > BALLOT_COMMENT_MAX)) {
			json_decref(stored);
			ballot_bad_item(r, "invalid_comment", item,
					"a comment is text of at most 2000 "
					"bytes");
			return false;
		}
		json_array_append_new(stored,
				      json_pack("{s:s, s:I}", "item", item,
						"score", (json_int_t)score));
		if (comment != NULL)
			json_object_set(json_array_get(stored, i), "comment",
					comment);
		matched++;
	}
	c->complete = matched == json_array_size(items);
	c->n_items = matched;
	c->scores = json_dumps(stored, JSON_COMPACT);
	json_decref(stored);
	return true;
}

DB_STMT(stmt_ballot_round, 2,
	"SELECT items::text, deadline IS NOT NULL AND deadline <= now()"
	" FROM rounds WHERE meeting_id = $1 AND n = $2");

/* The round must be open and the seat taken when the row is written: the
 * FOR SHARE locks make a concurrent close or recusal wait for us, or us
 * for it, so no acknowledged ballot is left out of a close. */
DB_STMT(stmt_ballot_put, 11,
	"WITH r AS (SELECT 1 FROM rounds WHERE meeting_id = $6 AND n = $7::int"
	"  AND closed_at IS NULL AND (deadline IS NULL OR deadline > now())"
	"  FOR SHARE),"
	" s AS (SELECT 1 FROM seats WHERE meeting_id = $6 AND expert_id = $1"
	"  AND state = 'seated' FOR SHARE),"
	" prev AS (SELECT COALESCE(max(revision), 0) AS rev FROM ballots"
	"  WHERE meeting_id = $6 AND round_n = $7::int AND expert_id = $1),"
	" b AS (INSERT INTO ballots (meeting_id, round_n, expert_id, revision,"
	"  complete, scores) SELECT $6, $7::int, $1, prev.rev + 1,"
	"  $8::boolean, $9::jsonb FROM r, s, prev"
	"  WHERE $10::int IS NULL OR prev.rev = $10::int"
	"  RETURNING revision, complete),"
	" a AS (INSERT INTO audit_log (actor_id, actor_username, actor_role,"
	"  action, evaluation_id, meeting_id, object_type, object_id,"
	"  details, request_id, client_addr)"
	"  SELECT $1, $2, $3, 'ballot.submit', m.evaluation_id, $6, 'round',"
	"  $7::int, jsonb_build_object('round', $7::int, 'revision',"
	"  b.revision, 'complete', b.complete, 'items', $11::int), $4, $5"
	"  FROM b, meetings m WHERE m.id = $6)"
	" SELECT (SELECT count(*) FROM r), (SELECT count(*) FROM s),"
	"  b.revision, b.complete,"
	"  (SELECT count(*) FROM (SELECT DISTINCT ON (x.expert_id) x.complete"
	"   FROM ballots x JOIN seats y ON y.meeting_id = x.meeting_id"
	"   AND y.expert_id = x.expert_id AND y.state = 'seated'"
	"   WHERE x.meeting_id = $6 AND x.round_n = $7::int"
	"   AND x.expert_id <> $1 ORDER BY x.expert_id, x.revision DESC) z"
	"   WHERE z.complete) + CASE WHEN $8::boolean THEN 1 ELSE 0 END"
	" FROM (SELECT 1) one LEFT JOIN b ON true");

static json_t *
ballot_written(struct req *r, const PGresult *res, int *status)
{
	struct ballot_ctx *c = r->state;

	if (strcmp(db_sqlstate(res), "23505") == 0) {
		http_reply_error(r, 409, "ballot_conflict",
				 "another revision of your ballot was saved at "
				 "the same moment; read it and send again");
		return NULL;
	}
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
	    r->srv->events, c->m.id, "ballot_count",
	    json_pack("{s:i, s:I}", "round", c->n, "complete_ballots",
		      (json_int_t)strtoll(PQgetvalue(res, 0, 4), NULL, 10)));
	*status = 200;
	return json_pack("{s:b, s:I}", "complete", c->complete, "version",
			 (json_int_t)strtoll(PQgetvalue(res, 0, 2), NULL, 10));
}

static void
ballot_round_read(struct req *r, const PGresult *res)
{
	struct ballot_ctx *c = r->state;
	const char *params[TXN_AUDIT_PARAMS + 6];
	char count[16];
	json_t *items;

	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK ||
	    PQntuples(res) != 1) {
		txn_reply_db_error(r, res);
		return;
	}
	if (strcmp(PQgetvalue(res, 0, 1), "t") == 0) {
		http_reply_error(r, 409, "round_closed",
				 "round %d is past its deadline", c->n);
		return;
	}
	items = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	if (!ballot_read_scores(r, items, c)) {
		json_decref(items);
		return;
	}
	json_decref(items);
	snprintf(count, sizeof count, "%zu", c->n_items);
	txn_audit_params(r, params);
	params[5] = c->m.id_text;
	params[6] = c->n_text;
	params[7] = c->complete ? "true" : "false";
	params[8] = c->scores;
	params[9] = c->version[0] ? c->version : NULL;
	params[10] = count;
	txn_write(r, &stmt_ballot_put, params, ballot_written);
}

/* The caller may vote in the path's round: seated, round open. */
static bool
ballot_require_voter(struct req *r, struct ballot_ctx *c)
{
	c->n = (int)r->match.params[1].id;
	snprintf(c->n_text, sizeof c->n_text, "%d", c->n);
	if (r->user.role != ROLE_EXPERT || c->m.seat == SEAT_NONE) {
		http_reply_error(r, 403, "forbidden",
				 "only the panel's experts have ballots");
		return false;
	}
	if (c->m.seat != SEAT_SEATED) {
		http_reply_error(r, 403, "not_seated",
				 "accept your seat with a conflict-of-interest "
				 "declaration first (POST /meetings/%lld/seat)",
				 (long long)c->m.id);
		return false;
	}
	if (c->n > c->m.last_round || c->n < 1) {
		http_reply_error(r, 404, "not_found", "there is no round %d",
				 c->n);
		return false;
	}
	return true;
}

static void
ballot_put_checked(struct req *r, const PGresult *res)
{
	static const char *const fields[] = {"scores", NULL};
	struct ballot_ctx *c = r->state;
	const char *h;

	if (!meeting_row_read(r, res, &c->m))
		return;
	if (!ballot_require_voter(r, c) || !meeting_require_open(r, &c->m))
		return;
	if (c->n != c->m.open_round) {
		http_reply_error(r, 409, "round_closed", "round %d is closed",
				 c->n);
		return;
	}
	if (!body_only(r, fields))
		return;
	h = evhttp_find_header(evhttp_request_get_input_headers(r->ev),
			       "If-Match");
	if (h != NULL) {
		size_t len = strspn(h, "0123456789");

		if (len == 0 || len > 9 || h[len] != '\0') {
			http_reply_error(r, 400, "bad_if_match",
					 "If-Match is your ballot's version");
			return;
		}
		snprintf(c->version, sizeof c->version, "%s", h);
	}
	req_query(r, &stmt_ballot_round,
		  (const char *const[]){c->m.id_text, c->n_text},
		  ballot_round_read);
}

void
h_ballots_put(struct req *r)
{
	r->state = xcalloc(1, sizeof(struct ballot_ctx));
	r->state_free = ballot_ctx_free;
	meeting_load(r, ballot_put_checked);
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

static json_t *
ballot_previous(const PGresult *res, const json_t *items)
{
	json_t *results, *own, *out, *x;
	json_int_t round;
	size_t i, k;

	if (PQgetisnull(res, 0, 2))
		return json_null();
	results = json_loads(PQgetvalue(res, 0, 2), 0, NULL);
	own = PQgetisnull(res, 0, 3)
		  ? json_array()
		  : json_loads(PQgetvalue(res, 0, 3), 0, NULL);
	out = json_array();
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
	round = json_integer_value(json_object_get(results, "round"));
	json_decref(own);
	json_decref(results);
	return json_pack("{s:I, s:o}", "round", round, "items", out);
}

static void
ballot_got(struct req *r, const PGresult *res)
{
	struct ballot_ctx *c = r->state;
	json_t *items, *mine, *out;

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
	    "{s:i, s:O, s:o, s:b, s:o, s:o}", "round", c->n, "items", items,
	    "version",
	    mine ? json_incref(json_object_get(mine, "version")) : json_null(),
	    "complete", mine && json_is_true(json_object_get(mine, "complete")),
	    "scores",
	    mine ? ballot_scores_json(json_object_get(mine, "scores"))
		 : json_array(),
	    "previous", ballot_previous(res, items));
	json_decref(mine);
	json_decref(items);
	http_reply_json(r, 200, out);
}

static void
ballot_get_checked(struct req *r, const PGresult *res)
{
	struct ballot_ctx *c = r->state;

	if (!meeting_row_read(r, res, &c->m))
		return;
	if (!ballot_require_voter(r, c))
		return;
	req_query(
	    r, &stmt_ballot_get,
	    (const char *const[]){c->m.id_text, c->n_text, r->user.id_text},
	    ballot_got);
}

void
h_ballots_get(struct req *r)
{
	r->state = xcalloc(1, sizeof(struct ballot_ctx));
	r->state_free = ballot_ctx_free;
	meeting_load(r, ballot_get_checked);
}
