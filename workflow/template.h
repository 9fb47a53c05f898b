/*
 * Templates: indicator tables that a field has already adopted through the
 * section 4.1 procedure, from which an evaluation starts at `scoring`.
 * The built-in ones (ywtb: the seed's Table 1) are compiled into the library
 * from workflow/templates/NAME.json, so no data folder is needed at run time.
 */
#ifndef PINGSHEN_TEMPLATE_H
#define PINGSHEN_TEMPLATE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "problems.h"
#include "table.h"

struct template
{
	char *id;
	char *title;
	char *source;	   /* where the table comes from; may be NULL */
	int64_t threshold; /* in hundredths: 8500 is 85 */
	struct tbl *table; /* validated, global weights computed */
};

/*
 * Parses a template document ({"id","title","source"?,"threshold","nodes"})
 * from json[0..len) and validates its table.  On any problem, appends every
 * one found to out and returns NULL; otherwise the caller owns the result
 * (template_free).
 */
struct template *template_parse(const char *json, size_t len,
				struct problems *out);

/* The same from an already parsed document; doc is not modified. */
struct template *template_from_json(const json_t *doc, struct problems *out);

/* The template as a new JSON document (caller decrefs). */
json_t *template_to_json(const struct template *tp);

/* Frees tp and its table; NULL is fine. */
void template_free(struct template *tp);

/* Built-in templates: ids in a fixed order; NULL past the last index. */
const char *template_builtin_id(size_t i);

/*
 * The JSON text of a built-in template (static, NUL-terminated), or NULL
 * when there is none with this id.  len may be NULL.
 */
const char *template_builtin_json(const char *id, size_t *len);

/* Parses a built-in template; NULL with problems in out when unknown. */
struct template *template_builtin(const char *id, struct problems *out);

#endif
