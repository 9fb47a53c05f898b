/*
 * The integration-test harness: runs the real pingshend against a real
 * PostgreSQL that the test program starts itself (deploy/pg-local), in a
 * private temporary folder, and talks to it over HTTPS with libcurl,
 * verifying the server's certificate against the folder's own CA.
 *
 * One test program is one environment (it_env_start .. it_env_stop): a
 * cluster, certificates and any number of servers, so ctest can run the
 * programs in parallel.  Functions that check something fail the current
 * cmocka test; those that set things up abort the program when the setup
 * itself is broken.
 */
#ifndef PINGSHEN_IT_HARNESS_H
#define PINGSHEN_IT_HARNESS_H

#include <stdbool.h>
#include <stddef.h>

#include <curl/curl.h>
#include <jansson.h>
#include <libpq-fe.h>

/* The prefix of every API path, to write V1 "/me". */
#define V1 "/api/v1"

/* Passwords the programs give their accounts (10..1024 bytes). */
#define IT_ADMIN_NAME	  "admin"
#define IT_ADMIN_PASSWORD "admin-password-1"

/* scrypt cost of the accounts the tests make: 2^14 keeps a login in the
 * tens of milliseconds; the server still verifies any stored cost. */
#define IT_FAST_SCRYPT "14"

/* ---- environment: folder, cluster, certificates ---- */

/*
 * Makes the folder /tmp/pingshen-it-XXXXXX (0755, so the postgres account
 * can reach the cluster inside), starts a cluster in it and makes the
 * certificates.  Registers it_env_stop with atexit.
 */
void it_env_start(void);
/* Stops every server still running, the cluster, and removes the folder.
 * Safe to call twice. */
void it_env_stop(void);
/* The temporary folder, the cluster's conninfo, the CA certificate. */
const char *it_dir(void);
const char *it_conninfo(void);
const char *it_ca_file(void);
/* deploy/pg-local --dir DIR/pg CMD; returns its exit status. */
int it_pg_local(const char *cmd);
/* pingshend --create-admin NAME (password on stdin); returns its exit
 * status.  log2_n is the scrypt cost ("14".."20"). */
int it_create_admin(const char *name, const char *password, const char *log2_n);

/* ---- servers ---- */

struct it_server;

/*
 * Starts pingshend on a free loopback port with the environment's
 * certificates and database, plus extra_args (NULL-terminated, may be
 * NULL), and returns once it printed its "listening" line.  The server
 * becomes the current one, which it_do talks to.
 */
struct it_server *it_server_start(const char *const *extra_args);
/* Makes srv the server that it_do talks to. */
void it_server_use(struct it_server *srv);
int it_server_port(const struct it_server *srv);
/* Sends SIGTERM, waits, frees srv: the exit status, or 128 + the signal. */
int it_server_stop(struct it_server *srv);
/* Waits (bounded) until a line of the server's standard output contains
 * every one of the NULL-terminated needles; false if none did. */
bool it_server_log_wait(struct it_server *srv, const char *const *needles);
/* True when no line printed so far contains needle. */
bool it_server_log_lacks(struct it_server *srv, const char *needle);

/* ---- HTTP ---- */

struct it_req {
	const char *method; /* NULL: GET */
	const char *path;   /* from the server's root, e.g. V1 "/me" */
	const char *token;  /* Authorization: Bearer TOKEN, or NULL */
	/* More "Name: value" lines, NULL-terminated; "Name:" removes one
	 * libcurl would send. */
	const char *const *headers;
	const char *body; /* sent as application/json unless headers say */
	size_t body_len;  /* of body; 0 with a body: strlen(body) */
	long ssl_version; /* CURLOPT_SSLVERSION; 0: libcurl's default */
	bool plain_http;  /* http:// instead of https:// */
	/* Skip the checks every answer gets (security headers, JSON). */
	bool raw;
};

struct it_resp {
	long status;   /* 0: no HTTP answer arrived */
	CURLcode curl; /* why the transfer failed, or CURLE_OK */
	char *body;    /* NUL-terminated */
	size_t body_len;
	json_t *json;	/* the body parsed, or NULL */
	char **headers; /* "Name: value" lines of the final answer */
	size_t n_headers;
	char errbuf[CURL_ERROR_SIZE];
};

/*
 * Sends req to the current server and returns the answer, which the
 * caller frees.  Unless req->raw, an HTTP answer other than libevent's
 * own 413 must carry the security headers and, as JSON, parse.
 */
