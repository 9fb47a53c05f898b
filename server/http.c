/*
 * The HTTP layer: evhttp over OpenSSL bufferevents, with the limits evhttp
 * 2.1 lacks added around it (NOTES.md): a connection cap, an absolute
 * deadline to receive each request, our own routing, and JSON errors.
 *
 * Every accepted connection owns exactly one SSL object, so the connection
 * record hangs off the SSL's ex_data: OpenSSL frees it, through
 * http_conn_gone, exactly when evhttp frees the connection.
 */
#include "http.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/rand.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include "config.h"
#include "handlers.h"
#include "metrics.h"
#include "tls.h"
#include "token.h"
#include "txn.h"
#include "xalloc.h"

struct http {
	struct server *srv;
	struct evhttp *evhttp;
	struct evconnlistener *listener;
	SSL_CTX *tls;
	int open;     /* accepted connections not yet closed */
	int active;   /* requests being handled */
	bool paused;  /* the listener is off: the cap was reached */
	bool stopped; /* shutting down: never accept again */
};

/* One accepted connection, freed with its SSL object. */
struct http_conn {
	struct http *http;
	struct bufferevent *bev;
	struct event *deadline;
};

static int http_conn_index = -1;

static const struct {
	int role;
	const char *name;
} http_roles[] = {
    {ROLE_ADMIN, "admin"},
    {ROLE_SECRETARY, "secretary"},
    {ROLE_EXPERT, "expert"},
    {ROLE_AUDITOR, "auditor"},
};

int
user_role_parse(const char *name)
{
	for (size_t i = 0; i < sizeof http_roles / sizeof *http_roles; i++) {
		if (strcmp(name, http_roles[i].name) == 0)
			return http_roles[i].role;
	}
	return 0;
}

const char *
user_role_name(int role)
{
	for (size_t i = 0; i < sizeof http_roles / sizeof *http_roles; i++) {
		if (http_roles[i].role == role)
			return http_roles[i].name;
	}
	return "";
}

/* ---- connections: the cap and the receive deadline ---- */

static void
http_conn_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct http_conn *hc = arg;

	(void)fd;
	(void)what;
	/* Closing the socket makes evhttp see EOF and free the connection
	 * itself; freeing it from here would pull it from under evhttp. */
	shutdown(bufferevent_getfd(hc->bev), SHUT_RDWR);
}

static void
http_conn_arm(struct http_conn *hc)
{
	int ms = hc->http->srv->cfg->request_timeout_ms;
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

	evtimer_add(hc->deadline, &tv);
}

/* OpenSSL's ex_data free callback: the connection is gone. */
static void
http_conn_gone(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
	       void *argp)
{
	struct http_conn *hc = ptr;
	struct http *http;

	(void)parent;
	(void)ad;
	(void)idx;
	(void)argl;
	(void)argp;
	if (hc == NULL)
		return;
	http = hc->http;
	event_free(hc->deadline);
	free(hc);
	http->open--;
	if (http->paused && !http->stopped &&
	    http->open < http->srv->cfg->max_connections) {
		http->paused = false;
		evconnlistener_enable(http->listener);
	}
}

/* The record of the connection a request came on, or NULL when the
 * client has left. */
static struct http_conn *
http_conn_of(struct evhttp_request *ev)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(ev);
	struct bufferevent *bev;
	SSL *ssl;

	if (evcon == NULL)
		return NULL;
	bev = evhttp_connection_get_bufferevent(evcon);
	ssl = bev ? bufferevent_openssl_get_ssl(bev) : NULL;
	return ssl ? SSL_get_ex_data(ssl, http_conn_index) : NULL;
}

/*
 * evhttp's bufferevent factory.  It must never return NULL: evhttp would
 * then serve plain HTTP on this connection (NOTES.md).  Out of memory here
 * is fatal, like everywhere else.
 */
