/*
 * An asynchronous pool of libpq connections on the server's event loop.
 * Nothing here blocks: connections are made with PQconnectStartParams and
 * PQconnectPoll, queries are sent in pipeline mode and read when the socket
 * is readable.  A handler leases a connection, queues queries on it (their
 * callbacks run in order), and releases it.
 *
 * Failure model: when the database is unreachable, a lease fails at once
 * (the caller answers 503 database_unavailable) and the pool reconnects with
 * backoff; a lease requested while every connection is down first tries one
 * connection immediately, so the first request after the database comes
 * back succeeds.  A connection that breaks while leased delivers NULL
 * results to every pending query and is replaced after release.
 */
#ifndef PINGSHEN_DB_POOL_H
#define PINGSHEN_DB_POOL_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

struct event_base;
struct db_pool;
struct db_conn;

/*
 * A prepared statement.  Declare each one once, statically, with DB_STMT;
 * the pool prepares it on a connection the first time it runs there.
 */
struct db_stmt {
	const char *name;
	const char *sql;
	int nparams;
	int slot; /* assigned by the pool on first use; 0 = none yet */
};

#define DB_STMT(var, n, text)                                                  \
	static struct db_stmt var = {.name = #var, .sql = text, .nparams = n}

struct db_pool_config {
	const char *conninfo; /* any libpq conninfo string or URI */
	int size;	      /* connections, >= 1 */
	int statement_timeout_ms;
	int acquire_timeout_ms; /* how long a lease may wait for a busy pool */
};

/* Pool counters for /metrics. */
struct db_pool_stats {
	int size;
	int idle;
	int leased;
	int connecting;
	int down;	/* waiting to reconnect */
	size_t waiting; /* leases queued */
	unsigned long long connects;
	unsigned long long failures;
};

/* Lease callback: conn is NULL when no connection could be had. */
typedef void (*db_acquire_cb)(struct db_conn *conn, void *arg);

/*
 * Query callback, run once the statement's transaction is settled: each
 * statement is followed by a sync, so a statement outside BEGIN ... COMMIT
 * has committed (or failed) when its callback runs.  res is NULL when the
 * connection broke before that (the outcome is then unknown: answer 503).
 * res is owned by the pool and valid only during the call.
 */
typedef void (*db_result_cb)(struct db_conn *conn, const PGresult *res,
			     void *arg);

/* Starts connecting in the background.  The caller frees with
 * db_pool_free.  Never NULL. */
struct db_pool *db_pool_new(struct event_base *base,
			    const struct db_pool_config *cfg);

/*
 * Closes every connection.  Pending leases get their callback with NULL
 * first.  Leased connections must have been released.  NULL is fine.
 */
void db_pool_free(struct db_pool *pool);

/* Queues a lease; cb runs later on the loop, never inside this call. */
void db_pool_acquire(struct db_pool *pool, db_acquire_cb cb, void *arg);

/*
 * Queues stmt with params[0..stmt->nparams) (text format; NULL entries
 * are SQL NULL) on a leased connection.  cb may be NULL for statements
 * whose result nobody reads (their failure still breaks the transaction
 * and shows in the next result).  params are copied by libpq at once.
 */
void db_conn_query(struct db_conn *conn, struct db_stmt *stmt,
		   const char *const *params, db_result_cb cb, void *arg);

/*
 * Returns a connection to the pool.  Queries still pending are allowed
 * (their callbacks still run); an open transaction is rolled back first.
 * A broken connection is closed and replaced.
 */
void db_conn_release(struct db_conn *conn);

/* True when the connection broke; its queries all fail. */
bool db_conn_broken(const struct db_conn *conn);

/* Fills stats. */
void db_pool_stats(const struct db_pool *pool, struct db_pool_stats *stats);

/* The SQLSTATE of a failed result ("23505"), or "" (static). */
const char *db_sqlstate(const PGresult *res);

#endif
