/* Reading and writing the indicator table as JSON. */
#include "table_json.h"

#include <stdio.h>
#include <string.h>

#include "decimal.h"
#include "xalloc.h"

/* Nesting is bounded by TBL_MAX_DEPTH: deeper input is refused early. */
struct tbl_json_reader {
	struct tbl *t;
	struct problems *out;
	size_t errors;
};

static void tbl_json_error(struct tbl_json_reader *r, const char *path,
			   const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
tbl_json_error(struct tbl_json_reader *r, const char *path, const char *fmt,
	       ...)
{
	va_list ap;

	va_start(ap, fmt);
	problems_addv(r->out, "table_shape", path, fmt, ap);
	va_end(ap);
	r->errors++;
}

/*
 * The string field `key` of obj, or NULL when absent.  A present field of
 * another type is reported; `required` reports an absent one.
 */
static const char *
tbl_json_string(struct tbl_json_reader *r, const json_t *obj, const char *key,
		bool required, const char *path)
{
	const json_t *v = json_object_get(obj, key);

	if (v == NULL || json_is_null(v)) {
		if (required)
			tbl_json_error(r, path, "%s: \"%s\" is required", path,
				       key);
		return NULL;
	}
	if (!json_is_string(v)) {
		tbl_json_error(r, path, "%s: \"%s\" must be a string", path,
			       key);
		return NULL;
	}
	return json_string_value(v);
}

static void
tbl_json_read_comparisons(struct tbl_json_reader *r, struct tbl_node *node,
			  const json_t *list, const char *path)
{
	size_t i;
	const json_t *c;

	if (!json_is_array(list)) {
		tbl_json_error(r, path, "%s: \"comparisons\" must be an array",
			       path);
		return;
	}
	json_array_foreach(list, i, c)
	{
		char *cpath = xasprintf("%s.comparisons[%zu]", path, i);
		const char *kind, *scope, *ref, *clause, *level;
		enum tbl_scope sc = TBL_SCOPE_NONE;
		enum tbl_cmp_kind k = TBL_CMP_STANDARD;

		if (!json_is_object(c)) {
			tbl_json_error(r, cpath, "%s must be an object", cpath);
			free(cpath);
			continue;
		}
		kind = tbl_json_string(r, c, "kind", true, cpath);
		scope = tbl_json_string(r, c, "scope", false, cpath);
		ref = tbl_json_string(r, c, "ref", true, cpath);
		clause = tbl_json_string(r, c, "clause", false, cpath);
		level = tbl_json_string(r, c, "level", true, cpath);
		if (kind != NULL && strcmp(kind, "benchmark") == 0) {
			k = TBL_CMP_BENCHMARK;
			if (scope == NULL || !tbl_scope_parse(scope, &sc))
				tbl_json_error(
				    r, cpath,
				    "%s: a benchmark needs \"scope\" "
				    "domestic or international",
				    cpath);
		} else if (kind != NULL && strcmp(kind, "standard") != 0) {
			tbl_json_error(r, cpath,
				       "%s: \"kind\" must be standard or "
				       "benchmark",
				       cpath);
		}
		if (ref != NULL && level != NULL)
			tbl_node_add_comparison(node, k, sc, ref, clause,
						level);
		free(cpath);
	}
}

static void tbl_json_read_nodes(struct tbl_json_reader *r,
				struct tbl_node *parent, const json_t *list,
				const char *path, int depth);

static void
tbl_json_read_node(struct tbl_json_reader *r, struct tbl_node *parent,
		   const json_t *obj, const char *path, int depth)
{
	const char *code, *name, *weight, *text;
	const json_t *children, *comparisons;
	int64_t w = TBL_WEIGHT_UNSET;
	struct tbl_node *node;

	if (!json_is_object(obj)) {
		tbl_json_error(r, path, "%s must be an object", path);
		return;
	}
	code = tbl_json_string(r, obj, "code", true, path);
	name = tbl_json_string(r, obj, "name", true, path);
	weight = tbl_json_string(r, obj, "weight", false, path);
	if (weight != NULL &&
	    !dec_parse(weight, strlen(weight), 3, TBL_WEIGHT_ONE, &w)) {
		tbl_json_error(r, path,
			       "%s: \"weight\" must be a decimal between 0 and "
			       "1 with at most three decimals, like \"0.3\"",
			       path);
		w = TBL_WEIGHT_UNSET;
	}
	/* Keep reading a broken node: its other problems are reported too,
	 * and a table with errors is thrown away anyway. */
	node =
	    tbl_add(r->t, parent, code ? code : "", name ? name : "", (int)w);
	if ((text = tbl_json_string(r, obj, "description", false, path)))
		tbl_node_set_description(node, text);
	if ((text = tbl_json_string(r, obj, "advanced_level", false, path)))
		tbl_node_set_advanced_level(node, text);
	if ((comparisons = json_object_get(obj, "comparisons")) != NULL)
		tbl_json_read_comparisons(r, node, comparisons, path);
	if ((children = json_object_get(obj, "children")) != NULL)
		tbl_json_read_nodes(r, node, children, path, depth + 1);
}

static void
tbl_json_read_nodes(struct tbl_json_reader *r, struct tbl_node *parent,
		    const json_t *list, const char *path, int depth)
{
	size_t i;
	const json_t *obj;

	if (!json_is_array(list) || json_array_size(list) == 0) {
		tbl_json_error(r, path,
			       "%s: must be a non-empty array of nodes", path);
		return;
	}
	if (depth > TBL_MAX_DEPTH) {
		tbl_json_error(r, path,
			       "%s: the table is nested deeper than "
			       "%d levels",
			       path, TBL_MAX_DEPTH);
		return;
	}
	json_array_foreach(list, i, obj)
	{
		char *npath = xasprintf("%s[%zu]", path, i);

		tbl_json_read_node(r, parent, obj, npath, depth);
		free(npath);
	}
}

struct tbl *
tbl_from_json(const json_t *nodes, struct problems *out)
{
	struct tbl_json_reader r = {.t = tbl_new(), .out = out};

	tbl_json_read_nodes(&r, NULL, nodes, "nodes", 1);
	if (r.errors > 0) {
		tbl_free(r.t);
		return NULL;
	}
	return r.t;
}

char *
tbl_format_global_weight(struct rat w, char *buf)
{
	char *dot;
	size_t len;

	/* A product of d thousandths has at most 3d decimals: print them all,
	 * then drop trailing zeros beyond the usual three. */
	rat_format(w, 3 * TBL_MAX_DEPTH, buf);
	dot = strchr(buf, '.');
	if (dot == NULL)
		return buf;
	len = strlen(buf);
	while (len - (size_t)(dot - buf) - 1 > 3 && buf[len - 1] == '0')
		buf[--len] = '\0';
	return buf;
}

static json_t *
tbl_json_comparison(const struct tbl_comparison *c)
{
	json_t *obj = json_object();

	json_object_set_new(obj, "kind",
			    json_string(c->kind == TBL_CMP_BENCHMARK
					    ? "benchmark"
					    : "standard"));
	if (c->kind == TBL_CMP_BENCHMARK)
		json_object_set_new(obj, "scope",
				    json_string(tbl_scope_name(c->scope)));
	json_object_set_new(obj, "ref", json_string(c->ref));
	if (c->clause != NULL)
		json_object_set_new(obj, "clause", json_string(c->clause));
	json_object_set_new(obj, "level", json_string(c->level));
	return obj;
}

static json_t *
tbl_json_node(const struct tbl_node *node, bool with_global)
{
	json_t *obj = json_object();
	char buf[RAT_FORMAT_MAX];

	json_object_set_new(obj, "code", json_string(node->code));
	json_object_set_new(obj, "name", json_string(node->name));
	if (node->weight == TBL_WEIGHT_UNSET)
		json_object_set_new(obj, "weight", json_null());
	else
		json_object_set_new(
		    obj, "weight",
		    json_string(dec_format(node->weight, 3, buf, sizeof buf)));
	if (with_global)
		json_object_set_new(obj, "global_weight",
				    json_string(tbl_format_global_weight(
					node->global_weight, buf)));
	if (node->description != NULL)
		json_object_set_new(obj, "description",
				    json_string(node->description));
	if (node->n_children > 0) {
		json_t *children = json_array();

		for (size_t i = 0; i < node->n_children; i++)
			json_array_append_new(
			    children,
			    tbl_json_node(node->children[i], with_global));
		json_object_set_new(obj, "children", children);
	} else {
		json_t *list = json_array();

		for (size_t i = 0; i < node->n_comparisons; i++)
			json_array_append_new(
			    list, tbl_json_comparison(&node->comparisons[i]));
		json_object_set_new(obj, "comparisons", list);
		json_object_set_new(obj, "advanced_level",
				    node->advanced_level
					? json_string(node->advanced_level)
					: json_null());
	}
	return obj;
}

json_t *
tbl_to_json(const struct tbl *t)
{
	json_t *list = json_array();
	bool with_global = t->n_leaves > 0;

	for (size_t i = 0; i < t->n_roots; i++)
		json_array_append_new(list,
				      tbl_json_node(t->roots[i], with_global));
	return list;
}

json_t *
tbl_json_find(const json_t *nodes, const char *code)
{
	size_t i;
	json_t *node;

	json_array_foreach(nodes, i, node)
	{
		const char *c =
		    json_string_value(json_object_get(node, "code"));
		json_t *hit;

		if (c != NULL && strcmp(c, code) == 0)
			return node;
		hit = tbl_json_find(json_object_get(node, "children"), code);
		if (hit != NULL)
			return hit;
	}
	return NULL;
}
