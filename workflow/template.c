/* Template documents: parsing, validation and the built-in set. */
#include "template.h"

#include <stdlib.h>
#include <string.h>

#include "decimal.h"
#include "table_json.h"
#include "xalloc.h"

/* Defined by the files that embed.cmake generates. */
extern const char template_ywtb_json[];
extern const size_t template_ywtb_json_len;

static const struct {
	const char *id;
	const char *json;
	const size_t *len;
} template_builtins[] = {
    {"ywtb", template_ywtb_json, &template_ywtb_json_len},
};

#define TEMPLATE_N_BUILTINS                                                    \
	(sizeof template_builtins / sizeof *template_builtins)

/* The string member key of doc, reporting it when absent or mistyped. */
static const char *
template_string(const json_t *doc, const char *key, bool required,
		struct problems *out)
{
	const json_t *v = json_object_get(doc, key);

	if (v == NULL && !required)
		return NULL;
	if (!json_is_string(v) || json_string_length(v) == 0) {
		problems_add(out, "template_shape", key,
			     "the template needs \"%s\" as a non-empty string",
			     key);
		return NULL;
	}
	return json_string_value(v);
}

struct template *
template_from_json(const json_t *doc, struct problems *out)
{
	const char *id, *title, *source, *threshold;
	struct template *tp;
	struct tbl *table;
	size_t before = out->n;
	int64_t th = 0;

	if (!json_is_object(doc)) {
		problems_add(out, "template_shape", NULL,
			     "a template must be a JSON object");
		return NULL;
	}
	id = template_string(doc, "id", true, out);
	title = template_string(doc, "title", true, out);
	source = template_string(doc, "source", false, out);
	threshold = template_string(doc, "threshold", true, out);
	if (threshold != NULL &&
	    !dec_parse(threshold, strlen(threshold), 2, 10000, &th))
		problems_add(out, "template_shape", "threshold",
			     "the threshold must be a score from 0 to 100 with "
			     "at most two decimals, like \"85\"");
	table = tbl_from_json(json_object_get(doc, "nodes"), out);
	if (table != NULL)
		tbl_validate(table, out);
	if (out->n > before) {
		tbl_free(table);
		return NULL;
	}
	tp = xcalloc(1, sizeof *tp);
	tp->id = xstrdup(id);
	tp->title = xstrdup(title);
	tp->source = source ? xstrdup(source) : NULL;
	tp->threshold = th;
	tp->table = table;
	return tp;
}

struct template *
template_parse(const char *json, size_t len, struct problems *out)
{
	json_error_t err;
	json_t *doc;
	struct template *tp;

	doc = json_loadb(json, len, JSON_REJECT_DUPLICATES, &err);
	if (doc == NULL) {
		problems_add(out, "template_json", NULL,
			     "the template is not valid JSON: %s at line %d, "
			     "column %d",
			     err.text, err.line, err.column);
		return NULL;
	}
	tp = template_from_json(doc, out);
	json_decref(doc);
	return tp;
}

json_t *
template_to_json(const struct template *tp)
{
	json_t *doc = json_object();
	char buf[32];

	json_object_set_new(doc, "id", json_string(tp->id));
	json_object_set_new(doc, "title", json_string(tp->title));
	if (tp->source != NULL)
		json_object_set_new(doc, "source", json_string(tp->source));
	json_object_set_new(
	    doc, "threshold",
	    json_string(dec_format(tp->threshold, 2, buf, sizeof buf)));
	json_object_set_new(doc, "nodes", tbl_to_json(tp->table));
	return doc;
}

void
template_free(struct template *tp)
{
	if (tp == NULL)
		return;
	free(tp->id);
	free(tp->title);
	free(tp->source);
	tbl_free(tp->table);
	free(tp);
}

const char *
template_builtin_id(size_t i)
{
	return i < TEMPLATE_N_BUILTINS ? template_builtins[i].id : NULL;
}

const char *
template_builtin_json(const char *id, size_t *len)
{
	for (size_t i = 0; i < TEMPLATE_N_BUILTINS; i++) {
		if (strcmp(template_builtins[i].id, id) == 0) {
			if (len != NULL)
				*len = *template_builtins[i].len;
			return template_builtins[i].json;
		}
	}
	return NULL;
}

struct template *
template_builtin(const char *id, struct problems *out)
{
	size_t len;
	const char *json = template_builtin_json(id, &len);

	if (json == NULL) {
		problems_add(out, "template_unknown", id,
			     "there is no built-in template \"%s\"", id);
		return NULL;
	}
	return template_parse(json, len, out);
}