static struct bufferevent *
http_bevcb(struct event_base *base, void *arg)
{
	struct http *http = arg;
	struct http_conn *hc;
	SSL *ssl = SSL_new(http->tls);
	struct bufferevent *bev;

	if (ssl == NULL)
		abort();
	bev = bufferevent_openssl_socket_new(
	    base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
	    BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	if (bev == NULL)
		abort();
	hc = xcalloc(1, sizeof *hc);
	hc->http = http;
	hc->bev = bev;
	hc->deadline = evtimer_new(base, http_conn_deadline, hc);
	SSL_set_ex_data(ssl, http_conn_index, hc);
	http_conn_arm(hc);
	if (++http->open >= http->srv->cfg->max_connections && !http->paused) {
		/* Further clients wait in the kernel's backlog. */
		http->paused = true;
		evconnlistener_disable(http->listener);
	}
	return bev;
}

/* The reply is out: the next request has the whole deadline again. */
static void
http_request_complete(struct evhttp_request *ev, void *arg)
{
	struct http_conn *hc = http_conn_of(ev);

	(void)arg;
	if (hc != NULL)
		http_conn_arm(hc);
}

/* ---- replies ---- */

static const char *
http_reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 201:
		return "Created";
	case 204:
		return "No Content";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 409:
		return "Conflict";
	case 412:
		return "Precondition Failed";
	case 413:
		return "Payload Too Large";
	case 415:
		return "Unsupported Media Type";
	case 422:
		return "Unprocessable Content";
	case 429:
		return "Too Many Requests";
	case 500:
		return "Internal Server Error";
	case 503:
		return "Service Unavailable";
	}
	return "Unknown";
}

void
http_now_rfc3339(char buf[32])
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(buf, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, 32 - n, ".%03dZ", (int)(ts.tv_nsec / 1000000));
}

/* Frees what a request holds for its handler: its state, body, account
 * and query. */
static void
req_drop_payload(struct req *r)
{
	if (r->state_free != NULL)
		r->state_free(r->state);
	r->state = NULL;
	r->state_free = NULL;
	json_decref(r->body);
	r->body = NULL;
	json_decref(r->user.json);
	r->user.json = NULL;
	free(r->query);
	r->query = NULL;
}

static void
req_free(struct req *r)
{
	txn_free(r->txn);
	req_drop_payload(r);
	free(r);
}

void
req_ref(struct req *r)
{
	r->refs++;
}

bool
req_unref(struct req *r)
{
	r->refs--;
	if (!r->replied)
		return true;
	if (r->refs == 0)
		req_free(r);
	return false;
}

static double
http_elapsed(const struct req *r)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - r->start.tv_sec) +
	       (double)(now.tv_nsec - r->start.tv_nsec) / 1e9;
}

static const char *
http_method_name(int method)
{
	static const char *const names[] = {"GET",   "HEAD",   "POST",	 "PUT",
					    "PATCH", "DELETE", "OPTIONS"};

	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		if (method == 1 << i)
			return names[i];
	}
	return "-";
}

/* The headers every response carries. */
static void
http_add_headers(struct req *r, const char *content_type)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(r->ev);

	evhttp_add_header(h, "Content-Type", content_type);
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_add_header(h, "Strict-Transport-Security",
			  "max-age=63072000; includeSubDomains");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(h, "X-Frame-Options", "DENY");
	evhttp_add_header(h, "Referrer-Policy", "no-referrer");
	evhttp_add_header(h, "Content-Security-Policy",
			  "default-src 'none'; frame-ancestors 'none'");
	evhttp_add_header(h, "X-Request-Id", r->id);
	if (r->srv->stopping)
		evhttp_add_header(h, "Connection", "close");
}

