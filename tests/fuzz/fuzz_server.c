/*
 * The fakes behind fuzz_server.h.  http.c is compiled into this file, so
 * the harnesses run its static steps (authentication, the JSON body, the
 * Idempotency-Key) exactly as the server does, with no seam in server/.
 * The PostgreSQL pool (db/pool.c) and the scrypt pool (server/hash_pool.c)
 * are replaced at link time: this file defines every function they
 * export, so the linker never takes theirs from the libraries.
 *
 * Callbacks never run inside the call that queued them, as on the real
 * loop: they wait in a queue that fuzz_server_run drains once the request
 * has started.
 *
 * evhttp_request_new makes a request without a connection, which libevent
 * 2.1 frees as soon as it is answered (evhttp_send: no connection, so
 * evhttp_request_free).  Its request line comes from event2/http_struct.h,
 * public though it warns that the layout may change: the URI and method
 * are set as evhttp's parser sets them.
 */
#include "http.c"

#include <errno.h>
#include <event2/http_struct.h>
#include <limits.h>

#include "fuzz_server.h"
#include "fuzz_world.h"
#include "hash_pool.h"
#include "table_cache.h"
#include "throttle.h"

#define FUZZ_MAX_JOBS 64

/* A callback waiting for the fake loop. */
struct fuzz_job {
	enum { FUZZ_LEASE, FUZZ_QUERY, FUZZ_HASH, FUZZ_VERIFY } kind;
	db_acquire_cb lease;
	db_result_cb query;
	hash_pool_hash_cb hash;
	hash_pool_verify_cb verify;
	void *arg;
	PGresult *res;
};

static struct server fuzz_srv;
static struct config fuzz_cfg;

/* The run in progress. */
static const struct fuzz_request *fuzz_rq;
static struct fuzz_outcome *fuzz_out;
static struct fuzz_job fuzz_jobs[FUZZ_MAX_JOBS];
static size_t fuzz_jobs_first, fuzz_jobs_end;
static int fuzz_leases; /* connections leased and not returned */
static int fuzz_failed; /* statements answered as a broken connection */

/* The one connection: never dereferenced, only compared. */
static long fuzz_conn_storage;
#define FUZZ_CONN ((struct db_conn *)(void *)&fuzz_conn_storage)

void
fuzz_check(bool ok, const char *what)
{
	if (ok)
		return;
	fprintf(stderr, "fuzz: invariant broken: %s\n", what);
	abort();
}

/* Builds the world once; it lives as long as the process. */
static void
fuzz_init(void)
{
	static bool done;

	if (done)
		return;
	done = true;
	fuzz_cfg.session_ttl_s = 43200;
	fuzz_srv.cfg = &fuzz_cfg;
	fuzz_srv.http = xcalloc(1, sizeof *fuzz_srv.http);
	fuzz_srv.http->srv = &fuzz_srv;
	fuzz_srv.metrics = metrics_new();
	/* A one-second window that never fills: the harnesses judge
	 * requests, and a throttle that remembered earlier inputs would make
	 * one input's outcome depend on the others. */
	fuzz_srv.throttle =
	    throttle_new(INT_MAX / THROTTLE_ADDRESS_FACTOR - 1, 1);
	fuzz_srv.tables = table_cache_new();
	fuzz_world_init();
}

/* ---- checks on what the server sends the database ---- */

/* True when s is UTF-8 as PostgreSQL accepts it: shortest forms, no
 * surrogates, nothing above U+10FFFF. */
