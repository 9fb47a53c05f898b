/*
 * The asynchronous libpq pool.  Each connection is a small state machine
 * (down → connecting → idle ⇄ leased, and back to down when it breaks),
 * driven by libevent events on its socket.  Queries run in pipeline mode,
 * each followed by a sync, so a handler can queue a whole transaction at
 * once and still get one callback per statement, in order.
 *
 * Nothing is freed or closed inside a libpq callback chain: a connection
 * that breaks is marked and closed from its own deferred event, like tmux
 * defers session_free.
 */
#include "pool.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

#define DB_BACKOFF_MIN_MS 100
#define DB_BACKOFF_MAX_MS 5000

enum db_conn_state {
	DB_DOWN,       /* closed; ev_tick reconnects after the backoff */
	DB_CONNECTING, /* PQconnectPoll in progress */
	DB_IDLE,       /* in the pool */
	DB_LEASED,     /* a handler holds it */
};

static const char *const db_state_names[] = {
    [DB_DOWN] = "down",
    [DB_CONNECTING] = "connecting",
    [DB_IDLE] = "idle",
    [DB_LEASED] = "leased",
};

enum db_op_kind {
	DB_OP_PREPARE,
	DB_OP_QUERY,
	DB_OP_SYNC,
};

/* One thing sent on the pipeline and not yet fully answered. */
struct db_op {
	enum db_op_kind kind;
	int slot;	  /* for DB_OP_PREPARE: the statement's slot */
	const char *name; /* for DB_OP_PREPARE: the statement's name */
	db_result_cb cb;
	void *arg;
	bool answered; /* the result came; its terminating NULL has not */
	PGresult *res; /* a query's first result, kept until its sync */
	struct db_op *next;
};

struct db_conn {
	struct db_pool *pool;
	int index;
	enum db_conn_state state;
	PGconn *pg;
	int fd;
	struct event *ev_io;	/* connecting: one-shot; leased/idle: reads */
	struct event *ev_write; /* pending output after PQflush said 1 */
	struct event *ev_tick;	/* deferred work: failure drain, reconnect */
	int backoff_ms;
	bool broken;	      /* every pending and later query fails */
	bool release_pending; /* released while queries were pending */
	bool *prepared;	      /* by statement slot */
	int n_prepared;
	struct db_op *head, *tail;
	/* A query whose results are complete, waiting for the sync that ends
	 * its implicit transaction before its callback runs. */
	struct db_op *synced;
};

/* A queued lease. */
struct db_waiter {
	db_acquire_cb cb;
	void *arg;
	struct db_pool *pool;
	struct event *timeout;
	struct db_waiter *next;
};

struct db_pool {
	struct event_base *base;
	char *conninfo;
	char options[64];
	int acquire_timeout_ms;
	int size;
	struct db_conn *conns;
	struct db_waiter *wait_head, *wait_tail;
	size_t n_waiting;
	struct event *ev_dispatch;
	bool trace;	   /* PINGSHEN_DB_TRACE: log states and statements */
	bool probing;	   /* a connection attempt on behalf of waiters */
	bool probe_failed; /* it failed: fail the waiters, the database is down
			    */
	unsigned long long connects, failures;
};

/* Statement slots are global: every connection prepares the same set. */
static int db_next_slot = 1;

static void db_conn_connect(struct db_conn *c);
static void db_conn_io(evutil_socket_t fd, short what, void *arg);
static void db_pool_kick(struct db_pool *pool);
static void db_pool_dispatch(evutil_socket_t fd, short what, void *arg);

static void
db_conn_set_state(struct db_conn *c, enum db_conn_state state)
{
	if (c->state != state && c->pool->trace)
		fprintf(stderr, "db: connection %d %s -> %s\n", c->index,
			db_state_names[c->state], db_state_names[state]);
	c->state = state;
}

