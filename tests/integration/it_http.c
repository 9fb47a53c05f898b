/*
 * The HTTP surface of the real pingshend: TLS only (plain HTTP and TLS 1.1
 * refused, 1.2 and 1.3 served), the receive deadline, the headers every
 * answer carries, the refusals of bad input (each one leaving the database
 * as it was), who may call what, the metrics endpoint and the access log.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "harness.h"

/* Small enough that a test can exceed it cheaply. */
#define HTTP_MAX_BODY "4096"
/* The deadline to receive a whole request, short enough to wait out. */
#define HTTP_REQUEST_TIMEOUT_MS "2000"

static struct it_server *server;
static char *admin_token, *auditor_token;
static long long expert_id;

static int
http_setup(void **state)
{
	static const char *const args[] = {
	    "--scrypt-log2-n=" IT_FAST_SCRYPT,
	    "--max-body-bytes=" HTTP_MAX_BODY,
	    "--request-timeout-ms=" HTTP_REQUEST_TIMEOUT_MS,
	    /* Failed logins here are part of other checks, not throttling. */
	    "--login-max-failures=1000", NULL};

	(void)state;
	it_env_start();
	assert_int_equal(
	    it_create_admin(IT_ADMIN_NAME, IT_ADMIN_PASSWORD, IT_FAST_SCRYPT),
	    0);
	server = it_server_start(args);
	admin_token = it_login(IT_ADMIN_NAME, IT_ADMIN_PASSWORD);
	expert_id =
	    it_create_user(admin_token, "ex1", "expert", "expert-password");
	it_create_user(admin_token, "aud1", "auditor", "auditor-password");
	auditor_token = it_login("aud1", "auditor-password");
	return 0;
}

static int
http_teardown(void **state)
{
	(void)state;
	free(admin_token);
	free(auditor_token);
	it_env_stop();
	return 0;
}

/* ---- below HTTP: plain text and TLS versions ---- */

/* A TCP connection to the server whose reads give up after 10 s, well
 * past the server's receive deadline, so a silent server fails the test
 * instead of hanging it. */
static int
http_tcp_connect(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	struct timeval tv = {10, 0};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	a.sin_port = htons((uint16_t)it_server_port(server));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
	return fd;
}

static void
test_plain_http_refused(void **state)
{
	static const char request[] =
	    "GET /api/v1/healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
	char reply[4096];
	size_t got = 0;
	ssize_t n;
	struct it_resp *r;
	int fd;

	(void)state;
	/* libcurl speaking http:// gets no HTTP answer at all. */
	r = it_do(&(struct it_req){.path = V1 "/healthz", .plain_http = true});
	assert_int_equal(r->status, 0);
	assert_int_not_equal(r->curl, CURLE_OK);
	it_resp_free(r);

	/* The same by hand: the connection ends without a status line. */
	fd = http_tcp_connect();
	assert_int_equal(write(fd, request, sizeof request - 1),
			 (ssize_t)(sizeof request - 1));
	while ((n = read(fd, reply + got, sizeof reply - 1 - got)) > 0)
		got += (size_t)n;
	/* n < 0 would be the 10 s bound: the server never hung up. */
	assert_int_equal(n, 0);
	reply[got] = '\0';
	assert_true(got < 5 || memcmp(reply, "HTTP/", 5) != 0);
	close(fd);
}

/*
 * A TLS connection with versions min..max from a client that itself allows
 * anything (security level 0), verifying the certificate against the test
 * CA: the SSL (free with http_tls_close), or NULL with the error's reason.
 */
