/*
 * The router: method + path pattern → handler, with our own decoding.
 * evhttp's dispatch lets "/path%00junk" reach "/path" (NOTES.md), so the
 * raw URI path is decoded here segment by segment with length checks, and
 * anything malformed is refused before a handler sees it.
 *
 * Patterns are literal segments and placeholders:
 *   {id}   a positive decimal integer that fits in int64 (no sign, no
 *          leading zero, at most 18 digits)
 *   {code} an indicator code such as 1.2.3 (workflow/table.h tbl_code_valid)
 *   {key}  any decoded segment of 1..128 bytes without NUL or '/'
 * e.g. "/api/v1/meetings/{id}/rounds/{id}/ballot".  A segment that does not
 * have a placeholder's shape (id "0", "01", "-1", 19 digits) does not match
 * that pattern, so another may; if none does, the answer is 404.  Any other
 * "{...}" in a pattern matches nothing.
 *
 * A raw path is refused as ROUTER_BAD_PATH unless it starts with '/', has at
 * most ROUTER_MAX_PATH bytes, none below 0x21, no 0x7f, '?' or '#', and every
 * segment between slashes percent-decodes ("%XX", either case) to 1..128
 * bytes of valid UTF-8 (no overlongs, surrogates or code points above
 * U+10FFFF) with no NUL, '/' or control character, and is not "." or "..".
 * Empty segments ("//") are malformed; a single trailing slash
 * ("/api/v1/users/") is a well-formed path that names nothing: 404.  "/" is
 * the path with no segments.  Literal segments compare with the decoded
 * bytes.
 */
#ifndef PINGSHEN_ROUTER_H
#define PINGSHEN_ROUTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ROUTER_MAX_PATH	     2048 /* bytes of the raw path */
#define ROUTER_MAX_PARAMS    4	  /* placeholders in one pattern */
#define ROUTER_MAX_PARAM_LEN 128

/* Methods as bits, so a route can say what else its path allows. */
enum router_method {
	ROUTER_GET = 1 << 0,
	ROUTER_HEAD = 1 << 1,
	ROUTER_POST = 1 << 2,
	ROUTER_PUT = 1 << 3,
	ROUTER_PATCH = 1 << 4,
	ROUTER_DELETE = 1 << 5,
	ROUTER_OPTIONS = 1 << 6,
};

struct route {
	int method;	     /* one ROUTER_* bit */
	const char *pattern; /* static */
	void *handler;	     /* opaque to the router; the server's handler */
	int flags;	     /* opaque to the router */
};

/* A placeholder's value: ids parsed, text decoded and NUL-terminated. */
struct route_param {
	int64_t id;			     /* for {id}; 0 otherwise */
	char text[ROUTER_MAX_PARAM_LEN + 1]; /* the decoded segment */
};

struct route_match {
	const struct route *route; /* points into the caller's table */
	size_t n_params;
	struct route_param params[ROUTER_MAX_PARAMS];
	int allowed; /* on ROUTER_METHOD_NOT_ALLOWED: the methods the path
		      * has, with HEAD wherever GET is; 0 otherwise */
};

enum router_status {
	ROUTER_OK,
	ROUTER_NOT_FOUND,	   /* no pattern matches the path → 404 */
	ROUTER_METHOD_NOT_ALLOWED, /* a pattern matches, not the method → 405 */
	ROUTER_BAD_PATH, /* malformed: bad escape, %00, "..", "//", too long
			  * → 400.  An {id} out of range is not malformed:
			  * it does not match, so 404, every time. */
};

/*
 * Matches the raw (still percent-encoded) path path[0..len), without its
 * query string, against table[0..n).  The whole path is checked before any
 * route, so a malformed path is ROUTER_BAD_PATH whatever the table holds.
 * method is one ROUTER_* bit; a route answers its own method, and a GET
 * route also answers HEAD.  First route in table order that answers the
 * method and matches the path wins; on ROUTER_OK, out->route and
 * out->params[0..n_params) are set, in pattern order.  Allocates nothing.
 */
enum router_status router_match(const struct route *table, size_t n, int method,
				const char *path, size_t len,
				struct route_match *out);

/* "GET" → ROUTER_GET ...; 0 for anything else. */
int router_method_parse(const char *name);
/*
 * Writes "GET, HEAD, POST" style text for an Allow header into buf, always
 * in the order GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS.  All seven need
 * 45 bytes; when buf is too small it gets "", never a partial list.
 */
void router_allow_header(int methods, char *buf, size_t len);

/*
 * A decoded query string: at most ROUTER_MAX_QUERY pairs, each key and
 * value at most ROUTER_MAX_PARAM_LEN bytes after decoding ('+' is a space),
 * no NUL, no duplicate keys.
 */
#define ROUTER_MAX_QUERY 16
struct router_query {
	size_t n;
	struct {
		char key[ROUTER_MAX_PARAM_LEN + 1];
		char value[ROUTER_MAX_PARAM_LEN + 1];
	} pairs[ROUTER_MAX_QUERY];
};

/*
 * Parses q[0..len) (without the '?'); false when malformed, and then out->n
 * is 0.  len 0 is an empty query.  Pairs are separated by '&'; a key without
 * '=' has the value "".  Keys and values decode as path segments do (no
 * NUL, no control character, valid UTF-8, raw bytes 0x21..0x7e or UTF-8, no
 * '#'), except that '/' and '?' are allowed.  Malformed too: an empty key,
 * an empty piece ("a=1&&b=2", a leading or trailing '&'), a repeated key,
 * more than ROUTER_MAX_QUERY pairs.
 */
bool router_query_parse(const char *q, size_t len, struct router_query *out);
/* The value of key, or NULL; q may be NULL (no query string). */
const char *router_query_get(const struct router_query *q, const char *key);

#endif