/* The access-log line and the metrics of an answered request. */
static void
http_account(struct req *r, int status, size_t bytes)
{
	double seconds = http_elapsed(r);
	char at[32];

	if (r->srv->cfg->access_log) {
		const char *uri = r->ev ? evhttp_request_get_uri(r->ev) : NULL;

		http_now_rfc3339(at);
		printf("%s %s %s %s \"%s %.200s\" %d %zu %.1fms\n", at, r->id,
		       r->client, r->user.id ? r->user.username : "-",
		       http_method_name(r->method), uri ? uri : "-", status,
		       bytes, seconds * 1e3);
	}
	metrics_observe(r->srv->metrics,
			r->match.route ? r->match.route->pattern : NULL, status,
			seconds);
}

/* Sends the answer with the headers every response carries. */
static void
http_send(struct req *r, int status, const char *content_type,
	  struct evbuffer *body)
{
	struct http *http = r->srv->http;

	if (r->replied || r->streaming)
		abort(); /* answering twice is a bug in a handler */
	r->replied = true;
	r->status = status;
	http_add_headers(r, content_type);
	http_account(r, status, body ? evbuffer_get_length(body) : 0);

	evhttp_request_set_on_complete_cb(r->ev, http_request_complete, NULL);
	/* 204 has no body, whatever the handler built. */
	evhttp_send_reply(r->ev, status, http_reason(status),
			  status == 204 ? NULL : body);
	r->ev = NULL;
	http->active--;
	req_release_conn(r);
	if (r->refs == 0)
		req_free(r);
}

void
http_reply_text(struct req *r, int status, const char *content_type,
		const char *text, size_t len)
{
	struct evbuffer *buf = evbuffer_new();

	evbuffer_add(buf, text, len);
	http_send(r, status, content_type, buf);
	evbuffer_free(buf);
}

void
http_reply_json(struct req *r, int status, json_t *body)
{
	char *text = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);

	if (text == NULL)
		abort();
	json_decref(body);
	http_reply_text(r, status, "application/json; charset=utf-8", text,
			strlen(text));
	free(text);
}

void
http_reply_empty(struct req *r, int status)
{
	http_send(r, status, "application/json; charset=utf-8", NULL);
}

/* The length of the well-formed UTF-8 sequence at p (Unicode table 3-7),
 * or 0 when none starts there. */
static size_t
http_utf8_len(const unsigned char *p)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (p[0] == 0xe0)
		lo = 0xa0;
	else if (p[0] == 0xed)
		hi = 0x9f;
	else if (p[0] == 0xf0)
		lo = 0x90;
	else if (p[0] == 0xf4)
		hi = 0x8f;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++) {
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	}
	return n;
}

/*
 * Replaces each byte that starts no well-formed UTF-8 sequence with '?'.
 * A message may quote what a client sent, cut mid-character by a fixed
 * buffer or by jansson's error text, and json_pack refuses a string that
 * is not UTF-8: the answer would be lost and http_reply_json abort.
 */
static void
http_utf8_scrub(char *s)
{
	unsigned char *p = (unsigned char *)s;

	while (*p != '\0') {
		size_t n = http_utf8_len(p);

		if (n == 0)
			*p++ = '?';
		else
			p += n;
	}
}

static void
http_reply_errorv(struct req *r, int status, const char *code, json_t *details,
		  const char *fmt, va_list ap)
{
	char message[512];
	json_t *err;

	vsnprintf(message, sizeof message, fmt, ap);
	http_utf8_scrub(message);
	err = json_pack("{s:s, s:s}", "code", code, "message", message);
	if (details != NULL)
		json_object_set_new(err, "details", details);
	http_reply_json(r, status, json_pack("{s:o}", "error", err));
}

void
http_reply_error(struct req *r, int status, const char *code, const char *fmt,
		 ...)
{
	va_list ap;

	va_start(ap, fmt);
	http_reply_errorv(r, status, code, NULL, fmt, ap);
	va_end(ap);
}

void
http_reply_error_details(struct req *r, int status, const char *code,
			 json_t *details, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	http_reply_errorv(r, status, code, details, fmt, ap);
	va_end(ap);
}

