/*
 * Meetings: POST /evaluations/{id}/meetings, GET /meetings/{id},
 * POST /meetings/{id}/seat.  Finalizing is h_finalize.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "body.h"
#include "decimal.h"
#include "events.h"
#include "handlers.h"
#include "kinds.h"
#include "meeting.h"
#include "rat.h"
#include "table_json.h"
#include "txn.h"
#include "xalloc.h"

#define MEETING_PANEL_MAX 1000

/* ---- POST /evaluations/{id}/meetings ---- */

/* A meeting being created: its validated input, as text for the write. */
struct meeting_new {
	struct eval_row eval;
	json_t *rules;
	json_t *panel; /* built from the experts' rows */
	char *rules_text;
	char *experts; /* "{1,2,3}" */
	const char *kind, *title;
	size_t n_experts;
};

static void
meeting_new_free(void *p)
{
	struct meeting_new *n = p;

	eval_row_free(&n->eval);
	json_decref(n->rules);
	json_decref(n->panel);
	free(n->rules_text);
	free(n->experts);
	free(n);
}

/* Experts by id, with whether their organization is a drafting one:
 * names compared after Unicode NFKC, trimming and case folding, so
 * "上海市质量院 " and "上海市质量院" (or a full-width variant) are one.
 * Case folding uses ICU's root collation: the database's own locale may be
 * C, whose lower() folds ASCII only ("SOCIÉTÉ" would stay apart). */
DB_STMT(stmt_meeting_experts, 2,
	"SELECT u.id, u.role, u.active, u.display_name, u.organization,"
	" EXISTS (SELECT 1 FROM jsonb_array_elements_text("
	"  e.drafting_organizations) d"
	"  WHERE btrim(u.organization) <> '' AND"
	"  lower(regexp_replace(normalize(d, NFKC), '^\\s+|\\s+$', '', 'g')"
	"  COLLATE \"und-x-icu\") ="
	"  lower(regexp_replace(normalize(u.organization, NFKC),"
	"  '^\\s+|\\s+$', '', 'g') COLLATE \"und-x-icu\"))"
	" FROM users u, evaluations e"
	" WHERE e.id = $1 AND u.id = ANY($2::bigint[]) ORDER BY u.id");

DB_STMT(stmt_meeting_create, 10,
	"WITH m AS (INSERT INTO meetings (evaluation_id, kind, title, rules)"
	"  SELECT $6, $7, $8, $9::jsonb WHERE NOT EXISTS (SELECT 1 FROM"
	"  meetings o WHERE o.evaluation_id = $6 AND o.kind = $7"
	"  AND o.finalized_at IS NULL) RETURNING id),"
	" s AS (INSERT INTO seats (meeting_id, expert_id)"
	"  SELECT m.id, x FROM m, unnest($10::bigint[]) x),"
	" a AS (INSERT INTO audit_log (actor_id, actor_username, actor_role,"
	"  action, evaluation_id, meeting_id, object_type, object_id,"
	"  details, request_id, client_addr)"
	"  SELECT $1, $2, $3, 'meeting.create', $6, m.id, 'meeting', m.id,"
	"  $9::jsonb || jsonb_build_object('kind', $7::text, 'title',"
	"  $8::text, 'experts', $10::bigint[]), $4, $5 FROM m)"
	" SELECT id FROM m");

static json_t *
meeting_created(struct req *r, const PGresult *res, int *status)
{
	struct meeting_new *n = r->state;
	json_t *rules = n->rules;

	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		txn_reply_db_error(r, res);
		return NULL;
	}
	if (PQntuples(res) == 0) {
		http_reply_error(r, 409, "meeting_open",
				 "this evaluation already has a %s meeting "
				 "that is not finalized",
				 n->kind);
		return NULL;
	}
	*status = 201;
	return json_pack(
	    "{s:I, s:I, s:s, s:s, s:{s:O, s:O}, s:o, s:O, s:s, s:O, s:[],"
	    " s:i}",
	    "id", (json_int_t)strtoll(PQgetvalue(res, 0, 0), NULL, 10),
	    "evaluation_id", (json_int_t)n->eval.id, "kind", n->kind, "title",
	    n->title, "aggregation", "method", json_object_get(rules, "method"),
	    "trim", json_object_get(rules, "trim"), "consensus",
	    meeting_consensus_json(rules), "quorum",
	    json_object_get(rules, "quorum"), "state", "open", "panel",
	    n->panel, "rounds", "version", 1);
}

