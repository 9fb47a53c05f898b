/*
 * The indicator table: building the tree, validating it in one pass, and
 * computing exact global weights.
 */
#include "table.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

struct tbl *
tbl_new(void)
{
	return xcalloc(1, sizeof(struct tbl));
}

static void
tbl_node_free(struct tbl_node *node)
{
	for (size_t i = 0; i < node->n_children; i++)
		tbl_node_free(node->children[i]);
	for (size_t i = 0; i < node->n_comparisons; i++) {
		free(node->comparisons[i].ref);
		free(node->comparisons[i].clause);
		free(node->comparisons[i].level);
	}
	free(node->comparisons);
	free(node->children);
	free(node->code);
	free(node->name);
	free(node->description);
	free(node->advanced_level);
	free(node);
}

void
tbl_free(struct tbl *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->n_roots; i++)
		tbl_node_free(t->roots[i]);
	free(t->roots);
	free(t->leaves);
	free(t);
}

/* Appends node to a growable pointer array whose length is *n. */
static void
tbl_push(struct tbl_node ***array, size_t *n, struct tbl_node *node)
{
	/* Grow at powers of two so appends stay amortized O(1). */
	if ((*n & (*n - 1)) == 0)
		*array = xreallocarray(*array, *n ? *n * 2 : 1, sizeof **array);
	(*array)[(*n)++] = node;
}

struct tbl_node *
tbl_add(struct tbl *t, struct tbl_node *parent, const char *code,
	const char *name, int weight)
{
	struct tbl_node *node = xcalloc(1, sizeof *node);

	node->code = xstrdup(code);
	node->name = xstrdup(name);
	node->weight = weight;
	node->parent = parent;
	if (parent != NULL)
		tbl_push(&parent->children, &parent->n_children, node);
	else
		tbl_push(&t->roots, &t->n_roots, node);
	return node;
}

static void
tbl_replace(char **field, const char *s)
{
	free(*field);
	*field = s ? xstrdup(s) : NULL;
}

void
tbl_node_set_description(struct tbl_node *node, const char *s)
{
	tbl_replace(&node->description, s);
}

void
tbl_node_set_advanced_level(struct tbl_node *node, const char *s)
{
	tbl_replace(&node->advanced_level, s);
}

void
tbl_node_add_comparison(struct tbl_node *node, enum tbl_cmp_kind kind,
			enum tbl_scope scope, const char *ref,
			const char *clause, const char *level)
{
	struct tbl_comparison *c;

	node->comparisons = xreallocarray(node->comparisons,
					  node->n_comparisons + 1, sizeof *c);
	c = &node->comparisons[node->n_comparisons++];
	c->kind = kind;
	c->scope = scope;
	c->ref = xstrdup(ref);
	c->clause = clause ? xstrdup(clause) : NULL;
	c->level = xstrdup(level);
}

bool
tbl_code_valid(const char *code)
{
	int depth = 0;
	const char *p = code;

	for (;;) {
		const char *start = p;

		if (*p < '1' || *p > '9')
			return false;
		while (*p >= '0' && *p <= '9')
			p++;
		if (p - start > 3 || ++depth > TBL_MAX_DEPTH)
			return false;
		if (*p == '\0')
			return true;
		if (*p++ != '.')
			return false;
	}
}

int
tbl_code_cmp(const char *a, const char *b)
{
	bool va = tbl_code_valid(a), vb = tbl_code_valid(b);

	if (!va || !vb) {
		if (va != vb)
			return va ? -1 : 1;
		return strcmp(a, b) < 0 ? -1 : strcmp(a, b) > 0;
	}
	while (*a != '\0' && *b != '\0') {
		long x = strtol(a, (char **)&a, 10);
		long y = strtol(b, (char **)&b, 10);

		if (x != y)
			return x < y ? -1 : 1;
		if (*a == '.')
			a++;
		if (*b == '.')
			b++;
	}
	return (*a != '\0') - (*b != '\0');
}

/* True when child is parent's code plus one more segment. */
static bool
tbl_code_extends(const char *parent, const char *child)
{
	size_t len = strlen(parent);

	return strncmp(parent, child, len) == 0 && child[len] == '.' &&
	       strchr(child + len + 1, '.') == NULL;
}

struct tbl_validation {
	struct problems *out;
	size_t added;
	/* Every code seen, sorted afterwards to find duplicates. */
	const char **codes;
	size_t n_codes;
};

