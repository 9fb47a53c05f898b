/*
 * A direct-mapped cache: evaluation ids are dense and a busy server reads
 * few tables at a time, so a slot per id modulo TABLE_CACHE_SLOTS loses
 * little to collisions, and needs neither a hash table nor an LRU list.
 */
#include "table_cache.h"

#include <stdlib.h>
#include <string.h>

#include "table_csv.h"
#include "xalloc.h"

/* A 100-leaf table takes about 40 KB of text in both forms: 64 slots stay
 * under 3 MB. */
#define TABLE_CACHE_SLOTS 64

struct table_cache {
	struct table_cache_entry slots[TABLE_CACHE_SLOTS];
};

struct table_cache *
table_cache_new(void)
{
	return xcalloc(1, sizeof(struct table_cache));
}

static size_t
table_cache_slot(int64_t evaluation)
{
	return (size_t)((uint64_t)evaluation % TABLE_CACHE_SLOTS);
}

static void
table_cache_clear(struct table_cache_entry *e)
{
	free(e->members);
	free(e->csv);
	memset(e, 0, sizeof *e);
}

void
table_cache_free(struct table_cache *tc)
{
	if (tc == NULL)
		return;
	for (size_t i = 0; i < TABLE_CACHE_SLOTS; i++)
		table_cache_clear(&tc->slots[i]);
	free(tc);
}

const struct table_cache_entry *
table_cache_get(const struct table_cache *tc, int64_t evaluation,
		int64_t version)
{
	const struct table_cache_entry *e =
	    &tc->slots[table_cache_slot(evaluation)];

	if (e->members == NULL || e->evaluation != evaluation ||
	    e->version != version)
		return NULL;
	return e;
}

const struct table_cache_entry *
table_cache_put(struct table_cache *tc, int64_t evaluation, int64_t version,
		const json_t *table)
{
	struct table_cache_entry *e = &tc->slots[table_cache_slot(evaluation)];
	char *members, *csv;
	size_t csv_len;

	csv = table_csv_render(json_object_get(table, "nodes"), &csv_len);
	if (csv == NULL)
		return NULL;
	members = json_dumps(table, JSON_COMPACT | JSON_EMBED);
	if (members == NULL)
		abort();
	table_cache_clear(e);
	e->evaluation = evaluation;
	e->version = version;
	e->members = members;
	e->members_len = strlen(members);
	e->csv = csv;
	e->csv_len = csv_len;
	return e;
}
