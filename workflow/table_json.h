/*
 * The indicator table as JSON, the one shape used by template files, the
 * API and the database: an array of nodes
 *   {"code","name","weight":"0.3","description"?,"advanced_level"?,
 *    "comparisons"?:[{"kind":"standard"|"benchmark","scope"?,"ref",
 *                     "clause"?,"level"}],
 *    "children"?:[...]}
 * Weights travel as decimal strings with at most three decimals.
 */
#ifndef PINGSHEN_TABLE_JSON_H
#define PINGSHEN_TABLE_JSON_H

#include <jansson.h>

#include "problems.h"
#include "table.h"

/*
 * Builds a table from a JSON array of nodes.  Every shape problem (missing
 * or mistyped field, bad weight) is appended to out, with the node's path as
 * subject, and the result is NULL; otherwise the caller owns the returned
 * table, which is built but not yet validated (see tbl_validate).
 */
struct tbl *tbl_from_json(const json_t *nodes, struct problems *out);

/*
 * The table as a new JSON array (caller decrefs).  Global weights are
 * included when the table has been validated.
 */
json_t *tbl_to_json(const struct tbl *t);

/* The node object with this code in a JSON array of nodes (as tbl_to_json
 * makes), or NULL; borrowed from nodes. */
json_t *tbl_json_find(const json_t *nodes, const char *code);

/* Writes a global weight exactly ("0.054", "0.110889") into buf. */
char *tbl_format_global_weight(struct rat w, char *buf);

#endif
