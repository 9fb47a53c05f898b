/* Weighting meetings: the formed table, results, final weights. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "kinds.h"

/* Fails the test unless got equals the JSON text expected (arrays in
 * order), printing both when they differ. */
static void
assert_json(const json_t *got, const char *expected)
{
	json_t *want = json_loads(expected, 0, NULL);
	bool equal;

	assert_non_null(want);
	equal = json_equal(got, want);
	if (!equal) {
		char *g = json_dumps(got, JSON_COMPACT | JSON_ENCODE_ANY);

		print_error("got %s\nwant %s\n", g ? g : "NULL", expected);
		free(g);
	}
	json_decref(want);
	assert_true(equal);
}

static const char *
str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* Group 3 holds no key indicator and is dropped; 1.10 sorts after 1.2
 * (shown in a scrambled order on purpose). */
static const char pool_text[] =
    "["
    "{\"code\":\"2.1.1\",\"kind\":\"candidate\",\"name\":\"Leak rate\","
    " \"key\":true, \"comparison\":{\"standard\":null,\"benchmark\":"
    " {\"scope\":\"international\",\"ref\":\"EN 1\",\"level\":\"<1%\"}}},"
    "{\"code\":\"1.10\",\"kind\":\"candidate\",\"name\":\"Noise\","
    " \"key\":true, \"description\":\"dB(A) at 1 m\", \"comparison\":"
    " {\"standard\":{\"ref\":\"GB 2\",\"clause\":\"4.1\",\"level\":\"55\"},"
    " \"benchmark\":{\"scope\":\"domestic\",\"ref\":\"Co\",\"level\":\"50\"}}},"
    "{\"code\":\"3\",\"kind\":\"group\",\"name\":\"Dropped\"},"
    "{\"code\":\"1\",\"kind\":\"group\",\"name\":\"Performance\"},"
    "{\"code\":\"1.2\",\"kind\":\"candidate\",\"name\":\"Speed\","
    " \"key\":true},"
    "{\"code\":\"1.3\",\"kind\":\"candidate\",\"name\":\"Mass\","
    " \"key\":false},"
    "{\"code\":\"3.1\",\"kind\":\"candidate\",\"name\":\"Colour\","
    " \"key\":null},"
    "{\"code\":\"2\",\"kind\":\"group\",\"name\":\"Safety\"},"
    "{\"code\":\"2.1\",\"kind\":\"group\",\"name\":\"Sealing\","
    " \"parent\":\"2\"},"
    "{\"code\":\"2.2\",\"kind\":\"candidate\",\"name\":\"Guard\"}"
    "]";

static void
test_items_are_the_formed_table_in_table_order(void **state)
{
	json_t *pool = json_loads(pool_text, 0, NULL);
	json_t *items = kind_weighting_items(pool), *named, *whole;

	(void)state;
	assert_json(items, "[\"1\",\"1.2\",\"1.10\",\"2\",\"2.1\",\"2.1.1\"]");

	/* One named item brings its siblings, in table order. */
	named = json_pack("[s]", "1.10");
	whole = kind_weighting_whole_groups(items, named);
	assert_json(whole, "[\"1.2\",\"1.10\"]");
	json_decref(named);
	json_decref(whole);

	/* A top-level item brings the top level (group null). */
	named = json_pack("[s, s]", "2.1.1", "2");
	whole = kind_weighting_whole_groups(items, named);
	assert_json(whole, "[\"1\",\"2\",\"2.1.1\"]");
	json_decref(named);
	json_decref(whole);

	json_decref(items);
	json_decref(pool);
}

/* Mean aggregation, IQR up to 10 percentage points, CV up to 0.5. */
static const struct meeting_rules mean_rules = {
    .agg = {AGG_MEAN, 0},
    .consensus = {1000, 5000, 10000, QUANTILE_LINEAR},
    .quorum = 3,
};

/* Three experts each giving one item of group 1 everything: the means are
 * 1/3 each.  Item "1" is alone at the top level. */
