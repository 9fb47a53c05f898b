/*
 * Rendered indicator tables, kept by (evaluation, version).  Rendering a
 * table (parsing the stored nodes, computing every global weight, value
 * and contribution exactly, printing JSON and CSV) costs several times
 * what reading its row does, and every change to an evaluation's table
 * bumps its version in the same statement: an entry for a version is
 * never stale, so nothing needs invalidating.  A fixed number of slots,
 * one per evaluation id modulo their count, bounds the memory.
 */
#ifndef PINGSHEN_TABLE_CACHE_H
#define PINGSHEN_TABLE_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct table_cache;

/* An empty cache; free with table_cache_free (NULL is a no-op). */
struct table_cache *table_cache_new(void);
void table_cache_free(struct table_cache *tc);

/* One rendered table.  The texts are NUL-terminated. */
struct table_cache_entry {
	int64_t evaluation, version;
	/* The members of GET /evaluations/{id}/table's JSON object but
	 * "evaluation", without the braces (JSON_EMBED). */
	char *members;
	size_t members_len;
	char *csv; /* as table_csv_render prints it */
	size_t csv_len;
};

/* The entry for this evaluation at this version, or NULL.  The cache owns
 * it; it is valid until the next table_cache_put. */
const struct table_cache_entry *table_cache_get(const struct table_cache *tc,
						int64_t evaluation,
						int64_t version);

/* Renders table ({"nodes","total","advanced"}, borrowed) into the slot of
 * evaluation, replacing what it held.  Returns the entry, owned as by
 * table_cache_get; NULL when the table cannot be rendered (its nodes are
 * not an array of objects), and then nothing is kept. */
const struct table_cache_entry *table_cache_put(struct table_cache *tc,
						int64_t evaluation,
						int64_t version,
						const json_t *table);

#endif
