/*
 * Reading request bodies and query strings field by field.  Each reader
 * answers the request itself when the field is wrong and returns false, so
 * a handler reads its input as a short list of `if (!body_...) return;`.
 *   400 bad_request: a field missing, of the wrong type, or unknown
 *   422 invalid_field: the right type, breaking a rule (details.field)
 */
#ifndef PINGSHEN_BODY_H
#define PINGSHEN_BODY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http.h"

/* Refuses any member of r->body not named in fields (NULL-terminated). */
bool body_only(struct req *r, const char *const *fields);

/*
 * A string member of r->body of min..max bytes (UTF-8 is guaranteed by the
 * JSON parser).  *out is NULL when absent and not required; it points into
 * r->body.
 */
bool body_string(struct req *r, const char *field, bool required, size_t min,
		 size_t max, const char **out);

/* A boolean member; *present tells whether it was there. */
bool body_bool(struct req *r, const char *field, bool *present, bool *out);

/*
 * A query parameter that is a positive integer (an id or cursor) or a
 * count within 1..max.  *out keeps its default when absent.
 */
bool query_int(struct req *r, const char *name, int64_t min, int64_t max,
	       int64_t *out);

/*
 * A string member that is an RFC 3339 time ("2026-12-01T09:00:00Z",
 * "2026-12-01T17:00:00.5+08:00").  PostgreSQL alone would also take
 * "tomorrow" or "epoch", which are no times a client should send.
 */
bool body_time(struct req *r, const char *field, bool required,
	       const char **out);

/* Refuses any query parameter not named in names (NULL-terminated). */
bool query_only(struct req *r, const char *const *names);

/*
 * Answers a page of a list: {"items": [...], "next": cursor | null}.  The
 * query asked for limit + 1 rows, so one more row than the page means a
 * next page, whose cursor is column 0 of the page's last row.  row makes
 * each item (a new reference).  A failed query is answered as such.
 */
void page_reply(struct req *r, const PGresult *res, int64_t limit,
		json_t *(*row)(const PGresult *res, int i));

/* A 422 with code about one item of a list (details.item), e.g. a ballot's
 * unknown_item. */
void body_item_error(struct req *r, const char *code, const char *item,
		     const char *message);

/* A 422 invalid_field about field, with a message. */
void body_invalid(struct req *r, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
