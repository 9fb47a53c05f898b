/* Field readers that answer the request when the input is wrong. */
#include "body.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "txn.h"

void
body_invalid(struct req *r, const char *field, const char *fmt, ...)
{
	char message[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof message, fmt, ap);
	va_end(ap);
	http_reply_error_details(r, 422, "invalid_field",
				 json_pack("{s:s}", "field", field), "%s",
				 message);
}

void
body_item_error(struct req *r, const char *code, const char *item,
		const char *message)
{
	http_reply_error_details(r, 422, code, json_pack("{s:s}", "item", item),
				 "%s: %s", item, message);
}

bool
body_only(struct req *r, const char *const *fields)
{
	const char *key;
	json_t *value;

	json_object_foreach(r->body, key, value)
	{
		size_t i;

		for (i = 0; fields[i] != NULL; i++) {
			if (strcmp(fields[i], key) == 0)
				break;
		}
		if (fields[i] == NULL) {
			http_reply_error_details(
			    r, 400, "unknown_field",
			    json_pack("{s:s}", "field", key),
			    "the body has a field this request does not take: "
			    "\"%.64s\"",
			    key);
			return false;
		}
	}
	return true;
}

bool
body_string(struct req *r, const char *field, bool required, size_t min,
	    size_t max, const char **out)
{
	json_t *v = json_object_get(r->body, field);
	size_t len;

	*out = NULL;
	if (v == NULL) {
		if (!required)
			return true;
		http_reply_error_details(r, 400, "bad_request",
					 json_pack("{s:s}", "field", field),
					 "\"%s\" is required", field);
		return false;
	}
	if (!json_is_string(v)) {
		http_reply_error_details(r, 400, "bad_request",
					 json_pack("{s:s}", "field", field),
					 "\"%s\" must be a string", field);
		return false;
	}
	len = json_string_length(v);
	if (len < min || len > max) {
		body_invalid(r, field, "\"%s\" must be %zu to %zu bytes long",
			     field, min, max);
		return false;
	}
	*out = json_string_value(v);
	return true;
}

bool
body_bool(struct req *r, const char *field, bool *present, bool *out)
{
	json_t *v = json_object_get(r->body, field);

	*present = v != NULL;
	if (v == NULL)
		return true;
	if (!json_is_boolean(v)) {
		http_reply_error_details(r, 400, "bad_request",
					 json_pack("{s:s}", "field", field),
					 "\"%s\" must be true or false", field);
		return false;
	}
	*out = json_is_true(v);
	return true;
}

bool
query_int(struct req *r, const char *name, int64_t min, int64_t max,
	  int64_t *out)
{
	const char *v = router_query_get(r->query, name);
	int64_t n = 0;

	if (v == NULL)
		return true;
	for (const char *p = v; *p != '\0'; p++) {
		if (*p < '0' || *p > '9' || p - v >= 18) {
			n = -1;
			break;
		}
		n = n * 10 + (*p - '0');
	}
	if (v[0] == '\0' || n < min || n > max) {
		http_reply_error_details(
		    r, 400, "bad_query", json_pack("{s:s}", "parameter", name),
		    "\"%s\" must be a whole number from %lld to %lld", name,
		    (long long)min, (long long)max);
		return false;
	}
	*out = n;
	return true;
}

bool
query_only(struct req *r, const char *const *names)
{
	for (size_t i = 0; r->query != NULL && i < r->query->n; i++) {
		size_t k;

		for (k = 0; names[k] != NULL; k++) {
			if (strcmp(names[k], r->query->pairs[i].key) == 0)
				break;
		}
		if (names[k] == NULL) {
			http_reply_error_details(
			    r, 400, "bad_query",
			    json_pack("{s:s}", "parameter",
				      r->query->pairs[i].key),
			    "unknown parameter \"%s\"", r->query->pairs[i].key);
			return false;
		}
	}
	return true;
}

/* True when s matches the digits-and-separators shape in pattern, where
 * 'd' is a digit and every other character stands for itself. */
static bool
body_shape(const char *s, const char *pattern, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (pattern[i] == 'd' ? !(s[i] >= '0' && s[i] <= '9')
				      : s[i] != pattern[i])
			return false;
	}
	return true;
}

bool
body_time(struct req *r, const char *field, bool required, const char **out)
{
	const char *s, *p;

	if (!body_string(r, field, required, 1, 64, out))
		return false;
	if (*out == NULL)
		return true; /* absent, and not required */
	s = *out;
	p = s + 19;
	if (strlen(s) < 20 || !body_shape(s, "dddd-dd-ddTdd:dd:dd", 19))
		goto bad;
	if (*p == '.') {
		const char *f = ++p;

		while (*p >= '0' && *p <= '9')
			p++;
		if (p == f || p - f > 6)
			goto bad;
	}
	if ((*p == 'Z' && p[1] == '\0') ||
	    ((*p == '+' || *p == '-') && strlen(p) == 6 &&
	     body_shape(p + 1, "dd:dd", 5)))
		return true;
bad:
	body_invalid(r, field,
		     "\"%s\" is an RFC 3339 time such as "
		     "2026-12-01T09:00:00Z",
		     field);
	return false;
}

void
page_reply(struct req *r, const PGresult *res, int64_t limit,
	   json_t *(*row)(const PGresult *res, int i))
{
	json_t *items, *next = json_null();
	int n;

	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		txn_reply_db_error(r, res);
		return;
	}
	items = json_array();
	n = PQntuples(res);
	for (int i = 0; i < n && i < limit; i++)
		json_array_append_new(items, row(res, i));
	if (n > limit)
		next = json_string(PQgetvalue(res, (int)limit - 1, 0));
	http_reply_json(r, 200,
			json_pack("{s:o, s:o}", "items", items, "next", next));
}
