/*
 * The server for the harnesses, with the network, PostgreSQL and scrypt
 * taken out: one request runs through http.c and its handler as evhttp
 * would deliver it after the TLS handshake, on an evhttp_request that has
 * no connection (libevent 2.1 frees such a request when it is answered),
 * against a fake database that answers from a small canned world.
 *
 * The fakes check what the server hands them, beyond the sanitizers:
 * every parameter is valid UTF-8 and fits the type its statement casts it
 * to (a jsonb parameter is JSON, an int fits 32 bits), every query runs on
 * a leased connection, every lease is returned, every request is answered
 * exactly once, and nothing a client sends earns a 5xx (503 only after
 * the fake database failed a statement).  A broken check aborts, so
 * libFuzzer keeps the input.
 */
#ifndef PINGSHEN_FUZZ_SERVER_H
#define PINGSHEN_FUZZ_SERVER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "stage.h"

#define FUZZ_MAX_PARAMS	 16
#define FUZZ_MAX_QUERIES 32

/* The meeting's rounds in the canned world. */
enum fuzz_rounds {
	FUZZ_ROUNDS_NONE,  /* no round yet */
	FUZZ_ROUND_OPEN,   /* round 1 is open */
	FUZZ_ROUND_CLOSED, /* round 1 is closed */
};

/* What the canned database holds: evaluation 1, run by secretary 2, and
 * its meeting 1. */
struct fuzz_world {
	enum stage stage; /* the evaluation's */
	const char *kind; /* the meeting's: scoring, selection, weighting */
	enum fuzz_rounds rounds;
	const char *seat; /* the calling expert's seat state, or NULL */
};

struct fuzz_request {
	int method;	    /* ROUTER_* */
	const char *target; /* path and query, as on the request line */
	int role;	    /* ROLE_*: whose session the known token is */
	const char *authorization;   /* NULL: "Bearer " and the known token */
	const char *content_type;    /* NULL: application/json */
	const char *idempotency_key; /* NULL: none */
	const char *if_match;	     /* NULL: none */
	const char *body;
	size_t body_len;
	struct fuzz_world world;
};

/* A statement the request ran, with copies of its parameters (NULL is
 * SQL NULL). */
struct fuzz_query {
	const char *name;
	int n_params;
	char *params[FUZZ_MAX_PARAMS];
};

struct fuzz_outcome {
	int status;
	size_t n_queries;
	struct fuzz_query queries[FUZZ_MAX_QUERIES];
};

/* Runs one request to its answer; release out with fuzz_outcome_free. */
void fuzz_server_run(const struct fuzz_request *rq, struct fuzz_outcome *out);
void fuzz_outcome_free(struct fuzz_outcome *out);

/* The last run of the statement called name, or NULL. */
const struct fuzz_query *fuzz_outcome_query(const struct fuzz_outcome *out,
					    const char *name);

/* The session token the canned world knows (43 characters). */
const char *fuzz_known_token(void);

/* The items of a round of a meeting of kind (borrowed). */
const json_t *fuzz_world_items(const char *kind);

/* Aborts with what when ok is false: a failed invariant is a crash. */
void fuzz_check(bool ok, const char *what);

#endif
