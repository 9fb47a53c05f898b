/* Parsed built-in templates, loaded on first use. */
#include "catalog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

static struct template **catalog;
static size_t catalog_n;

/* A built-in that does not parse is a build defect: the unit tests parse
 * every one, so this only guards against a broken binary. */
static void
catalog_load(void)
{
	const char *id;

	if (catalog != NULL)
		return;
	for (catalog_n = 0; template_builtin_id(catalog_n) != NULL; catalog_n++)
		;
	catalog = xcalloc(catalog_n, sizeof *catalog);
	for (size_t i = 0; (id = template_builtin_id(i)) != NULL; i++) {
		struct problems p = {0};

		catalog[i] = template_builtin(id, &p);
		if (catalog[i] == NULL) {
			fprintf(stderr, "built-in template %s is invalid: %s\n",
				id, p.n ? p.items[0].message : "?");
			abort();
		}
	}
}

const struct template *
catalog_template(size_t i)
{
	catalog_load();
	return i < catalog_n ? catalog[i] : NULL;
}

const struct template *
catalog_find(const char *id)
{
	catalog_load();
	for (size_t i = 0; i < catalog_n; i++) {
		if (strcmp(catalog[i]->id, id) == 0)
			return catalog[i];
	}
	return NULL;
}

void
catalog_free(void)
{
	for (size_t i = 0; i < catalog_n; i++)
		template_free(catalog[i]);
	free(catalog);
	catalog = NULL;
	catalog_n = 0;
}