static const char *const ballot_texts[] = {
    "{\"weights\":[{\"item\":\"1\",\"weight\":1000},"
    " {\"item\":\"1.2\",\"weight\":1000},{\"item\":\"1.9\",\"weight\":0},"
    " {\"item\":\"1.10\",\"weight\":0}],"
    " \"advanced_levels\":[{\"item\":\"1.2\",\"text\":\"b\"},"
    " {\"item\":\"1.9\",\"text\":\"z\"}]}",
    "{\"weights\":[{\"item\":\"1.10\",\"weight\":0},"
    " {\"item\":\"1.9\",\"weight\":1000},{\"item\":\"1.2\",\"weight\":0},"
    " {\"item\":\"1\",\"weight\":1000}],"
    " \"advanced_levels\":[{\"item\":\"1.2\",\"text\":\"a\"},"
    " {\"item\":\"1.9\",\"text\":\"y\"}]}",
    "{\"weights\":[{\"item\":\"1\",\"weight\":1000},"
    " {\"item\":\"1.2\",\"weight\":0},{\"item\":\"1.9\",\"weight\":0},"
    " {\"item\":\"1.10\",\"weight\":1000}],"
    " \"advanced_levels\":[{\"item\":\"1.2\",\"text\":\"b\"}]}",
};

static json_t *
results_of(const struct meeting_rules *rules)
{
	json_t *ballots[3], *items, *out;

	for (size_t e = 0; e < 3; e++) {
		ballots[e] = json_loads(ballot_texts[e], 0, NULL);
		assert_non_null(ballots[e]);
	}
	items = json_pack("[s, s, s, s]", "1", "1.2", "1.9", "1.10");
	out = kind_weighting_results(ballots, 3, items, rules);
	for (size_t e = 0; e < 3; e++)
		json_decref(ballots[e]);
	json_decref(items);
	assert_non_null(out);
	assert_int_equal(json_array_size(out), 4);
	return out;
}

static void
test_results_renormalize_by_largest_remainder(void **state)
{
	json_t *res = results_of(&mean_rules), *one, *x;
	size_t i;

	(void)state;
	one = json_array_get(res, 0);
	assert_true(json_is_null(json_object_get(one, "group")));
	assert_string_equal(str(one, "weight"), "1.000");
	assert_string_equal(str(one, "value"), "1.000");
	assert_true(json_is_true(json_object_get(one, "consensus")));
	/* Item 1 has children in the round: no proposals for it. */
	assert_null(json_object_get(one, "advanced_levels"));

	/* The unit left over goes to the smallest code, 1.2 (not 1.10). */
	assert_string_equal(str(json_array_get(res, 1), "weight"), "0.334");
	assert_string_equal(str(json_array_get(res, 2), "weight"), "0.333");
	assert_string_equal(str(json_array_get(res, 3), "weight"), "0.333");
	json_array_foreach(res, i, x)
	{
		if (i == 0)
			continue;
		assert_string_equal(str(x, "item"), i == 1   ? "1.2"
						    : i == 2 ? "1.9"
							     : "1.10");
		assert_string_equal(str(x, "group"), "1");
		assert_int_equal(json_integer_value(json_object_get(x, "n")),
				 3);
		assert_string_equal(str(x, "value"), "0.333");
		assert_json(json_object_get(x, "exact"),
			    "{\"num\":1000,\"den\":3}");
		assert_string_equal(str(x, "mean"), "0.333");
		assert_string_equal(str(x, "trimmed_mean"), "0.333");
		assert_string_equal(str(x, "median"), "0.000");
		assert_string_equal(str(x, "sd"), "0.577");
		assert_string_equal(str(x, "cv"), "1.7321");
		assert_string_equal(str(x, "q1"), "0.000");
		assert_string_equal(str(x, "q3"), "0.500");
		assert_string_equal(str(x, "iqr"), "0.500");
		assert_string_equal(str(x, "min"), "0.000");
		assert_string_equal(str(x, "max"), "1.000");
		assert_true(json_is_false(json_object_get(x, "consensus")));
		assert_int_equal(json_object_size(x), 18);
	}
	/* Proposals: most first, then by text. */
	assert_json(
	    json_object_get(json_array_get(res, 1), "advanced_levels"),
	    "[{\"text\":\"b\",\"count\":2},{\"text\":\"a\",\"count\":1}]");
	assert_json(
	    json_object_get(json_array_get(res, 2), "advanced_levels"),
	    "[{\"text\":\"y\",\"count\":1},{\"text\":\"z\",\"count\":1}]");
	assert_json(json_object_get(json_array_get(res, 3), "advanced_levels"),
		    "[]");
	json_decref(res);
}