static bool
fuzz_utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p != '\0') {
		unsigned c = *p;
		int n;
		unsigned cp;

		if (c < 0x80) {
			p++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		for (int i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (p[i] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		p += n + 1;
	}
	return true;
}

/* True when s is a decimal integer within min..max, as PostgreSQL reads
 * an int or bigint. */
static bool
fuzz_int_text(const char *s, long long min, long long max)
{
	char *end;
	long long v;

	if (*s != '-' && (*s < '0' || *s > '9'))
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	return errno == 0 && *end == '\0' && v >= min && v <= max;
}

/* True when s is a bigint[] literal such as "{1,2,3}". */
static bool
fuzz_bigint_array(const char *s)
{
	char item[32];

	if (*s++ != '{')
		return false;
	if (strcmp(s, "}") == 0)
		return true;
	for (;;) {
		size_t n = strcspn(s, ",}");

		if (n == 0 || n >= sizeof item || s[n] == '\0')
			return false;
		memcpy(item, s, n);
		item[n] = '\0';
		if (!fuzz_int_text(item, LLONG_MIN, LLONG_MAX))
			return false;
		if (s[n] == '}')
			return s[n + 1] == '\0';
		s += n + 1;
	}
}

/* Each "$N::type" of the statement's text: parameter N must be a value of
 * that type, or the database refuses the statement (a 500). */
static void
fuzz_check_casts(const struct db_stmt *stmt, const char *const *params)
{
	for (const char *p = strchr(stmt->sql, '$'); p != NULL;
	     p = strchr(p + 1, '$')) {
		char *end, type[16];
		long k = strtol(p + 1, &end, 10);
		const char *v;
		size_t n;

		if (end == p + 1 || strncmp(end, "::", 2) != 0)
			continue;
		end += 2;
		n = strspn(end, "abcdefghijklmnopqrstuvwxyz0123456789[]");
		fuzz_check(k >= 1 && k <= stmt->nparams && n < sizeof type,
			   "a statement's parameters are all passed");
		memcpy(type, end, n);
		type[n] = '\0';
		v = params[k - 1];
		if (v == NULL)
			continue;
		if (strcmp(type, "jsonb") == 0 || strcmp(type, "json") == 0) {
			json_t *j = json_loads(v, JSON_DECODE_ANY, NULL);

			fuzz_check(j != NULL && strstr(v, "\\u0000") == NULL,
				   "a jsonb parameter is JSON PostgreSQL "
				   "takes");
			json_decref(j);
		} else if (strcmp(type, "int") == 0) {
			fuzz_check(fuzz_int_text(v, INT_MIN, INT_MAX),
				   "an int parameter fits 32 bits");
		} else if (strcmp(type, "bigint") == 0) {
			fuzz_check(fuzz_int_text(v, LLONG_MIN, LLONG_MAX),
				   "a bigint parameter fits 64 bits");
		} else if (strcmp(type, "boolean") == 0) {
			fuzz_check(strcmp(v, "true") == 0 ||
				       strcmp(v, "false") == 0,
				   "a boolean parameter is true or false");
		} else if (strcmp(type, "bigint[]") == 0) {
			fuzz_check(fuzz_bigint_array(v),
				   "a bigint[] parameter is an array "
				   "literal of integers");
		}
	}
}

/* ---- db/pool.h, faked ---- */

static void
fuzz_queue(struct fuzz_job job)
{
	fuzz_check(fuzz_jobs_end < FUZZ_MAX_JOBS,
		   "a request queues a bounded number of callbacks");
	fuzz_jobs[fuzz_jobs_end++] = job;
}

struct db_pool *
db_pool_new(struct event_base *base, const struct db_pool_config *cfg)
{
	(void)base;
	(void)cfg;
	fuzz_check(false, "the harnesses have no database to connect to");
	return NULL;
}

void
db_pool_free(struct db_pool *pool)
{
	(void)pool;
}

void
db_pool_acquire(struct db_pool *pool, db_acquire_cb cb, void *arg)
{
	(void)pool;
	fuzz_queue(
	    (struct fuzz_job){.kind = FUZZ_LEASE, .lease = cb, .arg = arg});
}

void
db_conn_query(struct db_conn *conn, struct db_stmt *stmt,
	      const char *const *params, db_result_cb cb, void *arg)
{
	PGresult *res;

	fuzz_check(conn == FUZZ_CONN && fuzz_leases > 0,
		   "a query runs on a leased connection");
	fuzz_check(stmt->nparams <= FUZZ_MAX_PARAMS,
		   "a statement has few parameters");
	for (int i = 0; i < stmt->nparams; i++) {
		fuzz_check(params[i] == NULL || fuzz_utf8_valid(params[i]),
			   "every parameter is valid UTF-8");
	}
	fuzz_check_casts(stmt, params);
	if (fuzz_out->n_queries < FUZZ_MAX_QUERIES) {
		struct fuzz_query *q =
		    &fuzz_out->queries[fuzz_out->n_queries++];

		q->name = stmt->name;
		q->n_params = stmt->nparams;
		for (int i = 0; i < stmt->nparams; i++)
			q->params[i] = params[i] ? xstrdup(params[i]) : NULL;
	}
	res = fuzz_world_answer(fuzz_rq, stmt, params);
	fuzz_failed += res == NULL;
	fuzz_queue((struct fuzz_job){
	    .kind = FUZZ_QUERY, .query = cb, .arg = arg, .res = res});
}

void
db_conn_release(struct db_conn *conn)
{
	fuzz_check(conn == FUZZ_CONN && fuzz_leases > 0,
		   "only a leased connection is returned");
	fuzz_leases--;
}

bool
db_conn_broken(const struct db_conn *conn)
{
	(void)conn;
	return false;
}

void
db_pool_stats(const struct db_pool *pool, struct db_pool_stats *stats)
{
	(void)pool;
	memset(stats, 0, sizeof *stats);
}

const char *
db_sqlstate(const PGresult *res)
{
	const char *s = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	return s ? s : "";
}

/* ---- server/hash_pool.h, faked: hashing always works, no password
 * ever matches ---- */

struct hash_pool *
hash_pool_new(struct event_base *base, int workers, int max_queue, int log2_n)
{
	(void)base;
	(void)workers;
	(void)max_queue;
	(void)log2_n;
	fuzz_check(false, "the harnesses hash no passwords");
	return NULL;
}

int
hash_pool_hash(struct hash_pool *pool, const char *password, size_t len,
	       hash_pool_hash_cb cb, void *arg)
{
	(void)pool;
	(void)password;
	(void)len;
	fuzz_queue(
	    (struct fuzz_job){.kind = FUZZ_HASH, .hash = cb, .arg = arg});
	return 0;
}

int
hash_pool_verify(struct hash_pool *pool, const char *password, size_t len,
		 const char *encoded, hash_pool_verify_cb cb, void *arg)
{
	(void)pool;
	(void)password;
	(void)len;
	(void)encoded;
	fuzz_queue(
	    (struct fuzz_job){.kind = FUZZ_VERIFY, .verify = cb, .arg = arg});
	return 0;
}

size_t
hash_pool_pending(const struct hash_pool *pool)
{
	(void)pool;
	return 0;
}

void
hash_pool_free(struct hash_pool *pool)
{
	(void)pool;
}

/* Runs the queued callbacks in order until none is left. */
static void
fuzz_drain(void)
{
	while (fuzz_jobs_first < fuzz_jobs_end) {
		struct fuzz_job job = fuzz_jobs[fuzz_jobs_first++];

		switch (job.kind) {
		case FUZZ_LEASE:
			fuzz_leases++;
			job.lease(FUZZ_CONN, job.arg);
			break;
		case FUZZ_QUERY:
			if (job.query != NULL)
				job.query(FUZZ_CONN, job.res, job.arg);
			PQclear(job.res);
			break;
		case FUZZ_HASH:
			job.hash("$scrypt$ln=17,r=8,p=1$ZnV6eg$ZnV6eg",
				 job.arg);
			break;
		case FUZZ_VERIFY:
			job.verify(false, job.arg);
			break;
		}
	}
}

/* ---- running a request ---- */

/* The evhttp command of a ROUTER_* method. */
static enum evhttp_cmd_type
fuzz_command(int method)
{
	static const enum evhttp_cmd_type cmds[] = {
	    EVHTTP_REQ_GET,    EVHTTP_REQ_HEAD,	 EVHTTP_REQ_POST,
	    EVHTTP_REQ_PUT,    EVHTTP_REQ_PATCH, EVHTTP_REQ_DELETE,
	    EVHTTP_REQ_OPTIONS};

	for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++) {
		if (method == 1 << i)
			return cmds[i];
	}
	return EVHTTP_REQ_TRACE;
}

void
fuzz_server_run(const struct fuzz_request *rq, struct fuzz_outcome *out)
{
	struct evhttp_request *ev;
	struct evkeyvalq *h;
	struct req *r;
	char bearer[64];

	fuzz_init();
	memset(out, 0, sizeof *out);
	fuzz_rq = rq;
	fuzz_out = out;
	fuzz_failed = 0;
	fuzz_jobs_first = fuzz_jobs_end = 0;

	ev = evhttp_request_new(NULL, NULL);
	ev->uri = xstrdup(rq->target);
	ev->type = fuzz_command(rq->method);
	h = evhttp_request_get_input_headers(ev);
	/* A value the wire cannot carry (CR or LF) is refused here as
	 * evhttp's parser would: the header is absent. */
	snprintf(bearer, sizeof bearer, "Bearer %s", fuzz_known_token());
	evhttp_add_header(h, "Authorization",
			  rq->authorization ? rq->authorization : bearer);
	evhttp_add_header(h, "Content-Type",
			  rq->content_type ? rq->content_type
					   : "application/json");
	if (rq->idempotency_key != NULL)
		evhttp_add_header(h, "Idempotency-Key", rq->idempotency_key);
	if (rq->if_match != NULL)
		evhttp_add_header(h, "If-Match", rq->if_match);
	evbuffer_add(evhttp_request_get_input_buffer(ev), rq->body,
		     rq->body_len);

	r = xcalloc(1, sizeof *r);
	fuzz_srv.http->active++;
	r->srv = &fuzz_srv;
	r->ev = ev;
	clock_gettime(CLOCK_MONOTONIC, &r->start);
	snprintf(r->id, sizeof r->id, "f022f022f022f022");
	snprintf(r->client, sizeof r->client, "127.0.0.1");
	r->method = http_method(evhttp_request_get_command(ev));
	/* The harness's own hold: r outlives its answer until checked. */
	r->refs = 1;
	http_route(r);
	fuzz_drain();

	fuzz_check(r->replied, "every request is answered");
	fuzz_check(fuzz_leases == 0, "every leased connection is returned");
	fuzz_check(fuzz_srv.http->active == 0,
		   "no request is left counted as active");
	out->status = r->status;
	if (getenv("FUZZ_TRACE") != NULL) {
		fprintf(stderr, "%s %d:", rq->target, out->status);
		for (size_t i = 0; i < out->n_queries; i++)
			fprintf(stderr, " %s", out->queries[i].name);
		fprintf(stderr, "\n");
	}
	fuzz_check(out->status < 500 || (out->status == 503 && fuzz_failed > 0),
		   "nothing a client sends earns a 5xx");
	fuzz_check(strcmp(http_reason(out->status), "Unknown") != 0,
		   "every status is one the server has a reason phrase for");
	req_unref(r);
}

const struct fuzz_query *
fuzz_outcome_query(const struct fuzz_outcome *out, const char *name)
{
	for (size_t i = out->n_queries; i > 0; i--) {
		if (strcmp(out->queries[i - 1].name, name) == 0)
			return &out->queries[i - 1];
	}
	return NULL;
}

void
fuzz_outcome_free(struct fuzz_outcome *out)
{
	for (size_t i = 0; i < out->n_queries; i++) {
		for (int k = 0; k < out->queries[i].n_params; k++)
			free(out->queries[i].params[k]);
	}
	out->n_queries = 0;
}