static SSL *
http_tls_open(int min, int max, int *reason)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	int fd = http_tcp_connect();
	SSL *ssl;

	assert_non_null(ctx);
	SSL_CTX_set_security_level(ctx, 0);
	assert_int_equal(SSL_CTX_set_min_proto_version(ctx, min), 1);
	assert_int_equal(SSL_CTX_set_max_proto_version(ctx, max), 1);
	assert_int_equal(SSL_CTX_set_cipher_list(ctx, "ALL:@SECLEVEL=0"), 1);
	assert_int_equal(SSL_CTX_load_verify_locations(ctx, it_ca_file(), NULL),
			 1);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	ssl = SSL_new(ctx);
	SSL_CTX_free(ctx); /* the SSL holds its own reference */
	assert_non_null(ssl);
	assert_int_equal(
	    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), "127.0.0.1"), 1);
	SSL_set_fd(ssl, fd);
	ERR_clear_error();
	*reason = 0;
	if (SSL_connect(ssl) != 1) {
		*reason = ERR_GET_REASON(ERR_peek_last_error());
		ERR_clear_error();
		SSL_free(ssl);
		close(fd);
		return NULL;
	}
	assert_int_equal(SSL_get_verify_result(ssl), X509_V_OK);
	return ssl;
}

static void
http_tls_close(SSL *ssl)
{
	int fd = SSL_get_fd(ssl);

	ERR_clear_error();
	SSL_free(ssl);
	close(fd);
}

/* Everything the server sends until it closes (or the 10 s bound, which
 * fails the test), NUL-terminated into buf. */
static size_t
http_tls_read_all(SSL *ssl, char *buf, size_t len)
{
	size_t got = 0;
	int n;

	while (got < len - 1 &&
	       (n = SSL_read(ssl, buf + got, (int)(len - 1 - got))) > 0)
		got += (size_t)n;
	/* The server closed (with or without close_notify: the context
	 * ignores a bare EOF); a receive bound running out is an error. */
	if (got < len - 1)
		assert_int_equal(SSL_get_error(ssl, n), SSL_ERROR_ZERO_RETURN);
	buf[got] = '\0';
	return got;
}

/* A handshake with versions min..max, then GET /healthz: the negotiated
 * version and the status line, or 0 with the refusal's reason. */
static int
http_tls_try(int min, int max, int *reason, char *status, size_t len)
{
	static const char request[] = "GET /api/v1/healthz HTTP/1.1\r\n"
				      "Host: 127.0.0.1\r\n"
				      "Connection: close\r\n\r\n";
	SSL *ssl = http_tls_open(min, max, reason);
	char buf[4096];
	int version;

	status[0] = '\0';
	if (ssl == NULL)
		return 0;
	version = SSL_version(ssl);
	assert_int_equal(SSL_write(ssl, request, sizeof request - 1),
			 (int)(sizeof request - 1));
	http_tls_read_all(ssl, buf, sizeof buf);
	snprintf(status, len, "%.*s", (int)strcspn(buf, "\r\n"), buf);
	http_tls_close(ssl);
	return version;
}

/*
 * A client that sends half a request and waits is cut off at the receive
 * deadline, without an answer: the server promises the bound
 * (--request-timeout-ms), so the test may wait for it.
 */
static void
test_request_deadline(void **state)
{
	static const char half[] = "GET /api/v1/healthz HTTP/1.1\r\n"
				   "Host: 127.0.0.1\r\n";
	char buf[1024];
	int reason;
	SSL *ssl;

	(void)state;
	ssl = http_tls_open(TLS1_2_VERSION, 0, &reason);
	assert_non_null(ssl);
	assert_int_equal(SSL_write(ssl, half, sizeof half - 1),
			 (int)(sizeof half - 1));
	assert_int_equal(http_tls_read_all(ssl, buf, sizeof buf), 0);
	http_tls_close(ssl);
}

/* Headers beyond --max-header-bytes: refused by libevent itself, with 400
 * (NOTES.md), and nothing happens. */
static void
test_oversized_headers(void **state)
{
	static char big[20000 + 16];
	const char *headers[] = {big, NULL};
	struct it_snapshot before;
	struct it_resp *r;

	(void)state;
	memset(big, 'x', sizeof big - 1);
	memcpy(big, "X-Padding: ", 11);
	it_snapshot(&before);
	r = it_do(&(struct it_req){.method = "POST",
				   .path = V1 "/users",
				   .token = admin_token,
				   .headers = headers,
				   .body = "{\"username\":\"big1\",\"role\":"
					   "\"expert\",\"password\":"
					   "\"a-password\"}",
				   .raw = true});
	it_assert_status(r, 400);
	it_resp_free(r);
	it_assert_unchanged(&before, "oversized headers");
}

