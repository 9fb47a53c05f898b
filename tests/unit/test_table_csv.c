/*
 * The indicator table as CSV: the ywtb template row by row, read back with
 * a strict RFC 4180 parser written here (independent of the renderer),
 * quoting, formula-injection protection, values and contributions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "table_csv.h"
#include "table_json.h"
#include "template.h"
#include "xalloc.h"

#define BOM	 "\xef\xbb\xbf"
#define N_FIELDS 10

enum col {
	COL_CODE,
	COL_LEVEL,
	COL_NAME,
	COL_WEIGHT,
	COL_GLOBAL_WEIGHT,
	COL_STANDARDS,
	COL_BENCHMARKS,
	COL_ADVANCED_LEVEL,
	COL_VALUE,
	COL_CONTRIBUTION,
};

static const char *const header[N_FIELDS] = {
    "code",
    "level",
    "name",
    "weight",
    "global_weight",
    "standard_comparisons",
    "benchmark_comparisons",
    "advanced_level",
    "value",
    "contribution",
};

/*
 * RFC 4180, strictly: every record ends with CRLF; a field is either
 * quoted (quotes doubled inside, anything else allowed) or free of quotes,
 * commas, CR and LF.  Returns an array of records, each an array of
 * strings, or NULL when the text breaks a rule.
 */
static json_t *
csv_parse(const char *s, size_t len)
{
	json_t *rows = json_array(), *row = json_array();
	char *buf = xmalloc(len + 1);
	size_t pos = 0;

	while (pos < len) {
		size_t n = 0;

		if (s[pos] == '"') {
			for (pos++;; pos++) {
				if (pos >= len)
					goto bad; /* unterminated quote */
				if (s[pos] == '"') {
					if (pos + 1 < len && s[pos + 1] == '"')
						buf[n++] = s[pos++];
					else
						break;
				} else {
					buf[n++] = s[pos];
				}
			}
			pos++; /* the closing quote */
		} else {
			while (pos < len && s[pos] != ',' && s[pos] != '\r' &&
			       s[pos] != '\n') {
				if (s[pos] == '"')
					goto bad; /* a quote in a bare field */
				buf[n++] = s[pos++];
			}
		}
		json_array_append_new(row, json_stringn(buf, n));
		if (pos < len && s[pos] == ',') {
			pos++;
			if (pos == len)
				goto bad; /* a record cut after a comma */
		} else if (pos + 1 < len && s[pos] == '\r' &&
			   s[pos + 1] == '\n') {
			pos += 2;
			json_array_append_new(rows, row);
			row = json_array();
		} else {
			goto bad; /* bare CR or LF, junk after a quote, no EOL
				   */
		}
	}
	json_decref(row);
	free(buf);
	return rows;
bad:
	json_decref(row);
	json_decref(rows);
	free(buf);
	return NULL;
}

static json_t *
load_json(const char *text)
{
	json_error_t error;
	json_t *doc = json_loads(text, JSON_REJECT_DUPLICATES, &error);

	if (doc == NULL)
		fail_msg("test JSON, line %d: %s", error.line, error.text);
	return doc;
}

/* Renders nodes and checks the framing; returns the parsed records. */
static json_t *
render_and_parse(const json_t *nodes, char **text)
{
	size_t len = 0;
	char *csv = table_csv_render(nodes, &len);
	json_t *rows;

	assert_non_null(csv);
	assert_int_equal(len, strlen(csv));
	assert_true(len >= 3);
	assert_memory_equal(csv, BOM, 3);
	rows = csv_parse(csv + 3, len - 3);
	if (rows == NULL)
		fail_msg("not RFC 4180 CSV:\n%s", csv + 3);
	assert_true(json_array_size(rows) >= 1);
	for (size_t i = 0; i < json_array_size(rows); i++)
		assert_int_equal(json_array_size(json_array_get(rows, i)),
				 N_FIELDS);
	for (size_t i = 0; i < N_FIELDS; i++)
		assert_string_equal(json_string_value(json_array_get(
					json_array_get(rows, 0), i)),
				    header[i]);
	if (text != NULL)
		*text = csv;
	else
		free(csv);
	return rows;
}

static const char *
cell(const json_t *rows, size_t row, enum col col)
{
	const json_t *v = json_array_get(json_array_get(rows, row), col);

	assert_non_null(v);
	return json_string_value(v);
}

