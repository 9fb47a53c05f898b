/*
 * libFuzzer harness for the router: the first byte picks the method, the
 * rest is a raw path for router_match, a query for router_query_parse and,
 * cut short, a method name for router_method_parse.  Beyond the sanitizers,
 * it checks what a handler relies on: an accepted path held no byte a URI
 * may not, params are NUL-terminated and short, an {id} is the number its
 * text says, a parsed query has distinct, short keys that router_query_get
 * finds, and a method name survives the trip through the Allow header.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "router.h"

/* The real API's shapes, with placeholders that compete for one path. */
static const struct route router_fuzz_routes[] = {
    {ROUTER_GET, "/", NULL, 0},
    {ROUTER_GET, "/api/v1/healthz", NULL, 0},
    {ROUTER_POST, "/api/v1/sessions", NULL, 0},
    {ROUTER_DELETE, "/api/v1/sessions/current", NULL, 0},
    {ROUTER_GET, "/api/v1/users", NULL, 0},
    {ROUTER_POST, "/api/v1/users", NULL, 0},
    {ROUTER_GET, "/api/v1/users/{id}", NULL, 0},
    {ROUTER_PATCH, "/api/v1/users/{id}", NULL, 0},
    {ROUTER_GET, "/api/v1/templates/{key}", NULL, 0},
    {ROUTER_PUT, "/api/v1/evaluations/{id}/pool/{code}/comparison", NULL, 0},
    {ROUTER_GET, "/api/v1/meetings/{id}/rounds/{id}/ballot", NULL, 0},
    {ROUTER_PUT, "/api/v1/meetings/{id}/rounds/{id}/ballot", NULL, 0},
    {ROUTER_GET, "/{id}/{code}/{key}/{id}", NULL, 0},
    {ROUTER_OPTIONS, "/{key}", NULL, 0},
    {ROUTER_GET, "/{key}/{key}/{key}/{key}/{key}", NULL, 0},
};

#define ROUTER_FUZZ_N_ROUTES                                                   \
	(sizeof router_fuzz_routes / sizeof router_fuzz_routes[0])

/* A failed invariant is a crash, so libFuzzer keeps the input. */
static void
router_fuzz_check(int ok)
{
	if (!ok)
		abort();
}

/* True when text is the decimal form of id. */
static int
router_fuzz_id_matches(const char *text, int64_t id)
{
	int64_t v = 0;

	for (const char *p = text; *p != '\0'; p++) {
		if (*p < '0' || *p > '9' || v > INT64_MAX / 10)
			return 0;
		v = v * 10 + (*p - '0');
	}
	return id > 0 && v == id;
}

/* Checks router_match's answer against what its callers rely on. */
static void
router_fuzz_path(int method, const char *path, size_t len)
{
	struct route_match m;
	enum router_status st;
	char allow[64];

	st = router_match(router_fuzz_routes, ROUTER_FUZZ_N_ROUTES, method,
			  path, len, &m);
	router_fuzz_check(st == ROUTER_OK || st == ROUTER_NOT_FOUND ||
			  st == ROUTER_METHOD_NOT_ALLOWED ||
			  st == ROUTER_BAD_PATH);
	if (st != ROUTER_BAD_PATH) {
		router_fuzz_check(len > 0 && len <= ROUTER_MAX_PATH &&
				  path[0] == '/');
		for (size_t i = 0; i < len; i++) {
			unsigned char c = (unsigned char)path[i];

			router_fuzz_check(c > 0x20 && c != 0x7f && c != '?' &&
					  c != '#');
		}
		router_fuzz_check(len < 2 || memcmp(path, "//", 2) != 0);
	}
	if (st == ROUTER_METHOD_NOT_ALLOWED) {
		router_fuzz_check(m.allowed != 0 && m.route == NULL);
		router_allow_header(m.allowed, allow, sizeof allow);
		router_fuzz_check(strlen(allow) < sizeof allow);
	}
	if (st != ROUTER_OK) {
		router_fuzz_check(m.route == NULL && m.n_params == 0);
		return;
	}
	router_fuzz_check(m.route >= router_fuzz_routes &&
			  m.route < router_fuzz_routes + ROUTER_FUZZ_N_ROUTES);
	router_fuzz_check(
	    m.route->method == method ||
	    (method == ROUTER_HEAD && m.route->method == ROUTER_GET));
	router_fuzz_check(m.n_params <= ROUTER_MAX_PARAMS);
	for (size_t i = 0; i < m.n_params; i++) {
		size_t n = strnlen(m.params[i].text, ROUTER_MAX_PARAM_LEN + 1);

		router_fuzz_check(n >= 1 && n <= ROUTER_MAX_PARAM_LEN);
		router_fuzz_check(strcmp(m.params[i].text, ".") != 0 &&
				  strcmp(m.params[i].text, "..") != 0);
		for (size_t k = 0; k < n; k++) {
			unsigned char c = (unsigned char)m.params[i].text[k];

			router_fuzz_check(c >= 0x20 && c != 0x7f && c != '/');
		}
		router_fuzz_check(
		    m.params[i].id == 0 ||
		    router_fuzz_id_matches(m.params[i].text, m.params[i].id));
	}
}

/* Checks router_query_parse's answer the same way. */
static void
router_fuzz_query(const char *q, size_t len)
{
	struct router_query rq;

	if (!router_query_parse(q, len, &rq)) {
		router_fuzz_check(rq.n == 0);
		return;
	}
	router_fuzz_check(rq.n <= ROUTER_MAX_QUERY);
	router_fuzz_check(len == 0 || rq.n > 0);
	for (size_t i = 0; i < rq.n; i++) {
		const char *key = rq.pairs[i].key;
		size_t kn = strnlen(key, ROUTER_MAX_PARAM_LEN + 1);
		size_t vn =
		    strnlen(rq.pairs[i].value, ROUTER_MAX_PARAM_LEN + 1);

		router_fuzz_check(kn >= 1 && kn <= ROUTER_MAX_PARAM_LEN);
		router_fuzz_check(vn <= ROUTER_MAX_PARAM_LEN);
		/* Distinct keys: the lookup finds this very pair. */
		router_fuzz_check(router_query_get(&rq, key) ==
				  rq.pairs[i].value);
	}
}

/* A method name parses to one bit whose Allow text is the name again. */
static void
router_fuzz_method(const char *s, size_t len)
{
	char name[16];
	char allow[16];
	int m;

	if (len >= sizeof name)
		len = sizeof name - 1;
	memcpy(name, s, len);
	name[len] = '\0';
	m = router_method_parse(name);
	if (m == 0)
		return;
	router_fuzz_check((m & (m - 1)) == 0);
	router_allow_header(m, allow, sizeof allow);
	router_fuzz_check(strcmp(allow, name) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int methods[] = {
	    ROUTER_GET,	  ROUTER_HEAD,	 ROUTER_POST,	 ROUTER_PUT,
	    ROUTER_PATCH, ROUTER_DELETE, ROUTER_OPTIONS, 0,
	};
	int method;

	if (size == 0)
		return 0;
	method = methods[data[0] & 7];
	router_fuzz_path(method, (const char *)data + 1, size - 1);
	router_fuzz_query((const char *)data + 1, size - 1);
	router_fuzz_method((const char *)data + 1, size - 1);
	return 0;
}
