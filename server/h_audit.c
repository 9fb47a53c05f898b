/*
 * The audit log for auditors: GET /audit (filtered, by sequence number)
 * and GET /audit/head.  Both first let the sequencer catch up, so an
 * auditor sees every entry committed before the request.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "body.h"
#include "handlers.h"
#include "sequencer.h"
#include "txn.h"
#include "xalloc.h"

#define AUDIT_PAGE_DEFAULT 100
#define AUDIT_PAGE_MAX	   1000

DB_STMT(stmt_audit_list, 7,
	"SELECT " AUDIT_COLUMNS " FROM audit_chain c"
	" JOIN audit_log a ON a.id = c.entry_id"
	" WHERE c.seq > $1"
	" AND ($2::bigint IS NULL OR a.evaluation_id = $2::bigint)"
	" AND ($3::bigint IS NULL OR a.actor_id = $3::bigint)"
	" AND ($4::text IS NULL OR a.action = $4)"
	" AND ($5::timestamptz IS NULL OR a.at >= $5::timestamptz)"
	" AND ($6::timestamptz IS NULL OR a.at < $6::timestamptz)"
	" ORDER BY c.seq LIMIT $7");

DB_STMT(stmt_audit_head, 0,
	"SELECT seq, hash, to_char(sequenced_at AT TIME ZONE 'UTC',"
	" 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
	" FROM audit_chain ORDER BY seq DESC LIMIT 1");

/* The filters of GET /audit, as query parameters, and what runs once the
 * sequencer caught up. */
struct audit_query {
	http_handler next;
	int64_t limit;
	char after[24], evaluation[24], actor[24], limit_text[24];
	const char *action, *from, *to;
};

static void
audit_flushed(bool ok, void *arg)
{
	struct req *r = arg;
	struct audit_query *q;

	if (!req_unref(r))
		return;
	if (!ok) {
		http_reply_db_unavailable(r);
		return;
	}
	q = r->state;
	req_acquire(r, q->next);
}

/* Lets the sequencer run with our connection back in the pool (it needs
 * one), then runs next on a new lease. */
static void
audit_after_flush(struct req *r, http_handler next)
{
	struct audit_query *q = r->state;

	q->next = next;
	req_release_conn(r);
	req_ref(r);
	sequencer_flush(r->srv->sequencer, audit_flushed, r);
}

static struct audit_query *
audit_query_new(struct req *r)
{
	struct audit_query *q = xcalloc(1, sizeof *q);

	r->state = q;
	r->state_free = free;
	return q;
}

static json_t *
audit_row_json(const PGresult *res, int i)
{
	return audit_entry_json(res, i,
				strtoll(PQgetvalue(res, i, 0), NULL, 10), true);
}

static void
audit_listed(struct req *r, const PGresult *res)
{
	struct audit_query *q = r->state;

	if (res != NULL && strncmp(db_sqlstate(res), "22", 2) == 0) {
		http_reply_error(r, 400, "bad_query",
				 "from and to must be RFC 3339 times");
		return;
	}
	page_reply(r, res, q->limit, audit_row_json);
}

static void
audit_list_query(struct req *r)
{
	struct audit_query *q = r->state;

	req_query(r, &stmt_audit_list,
		  (const char *const[]){
		      q->after, q->evaluation[0] ? q->evaluation : NULL,
		      q->actor[0] ? q->actor : NULL, q->action, q->from, q->to,
		      q->limit_text},
		  audit_listed);
}

void
h_audit_list(struct req *r)
{
	static const char *const known[] = {
	    "evaluation_id", "actor_id", "action", "from", "to",
	    "after",	     "limit",	 NULL};
	struct audit_query *q;
	int64_t after = 0, evaluation = 0, actor = 0;

	if (!query_only(r, known))
		return;
	q = audit_query_new(r);
	q->limit = AUDIT_PAGE_DEFAULT;
	if (!query_int(r, "limit", 1, AUDIT_PAGE_MAX, &q->limit) ||
	    !query_int(r, "after", 1, INT64_MAX, &after) ||
	    !query_int(r, "evaluation_id", 1, INT64_MAX, &evaluation) ||
	    !query_int(r, "actor_id", 1, INT64_MAX, &actor))
		return;
	snprintf(q->after, sizeof q->after, "%lld", (long long)after);
	if (evaluation > 0)
		snprintf(q->evaluation, sizeof q->evaluation, "%lld",
			 (long long)evaluation);
	if (actor > 0)
		snprintf(q->actor, sizeof q->actor, "%lld", (long long)actor);
	snprintf(q->limit_text, sizeof q->limit_text, "%lld",
		 (long long)q->limit + 1);
	q->action = router_query_get(r->query, "action");
	q->from = router_query_get(r->query, "from");
	q->to = router_query_get(r->query, "to");
	audit_after_flush(r, audit_list_query);
}

static void
audit_head_done(struct req *r, const PGresult *res)
{
	json_t *head;

	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		txn_reply_db_error(r, res);
		return;
	}
	if (PQntuples(res) == 0)
		head = json_pack("{s:i, s:n, s:n}", "size", 0, "hash", "at");
	else
		head = json_pack(
		    "{s:I, s:s, s:s}", "size",
		    (json_int_t)strtoll(PQgetvalue(res, 0, 0), NULL, 10),
		    "hash", PQgetvalue(res, 0, 1), "at", PQgetvalue(res, 0, 2));
	http_reply_json(r, 200, head);
}

static void
audit_head_query(struct req *r)
{
	req_query(r, &stmt_audit_head, NULL, audit_head_done);
}

void
h_audit_head(struct req *r)
{
	audit_query_new(r);
	audit_after_flush(r, audit_head_query);
}

/* ---- GET /evaluations/{id}/history ---- */

DB_STMT(stmt_history, 3,
	"SELECT " AUDIT_COLUMNS " FROM audit_chain c"
	" JOIN audit_log a ON a.id = c.entry_id"
	" WHERE a.evaluation_id = $1 AND c.seq > $2"
	" ORDER BY c.seq LIMIT $3");

static void
history_query(struct req *r)
{
	struct audit_query *q = r->state;

	req_query(r, &stmt_history,
		  (const char *const[]){q->evaluation, q->after, q->limit_text},
		  audit_listed);
}

static void
history_checked(struct req *r, const PGresult *res)
{
	struct audit_query *q;
	struct eval_row e;
	int64_t after = 0;

	if (!eval_row_read(r, res, &e))
		return;
	if (!e.secretary && r->user.role != ROLE_AUDITOR) {
		eval_row_free(&e);
		http_reply_error(r, 403, "forbidden",
				 "an evaluation's history is for its secretary "
				 "and auditors");
		return;
	}
	q = audit_query_new(r);
	snprintf(q->evaluation, sizeof q->evaluation, "%s", e.id_text);
	eval_row_free(&e);
	q->limit = AUDIT_PAGE_DEFAULT;
	if (!query_only(r, (const char *const[]){"limit", "after", NULL}) ||
	    !query_int(r, "limit", 1, AUDIT_PAGE_MAX, &q->limit) ||
	    !query_int(r, "after", 1, INT64_MAX, &after))
		return;
	snprintf(q->after, sizeof q->after, "%lld", (long long)after);
	snprintf(q->limit_text, sizeof q->limit_text, "%lld",
		 (long long)q->limit + 1);
	audit_after_flush(r, history_query);
}

void
h_evaluations_history(struct req *r)
{
	eval_load(r, history_checked);
}