static void
meeting_experts_read(struct req *r, const PGresult *res)
{
	struct meeting_new *n = r->state;
	json_t *conflicts = json_array();
	const char *params[TXN_AUDIT_PARAMS + 5];

	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		json_decref(conflicts);
		txn_reply_db_error(r, res);
		return;
	}
	n->panel = json_array();
	for (int i = 0; i < PQntuples(res); i++) {
		json_int_t id = strtoll(PQgetvalue(res, i, 0), NULL, 10);

		if (strcmp(PQgetvalue(res, i, 1), "expert") != 0 ||
		    strcmp(PQgetvalue(res, i, 2), "t") != 0) {
			json_decref(conflicts);
			body_invalid(r, "experts",
				     "user %lld is not an active expert",
				     (long long)id);
			return;
		}
		if (strcmp(PQgetvalue(res, i, 5), "t") == 0)
			json_array_append_new(conflicts, json_integer(id));
		json_array_append_new(
		    n->panel,
		    json_pack("{s:{s:I, s:s, s:s}, s:s}", "expert", "id", id,
			      "display_name", PQgetvalue(res, i, 3),
			      "organization", PQgetvalue(res, i, 4), "seat",
			      "invited"));
	}
	if ((size_t)PQntuples(res) != n->n_experts) {
		json_decref(conflicts);
		body_invalid(r, "experts", "some expert ids do not exist");
		return;
	}
	if (json_array_size(conflicts) > 0) {
		http_reply_error_details(
		    r, 409, "conflict_of_interest",
		    json_pack("{s:o}", "experts", conflicts),
		    "experts of a drafting organization of the standard "
		    "cannot sit on its panel (principle 3.1 c)");
		return;
	}
	json_decref(conflicts);
	txn_audit_params(r, params);
	params[5] = n->eval.id_text;
	params[6] = n->kind;
	params[7] = n->title;
	params[8] = n->rules_text;
	params[9] = n->experts;
	txn_write(r, &stmt_meeting_create, params, meeting_created);
}

/* The kind of meeting each stage holds. */
static const char *
meeting_kind_of(enum stage s)
{
	switch (s) {
	case STAGE_SELECTION:
		return "selection";
	case STAGE_WEIGHTING:
		return "weighting";
	case STAGE_SCORING:
		return "scoring";
	default:
		return NULL;
	}
}

/* The experts list: 1..MEETING_PANEL_MAX distinct positive ids, kept as
 * a PostgreSQL array literal. */
static bool
meeting_read_experts(struct req *r, struct meeting_new *n)
{
	json_t *list = json_object_get(r->body, "experts"), *x;
	size_t i, j, len = 2;

	if (!json_is_array(list) || json_array_size(list) == 0 ||
	    json_array_size(list) > MEETING_PANEL_MAX) {
		body_invalid(r, "experts",
			     "experts is a list of 1 to %d user ids",
			     MEETING_PANEL_MAX);
		return false;
	}
	json_array_foreach(list, i, x)
	{
		if (!json_is_integer(x) || json_integer_value(x) <= 0) {
			body_invalid(r, "experts", "experts are user ids");
			return false;
		}
		for (j = 0; j < i; j++) {
			if (json_integer_value(json_array_get(list, j)) ==
			    json_integer_value(x)) {
				body_invalid(r, "experts",
					     "expert %lld is listed twice",
					     (long long)json_integer_value(x));
				return false;
			}
		}
	}
	n->n_experts = json_array_size(list);
	/* 20 digits and a comma per id, the braces and the NUL */
	n->experts = xmalloc(n->n_experts * 21 + len + 1);
	strcpy(n->experts, "{");
	json_array_foreach(list, i, x)
	{
		len = strlen(n->experts);
		snprintf(n->experts + len, 22, "%s%lld", i ? "," : "",
			 (long long)json_integer_value(x));
	}
	strcat(n->experts, "}");
	return true;
}

