/*
 * The rendered-table cache: an entry answers only for its own evaluation
 * and version, holds exactly what the uncached path would print, and a
 * second evaluation in the same slot replaces the first.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "table_cache.h"
#include "table_csv.h"

static json_t *
table_of(const char *name)
{
	return json_pack("{s:[{s:s, s:s, s:s}], s:n, s:n}", "nodes", "code",
			 "1", "name", name, "weight", "1.000", "total",
			 "advanced");
}

static void
test_hit_only_for_the_same_evaluation_and_version(void **state)
{
	struct table_cache *tc = table_cache_new();
	json_t *t = table_of("one");
	const struct table_cache_entry *e;

	(void)state;
	assert_null(table_cache_get(tc, 7, 1));
	e = table_cache_put(tc, 7, 1, t);
	assert_non_null(e);
	assert_ptr_equal(table_cache_get(tc, 7, 1), e);
	assert_null(table_cache_get(tc, 7, 2));
	assert_null(table_cache_get(tc, 8, 1));
	json_decref(t);
	table_cache_free(tc);
}

/* The members, wrapped in braces, are the table's own JSON; the CSV is
 * what table_csv_render prints for its nodes. */
static void
test_entry_is_what_the_uncached_path_prints(void **state)
{
	struct table_cache *tc = table_cache_new();
	json_t *t = table_of("名称, \"quoted\""), *back;
	const struct table_cache_entry *e = table_cache_put(tc, 3, 9, t);
	char *wrapped, *csv;
	size_t csv_len;

	(void)state;
	assert_non_null(e);
	assert_int_equal(e->members_len, strlen(e->members));
	wrapped = malloc(e->members_len + 3);
	sprintf(wrapped, "{%s}", e->members);
	back = json_loads(wrapped, 0, NULL);
	assert_non_null(back);
	assert_true(json_equal(back, t));
	csv = table_csv_render(json_object_get(t, "nodes"), &csv_len);
	assert_int_equal(e->csv_len, csv_len);
	assert_memory_equal(e->csv, csv, csv_len);
	free(csv);
	json_decref(back);
	free(wrapped);
	json_decref(t);
	table_cache_free(tc);
}

/* Evaluations 5 and 5 + 64 share a slot: the newer replaces the older,
 * and a newer version of the same evaluation replaces its old one. */
static void
test_a_slot_holds_one_table(void **state)
{
	struct table_cache *tc = table_cache_new();
	json_t *a = table_of("a"), *b = table_of("b");

	(void)state;
	assert_non_null(table_cache_put(tc, 5, 1, a));
	assert_non_null(table_cache_put(tc, 5 + 64, 1, b));
	assert_null(table_cache_get(tc, 5, 1));
	assert_non_null(strstr(table_cache_get(tc, 69, 1)->members, "\"b\""));
	assert_non_null(table_cache_put(tc, 69, 2, a));
	assert_null(table_cache_get(tc, 69, 1));
	assert_non_null(strstr(table_cache_get(tc, 69, 2)->members, "\"a\""));
	json_decref(a);
	json_decref(b);
	table_cache_free(tc);
}

/* What cannot be rendered is not kept, and leaves the slot as it was. */
static void
test_unrenderable_table_is_not_kept(void **state)
{
	struct table_cache *tc = table_cache_new();
	json_t *good = table_of("good");
	json_t *bad =
	    json_pack("{s:[i], s:n, s:n}", "nodes", 1, "total", "advanced");

	(void)state;
	assert_non_null(table_cache_put(tc, 2, 1, good));
	assert_null(table_cache_put(tc, 2, 2, bad));
	assert_null(table_cache_get(tc, 2, 2));
	assert_non_null(table_cache_get(tc, 2, 1));
	json_decref(good);
	json_decref(bad);
	table_cache_free(tc);
	table_cache_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hit_only_for_the_same_evaluation_and_version),
	    cmocka_unit_test(test_entry_is_what_the_uncached_path_prints),
	    cmocka_unit_test(test_a_slot_holds_one_table),
	    cmocka_unit_test(test_unrenderable_table_is_not_kept),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