static void tbl_report(struct tbl_validation *v, const char *code,
		       const char *subject, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
tbl_report(struct tbl_validation *v, const char *code, const char *subject,
	   const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	problems_addv(v->out, code, subject, fmt, ap);
	va_end(ap);
	v->added++;
}

static int
tbl_strcmp_indirect(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Reports each duplicated code once; sorting keeps big inputs cheap. */
static void
tbl_check_duplicates(struct tbl_validation *v)
{
	qsort(v->codes, v->n_codes, sizeof *v->codes, tbl_strcmp_indirect);
	for (size_t i = 1; i < v->n_codes; i++) {
		if (strcmp(v->codes[i - 1], v->codes[i]) == 0 &&
		    (i < 2 || strcmp(v->codes[i - 2], v->codes[i]) != 0))
			tbl_report(v, "code_duplicate", v->codes[i],
				   "the code %s appears more than once",
				   v->codes[i]);
	}
}

/* Checks the code of a node against its parent's (NULL at level 1). */
static void
tbl_check_code(struct tbl_validation *v, const struct tbl_node *parent,
	       const struct tbl_node *node)
{
	if (!tbl_code_valid(node->code))
		tbl_report(v, "code_malformed", node->code,
			   "the code \"%s\" is not numbers joined by dots "
			   "(like 1.2.3)",
			   node->code);
	else if (parent == NULL ? strchr(node->code, '.') != NULL
				: !tbl_code_extends(parent->code, node->code))
		tbl_report(v, "code_not_under_parent", node->code,
			   "the code %s does not extend its parent's code %s "
			   "by one level",
			   node->code, parent ? parent->code : "(top level)");
	v->codes = xreallocarray(v->codes, v->n_codes + 1, sizeof *v->codes);
	v->codes[v->n_codes++] = node->code;
}

/* Checks one sibling group (the roots when parent is NULL), recursively. */
static void
tbl_check_siblings(struct tbl_validation *v, const struct tbl_node *parent,
		   struct tbl_node *const *nodes, size_t n)
{
	long sum = 0;
	bool all_set = true;

	for (size_t i = 0; i < n; i++) {
		const struct tbl_node *node = nodes[i];

		tbl_check_code(v, parent, node);
		if (node->name[0] == '\0')
			tbl_report(v, "name_missing", node->code,
				   "the indicator %s has no name", node->code);
		if (node->weight == TBL_WEIGHT_UNSET) {
			all_set = false;
			tbl_report(v, "weight_missing", node->code,
				   "the indicator %s has no weight yet",
				   node->code);
		} else if (node->weight < 0 || node->weight > TBL_WEIGHT_ONE) {
			all_set = false;
			tbl_report(v, "weight_out_of_range", node->code,
				   "the weight of %s must be between 0 and 1",
				   node->code);
		} else {
			sum += node->weight;
		}
		if (node->n_children == 0 && (node->advanced_level == NULL ||
					      node->advanced_level[0] == '\0'))
			tbl_report(v, "leaf_without_advanced_level", node->code,
				   "the leaf indicator %s has no advanced "
				   "benchmark level",
				   node->code);
		tbl_check_siblings(v, node, node->children, node->n_children);
	}
	if (all_set && n > 0 && sum != TBL_WEIGHT_ONE)
		tbl_report(v, "sibling_weights", parent ? parent->code : NULL,
			   "the weights under %s sum to %ld.%03ld, not exactly "
			   "1",
			   parent ? parent->code : "the top level", sum / 1000,
			   sum % 1000);
}

/* Sets global weights below node and collects leaves in table order. */
static void
tbl_compute(struct tbl *t, struct tbl_node *node, struct rat above)
{
	struct rat share;

	/* Depth <= TBL_MAX_DEPTH keeps 1000^depth within int64. */
	if (!rat_make(node->weight, TBL_WEIGHT_ONE, &share) ||
	    !rat_mul(above, share, &node->global_weight))
		abort();
	if (node->n_children == 0)
		tbl_push(&t->leaves, &t->n_leaves, node);
	for (size_t i = 0; i < node->n_children; i++)
		tbl_compute(t, node->children[i], node->global_weight);
}

size_t
tbl_validate(struct tbl *t, struct problems *out)
{
	struct tbl_validation v = {.out = out};

	free(t->leaves);
	t->leaves = NULL;
	t->n_leaves = 0;
	if (t->n_roots == 0) {
		tbl_report(&v, "table_empty", NULL,
			   "the indicator table has no indicators");
		return v.added;
	}
	tbl_check_siblings(&v, NULL, t->roots, t->n_roots);
	tbl_check_duplicates(&v);
	free(v.codes);
	if (v.added == 0) {
		for (size_t i = 0; i < t->n_roots; i++)
			tbl_compute(t, t->roots[i], rat_int(1));
	}
	return v.added;
}

static struct tbl_node *
tbl_find_in(struct tbl_node *const *nodes, size_t n, const char *code)
{
	for (size_t i = 0; i < n; i++) {
		struct tbl_node *hit;

		if (strcmp(nodes[i]->code, code) == 0)
			return nodes[i];
		hit =
		    tbl_find_in(nodes[i]->children, nodes[i]->n_children, code);
		if (hit != NULL)
			return hit;
	}
	return NULL;
}

struct tbl_node *
tbl_find(const struct tbl *t, const char *code)
{
	return tbl_find_in(t->roots, t->n_roots, code);
}

bool
tbl_scope_parse(const char *name, enum tbl_scope *out)
{
	if (strcmp(name, "domestic") == 0)
		*out = TBL_SCOPE_DOMESTIC;
	else if (strcmp(name, "international") == 0)
		*out = TBL_SCOPE_INTERNATIONAL;
	else
		return false;
	return true;
}

const char *
tbl_scope_name(enum tbl_scope scope)
{
	switch (scope) {
	case TBL_SCOPE_DOMESTIC:
		return "domestic";
	case TBL_SCOPE_INTERNATIONAL:
		return "international";
	case TBL_SCOPE_NONE:
		break;
	}
	return "";
}