json_t *
http_problems_json(const struct problems *problems)
{
	json_t *list = json_array();

	for (size_t i = 0; i < problems->n; i++) {
		const struct problem *p = &problems->items[i];
		json_t *o = json_pack("{s:s, s:s}", "code", p->code, "message",
				      p->message);

		if (p->subject != NULL)
			json_object_set_new(o, "subject",
					    json_string(p->subject));
		json_array_append_new(list, o);
	}
	return list;
}

void
http_reply_problems(struct req *r, int status, const char *code,
		    const struct problems *problems, const char *message)
{
	http_reply_error_details(
	    r, status, code,
	    json_pack("{s:o}", "problems", http_problems_json(problems)), "%s",
	    message);
}

void
http_reply_db_unavailable(struct req *r)
{
	http_reply_error(r, 503, "database_unavailable",
			 "the database is unavailable; try again shortly");
}

/* ---- database access for handlers ---- */

/* A query's callback and the request it belongs to. */
struct req_query_ctx {
	struct req *r;
	req_result_cb cb;
};

/* ---- streams ---- */

/* The stream is over: account for it while the request still exists. */
static void
http_stream_account(struct req *r)
{
	r->streaming = false;
	r->replied = true;
	r->status = 200;
	http_account(r, 200, 0);
	r->srv->http->active--;
}

/* The request is gone: let go of our record of it. */
static void
http_stream_release(struct req *r)
{
	r->ev = NULL;
	if (r->refs == 0)
		req_free(r);
}

/* evhttp's close callback: the client left, or the server is stopping. */
static void
http_stream_closed(struct evhttp_connection *evcon, void *arg)
{
	struct req *r = arg;

	(void)evcon;
	if (!r->streaming)
		return;
	r->stream_gone(r, r->stream_arg);
	http_stream_account(r);
	/* A request the client left is detached from its connection and
	 * ours to free (evhttp_send_reply_end frees a detached request);
	 * otherwise evhttp frees it with the connection, right after this
	 * callback. */
	if (evhttp_request_get_connection(r->ev) == NULL)
		evhttp_send_reply_end(r->ev);
	http_stream_release(r);
}

void
http_stream_start(struct req *r, const char *content_type,
		  void (*gone)(struct req *r, void *arg), void *arg)
{
	struct evhttp_connection *evcon;
	struct timeval write_tv = {r->srv->cfg->idle_timeout_s, 0};

	http_add_headers(r, content_type);
	/* A stream may stay open for hours and needs only its connection:
	 * the handler's state (a whole meeting row, say), the body, the
	 * account and the query go now rather than with the request. */
	req_drop_payload(r);
	r->streaming = true;
	r->stream_gone = gone;
	r->stream_arg = arg;
	req_release_conn(r);
	evcon = evhttp_request_get_connection(r->ev);
	evhttp_connection_set_closecb(evcon, http_stream_closed, r);
	evhttp_send_reply_start(r->ev, 200, "OK");
	/* The headers went out with the status line: a stream need not keep
	 * them, about 1 KB of small allocations. */
	evhttp_clear_headers(evhttp_request_get_output_headers(r->ev));
	/* A stream's client sends nothing: evhttp's idle timeout would cut
	 * it.  Only writing that stalls (a reader that stopped) ends it. */
	bufferevent_set_timeouts(evhttp_connection_get_bufferevent(evcon), NULL,
				 &write_tv);
}

bool
http_stream_send(struct req *r, const char *data, size_t len, size_t cap)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(r->ev);
	struct evbuffer *chunk;

	if (evcon == NULL ||
	    evbuffer_get_length(bufferevent_get_output(
		evhttp_connection_get_bufferevent(evcon))) > cap)
		return false;
	chunk = evbuffer_new();
	evbuffer_add(chunk, data, len);
	evhttp_send_reply_chunk(r->ev, chunk);
	evbuffer_free(chunk);
	return true;
}

