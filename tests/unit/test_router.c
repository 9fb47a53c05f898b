/*
 * The router: a table of requests against a route table shaped like the real
 * API, each with the answer it must get (in the manner of pgbouncer's
 * hba_test), then the limits that need generated input, the method and
 * Allow helpers, and query strings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "router.h"

/* The handler is the route's name, so a case can say which route won. */
static const struct route api[] = {
    {ROUTER_GET, "/api/v1/healthz", "healthz", 0},
    {ROUTER_POST, "/api/v1/sessions", "sessions.create", 0},
    {ROUTER_DELETE, "/api/v1/sessions/current", "sessions.delete", 0},
    {ROUTER_GET, "/api/v1/users", "users.list", 0},
    {ROUTER_POST, "/api/v1/users", "users.create", 0},
    {ROUTER_GET, "/api/v1/users/{id}", "users.get", 0},
    {ROUTER_PATCH, "/api/v1/users/{id}", "users.patch", 0},
    {ROUTER_GET, "/api/v1/templates", "templates.list", 0},
    {ROUTER_GET, "/api/v1/templates/{key}", "templates.get", 0},
    {ROUTER_GET, "/api/v1/evaluations/{id}", "evaluations.get", 0},
    {ROUTER_PUT, "/api/v1/evaluations/{id}/pool/{code}/comparison",
     "comparison.put", 0},
    {ROUTER_GET, "/api/v1/evaluations/{id}/verdict/preview", "verdict.preview",
     0},
    {ROUTER_GET, "/api/v1/evaluations/{id}/verdict", "verdict.get", 0},
    {ROUTER_POST, "/api/v1/evaluations/{id}/verdict", "verdict.create", 0},
    {ROUTER_PUT, "/api/v1/meetings/{id}/rounds/{id}/ballot", "ballot.put", 0},
    {ROUTER_GET, "/api/v1/meetings/{id}/rounds/{id}/ballot", "ballot.get", 0},
    {ROUTER_POST, "/api/v1/meetings/{id}/rounds/{id}/close", "round.close", 0},
    /* The same path three ways: the first placeholder that fits wins. */
    {ROUTER_GET, "/api/v1/lookup/{id}", "lookup.id", 0},
    {ROUTER_GET, "/api/v1/lookup/{code}", "lookup.code", 0},
    {ROUTER_GET, "/api/v1/lookup/{key}", "lookup.key", 0},
};

#define N_API (sizeof api / sizeof api[0])

struct route_case {
	const char *method;
	const char *path;
	size_t len; /* 0: strlen(path); set for embedded NULs */
	enum router_status want;
	const char *handler;		     /* on ROUTER_OK */
	const char *text[ROUTER_MAX_PARAMS]; /* on ROUTER_OK */
	int64_t id[ROUTER_MAX_PARAMS];
	const char *allow; /* on ROUTER_METHOD_NOT_ALLOWED */
};

#define MATCH(m, p, h) .method = m, .path = p, .want = ROUTER_OK, .handler = h
#define MISS(m, p)     .method = m, .path = p, .want = ROUTER_NOT_FOUND
#define BAD(p)	       .method = "GET", .path = p, .want = ROUTER_BAD_PATH
#define NOT_ALLOWED(m, p, a)                                                   \
	.method = m, .path = p, .want = ROUTER_METHOD_NOT_ALLOWED, .allow = a