static void
test_tls_versions(void **state)
{
	char status[128];
	struct it_resp *r;
	int reason;

	(void)state;
	/* The server refuses: the alert comes from its side, since this
	 * client would accept the old versions. */
	assert_int_equal(http_tls_try(TLS1_1_VERSION, TLS1_1_VERSION, &reason,
				      status, sizeof status),
			 0);
	assert_int_equal(reason, SSL_R_TLSV1_ALERT_PROTOCOL_VERSION);
	assert_int_equal(http_tls_try(TLS1_VERSION, TLS1_VERSION, &reason,
				      status, sizeof status),
			 0);
	assert_int_equal(reason, SSL_R_TLSV1_ALERT_PROTOCOL_VERSION);

	/* The same client is served with 1.2 and 1.3. */
	assert_int_equal(http_tls_try(TLS1_2_VERSION, TLS1_2_VERSION, &reason,
				      status, sizeof status),
			 TLS1_2_VERSION);
	assert_string_equal(status, "HTTP/1.1 200 OK");
	assert_int_equal(http_tls_try(TLS1_3_VERSION, TLS1_3_VERSION, &reason,
				      status, sizeof status),
			 TLS1_3_VERSION);
	assert_string_equal(status, "HTTP/1.1 200 OK");
	/* A client offering everything gets the newest. */
	assert_int_equal(
	    http_tls_try(TLS1_VERSION, 0, &reason, status, sizeof status),
	    TLS1_3_VERSION);

	/* And libcurl, pinned to each version. */
	r = it_do(&(struct it_req){.path = V1 "/healthz",
				   .ssl_version = CURL_SSLVERSION_TLSv1_2 |
						  CURL_SSLVERSION_MAX_TLSv1_2});
	it_assert_status(r, 200);
	it_resp_free(r);
	r = it_do(&(struct it_req){.path = V1 "/healthz",
				   .ssl_version = CURL_SSLVERSION_TLSv1_3 |
						  CURL_SSLVERSION_MAX_TLSv1_3});
	it_assert_status(r, 200);
	it_resp_free(r);
	/* libcurl's OpenSSL may refuse TLS 1.1 before the server does; the
	 * raw client above is what proves the server's refusal. */
	r = it_do(&(struct it_req){.path = V1 "/healthz",
				   .ssl_version = CURL_SSLVERSION_TLSv1_1 |
						  CURL_SSLVERSION_MAX_TLSv1_1});
	assert_int_equal(r->status, 0);
	assert_int_not_equal(r->curl, CURLE_OK);
	it_resp_free(r);
}

/* ---- headers ---- */

/*
 * it_do checks the security headers and the JSON body of every answer;
 * this walks one answer of each status the API uses so far, so that none
 * of them escapes that check.
 */
