/* The stage machine: guards list every unmet condition at once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "stage.h"

static size_t
advance(const struct stage_snapshot *s, enum stage to, struct problems *p)
{
	problems_free(p);
	return stage_check_advance(s, to, p);
}

static void
assert_subject(const struct problems *p, const char *code, const char *subject)
{
	for (size_t i = 0; i < p->n; i++) {
		if (strcmp(p->items[i].code, code) == 0 &&
		    p->items[i].subject != NULL &&
		    strcmp(p->items[i].subject, subject) == 0)
			return;
	}
	fail_msg("no %s about %s", code, subject);
}

static void
test_names_round_trip(void **state)
{
	enum stage s;

	(void)state;
	for (int i = 0; i < STAGE_COUNT; i++) {
		assert_true(stage_parse(stage_name(i), &s));
		assert_int_equal(s, i);
	}
	assert_string_equal(stage_name(STAGE_STANDARDS), "standards");
	assert_string_equal(stage_name(STAGE_FINALIZED), "finalized");
	assert_string_equal(stage_name((enum stage)99), "unknown");
	assert_false(stage_parse("Scoring", &s));
	assert_false(stage_parse("", &s));
}

static void
test_initial_stage(void **state)
{
	(void)state;
	assert_int_equal(stage_initial(true), STAGE_SCORING);
	assert_int_equal(stage_initial(false), STAGE_STANDARDS);
}

/* A whole procedure, each guard first refusing, then allowing. */
static void
test_procedure_guards(void **state)
{
	struct stage_candidate cands[] = {
	    {"1.1", true, false},
	    {"1.2", false, false},
	    {"1.3", false, false},
	};
	struct stage_snapshot s = {.stage = STAGE_STANDARDS};
	struct problems p = {0};
	struct tbl *t = tbl_new();
	struct tbl_node *g;

	(void)state;
	assert_int_equal(advance(&s, STAGE_POOL, &p), 1);
	assert_non_null(problems_find(&p, "no_standards"));
	s.n_standards = 2;
	assert_int_equal(advance(&s, STAGE_POOL, &p), 0);

	s.stage = STAGE_POOL;
	assert_int_equal(advance(&s, STAGE_COMPARISON, &p), 1);
	assert_non_null(problems_find(&p, "no_candidates"));
	s.candidates = cands;
	s.n_candidates = 3;
	/* both candidates without a source, in one answer */
	assert_int_equal(advance(&s, STAGE_COMPARISON, &p), 2);
	assert_subject(&p, "candidate_without_source", "1.2");
	assert_subject(&p, "candidate_without_source", "1.3");
	cands[1].has_source = cands[2].has_source = true;
	assert_int_equal(advance(&s, STAGE_COMPARISON, &p), 0);

	s.stage = STAGE_COMPARISON;
	assert_int_equal(advance(&s, STAGE_SELECTION, &p), 3);
	assert_subject(&p, "candidate_without_comparison", "1.1");
	assert_subject(&p, "candidate_without_comparison", "1.3");
	for (size_t i = 0; i < 3; i++)
		cands[i].has_comparison = true;
	assert_int_equal(advance(&s, STAGE_SELECTION, &p), 0);

	s.stage = STAGE_SELECTION;
	assert_int_equal(advance(&s, STAGE_WEIGHTING, &p), 2);
	assert_non_null(problems_find(&p, "no_consultations"));
	assert_non_null(problems_find(&p, "selection_not_finalized"));
	s.n_consultations = 1;
	s.selection_finalized = true;
	assert_int_equal(advance(&s, STAGE_WEIGHTING, &p), 1);
	assert_non_null(problems_find(&p, "no_key_indicators"));
	s.n_key_indicators = 2;
	assert_int_equal(advance(&s, STAGE_WEIGHTING, &p), 0);

	s.stage = STAGE_WEIGHTING;
	assert_int_equal(advance(&s, STAGE_SCORING, &p), 2);
	assert_non_null(problems_find(&p, "weighting_not_finalized"));
	assert_non_null(problems_find(&p, "no_table"));
	/* the table's own problems are the guard's problems */
	g = tbl_add(t, NULL, "1", "关键性指标", 1000);
	tbl_add(t, g, "1.1", "a", 600);
	tbl_add(t, g, "1.2", "b", 300);
	s.table = t;
	s.weighting_finalized = true;
	assert_int_equal(advance(&s, STAGE_SCORING, &p), 3);
	assert_non_null(problems_find(&p, "sibling_weights"));
	assert_subject(&p, "leaf_without_advanced_level", "1.1");
	assert_subject(&p, "leaf_without_advanced_level", "1.2");
	g->children[1]->weight = 400;
	tbl_node_set_advanced_level(g->children[0], "x");
	tbl_node_set_advanced_level(g->children[1], "y");
	assert_int_equal(advance(&s, STAGE_SCORING, &p), 0);
	assert_int_equal(t->n_leaves, 2);

	s.stage = STAGE_SCORING;
	assert_int_equal(advance(&s, STAGE_FINALIZED, &p), 1);
	assert_non_null(problems_find(&p, "scoring_not_finalized"));
	s.scoring_finalized = true;
	assert_int_equal(advance(&s, STAGE_FINALIZED, &p), 1);
	assert_non_null(problems_find(&p, "quorum_not_met"));
	s.scoring_quorum_met = true;
	assert_int_equal(advance(&s, STAGE_FINALIZED, &p), 0);

	s.stage = STAGE_FINALIZED;
	assert_int_equal(advance(&s, STAGE_FINALIZED, &p), 1);
	assert_non_null(problems_find(&p, "evaluation_finalized"));
	problems_free(&p);
	tbl_free(t);
}