/* A selection meeting's threshold (exact 2/3 unless given); other kinds
 * have none.  False after answering. */
static bool
meeting_read_threshold(struct req *r, const struct meeting_new *n,
		       const char **threshold)
{
	struct rat parsed;

	if (strcmp(n->kind, "selection") != 0) {
		if (*threshold == NULL)
			return true;
		body_invalid(r, "consensus",
			     "only selection meetings have a "
			     "selection_threshold");
		return false;
	}
	if (*threshold == NULL)
		*threshold = KIND_SELECTION_THRESHOLD;
	if (!kind_selection_threshold(*threshold, &parsed)) {
		body_invalid(r, "consensus",
			     "selection_threshold is a fraction like \"2/3\" "
			     "or a decimal like \"0.6667\", above 0 and at "
			     "most 1");
		return false;
	}
	return true;
}

/* aggregation, consensus and quorum into the stored rule set. */
static bool
meeting_read_rules(struct req *r, struct meeting_new *n)
{
	json_t *agg = json_object_get(r->body, "aggregation");
	json_t *cons = json_object_get(r->body, "consensus");
	json_t *quorum = json_object_get(r->body, "quorum");
	const char *method = "trimmed_mean", *iqr = "10", *cv = "0.25",
		   *quantile = "linear", *threshold = NULL;
	json_int_t trim = 1, q = 5;
	struct meeting_rules parsed;
	enum agg_method m;

	if (agg != NULL) {
		json_t *jm = json_object_get(agg, "method");
		json_t *jt = json_object_get(agg, "trim");

		if (!json_is_object(agg) || (jm && !json_is_string(jm)) ||
		    (jt && !json_is_integer(jt))) {
			body_invalid(r, "aggregation",
				     "aggregation is {\"method\": \"mean\" | "
				     "\"trimmed_mean\" | \"median\", \"trim\": "
				     "1}");
			return false;
		}
		if (jm)
			method = json_string_value(jm);
		if (jt)
			trim = json_integer_value(jt);
	}
	if (!agg_method_parse(method, &m) || trim < 0 || trim > 10) {
		body_invalid(r, "aggregation",
			     "the method is mean, trimmed_mean or median, and "
			     "trim 0 to 10");
		return false;
	}
	if (m != AGG_TRIMMED_MEAN)
		trim = 0;
	if (cons != NULL) {
		json_t *ji = json_object_get(cons, "max_iqr");
		json_t *jc = json_object_get(cons, "max_cv");
		json_t *jq = json_object_get(cons, "quantile");
		json_t *js = json_object_get(cons, "selection_threshold");

		if (!json_is_object(cons) || (ji && !json_is_string(ji)) ||
		    (jc && !json_is_string(jc)) ||
		    (jq && !json_is_string(jq)) ||
		    (js && !json_is_string(js))) {
			body_invalid(r, "consensus",
				     "consensus is {\"max_iqr\": \"10\", "
				     "\"max_cv\": \"0.25\", \"quantile\": "
				     "\"linear\"}");
			return false;
		}
		if (ji)
			iqr = json_string_value(ji);
		if (jc)
			cv = json_string_value(jc);
		if (jq)
			quantile = json_string_value(jq);
		threshold = json_string_value(js);
	}
	if (!meeting_read_threshold(r, n, &threshold))
		return false;
	if (quorum != NULL) {
		if (!json_is_integer(quorum)) {
			body_invalid(r, "quorum", "quorum is a whole number");
			return false;
		}
		q = json_integer_value(quorum);
	}
	n->rules = json_pack("{s:s, s:I, s:s, s:s, s:s, s:I}", "method", method,
			     "trim", trim, "max_iqr", iqr, "max_cv", cv,
			     "quantile", quantile, "quorum", q);
	if (!meeting_rules_parse(n->rules, &parsed)) {
		body_invalid(r, "consensus",
			     "max_iqr is 0 to 100 with at most two decimals, "
			     "max_cv 0 to 10 with at most four, quantile "
			     "linear or weibull");
		return false;
	}
	/* A trimmed mean of fewer than 2 trim + 1 ratings does not exist:
	 * the quorum guarantees every closed round can be aggregated. */
	if (q < 2 * trim + 1 || q < 1 || q > (json_int_t)n->n_experts) {
		body_invalid(r, "quorum",
			     "the quorum must be at least %lld (2 x trim + 1) "
			     "and at most the panel's size",
			     (long long)(2 * trim + 1));
		return false;
	}
	if (threshold != NULL)
		json_object_set_new(n->rules, "selection_threshold",
				    json_string(threshold));
	n->rules_text = json_dumps(n->rules, JSON_COMPACT | JSON_SORT_KEYS);
	return true;
}