/* The row whose code is code, or fails. */
static size_t
row_of(const json_t *rows, const char *code)
{
	for (size_t i = 1; i < json_array_size(rows); i++) {
		if (strcmp(cell(rows, i, COL_CODE), code) == 0)
			return i;
	}
	fail_msg("no row for %s", code);
	return 0;
}

static json_t *
ywtb_nodes(void)
{
	struct problems p = {0};
	struct template *tp = template_builtin("ywtb", &p);
	json_t *nodes;

	assert_non_null(tp);
	assert_int_equal(p.n, 0);
	/* template_builtin validated it, so global weights are in the JSON */
	assert_int_equal(tbl_validate(tp->table, &p), 0);
	nodes = tbl_to_json(tp->table);
	template_free(tp);
	return nodes;
}

/* The nodes depth first, as the expected rows, with their levels. */
static void
flatten(const json_t *nodes, int level, json_t *out)
{
	const json_t *node;
	size_t i;

	json_array_foreach(nodes, i, node)
	{
		json_array_append_new(
		    out, json_pack("{s:O, s:i}", "node", node, "level", level));
		flatten(json_object_get(node, "children"), level + 1, out);
	}
}

static const char *
str(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s ? s : "";
}

static size_t
count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

static bool
has_comparison(const json_t *node, const char *kind)
{
	const json_t *c;
	size_t i;

	json_array_foreach(json_object_get(node, "comparisons"), i, c)
	{
		if (strcmp(str(c, "kind"), kind) == 0)
			return true;
	}
	return false;
}

static void
test_ywtb_one_row_per_node_in_table_order(void **state)
{
	json_t *nodes = ywtb_nodes(), *flat = json_array(), *rows;
	char *csv = NULL, lv[8];
	size_t i;

	(void)state;
	flatten(nodes, 1, flat);
	/* 3 groups, 3 subgroups of key indicators, 16 leaves */
	assert_int_equal(json_array_size(flat), 22);
	rows = render_and_parse(nodes, &csv);
	assert_int_equal(json_array_size(rows), 1 + json_array_size(flat));

	for (i = 0; i < json_array_size(flat); i++) {
		const json_t *e = json_array_get(flat, i);
		const json_t *node = json_object_get(e, "node");

		snprintf(lv, sizeof lv, "%d",
			 (int)json_integer_value(json_object_get(e, "level")));
		assert_string_equal(cell(rows, i + 1, COL_CODE),
				    str(node, "code"));
		assert_string_equal(cell(rows, i + 1, COL_LEVEL), lv);
		assert_string_equal(cell(rows, i + 1, COL_NAME),
				    str(node, "name"));
		assert_string_equal(cell(rows, i + 1, COL_WEIGHT),
				    str(node, "weight"));
		assert_string_equal(cell(rows, i + 1, COL_GLOBAL_WEIGHT),
				    str(node, "global_weight"));
		assert_string_equal(cell(rows, i + 1, COL_ADVANCED_LEVEL),
				    str(node, "advanced_level"));
		assert_string_equal(cell(rows, i + 1, COL_VALUE), "");
		assert_string_equal(cell(rows, i + 1, COL_CONTRIBUTION), "");
		/* a cell per kind, empty when the node has none of it */
		assert_int_equal(*cell(rows, i + 1, COL_STANDARDS) != '\0',
				 has_comparison(node, "standard"));
		assert_int_equal(*cell(rows, i + 1, COL_BENCHMARKS) != '\0',
				 has_comparison(node, "benchmark"));
	}

	i = row_of(rows, "1");
	assert_string_equal(cell(rows, i, COL_NAME), "关键性指标/要素");
	assert_string_equal(cell(rows, i, COL_WEIGHT), "0.600");
	i = row_of(rows, "1.1.1");
	assert_string_equal(cell(rows, i, COL_LEVEL), "3");
	assert_string_equal(cell(rows, i, COL_GLOBAL_WEIGHT), "0.054");
	assert_string_equal(cell(rows, i, COL_STANDARDS),
			    "GB/T 39048-2020《行政许可事项分类与编码规则》 "
			    "第5.2条: 10类行政权力事项及公共服务事项");
	assert_string_equal(cell(rows, i, COL_BENCHMARKS), "");
	i = row_of(rows, "1.1.3");
	assert_string_equal(cell(rows, i, COL_STANDARDS), "");
	assert_string_equal(cell(rows, i, COL_BENCHMARKS),
			    "[domestic] 国务院审改办、国家标准委《行政许可标准"
			    "化指引》 四、（一）2.: "
			    "服务指南包含审批依据等线下审批常规要素");
	/* three benchmarks in one cell, the first with a line break */
	i = row_of(rows, "1.2.3");
	assert_int_equal(count(cell(rows, i, COL_BENCHMARKS), "[domestic] "),
			 3);
	assert_int_equal(count(cell(rows, i, COL_BENCHMARKS), "; [domestic]"),
			 2);
	assert_non_null(strchr(cell(rows, i, COL_BENCHMARKS), '\n'));
	i = row_of(rows, "3.3");
	assert_string_equal(cell(rows, i, COL_LEVEL), "2");
	assert_string_equal(cell(rows, i, COL_GLOBAL_WEIGHT), "0.010");

	/* CRLF ends each record and nothing else: the only other line
	 * break is the one inside 1.2.3's quoted cell, and no CR is bare */
	assert_int_equal(count(csv, "\r\n"), json_array_size(rows));
	assert_int_equal(count(csv, "\r"), json_array_size(rows));
	assert_int_equal(count(csv, "\n"), json_array_size(rows) + 1);
	assert_int_equal(csv[strlen(csv) - 1], '\n');

	free(csv);
	json_decref(rows);
	json_decref(flat);
	json_decref(nodes);
}