static void
test_only_the_next_stage(void **state)
{
	struct stage_snapshot s = {.stage = STAGE_POOL, .n_standards = 1};
	struct problems p = {0};

	(void)state;
	assert_int_equal(advance(&s, STAGE_SELECTION, &p), 1);
	assert_non_null(problems_find(&p, "not_next_stage"));
	assert_int_equal(advance(&s, STAGE_POOL, &p), 1);
	assert_int_equal(advance(&s, STAGE_STANDARDS, &p), 1);
	assert_int_equal(advance(&s, (enum stage)42, &p), 1);
	problems_free(&p);
}

static void
test_going_back(void **state)
{
	struct stage_snapshot s = {.stage = STAGE_COMPARISON};
	struct problems p = {0};

	(void)state;
	assert_int_equal(stage_check_back(&s, STAGE_POOL, "重新整理指标池", &p),
			 0);
	/* no reason and two stages at once: both reported */
	assert_int_equal(stage_check_back(&s, STAGE_STANDARDS, " \n", &p), 2);
	assert_non_null(problems_find(&p, "not_previous_stage"));
	assert_non_null(problems_find(&p, "reason_required"));
	problems_free(&p);
	assert_int_equal(stage_check_back(&s, STAGE_POOL, NULL, &p), 1);
	problems_free(&p);

	s.stage = STAGE_STANDARDS;
	assert_int_equal(stage_check_back(&s, STAGE_STANDARDS, "r", &p), 1);
	assert_non_null(problems_find(&p, "not_previous_stage"));
	problems_free(&p);

	s.stage = STAGE_SCORING;
	s.from_template = true;
	assert_int_equal(stage_check_back(&s, STAGE_WEIGHTING, "r", &p), 1);
	assert_non_null(problems_find(&p, "from_template"));
	problems_free(&p);
	s.from_template = false;
	assert_int_equal(stage_check_back(&s, STAGE_WEIGHTING, "r", &p), 0);

	s.stage = STAGE_FINALIZED;
	assert_int_equal(stage_check_back(&s, STAGE_SCORING, "r", &p), 1);
	assert_non_null(problems_find(&p, "evaluation_finalized"));
	problems_free(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names_round_trip),
	    cmocka_unit_test(test_initial_stage),
	    cmocka_unit_test(test_procedure_guards),
	    cmocka_unit_test(test_only_the_next_stage),
	    cmocka_unit_test(test_going_back),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