static void
meeting_create_checked(struct req *r, const PGresult *res)
{
	struct meeting_new *n = r->state;
	static const char *const fields[] = {
	    "kind",	 "title",  "experts", "aggregation",
	    "consensus", "quorum", NULL};
	const char *kind_wanted;

	if (!eval_row_read(r, res, &n->eval))
		return;
	if (!n->eval.secretary) {
		http_reply_error(r, 403, "forbidden",
				 "only the evaluation's secretary convenes its "
				 "meetings");
		return;
	}
	if (!body_only(r, fields) ||
	    !body_string(r, "kind", true, 1, 16, &n->kind) ||
	    !body_string(r, "title", true, 1, 300, &n->title))
		return;
	if (n->eval.stage == STAGE_FINALIZED) {
		http_reply_error(r, 409, "evaluation_finalized",
				 "the evaluation is finalized; nothing of it "
				 "changes any more");
		return;
	}
	kind_wanted = meeting_kind_of(n->eval.stage);
	if (strcmp(n->kind, "selection") != 0 &&
	    strcmp(n->kind, "weighting") != 0 &&
	    strcmp(n->kind, "scoring") != 0) {
		body_invalid(r, "kind",
			     "kind is selection, weighting or scoring");
		return;
	}
	if (kind_wanted == NULL || strcmp(kind_wanted, n->kind) != 0) {
		http_reply_error(r, 409, "wrong_stage",
				 "an evaluation at stage %s holds %s%s "
				 "meetings",
				 stage_name(n->eval.stage),
				 kind_wanted ? kind_wanted : "no",
				 kind_wanted ? "" : "");
		return;
	}
	if (!meeting_read_experts(r, n) || !meeting_read_rules(r, n))
		return;
	req_query(r, &stmt_meeting_experts,
		  (const char *const[]){n->eval.id_text, n->experts},
		  meeting_experts_read);
}

static void
h_meetings_create_start(struct req *r)
{
	struct meeting_new *n = xcalloc(1, sizeof *n);

	r->state = n;
	r->state_free = meeting_new_free;
	eval_load(r, meeting_create_checked);
}

/* A retry with the same Idempotency-Key replays the first answer before
 * any state is checked again. */
void
h_meetings_create(struct req *r)
{
	txn_idempotent(r, h_meetings_create_start);
}

/* ---- GET /meetings/{id} ---- */

static void
meeting_got(struct req *r, const PGresult *res)
{
	struct meeting_row m;

	if (!meeting_row_read(r, res, &m))
		return;
	http_reply_json(r, 200, meeting_json(&m));
	meeting_row_free(&m);
}

void
h_meetings_get(struct req *r)
{
	meeting_load(r, meeting_got);
}

/* ---- POST /meetings/{id}/seat ---- */

static const char *const seat_reasons[] = {
    "drafting_organization",
    "same_legal_entity",
    "employment",
    "kinship",
    "consulting",
    "other",
    NULL,
};