static const struct route_case route_cases[] = {
    /* Matches, with ids and codes. */
    {MATCH("GET", "/api/v1/healthz", "healthz")},
    {MATCH("GET", "/api/v1/users", "users.list")},
    {MATCH("POST", "/api/v1/users", "users.create")},
    {MATCH("DELETE", "/api/v1/sessions/current", "sessions.delete")},
    {MATCH("GET", "/api/v1/users/42", "users.get"), .text = {"42"}, .id = {42}},
    {MATCH("PATCH", "/api/v1/users/42", "users.patch"), .text = {"42"},
     .id = {42}},
    {MATCH("PUT", "/api/v1/evaluations/7/pool/1.2.3/comparison",
	   "comparison.put"),
     .text = {"7", "1.2.3"}, .id = {7, 0}},
    {MATCH("PUT", "/api/v1/meetings/3/rounds/12/ballot", "ballot.put"),
     .text = {"3", "12"}, .id = {3, 12}},
    {MATCH("GET", "/api/v1/meetings/3/rounds/12/ballot", "ballot.get"),
     .text = {"3", "12"}, .id = {3, 12}},
    {MATCH("GET", "/api/v1/evaluations/9/verdict/preview", "verdict.preview"),
     .text = {"9"}, .id = {9}},
    {MATCH("POST", "/api/v1/evaluations/9/verdict", "verdict.create"),
     .text = {"9"}, .id = {9}},
    {MATCH("GET", "/api/v1/templates/ywtb", "templates.get"), .text = {"ywtb"}},
    /* Segments are compared decoded, literals included. */
    {MATCH("GET", "/api/%761/healthz", "healthz")},
    {MATCH("GET", "/api/v1/users/%31%32", "users.get"), .text = {"12"},
     .id = {12}},
    {MATCH("GET", "/api/v1/templates/a%20b", "templates.get"), .text = {"a b"}},
    {MATCH("GET", "/api/v1/templates/a+b", "templates.get"), .text = {"a+b"}},
    {MATCH("GET", "/api/v1/templates/...", "templates.get"), .text = {"..."}},
    {MATCH("GET", "/api/v1/templates/%3F", "templates.get"), .text = {"?"}},
    /* Only len bytes are read. */
    {MATCH("GET", "/api/v1/healthzXYZ", "healthz"), .len = 15},

    /* {id}: 1..18 digits, no sign, no leading zero; else not an id. */
    {MATCH("GET", "/api/v1/users/123456789012345678", "users.get"),
     .text = {"123456789012345678"}, .id = {INT64_C(123456789012345678)}},
    {MATCH("GET", "/api/v1/users/999999999999999999", "users.get"),
     .text = {"999999999999999999"}, .id = {INT64_C(999999999999999999)}},
    {MISS("GET", "/api/v1/users/1234567890123456789")},
    {MISS("GET", "/api/v1/users/9223372036854775808")},
    {MISS("GET", "/api/v1/users/0")},
    {MISS("GET", "/api/v1/users/01")},
    {MISS("GET", "/api/v1/users/-1")},
    {MISS("GET", "/api/v1/users/+1")},
    {MISS("GET", "/api/v1/users/1e3")},
    {MISS("GET", "/api/v1/users/0x10")},
    {MISS("GET", "/api/v1/users/1%20")},
    {MISS("GET", "/api/v1/meetings/3/rounds/x/ballot")},
    /* {code}: tbl_code_valid. */
    {MISS("PUT", "/api/v1/evaluations/7/pool/1.02/comparison")},
    {MISS("PUT", "/api/v1/evaluations/7/pool/1..2/comparison")},
    {MISS("PUT", "/api/v1/evaluations/7/pool/1.2.3.4.5.6.7/comparison")},
    /* Table order decides between placeholders that fit. */
    {MATCH("GET", "/api/v1/lookup/5", "lookup.id"), .text = {"5"}, .id = {5}},
    {MATCH("GET", "/api/v1/lookup/1.2", "lookup.code"), .text = {"1.2"}},
    {MATCH("GET", "/api/v1/lookup/0", "lookup.key"), .text = {"0"}},
    {MATCH("GET", "/api/v1/lookup/abc", "lookup.key"), .text = {"abc"}},

    /* Not found: no pattern has the path. */
    {MISS("GET", "/")},
    {MISS("GET", "/api/v1")},
    {MISS("GET", "/api/v1/nope")},
    {MISS("GET", "/api/v1/healthz/extra")},
    {MISS("GET", "/API/v1/healthz")},
    /* A single trailing slash is well-formed but names nothing. */
    {MISS("GET", "/api/v1/users/")},
    {MISS("GET", "/api/v1/healthz/")},

    /* HEAD is answered wherever GET is, by the GET route. */
    {MATCH("HEAD", "/api/v1/healthz", "healthz")},
    {MATCH("HEAD", "/api/v1/users/5", "users.get"), .text = {"5"}, .id = {5}},

    /* 405 with every method of the path, HEAD only beside GET. */
    {NOT_ALLOWED("PUT", "/api/v1/users", "GET, HEAD, POST")},
    {NOT_ALLOWED("OPTIONS", "/api/v1/users", "GET, HEAD, POST")},
    {NOT_ALLOWED("DELETE", "/api/v1/users/5", "GET, HEAD, PATCH")},
    {NOT_ALLOWED("POST", "/api/v1/meetings/3/rounds/1/ballot",
		 "GET, HEAD, PUT")},
    {NOT_ALLOWED("GET", "/api/v1/evaluations/7/pool/1.2/comparison", "PUT")},
    {NOT_ALLOWED("HEAD", "/api/v1/sessions", "POST")},
    {NOT_ALLOWED("GET", "/api/v1/sessions/current", "DELETE")},
    /* A method the server does not know (0) matches no route. */
    {NOT_ALLOWED("TRACE", "/api/v1/healthz", "GET, HEAD")},
    {NOT_ALLOWED("get", "/api/v1/healthz", "GET, HEAD")},
    {MISS("TRACE", "/api/v1/nope")},

    /* Malformed: NUL, raw or decoded, never cuts a path short. */
    {BAD("/api/v1/healthz\0junk"), .len = 20},
    {BAD("/api/v1/healthz%00junk")},
    {BAD("/api/v1/templates/%00")},
    /* A decoded '/' would move the segment boundary. */
    {BAD("/api/v1/templates/a%2Fb")},
    {BAD("/api/v1/templates/a%2fb")},
    {BAD("/api%2Fv1/healthz")},
    /* Bad or truncated escapes. */
    {BAD("/api/v1/templates/%zz")},
    {BAD("/api/v1/templates/%4")},
    {BAD("/api/v1/templates/%")},
    {BAD("/api/v1/templates/%4g")},
    {BAD("/api/v1/templates/%%41")},
    {BAD("/api/v1/templates/a%")},
    /* Dot segments, raw or encoded. */
    {BAD("/api/v1/../v1/healthz")},
    {BAD("/api/v1/templates/..")},
    {BAD("/api/v1/templates/.")},
    {BAD("/api/v1/templates/%2e%2e")},
    {BAD("/api/v1/templates/%2E")},
    {BAD("/api/v1/templates/.%2e")},
    /* Empty segments. */
    {BAD("//")},
    {BAD("//api/v1/healthz")},
    {BAD("/api//v1/healthz")},
    {BAD("/api/v1/users//")},
    /* Something is wrong before the trailing slash: still malformed. */
    {BAD("/api/v1/users/%zz/")},
    /* Not a path, or with what the caller should have stripped. */
    {BAD("")},
    {BAD("api/v1/healthz")},
    {BAD("/api/v1/healthz?x=1")},
    {BAD("/api/v1/healthz#top")},
    /* Raw and decoded control characters and spaces. */
    {BAD("/api/v1/he althz")},
    {BAD("/api/v1/healthz\t")},
    {BAD("/api/v1/healthz\r\n")},
    {BAD("/api/v1/healthz\x7f")},
    {BAD("/api/v1/templates/%09")},
    {BAD("/api/v1/templates/%0A")},
    {BAD("/api/v1/templates/%1F")},
    {BAD("/api/v1/templates/%7F")},

    /* UTF-8 in a {key}, encoded or raw. */
    {MATCH("GET", "/api/v1/templates/%E8%AF%84%E5%AE%A1", "templates.get"),
     .text = {"评审"}},
    {MATCH("GET", "/api/v1/templates/%e8%af%84%e5%ae%a1", "templates.get"),
     .text = {"评审"}},
    {MATCH("GET", "/api/v1/templates/评审", "templates.get"), .text = {"评审"}},
    {MATCH("GET", "/api/v1/templates/caf%C3%A9", "templates.get"),
     .text = {"café"}},
    {MATCH("GET", "/api/v1/templates/%F0%9F%98%80", "templates.get"),
     .text = {"\xf0\x9f\x98\x80"}},
    {MATCH("GET", "/api/v1/templates/%F4%8F%BF%BF", "templates.get"),
     .text = {"\xf4\x8f\xbf\xbf"}},
    /* Invalid UTF-8: overlong, surrogate, never-valid bytes, > U+10FFFF,
     * truncated and stray continuation bytes. */
    {BAD("/api/v1/templates/%C0%AF")},
    {BAD("/api/v1/templates/%C1%BF")},
    {BAD("/api/v1/templates/%E0%80%AF")},
    {BAD("/api/v1/templates/%F0%80%80%AF")},
    {BAD("/api/v1/templates/%ED%A0%80")},
    {BAD("/api/v1/templates/%ED%BF%BF")},
    {BAD("/api/v1/templates/%FF")},
    {BAD("/api/v1/templates/%FE")},
    {BAD("/api/v1/templates/%F5%80%80%80")},
    {BAD("/api/v1/templates/%F4%90%80%80")},
    {BAD("/api/v1/templates/%E8%AF")},
    {BAD("/api/v1/templates/%E8%AFx")},
    {BAD("/api/v1/templates/%80")},
    {BAD("/api/v1/templates/\xe8\xaf")},
    {BAD("/api/v1/templates/\xc0\xaf")},
};