static void
test_quotes_commas_quotes_and_line_breaks(void **state)
{
	json_t *nodes = load_json(
	    "[{\"code\":\"1\",\"name\":\"a, \\\"b\\\"\\nc\",\"weight\":\"1\","
	    "  \"children\":[{\"code\":\"1.1\",\"name\":\"say \\\"hi\\\"\","
	    "    \"weight\":\"0.5\",\"advanced_level\":\"x\\r\\ny\","
	    "    \"comparisons\":[{\"kind\":\"standard\",\"ref\":\"GB 1,2\","
	    "      \"level\":\"plain\"}]},"
	    "   {\"code\":\"1.2\",\"name\":\"plain 名称\",\"weight\":\"0.5\","
	    "    \"advanced_level\":\"—\"}]}]");
	char *csv = NULL;
	json_t *rows = render_and_parse(nodes, &csv);

	(void)state;
	assert_int_equal(json_array_size(rows), 4);
	assert_non_null(strstr(csv, "\r\n1,1,\"a, \"\"b\"\"\nc\",1,"));
	assert_non_null(strstr(csv, ",\"say \"\"hi\"\"\","));
	assert_non_null(strstr(csv, ",\"GB 1,2: plain\","));
	assert_non_null(strstr(csv, ",\"x\r\ny\","));
	/* nothing to quote: left bare */
	assert_non_null(strstr(csv, "\r\n1.2,2,plain 名称,0.5,,,,—,,\r\n"));
	/* and each reads back as written */
	assert_string_equal(cell(rows, 1, COL_NAME), "a, \"b\"\nc");
	assert_string_equal(cell(rows, 2, COL_NAME), "say \"hi\"");
	assert_string_equal(cell(rows, 2, COL_STANDARDS), "GB 1,2: plain");
	assert_string_equal(cell(rows, 2, COL_ADVANCED_LEVEL), "x\r\ny");
	assert_string_equal(cell(rows, 3, COL_NAME), "plain 名称");
	free(csv);
	json_decref(rows);
	json_decref(nodes);
}

