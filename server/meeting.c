/* Reading a meeting with the caller's relation to it. */
#include "meeting.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decimal.h"
#include "txn.h"

/* $2 is the caller's id. */
DB_STMT(stmt_meeting_get, 2,
	"SELECT m.id, m.evaluation_id, m.kind, m.title, m.rules::text,"
	" m.finalized_at IS NOT NULL, m.version, e.stage, e.created_by,"
	" (SELECT s.state FROM seats s"
	"  WHERE s.meeting_id = m.id AND s.expert_id = $2),"
	" COALESCE((SELECT json_agg(json_build_object('n', r.n,"
	"  'items', r.items, 'opened_at', to_char(r.opened_at AT TIME ZONE"
	"  'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), 'closed_at',"
	"  to_char(r.closed_at AT TIME ZONE 'UTC',"
	"  'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), 'deadline',"
	"  to_char(r.deadline AT TIME ZONE 'UTC',"
	"  'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), 'complete_ballots',"
	"  CASE WHEN r.closed_at IS NULL THEN (SELECT count(*) FROM"
	"   ballot_heads h JOIN seats s ON s.meeting_id = h.meeting_id"
	"   AND s.expert_id = h.expert_id AND s.state = 'seated'"
	"   WHERE h.meeting_id = r.meeting_id AND h.round_n = r.n"
	"   AND h.complete)"
	"  END) ORDER BY r.n) FROM rounds r WHERE r.meeting_id = m.id),"
	"  '[]')::text,"
	" COALESCE((SELECT json_agg(json_build_object('expert',"
	"  json_build_object('id', u.id, 'display_name', u.display_name,"
	"  'organization', u.organization), 'seat', s.state) ORDER BY u.id)"
	"  FROM seats s JOIN users u ON u.id = s.expert_id"
	"  WHERE s.meeting_id = m.id), '[]')::text,"
	" COALESCE((SELECT json_agg(json_build_object('item', a.code, 'text',"
	"  a.text, 'from_proposal', a.from_proposal) ORDER BY a.code)"
	"  FROM advanced_levels a WHERE a.meeting_id = m.id), '[]')::text"
	" FROM meetings m JOIN evaluations e ON e.id = m.evaluation_id"
	" WHERE m.id = $1");

void
meeting_load(struct req *r, req_result_cb then)
{
	char id[24];

	snprintf(id, sizeof id, "%lld", (long long)r->match.params[0].id);
	req_query(r, &stmt_meeting_get,
		  (const char *const[]){id, r->user.id_text}, then);
}

static enum seat_state
meeting_seat_parse(const PGresult *res, int col)
{
	const char *s = PQgetvalue(res, 0, col);

	if (PQgetisnull(res, 0, col))
		return SEAT_NONE;
	if (strcmp(s, "seated") == 0)
		return SEAT_SEATED;
	if (strcmp(s, "recused") == 0)
		return SEAT_RECUSED;
	return SEAT_INVITED;
}

bool
meeting_row_read(struct req *r, const PGresult *res, struct meeting_row *m)
{
	size_t i;
	json_t *round;

	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		txn_reply_db_error(r, res);
		return false;
	}
	if (PQntuples(res) == 0) {
		http_reply_error(r, 404, "not_found",
				 "there is no such meeting");
		return false;
	}
	memset(m, 0, sizeof *m);
	m->id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	snprintf(m->id_text, sizeof m->id_text, "%s", PQgetvalue(res, 0, 0));
	m->evaluation_id = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
	snprintf(m->evaluation_text, sizeof m->evaluation_text, "%s",
		 PQgetvalue(res, 0, 1));
	snprintf(m->kind, sizeof m->kind, "%s", PQgetvalue(res, 0, 2));
	m->finalized = strcmp(PQgetvalue(res, 0, 5), "t") == 0;
	if (!stage_parse(PQgetvalue(res, 0, 7), &m->stage))
		m->stage = STAGE_SCORING;
	m->secretary = r->user.role == ROLE_SECRETARY &&
		       strtoll(PQgetvalue(res, 0, 8), NULL, 10) == r->user.id;
	m->seat = meeting_seat_parse(res, 9);
	if (!m->secretary && r->user.role != ROLE_AUDITOR &&
	    !(r->user.role == ROLE_EXPERT &&
	      (m->seat == SEAT_INVITED || m->seat == SEAT_SEATED))) {
		http_reply_error(r, 403, "forbidden",
				 "only the meeting's secretary, its panel and "
				 "auditors may see it");
		return false;
	}
	m->rules = json_loads(PQgetvalue(res, 0, 4), 0, NULL);
	m->rounds = json_loads(PQgetvalue(res, 0, 10), 0, NULL);
	m->panel = json_loads(PQgetvalue(res, 0, 11), 0, NULL);
	m->levels = json_loads(PQgetvalue(res, 0, 12), 0, NULL);
	json_object_set_new(m->rules, "title",
			    json_string(PQgetvalue(res, 0, 3)));
	json_object_set_new(
	    m->rules, "version",
	    json_integer(strtoll(PQgetvalue(res, 0, 6), NULL, 10)));
	json_array_foreach(m->rounds, i, round)
	{
		int n = (int)json_integer_value(json_object_get(round, "n"));

		m->last_round = n;
		if (json_is_null(json_object_get(round, "closed_at")))
			m->open_round = n;
		else
			json_object_del(round, "complete_ballots");
	}
	return true;
}