#define N_ROUTE_CASES (sizeof route_cases / sizeof route_cases[0])

/* Checks one case; fail_msg names the case, as an assert would not. */
static void
check_route_case(const struct route_case *c)
{
	struct route_match m;
	size_t len = c->len ? c->len : strlen(c->path);
	size_t n_params = 0;
	enum router_status st;
	char allow[64];

	st = router_match(api, N_API, router_method_parse(c->method), c->path,
			  len, &m);
	if (st != c->want)
		fail_msg("%s %s: status %d, want %d", c->method, c->path, st,
			 c->want);
	if (st != ROUTER_OK) {
		if (m.route != NULL || m.n_params != 0)
			fail_msg("%s %s: a route or params without a match",
				 c->method, c->path);
	}
	if (st == ROUTER_METHOD_NOT_ALLOWED) {
		router_allow_header(m.allowed, allow, sizeof allow);
		if (strcmp(allow, c->allow) != 0)
			fail_msg("%s %s: Allow \"%s\", want \"%s\"", c->method,
				 c->path, allow, c->allow);
	}
	if (st != ROUTER_OK)
		return;
	if (m.route == NULL || strcmp(m.route->handler, c->handler) != 0)
		fail_msg("%s %s: route %s, want %s", c->method, c->path,
			 m.route ? (const char *)m.route->handler : "none",
			 c->handler);
	while (n_params < ROUTER_MAX_PARAMS && c->text[n_params] != NULL)
		n_params++;
	if (m.n_params != n_params)
		fail_msg("%s %s: %zu params, want %zu", c->method, c->path,
			 m.n_params, n_params);
	for (size_t i = 0; i < n_params; i++)
		if (strcmp(m.params[i].text, c->text[i]) != 0 ||
		    m.params[i].id != c->id[i])
			fail_msg("%s %s: param %zu is \"%s\" (%lld), want "
				 "\"%s\" (%lld)",
				 c->method, c->path, i, m.params[i].text,
				 (long long)m.params[i].id, c->text[i],
				 (long long)c->id[i]);
}

