/*
 * The audit sequencer's run, one transaction on one leased connection:
 *   BEGIN; take the sequencer lock; read the chain's head; read pending
 *   entries (oldest first); insert their chain rows and remove them from
 *   pending; COMMIT
 * repeated while a batch comes back full.  Flush requests made during a
 * run wait for the next one, which starts after they were made.
 */
#include "sequencer.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "pool.h"
#include "server.h"
#include "xalloc.h"

#define SEQUENCER_PERIOD_MS 200
/* Entries hashed per transaction: hashing runs on the loop, so a batch is
 * kept to a few milliseconds of it; a full batch goes round again. */
#define SEQUENCER_BATCH	    256
#define SEQUENCER_BATCH_SQL "256"

struct sequencer_waiter {
	sequencer_cb cb;
	void *arg;
	struct sequencer_waiter *next;
};

struct sequencer {
	struct server *srv;
	struct event *tick;
	bool running;
	/* Waiting for the run in progress / for the next run. */
	struct sequencer_waiter *current, *next;
	/* The run in progress. */
	struct db_conn *conn;
	bool failed;
	long long head_seq;
	char head_hash[AUDIT_HASH_HEX + 1];
	int batch; /* entries in the last batch read */
	/* Arrays for the insert, as PostgreSQL array literals. */
	struct evbuffer *seqs, *ids, *hashes;
};

DB_STMT(stmt_seq_begin, 0, "BEGIN");
DB_STMT(stmt_seq_lock, 0, "SELECT pg_advisory_xact_lock(7233412)");
DB_STMT(stmt_seq_head, 0,
	"SELECT seq, hash FROM audit_chain ORDER BY seq DESC LIMIT 1");
DB_STMT(stmt_seq_pending, 0,
	"SELECT " AUDIT_COLUMNS " FROM audit_pending p"
	" JOIN audit_log a ON a.id = p.entry_id"
	" LEFT JOIN audit_chain c ON false"
	" ORDER BY a.id LIMIT " SEQUENCER_BATCH_SQL);
DB_STMT(stmt_seq_append, 3,
	"WITH ins AS (INSERT INTO audit_chain (seq, entry_id, hash)"
	" SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[]))"
	" DELETE FROM audit_pending WHERE entry_id = ANY($2::bigint[])");
DB_STMT(stmt_seq_commit, 0, "COMMIT");

static void sequencer_start(struct sequencer *seq);

static void
sequencer_schedule(struct sequencer *seq)
{
	struct timeval tv = {0, SEQUENCER_PERIOD_MS * 1000};

	evtimer_add(seq->tick, &tv);
}

/* Calls and frees a list of waiters. */
static void
sequencer_notify(struct sequencer_waiter *w, bool ok)
{
	while (w != NULL) {
		struct sequencer_waiter *next = w->next;

		w->cb(ok, w->arg);
		free(w);
		w = next;
	}
}

static void
sequencer_reset_batch(struct sequencer *seq)
{
	evbuffer_drain(seq->seqs, evbuffer_get_length(seq->seqs));
	evbuffer_drain(seq->ids, evbuffer_get_length(seq->ids));
	evbuffer_drain(seq->hashes, evbuffer_get_length(seq->hashes));
}

/* The run is over: release, tell the waiters, maybe go again. */
static void
sequencer_finish(struct sequencer *seq)
{
	struct sequencer_waiter *done = seq->current;

	if (seq->conn != NULL)
		db_conn_release(seq->conn);
	seq->conn = NULL;
	seq->current = NULL;
	seq->running = false;
	sequencer_reset_batch(seq);
	if (!seq->failed && seq->batch == SEQUENCER_BATCH) {
		/* More are pending: the waiters need those too. */
		seq->current = done;
		sequencer_start(seq);
		return;
	}
	sequencer_notify(done, !seq->failed);
	if (seq->next != NULL)
		sequencer_start(seq);
	else
		sequencer_schedule(seq);
}

static bool
sequencer_ok(struct sequencer *seq, const PGresult *res, ExecStatusType want)
{
	if (res != NULL && PQresultStatus(res) == want)
		return true;
	if (!seq->failed)
		fprintf(stderr, "sequencer: %s",
			res ? PQresultErrorMessage(res) : "connection lost\n");
	seq->failed = true;
	return false;
}

static void
sequencer_committed(struct db_conn *c, const PGresult *res, void *arg)
{
	struct sequencer *seq = arg;

	(void)c;
	sequencer_ok(seq, res, PGRES_COMMAND_OK);
	sequencer_finish(seq);
}

static void
sequencer_step_ok(struct db_conn *c, const PGresult *res, void *arg)
{
	(void)c;
	sequencer_ok(arg, res, PGRES_COMMAND_OK);
}

static void
sequencer_step_tuples(struct db_conn *c, const PGresult *res, void *arg)
{
	(void)c;
	sequencer_ok(arg, res, PGRES_TUPLES_OK);
}