void
http_stream_end(struct req *r)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(r->ev);

	if (!r->streaming)
		return;
	if (evcon != NULL)
		evhttp_connection_set_closecb(evcon, NULL, NULL);
	http_stream_account(r);
	evhttp_send_reply_end(r->ev);
	http_stream_release(r);
}

static void
req_query_done(struct db_conn *conn, const PGresult *res, void *arg)
{
	struct req_query_ctx *q = arg;
	struct req *r = q->r;
	req_result_cb cb = q->cb;

	(void)conn;
	free(q);
	if (req_unref(r) && cb != NULL)
		cb(r, res);
}

void
req_query(struct req *r, struct db_stmt *stmt, const char *const *params,
	  req_result_cb cb)
{
	struct req_query_ctx *q = xmalloc(sizeof *q);

	q->r = r;
	q->cb = cb;
	req_ref(r);
	db_conn_query(r->conn, stmt, params, req_query_done, q);
}

/* ---- authentication ---- */

/* The caller's whole account comes along, so GET /me needs no query. */
DB_STMT(stmt_http_auth, 1,
	"SELECT s.token_hash, " USER_COLUMNS
	" FROM sessions s JOIN users u ON u.id = s.user_id"
	" WHERE s.token_hash = $1 AND s.expires_at > now() AND u.active");

static bool http_read_body(struct req *r);
static bool http_read_idempotency_key(struct req *r);

/* Reads the body and headers the handler needs, then runs it.  This comes
 * after authentication: a caller without a token learns nothing from how
 * its body would have been judged. */
static void
http_run_handler(struct req *r)
{
	http_handler handler = (http_handler)r->match.route->handler;

	if ((r->method & (ROUTER_POST | ROUTER_PUT | ROUTER_PATCH)) &&
	    !http_read_body(r))
		return;
	if (!http_read_idempotency_key(r))
		return;
	handler(r);
}

static void
http_auth_done(struct req *r, const PGresult *res)
{
	int allowed = r->match.route->flags & ROLE_ANY;

	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		http_reply_db_unavailable(r);
		return;
	}
	/* The database found the row by hash; compare once more in constant
	 * time so equality never rests on a comparison that can leak. */
	if (PQntuples(res) != 1 ||
	    !token_equal(PQgetvalue(res, 0, 0), r->token_hash,
			 TOKEN_HASH_HEX)) {
		http_reply_error(r, 401, "unauthorized",
				 "the token is unknown, expired or revoked; "
				 "log in again");
		return;
	}
	r->user.id = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
	snprintf(r->user.id_text, sizeof r->user.id_text, "%s",
		 PQgetvalue(res, 0, 1));
	snprintf(r->user.username, sizeof r->user.username, "%s",
		 PQgetvalue(res, 0, 2));
	r->user.role = user_role_parse(PQgetvalue(res, 0, 4));
	r->user.json = h_user_json(res, 0, 1);
	if ((r->user.role & allowed) == 0) {
		http_reply_error(r, 403, "forbidden",
				 "the %s role may not do this",
				 user_role_name(r->user.role));
		return;
	}
	http_run_handler(r);
}

/* A lease for a request; then is what runs once it holds a connection. */
struct req_lease {
	struct req *r;
	http_handler then;
};

static void
req_leased(struct db_conn *conn, void *arg)
{
	struct req_lease *l = arg;
	struct req *r = l->r;
	http_handler then = l->then;

	free(l);
	if (!req_unref(r)) {
		if (conn != NULL)
			db_conn_release(conn);
		return;
	}
	if (conn == NULL) {
		http_reply_db_unavailable(r);
		return;
	}
	r->conn = conn;
	then(r);
}

void
req_acquire(struct req *r, http_handler then)
{
	struct req_lease *l = xmalloc(sizeof *l);

	l->r = r;
	l->then = then;
	req_ref(r);
	db_pool_acquire(r->srv->db, req_leased, l);
}

void
req_release_conn(struct req *r)
{
	if (r->conn != NULL) {
		db_conn_release(r->conn);
		r->conn = NULL;
	}
}