static void
test_route_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ROUTE_CASES; i++)
		check_route_case(&route_cases[i]);
}

/* Fills buf with "/a" repeated, then cuts it to len bytes. */
static void
fill_segments(char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = i % 2 == 0 ? '/' : 'a';
	buf[len] = '\0';
}

/* ROUTER_MAX_PATH bytes pass the decoder (then miss); one more is refused. */
static void
test_path_length_limit(void **state)
{
	char path[ROUTER_MAX_PATH + 2];
	struct route_match m;

	(void)state;
	fill_segments(path, ROUTER_MAX_PATH);
	assert_int_equal(
	    router_match(api, N_API, ROUTER_GET, path, ROUTER_MAX_PATH, &m),
	    ROUTER_NOT_FOUND);
	fill_segments(path, ROUTER_MAX_PATH + 1);
	assert_int_equal(
	    router_match(api, N_API, ROUTER_GET, path, ROUTER_MAX_PATH + 1, &m),
	    ROUTER_BAD_PATH);
}

/* Matches GET /api/v1/templates/ followed by seg. */
static enum router_status
match_template(const char *seg, struct route_match *m)
{
	char path[ROUTER_MAX_PATH + 1];
	int n = snprintf(path, sizeof path, "/api/v1/templates/%s", seg);

	assert_true(n > 0 && (size_t)n < sizeof path);
	return router_match(api, N_API, ROUTER_GET, path, (size_t)n, m);
}

