/* Templates: the built-in ywtb (the seed's Table 1) and the parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "table_json.h"
#include "template.h"

/* Table 1's last column, in table order. */
static const struct {
	const char *code;
	const char *name;
	const char *global_weight;
} ywtb_leaves[] = {
    {"1.1.1", "事项覆盖度", "0.054"},	  {"1.1.2", "办事指南规范化", "0.072"},
    {"1.1.3", "办事指南个性化", "0.054"}, {"1.2.1", "流程优化", "0.072"},
    {"1.2.2", "集成服务", "0.054"},	  {"1.2.3", "窗口创新", "0.054"},
    {"1.3.1", "统一在线客服", "0.048"},	  {"1.3.2", "统一身份认证", "0.048"},
    {"1.3.3", "统一快递物流", "0.048"},	  {"1.3.4", "统一移动端服务", "0.048"},
    {"1.3.5", "申请材料电子化", "0.048"}, {"2.1", "标准应用", "0.180"},
    {"2.2", "实施效益", "0.120"},	  {"3.1", "标准制定", "0.040"},
    {"3.2", "标准内容", "0.050"},	  {"3.3", "标准格式", "0.010"},
};

#define YWTB_N_LEAVES (sizeof ywtb_leaves / sizeof *ywtb_leaves)

static struct template *
load_ywtb(void)
{
	struct problems p = {0};
	struct template *tp = template_builtin("ywtb", &p);

	if (tp == NULL) {
		for (size_t i = 0; i < p.n; i++)
			print_error("%s: %s\n", p.items[i].code,
				    p.items[i].message);
	}
	assert_non_null(tp);
	assert_int_equal(p.n, 0);
	return tp;
}

static void
test_ywtb_global_weights_match_table_1_exactly(void **state)
{
	struct template *tp = load_ywtb();
	struct rat sum = rat_int(0);
	char buf[RAT_FORMAT_MAX];

	(void)state;
	assert_int_equal(tp->table->n_leaves, YWTB_N_LEAVES);
	for (size_t i = 0; i < YWTB_N_LEAVES; i++) {
		const struct tbl_node *leaf = tp->table->leaves[i];
		struct rat expected;
		int64_t thousandths;

		assert_string_equal(leaf->code, ywtb_leaves[i].code);
		assert_string_equal(leaf->name, ywtb_leaves[i].name);
		/* exact: the rational equals n/1000, not just prints so */
		thousandths =
		    strtol(ywtb_leaves[i].global_weight + 2, NULL, 10);
		assert_true(rat_make(thousandths, 1000, &expected));
		assert_int_equal(rat_cmp(leaf->global_weight, expected), 0);
		assert_string_equal(rat_format(leaf->global_weight, 3, buf),
				    ywtb_leaves[i].global_weight);
		assert_true(rat_add(sum, leaf->global_weight, &sum));
	}
	assert_int_equal(sum.num, 1);
	assert_int_equal(sum.den, 1);
	template_free(tp);
}

static void
test_ywtb_content(void **state)
{
	struct template *tp = load_ywtb();
	const struct tbl *t = tp->table;
	const struct tbl_node *n;

	(void)state;
	assert_string_equal(tp->id, "ywtb");
	assert_int_equal(tp->threshold, 8500);
	assert_int_equal(t->n_roots, 3);
	assert_string_equal(t->roots[0]->name, "关键性指标/要素");
	assert_int_equal(t->roots[0]->weight, 600);
	assert_string_equal(t->roots[1]->name, "标准实施成效");
	assert_string_equal(t->roots[2]->name, "标准规范性");
	assert_string_equal(tbl_find(t, "1.3")->name, "服务便利化");

	n = tbl_find(t, "1.1.1");
	assert_string_equal(n->description, "明确行政权力事项和公共服务事项。");
	assert_int_equal(n->n_comparisons, 1);
	assert_int_equal(n->comparisons[0].kind, TBL_CMP_STANDARD);
	assert_non_null(strstr(n->comparisons[0].ref, "GB/T 39048-2020"));
	assert_string_equal(n->comparisons[0].clause, "第5.2条");
	assert_string_equal(n->advanced_level,
			    "10类行政权力事项和公共服务事项");

	/* 窗口创新 rests on three benchmarks, no standard */
	n = tbl_find(t, "1.2.3");
	assert_int_equal(n->n_comparisons, 3);
	for (size_t i = 0; i < n->n_comparisons; i++) {
		assert_int_equal(n->comparisons[i].kind, TBL_CMP_BENCHMARK);
		assert_int_equal(n->comparisons[i].scope, TBL_SCOPE_DOMESTIC);
	}
	assert_string_equal(n->advanced_level, "就近办、家门口办");

	n = tbl_find(t, "1.3.5");
	assert_non_null(strstr(n->comparisons[0].clause, "9.4/9.5"));

	/* Every leaf has its advanced level and, for key indicators, a
	 * description from section 4.2 and at least one comparison. */
	for (size_t i = 0; i < t->n_leaves; i++) {
		n = t->leaves[i];
		assert_non_null(n->advanced_level);
		assert_non_null(n->description);
		if (n->code[0] == '1')
			assert_true(n->n_comparisons >= 1);
	}
	template_free(tp);
}