static void
test_security_headers(void **state)
{
	static const long want[] = {200, 201, 204, 400, 401, 403,
				    404, 405, 409, 412, 415, 422};
	long seen[sizeof want / sizeof *want] = {0};
	char patch[64], *token;
	struct it_resp *r[sizeof want / sizeof *want];
	size_t i = 0;

	(void)state;
	snprintf(patch, sizeof patch, V1 "/users/%lld", expert_id);
	token = it_login("ex1", "expert-password");
	r[i++] = it_get(V1 "/healthz", NULL);
	r[i++] = it_send_json("POST", V1 "/users", admin_token,
			      json_pack("{s:s, s:s, s:s}", "username", "hdr1",
					"role", "expert", "password",
					"header-password"));
	r[i++] = it_delete(V1 "/sessions/current", token);
	r[i++] = it_send("POST", V1 "/users", admin_token, "{");
	r[i++] = it_get(V1 "/me", NULL);
	r[i++] = it_get(V1 "/audit", admin_token);
	r[i++] = it_get(V1 "/nothing", NULL);
	r[i++] = it_send("PUT", V1 "/users", admin_token, "{}");
	r[i++] = it_send_json("POST", V1 "/users", admin_token,
			      json_pack("{s:s, s:s, s:s}", "username", "hdr1",
					"role", "expert", "password",
					"header-password"));
	r[i++] = it_do(&(struct it_req){
	    .method = "PATCH",
	    .path = patch,
	    .token = admin_token,
	    .headers = (const char *const[]){"If-Match: 999999", NULL},
	    .body = "{\"display_name\":\"x\"}"});
	r[i++] = it_do(&(struct it_req){
	    .method = "POST",
	    .path = V1 "/users",
	    .token = admin_token,
	    .headers = (const char *const[]){"Content-Type: text/plain", NULL},
	    .body = "{}"});
	r[i++] = it_send_json("POST", V1 "/users", admin_token,
			      json_pack("{s:s, s:s, s:s}", "username", "hdr2",
					"role", "king", "password",
					"header-password"));
	for (i = 0; i < sizeof want / sizeof *want; i++) {
		seen[i] = r[i]->status;
		it_resp_free(r[i]);
	}
	assert_memory_equal(seen, want, sizeof want);
	free(token);

	/* HEAD: the headers of GET, no body. */
	r[0] = it_do(&(struct it_req){
	    .method = "HEAD", .path = V1 "/me", .token = admin_token});
	it_assert_status(r[0], 200);
	assert_int_equal(r[0]->body_len, 0);
	it_resp_free(r[0]);
}

/* ---- bad input ---- */

/* One request that must be refused and change nothing. */
struct http_bad {
	const char *what;
	const char *method;
	const char *path;
	const char *body;
	size_t body_len; /* 0: strlen(body) */
	const char *header;
	int token; /* 0 none, 1 admin, 2 auditor */
	long status;
	const char *code; /* NULL: libevent's own answer, status only */
	const char *allow;
};

#define PW "\"password\":\"a-password\""