void
meeting_row_free(struct meeting_row *m)
{
	json_decref(m->rules);
	json_decref(m->rounds);
	json_decref(m->panel);
	json_decref(m->levels);
	memset(m, 0, sizeof *m);
}

json_t *
meeting_consensus_json(const json_t *rules)
{
	json_t *out = json_pack("{s:O, s:O, s:O}", "max_iqr",
				json_object_get(rules, "max_iqr"), "max_cv",
				json_object_get(rules, "max_cv"), "quantile",
				json_object_get(rules, "quantile"));
	json_t *threshold = json_object_get(rules, "selection_threshold");

	if (threshold != NULL)
		json_object_set(out, "selection_threshold", threshold);
	return out;
}

json_t *
meeting_json(const struct meeting_row *m)
{
	const json_t *rules = m->rules;
	json_t *out = json_pack(
	    "{s:I, s:I, s:s, s:O, s:{s:O, s:O}, s:o, s:O, s:s, s:O, s:O, s:O}",
	    "id", (json_int_t)m->id, "evaluation_id",
	    (json_int_t)m->evaluation_id, "kind", m->kind, "title",
	    json_object_get(rules, "title"), "aggregation", "method",
	    json_object_get(rules, "method"), "trim",
	    json_object_get(rules, "trim"), "consensus",
	    meeting_consensus_json(rules), "quorum",
	    json_object_get(rules, "quorum"), "state",
	    m->finalized ? "finalized" : "open", "panel", m->panel, "rounds",
	    m->rounds, "version", json_object_get(rules, "version"));

	if (strcmp(m->kind, "weighting") == 0)
		json_object_set(out, "advanced_levels", m->levels);
	return out;
}

bool
meeting_has_item(const json_t *items, const char *code)
{
	size_t i;
	json_t *x;

	json_array_foreach(items, i, x)
	{
		if (strcmp(json_string_value(x), code) == 0)
			return true;
	}
	return false;
}

json_t *
meeting_item_index(const json_t *items)
{
	json_t *index = json_object(), *x;
	size_t i;

	json_array_foreach(items, i, x)
	{
		if (json_is_string(x))
			json_object_set_new(index, json_string_value(x),
					    json_integer((json_int_t)i));
	}
	return index;
}

bool
meeting_rules_parse(const json_t *rules, struct meeting_rules *out)
{
	const char *method =
	    json_string_value(json_object_get(rules, "method"));
	const char *iqr = json_string_value(json_object_get(rules, "max_iqr"));
	const char *cv = json_string_value(json_object_get(rules, "max_cv"));
	const char *q = json_string_value(json_object_get(rules, "quantile"));
	int64_t cv_num;

	memset(out, 0, sizeof *out);
	out->agg.trim = (int)json_integer_value(json_object_get(rules, "trim"));
	out->quorum = (int)json_integer_value(json_object_get(rules, "quorum"));
	out->consensus.max_cv_den = 10000;
	if (method == NULL || !agg_method_parse(method, &out->agg.method) ||
	    iqr == NULL ||
	    !dec_parse(iqr, strlen(iqr), 2, 10000, &out->consensus.max_iqr) ||
	    cv == NULL || !dec_parse(cv, strlen(cv), 4, 100000, &cv_num) ||
	    q == NULL || !quantile_def_parse(q, &out->consensus.quantile))
		return false;
	out->consensus.max_cv_num = cv_num;
	return true;
}

json_t *
meeting_stat_json(bool defined, double v, int decimals)
{
	char buf[64];

	if (!defined)
		return json_null();
	snprintf(buf, sizeof buf, "%.*f", decimals, v);
	return json_string(buf);
}

bool
meeting_round_param(struct req *r, int *n)
{
	int64_t id = r->match.params[1].id;

	if (id > INT_MAX) {
		http_reply_error(r, 404, "not_found", "there is no round %lld",
				 (long long)id);
		return false;
	}
	*n = (int)id;
	return true;
}

bool
meeting_require_secretary(struct req *r, const struct meeting_row *m)
{
	if (m->secretary)
		return true;
	http_reply_error(r, 403, "forbidden",
			 "only the evaluation's secretary may do this");
	return false;
}

bool
meeting_require_open(struct req *r, const struct meeting_row *m)
{
	if (m->stage == STAGE_FINALIZED) {
		http_reply_error(r, 409, "evaluation_finalized",
				 "the evaluation is finalized; nothing of it "
				 "changes any more");
		return false;
	}
	if (m->finalized) {
		http_reply_error(r, 409, "meeting_finalized",
				 "the meeting is finalized");
		return false;
	}
	return true;
}
