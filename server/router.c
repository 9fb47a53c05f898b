/*
 * The router: decodes the raw request path once, strictly, then matches the
 * decoded segments against the route table.  Every byte of input is checked
 * against an explicit length, never a NUL, because evhttp hands us paths such
 * as "/path%00junk" that a C string would silently cut short.  Nothing here
 * allocates: it runs on every request and is fuzzed.
 */
#include "router.h"

#include <string.h>

#include "table.h"

/*
 * The decoded path: each segment NUL-terminated in buf, back to back.  A
 * segment decodes to no more bytes than its raw form, and its NUL takes the
 * place of the '/' before it, so buf never needs more than the raw path; and
 * as every stored segment is at least "/x", there are at most half as many
 * segments as bytes.
 */
struct router_path {
	char buf[ROUTER_MAX_PATH];
	uint16_t off[ROUTER_MAX_PATH / 2];
	uint16_t len[ROUTER_MAX_PATH / 2];
	size_t n;
};

/* How router_decode treats what it reads. */
enum router_decode_mode {
	ROUTER_DECODE_SEGMENT, /* a path segment: no '?', no decoded '/' */
	ROUTER_DECODE_QUERY,   /* a query key or value: '+' is a space */
};

static const struct {
	int method;
	const char *name;
} router_methods[] = {
    {ROUTER_GET, "GET"},	 {ROUTER_HEAD, "HEAD"},
    {ROUTER_POST, "POST"},	 {ROUTER_PUT, "PUT"},
    {ROUTER_PATCH, "PATCH"},	 {ROUTER_DELETE, "DELETE"},
    {ROUTER_OPTIONS, "OPTIONS"},
};

#define ROUTER_N_METHODS (sizeof router_methods / sizeof router_methods[0])

/* The value of a hex digit, or -1. */
static int
router_hex(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * True when s[0..n) is well-formed UTF-8 as Unicode's table 3-7 defines it:
 * no overlong forms, no surrogates, nothing above U+10FFFF.  The second
 * byte's range depends on the lead byte; that is where those three hide.
 */
static bool
router_utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = s[i];
		unsigned char lo = 0x80, hi = 0xbf;
		size_t more;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			more = 1;
		} else if (c >= 0xe0 && c <= 0xef) {
			more = 2;
			if (c == 0xe0)
				lo = 0xa0;
			else if (c == 0xed)
				hi = 0x9f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			more = 3;
			if (c == 0xf0)
				lo = 0x90;
			else if (c == 0xf4)
				hi = 0x8f;
		} else {
			return false;
		}
		if (n - i - 1 < more)
			return false;
		if (s[i + 1] < lo || s[i + 1] > hi)
			return false;
		for (size_t k = 2; k <= more; k++)
			if (s[i + k] < 0x80 || s[i + k] > 0xbf)
				return false;
		i += more + 1;
	}
	return true;
}

/*
 * Percent-decodes src[0..len) into dst, which holds ROUTER_MAX_PARAM_LEN
 * bytes and a NUL.  Refuses raw spaces, controls and '#', bad escapes,
 * decoded NUL and control characters, too many bytes and invalid UTF-8, so
 * that what a handler reads is always printable text.  Raw bytes from 0x80 up
 * are let through to the UTF-8 check: clients that send UTF-8 unescaped get
 * the same answer as those that escape it.
 */
static bool
router_decode(const char *src, size_t len, enum router_decode_mode mode,
	      char *dst, size_t *dlen)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)src[i];

		if (c < 0x21 || c == 0x7f || c == '#')
			return false;
		if (c == '?' && mode == ROUTER_DECODE_SEGMENT)
			return false;
		if (c == '%') {
			int h, l;

			if (len - i < 3)
				return false;
			h = router_hex((unsigned char)src[i + 1]);
			l = router_hex((unsigned char)src[i + 2]);
			if (h < 0 || l < 0)
				return false;
			c = (unsigned char)(h << 4 | l);
			i += 2;
		} else if (c == '+' && mode == ROUTER_DECODE_QUERY) {
			c = ' ';
		}
		if (c < 0x20 || c == 0x7f)
			return false;
		if (c == '/' && mode == ROUTER_DECODE_SEGMENT)
			return false;
		if (n == ROUTER_MAX_PARAM_LEN)
			return false;
		dst[n++] = (char)c;
	}
	dst[n] = '\0';
	if (!router_utf8_valid((const unsigned char *)dst, n))
		return false;
	*dlen = n;
	return true;
}

