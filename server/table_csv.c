/* The indicator table as spreadsheet-safe CSV (see table_csv.h). */
#include "table_csv.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "table.h"
#include "xalloc.h"

#define TABLE_CSV_BOM "\xef\xbb\xbf"
#define TABLE_CSV_EOL "\r\n"
#define TABLE_CSV_HEADER                                                       \
	"code,level,name,weight,global_weight,standard_comparisons,"           \
	"benchmark_comparisons,advanced_level,value,contribution"

/* A growing output buffer, always NUL-terminated. */
struct table_csv_buf {
	char *p;
	size_t len;
	size_t cap;
};

static void
table_csv_put(struct table_csv_buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;

		while (b->len + n + 1 > cap) {
			if (cap > SIZE_MAX / 2) {
				cap = b->len + n + 1;
				break;
			}
			cap *= 2;
		}
		b->p = xreallocarray(b->p, cap, 1);
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
table_csv_puts(struct table_csv_buf *b, const char *s)
{
	table_csv_put(b, s, strlen(s));
}

/*
 * A plain decimal as the table and verdict write them ("0.054", "86.42",
 * "-1.5"): a spreadsheet reads it as a number, never as a formula, so it
 * keeps its sign unprotected.  A leading '+' is not accepted here: "+1"
 * gets the apostrophe like any other text that starts with '+'.
 */
static bool
table_csv_is_number(const char *s)
{
	const char *p = s;

	if (*p == '-')
		p++;
	if (*p < '0' || *p > '9')
		return false;
	while (*p >= '0' && *p <= '9')
		p++;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return false;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	return *p == '\0';
}

/*
 * Appends one field (s may be NULL: an empty cell).  A field that a
 * spreadsheet would take for a formula gets a leading apostrophe, unless it
 * is a number in a numeric column; then a field with a comma, a quote, CR
 * or LF is quoted with its quotes doubled (RFC 4180).
 */
static void
table_csv_field(struct table_csv_buf *b, const char *s, bool numeric)
{
	bool protect, quote;

	if (s == NULL || *s == '\0')
		return;
	protect = strchr("=+-@\t\r", *s) != NULL &&
		  !(numeric && table_csv_is_number(s));
	quote = strpbrk(s, ",\"\r\n") != NULL;
	if (quote)
		table_csv_put(b, "\"", 1);
	if (protect)
		table_csv_put(b, "'", 1);
	if (!quote) {
		table_csv_puts(b, s);
		return;
	}
	for (const char *q; (q = strchr(s, '"')) != NULL; s = q + 1) {
		/* up to and with the quote, then the quote once more */
		table_csv_put(b, s, (size_t)(q - s) + 1);
		table_csv_put(b, "\"", 1);
	}
	table_csv_puts(b, s);
	table_csv_put(b, "\"", 1);
}

/* A member's string value, or NULL when absent or not a string. */
static const char *
table_csv_str(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/*
 * A numeric member as text: decimal strings as they are, JSON integers
 * printed; anything else is an empty cell.  buf holds an integer.
 */
static const char *
table_csv_num(const json_t *obj, const char *key, char buf[32])
{
	const json_t *v = json_object_get(obj, key);

	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v)) {
		snprintf(buf, 32, "%" JSON_INTEGER_FORMAT,
			 json_integer_value(v));
		return buf;
	}
	return NULL;
}

/*
 * The node's comparisons of one kind ("standard" or "benchmark") as
 * "[scope] ref clause: level" joined by "; ", or NULL when there is none.
 * The caller frees the result.
 */
static char *
table_csv_comparisons(const json_t *node, const char *kind)
{
	const json_t *list = json_object_get(node, "comparisons"), *c;
	struct table_csv_buf b = {0};
	size_t i;

	json_array_foreach(list, i, c)
	{
		const char *k = table_csv_str(c, "kind");
		const char *scope = table_csv_str(c, "scope");
		const char *ref = table_csv_str(c, "ref");
		const char *clause = table_csv_str(c, "clause");
		const char *level = table_csv_str(c, "level");

		/* table_json.h: a comparison without a kind is a standard. */
		if (strcmp(k ? k : "standard", kind) != 0)
			continue;
		if (b.len > 0)
			table_csv_puts(&b, "; ");
		if (scope != NULL && *scope != '\0') {
			table_csv_puts(&b, "[");
			table_csv_puts(&b, scope);
			table_csv_puts(&b, "] ");
		}
		table_csv_puts(&b, ref ? ref : "");
		if (clause != NULL && *clause != '\0') {
			table_csv_puts(&b, " ");
			table_csv_puts(&b, clause);
		}
		table_csv_puts(&b, ": ");
		table_csv_puts(&b, level ? level : "");
	}
	return b.p;
}

static bool table_csv_nodes(struct table_csv_buf *b, const json_t *nodes,
			    int level);

/* One row for node, then its children's rows. */
static bool
table_csv_node(struct table_csv_buf *b, const json_t *node, int level)
{
	char lv[16], num[32];
	char *standards = table_csv_comparisons(node, "standard");
	char *benchmarks = table_csv_comparisons(node, "benchmark");
	const json_t *children;

	snprintf(lv, sizeof lv, "%d", level);
	table_csv_field(b, table_csv_str(node, "code"), false);
	table_csv_puts(b, ",");
	table_csv_field(b, lv, true);
	table_csv_puts(b, ",");
	table_csv_field(b, table_csv_str(node, "name"), false);
	table_csv_puts(b, ",");
	table_csv_field(b, table_csv_num(node, "weight", num), true);
	table_csv_puts(b, ",");
	table_csv_field(b, table_csv_num(node, "global_weight", num), true);
	table_csv_puts(b, ",");
	table_csv_field(b, standards, false);
	table_csv_puts(b, ",");
	table_csv_field(b, benchmarks, false);
	table_csv_puts(b, ",");
	table_csv_field(b, table_csv_str(node, "advanced_level"), false);
	table_csv_puts(b, ",");
	table_csv_field(b, table_csv_num(node, "value", num), true);
	table_csv_puts(b, ",");
	table_csv_field(b, table_csv_num(node, "contribution", num), true);
	table_csv_puts(b, TABLE_CSV_EOL);
	free(standards);
	free(benchmarks);
	children = json_object_get(node, "children");
	return children == NULL || table_csv_nodes(b, children, level + 1);
}

/* Depth is bounded like the table's own, so recursion stays shallow.
 * False for anything that is not an array of node objects. */
static bool
table_csv_nodes(struct table_csv_buf *b, const json_t *nodes, int level)
{
	const json_t *node;
	size_t i;

	if (!json_is_array(nodes) || level > TBL_MAX_DEPTH)
		return false;
	json_array_foreach(nodes, i, node)
	{
		if (!json_is_object(node) || !table_csv_node(b, node, level))
			return false;
	}
	return true;
}

char *
table_csv_render(const json_t *nodes, size_t *len)
{
	struct table_csv_buf b = {0};

	table_csv_puts(&b, TABLE_CSV_BOM TABLE_CSV_HEADER TABLE_CSV_EOL);
	if (!table_csv_nodes(&b, nodes, 1)) {
		free(b.p);
		return NULL;
	}
	if (len != NULL)
		*len = b.len;
	return b.p;
}
