/*
 * The verdict over the ywtb table: exact totals, rounding half up once,
 * the threshold, trimming, leave-one-out robustness.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "template.h"
#include "verdict.h"

#define MAX_EXPERTS 8

/* A scoring round over every ywtb leaf: scores[leaf][expert]. */
struct panel {
	struct template *tp;
	size_t n_experts;
	int64_t experts[MAX_EXPERTS];
	int64_t scores[16][MAX_EXPERTS];
	struct vd_item items[16];
};

/* Every expert scores every leaf `score` hundredths, under rule. */
static void
panel_init(struct panel *p, size_t n_experts, int64_t score,
	   struct agg_rule rule)
{
	struct problems pr = {0};

	memset(p, 0, sizeof *p);
	p->tp = template_builtin("ywtb", &pr);
	assert_non_null(p->tp);
	assert_int_equal(p->tp->table->n_leaves, 16);
	p->n_experts = n_experts;
	for (size_t e = 0; e < n_experts; e++)
		p->experts[e] = 100 + (int64_t)e;
	for (size_t i = 0; i < 16; i++) {
		for (size_t e = 0; e < n_experts; e++)
			p->scores[i][e] = score;
		p->items[i].code = p->tp->table->leaves[i]->code;
		p->items[i].global_weight =
		    p->tp->table->leaves[i]->global_weight;
		p->items[i].rule = rule;
		p->items[i].experts = p->experts;
		p->items[i].scores = p->scores[i];
		p->items[i].n = n_experts;
	}
}

static size_t
leaf_index(const struct panel *p, const char *code)
{
	for (size_t i = 0; i < 16; i++) {
		if (strcmp(p->items[i].code, code) == 0)
			return i;
	}
	fail_msg("no leaf %s", code);
	return 0;
}

static void
compute(struct panel *p, struct vd_result *r)
{
	struct problems pr = {0};

	assert_int_equal(vd_compute(p->items, 16, 8500, r, &pr), 0);
	assert_int_equal(pr.n, 0);
}

static const struct agg_rule MEAN = {AGG_MEAN, 0};
static const struct agg_rule TRIMMED = {AGG_TRIMMED_MEAN, 1};

/* All 85 gives exactly 85.00 and is advanced: no binary floating point. */
static void
test_all_85_is_exactly_85_and_advanced(void **state)
{
	struct panel p;
	struct vd_result r;
	struct rat sum = rat_int(0);

	(void)state;
	panel_init(&p, 7, 8500, MEAN);
	compute(&p, &r);
	assert_int_equal(r.total.num, 8500);
	assert_int_equal(r.total.den, 1);
	assert_int_equal(r.published, 8500);
	assert_true(r.advanced);
	assert_true(r.robust);
	assert_int_equal(r.n_loo, 7);
	assert_int_equal(r.loo[0].expert, 100);
	assert_int_equal(r.n_lines, 16);
	for (size_t i = 0; i < r.n_lines; i++) {
		assert_true(rat_add(sum, r.lines[i].contribution, &sum));
		assert_int_equal(rat_cmp(r.lines[i].value, rat_int(8500)), 0);
	}
	assert_int_equal(rat_cmp(sum, r.total), 0);
	assert_string_equal(vd_conclusion(r.advanced), "具有先进性");
	vd_result_free(&r);
	template_free(p.tp);
}

/* 0.99 x 85 + 0.01 x 84.5 = exactly 84.995, which publishes as 85.00. */
static void
test_exact_84_995_rounds_up_to_advanced(void **state)
{
	struct panel p;
	struct vd_result r;
	size_t i;
	struct rat expected;

	(void)state;
	panel_init(&p, 5, 8500, MEAN);
	i = leaf_index(&p, "3.3"); /* global weight 0.01 */
	p.scores[i][4] = 8250;	   /* mean of 85,85,85,85,82.5 = 84.5 */
	compute(&p, &r);
	assert_true(rat_make(849950, 100, &expected));
	assert_int_equal(rat_cmp(r.total, expected), 0);
	assert_int_equal(r.published, 8500);
	assert_true(r.advanced);
	vd_result_free(&r);
	template_free(p.tp);
}

/* Mean of 85, 85, 83.49 is 84.4966...: the total is 84.99496..., 84.99. */
static void
test_exact_84_994_rounds_down_to_not_advanced(void **state)
{
	struct panel p;
	struct vd_result r;
	struct rat expected;
	size_t i;

	(void)state;
	panel_init(&p, 3, 8500, MEAN);
	i = leaf_index(&p, "3.3");
	p.scores[i][2] = 8349;
	compute(&p, &r);
	/* 0.99 * 8500 + 0.01 * 25349/3 hundredths */
	assert_true(rat_make(8415 * 300 + 25349, 300, &expected));
	assert_int_equal(rat_cmp(r.total, expected), 0);
	assert_true(rat_cmp(r.total, rat_int(8499)) > 0);
	assert_int_equal(r.published, 8499);
	assert_false(r.advanced);
	assert_string_equal(vd_conclusion(r.advanced), "不具有先进性");
	vd_result_free(&r);
	template_free(p.tp);
}