/*
 * Splits and decodes the raw path into p.  Returns ROUTER_BAD_PATH for
 * anything malformed anywhere in the path, checked before the trailing
 * slash, so a bad path is refused the same way whatever it ends with;
 * ROUTER_NOT_FOUND for a single trailing slash ("/api/v1/users/"), which
 * names no resource of ours.
 */
static enum router_status
router_path_decode(const char *path, size_t len, struct router_path *p)
{
	size_t i = 1, w = 0;
	bool trailing = false;

	p->n = 0;
	if (path == NULL || len == 0 || len > ROUTER_MAX_PATH || path[0] != '/')
		return ROUTER_BAD_PATH;
	while (i <= len) {
		size_t j = i, dlen;
		char *seg = p->buf + w;

		while (j < len && path[j] != '/')
			j++;
		if (j == i) {
			if (j < len)
				return ROUTER_BAD_PATH; /* "//" */
			/* "/" alone is the root, with no segments at all. */
			trailing = p->n > 0;
			break;
		}
		/* w < i and decoding never grows, so seg fits in buf[w..j). */
		if (!router_decode(path + i, j - i, ROUTER_DECODE_SEGMENT, seg,
				   &dlen))
			return ROUTER_BAD_PATH;
		if (strcmp(seg, ".") == 0 || strcmp(seg, "..") == 0)
			return ROUTER_BAD_PATH;
		p->off[p->n] = (uint16_t)w;
		p->len[p->n] = (uint16_t)dlen;
		p->n++;
		w += dlen + 1;
		i = j + 1;
	}
	return trailing ? ROUTER_NOT_FOUND : ROUTER_OK;
}

/* Parses an {id}: 1..18 digits, no leading zero, so it always fits. */
static bool
router_parse_id(const char *s, size_t len, int64_t *id)
{
	int64_t v = 0;

	if (len == 0 || len > 18 || s[0] < '1' || s[0] > '9')
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*id = v;
	return true;
}

/* True when the pattern segment pat[0..plen) names exactly word. */
static bool
router_seg_is(const char *pat, size_t plen, const char *word)
{
	return plen == strlen(word) && memcmp(pat, word, plen) == 0;
}

/*
 * True when pattern segment pat[0..plen) accepts decoded segment seg; fills
 * *param when pat is a placeholder.  An unknown "{...}" accepts nothing, so
 * a typo in the table shows up as a 404 in its test rather than as a
 * placeholder that matches anything.
 */
static bool
router_seg_match(const char *pat, size_t plen, const char *seg, size_t slen,
		 struct route_param *param, bool *is_param)
{
	int64_t id = 0;

	*is_param = plen > 0 && pat[0] == '{';
	if (!*is_param)
		return plen == slen && memcmp(pat, seg, slen) == 0;
	if (router_seg_is(pat, plen, "{id}")) {
		if (!router_parse_id(seg, slen, &id))
			return false;
	} else if (router_seg_is(pat, plen, "{code}")) {
		if (!tbl_code_valid(seg))
			return false;
	} else if (!router_seg_is(pat, plen, "{key}")) {
		return false;
	}
	if (param != NULL) {
		param->id = id;
		memcpy(param->text, seg, slen + 1);
	}
	return true;
}

/*
 * True when pattern matches the decoded path; when params is not NULL, the
 * placeholders' values go there.  A pattern with more placeholders than
 * ROUTER_MAX_PARAMS matches nothing rather than overflow.
 */
static bool
router_pattern_match(const char *pattern, const struct router_path *p,
		     struct route_param *params, size_t *n_params)
{
	const char *s;
	size_t k = 0, np = 0;

	if (pattern == NULL || pattern[0] != '/')
		return false;
	if (pattern[1] == '\0')
		return p->n == 0;
	s = pattern + 1;
	for (;;) {
		const char *e = s;
		bool is_param;

		while (*e != '\0' && *e != '/')
			e++;
		if (k == p->n)
			return false;
		if (np == ROUTER_MAX_PARAMS && *s == '{')
			return false;
		if (!router_seg_match(s, (size_t)(e - s), p->buf + p->off[k],
				      p->len[k], params ? &params[np] : NULL,
				      &is_param))
			return false;
		np += is_param;
		k++;
		if (*e == '\0')
			break;
		s = e + 1;
	}
	if (k != p->n)
		return false;
	if (n_params != NULL)
		*n_params = np;
	return true;
}

