/*
 * Tables and records for people, JSON for programs.  Column widths are in
 * terminal cells: a small wcwidth of our own covers the East Asian wide
 * ranges (CJK ideographs, kana, Hangul, full-width forms) and zero-width
 * combining marks, which is what the names and titles here need.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output.h"
#include "xalloc.h"

struct output_table {
	size_t n_cols, n_rows; /* n_rows counts the header row */
	char **cells;	       /* n_rows * n_cols */
};

int
output_wcwidth(unsigned long cp)
{
	static const unsigned long wide[][2] = {
	    {0x1100, 0x115F},	{0x2E80, 0x303E},   {0x3041, 0x33FF},
	    {0x3400, 0x4DBF},	{0x4E00, 0x9FFF},   {0xA000, 0xA4CF},
	    {0xA960, 0xA97F},	{0xAC00, 0xD7A3},   {0xF900, 0xFAFF},
	    {0xFE10, 0xFE19},	{0xFE30, 0xFE6F},   {0xFF00, 0xFF60},
	    {0xFFE0, 0xFFE6},	{0x1F300, 0x1F64F}, {0x1F900, 0x1F9FF},
	    {0x20000, 0x2FFFD}, {0x30000, 0x3FFFD},
	};
	static const unsigned long zero[][2] = {
	    {0x0300, 0x036F}, {0x200B, 0x200F}, {0x20D0, 0x20FF},
	    {0xFE00, 0xFE0F}, {0xFE20, 0xFE2F},
	};

	if (cp == 0)
		return 0;
	for (size_t i = 0; i < sizeof zero / sizeof *zero; i++)
		if (cp >= zero[i][0] && cp <= zero[i][1])
			return 0;
	for (size_t i = 0; i < sizeof wide / sizeof *wide; i++)
		if (cp >= wide[i][0] && cp <= wide[i][1])
			return 2;
	return 1;
}

size_t
output_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t w = 0;

	while (*p != '\0') {
		unsigned long cp;
		int len;

		if (*p < 0x80) {
			cp = *p;
			len = 1;
		} else if ((*p & 0xE0) == 0xC0) {
			cp = *p & 0x1F;
			len = 2;
		} else if ((*p & 0xF0) == 0xE0) {
			cp = *p & 0x0F;
			len = 3;
		} else if ((*p & 0xF8) == 0xF0) {
			cp = *p & 0x07;
			len = 4;
		} else {
			w++;
			p++;
			continue;
		}
		for (int i = 1; i < len; i++) {
			if ((p[i] & 0xC0) != 0x80) {
				len = 0; /* truncated sequence */
				break;
			}
			cp = cp << 6 | (p[i] & 0x3F);
		}
		if (len == 0) {
			w++;
			p++;
			continue;
		}
		w += (size_t)output_wcwidth(cp);
		p += len;
	}
	return w;
}

struct output_table *
output_table_new(size_t n, const char *const *headers)
{
	struct output_table *t = xcalloc(1, sizeof *t);

	t->n_cols = n;
	output_table_add(t, headers);
	return t;
}

void
output_table_add(struct output_table *t, const char *const *cells)
{
	t->cells = xreallocarray(t->cells, (t->n_rows + 1) * t->n_cols,
				 sizeof *t->cells);
	for (size_t c = 0; c < t->n_cols; c++)
		t->cells[t->n_rows * t->n_cols + c] =
		    xstrdup(cells[c] != NULL ? cells[c] : "-");
	t->n_rows++;
}

void
output_table_print(const struct output_table *t)
{
	size_t *width = xcalloc(t->n_cols, sizeof *width);

	for (size_t r = 0; r < t->n_rows; r++)
		for (size_t c = 0; c < t->n_cols; c++) {
			size_t w = output_width(t->cells[r * t->n_cols + c]);

			if (w > width[c])
				width[c] = w;
		}
	for (size_t r = 0; r < t->n_rows; r++) {
		for (size_t c = 0; c < t->n_cols; c++) {
			const char *cell = t->cells[r * t->n_cols + c];

			fputs(cell, stdout);
			/* No trailing blanks after the last column. */
			if (c + 1 < t->n_cols)
				for (size_t w = output_width(cell);
				     w < width[c] + 2; w++)
					putchar(' ');
		}
		putchar('\n');
	}
	free(width);
}

void
output_table_free(struct output_table *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->n_rows * t->n_cols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
}

void
output_json(const json_t *value)
{
	char *text = json_dumps(value, JSON_INDENT(2) | JSON_ENCODE_ANY);

	if (text == NULL)
		abort();
	puts(text);
	free(text);
}

void
output_field(const char *label, size_t width, const char *value)
{
	size_t w = output_width(label);

	printf("%s:", label);
	for (; w < width + 1; w++)
		putchar(' ');
	printf("%s\n", value != NULL ? value : "-");
}

/* Whether standard output shows bold text (checked once). */
static bool
output_styled(void)
{
	static int styled = -1;

	if (styled < 0) {
		const char *term = getenv("TERM");

		styled = isatty(STDOUT_FILENO) && term != NULL &&
			 strcmp(term, "dumb") != 0 &&
			 getenv("NO_COLOR") == NULL;
	}
	return styled;
}

char *
output_strong(const char *value)
{
	const char *v = value != NULL ? value : "-";

	return output_styled() ? xasprintf("\033[1m%s\033[0m", v) : xstrdup(v);
}

void
output_field_strong(const char *label, size_t width, const char *value)
{
	char *strong = output_strong(value);

	output_field(label, width, strong);
	free(strong);
}

char *
output_text(const json_t *value)
{
	char *text;

	if (value == NULL || json_is_null(value))
		return xstrdup("-");
	if (json_is_string(value))
		return xstrdup(json_string_value(value));
	if (json_is_integer(value))
		return xasprintf("%lld", (long long)json_integer_value(value));
	if (json_is_true(value))
		return xstrdup("yes");
	if (json_is_false(value))
		return xstrdup("no");
	text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
	if (text == NULL)
		abort();
	return text;
}

char *
output_member(const json_t *object, const char *key)
{
	return output_text(json_object_get(object, key));
}