/* The limit is on decoded bytes: 128 raw or 128 escaped pass, 129 do not. */
static void
test_segment_length_limit(void **state)
{
	char seg[3 * (ROUTER_MAX_PARAM_LEN + 1) + 1];
	struct route_match m;

	(void)state;
	memset(seg, 'k', ROUTER_MAX_PARAM_LEN);
	seg[ROUTER_MAX_PARAM_LEN] = '\0';
	assert_int_equal(match_template(seg, &m), ROUTER_OK);
	assert_int_equal(strlen(m.params[0].text), ROUTER_MAX_PARAM_LEN);
	seg[ROUTER_MAX_PARAM_LEN] = 'k';
	seg[ROUTER_MAX_PARAM_LEN + 1] = '\0';
	assert_int_equal(match_template(seg, &m), ROUTER_BAD_PATH);

	for (size_t i = 0; i < ROUTER_MAX_PARAM_LEN; i++)
		memcpy(seg + 3 * i, "%41", 3);
	seg[3 * ROUTER_MAX_PARAM_LEN] = '\0';
	assert_int_equal(match_template(seg, &m), ROUTER_OK);
	assert_int_equal(strlen(m.params[0].text), ROUTER_MAX_PARAM_LEN);
	assert_int_equal(m.params[0].text[0], 'A');
	strcat(seg, "%41");
	assert_int_equal(match_template(seg, &m), ROUTER_BAD_PATH);

	/* Four bytes of UTF-8 that would cross the limit are refused whole. */
	memset(seg, 'k', ROUTER_MAX_PARAM_LEN - 2);
	strcpy(seg + ROUTER_MAX_PARAM_LEN - 2, "%F0%9F%98%80");
	assert_int_equal(match_template(seg, &m), ROUTER_BAD_PATH);
}

/* The root route, and patterns the router refuses to honour. */
static void
test_odd_patterns(void **state)
{
	static const struct route odd[] = {
	    {ROUTER_GET, "/", "root", 0},
	    {ROUTER_GET, "/bogus/{name}", "bogus", 0},
	    {ROUTER_GET, "/five/{key}/{key}/{key}/{key}/{key}", "five", 0},
	    {ROUTER_GET, "/four/{key}/{key}/{key}/{key}", "four", 0},
	    {ROUTER_GET, "relative", "relative", 0},
	    {ROUTER_GET, NULL, "null", 0},
	    {ROUTER_GET, "/slash/", "slash", 0},
	};
	size_t n = sizeof odd / sizeof odd[0];
	struct route_match m;

	(void)state;
	assert_int_equal(router_match(odd, n, ROUTER_GET, "/", 1, &m),
			 ROUTER_OK);
	assert_string_equal(m.route->handler, "root");
	assert_int_equal(m.n_params, 0);
	assert_int_equal(router_match(odd, n, ROUTER_POST, "/", 1, &m),
			 ROUTER_METHOD_NOT_ALLOWED);
	assert_int_equal(m.allowed, ROUTER_GET | ROUTER_HEAD);
	assert_int_equal(router_match(odd, n, ROUTER_GET, "/bogus/x", 8, &m),
			 ROUTER_NOT_FOUND);
	assert_int_equal(
	    router_match(odd, n, ROUTER_GET, "/five/a/b/c/d/e", 15, &m),
	    ROUTER_NOT_FOUND);
	assert_int_equal(
	    router_match(odd, n, ROUTER_GET, "/four/a/b/c/d", 13, &m),
	    ROUTER_OK);
	assert_int_equal(m.n_params, 4);
	assert_string_equal(m.params[3].text, "d");
	assert_int_equal(router_match(odd, n, ROUTER_GET, "/relative", 9, &m),
			 ROUTER_NOT_FOUND);
	assert_int_equal(router_match(odd, n, ROUTER_GET, "/slash/", 7, &m),
			 ROUTER_NOT_FOUND);
	assert_int_equal(router_match(odd, n, ROUTER_GET, "/slash", 6, &m),
			 ROUTER_NOT_FOUND);
	assert_int_equal(router_match(NULL, 0, ROUTER_GET, "/", 1, &m),
			 ROUTER_NOT_FOUND);
	assert_int_equal(router_match(odd, n, ROUTER_GET, NULL, 0, &m),
			 ROUTER_BAD_PATH);
}

