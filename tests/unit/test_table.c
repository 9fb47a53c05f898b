/* The indicator table: codes, validation of every problem at once, global
 * weights and JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "table.h"
#include "table_json.h"

static struct tbl_node *
leaf(struct tbl *t, struct tbl_node *parent, const char *code, int weight)
{
	struct tbl_node *n = tbl_add(t, parent, code, "指标", weight);

	tbl_node_set_advanced_level(n, "先进水平");
	return n;
}

/* 1 (0.7) {1.1 0.5, 1.2 0.5}, 2 (0.3) */
static struct tbl *
small_table(void)
{
	struct tbl *t = tbl_new();
	struct tbl_node *g = tbl_add(t, NULL, "1", "关键性指标", 700);

	leaf(t, g, "1.1", 500);
	leaf(t, g, "1.2", 500);
	leaf(t, NULL, "2", 300);
	return t;
}

static void
test_valid_table_gets_exact_global_weights(void **state)
{
	struct problems p = {0};
	struct tbl *t = small_table();
	struct rat sum = rat_int(0);

	(void)state;
	assert_int_equal(tbl_validate(t, &p), 0);
	assert_int_equal(p.n, 0);
	assert_int_equal(t->n_leaves, 3);
	assert_string_equal(t->leaves[0]->code, "1.1");
	assert_string_equal(t->leaves[2]->code, "2");
	assert_int_equal(t->leaves[0]->global_weight.num, 7);
	assert_int_equal(t->leaves[0]->global_weight.den, 20);
	for (size_t i = 0; i < t->n_leaves; i++)
		assert_true(rat_add(sum, t->leaves[i]->global_weight, &sum));
	assert_int_equal(rat_cmp(sum, rat_int(1)), 0);
	assert_ptr_equal(tbl_find(t, "1.2"), t->leaves[1]);
	assert_null(tbl_find(t, "1.3"));
	tbl_free(t);
}

/* One pass reports every kind of problem, each with its subject. */
static void
test_validation_reports_every_problem_at_once(void **state)
{
	struct problems p = {0};
	struct tbl *t = tbl_new();
	struct tbl_node *g, *h;
	const struct problem *x;

	(void)state;
	g = tbl_add(t, NULL, "1", "组", 600);
	leaf(t, g, "1.1", 300);
	leaf(t, g, "1.1", 300);			    /* duplicate */
	leaf(t, g, "2.3", 300);			    /* not under 1 */
	h = tbl_add(t, NULL, "2", "", 300);	    /* no name */
	tbl_add(t, h, "2.1", "没有先进水平", 1000); /* leaf, no level */
	leaf(t, NULL, "03", 50);		    /* malformed */
	leaf(t, NULL, "4", TBL_WEIGHT_UNSET);	    /* no weight */
	leaf(t, NULL, "5", 1001);		    /* out of range */

	assert_int_equal(tbl_validate(t, &p), 8);
	assert_int_equal(p.n, 8);
	assert_non_null(x = problems_find(&p, "code_duplicate"));
	assert_string_equal(x->subject, "1.1");
	assert_non_null(x = problems_find(&p, "code_not_under_parent"));
	assert_string_equal(x->subject, "2.3");
	assert_non_null(x = problems_find(&p, "name_missing"));
	assert_string_equal(x->subject, "2");
	assert_non_null(x = problems_find(&p, "leaf_without_advanced_level"));
	assert_string_equal(x->subject, "2.1");
	assert_non_null(x = problems_find(&p, "code_malformed"));
	assert_string_equal(x->subject, "03");
	assert_non_null(x = problems_find(&p, "weight_missing"));
	assert_string_equal(x->subject, "4");
	assert_non_null(x = problems_find(&p, "weight_out_of_range"));
	assert_non_null(x = problems_find(&p, "sibling_weights"));
	/* 1.1 + 1.1 + 2.3 = 0.9 under 1 */
	assert_string_equal(x->subject, "1");
	assert_non_null(strstr(x->message, "0.900"));
	/* an invalid table has no leaf list */
	assert_int_equal(t->n_leaves, 0);
	problems_free(&p);
	tbl_free(t);
}

static void
test_empty_table_and_top_level_sum(void **state)
{
	struct problems p = {0};
	struct tbl *t = tbl_new();
	const struct problem *x;

	(void)state;
	assert_int_equal(tbl_validate(t, &p), 1);
	assert_non_null(problems_find(&p, "table_empty"));
	problems_free(&p);
	leaf(t, NULL, "1", 500);
	leaf(t, NULL, "2", 400);
	leaf(t, NULL, "1.1", 100);
	assert_int_equal(tbl_validate(t, &p), 1);
	assert_non_null(x = problems_find(&p, "code_not_under_parent"));
	problems_free(&p);
	tbl_free(t);
	tbl_free(NULL);
}

static void
test_codes(void **state)
{
	const char *sorted[] = {"1", "1.2", "1.2.1", "1.10", "2", "10", "x"};
	const size_t n = sizeof sorted / sizeof *sorted;

	(void)state;
	assert_true(tbl_code_valid("1"));
	assert_true(tbl_code_valid("1.2.3"));
	assert_true(tbl_code_valid("999.10.1.1.1.1"));
	assert_false(tbl_code_valid(""));
	assert_false(tbl_code_valid("0"));
	assert_false(tbl_code_valid("1."));
	assert_false(tbl_code_valid(".1"));
	assert_false(tbl_code_valid("1..2"));
	assert_false(tbl_code_valid("1.02"));
	assert_false(tbl_code_valid("1000"));
	assert_false(tbl_code_valid("1.a"));
	assert_false(tbl_code_valid("1.1.1.1.1.1.1"));
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < n; j++) {
			int c = tbl_code_cmp(sorted[i], sorted[j]);

			assert_int_equal(c, (i > j) - (i < j));
		}
	}
	assert_true(tbl_code_cmp("a", "b") < 0);
}