static void
sequencer_head(struct db_conn *c, const PGresult *res, void *arg)
{
	struct sequencer *seq = arg;

	(void)c;
	seq->head_seq = 0;
	seq->head_hash[0] = '\0';
	if (!sequencer_ok(seq, res, PGRES_TUPLES_OK) || PQntuples(res) == 0)
		return;
	seq->head_seq = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	snprintf(seq->head_hash, sizeof seq->head_hash, "%s",
		 PQgetvalue(res, 0, 1));
}

/* Appends s to a "{a,b,c" literal under construction. */
static void
sequencer_append(struct evbuffer *list, const char *s)
{
	evbuffer_add_printf(list, "%s%s", evbuffer_get_length(list) ? "," : "{",
			    s);
}

/* Closes a literal and returns it as a NUL-terminated string. */
static const char *
sequencer_literal(struct evbuffer *list)
{
	evbuffer_add(list, "}", 2);
	return (const char *)evbuffer_pullup(list, -1);
}

static void
sequencer_pending(struct db_conn *c, const PGresult *res, void *arg)
{
	struct sequencer *seq = arg;

	seq->batch = 0;
	if (!sequencer_ok(seq, res, PGRES_TUPLES_OK) || seq->failed) {
		db_conn_query(c, &stmt_seq_commit, NULL, sequencer_committed,
			      seq);
		return;
	}
	seq->batch = PQntuples(res);
	for (int i = 0; i < seq->batch; i++) {
		json_t *entry =
		    audit_entry_json(res, i, seq->head_seq + 1, false);
		char hash[AUDIT_HASH_HEX + 1], num[24];

		if (!audit_chain_hash(seq->head_hash, entry, hash))
			seq->failed = true;
		json_decref(entry);
		seq->head_seq++;
		memcpy(seq->head_hash, hash, sizeof hash);
		snprintf(num, sizeof num, "%lld", seq->head_seq);
		sequencer_append(seq->seqs, num);
		sequencer_append(seq->ids, PQgetvalue(res, i, AUDIT_COL_ID));
		sequencer_append(seq->hashes, hash);
	}
	if (seq->batch > 0 && !seq->failed)
		db_conn_query(
		    c, &stmt_seq_append,
		    (const char *const[]){sequencer_literal(seq->seqs),
					  sequencer_literal(seq->ids),
					  sequencer_literal(seq->hashes)},
		    sequencer_step_ok, seq);
	db_conn_query(c, &stmt_seq_commit, NULL, sequencer_committed, seq);
}

static void
sequencer_leased(struct db_conn *c, void *arg)
{
	struct sequencer *seq = arg;

	if (c == NULL) {
		seq->failed = true;
		sequencer_finish(seq);
		return;
	}
	seq->conn = c;
	/* One round trip: the pipeline carries all four at once. */
	db_conn_query(c, &stmt_seq_begin, NULL, sequencer_step_ok, seq);
	db_conn_query(c, &stmt_seq_lock, NULL, sequencer_step_tuples, seq);
	db_conn_query(c, &stmt_seq_head, NULL, sequencer_head, seq);
	db_conn_query(c, &stmt_seq_pending, NULL, sequencer_pending, seq);
}

static void
sequencer_start(struct sequencer *seq)
{
	struct sequencer_waiter **tail = &seq->current;

	evtimer_del(seq->tick);
	while (*tail != NULL)
		tail = &(*tail)->next;
	*tail = seq->next;
	seq->next = NULL;
	seq->running = true;
	seq->failed = false;
	seq->batch = 0;
	db_pool_acquire(seq->srv->db, sequencer_leased, seq);
}

static void
sequencer_tick(evutil_socket_t fd, short what, void *arg)
{
	struct sequencer *seq = arg;

	(void)fd;
	(void)what;
	if (!seq->running)
		sequencer_start(seq);
}

struct sequencer *
sequencer_new(struct server *srv)
{
	struct sequencer *seq = xcalloc(1, sizeof *seq);

	seq->srv = srv;
	seq->tick = evtimer_new(srv->base, sequencer_tick, seq);
	seq->seqs = evbuffer_new();
	seq->ids = evbuffer_new();
	seq->hashes = evbuffer_new();
	sequencer_schedule(seq);
	return seq;
}

void
sequencer_flush(struct sequencer *seq, sequencer_cb cb, void *arg)
{
	struct sequencer_waiter *w = xcalloc(1, sizeof *w);

	w->cb = cb;
	w->arg = arg;
	w->next = seq->next;
	seq->next = w;
	if (!seq->running)
		event_active(seq->tick, EV_TIMEOUT, 0);
}

bool
sequencer_busy(const struct sequencer *seq)
{
	return seq->running;
}

void
sequencer_free(struct sequencer *seq)
{
	if (seq == NULL)
		return;
	sequencer_notify(seq->current, false);
	sequencer_notify(seq->next, false);
	evbuffer_free(seq->seqs);
	evbuffer_free(seq->ids);
	evbuffer_free(seq->hashes);
	event_free(seq->tick);
	free(seq);
}