/* A GET route earlier in the table answers HEAD before a HEAD route. */
static void
test_head_takes_the_first_get_or_head_route(void **state)
{
	static const struct route t[] = {
	    {ROUTER_GET, "/x", "get", 0},
	    {ROUTER_HEAD, "/x", "head", 0},
	    {ROUTER_HEAD, "/y", "head-only", 0},
	};
	struct route_match m;

	(void)state;
	assert_int_equal(router_match(t, 3, ROUTER_HEAD, "/x", 2, &m),
			 ROUTER_OK);
	assert_string_equal(m.route->handler, "get");
	assert_int_equal(router_match(t, 3, ROUTER_HEAD, "/y", 2, &m),
			 ROUTER_OK);
	assert_string_equal(m.route->handler, "head-only");
	/* HEAD alone does not bring GET with it. */
	assert_int_equal(router_match(t, 3, ROUTER_GET, "/y", 2, &m),
			 ROUTER_METHOD_NOT_ALLOWED);
	assert_int_equal(m.allowed, ROUTER_HEAD);
}

static void
test_method_parse(void **state)
{
	(void)state;
	assert_int_equal(router_method_parse("GET"), ROUTER_GET);
	assert_int_equal(router_method_parse("HEAD"), ROUTER_HEAD);
	assert_int_equal(router_method_parse("POST"), ROUTER_POST);
	assert_int_equal(router_method_parse("PUT"), ROUTER_PUT);
	assert_int_equal(router_method_parse("PATCH"), ROUTER_PATCH);
	assert_int_equal(router_method_parse("DELETE"), ROUTER_DELETE);
	assert_int_equal(router_method_parse("OPTIONS"), ROUTER_OPTIONS);
	assert_int_equal(router_method_parse("get"), 0);
	assert_int_equal(router_method_parse("GET "), 0);
	assert_int_equal(router_method_parse("GETS"), 0);
	assert_int_equal(router_method_parse("TRACE"), 0);
	assert_int_equal(router_method_parse("CONNECT"), 0);
	assert_int_equal(router_method_parse(""), 0);
	assert_int_equal(router_method_parse(NULL), 0);
}

static void
test_allow_header(void **state)
{
	static const char all[] =
	    "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS";
	char buf[64];

	(void)state;
	router_allow_header(0x7f, buf, sizeof buf);
	assert_string_equal(buf, all);
	router_allow_header(ROUTER_DELETE | ROUTER_GET, buf, sizeof buf);
	assert_string_equal(buf, "GET, DELETE");
	router_allow_header(ROUTER_OPTIONS, buf, sizeof buf);
	assert_string_equal(buf, "OPTIONS");
	router_allow_header(0, buf, sizeof buf);
	assert_string_equal(buf, "");
	/* Exactly enough room, then one byte short: all or nothing. */
	router_allow_header(0x7f, buf, sizeof all);
	assert_string_equal(buf, all);
	router_allow_header(0x7f, buf, sizeof all - 1);
	assert_string_equal(buf, "");
	router_allow_header(ROUTER_GET, buf, 4);
	assert_string_equal(buf, "GET");
	router_allow_header(ROUTER_GET, buf, 3);
	assert_string_equal(buf, "");
	buf[0] = 'x';
	router_allow_header(ROUTER_GET, buf, 0);
	assert_int_equal(buf[0], 'x');
}