static void
test_bad_input(void **state)
{
	static char big[8192 + 1];
	char patch[64], too_long_key[300], long_name[200];
	const struct http_bad cases[] = {
	    {"duplicate key", "POST", V1 "/users",
	     "{\"username\":\"d1\",\"username\":\"d2\",\"role\":\"expert\"," PW
	     "}",
	     0, NULL, 1, 400, "malformed_json", NULL},
	    {"escaped NUL", "POST", V1 "/users",
	     "{\"username\":\"n\\u0000l\",\"role\":\"expert\"," PW "}", 0, NULL,
	     1, 400, "malformed_json", NULL},
	    {"raw NUL", "POST", V1 "/users",
	     "{\"username\":\"n\0l\",\"role\":\"expert\"," PW "}",
	     sizeof("{\"username\":\"n\0l\",\"role\":\"expert\"," PW "}") - 1,
	     NULL, 1, 400, "malformed_json", NULL},
	    {"syntax error", "POST", V1 "/users", "{\"username\":", 0, NULL, 1,
	     400, "malformed_json", NULL},
	    {"trailing garbage", "POST", V1 "/users",
	     "{\"username\":\"t\",\"role\":\"expert\"," PW "} x", 0, NULL, 1,
	     400, "malformed_json", NULL},
	    {"array body", "POST", V1 "/users", "[1,2]", 0, NULL, 1, 400,
	     "malformed_json", NULL},
	    {"invalid UTF-8", "POST", V1 "/users",
	     "{\"username\":\"\xff\",\"role\":\"expert\"," PW "}", 0, NULL, 1,
	     400, "malformed_json", NULL},
	    {"integer beyond int64", "PATCH", patch,
	     "{\"active\":123456789012345678901234567890}", 0, NULL, 1, 400,
	     "malformed_json", NULL},
	    {"unknown field", "POST", V1 "/users",
	     "{\"username\":\"u1\",\"role\":\"expert\",\"admin\":true," PW "}",
	     0, NULL, 1, 400, "unknown_field", NULL},
	    {"missing field", "POST", V1 "/users",
	     "{\"username\":\"u1\",\"role\":\"expert\"}", 0, NULL, 1, 400,
	     "bad_request", NULL},
	    {"wrong type", "POST", V1 "/users",
	     "{\"username\":\"u1\",\"role\":5," PW "}", 0, NULL, 1, 400,
	     "bad_request", NULL},
	    {"short password", "POST", V1 "/users",
	     "{\"username\":\"u1\",\"role\":\"expert\","
	     "\"password\":\"123456789\"}",
	     0, NULL, 1, 422, "invalid_field", NULL},
	    {"unknown role", "POST", V1 "/users",
	     "{\"username\":\"u1\",\"role\":\"boss\"," PW "}", 0, NULL, 1, 422,
	     "invalid_field", NULL},
	    {"bad username", "POST", V1 "/users",
	     "{\"username\":\"a b\",\"role\":\"expert\"," PW "}", 0, NULL, 1,
	     422, "invalid_field", NULL},
	    {"long username", "POST", V1 "/users", long_name, 0, NULL, 1, 422,
	     "invalid_field", NULL},
	    {"taken username", "POST", V1 "/users",
	     "{\"username\":\"admin\",\"role\":\"expert\"," PW "}", 0, NULL, 1,
	     409, "username_taken", NULL},
	    {"body too large", "POST", V1 "/users", big, 0, NULL, 1, 413, NULL,
	     NULL},
	    {"text/plain", "POST", V1 "/users", "{}", 0,
	     "Content-Type: text/plain", 1, 415, "unsupported_media_type",
	     NULL},
	    {"latin1 JSON", "POST", V1 "/users", "{}", 0,
	     "Content-Type: application/json; charset=iso-8859-1", 1, 415,
	     "unsupported_media_type", NULL},
	    {"NUL in path", "GET", V1 "/users/1%00junk", NULL, 0, NULL, 1, 400,
	     "bad_path", NULL},
	    {"empty segment", "GET", V1 "//users", NULL, 0, NULL, 1, 400,
	     "bad_path", NULL},
	    {"dot-dot", "GET", V1 "/%2e%2e/users", NULL, 0, NULL, 1, 400,
	     "bad_path", NULL},
	    {"encoded slash", "PATCH", V1 "/users/1%2F2", "{}", 0, NULL, 1, 400,
	     "bad_path", NULL},
	    {"no such path", "GET", V1 "/nowhere", NULL, 0, NULL, 1, 404,
	     "not_found", NULL},
	    {"trailing slash", "GET", V1 "/users/", NULL, 0, NULL, 1, 404,
	     "not_found", NULL},
	    {"id zero", "PATCH", V1 "/users/0", "{}", 0, NULL, 1, 404,
	     "not_found", NULL},
	    {"no such user", "PATCH", V1 "/users/999999",
	     "{\"display_name\":\"x\"}", 0, NULL, 1, 404, "not_found", NULL},
	    {"PUT /users", "PUT", V1 "/users", "{}", 0, NULL, 1, 405,
	     "method_not_allowed", "GET, HEAD, POST"},
	    {"DELETE /me", "DELETE", V1 "/me", NULL, 0, NULL, 1, 405,
	     "method_not_allowed", "GET, HEAD"},
	    {"limit 0", "GET", V1 "/users?limit=0", NULL, 0, NULL, 1, 400,
	     "bad_query", NULL},
	    {"limit text", "GET", V1 "/users?limit=ten", NULL, 0, NULL, 1, 400,
	     "bad_query", NULL},
	    {"after 0", "GET", V1 "/users?after=0", NULL, 0, NULL, 1, 400,
	     "bad_query", NULL},
	    {"unknown role filter", "GET", V1 "/users?role=boss", NULL, 0, NULL,
	     1, 400, "bad_query", NULL},
	    {"unknown parameter", "GET", V1 "/users?color=red", NULL, 0, NULL,
	     1, 400, "bad_query", NULL},
	    {"repeated parameter", "GET", V1 "/users?limit=1&limit=2", NULL, 0,
	     NULL, 1, 400, "bad_query", NULL},
	    {"bad escape", "GET", V1 "/users?limit=%zz", NULL, 0, NULL, 1, 400,
	     "bad_query", NULL},
	    {"bad time", "GET", V1 "/audit?from=yesterday-ish", NULL, 0, NULL,
	     2, 400, "bad_query", NULL},
	    {"stale If-Match", "PATCH", patch, "{\"display_name\":\"x\"}", 0,
	     "If-Match: 999999", 1, 412, "version_mismatch", NULL},
	    {"garbage If-Match", "PATCH", patch, "{\"display_name\":\"x\"}", 0,
	     "If-Match: soon", 1, 400, "bad_if_match", NULL},
	    {"nothing to change", "PATCH", patch, "{}", 0, NULL, 1, 400,
	     "bad_request", NULL},
	    {"self deactivation", "PATCH", V1 "/users/1", "{\"active\":false}",
	     0, NULL, 1, 409, "self_deactivation", NULL},
	    {"short new password", "PATCH", patch, "{\"password\":\"short\"}",
	     0, NULL, 1, 422, "invalid_field", NULL},
	    {"long Idempotency-Key", "POST", V1 "/users",
	     "{\"username\":\"k1\",\"role\":\"expert\"," PW "}", 0,
	     too_long_key, 1, 400, "bad_idempotency_key", NULL},
	    {"login without password", "POST", V1 "/sessions",
	     "{\"username\":\"admin\"}", 0, NULL, 0, 400, "bad_request", NULL},
	    {"login with extra field", "POST", V1 "/sessions",
	     "{\"username\":\"admin\",\"password\":\"x\",\"remember\":true}", 0,
	     NULL, 0, 400, "unknown_field", NULL},
	};

	(void)state;
	memset(big, ' ', sizeof big - 1);
	big[0] = '{';
	big[sizeof big - 2] = '}';
	snprintf(patch, sizeof patch, V1 "/users/%lld", expert_id);
	snprintf(too_long_key, sizeof too_long_key, "Idempotency-Key: %0256d",
		 7);
	snprintf(long_name, sizeof long_name,
		 "{\"username\":\"%065d\",\"role\":\"expert\"," PW "}", 1);
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		const struct http_bad *c = &cases[i];
		const char *tokens[] = {NULL, admin_token, auditor_token};
		const char *headers[] = {c->header, NULL};
		struct it_snapshot before;
		struct it_resp *r;

		print_message("bad input: %s\n", c->what);
		it_snapshot(&before);
		r = it_do(&(struct it_req){.method = c->method,
					   .path = c->path,
					   .token = tokens[c->token],
					   .headers = headers,
					   .body = c->body,
					   .body_len = c->body_len});
		if (c->code != NULL)
			it_assert_error(r, c->status, c->code);
		else
			it_assert_status(r, c->status);
		if (c->allow != NULL) {
			assert_non_null(it_header(r, "Allow"));
			assert_string_equal(it_header(r, "Allow"), c->allow);
		}
		it_resp_free(r);
		it_assert_unchanged(&before, c->what);
	}
}