struct it_resp *it_do(const struct it_req *req);
struct it_resp *it_get(const char *path, const char *token);
struct it_resp *it_delete(const char *path, const char *token);
/* Sends body (a JSON text) with Content-Type: application/json. */
struct it_resp *it_send(const char *method, const char *path, const char *token,
			const char *body);
/* Sends body, which it steals, serialized. */
struct it_resp *it_send_json(const char *method, const char *path,
			     const char *token, json_t *body);
void it_resp_free(struct it_resp *resp);

/*
 * Sends len bytes exactly as given (a whole HTTP request, which should ask
 * for Connection: close) over a new TLS connection to the current server,
 * verifying its certificate, and returns the answer read up to its
 * Content-Length or the server's close: status 0 when none came.  For what
 * libcurl refuses to send: raw CR or LF in a header, bytes no URL holds.
 * The answer gets none of it_do's checks; the caller frees it.
 */
struct it_resp *it_raw(const void *bytes, size_t len);

/* The value of the answer's first header called name, or NULL. */
const char *it_header(const struct it_resp *resp, const char *name);
/* How many header lines called name the answer has. */
size_t it_header_count(const struct it_resp *resp, const char *name);

/*
 * For callers driving several transfers at once (curl multi): an empty
 * answer (freed with it_resp_free, or by it_env_stop after a failed
 * assertion), and a curl easy handle that performs req into it.
 * it_easy_done fills in resp's status and JSON once the transfer finished
 * with code, and frees easy.
 */
struct it_resp *it_resp_new(void);
CURL *it_easy_new(const struct it_req *req, struct it_resp *resp);
void it_easy_done(CURL *easy, struct it_resp *resp, CURLcode code);

/* Fails unless resp is the JSON error {"error":{"code","message",
 * "details"?}} with this status and code. */
void it_assert_error(const struct it_resp *resp, long status, const char *code);
/* Fails unless resp has this status. */
void it_assert_status(const struct it_resp *resp, long status);

/* ---- accounts ---- */

/* Logs in; the token (caller frees), after asserting 201. */
char *it_login(const char *username, const char *password);
/* POST /users as admin_token; asserts 201 and returns the new id. */
long long it_create_user(const char *admin_token, const char *username,
			 const char *role, const char *password);

/* ---- database ---- */

/* The test's own connection to the cluster (opened on first use). */
PGconn *it_db(void);
/* Runs sql; fails the test unless it returns a single integer. */
long long it_db_long(const char *sql);
/* Runs a command that must succeed; the rows it affected. */
long long it_db_command(const char *sql);
/* Runs sql and returns its SQLSTATE, "" on success (caller keeps none). */
const char *it_db_sqlstate(const char *sql, char state[6]);

/* What a request that changes nothing must leave as it was. */
struct it_snapshot {
	long long users, user_versions, active_users, sessions, audit_log,
	    idempotency_keys;
};
void it_snapshot(struct it_snapshot *s);
/* Fails the test unless the database still matches before; what names
 * the request in the failure message. */
void it_assert_unchanged(const struct it_snapshot *before, const char *what);

/*
 * Every row of every table and the state of every sequence, as pg_dump
 * --data-only prints them, with each table's rows sorted: two dumps are
 * equal exactly when the data is, wherever PostgreSQL keeps the rows.  The
 * text is NUL-terminated; the caller frees it.
 */
char *it_db_dump(void);
/* The MD5 of the same content in one query, cheap enough to take around
 * every request: 32 hex digits and a NUL into out. */
void it_db_fingerprint(char out[33]);

/* ---- audit ---- */

/* Every entry of GET /audit, walked with limit/after pages of page_size
 * (1..1000); the array (caller decrefs). */
json_t *it_audit_all(const char *auditor_token, int page_size);
/* The chain hash of entry (its "hash" member ignored) after prev_hex (64
 * hex digits; "" before the first entry), as hex into out. */
void it_audit_hash(const char *prev_hex, const json_t *entry, char out[65]);
/*
 * Recomputes the chain over entries (seq 1..N in order) as API.md
 * documents it, independently of the server's code.  On success copies the
 * last hash into last_hash (65 bytes; "" for an empty log) and returns
 * true; otherwise writes why into why and returns false.
 */
bool it_audit_verify(const json_t *entries, char last_hash[65], char *why,
		     size_t why_len);

#endif