DB_STMT(stmt_seat_declare, 10,
	"WITH s AS (UPDATE seats SET state = $8, reason = $9,"
	"  statement = $10, declared_at = now()"
	"  WHERE meeting_id = $6 AND expert_id = $1 AND state <> 'recused'"
	"  RETURNING state),"
	" a AS (INSERT INTO audit_log (actor_id, actor_username, actor_role,"
	"  action, evaluation_id, meeting_id, object_type, object_id,"
	"  details, request_id, client_addr)"
	"  SELECT $1, $2, $3, CASE WHEN s.state = 'recused' THEN"
	"  'seat.recuse' ELSE 'seat.accept' END, $7::bigint, $6, 'seat', $1,"
	"  jsonb_strip_nulls(jsonb_build_object('reason', $9::text,"
	"  'statement', $10::text)), $4, $5 FROM s)"
	" SELECT state FROM s");

struct seat_change {
	struct meeting_row m;
};

static void
seat_change_free(void *p)
{
	struct seat_change *c = p;

	meeting_row_free(&c->m);
	free(c);
}

static json_t *
seat_declared(struct req *r, const PGresult *res, int *status)
{
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		txn_reply_db_error(r, res);
		return NULL;
	}
	if (PQntuples(res) == 0) {
		http_reply_error(r, 409, "seat_recused",
				 "you gave up this seat; it cannot be taken "
				 "again");
		return NULL;
	}
	*status = 200;
	return json_pack("{s:s}", "seat", PQgetvalue(res, 0, 0));
}

static void
seat_checked(struct req *r, const PGresult *res)
{
	static const char *const fields[] = {"conflict_of_interest", "reason",
					     "statement", NULL};
	struct seat_change *c = r->state;
	const char *reason, *statement, *params[TXN_AUDIT_PARAMS + 5];
	bool has_conflict, conflict;
	size_t i;

	if (!meeting_row_read(r, res, &c->m))
		return;
	if (c->m.seat == SEAT_NONE || r->user.role != ROLE_EXPERT) {
		http_reply_error(r, 403, "forbidden",
				 "only a member of the panel declares for a "
				 "seat");
		return;
	}
	if (!meeting_require_open(r, &c->m) || !body_only(r, fields) ||
	    !body_bool(r, "conflict_of_interest", &has_conflict, &conflict) ||
	    !body_string(r, "reason", false, 1, 32, &reason) ||
	    !body_string(r, "statement", false, 0, 2000, &statement))
		return;
	if (!has_conflict) {
		http_reply_error_details(
		    r, 400, "bad_request",
		    json_pack("{s:s}", "field", "conflict_of_interest"),
		    "\"conflict_of_interest\" (true or false) is required");
		return;
	}
	if (conflict) {
		for (i = 0; reason && seat_reasons[i]; i++) {
			if (strcmp(reason, seat_reasons[i]) == 0)
				break;
		}
		if (reason == NULL || seat_reasons[i] == NULL) {
			body_invalid(r, "reason",
				     "a conflict needs a reason: "
				     "drafting_organization, "
				     "same_legal_entity, employment, kinship, "
				     "consulting or other");
			return;
		}
	} else if (reason != NULL) {
		body_invalid(r, "reason",
			     "a reason goes with a declared conflict only");
		return;
	}
	txn_audit_params(r, params);
	params[5] = c->m.id_text;
	params[6] = c->m.evaluation_text;
	params[7] = conflict ? "recused" : "seated";
	params[8] = reason;
	params[9] = statement;
	txn_write(r, &stmt_seat_declare, params, seat_declared);
}

static void
h_meetings_seat_start(struct req *r)
{
	r->state = xcalloc(1, sizeof(struct seat_change));
	r->state_free = seat_change_free;
	meeting_load(r, seat_checked);
}

/* A retry with the same Idempotency-Key replays the first answer before
 * any state is checked again. */
void
h_meetings_seat(struct req *r)
{
	txn_idempotent(r, h_meetings_seat_start);
}