/* ---- authentication and roles ---- */

/* Every route that needs a token refuses a request without a valid one. */
static void
test_no_token(void **state)
{
	static const struct {
		const char *method, *path, *body;
	} routes[] = {
	    {"DELETE", V1 "/sessions/current", NULL},
	    {"GET", V1 "/me", NULL},
	    {"POST", V1 "/users",
	     "{\"username\":\"nt1\",\"role\":\"admin\"," PW "}"},
	    {"GET", V1 "/users", NULL},
	    {"PATCH", V1 "/users/1", "{\"display_name\":\"owned\"}"},
	    /* The token is checked before the body is judged. */
	    {"POST", V1 "/users", "{\"username\":"},
	    {"PATCH", V1 "/users/1", "{\"a\":1,\"a\":2}"},
	    {"GET", V1 "/audit", NULL},
	    {"GET", V1 "/audit/head", NULL},
	};
	/* Missing, not Bearer, malformed, and well-formed but unknown. */
	static const char *const auth[] = {
	    NULL,
	    "Authorization: Basic YWRtaW46YWRtaW4=",
	    "Authorization: Bearer short",
	    "Authorization: Bearer "
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	};

	(void)state;
	for (size_t i = 0; i < sizeof routes / sizeof *routes; i++) {
		for (size_t k = 0; k < sizeof auth / sizeof *auth; k++) {
			const char *headers[] = {auth[k], NULL};
			struct it_snapshot before;
			struct it_resp *r;

			it_snapshot(&before);
			r = it_do(&(struct it_req){.method = routes[i].method,
						   .path = routes[i].path,
						   .headers = headers,
						   .body = routes[i].body});
			it_assert_error(r, 401, "unauthorized");
			if (k == 0) {
				assert_non_null(
				    it_header(r, "WWW-Authenticate"));
				assert_string_equal(
				    it_header(r, "WWW-Authenticate"), "Bearer");
			}
			it_resp_free(r);
			it_assert_unchanged(&before, routes[i].path);
		}
	}
}