static void
test_scope_names(void **state)
{
	enum tbl_scope s;

	(void)state;
	assert_true(tbl_scope_parse("domestic", &s));
	assert_int_equal(s, TBL_SCOPE_DOMESTIC);
	assert_true(tbl_scope_parse("international", &s));
	assert_string_equal(tbl_scope_name(s), "international");
	assert_false(tbl_scope_parse("foreign", &s));
	assert_string_equal(tbl_scope_name(TBL_SCOPE_NONE), "");
}

static void
test_json_round_trip(void **state)
{
	struct problems p = {0};
	struct tbl *t = small_table(), *back;
	json_t *a, *b;
	char *sa, *sb;

	(void)state;
	tbl_node_set_description(t->roots[0], "说明");
	tbl_node_add_comparison(t->roots[0]->children[0], TBL_CMP_STANDARD,
				TBL_SCOPE_NONE, "GB/T 1", "第5.2条", "水平");
	tbl_node_add_comparison(t->roots[0]->children[0], TBL_CMP_BENCHMARK,
				TBL_SCOPE_INTERNATIONAL, "ISO 1", NULL, "水平");
	assert_int_equal(tbl_validate(t, &p), 0);
	a = tbl_to_json(t);
	back = tbl_from_json(a, &p);
	assert_non_null(back);
	assert_int_equal(tbl_validate(back, &p), 0);
	b = tbl_to_json(back);
	sa = json_dumps(a, JSON_SORT_KEYS);
	sb = json_dumps(b, JSON_SORT_KEYS);
	assert_string_equal(sa, sb);
	assert_non_null(strstr(sa, "\"global_weight\": \"0.350\""));
	free(sa);
	free(sb);
	json_decref(a);
	json_decref(b);
	tbl_free(back);
	tbl_free(t);
}

/* Every shape error is reported, with the path of the offending node. */
static void
test_json_shape_errors_all_reported(void **state)
{
	struct problems p = {0};
	json_error_t err;
	json_t *doc = json_loads(
	    "[{\"code\":\"1\",\"name\":\"a\",\"weight\":\"1.5\"},"
	    " {\"name\":\"b\",\"weight\":\"0.2\"},"
	    " {\"code\":\"3\",\"name\":7,\"weight\":\"0.3\","
	    "  \"comparisons\":[{\"kind\":\"benchmark\",\"ref\":\"r\","
	    "\"level\":\"l\"},{\"kind\":\"other\",\"ref\":\"r\","
	    "\"level\":\"l\"}, 5]},"
	    " {\"code\":\"4\",\"name\":\"d\",\"weight\":\"0.1\",\"children\":[]"
	    "},"
	    " 42]",
	    0, &err);

	(void)state;
	assert_non_null(doc);
	assert_null(tbl_from_json(doc, &p));
	/* weight, code, name, scope, kind, comparison type, empty children,
	 * node type */
	assert_int_equal(p.n, 8);
	assert_string_equal(p.items[0].subject, "nodes[0]");
	assert_string_equal(p.items[1].subject, "nodes[1]");
	assert_string_equal(p.items[7].subject, "nodes[4]");
	problems_free(&p);
	json_decref(doc);

	doc = json_loads("{}", 0, &err);
	assert_null(tbl_from_json(doc, &p));
	assert_int_equal(p.n, 1);
	problems_free(&p);
	json_decref(doc);
}

static void
test_json_depth_is_bounded(void **state)
{
	struct problems p = {0};
	json_t *root = json_array(), *level = root;
	char code[64] = "1";

	(void)state;
	for (int d = 0; d < TBL_MAX_DEPTH + 1; d++) {
		json_t *node = json_pack("{s:s, s:s, s:s}", "code", code,
					 "name", "n", "weight", "1");
		json_t *children = json_array();

		json_array_append_new(level, node);
		json_object_set_new(node, "children", children);
		level = children;
		strcat(code, ".1");
	}
	assert_null(tbl_from_json(root, &p));
	assert_non_null(strstr(p.items[p.n - 1].message, "nested deeper"));
	problems_free(&p);
	json_decref(root);
}

static void
test_global_weight_format(void **state)
{
	char buf[RAT_FORMAT_MAX];
	struct rat r;

	(void)state;
	assert_true(rat_make(54, 1000, &r));
	assert_string_equal(tbl_format_global_weight(r, buf), "0.054");
	assert_true(rat_make(110889, 1000000, &r));
	assert_string_equal(tbl_format_global_weight(r, buf), "0.110889");
	assert_string_equal(tbl_format_global_weight(rat_int(1), buf), "1.000");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_valid_table_gets_exact_global_weights),
	    cmocka_unit_test(test_validation_reports_every_problem_at_once),
	    cmocka_unit_test(test_empty_table_and_top_level_sum),
	    cmocka_unit_test(test_codes),
	    cmocka_unit_test(test_scope_names),
	    cmocka_unit_test(test_json_round_trip),
	    cmocka_unit_test(test_json_shape_errors_all_reported),
	    cmocka_unit_test(test_json_depth_is_bounded),
	    cmocka_unit_test(test_global_weight_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