static void
http_auth_lookup(struct req *r)
{
	req_query(r, &stmt_http_auth, (const char *const[]){r->token_hash},
		  http_auth_done);
}

/* Checks the Bearer token's shape, then looks the session up. */
static void
http_authenticate(struct req *r)
{
	const char *h = evhttp_find_header(
	    evhttp_request_get_input_headers(r->ev), "Authorization");

	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0 ||
	    !token_valid(h + 7, strlen(h + 7))) {
		evhttp_add_header(evhttp_request_get_output_headers(r->ev),
				  "WWW-Authenticate", "Bearer");
		http_reply_error(r, 401, "unauthorized",
				 "this needs an Authorization: Bearer token "
				 "from POST /api/v1/sessions");
		return;
	}
	token_hash_hex(h + 7, strlen(h + 7), r->token_hash);
	req_acquire(r, http_auth_lookup);
}

/* ---- dispatch ---- */

static int
http_method(enum evhttp_cmd_type cmd)
{
	switch (cmd) {
	case EVHTTP_REQ_GET:
		return ROUTER_GET;
	case EVHTTP_REQ_HEAD:
		return ROUTER_HEAD;
	case EVHTTP_REQ_POST:
		return ROUTER_POST;
	case EVHTTP_REQ_PUT:
		return ROUTER_PUT;
	case EVHTTP_REQ_PATCH:
		return ROUTER_PATCH;
	case EVHTTP_REQ_DELETE:
		return ROUTER_DELETE;
	case EVHTTP_REQ_OPTIONS:
		return ROUTER_OPTIONS;
	default:
		return 0;
	}
}