static void
test_formula_injection_neutralized_numbers_untouched(void **state)
{
	static const struct {
		const char *name, *cell;
	} cases[] = {
	    {"=cmd", "'=cmd"},	{"+1", "'+1"},	      {"-x", "'-x"},
	    {"@x", "'@x"},	{"\tx", "'\tx"},      {"\rx", "'\rx"},
	    {"-1", "'-1"},	{"a=b", "a=b"},	      {" =x", " =x"},
	    {"0.054", "0.054"}, {"＝全角", "＝全角"},
	};
	json_t *nodes = json_array(), *rows;
	char *csv = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof *cases; i++) {
		char code[8];

		snprintf(code, sizeof code, "%zu", i + 1);
		json_array_append_new(
		    nodes, json_pack("{s:s, s:s, s:s, s:s}", "code", code,
				     "name", cases[i].name, "weight", "0.054",
				     "global_weight", "0.054"));
	}
	/* every text column is protected, and a numeric column holding
	 * something other than a number is text */
	json_array_append_new(
	    nodes,
	    load_json("{\"code\":\"99\",\"name\":\"n\",\"weight\":\"=1+1\","
		      "\"global_weight\":\"+0.1\",\"advanced_level\":\"@SUM(A1)"
		      "\",\"comparisons\":[{\"kind\":\"standard\",\"ref\":"
		      "\"=HYPERLINK(\\\"http://x\\\")\",\"level\":\"1\"},"
		      "{\"kind\":\"benchmark\",\"scope\":\"domestic\",\"ref\":"
		      "\"r\",\"level\":\"l\"}],"
		      "\"value\":\"-0.5\",\"contribution\":\"@1\"}"));
	rows = render_and_parse(nodes, &csv);
	for (i = 0; i < sizeof cases / sizeof *cases; i++) {
		assert_string_equal(cell(rows, i + 1, COL_NAME), cases[i].cell);
		assert_string_equal(cell(rows, i + 1, COL_WEIGHT), "0.054");
		assert_string_equal(cell(rows, i + 1, COL_GLOBAL_WEIGHT),
				    "0.054");
	}
	assert_non_null(strstr(csv, "\r\n1,1,'=cmd,0.054,0.054,,,,,\r\n"));
	assert_non_null(strstr(csv, "\r\n6,1,\"'\rx\",0.054,0.054,,,,,\r\n"));
	i = row_of(rows, "99");
	assert_string_equal(cell(rows, i, COL_WEIGHT), "'=1+1");
	assert_string_equal(cell(rows, i, COL_GLOBAL_WEIGHT), "'+0.1");
	assert_string_equal(cell(rows, i, COL_ADVANCED_LEVEL), "'@SUM(A1)");
	assert_string_equal(cell(rows, i, COL_STANDARDS),
			    "'=HYPERLINK(\"http://x\"): 1");
	assert_string_equal(cell(rows, i, COL_BENCHMARKS), "[domestic] r: l");
	assert_string_equal(cell(rows, i, COL_VALUE), "-0.5");
	assert_string_equal(cell(rows, i, COL_CONTRIBUTION), "'@1");
	free(csv);
	json_decref(rows);
	json_decref(nodes);
}

static void
test_values_and_contributions_when_present(void **state)
{
	json_t *nodes = ywtb_nodes(), *rows, *n111, *n33;
	char *csv = NULL;

	(void)state;
	/* 1 > 1.1 > 1.1.1, and 3 > 3.3 */
	n111 = json_array_get(
	    json_object_get(
		json_array_get(
		    json_object_get(json_array_get(nodes, 0), "children"), 0),
		"children"),
	    0);
	n33 = json_array_get(
	    json_object_get(json_array_get(nodes, 2), "children"), 2);
	assert_string_equal(str(n111, "code"), "1.1.1");
	assert_string_equal(str(n33, "code"), "3.3");
	json_object_set_new(n111, "value", json_string("86.42"));
	json_object_set_new(n111, "contribution", json_string("4.66668"));
	json_object_set_new(n33, "value", json_integer(85));
	json_object_set_new(n33, "contribution", json_string("0.85"));

	rows = render_and_parse(nodes, &csv);
	assert_int_equal(json_array_size(rows), 23);
	assert_string_equal(cell(rows, row_of(rows, "1.1.1"), COL_VALUE),
			    "86.42");
	assert_string_equal(cell(rows, row_of(rows, "1.1.1"), COL_CONTRIBUTION),
			    "4.66668");
	assert_string_equal(cell(rows, row_of(rows, "3.3"), COL_VALUE), "85");
	assert_string_equal(cell(rows, row_of(rows, "3.3"), COL_CONTRIBUTION),
			    "0.85");
	assert_string_equal(cell(rows, row_of(rows, "1.1.2"), COL_VALUE), "");
	assert_string_equal(cell(rows, row_of(rows, "1.1"), COL_CONTRIBUTION),
			    "");
	/* numbers are never quoted nor prefixed */
	assert_non_null(strstr(csv, ",86.42,4.66668\r\n"));
	free(csv);
	json_decref(rows);
	json_decref(nodes);
}