static void
db_notice_ignore(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

static void
db_conn_push(struct db_conn *c, enum db_op_kind kind, int slot, db_result_cb cb,
	     void *arg)
{
	struct db_op *op = xcalloc(1, sizeof *op);

	op->kind = kind;
	op->slot = slot;
	op->cb = cb;
	op->arg = arg;
	if (c->tail != NULL)
		c->tail->next = op;
	else
		c->head = op;
	c->tail = op;
}

static struct db_op *
db_conn_pop(struct db_conn *c)
{
	struct db_op *op = c->head;

	c->head = op->next;
	if (c->head == NULL)
		c->tail = NULL;
	return op;
}

/* Marks the connection broken; its queued work fails from ev_tick. */
static void
db_conn_break(struct db_conn *c, const char *why)
{
	if (!c->broken) {
		fprintf(stderr, "db: connection %d broken: %s\n", c->index,
			why);
		c->broken = true;
	}
	event_active(c->ev_tick, EV_TIMEOUT, 0);
}

/* Closes the libpq connection and its events; the conn can reconnect. */
static void
db_conn_close(struct db_conn *c)
{
	event_del(c->ev_io);
	event_del(c->ev_write);
	/* libpq may reuse the fd number: the events go first (NOTES.md). */
	if (c->pg != NULL)
		PQfinish(c->pg);
	c->pg = NULL;
	c->fd = -1;
	if (c->prepared != NULL)
		memset(c->prepared, 0,
		       (size_t)c->n_prepared * sizeof *c->prepared);
}

/* Closes c and schedules a reconnect after the backoff. */
static void
db_conn_down(struct db_conn *c)
{
	struct timeval tv;

	db_conn_close(c);
	c->broken = false;
	c->release_pending = false;
	db_conn_set_state(c, DB_DOWN);
	tv.tv_sec = c->backoff_ms / 1000;
	tv.tv_usec = (c->backoff_ms % 1000) * 1000;
	event_add(c->ev_tick, &tv);
	c->backoff_ms *= 2;
	if (c->backoff_ms > DB_BACKOFF_MAX_MS)
		c->backoff_ms = DB_BACKOFF_MAX_MS;
}

/* Sends what libpq buffered; waits for writability when the socket is
 * full. */
static void
db_conn_flush(struct db_conn *c)
{
	int r = PQflush(c->pg);

	if (r < 0)
		db_conn_break(c, PQerrorMessage(c->pg));
	else if (r > 0)
		event_add(c->ev_write, NULL);
}

/* Back to the pool, rolling back a transaction the handler left open. */
static void db_conn_return(struct db_conn *c);

static void
db_conn_rolled_back(struct db_conn *c, const PGresult *res, void *arg)
{
	(void)res;
	(void)arg;
	c->release_pending = true;
}

static struct db_stmt db_stmt_rollback = {
    .name = "db_rollback", .sql = "ROLLBACK", .nparams = 0};

static void
db_conn_return(struct db_conn *c)
{
	PGTransactionStatusType ts;

	if (c->head != NULL) {
		/* Answers still due; the last one brings us back here. */
		c->release_pending = true;
		if (c->broken)
			event_active(c->ev_tick, EV_TIMEOUT, 0);
		return;
	}
	if (c->broken) {
		db_conn_down(c);
		db_pool_kick(c->pool);
		return;
	}
	ts = PQtransactionStatus(c->pg);
	if (ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR) {
		db_conn_query(c, &db_stmt_rollback, NULL, db_conn_rolled_back,
			      NULL);
		return;
	}
	c->release_pending = false;
	db_conn_set_state(c, DB_IDLE);
	db_pool_kick(c->pool);
}

/* Runs a query's callback with res (NULL: the outcome is unknown). */
static void
db_op_finish(struct db_conn *c, struct db_op *op, const PGresult *res)
{
	if (op->cb != NULL)
		op->cb(c, res, op->arg);
	PQclear(op->res);
	free(op);
}

/*
 * Reads every complete result.  A query's callback runs at the sync after
 * it: only then has its implicit transaction committed, and a 2xx may go
 * out only after COMMIT succeeded.
 */
static void
db_conn_read(struct db_conn *c)
{
	if (!PQconsumeInput(c->pg)) {
		db_conn_break(c, PQerrorMessage(c->pg));
		return;
	}
	/* Never PQgetResult while busy: it would block (NOTES.md). */
	while (c->head != NULL && !c->broken && !PQisBusy(c->pg)) {
		PGresult *res = PQgetResult(c->pg);
		struct db_op *op = c->head;

		if (op->kind == DB_OP_SYNC) {
			struct db_op *done = c->synced;

			if (res == NULL ||
			    PQresultStatus(res) != PGRES_PIPELINE_SYNC) {
				PQclear(res);
				db_conn_break(c, "pipeline out of step");
				return;
			}
			PQclear(res);
			free(db_conn_pop(c));
			c->synced = NULL;
			if (done != NULL)
				db_op_finish(c, done, done->res);
			continue;
		}
		if (res == NULL) {
			/* The end of this statement's results. */
			db_conn_pop(c);
			if (op->kind == DB_OP_QUERY)
				c->synced = op;
			else
				free(op);
			continue;
		}
		if (!op->answered) {
			op->answered = true;
			if (op->kind == DB_OP_PREPARE &&
			    PQresultStatus(res) != PGRES_COMMAND_OK) {
				/* A statement that does not prepare is a bug:
				 * its queries only say "aborted". */
				fprintf(stderr, "db: preparing %s failed: %s",
					op->name, PQresultErrorMessage(res));
				c->prepared[op->slot] = false;
			}
			if (op->kind == DB_OP_QUERY) {
				op->res = res;
				continue;
			}
		}
		PQclear(res);
	}
	if (c->broken)
		return;
	/* Notifications are not used yet; drop them so they do not pile up. */
	for (PGnotify *n; (n = PQnotifies(c->pg)) != NULL;)
		PQfreemem(n);
	if (c->head == NULL && c->release_pending)
		db_conn_return(c);
	else if (c->state == DB_IDLE && PQstatus(c->pg) == CONNECTION_BAD)
		db_conn_break(c, "connection lost while idle");
}

/* Fails every pending query of a broken connection, then closes it when
 * nobody holds it. */
static void
db_conn_drain(struct db_conn *c)
{
	if (c->synced != NULL) {
		struct db_op *op = c->synced;

		c->synced = NULL;
		db_op_finish(c, op, NULL);
	}
	while (c->head != NULL) {
		struct db_op *op = db_conn_pop(c);

		if (op->kind == DB_OP_QUERY)
			db_op_finish(c, op, NULL);
		else
			free(op);
	}
	if (c->state == DB_IDLE || c->release_pending) {
		db_conn_down(c);
		db_pool_kick(c->pool);
	}
}

static void
db_conn_tick(evutil_socket_t fd, short what, void *arg)
{
	struct db_conn *c = arg;

	(void)fd;
	(void)what;
	if (c->state == DB_DOWN)
		db_conn_connect(c);
	else if (c->broken)
		db_conn_drain(c);
}

static void
db_conn_writable(evutil_socket_t fd, short what, void *arg)
{
	struct db_conn *c = arg;

	(void)fd;
	(void)what;
	if (c->pg != NULL && !c->broken)
		db_conn_flush(c);
}

/* The connection is up: pipeline mode, reads always watched. */
static void
db_conn_ready(struct db_conn *c)
{
	struct db_pool *pool = c->pool;

	if (PQsetnonblocking(c->pg, 1) != 0 || !PQenterPipelineMode(c->pg)) {
		db_conn_close(c);
		pool->failures++;
		db_conn_down(c);
		return;
	}
	PQsetNoticeProcessor(c->pg, db_notice_ignore, NULL);
	event_del(c->ev_io);
	event_assign(c->ev_io, pool->base, c->fd, EV_READ | EV_PERSIST,
		     db_conn_io, c);
	event_assign(c->ev_write, pool->base, c->fd, EV_WRITE, db_conn_writable,
		     c);
	event_add(c->ev_io, NULL);
	c->backoff_ms = DB_BACKOFF_MIN_MS;
	pool->connects++;
	db_conn_set_state(c, DB_IDLE);
	/* The database is back: bring the others up now, not after their
	 * backoff. */
	for (int i = 0; i < pool->size; i++) {
		struct db_conn *o = &pool->conns[i];

		if (o->state == DB_DOWN)
			event_active(o->ev_tick, EV_TIMEOUT, 0);
	}
	pool->probing = false;
	db_pool_kick(pool);
}

static void
db_conn_failed(struct db_conn *c)
{
	struct db_pool *pool = c->pool;

	pool->failures++;
	db_conn_down(c);
	if (pool->probing) {
		pool->probing = false;
		pool->probe_failed = true;
	}
	db_pool_kick(pool);
}

/* One PQconnectPoll step, then wait for what it asks. */
static void
db_conn_poll(struct db_conn *c)
{
	PostgresPollingStatusType st = PQconnectPoll(c->pg);
	short what;

	if (st == PGRES_POLLING_OK) {
		c->fd = PQsocket(c->pg);
		db_conn_ready(c);
		return;
	}
	if (st == PGRES_POLLING_FAILED) {
		db_conn_failed(c);
		return;
	}
	what = st == PGRES_POLLING_READING ? EV_READ : EV_WRITE;
	/* The socket can change between steps (NOTES.md). */
	c->fd = PQsocket(c->pg);
	event_del(c->ev_io);
	event_assign(c->ev_io, c->pool->base, c->fd, what, db_conn_io, c);
	event_add(c->ev_io, NULL);
}

static void
db_conn_io(evutil_socket_t fd, short what, void *arg)
{
	struct db_conn *c = arg;

	(void)fd;
	(void)what;
	if (c->state == DB_CONNECTING)
		db_conn_poll(c);
	else if (c->pg != NULL && !c->broken)
		db_conn_read(c);
}

static void
db_conn_connect(struct db_conn *c)
{
	struct db_pool *pool = c->pool;
	const char *keys[] = {"dbname", "options", "application_name", NULL};
	const char *values[] = {pool->conninfo, pool->options, "pingshend",
				NULL};

	event_del(c->ev_tick);
	c->pg = PQconnectStartParams(keys, values, 1);
	if (c->pg == NULL || PQstatus(c->pg) == CONNECTION_BAD) {
		db_conn_failed(c);
		return;
	}
	db_conn_set_state(c, DB_CONNECTING);
	db_conn_poll(c);
}

struct db_pool *
db_pool_new(struct event_base *base, const struct db_pool_config *cfg)
{
	struct db_pool *pool = xcalloc(1, sizeof *pool);

	pool->base = base;
	pool->trace = getenv("PINGSHEN_DB_TRACE") != NULL;
	pool->conninfo = xstrdup(cfg->conninfo);
	snprintf(pool->options, sizeof pool->options, "-c statement_timeout=%d",
		 cfg->statement_timeout_ms);
	pool->acquire_timeout_ms = cfg->acquire_timeout_ms;
	pool->size = cfg->size > 0 ? cfg->size : 1;
	pool->conns = xcalloc((size_t)pool->size, sizeof *pool->conns);
	pool->ev_dispatch = event_new(base, -1, 0, db_pool_dispatch, pool);
	for (int i = 0; i < pool->size; i++) {
		struct db_conn *c = &pool->conns[i];

		c->pool = pool;
		c->index = i;
		c->fd = -1;
		c->backoff_ms = DB_BACKOFF_MIN_MS;
		c->ev_io = event_new(base, -1, 0, db_conn_io, c);
		c->ev_write = event_new(base, -1, 0, db_conn_writable, c);
		c->ev_tick = evtimer_new(base, db_conn_tick, c);
		db_conn_set_state(c, DB_DOWN);
		event_active(c->ev_tick, EV_TIMEOUT, 0);
	}
	return pool;
}

void
db_pool_free(struct db_pool *pool)
{
	if (pool == NULL)
		return;
	while (pool->wait_head != NULL) {
		struct db_waiter *w = pool->wait_head;

		pool->wait_head = w->next;
		event_free(w->timeout);
		w->cb(NULL, w->arg);
		free(w);
	}
	for (int i = 0; i < pool->size; i++) {
		struct db_conn *c = &pool->conns[i];

		db_conn_close(c);
		while (c->head != NULL) {
			struct db_op *op = db_conn_pop(c);

			PQclear(op->res);
			free(op);
		}
		event_free(c->ev_io);
		event_free(c->ev_write);
		event_free(c->ev_tick);
		free(c->prepared);
	}
	event_free(pool->ev_dispatch);
	free(pool->conns);
	free(pool->conninfo);
	free(pool);
}

static void
db_pool_kick(struct db_pool *pool)
{
	event_active(pool->ev_dispatch, EV_TIMEOUT, 0);
}

static struct db_waiter *
db_pool_pop_waiter(struct db_pool *pool)
{
	struct db_waiter *w = pool->wait_head;

	pool->wait_head = w->next;
	if (pool->wait_head == NULL)
		pool->wait_tail = NULL;
	pool->n_waiting--;
	event_free(w->timeout);
	return w;
}

/* Hands w its connection (or NULL) and frees it. */
static void
db_pool_grant(struct db_waiter *w, struct db_conn *c)
{
	db_acquire_cb cb = w->cb;
	void *arg = w->arg;

	free(w);
	if (c != NULL)
		db_conn_set_state(c, DB_LEASED);
	cb(c, arg);
}

/* Matches waiters with idle connections; decides when to give up. */
static void
db_pool_dispatch(evutil_socket_t fd, short what, void *arg)
{
	struct db_pool *pool = arg;

	(void)fd;
	(void)what;
	while (pool->wait_head != NULL) {
		struct db_conn *idle = NULL, *down = NULL;
		bool pending = false;

		for (int i = 0; i < pool->size; i++) {
			struct db_conn *c = &pool->conns[i];

			if (c->state == DB_IDLE && !c->broken && idle == NULL)
				idle = c;
			else if (c->state == DB_CONNECTING ||
				 c->state == DB_LEASED)
				pending = true;
			else if (c->state == DB_DOWN && down == NULL)
				down = c;
		}
		if (idle != NULL) {
			db_pool_grant(db_pool_pop_waiter(pool), idle);
			continue;
		}
		if (pending)
			return; /* a connection will free up or come up */
		if (pool->probe_failed) {
			/* Every connection is down and a fresh attempt just
			 * failed: the database is unavailable right now. */
			pool->probe_failed = false;
			while (pool->wait_head != NULL)
				db_pool_grant(db_pool_pop_waiter(pool), NULL);
			return;
		}
		if (down == NULL || pool->probing)
			return;
		pool->probing = true;
		db_conn_connect(down);
	}
}

static void
db_pool_waiter_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct db_waiter *w = arg, **pp;
	struct db_pool *pool = w->pool;

	(void)fd;
	(void)what;
	for (pp = &pool->wait_head; *pp != w; pp = &(*pp)->next)
		;
	*pp = w->next;
	if (pool->wait_tail == w) {
		pool->wait_tail = NULL;
		for (struct db_waiter *x = pool->wait_head; x != NULL;
		     x = x->next)
			pool->wait_tail = x;
	}
	pool->n_waiting--;
	event_free(w->timeout);
	db_pool_grant(w, NULL);
}