enum { ADMIN, SECRETARY, EXPERT, AUDITOR, N_ROLES };

static void
test_roles(void **state)
{
	static const char *const names[N_ROLES] = {"admin", "secretary",
						   "expert", "auditor"};
	/* Who gets what, per API.md: the table of the whole surface. */
	static const struct {
		const char *method, *path;
		bool body;
		long want[N_ROLES];
	} table[] = {
	    {"GET", V1 "/healthz", false, {200, 200, 200, 200}},
	    {"GET", V1 "/metrics", false, {200, 200, 200, 200}},
	    {"GET", V1 "/me", false, {200, 200, 200, 200}},
	    {"GET", V1 "/users", false, {200, 200, 403, 403}},
	    {"GET", V1 "/users?role=expert", false, {200, 200, 403, 403}},
	    {"POST", V1 "/users", true, {201, 403, 403, 403}},
	    {"PATCH", V1 "/users/{target}", true, {200, 403, 403, 403}},
	    {"GET", V1 "/audit", false, {403, 403, 403, 200}},
	    {"GET", V1 "/audit/head", false, {403, 403, 403, 200}},
	    {"DELETE", V1 "/sessions/current", false, {204, 204, 204, 204}},
	};
	char *tokens[N_ROLES], user[32], path[64], body[200];
	long long target;

	(void)state;
	/* Own accounts and sessions: the last row ends the sessions. */
	target =
	    it_create_user(admin_token, "target1", "expert", "target-password");
	tokens[ADMIN] = it_login(IT_ADMIN_NAME, IT_ADMIN_PASSWORD);
	for (int k = SECRETARY; k < N_ROLES; k++) {
		snprintf(user, sizeof user, "role-%s", names[k]);
		it_create_user(admin_token, user, names[k], "role-password");
		tokens[k] = it_login(user, "role-password");
	}
	for (size_t i = 0; i < sizeof table / sizeof *table; i++) {
		for (int k = 0; k < N_ROLES; k++) {
			struct it_snapshot before;
			struct it_resp *r;

			if (strstr(table[i].path, "{target}") != NULL) {
				snprintf(path, sizeof path, V1 "/users/%lld",
					 target);
				snprintf(body, sizeof body,
					 "{\"display_name\":\"by %s\"}",
					 names[k]);
			} else {
				snprintf(path, sizeof path, "%s",
					 table[i].path);
				snprintf(body, sizeof body,
					 "{\"username\":\"made-by-%s\","
					 "\"role\":\"expert\"," PW "}",
					 names[k]);
			}
			print_message("%s %s as %s\n", table[i].method, path,
				      names[k]);
			it_snapshot(&before);
			r = it_do(&(struct it_req){
			    .method = table[i].method,
			    .path = path,
			    .token = tokens[k],
			    .body = table[i].body ? body : NULL});
			if (table[i].want[k] == 403)
				it_assert_error(r, 403, "forbidden");
			else
				it_assert_status(r, table[i].want[k]);
			if (table[i].want[k] == 403)
				it_assert_unchanged(&before, path);
			/* A role filter filters. */
			if (r->status == 200 && strstr(path, "role=") != NULL) {
				size_t n;
				json_t *u;

				json_array_foreach(
				    json_object_get(r->json, "items"), n, u)
				    assert_string_equal(
					json_string_value(
					    json_object_get(u, "role")),
					"expert");
			}
			it_resp_free(r);
		}
	}
	/* The logouts took: every one of those tokens is dead now. */
	for (int k = 0; k < N_ROLES; k++) {
		struct it_resp *r = it_get(V1 "/me", tokens[k]);

		it_assert_error(r, 401, "unauthorized");
		it_resp_free(r);
		free(tokens[k]);
	}
}

