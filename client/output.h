/*
 * What the client prints: aligned tables whose column widths count display
 * cells (CJK characters take two), "key: value" records, and JSON as the
 * server sent it.  Everything goes to standard output.
 */
#ifndef PINGSHEN_OUTPUT_H
#define PINGSHEN_OUTPUT_H

#include <stddef.h>

#include <jansson.h>

/* Display cells of one code point: 0, 1 or 2. */
int output_wcwidth(unsigned long cp);
/* Display cells of a UTF-8 string (invalid bytes count one each). */
size_t output_width(const char *s);

struct output_table;

/* A table with n columns headed by headers (copied); caller frees with
 * output_table_free. */
struct output_table *output_table_new(size_t n, const char *const *headers);
/* Adds a row of n cells (copied; NULL prints as "-"). */
void output_table_add(struct output_table *t, const char *const *cells);
/* Prints the table, columns padded to their widest cell. */
void output_table_print(const struct output_table *t);
void output_table_free(struct output_table *t);

/* Prints a JSON value indented, non-ASCII as is, and a newline. */
void output_json(const json_t *value);
/* Prints "label: value" with labels padded to width cells. */
void output_field(const char *label, size_t width, const char *value);
/* The same with the value in bold when standard output is a terminal that
 * shows it (TERM not "dumb", NO_COLOR unset): verdicts and totals. */
void output_field_strong(const char *label, size_t width, const char *value);
/* value wrapped in bold escapes when output_field_strong would use them,
 * else a copy; the caller frees. */
char *output_strong(const char *value);
/*
 * A JSON scalar as text (caller frees): strings as they are, numbers,
 * true/false, "-" for null or absent; arrays and objects compact.
 */
char *output_text(const json_t *value);
/* output_text of object[key]. */
char *output_member(const json_t *object, const char *key);

#endif