struct query_case {
	const char *q;
	size_t len; /* 0: strlen(q) */
	bool ok;
	size_t n;
	const char *kv[6]; /* key, value, ... in order */
};

static const struct query_case query_cases[] = {
    {"", 0, true, 0, {NULL}},
    {"limit=10&after=abc", 0, true, 2, {"limit", "10", "after", "abc"}},
    {"role=expert", 0, true, 1, {"role", "expert"}},
    {"q=a+b%20c", 0, true, 1, {"q", "a b c"}},
    {"a%2Bb=%2B", 0, true, 1, {"a+b", "+"}},
    {"first+name=x", 0, true, 1, {"first name", "x"}},
    {"flag", 0, true, 1, {"flag", ""}},
    {"flag&x=1", 0, true, 2, {"flag", "", "x", "1"}},
    {"a=", 0, true, 1, {"a", ""}},
    {"a=b=c", 0, true, 1, {"a", "b=c"}},
    {"after=/x/y?z", 0, true, 1, {"after", "/x/y?z"}},
    {"after=%2F", 0, true, 1, {"after", "/"}},
    {"name=%E8%AF%84%E5%AE%A1", 0, true, 1, {"name", "评审"}},
    {"name=%e8%af%84%e5%ae%a1", 0, true, 1, {"name", "评审"}},
    {"caf%C3%A9=%C2%B0", 0, true, 1, {"café", "°"}},
    {"a=1&b=2&c=3", 0, true, 3, {"a", "1", "b", "2", "c", "3"}},
    /* len is the end, not a NUL. */
    {"a=1&junk", 3, true, 1, {"a", "1"}},
    /* Empty pieces and keys. */
    {"a=1&&b=2", 0, false, 0, {NULL}},
    {"&a=1", 0, false, 0, {NULL}},
    {"a=1&", 0, false, 0, {NULL}},
    {"&", 0, false, 0, {NULL}},
    {"=1", 0, false, 0, {NULL}},
    {"=", 0, false, 0, {NULL}},
    /* Duplicates, also once decoded. */
    {"a=1&a=2", 0, false, 0, {NULL}},
    {"a=1&a", 0, false, 0, {NULL}},
    {"a+b=1&a%20b=2", 0, false, 0, {NULL}},
    /* Bad escapes. */
    {"a=%zz", 0, false, 0, {NULL}},
    {"a=%4", 0, false, 0, {NULL}},
    {"a=%", 0, false, 0, {NULL}},
    {"%=1", 0, false, 0, {NULL}},
    {"a=%4g", 0, false, 0, {NULL}},
    /* NUL and control characters, decoded or raw. */
    {"a=%00", 0, false, 0, {NULL}},
    {"a%00=1", 0, false, 0, {NULL}},
    {"a=b\0c", 5, false, 0, {NULL}},
    {"a=%0A", 0, false, 0, {NULL}},
    {"a=%0d%0a", 0, false, 0, {NULL}},
    {"a=%7F", 0, false, 0, {NULL}},
    {"a=b c", 0, false, 0, {NULL}},
    {"a=b\tc", 0, false, 0, {NULL}},
    {"a=b#c", 0, false, 0, {NULL}},
    /* Invalid UTF-8. */
    {"a=%C0%AF", 0, false, 0, {NULL}},
    {"a=%ED%A0%80", 0, false, 0, {NULL}},
    {"a=%FF", 0, false, 0, {NULL}},
    {"a=%E8%AF", 0, false, 0, {NULL}},
    {"a=\xff", 0, false, 0, {NULL}},
};

#define N_QUERY_CASES (sizeof query_cases / sizeof query_cases[0])

