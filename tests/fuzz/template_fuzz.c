/*
 * libFuzzer harness for the template loader (workflow/template.c
 * template_parse): any bytes as a template file, like
 * workflow/templates/ywtb.json.
 *
 * A refused template names at least one problem.  An accepted one has an
 * id and a title, a threshold that is a score, a validated table whose
 * leaves' global weights sum to exactly 1, and written out with
 * template_to_json it parses back to the same document.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_server.h"
#include "template.h"

static void
template_check(const struct template *tp)
{
	struct rat sum = rat_int(0);
	struct problems p = {0};
	json_t *once = template_to_json(tp), *twice;
	char *text = json_dumps(once, JSON_COMPACT);
	struct template *again = template_parse(text, strlen(text), &p);

	fuzz_check(tp->id[0] != '\0' && tp->title[0] != '\0',
		   "a template has an id and a title");
	fuzz_check(tp->threshold >= 0 && tp->threshold <= 10000,
		   "a template's threshold is a score");
	fuzz_check(tp->table != NULL && tp->table->n_leaves > 0,
		   "a template's table is validated");
	for (size_t i = 0; i < tp->table->n_leaves; i++) {
		fuzz_check(
		    rat_add(sum, tp->table->leaves[i]->global_weight, &sum),
		    "leaf weights add up");
	}
	fuzz_check(rat_cmp(sum, rat_int(1)) == 0,
		   "a template's leaves weigh exactly 1 in all");
	fuzz_check(again != NULL && p.n == 0,
		   "a template written out parses again");
	twice = template_to_json(again);
	fuzz_check(json_equal(once, twice), "a template reads back the same");
	json_decref(twice);
	template_free(again);
	problems_free(&p);
	free(text);
	json_decref(once);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct problems p = {0};
	struct template *tp = template_parse((const char *)data, size, &p);

	if (tp == NULL) {
		fuzz_check(p.n > 0, "a refused template names a problem");
	} else {
		fuzz_check(p.n == 0, "an accepted template has no problem");
		template_check(tp);
	}
	template_free(tp);
	problems_free(&p);
	return 0;
}