void
db_pool_acquire(struct db_pool *pool, db_acquire_cb cb, void *arg)
{
	struct db_waiter *w = xcalloc(1, sizeof *w);
	struct timeval tv = {pool->acquire_timeout_ms / 1000,
			     (pool->acquire_timeout_ms % 1000) * 1000};

	w->cb = cb;
	w->arg = arg;
	w->pool = pool;
	w->timeout = evtimer_new(pool->base, db_pool_waiter_timeout, w);
	evtimer_add(w->timeout, &tv);
	if (pool->wait_tail != NULL)
		pool->wait_tail->next = w;
	else
		pool->wait_head = w;
	pool->wait_tail = w;
	pool->n_waiting++;
	db_pool_kick(pool);
}

void
db_conn_query(struct db_conn *c, struct db_stmt *stmt,
	      const char *const *params, db_result_cb cb, void *arg)
{
	if (stmt->slot == 0)
		stmt->slot = db_next_slot++;
	if (stmt->slot >= c->n_prepared) {
		int n = db_next_slot + 16;

		c->prepared =
		    xreallocarray(c->prepared, (size_t)n, sizeof *c->prepared);
		memset(c->prepared + c->n_prepared, 0,
		       (size_t)(n - c->n_prepared) * sizeof *c->prepared);
		c->n_prepared = n;
	}
	if (c->broken || c->pg == NULL) {
		db_conn_push(c, DB_OP_QUERY, 0, cb, arg);
		db_conn_break(c, "query on a broken connection");
		return;
	}
	if (!c->prepared[stmt->slot]) {
		if (!PQsendPrepare(c->pg, stmt->name, stmt->sql, stmt->nparams,
				   NULL)) {
			db_conn_push(c, DB_OP_QUERY, 0, cb, arg);
			db_conn_break(c, PQerrorMessage(c->pg));
			return;
		}
		db_conn_push(c, DB_OP_PREPARE, stmt->slot, NULL, NULL);
		c->tail->name = stmt->name;
		/* The benchmarks replay the exact statements with pgbench. */
		if (c->pool->trace)
			fprintf(stderr, "db: prepare %s: %s\n", stmt->name,
				stmt->sql);
		c->prepared[stmt->slot] = true;
	}
	db_conn_push(c, DB_OP_QUERY, 0, cb, arg);
	if (!PQsendQueryPrepared(c->pg, stmt->name, stmt->nparams, params, NULL,
				 NULL, 0) ||
	    !PQpipelineSync(c->pg)) {
		db_conn_break(c, PQerrorMessage(c->pg));
		return;
	}
	db_conn_push(c, DB_OP_SYNC, 0, NULL, NULL);
	db_conn_flush(c);
}

void
db_conn_release(struct db_conn *c)
{
	if (c->state != DB_LEASED) {
		fprintf(stderr, "db: release of connection %d in state %s\n",
			c->index, db_state_names[c->state]);
		abort();
	}
	db_conn_return(c);
}

bool
db_conn_broken(const struct db_conn *c)
{
	return c->broken;
}

void
db_pool_stats(const struct db_pool *pool, struct db_pool_stats *st)
{
	memset(st, 0, sizeof *st);
	st->size = pool->size;
	for (int i = 0; i < pool->size; i++) {
		switch (pool->conns[i].state) {
		case DB_DOWN:
			st->down++;
			break;
		case DB_CONNECTING:
			st->connecting++;
			break;
		case DB_IDLE:
			st->idle++;
			break;
		case DB_LEASED:
			st->leased++;
			break;
		}
	}
	st->waiting = pool->n_waiting;
	st->connects = pool->connects;
	st->failures = pool->failures;
}

const char *
db_sqlstate(const PGresult *res)
{
	const char *s = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	return s ? s : "";
}