static bool
http_is_loopback(const char *addr)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (inet_pton(AF_INET, addr, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	return inet_pton(AF_INET6, addr, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}

/* True when the Content-Type is JSON (any charset parameter is UTF-8). */
static bool
http_is_json(const char *ct)
{
	size_t n = strlen("application/json");

	if (ct == NULL || strncasecmp(ct, "application/json", n) != 0)
		return false;
	ct += n;
	while (*ct == ' ')
		ct++;
	if (*ct == '\0')
		return true;
	if (*ct++ != ';')
		return false;
	while (*ct == ' ')
		ct++;
	return strcasecmp(ct, "charset=utf-8") == 0;
}

/* Parses a POST/PUT/PATCH body into r->body; false after answering. */
static bool
http_read_body(struct req *r)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(r->ev);
	size_t len = evbuffer_get_length(in);
	const char *ct = evhttp_find_header(
	    evhttp_request_get_input_headers(r->ev), "Content-Type");
	json_error_t err;

	if (len == 0) {
		r->body = json_object();
		return true;
	}
	if (!http_is_json(ct)) {
		http_reply_error(r, 415, "unsupported_media_type",
				 "send the body as application/json");
		return false;
	}
	r->body = json_loadb((const char *)evbuffer_pullup(in, -1), len,
			     JSON_REJECT_DUPLICATES, &err);
	if (r->body == NULL) {
		http_reply_error_details(
		    r, 400, "malformed_json",
		    json_pack("{s:i, s:i}", "line", err.line, "column",
			      err.column),
		    "the body is not valid JSON: %s", err.text);
		return false;
	}
	if (!json_is_object(r->body)) {
		http_reply_error(r, 400, "malformed_json",
				 "the body must be a JSON object");
		return false;
	}
	return true;
}

/* Reads and checks an Idempotency-Key; false after answering. */
static bool
http_read_idempotency_key(struct req *r)
{
	const char *k = evhttp_find_header(
	    evhttp_request_get_input_headers(r->ev), "Idempotency-Key");

	if (k == NULL)
		return true;
	if (r->method != ROUTER_POST && r->method != ROUTER_PUT) {
		r->idem_key = NULL;
		return true;
	}
	for (const char *p = k; *p != '\0'; p++) {
		if (*p < 0x21 || *p > 0x7e) {
			k = "";
			break;
		}
	}
	if (strlen(k) == 0 || strlen(k) > 255) {
		http_reply_error(r, 400, "bad_idempotency_key",
				 "an Idempotency-Key is 1 to 255 printable "
				 "ASCII characters");
		return false;
	}
	r->idem_key = k;
	return true;
}

static void
http_route_error(struct req *r, enum router_status st)
{
	char allow[64];

	switch (st) {
	case ROUTER_NOT_FOUND:
		http_reply_error(r, 404, "not_found", "there is nothing here");
		break;
	case ROUTER_METHOD_NOT_ALLOWED:
		router_allow_header(r->match.allowed, allow, sizeof allow);
		evhttp_add_header(evhttp_request_get_output_headers(r->ev),
				  "Allow", allow);
		r->match.route = NULL;
		http_reply_error(r, 405, "method_not_allowed",
				 "this path allows %s", allow);
		break;
	default:
		http_reply_error(r, 400, "bad_path",
				 "the path is malformed or too long");
		break;
	}
}

/*
 * What evhttp 2.1 lets through but RFC 9112 says a server must refuse: a
 * header name that is not a token (5: "Idempotency Key"), and more than
 * one Content-Length (6.3), on which evhttp silently takes the first, a
 * request-smuggling vector behind a proxy that takes the last.  False
 * after answering.
 */
static bool
http_headers_ok(struct req *r)
{
	static const char token[] = "abcdefghijklmnopqrstuvwxyz"
				    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
				    "!#$%&'*+-.^_`|~";
	struct evkeyval *h;
	int lengths = 0;

	TAILQ_FOREACH(h, evhttp_request_get_input_headers(r->ev), next)
	{
		if (h->key[0] == '\0' ||
		    h->key[strspn(h->key, token)] != '\0') {
			http_reply_error(r, 400, "bad_header",
					 "a header name is malformed");
			return false;
		}
		lengths += strcasecmp(h->key, "Content-Length") == 0;
	}
	if (lengths > 1) {
		http_reply_error(r, 400, "bad_header",
				 "the request has more than one "
				 "Content-Length");
		return false;
	}
	return true;
}

/*
 * Everything a request goes through before its handler that needs no
 * connection: the fuzz harness (tests/fuzz/fuzz_server.c) runs it on
 * requests it builds itself.
 */
static void
http_route(struct req *r)
{
	const char *uri = evhttp_request_get_uri(r->ev), *q;
	enum router_status st;
	int flags;

	if (!http_headers_ok(r))
		return;
	if (uri == NULL || uri[0] != '/') {
		http_reply_error(r, 400, "bad_path",
				 "the request target must be a path");
		return;
	}
	q = strchr(uri, '?');
	st = router_match(http_routes, http_routes_n, r->method, uri,
			  q ? (size_t)(q - uri) : strlen(uri), &r->match);
	if (st != ROUTER_OK) {
		http_route_error(r, st);
		return;
	}
	if (q != NULL) {
		r->query = xmalloc(sizeof *r->query);
		if (!router_query_parse(q + 1, strlen(q + 1), r->query)) {
			http_reply_error(r, 400, "bad_query",
					 "the query string is malformed");
			return;
		}
	}
	flags = r->match.route->flags;
	if ((flags & ROUTE_LOOPBACK) && !http_is_loopback(r->client)) {
		http_reply_error(r, 403, "forbidden",
				 "this is served on loopback only");
		return;
	}
	if (r->srv->stopping) {
		http_reply_error(r, 503, "shutting_down",
				 "the server is shutting down");
		return;
	}
	if (!(flags & ROUTE_PUBLIC)) {
		http_authenticate(r);
	} else if (flags & ROUTE_DB) {
		req_acquire(r, http_run_handler);
	} else {
		http_run_handler(r);
	}
}

/* evhttp's one callback: every request starts here. */
static void
http_dispatch(struct evhttp_request *ev, void *arg)
{
	struct http *http = arg;
	struct req *r = xcalloc(1, sizeof *r);
	struct http_conn *hc = http_conn_of(ev);
	unsigned char rnd[8];
	char *peer = NULL;
	ev_uint16_t port;

	if (hc != NULL)
		evtimer_del(hc->deadline);
	http->active++;
	r->srv = http->srv;
	r->ev = ev;
	clock_gettime(CLOCK_MONOTONIC, &r->start);
	RAND_bytes(rnd, sizeof rnd);
	for (size_t i = 0; i < sizeof rnd; i++)
		snprintf(r->id + 2 * i, 3, "%02x", rnd[i]);
	evhttp_connection_get_peer(evhttp_request_get_connection(ev), &peer,
				   &port);
	snprintf(r->client, sizeof r->client, "%s", peer ? peer : "-");
	r->method = http_method(evhttp_request_get_command(ev));
	http_route(r);
}

/* ---- life cycle ---- */

struct http *
http_new(struct server *srv, char **err)
{
	const struct config *cfg = srv->cfg;
	struct http *http = xcalloc(1, sizeof *http);
	struct evhttp_bound_socket *bound;
	int one = 1;

	if (http_conn_index < 0)
		http_conn_index =
		    SSL_get_ex_new_index(0, NULL, NULL, NULL, http_conn_gone);
	http->srv = srv;
	http->tls = tls_ctx_new(cfg->tls_cert, cfg->tls_key, err);
	if (http->tls == NULL) {
		free(http);
		return NULL;
	}
	http->evhttp = evhttp_new(srv->base);
	evhttp_set_bevcb(http->evhttp, http_bevcb, http);
	evhttp_set_gencb(http->evhttp, http_dispatch, http);
	evhttp_set_max_body_size(http->evhttp, (ev_ssize_t)cfg->max_body_bytes);
	/* Read and drop an oversized body before answering 413: closing while
	 * the client still sends makes its kernel see a reset, and the client
	 * a broken pipe instead of the answer. The receive deadline bounds
	 * how long that reading may take. */
	evhttp_set_flags(http->evhttp, EVHTTP_SERVER_LINGERING_CLOSE);
	evhttp_set_max_headers_size(http->evhttp,
				    (ev_ssize_t)cfg->max_header_bytes);
	evhttp_set_timeout(http->evhttp, cfg->idle_timeout_s);
	evhttp_set_default_content_type(http->evhttp,
					"application/json; charset=utf-8");
	/* TRACE and CONNECT reach the router, which answers 405 with Allow in
	 * JSON, where evhttp would answer its own HTML 501. */
	evhttp_set_allowed_methods(
	    http->evhttp, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST |
			      EVHTTP_REQ_PUT | EVHTTP_REQ_PATCH |
			      EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS |
			      EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT);
	bound = evhttp_bind_socket_with_handle(http->evhttp, cfg->listen,
					       (ev_uint16_t)cfg->port);
	if (bound == NULL) {
		*err = xasprintf("cannot listen on %s port %d", cfg->listen,
				 cfg->port);
		http_free(http);
		return NULL;
	}
	http->listener = evhttp_bound_socket_get_listener(bound);
	/* Accepted sockets inherit it: a reply split over two TLS records
	 * must not wait for the client's delayed ACK (Nagle). */
	setsockopt(evconnlistener_get_fd(http->listener), IPPROTO_TCP,
		   TCP_NODELAY, &one, sizeof one);
	return http;
}

void
http_stop_accepting(struct http *http)
{
	http->stopped = true;
	evconnlistener_disable(http->listener);
}

int
http_open_connections(const struct http *http)
{
	return http->open;
}

int
http_active_requests(const struct http *http)
{
	return http->active;
}

void
http_free(struct http *http)
{
	if (http == NULL)
		return;
	if (http->evhttp != NULL)
		evhttp_free(http->evhttp);
	SSL_CTX_free(http->tls);
	free(http);
}
