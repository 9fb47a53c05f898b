/*
 * libFuzzer harness for the indicator table as JSON (workflow/table_json.c
 * tbl_from_json, workflow/table.c tbl_validate), the one shape templates,
 * the API and the database share.  The input is the JSON text of the
 * nodes array.
 *
 * A refused table names at least one problem.  An accepted one is what the
 * verdict relies on: every code well formed and extending its parent's,
 * at most TBL_MAX_DEPTH levels, siblings weighing exactly 1000, every leaf
 * with its advanced level, global weights that are the products down each
 * path and whose leaves sum to exactly 1, each printed exactly; and
 * written out with tbl_to_json it reads back to the same JSON.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decimal.h"
#include "fuzz_server.h"
#include "table_json.h"

/* Every problem says what it is. */
static void
table_check_problems(const struct problems *p, size_t at_least)
{
	fuzz_check(p->n >= at_least, "a refused table names a problem");
	for (size_t i = 0; i < p->n; i++) {
		fuzz_check(p->items[i].code != NULL &&
			       p->items[i].code[0] != '\0' &&
			       p->items[i].message != NULL &&
			       p->items[i].message[0] != '\0',
			   "a problem has a code and a message");
	}
}

/* A global weight printed by tbl_format_global_weight is that weight. */
static void
table_check_printed(struct rat w)
{
	char buf[RAT_FORMAT_MAX];
	const char *dot;
	int64_t units;
	struct rat back;
	int64_t scale = 1;
	size_t decimals;

	tbl_format_global_weight(w, buf);
	dot = strchr(buf, '.');
	decimals = dot ? strlen(dot + 1) : 0;
	fuzz_check(
	    decimals >= 3 && decimals <= 3 * TBL_MAX_DEPTH &&
		dec_parse(buf, strlen(buf), (int)decimals, INT64_MAX, &units),
	    "a global weight prints as a decimal");
	for (size_t i = 0; i < decimals; i++)
		scale *= 10;
	fuzz_check(rat_make(units, scale, &back) && rat_cmp(back, w) == 0,
		   "a global weight prints exactly");
}

/* Checks node and its subtree; adds its leaves' weights to *sum. */
static void
table_check_node(const struct tbl *t, const struct tbl_node *node, int depth,
		 struct rat *sum)
{
	struct rat expect = rat_int(1);
	int siblings = 0;

	fuzz_check(depth <= TBL_MAX_DEPTH, "a table is at most 6 deep");
	fuzz_check(tbl_code_valid(node->code) &&
		       tbl_find(t, node->code) == node,
		   "every code is valid and found");
	fuzz_check(node->name != NULL && node->name[0] != '\0',
		   "every node is named");
	fuzz_check(node->weight >= 0 && node->weight <= TBL_WEIGHT_ONE,
		   "a weight is 0 to 1");
	if (node->parent != NULL) {
		size_t n = strlen(node->parent->code);

		fuzz_check(strncmp(node->code, node->parent->code, n) == 0 &&
			       node->code[n] == '.' &&
			       strchr(node->code + n + 1, '.') == NULL,
			   "a child's code extends its parent's by one part");
		expect = node->parent->global_weight;
	}
	fuzz_check(rat_mul(expect, (struct rat){node->weight, TBL_WEIGHT_ONE},
			   &expect) &&
		       rat_cmp(expect, node->global_weight) == 0,
		   "a global weight is the product down its path");
	table_check_printed(node->global_weight);
	if (node->n_children == 0) {
		fuzz_check(node->advanced_level != NULL,
			   "every leaf has its advanced level");
		fuzz_check(rat_add(*sum, node->global_weight, sum),
			   "leaf weights add up");
		return;
	}
	for (size_t i = 0; i < node->n_children; i++) {
		fuzz_check(node->children[i]->parent == node,
			   "a child knows its parent");
		siblings += node->children[i]->weight;
		table_check_node(t, node->children[i], depth + 1, sum);
	}
	fuzz_check(siblings == TBL_WEIGHT_ONE, "siblings weigh exactly 1");
}

/* The table survives being written out and read back. */
static void
table_check_round_trip(const struct tbl *t)
{
	json_t *once = tbl_to_json(t), *twice;
	struct problems p = {0};
	struct tbl *again = tbl_from_json(once, &p);

	fuzz_check(again != NULL && tbl_validate(again, &p) == 0,
		   "a valid table written out reads back valid");
	twice = tbl_to_json(again);
	fuzz_check(json_equal(once, twice), "a table reads back the same");
	json_decref(twice);
	json_decref(once);
	tbl_free(again);
	problems_free(&p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *nodes =
	    json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	struct problems p = {0};
	struct tbl *t;
	struct rat sum = rat_int(0);
	int roots = 0;

	if (nodes == NULL)
		return 0;
	t = tbl_from_json(nodes, &p);
	if (t == NULL) {
		table_check_problems(&p, 1);
	} else if (tbl_validate(t, &p) > 0) {
		table_check_problems(&p, 1);
	} else {
		fuzz_check(p.n == 0 && t->n_leaves > 0,
			   "a valid table has leaves and no problem");
		for (size_t i = 0; i < t->n_roots; i++) {
			fuzz_check(t->roots[i]->parent == NULL,
				   "a root has no parent");
			roots += t->roots[i]->weight;
			table_check_node(t, t->roots[i], 1, &sum);
		}
		fuzz_check(roots == TBL_WEIGHT_ONE,
			   "the top level weighs exactly 1");
		fuzz_check(rat_cmp(sum, rat_int(1)) == 0,
			   "the leaves' global weights sum to exactly 1");
		for (size_t i = 0; i < t->n_leaves; i++) {
			fuzz_check(t->leaves[i]->n_children == 0,
				   "the leaf list holds leaves");
		}
		table_check_round_trip(t);
	}
	tbl_free(t);
	problems_free(&p);
	json_decref(nodes);
	return 0;
}