static void
test_builtin_lookup(void **state)
{
	struct problems p = {0};
	size_t len = 0;

	(void)state;
	assert_string_equal(template_builtin_id(0), "ywtb");
	assert_null(template_builtin_id(1));
	assert_non_null(template_builtin_json("ywtb", &len));
	assert_true(len > 1000);
	assert_int_equal(strlen(template_builtin_json("ywtb", NULL)), len);
	assert_null(template_builtin_json("nope", &len));
	assert_null(template_builtin("nope", &p));
	assert_non_null(problems_find(&p, "template_unknown"));
	problems_free(&p);
}

/* The JSON the API serves parses back into the same template. */
static void
test_to_json_round_trip(void **state)
{
	struct problems p = {0};
	struct template *tp = load_ywtb(), *back;
	json_t *a, *b;
	char *sa, *sb;

	(void)state;
	a = template_to_json(tp);
	sa = json_dumps(a, JSON_SORT_KEYS);
	back = template_parse(sa, strlen(sa), &p);
	assert_non_null(back);
	b = template_to_json(back);
	sb = json_dumps(b, JSON_SORT_KEYS);
	assert_string_equal(sa, sb);
	assert_non_null(strstr(sa, "\"threshold\": \"85.00\""));
	assert_non_null(strstr(sa, "\"global_weight\": \"0.054\""));
	free(sa);
	free(sb);
	json_decref(a);
	json_decref(b);
	template_free(back);
	template_free(tp);
	template_free(NULL);
}

static void
expect_problems(const char *json, size_t count, const char *code)
{
	struct problems p = {0};

	assert_null(template_parse(json, strlen(json), &p));
	if (p.n != count) {
		for (size_t i = 0; i < p.n; i++)
			print_error("%s: %s\n", p.items[i].code,
				    p.items[i].message);
	}
	assert_int_equal(p.n, count);
	assert_non_null(problems_find(&p, code));
	problems_free(&p);
}

static void
test_parse_errors(void **state)
{
	(void)state;
	expect_problems("{\"id\": 1,", 1, "template_json");
	expect_problems("{\"id\":\"a\",\"id\":\"b\"}", 1, "template_json");
	expect_problems("[]", 1, "template_shape");
	/* id, title, threshold and nodes all wrong: four problems */
	expect_problems("{\"id\":\"\",\"title\":5,\"threshold\":\"85.001\","
			"\"nodes\":[]}",
			4, "template_shape");
	/* shape is fine, the table is not: validation problems come back */
	expect_problems("{\"id\":\"x\",\"title\":\"t\",\"threshold\":\"85\","
			"\"nodes\":[{\"code\":\"1\",\"name\":\"a\","
			"\"weight\":\"0.5\"},{\"code\":\"1\",\"name\":\"b\","
			"\"weight\":\"0.4\"}]}",
			4, "sibling_weights");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ywtb_global_weights_match_table_1_exactly),
	    cmocka_unit_test(test_ywtb_content),
	    cmocka_unit_test(test_builtin_lookup),
	    cmocka_unit_test(test_to_json_round_trip),
	    cmocka_unit_test(test_parse_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