/* Medians of 1000/0/0 in every column are all zero: the group cannot be
 * scaled, so it has no weight and no consensus; its aggregate still
 * shows. */
static void
test_results_zero_sum_group_has_no_weight(void **state)
{
	struct meeting_rules median = mean_rules;
	json_t *res, *x;
	size_t i;

	(void)state;
	median.agg.method = AGG_MEDIAN;
	res = results_of(&median);
	assert_string_equal(str(json_array_get(res, 0), "weight"), "1.000");
	json_array_foreach(res, i, x)
	{
		if (i == 0)
			continue;
		assert_true(json_is_null(json_object_get(x, "weight")));
		assert_true(json_is_false(json_object_get(x, "consensus")));
		assert_string_equal(str(x, "value"), "0.000");
		assert_json(json_object_get(x, "exact"),
			    "{\"num\":0,\"den\":1}");
	}
	json_decref(res);
}

/* A counted ballot without an item cannot be aggregated. */
static void
test_results_refuse_an_incomplete_ballot(void **state)
{
	json_t *ballot = json_loads(ballot_texts[0], 0, NULL);
	json_t *items = json_pack("[s, s]", "1", "2");

	(void)state;
	assert_null(kind_weighting_results(&ballot, 1, items, &mean_rules));
	json_decref(items);
	json_decref(ballot);
}

static void
test_final_weights_take_the_latest_round(void **state)
{
	json_t *rounds =
	    json_loads("[{\"n\":1,\"results\":{\"items\":["
		       " {\"item\":\"1\",\"weight\":\"0.400\"},"
		       " {\"item\":\"2\",\"weight\":\"0.600\"},"
		       " {\"item\":\"1.1\",\"weight\":\"1.000\"},"
		       " {\"item\":\"2.1\",\"weight\":\"0.500\"},"
		       " {\"item\":\"2.2\",\"weight\":\"0.500\"}]}},"
		       "{\"n\":2,\"results\":{\"items\":["
		       " {\"item\":\"1\",\"weight\":\"0.450\"},"
		       " {\"item\":\"2\",\"weight\":\"0.550\"},"
		       " {\"item\":\"3.1\",\"weight\":null}]}},"
		       "{\"n\":3,\"results\":{\"items\":["
		       " {\"item\":\"2.1\",\"weight\":null},"
		       " {\"item\":\"2.2\",\"weight\":null}]}}]",
		       0, NULL);
	json_t *w;

	(void)state;
	assert_non_null(rounds);
	w = kind_weighting_final_weights(rounds);
	/* 2.1 and 2.2 were last covered by a round that could not weigh
	 * them: they are unrated, like 3.1. */
	assert_json(w, "{\"1\":450,\"2\":550,\"1.1\":1000}");
	json_decref(w);
	json_decref(rounds);
}

static void
test_proposed_looks_in_every_round(void **state)
{
	json_t *rounds = json_loads(
	    "[{\"n\":1,\"results\":{\"items\":["
	    " {\"item\":\"1.1\",\"advanced_levels\":"
	    "  [{\"text\":\"IP67\",\"count\":2}]},"
	    " {\"item\":\"1.2\",\"advanced_levels\":[]}]}},"
	    "{\"n\":2,\"results\":{\"items\":["
	    " {\"item\":\"1.2\",\"advanced_levels\":"
	    "  [{\"text\":\"5 s\",\"count\":1},{\"text\":\"4 s\",\"count\":1}]}"
	    "]}}]",
	    0, NULL);

	(void)state;
	assert_non_null(rounds);
	assert_true(kind_weighting_proposed(rounds, "1.1", "IP67"));
	assert_true(kind_weighting_proposed(rounds, "1.2", "4 s"));
	assert_false(kind_weighting_proposed(rounds, "1.2", "IP67"));
	assert_false(kind_weighting_proposed(rounds, "1.1", "ip67"));
	assert_false(kind_weighting_proposed(rounds, "1.3", "5 s"));
	json_decref(rounds);
}