/* ---- operations ---- */

/* The count of pingshen_requests_total for route and status in text. */
static long long
http_counter(const char *text, const char *route, int status)
{
	char key[160];
	const char *p;

	snprintf(key, sizeof key,
		 "\npingshen_requests_total{route=\"%s\",status=\"%d\"} ",
		 route, status);
	p = strstr(text, key);
	return p ? strtoll(p + strlen(key), NULL, 10) : 0;
}

static void
test_metrics(void **state)
{
	struct it_resp *m1, *m2, *h;

	(void)state;
	/* No token needed on loopback. */
	m1 = it_get(V1 "/metrics", NULL);
	it_assert_status(m1, 200);
	assert_non_null(strstr(m1->body, "# TYPE pingshen_requests_total "
					 "counter\n"));
	h = it_get(V1 "/healthz", NULL);
	it_assert_status(h, 200);
	assert_non_null(h->json);
	assert_string_equal(
	    json_string_value(json_object_get(h->json, "status")), "ok");
	assert_string_equal(json_string_value(json_object_get(h->json, "db")),
			    "ok");
	m2 = it_get(V1 "/metrics", NULL);
	it_assert_status(m2, 200);
	/* The health check in between was counted, exactly once. */
	assert_int_equal(http_counter(m2->body, V1 "/healthz", 200),
			 http_counter(m1->body, V1 "/healthz", 200) + 1);
	assert_true(http_counter(m2->body, V1 "/metrics", 200) >= 1);
	assert_non_null(strstr(m2->body, "\npingshen_db_connections{"));
	it_resp_free(m1);
	it_resp_free(m2);
	it_resp_free(h);
}

/* Each request has its line, under the id the client saw; no password and
 * no token ever reaches the log. */
static void
test_access_log(void **state)
{
	struct it_resp *r;
	char id[32];

	(void)state;
	r = it_get(V1 "/me", admin_token);
	it_assert_status(r, 200);
	snprintf(id, sizeof id, " %s ", it_header(r, "X-Request-Id"));
	it_resp_free(r);
	assert_true(it_server_log_wait(
	    server, (const char *const[]){id, " 127.0.0.1 admin ",
					  "\"GET /api/v1/me\" 200 ", NULL}));

	r = it_get(V1 "/me", NULL);
	it_assert_status(r, 401);
	snprintf(id, sizeof id, " %s ", it_header(r, "X-Request-Id"));
	it_resp_free(r);
	assert_true(it_server_log_wait(
	    server, (const char *const[]){id, " 127.0.0.1 - ",
					  "\"GET /api/v1/me\" 401 ", NULL}));

	assert_true(it_server_log_lacks(server, IT_ADMIN_PASSWORD));
	assert_true(it_server_log_lacks(server, "auditor-password"));
	assert_true(it_server_log_lacks(server, admin_token));
}

/* Last: a clean exit, which under AddressSanitizer also means no leak. */
static void
test_stop_clean(void **state)
{
	(void)state;
	assert_int_equal(it_server_stop(server), 0);
	server = NULL;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plain_http_refused),
	    cmocka_unit_test(test_tls_versions),
	    cmocka_unit_test(test_request_deadline),
	    cmocka_unit_test(test_security_headers),
	    cmocka_unit_test(test_bad_input),
	    cmocka_unit_test(test_oversized_headers),
	    cmocka_unit_test(test_no_token),
	    cmocka_unit_test(test_roles),
	    cmocka_unit_test(test_metrics),
	    cmocka_unit_test(test_access_log),
	    cmocka_unit_test(test_stop_clean),
	};

	return cmocka_run_group_tests(tests, http_setup, http_teardown);
}
