/*
 * The indicator table as CSV for a spreadsheet: UTF-8 with a byte order
 * mark (without it Excel reads the Chinese names as a legacy code page),
 * CRLF after every record, RFC 4180 quoting, and text that would start a
 * formula (=, +, -, @, tab, CR) prefixed with an apostrophe so that opening
 * the file never runs anything.
 *
 * Columns, after one header row:
 *   code, level (1 for the top groups), name, weight, global_weight,
 *   standard_comparisons ("ref clause: level", joined by "; "),
 *   benchmark_comparisons ("[scope] ref clause: level", joined by "; "),
 *   advanced_level, value, contribution
 * One row per node in table order (depth first, a group before its
 * children).  An absent field is an empty cell.  Line breaks inside a value
 * stay as they are, inside its quoted cell.
 */
#ifndef PINGSHEN_TABLE_CSV_H
#define PINGSHEN_TABLE_CSV_H

#include <stddef.h>

#include <jansson.h>

/*
 * Renders nodes, an array in the shape of table_json.h (tbl_to_json's
 * output), where a node may also carry "value" and "contribution" as
 * decimal strings.  Returns the CSV as a NUL-terminated string the caller
 * frees, its length (without the NUL) in *len; NULL when nodes or a node's
 * "children" is not an array of objects, or the nodes are nested deeper
 * than TBL_MAX_DEPTH.  len may be NULL.
 */
char *table_csv_render(const json_t *nodes, size_t *len);

#endif