static void
test_table_is_valid_with_every_weight_and_level(void **state)
{
	json_t *pool = json_loads(pool_text, 0, NULL);
	json_t *weights =
	    json_loads("{\"1\":600,\"2\":400,\"1.2\":250,"
		       "\"1.10\":750,\"2.1\":1000,\"2.1.1\":1000}",
		       0, NULL);
	json_t *levels = json_loads(
	    "{\"1.2\":\"10 m/s\",\"1.10\":\"45\",\"2.1.1\":\"0.5%\"}", 0, NULL);
	struct problems p = {0};
	struct tbl *t = kind_weighting_table(pool, weights, levels);
	struct tbl_node *noise;

	(void)state;
	assert_int_equal(tbl_validate(t, &p), 0);
	assert_int_equal(t->n_roots, 2);
	assert_string_equal(t->roots[0]->code, "1");
	assert_string_equal(t->roots[0]->name, "Performance");
	assert_int_equal(t->roots[0]->n_children, 2);
	assert_string_equal(t->roots[0]->children[1]->code, "1.10");
	assert_int_equal(t->n_leaves, 3);
	/* 0.6 * 0.75 */
	noise = tbl_find(t, "1.10");
	assert_int_equal(noise->global_weight.num, 9);
	assert_int_equal(noise->global_weight.den, 20);
	assert_string_equal(noise->description, "dB(A) at 1 m");
	assert_string_equal(noise->advanced_level, "45");
	assert_int_equal(noise->n_comparisons, 2);
	assert_int_equal(noise->comparisons[0].kind, TBL_CMP_STANDARD);
	assert_int_equal(noise->comparisons[0].scope, TBL_SCOPE_NONE);
	assert_string_equal(noise->comparisons[0].clause, "4.1");
	assert_int_equal(noise->comparisons[1].kind, TBL_CMP_BENCHMARK);
	assert_int_equal(noise->comparisons[1].scope, TBL_SCOPE_DOMESTIC);
	assert_null(noise->comparisons[1].clause);
	assert_int_equal(tbl_find(t, "2.1.1")->n_comparisons, 1);
	assert_int_equal(tbl_find(t, "2.1.1")->comparisons[0].scope,
			 TBL_SCOPE_INTERNATIONAL);
	assert_null(tbl_find(t, "3"));
	tbl_free(t);

	/* Without a weight a node stays unset and the table is invalid. */
	json_object_del(weights, "2.1");
	t = kind_weighting_table(pool, weights, levels);
	assert_int_equal(tbl_find(t, "2.1")->weight, TBL_WEIGHT_UNSET);
	assert_true(tbl_validate(t, &p) > 0);
	tbl_free(t);
	problems_free(&p);
	json_decref(levels);
	json_decref(weights);
	json_decref(pool);
}

static void
test_ballot_json_and_previous(void **state)
{
	json_t *stored = json_loads(ballot_texts[1], 0, NULL);
	json_t *results = json_loads(
	    "{\"round\":1,\"items\":["
	    " {\"item\":\"1\",\"median\":\"1.000\",\"iqr\":\"0.000\","
	    "  \"weight\":\"1.000\",\"consensus\":true},"
	    " {\"item\":\"1.9\",\"median\":\"0.000\",\"iqr\":\"0.500\","
	    "  \"weight\":null,\"consensus\":false},"
	    " {\"item\":\"1.10\",\"median\":\"0.000\",\"iqr\":\"0.500\","
	    "  \"weight\":null,\"consensus\":false}]}",
	    0, NULL);
	json_t *items = json_pack("[s, s, s]", "1.2", "1.9", "1.10");
	json_t *out;

	(void)state;
	out = kind_weighting_ballot_json(NULL);
	assert_json(out, "{\"weights\":[],\"advanced_levels\":[]}");
	json_decref(out);
	out = kind_weighting_ballot_json(stored);
	assert_json(out,
		    "{\"weights\":[{\"item\":\"1.10\",\"weight\":\"0.000\"},"
		    " {\"item\":\"1.9\",\"weight\":\"1.000\"},"
		    " {\"item\":\"1.2\",\"weight\":\"0.000\"},"
		    " {\"item\":\"1\",\"weight\":\"1.000\"}],"
		    " \"advanced_levels\":[{\"item\":\"1.2\",\"text\":\"a\"},"
		    " {\"item\":\"1.9\",\"text\":\"y\"}]}");
	json_decref(out);

	/* Only this round's items; own weight null without a ballot. */
	out = kind_weighting_previous(results, stored, items);
	assert_json(out, "{\"round\":1,\"items\":["
			 " {\"item\":\"1.9\",\"median\":\"0.000\","
			 "  \"iqr\":\"0.500\",\"weight\":null,"
			 "  \"consensus\":false,\"own_weight\":\"1.000\"},"
			 " {\"item\":\"1.10\",\"median\":\"0.000\","
			 "  \"iqr\":\"0.500\",\"weight\":null,"
			 "  \"consensus\":false,\"own_weight\":\"0.000\"}]}");
	json_decref(out);
	out = kind_weighting_previous(results, NULL, items);
	assert_true(json_is_null(json_object_get(
	    json_array_get(json_object_get(out, "items"), 0), "own_weight")));
	json_decref(out);
	json_decref(items);
	json_decref(results);
	json_decref(stored);
}

