/*
 * The indicator table (表1): a tree of groups and leaves.  Every node has a
 * code ("1", "1.2", "1.2.3") that extends its parent's, a name and a weight
 * among its siblings in thousandths; siblings sum to exactly 1000.  A leaf
 * carries its comparisons and its advanced benchmark level.
 *
 * The structs are plain data so the server can serialize them; callers read
 * the fields and change them only through the functions below.  Everything
 * reachable from a struct tbl is owned by it and freed by tbl_free.
 */
#ifndef PINGSHEN_TABLE_H
#define PINGSHEN_TABLE_H

#include <stdbool.h>
#include <stddef.h>

#include "problems.h"
#include "rat.h"

/* Codes deeper than this would overflow a global weight in int64. */
#define TBL_MAX_DEPTH 6
/* Sibling weights are thousandths of their parent. */
#define TBL_WEIGHT_ONE 1000
/* A node whose weight has not been decided yet (stages a-d). */
#define TBL_WEIGHT_UNSET (-1)

enum tbl_cmp_kind {
	TBL_CMP_STANDARD,  /* a standard's clause and its indicator level */
	TBL_CMP_BENCHMARK, /* an industry benchmark, where no standard exists */
};

enum tbl_scope {
	TBL_SCOPE_NONE, /* for standards */
	TBL_SCOPE_DOMESTIC,
	TBL_SCOPE_INTERNATIONAL,
};

struct tbl_comparison {
	enum tbl_cmp_kind kind;
	enum tbl_scope scope;
	char *ref;    /* the standard or benchmark document */
	char *clause; /* may be NULL */
	char *level;  /* the indicator value or element level it sets */
};

struct tbl_node {
	char *code;
	char *name;
	char *description; /* may be NULL */
	int weight;	   /* thousandths among siblings, or TBL_WEIGHT_UNSET */
	char
	    *advanced_level; /* may be NULL; required of leaves by validation */
	struct tbl_comparison *comparisons;
	size_t n_comparisons;
	struct tbl_node *parent; /* NULL at level 1 */
	struct tbl_node **children;
	size_t n_children;
	/* Product of the weights down the path; set by tbl_validate. */
	struct rat global_weight;
};

struct tbl {
	struct tbl_node **roots; /* the level-1 nodes, in table order */
	size_t n_roots;
	/* Set by a successful tbl_validate: the leaves in table order. */
	struct tbl_node **leaves;
	size_t n_leaves;
};

/* An empty table; free with tbl_free. */
struct tbl *tbl_new(void);
/* Frees t and everything in it; NULL is fine. */
void tbl_free(struct tbl *t);

/*
 * Appends a node under parent (NULL for level 1).  code and name are copied;
 * nothing is checked here, so a table can be built from any input and then
 * validated in one pass.  Returns the node, owned by t.
 */
struct tbl_node *tbl_add(struct tbl *t, struct tbl_node *parent,
			 const char *code, const char *name, int weight);

/* Replace a node's text; s is copied, NULL clears. */
void tbl_node_set_description(struct tbl_node *node, const char *s);
void tbl_node_set_advanced_level(struct tbl_node *node, const char *s);

/* Appends a comparison; strings are copied, clause may be NULL. */
void tbl_node_add_comparison(struct tbl_node *node, enum tbl_cmp_kind kind,
			     enum tbl_scope scope, const char *ref,
			     const char *clause, const char *level);

/*
 * Checks the whole table and appends every problem found to out: empty
 * table, malformed or duplicate codes, a child whose code does not extend
 * its parent's, a missing name or weight, sibling weights not summing to
 * exactly 1000, a leaf without an advanced level.  When there is none, it
 * computes every global weight and the leaf list.  Returns the number of
 * problems it added (0: valid).
 */
size_t tbl_validate(struct tbl *t, struct problems *out);

/* The node with this code, or NULL. */
struct tbl_node *tbl_find(const struct tbl *t, const char *code);

/* True when code is 1-999 numbers joined by dots, without leading zeros. */
bool tbl_code_valid(const char *code);

/*
 * Orders codes as a person reads them: "1.2" < "1.2.1" < "1.10".  Invalid
 * codes sort after valid ones, then bytewise, so sorting never fails.
 */
int tbl_code_cmp(const char *a, const char *b);

/* "domestic", "international"; false for anything else (NONE is implicit). */
bool tbl_scope_parse(const char *name, enum tbl_scope *out);
/* Returns a static string ("" for TBL_SCOPE_NONE). */
const char *tbl_scope_name(enum tbl_scope scope);

#endif