static void
test_query_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_QUERY_CASES; i++) {
		const struct query_case *c = &query_cases[i];
		struct router_query q;
		size_t len = c->len ? c->len : strlen(c->q);
		bool ok = router_query_parse(c->q, len, &q);

		if (ok != c->ok)
			fail_msg("\"%s\": %s, want %s", c->q,
				 ok ? "ok" : "refused",
				 c->ok ? "ok" : "refused");
		if (q.n != c->n)
			fail_msg("\"%s\": %zu pairs, want %zu", c->q, q.n,
				 c->n);
		for (size_t k = 0; k < c->n; k++) {
			const char *v = router_query_get(&q, c->kv[2 * k]);

			if (strcmp(q.pairs[k].key, c->kv[2 * k]) != 0 ||
			    v == NULL || strcmp(v, c->kv[2 * k + 1]) != 0)
				fail_msg("\"%s\": pair %zu is %s=%s", c->q, k,
					 q.pairs[k].key, q.pairs[k].value);
		}
	}
}

/* ROUTER_MAX_QUERY pairs parse; one more is refused, and leaves none. */
static void
test_query_too_many_pairs(void **state)
{
	char buf[256];
	size_t len = 0;
	struct router_query q;

	(void)state;
	for (int i = 0; i < ROUTER_MAX_QUERY; i++)
		len += (size_t)snprintf(buf + len, sizeof buf - len, "%sk%d=%d",
					i ? "&" : "", i, i);
	assert_true(router_query_parse(buf, len, &q));
	assert_int_equal(q.n, ROUTER_MAX_QUERY);
	assert_string_equal(router_query_get(&q, "k15"), "15");
	len += (size_t)snprintf(buf + len, sizeof buf - len, "&k16=16");
	assert_false(router_query_parse(buf, len, &q));
	assert_int_equal(q.n, 0);
	assert_null(router_query_get(&q, "k0"));
}

/* Keys and values are limited after decoding, like path segments. */
static void
test_query_length_limit(void **state)
{
	char buf[4 * ROUTER_MAX_PARAM_LEN];
	struct router_query q;
	size_t n = ROUTER_MAX_PARAM_LEN;

	(void)state;
	memset(buf, 'k', n);
	buf[n] = '=';
	assert_true(router_query_parse(buf, n + 1, &q));
	assert_int_equal(strlen(q.pairs[0].key), ROUTER_MAX_PARAM_LEN);
	buf[n] = 'k';
	assert_false(router_query_parse(buf, n + 1, &q));

	memcpy(buf, "v=", 2);
	memset(buf + 2, '+', n);
	assert_true(router_query_parse(buf, n + 2, &q));
	assert_int_equal(strlen(router_query_get(&q, "v")),
			 ROUTER_MAX_PARAM_LEN);
	buf[n + 2] = '+';
	assert_false(router_query_parse(buf, n + 3, &q));

	for (size_t i = 0; i < n; i++)
		memcpy(buf + 2 + 3 * i, "%41", 3);
	assert_true(router_query_parse(buf, 2 + 3 * n, &q));
	memcpy(buf + 2 + 3 * n, "%41", 3);
	assert_false(router_query_parse(buf, 5 + 3 * n, &q));
}

static void
test_query_get(void **state)
{
	struct router_query q;

	(void)state;
	assert_true(router_query_parse("a=1&b", 5, &q));
	assert_string_equal(router_query_get(&q, "a"), "1");
	assert_string_equal(router_query_get(&q, "b"), "");
	assert_null(router_query_get(&q, "c"));
	assert_null(router_query_get(&q, "A"));
	assert_null(router_query_get(&q, ""));
	assert_null(router_query_get(&q, NULL));
	assert_false(router_query_parse(NULL, 1, &q));
	assert_true(router_query_parse(NULL, 0, &q));
	assert_int_equal(q.n, 0);
	assert_null(router_query_get(&q, "a"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_route_cases),
	    cmocka_unit_test(test_path_length_limit),
	    cmocka_unit_test(test_segment_length_limit),
	    cmocka_unit_test(test_odd_patterns),
	    cmocka_unit_test(test_head_takes_the_first_get_or_head_route),
	    cmocka_unit_test(test_method_parse),
	    cmocka_unit_test(test_allow_header),
	    cmocka_unit_test(test_query_cases),
	    cmocka_unit_test(test_query_too_many_pairs),
	    cmocka_unit_test(test_query_length_limit),
	    cmocka_unit_test(test_query_get),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