/* Reads a ballot that is accepted: nothing is answered, so a bare request
 * carrying the body is enough. */
static json_t *
read_accepted(const char *body, const json_t *items, bool *complete,
	      size_t *given)
{
	struct req r = {0};
	json_t *stored;

	r.body = json_loads(body, 0, NULL);
	assert_non_null(r.body);
	stored = kind_weighting_ballot_read(&r, items, complete, given);
	json_decref(r.body);
	assert_non_null(stored);
	return stored;
}

static void
test_ballot_read_accepts_whole_groups(void **state)
{
	json_t *items = json_pack("[s, s, s, s]", "1", "1.2", "1.9", "1.10");
	json_t *stored;
	bool complete;
	size_t given;

	(void)state;
	/* A string, a number a double cannot hold exactly, an integer. */
	stored = read_accepted(
	    "{\"weights\":[{\"item\":\"1.10\",\"weight\":\"0.25\"},"
	    " {\"item\":\"1.2\",\"weight\":0.3},"
	    " {\"item\":\"1.9\",\"weight\":\"0.450\"},"
	    " {\"item\":\"1\",\"weight\":1}],"
	    " \"advanced_levels\":[{\"item\":\"1.9\",\"text\":\"IP67\"}]}",
	    items, &complete, &given);
	assert_true(complete);
	assert_int_equal(given, 4);
	assert_json(
	    stored,
	    "{\"weights\":[{\"item\":\"1.10\",\"weight\":250},"
	    " {\"item\":\"1.2\",\"weight\":300},"
	    " {\"item\":\"1.9\",\"weight\":450},"
	    " {\"item\":\"1\",\"weight\":1000}],"
	    " \"advanced_levels\":[{\"item\":\"1.9\",\"text\":\"IP67\"}]}");
	json_decref(stored);

	/* One whole group only: saved, not complete. */
	stored = read_accepted("{\"weights\":[{\"item\":\"1\",\"weight\":"
			       "\"1.000\"}]}",
			       items, &complete, &given);
	assert_false(complete);
	assert_int_equal(given, 1);
	assert_json(stored, "{\"weights\":[{\"item\":\"1\",\"weight\":1000}],"
			    " \"advanced_levels\":[]}");
	json_decref(stored);
	json_decref(items);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_items_are_the_formed_table_in_table_order),
	    cmocka_unit_test(test_results_renormalize_by_largest_remainder),
	    cmocka_unit_test(test_results_zero_sum_group_has_no_weight),
	    cmocka_unit_test(test_results_refuse_an_incomplete_ballot),
	    cmocka_unit_test(test_final_weights_take_the_latest_round),
	    cmocka_unit_test(test_proposed_looks_in_every_round),
	    cmocka_unit_test(test_table_is_valid_with_every_weight_and_level),
	    cmocka_unit_test(test_ballot_json_and_previous),
	    cmocka_unit_test(test_ballot_read_accepts_whole_groups),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
