/*
 * The HTTP layer on evhttp over TLS: listening with a connection cap and a
 * deadline to receive each request, routing with our own decoder, JSON
 * bodies, authentication, replies with the security headers, one access-log
 * line per request.  Handlers see a struct req and answer it exactly once
 * through http_reply_*; after that the request is gone.
 */
#ifndef PINGSHEN_HTTP_H
#define PINGSHEN_HTTP_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "pool.h"
#include "problems.h"
#include "router.h"
#include "server.h"

struct evhttp_request;

enum user_role {
	ROLE_ADMIN = 1 << 0,
	ROLE_SECRETARY = 1 << 1,
	ROLE_EXPERT = 1 << 2,
	ROLE_AUDITOR = 1 << 3,
};
#define ROLE_ANY (ROLE_ADMIN | ROLE_SECRETARY | ROLE_EXPERT | ROLE_AUDITOR)

/* A route's flags: who may call it and what it needs before the handler. */
enum route_flags {
	/* bits 0-3: the roles allowed (enum user_role) */
	ROUTE_PUBLIC = 1 << 8,	  /* no token needed */
	ROUTE_DB = 1 << 9,	  /* lease a connection even when public */
	ROUTE_LOOPBACK = 1 << 10, /* only clients on 127.0.0.0/8 or ::1 */
};

/* "admin" ... "auditor" → the role bit; 0 when unknown. */
int user_role_parse(const char *name);
/* The name of one role bit (static). */
const char *user_role_name(int role);

/* The authenticated caller. */
struct user {
	int64_t id; /* 0: nobody authenticated */
	char id_text[24];
	int role; /* one ROLE_* bit */
	char username[65];
	json_t *json; /* the account as GET /me shows it; owned by the req */
};

struct req {
	struct server *srv;
	struct evhttp_request *ev; /* NULL once answered */
	char id[17];		   /* request id, hex */
	char client[48];	   /* peer address */
	int method;		   /* ROUTER_* */
	struct route_match match;
	/* Allocated only for a query string: it is 4 KB, and an event
	 * stream keeps its request for hours. NULL when none. */
	struct router_query *query;
	json_t *body;	      /* POST/PUT/PATCH: an object ({} when empty) */
	const char *idem_key; /* Idempotency-Key, or NULL; lives with ev */
	struct user user;
	char token_hash[65];  /* SHA-256 of the caller's token, hex, or "" */
	struct db_conn *conn; /* leased for the handler, or NULL */
	struct timespec start;
	int refs;     /* pending callbacks that hold the request */
	bool replied; /* answered: callbacks still due only clean up */
	int status;
	/* A handler's own state, freed with the request when set. */
	void *state;
	void (*state_free)(void *state);
	/* txn.c's state for the write in progress. */
	struct txn *txn;
	/* A streaming answer in progress (http_stream_start). */
	bool streaming;
	void (*stream_gone)(struct req *r, void *arg);
	void *stream_arg;
};

typedef void (*http_handler)(struct req *r);

/* The route table (routes.c). */
extern const struct route http_routes[];
extern const size_t http_routes_n;

/*
 * Starts listening on cfg's address with TLS.  Returns the layer, or NULL
 * with a message in *err (caller frees).
 */
struct http *http_new(struct server *srv, char **err);
/* Stops accepting; connections in flight finish. */
void http_stop_accepting(struct http *http);
/* Open connections, for /metrics and shutdown. */
int http_open_connections(const struct http *http);
/* Requests received and not yet answered. */
int http_active_requests(const struct http *http);
void http_free(struct http *http);

/* Replies; each answers r once and releases what it holds. */
void http_reply_json(struct req *r, int status, json_t *body); /* steals */
void http_reply_text(struct req *r, int status, const char *content_type,
		     const char *text, size_t len);
void http_reply_empty(struct req *r, int status);
void http_reply_error(struct req *r, int status, const char *code,
		      const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The same with a details object (stolen; may be NULL). */
void http_reply_error_details(struct req *r, int status, const char *code,
			      json_t *details, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* [{"code","message","subject"?}] (new reference). */
json_t *http_problems_json(const struct problems *problems);
/* 422 (or status) with every problem in details.problems. */
void http_reply_problems(struct req *r, int status, const char *code,
			 const struct problems *problems, const char *message);
/* 503 database_unavailable. */
void http_reply_db_unavailable(struct req *r);

/*
 * Runs stmt on the request's connection; cb runs only while the request
 * is unanswered (a request answered early drops later results).
 */
typedef void (*req_result_cb)(struct req *r, const PGresult *res);
void req_query(struct req *r, struct db_stmt *stmt, const char *const *params,
	       req_result_cb cb);

/* Returns the connection to the pool early (before slow work). */
void req_release_conn(struct req *r);

/* Leases a connection into r->conn, then runs cb; on failure answers 503
 * itself. */
void req_acquire(struct req *r, http_handler cb);

/* Takes and drops a hold on r for a callback outside the database. */
void req_ref(struct req *r);
/* Returns false when r was answered meanwhile (and is perhaps freed). */
bool req_unref(struct req *r);

/*
 * Streaming answers (Server-Sent Events).  http_stream_start sends the
 * headers and frees r's handler state, body, user.json and query (the caller
 * must not use them after); the request stays unanswered until
 * http_stream_end.  When the client leaves, gone(r) runs once and the
 * stream is over: the caller must not use r after it.  http_stream_send
 * returns false when the client's unsent output exceeds cap bytes (a slow
 * reader).
 */
void http_stream_start(struct req *r, const char *content_type,
		       void (*gone)(struct req *r, void *arg), void *arg);
bool http_stream_send(struct req *r, const char *data, size_t len, size_t cap);
void http_stream_end(struct req *r);

/* Writes the current UTC time as RFC 3339 into buf (32 bytes). */
void http_now_rfc3339(char buf[32]);

#endif