/* True when a route for route_method answers a request's method. */
static bool
router_answers(int route_method, int method)
{
	return route_method == method ||
	       (method == ROUTER_HEAD && route_method == ROUTER_GET);
}

enum router_status
router_match(const struct route *table, size_t n, int method, const char *path,
	     size_t len, struct route_match *out)
{
	struct router_path p;
	enum router_status st;
	int allowed = 0;

	memset(out, 0, sizeof *out);
	st = router_path_decode(path, len, &p);
	if (st != ROUTER_OK)
		return st;
	for (size_t i = 0; i < n; i++) {
		const struct route *r = &table[i];

		if (router_answers(r->method, method)) {
			if (router_pattern_match(r->pattern, &p, out->params,
						 &out->n_params)) {
				out->route = r;
				return ROUTER_OK;
			}
		} else if (router_pattern_match(r->pattern, &p, NULL, NULL)) {
			allowed |= r->method;
		}
	}
	/* A failed candidate may have filled some params before it failed. */
	memset(out->params, 0, sizeof out->params);
	out->n_params = 0;
	if (allowed == 0)
		return ROUTER_NOT_FOUND;
	if (allowed & ROUTER_GET)
		allowed |= ROUTER_HEAD;
	out->allowed = allowed;
	return ROUTER_METHOD_NOT_ALLOWED;
}

int
router_method_parse(const char *name)
{
	if (name == NULL)
		return 0;
	for (size_t i = 0; i < ROUTER_N_METHODS; i++)
		if (strcmp(name, router_methods[i].name) == 0)
			return router_methods[i].method;
	return 0;
}

/* A truncated Allow header would tell the client a wrong set: all or "". */
void
router_allow_header(int methods, char *buf, size_t len)
{
	size_t w = 0;

	if (len == 0)
		return;
	for (size_t i = 0; i < ROUTER_N_METHODS; i++) {
		size_t nl = strlen(router_methods[i].name);
		size_t sep = w > 0 ? 2 : 0;

		if (!(methods & router_methods[i].method))
			continue;
		if (len - w <= sep + nl) {
			buf[0] = '\0';
			return;
		}
		memcpy(buf + w, ", ", sep);
		memcpy(buf + w + sep, router_methods[i].name, nl);
		w += sep + nl;
	}
	buf[w] = '\0';
}

/* Decodes one "key[=value]" piece into pair n of out. */
static bool
router_query_pair(const char *s, size_t len, struct router_query *out)
{
	const char *eq = memchr(s, '=', len);
	size_t klen = eq != NULL ? (size_t)(eq - s) : len;
	size_t dlen;

	if (klen == 0 || out->n == ROUTER_MAX_QUERY)
		return false;
	if (!router_decode(s, klen, ROUTER_DECODE_QUERY, out->pairs[out->n].key,
			   &dlen))
		return false;
	if (eq == NULL)
		out->pairs[out->n].value[0] = '\0';
	else if (!router_decode(eq + 1, len - klen - 1, ROUTER_DECODE_QUERY,
				out->pairs[out->n].value, &dlen))
		return false;
	/* A repeated key would let two layers disagree on which one counts. */
	if (router_query_get(out, out->pairs[out->n].key) != NULL)
		return false;
	out->n++;
	return true;
}

bool
router_query_parse(const char *q, size_t len, struct router_query *out)
{
	size_t i = 0;

	out->n = 0;
	if (len == 0)
		return true;
	if (q == NULL)
		return false;
	for (;;) {
		size_t j = i;

		while (j < len && q[j] != '&')
			j++;
		/* "a=1&&b=2", a leading or a trailing '&'. */
		if (j == i || !router_query_pair(q + i, j - i, out)) {
			out->n = 0;
			return false;
		}
		if (j == len)
			return true;
		i = j + 1;
	}
}

const char *
router_query_get(const struct router_query *q, const char *key)
{
	if (q == NULL || key == NULL)
		return NULL;
	for (size_t i = 0; i < q->n; i++)
		if (strcmp(q->pairs[i].key, key) == 0)
			return q->pairs[i].value;
	return NULL;
}