/* One harsh expert: the plain mean fails, the trimmed mean passes. */
static void
test_trimming_flips_the_verdict(void **state)
{
	struct panel p;
	struct vd_result r;

	(void)state;
	panel_init(&p, 5, 8600, MEAN);
	for (size_t i = 0; i < 16; i++)
		p.scores[i][0] = 4000;
	compute(&p, &r);
	assert_int_equal(r.published, 7680);
	assert_false(r.advanced);
	vd_result_free(&r);

	for (size_t i = 0; i < 16; i++)
		p.items[i].rule = TRIMMED;
	compute(&p, &r);
	assert_int_equal(r.published, 8600);
	assert_true(r.advanced);
	/* four experts remain without any one of them: trimming still
	 * works and every total stays at 86 */
	assert_true(r.robust);
	for (size_t e = 0; e < r.n_loo; e++) {
		assert_true(r.loo[e].computed);
		assert_int_equal(r.loo[e].published, 8600);
	}
	vd_result_free(&r);
	template_free(p.tp);
}

/* Without the one generous expert the panel falls below 85. */
static void
test_leave_one_out_detects_a_fragile_verdict(void **state)
{
	struct panel p;
	struct vd_result r;

	(void)state;
	panel_init(&p, 5, 8500, MEAN);
	for (size_t i = 0; i < 16; i++) {
		p.scores[i][3] = 8600;
		p.scores[i][4] = 8400;
	}
	compute(&p, &r);
	assert_int_equal(r.published, 8500);
	assert_true(r.advanced);
	assert_false(r.robust);
	assert_int_equal(r.loo[3].expert, 103);
	assert_int_equal(r.loo[3].published, 8475);
	assert_false(r.loo[3].advanced);
	assert_int_equal(r.loo[4].published, 8525);
	assert_true(r.loo[4].advanced);
	vd_result_free(&r);
	template_free(p.tp);
}

/* Three experts and trim 1: without one, two are too few to trim. */
static void
test_leave_one_out_not_computable_is_not_robust(void **state)
{
	struct panel p;
	struct vd_result r;

	(void)state;
	panel_init(&p, 3, 9000, TRIMMED);
	compute(&p, &r);
	assert_true(r.advanced);
	assert_false(r.robust);
	for (size_t e = 0; e < r.n_loo; e++)
		assert_false(r.loo[e].computed);
	vd_result_free(&r);
	template_free(p.tp);
}

static void
test_refusals(void **state)
{
	struct panel p;
	struct vd_result r = {0};
	struct problems pr = {0};

	(void)state;
	panel_init(&p, 3, 9000, TRIMMED);
	assert_int_equal(vd_compute(p.items, 0, 8500, &r, &pr), -1);
	assert_non_null(problems_find(&pr, "verdict_no_items"));
	problems_free(&pr);

	p.experts[1] = p.experts[0];
	assert_int_equal(vd_compute(p.items, 16, 8500, &r, &pr), -1);
	assert_int_equal(pr.n, 16);
	assert_non_null(problems_find(&pr, "verdict_duplicate_expert"));
	problems_free(&pr);

	p.experts[1] = 7;
	p.items[5].n = 2;
	assert_int_equal(vd_compute(p.items, 16, 8500, &r, &pr), -1);
	assert_non_null(problems_find(&pr, "verdict_not_computable"));
	assert_null(r.lines);
	problems_free(&pr);

	p.items[5].n = 3;
	p.items[5].global_weight.num = INT64_MAX;
	p.items[5].global_weight.den = 1;
	assert_int_equal(vd_compute(p.items, 16, 8500, &r, &pr), -1);
	assert_non_null(problems_find(&pr, "verdict_not_computable"));
	problems_free(&pr);
	template_free(p.tp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_all_85_is_exactly_85_and_advanced),
	    cmocka_unit_test(test_exact_84_995_rounds_up_to_advanced),
	    cmocka_unit_test(test_exact_84_994_rounds_down_to_not_advanced),
	    cmocka_unit_test(test_trimming_flips_the_verdict),
	    cmocka_unit_test(test_leave_one_out_detects_a_fragile_verdict),
	    cmocka_unit_test(test_leave_one_out_not_computable_is_not_robust),
	    cmocka_unit_test(test_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
