/* The problem list and the allocation wrappers it rests on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "problems.h"
#include "xalloc.h"

static void
test_list_grows_and_copies(void **state)
{
	struct problems p = {0};
	char subject[8] = "1.1";

	(void)state;
	for (int i = 0; i < 20; i++)
		problems_add(&p, "code_duplicate", subject, "item %d", i);
	subject[0] = '9';
	assert_int_equal(p.n, 20);
	assert_string_equal(p.items[19].message, "item 19");
	assert_string_equal(p.items[0].subject, "1.1");
	problems_add(&p, "empty", NULL, "%s", "");
	assert_null(p.items[20].subject);
	assert_string_equal(p.items[20].message, "");
	assert_ptr_equal(problems_find(&p, "empty"), &p.items[20]);
	assert_null(problems_find(&p, "other"));
	problems_free(&p);
	assert_int_equal(p.n, 0);
	assert_null(p.items);
}

static void
test_xalloc(void **state)
{
	char *s = xasprintf("%s-%d", "评审", 7);
	int *v = xcalloc(4, sizeof *v);

	(void)state;
	assert_string_equal(s, "评审-7");
	free(s);
	s = xstrndup("abcdef", 3);
	assert_string_equal(s, "abc");
	free(s);
	assert_int_equal(v[3], 0);
	v = xreallocarray(v, 8, sizeof *v);
	v[7] = 1;
	free(v);
	free(xmalloc(0));
	free(xcalloc(0, 0));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_list_grows_and_copies),
	    cmocka_unit_test(test_xalloc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