static void
test_empty_table_is_the_header_alone(void **state)
{
	json_t *nodes = json_array();
	size_t len = 0;
	char *csv = table_csv_render(nodes, &len);

	(void)state;
	assert_string_equal(csv,
			    BOM "code,level,name,weight,global_weight,"
				"standard_comparisons,benchmark_comparisons,"
				"advanced_level,value,contribution\r\n");
	assert_int_equal(len, strlen(csv));
	free(csv);
	/* len may be NULL */
	csv = table_csv_render(nodes, NULL);
	assert_non_null(csv);
	free(csv);
	json_decref(nodes);
}

static void
test_refuses_what_is_not_a_table(void **state)
{
	json_t *doc;
	size_t len = 7;
	json_t *deep = load_json("[{\"code\":\"1\",\"name\":\"x\"}]"), *at;

	(void)state;
	assert_null(table_csv_render(NULL, &len));
	assert_int_equal(len, 7); /* untouched on failure */
	doc = load_json("{\"code\":\"1\"}");
	assert_null(table_csv_render(doc, &len));
	json_decref(doc);
	doc = load_json("[1]");
	assert_null(table_csv_render(doc, &len));
	json_decref(doc);
	doc = load_json("[{\"code\":\"1\",\"children\":{}}]");
	assert_null(table_csv_render(doc, &len));
	json_decref(doc);

	/* TBL_MAX_DEPTH (6) levels render, one more does not */
	at = json_array_get(deep, 0);
	for (int level = 2; level <= TBL_MAX_DEPTH; level++) {
		json_t *child =
		    json_pack("{s:s, s:s}", "code", "1", "name", "x");

		json_object_set_new(at, "children", json_pack("[o]", child));
		at = child;
	}
	{
		char *csv = table_csv_render(deep, &len);
		json_t *rows;

		assert_non_null(csv);
		rows = csv_parse(csv + 3, len - 3);
		assert_non_null(rows);
		assert_int_equal(json_array_size(rows), 1 + TBL_MAX_DEPTH);
		assert_string_equal(cell(rows, TBL_MAX_DEPTH, COL_LEVEL), "6");
		json_decref(rows);
		free(csv);
	}
	json_object_set_new(at, "children",
			    load_json("[{\"code\":\"1\",\"name\":\"x\"}]"));
	assert_null(table_csv_render(deep, &len));
	json_decref(deep);
}

/* The test's own parser must refuse what Excel would misread. */
static void
test_parser_is_strict(void **state)
{
	static const char *const bad[] = {
	    "a,b\n",	    "a,b",	"a,b\r",      "\"a,b\r\n", "a\"b,c\r\n",
	    "\"a\"x,b\r\n", "a,\r\n\r", "a\rb,c\r\n", "a,b,\r",
	};
	json_t *rows;

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		rows = csv_parse(bad[i], strlen(bad[i]));
		if (rows != NULL)
			fail_msg("accepted bad CSV #%zu", i);
	}
	{
		static const char good[] = "a,\"b\"\"\r\n\",\r\n,\r\n";

		rows = csv_parse(good, strlen(good));
	}
	assert_non_null(rows);
	assert_int_equal(json_array_size(rows), 2);
	assert_string_equal(
	    json_string_value(json_array_get(json_array_get(rows, 0), 1)),
	    "b\"\r\n");
	assert_string_equal(
	    json_string_value(json_array_get(json_array_get(rows, 0), 2)), "");
	assert_int_equal(json_array_size(json_array_get(rows, 1)), 2);
	json_decref(rows);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parser_is_strict),
	    cmocka_unit_test(test_ywtb_one_row_per_node_in_table_order),
	    cmocka_unit_test(test_quotes_commas_quotes_and_line_breaks),
	    cmocka_unit_test(
		test_formula_injection_neutralized_numbers_untouched),
	    cmocka_unit_test(test_values_and_contributions_when_present),
	    cmocka_unit_test(test_empty_table_is_the_header_alone),
	    cmocka_unit_test(test_refuses_what_is_not_a_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
