/*
 * Weighting meetings (section 4.1 e): the panel weighs every node of the
 * table the key indicators form, one sibling group at a time, and proposes
 * advanced benchmark levels for its leaves.  Each weight is aggregated like
 * a score, then each group is renormalized to exactly 1000 thousandths by
 * largest remainder (workflow/weighting.h), so the finalized table sums
 * exactly whatever the aggregates were.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "body.h"
#include "consensus.h"
#include "decimal.h"
#include "kinds.h"
#include "stats.h"
#include "weighting.h"
#include "xalloc.h"

#define WEIGHTING_TEXT_MAX 2000

/* ---- codes ---- */

/* The length of code's parent code: 0 at the top level. */
static size_t
parent_len(const char *code)
{
	const char *dot = strrchr(code, '.');

	return dot ? (size_t)(dot - code) : 0;
}

/* Whether a and b share a parent, or are both top level. */
static bool
same_group(const char *a, const char *b)
{
	size_t n = parent_len(a);

	return n == parent_len(b) && strncmp(a, b, n) == 0;
}

/* Whether child is exactly one level below parent. */
static bool
is_parent(const char *parent, const char *child)
{
	size_t n = strlen(parent);

	return strncmp(parent, child, n) == 0 && child[n] == '.' &&
	       strchr(child + n + 1, '.') == NULL;
}

/* Whether ancestor is above code, at any depth. */
static bool
is_ancestor(const char *ancestor, const char *code)
{
	size_t n = strlen(ancestor);

	return strncmp(ancestor, code, n) == 0 && code[n] == '.';
}

/* code's sibling group as the API names it: the parent code, or null. */
static json_t *
group_json(const char *code)
{
	size_t n = parent_len(code);

	return n ? json_stringn(code, n) : json_null();
}

/*
 * A leaf as far as the round can tell: no item of the round is its child.
 * Rounds cover whole sibling groups but not the groups below them, so a
 * group whose children are not in this round passes too; a level proposed
 * for it is never confirmed, since confirming takes leaves of the formed
 * table only.
 */
static bool
is_leaf(const json_t *items, const char *code)
{
	size_t i;
	json_t *x;

	json_array_foreach(items, i, x)
	{
		if (is_parent(code, json_string_value(x)))
			return false;
	}
	return true;
}

/* Whether an item before items[i] is in its group, so that each group is
 * handled once, at its first item. */
static bool
group_seen(const json_t *items, size_t i)
{
	const char *code = json_string_value(json_array_get(items, i));

	for (size_t k = 0; k < i; k++) {
		if (same_group(json_string_value(json_array_get(items, k)),
			       code))
			return true;
	}
	return false;
}

/* The weight (thousandths) a stored weights list gives code, or -1. */
static int64_t
weight_of(const json_t *weights, const char *code)
{
	size_t i;
	json_t *w;

	json_array_foreach(weights, i, w)
	{
		if (strcmp(json_string_value(json_object_get(w, "item")),
			   code) == 0)
			return json_integer_value(json_object_get(w, "weight"));
	}
	return -1;
}

/* ---- items ---- */

static bool
is_kind(const json_t *row, const char *kind)
{
	const char *k = json_string_value(json_object_get(row, "kind"));

	return k != NULL && strcmp(k, kind) == 0;
}

static bool
is_key(const json_t *row)
{
	return is_kind(row, "candidate") &&
	       json_is_true(json_object_get(row, "key"));
}

/* Whether row belongs to the formed table: a key candidate, or a group
 * above one. */
static bool
pool_row_formed(const json_t *pool, const json_t *row)
{
	const char *code = json_string_value(json_object_get(row, "code"));
	size_t i;
	json_t *x;

	if (code == NULL)
		return false;
	if (is_key(row))
		return true;
	if (!is_kind(row, "group"))
		return false;
	json_array_foreach(pool, i, x)
	{
		const char *other =
		    json_string_value(json_object_get(x, "code"));

		if (other != NULL && is_ancestor(code, other) && is_key(x))
			return true;
	}
	return false;
}

static int
code_cmp_indirect(const void *a, const void *b)
{
	return tbl_code_cmp(*(const char *const *)a, *(const char *const *)b);
}

json_t *
kind_weighting_items(const json_t *pool)
{
	const char **codes = xcalloc(json_array_size(pool) + 1, sizeof *codes);
	json_t *row, *out = json_array();
	size_t i, n = 0;

	json_array_foreach(pool, i, row)
	{
		if (pool_row_formed(pool, row))
			codes[n++] =
			    json_string_value(json_object_get(row, "code"));
	}
	qsort(codes, n, sizeof *codes, code_cmp_indirect);
	for (i = 0; i < n; i++)
		json_array_append_new(out, json_string(codes[i]));
	free(codes);
	return out;
}

json_t *
kind_weighting_whole_groups(const json_t *universe, const json_t *items)
{
	json_t *out = json_array(), *u, *x;
	size_t i, k;

	json_array_foreach(universe, i, u)
	{
		json_array_foreach(items, k, x)
		{
			if (same_group(json_string_value(u),
				       json_string_value(x))) {
				json_array_append(out, u);
				break;
			}
		}
	}
	return out;
}

/* ---- ballots ---- */

/*
 * A weight as clients send it: a string or a JSON number, 0 to 1 with at
 * most three decimals, into thousandths.  A JSON number is a double, so it
 * is accepted within a millionth of a whole thousandth: 0.3 arrives as
 * 0.29999... and means 300; 0.3005 does not.
 */
static bool
weight_parse(const json_t *v, int64_t *out)
{
	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);

		if (i < 0 || i > 1)
			return false;
		*out = (int64_t)i * TBL_WEIGHT_ONE;
		return true;
	}
	if (json_is_real(v)) {
		double x = json_real_value(v) * TBL_WEIGHT_ONE, r = round(x);

		if (!isfinite(x) || fabs(x - r) > 1e-6 || r < 0 ||
		    r > TBL_WEIGHT_ONE)
			return false;
		*out = (int64_t)r;
		return true;
	}
	if (json_is_string(v))
		return dec_parse(json_string_value(v), json_string_length(v), 3,
				 TBL_WEIGHT_ONE, out);
	return false;
}

static void
bad_shape(struct req *r, const char *field, const char *message)
{
	http_reply_error_details(r, 400, "bad_request",
				 json_pack("{s:s}", "field", field), "%s",
				 message);
}

/* Whether an entry of list before i names item. */
static bool
listed_before(const json_t *list, size_t i, const char *item)
{
	for (size_t k = 0; k < i; k++) {
		if (strcmp(json_string_value(json_object_get(
			       json_array_get(list, k), "item")),
			   item) == 0)
			return true;
	}
	return false;
}

/* weights[i], checked against the round's items and the weights before
 * it, appended to stored; false after answering. */
static bool
read_weight(struct req *r, const json_t *weights, size_t i, const json_t *items,
	    json_t *stored)
{
	json_t *w = json_array_get(weights, i);
	const char *item = json_string_value(json_object_get(w, "item"));
	int64_t v;

	if (item == NULL || json_object_get(w, "weight") == NULL ||
	    json_object_size(w) != 2) {
		bad_shape(r, "weights",
			  "each weight is {\"item\", \"weight\"}");
		return false;
	}
	if (!meeting_has_item(items, item)) {
		body_item_error(r, "unknown_item", item,
				"not an item of this round");
		return false;
	}
	if (listed_before(weights, i, item)) {
		body_item_error(r, "duplicate_item", item,
				"weighted twice in one ballot");
		return false;
	}
	if (!weight_parse(json_object_get(w, "weight"), &v)) {
		body_item_error(
		    r, "invalid_weight", item,
		    "a weight is 0 to 1 with at most three decimals");
		return false;
	}
	json_array_append_new(stored, json_pack("{s:s, s:I}", "item", item,
						"weight", (json_int_t)v));
	return true;
}

/* levels[i], an advanced level proposed for a leaf of the round, appended
 * to stored; false after answering. */
static bool
read_level(struct req *r, const json_t *levels, size_t i, const json_t *items,
	   json_t *stored)
{
	json_t *l = json_array_get(levels, i);
	json_t *text = json_object_get(l, "text");
	const char *item = json_string_value(json_object_get(l, "item"));

	if (item == NULL || text == NULL || json_object_size(l) != 2) {
		bad_shape(r, "advanced_levels",
			  "each advanced level is {\"item\", \"text\"}");
		return false;
	}
	if (!meeting_has_item(items, item) || !is_leaf(items, item)) {
		body_item_error(r, "unknown_item", item,
				"not a leaf indicator of this round");
		return false;
	}
	if (listed_before(levels, i, item)) {
		body_item_error(r, "duplicate_item", item,
				"given two advanced levels in one ballot");
		return false;
	}
	if (!json_is_string(text) || json_string_length(text) == 0 ||
	    json_string_length(text) > WEIGHTING_TEXT_MAX) {
		body_item_error(r, "invalid_text", item,
				"an advanced level is text of 1 to 2000 bytes");
		return false;
	}
	json_array_append_new(
	    stored, json_pack("{s:s, s:O}", "item", item, "text", text));
	return true;
}

/* Answers 422 weights_not_summing for the group of code. */
static void
not_summing(struct req *r, const char *code, int64_t sum, json_t *missing)
{
	size_t plen = parent_len(code);
	char *group = plen ? xstrndup(code, plen) : xstrdup("the top level");
	char buf[32];
	json_t *details;

	dec_format(sum, 3, buf, sizeof buf);
	details =
	    json_pack("{s:o, s:s}", "group", group_json(code), "sum", buf);
	if (json_array_size(missing) > 0) {
		json_object_set(details, "missing", missing);
		http_reply_error_details(
		    r, 422, "weights_not_summing", details,
		    "the weights under %s leave out %zu of its items; a group "
		    "is weighed whole, summing to exactly 1",
		    group, json_array_size(missing));
	} else {
		http_reply_error_details(
		    r, 422, "weights_not_summing", details,
		    "the weights under %s sum to %s, not exactly 1", group,
		    buf);
	}
	free(group);
}

/*
 * Every sibling group the ballot weighs at all is weighed whole and sums
 * to exactly 1000: only whole groups renormalize together.  False after
 * answering.
 */
static bool
check_groups(struct req *r, const json_t *items, const json_t *weights)
{
	size_t i, k;
	json_t *x, *y;

	json_array_foreach(items, i, x)
	{
		const char *code = json_string_value(x);
		json_t *missing;
		int64_t sum = 0;
		size_t given = 0;

		if (group_seen(items, i))
			continue;
		missing = json_array();
		json_array_foreach(items, k, y)
		{
			int64_t w;

			if (!same_group(code, json_string_value(y)))
				continue;
			w = weight_of(weights, json_string_value(y));
			if (w < 0) {
				json_array_append(missing, y);
			} else {
				sum += w;
				given++;
			}
		}
		if (given > 0 &&
		    (json_array_size(missing) > 0 || sum != TBL_WEIGHT_ONE)) {
			not_summing(r, code, sum, missing);
			json_decref(missing);
			return false;
		}
		json_decref(missing);
	}
	return true;
}

json_t *
kind_weighting_ballot_read(struct req *r, const json_t *items, bool *complete,
			   size_t *given)
{
	static const char *const fields[] = {"weights", "advanced_levels",
					     NULL};
	json_t *weights = json_object_get(r->body, "weights");
	json_t *levels = json_object_get(r->body, "advanced_levels");
	json_t *stored;
	size_t i;

	if (!body_only(r, fields))
		return NULL;
	if (!json_is_array(weights)) {
		bad_shape(r, "weights",
			  "\"weights\" is a list of {\"item\", \"weight\"}");
		return NULL;
	}
	if (levels != NULL && !json_is_array(levels)) {
		bad_shape(r, "advanced_levels",
			  "\"advanced_levels\" is a list of {\"item\", "
			  "\"text\"}");
		return NULL;
	}
	stored = json_pack("{s:[], s:[]}", "weights", "advanced_levels");
	for (i = 0; i < json_array_size(weights); i++) {
		if (!read_weight(r, weights, i, items,
				 json_object_get(stored, "weights")))
			goto refused;
	}
	for (i = 0; i < json_array_size(levels); i++) {
		if (!read_level(r, levels, i, items,
				json_object_get(stored, "advanced_levels")))
			goto refused;
	}
	if (!check_groups(r, items, json_object_get(stored, "weights")))
		goto refused;
	*given = json_array_size(weights);
	*complete = *given == json_array_size(items);
	return stored;
refused:
	json_decref(stored);
	return NULL;
}

json_t *
kind_weighting_ballot_json(const json_t *stored)
{
	json_t *weights = json_array(), *w;
	json_t *levels = json_object_get(stored, "advanced_levels");
	char buf[32];
	size_t i;

	json_array_foreach(json_object_get(stored, "weights"), i, w)
	{
		json_array_append_new(
		    weights,
		    json_pack("{s:O, s:s}", "item", json_object_get(w, "item"),
			      "weight",
			      dec_format(json_integer_value(
					     json_object_get(w, "weight")),
					 3, buf, sizeof buf)));
	}
	return json_pack("{s:o, s:o}", "weights", weights, "advanced_levels",
			 levels ? json_deep_copy(levels) : json_array());
}

json_t *
kind_weighting_previous(const json_t *results, const json_t *own,
			const json_t *items)
{
	json_t *out = json_array(), *x;
	char buf[32];
	size_t i;

	json_array_foreach(json_object_get(results, "items"), i, x)
	{
		const char *code =
		    json_string_value(json_object_get(x, "item"));
		int64_t mine;

		if (code == NULL || !meeting_has_item(items, code))
			continue;
		mine = weight_of(json_object_get(own, "weights"), code);
		json_array_append_new(
		    out,
		    json_pack("{s:s, s:O, s:O, s:O, s:O, s:o}", "item", code,
			      "median", json_object_get(x, "median"), "iqr",
			      json_object_get(x, "iqr"), "weight",
			      json_object_get(x, "weight"), "consensus",
			      json_object_get(x, "consensus"), "own_weight",
			      mine < 0 ? json_null()
				       : json_string(dec_format(mine, 3, buf,
								sizeof buf))));
	}
	return json_pack("{s:O, s:o}", "round",
			 json_object_get(results, "round"), "items", out);
}

/* ---- results ---- */

/* One distinct advanced level proposed for an item. */
struct proposal {
	const char *text;
	size_t count;
};

static int
proposal_cmp(const void *pa, const void *pb)
{
	const struct proposal *a = pa, *b = pb;

	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	return strcmp(a->text, b->text);
}

/* The texts the m ballots propose for code, with how many experts
 * proposed each (a ballot proposes at most one per item). */
static json_t *
proposals(json_t *const *ballots, size_t m, const char *code)
{
	struct proposal *p = NULL;
	json_t *out = json_array(), *l;
	size_t n = 0, i, k;

	for (size_t e = 0; e < m; e++) {
		json_array_foreach(
		    json_object_get(ballots[e], "advanced_levels"), i, l)
		{
			const char *text =
			    json_string_value(json_object_get(l, "text"));

			if (strcmp(
				json_string_value(json_object_get(l, "item")),
				code) != 0)
				continue;
			for (k = 0; k < n; k++) {
				if (strcmp(p[k].text, text) == 0)
					break;
			}
			if (k == n) {
				p = xreallocarray(p, n + 1, sizeof *p);
				p[n++] = (struct proposal){text, 0};
			}
			p[k].count++;
		}
	}
	if (n > 1)
		qsort(p, n, sizeof *p, proposal_cmp);
	for (k = 0; k < n; k++)
		json_array_append_new(out, json_pack("{s:s, s:I}", "text",
						     p[k].text, "count",
						     (json_int_t)p[k].count));
	free(p);
	return out;
}

/*
 * One item's result from its m weights (thousandths), their aggregate and
 * the item's renormalized weight (-1 when its group has none).  NULL when
 * the statistics cannot be computed.
 */
static json_t *
item_result(const char *code, const int64_t *v, size_t m, struct rat value,
	    int64_t weight, const struct meeting_rules *rules)
{
	int64_t *points = xreallocarray(NULL, m, sizeof *points);
	char vbuf[RAT_FORMAT_MAX], wbuf[32];
	struct consensus cons;
	struct stats st;
	struct rat units;
	int rc;

	/* The rules bound the IQR in percentage points, which consensus.h
	 * takes in hundredths: ten per thousandth of weight. */
	for (size_t e = 0; e < m; e++)
		points[e] = v[e] * 10;
	rc = consensus_check(points, m, &rules->consensus, &cons);
	free(points);
	if (rc < 0 ||
	    stats_compute(v, m, TBL_WEIGHT_ONE, rules->agg.trim,
			  rules->consensus.quantile, &st) < 0 ||
	    !rat_make(value.num, value.den * TBL_WEIGHT_ONE, &units))
		return NULL;
	return json_pack(
	    "{s:s, s:o, s:I, s:s, s:o, s:{s:I, s:I}, s:o, s:o, s:o, s:o, s:o,"
	    " s:o, s:o, s:o, s:o, s:o, s:b}",
	    "item", code, "group", group_json(code), "n", (json_int_t)m,
	    "value", rat_format(units, 3, vbuf), "weight",
	    weight < 0 ? json_null()
		       : json_string(dec_format(weight, 3, wbuf, sizeof wbuf)),
	    "exact", "num", (json_int_t)value.num, "den", (json_int_t)value.den,
	    "mean", meeting_stat_json(true, st.mean, 3), "trimmed_mean",
	    meeting_stat_json(st.has_trimmed_mean, st.trimmed_mean, 3),
	    "median", meeting_stat_json(true, st.median, 3), "sd",
	    meeting_stat_json(st.has_sd, st.sd, 3), "cv",
	    meeting_stat_json(st.has_cv, st.cv, 4), "q1",
	    meeting_stat_json(true, st.q1, 3), "q3",
	    meeting_stat_json(true, st.q3, 3), "iqr",
	    meeting_stat_json(true, st.iqr, 3), "min",
	    meeting_stat_json(true, st.min, 3), "max",
	    meeting_stat_json(true, st.max, 3), "consensus",
	    weight >= 0 && cons.reached);
}

/*
 * Renormalizes the group of items[first] into weight[] (-1 for each of its
 * items when the group cannot be scaled: all its aggregates zero).
 */
static void
renormalize_group(const json_t *items, size_t first, const struct rat *values,
		  int64_t *weight)
{
	size_t n_items = json_array_size(items), n = 0;
	const char *code = json_string_value(json_array_get(items, first));
	size_t *index = xcalloc(n_items, sizeof *index);
	struct rat *v = xcalloc(n_items, sizeof *v);
	const char **codes = xcalloc(n_items, sizeof *codes);
	int64_t *out = xcalloc(n_items, sizeof *out);
	bool ok;

	for (size_t i = first; i < n_items; i++) {
		const char *other = json_string_value(json_array_get(items, i));

		if (!same_group(code, other))
			continue;
		index[n] = i;
		v[n] = values[i];
		codes[n++] = other;
	}
	ok = wgt_renormalize(v, codes, n, TBL_WEIGHT_ONE, out) == WGT_OK;
	for (size_t k = 0; k < n; k++)
		weight[index[k]] = ok ? out[k] : -1;
	free(out);
	free(codes);
	free(v);
	free(index);
}

/*
 * Each item's aggregate comes from agg_apply and each group's weights from
 * wgt_renormalize, the two halves of wgt_aggregate_group: an item of a
 * group that cannot be scaled still shows its aggregate.
 */
json_t *
kind_weighting_results(json_t *const *ballots, size_t m, const json_t *items,
		       const struct meeting_rules *rules)
{
	size_t n_items = json_array_size(items), i;
	int64_t *column = xcalloc(n_items * m + 1, sizeof *column);
	struct rat *values = xcalloc(n_items + 1, sizeof *values);
	int64_t *weight = xcalloc(n_items + 1, sizeof *weight);
	json_t *out = json_array(), *x;

	json_array_foreach(items, i, x)
	{
		int64_t *v = column + i * m;

		for (size_t e = 0; e < m; e++) {
			v[e] = weight_of(json_object_get(ballots[e], "weights"),
					 json_string_value(x));
			if (v[e] < 0)
				goto failed;
		}
		if (agg_apply(&rules->agg, v, m, &values[i]) != AGG_OK)
			goto failed;
	}
	for (i = 0; i < n_items; i++) {
		if (!group_seen(items, i))
			renormalize_group(items, i, values, weight);
	}
	json_array_foreach(items, i, x)
	{
		const char *code = json_string_value(x);
		json_t *res = item_result(code, column + i * m, m, values[i],
					  weight[i], rules);

		if (res == NULL)
			goto failed;
		if (is_leaf(items, code))
			json_object_set_new(res, "advanced_levels",
					    proposals(ballots, m, code));
		json_array_append_new(out, res);
	}
	free(column);
	free(values);
	free(weight);
	return out;
failed:
	free(column);
	free(values);
	free(weight);
	json_decref(out);
	return NULL;
}

/* ---- finalizing ---- */

json_t *
kind_weighting_final_weights(const json_t *rounds)
{
	json_t *out = json_object(), *round, *x;
	size_t i, k;

	json_array_foreach(rounds, i, round)
	{
		json_array_foreach(
		    json_object_get(json_object_get(round, "results"), "items"),
		    k, x)
		{
			const char *code =
			    json_string_value(json_object_get(x, "item"));
			const char *w =
			    json_string_value(json_object_get(x, "weight"));
			int64_t v;

			/* The latest round that covered an item decides,
			 * even when it could not weigh the item's group: an
			 * older weight would not have the panel's last word. */
			if (w != NULL &&
			    dec_parse(w, strlen(w), 3, TBL_WEIGHT_ONE, &v))
				json_object_set_new(out, code, json_integer(v));
			else
				json_object_del(out, code);
		}
	}
	return out;
}

/* Whether a results item lists text among its proposals. */
static bool
item_proposes(const json_t *item, const char *text)
{
	size_t i;
	json_t *l;

	json_array_foreach(json_object_get(item, "advanced_levels"), i, l)
	{
		const char *t = json_string_value(json_object_get(l, "text"));

		if (t != NULL && strcmp(t, text) == 0)
			return true;
	}
	return false;
}

bool
kind_weighting_proposed(const json_t *rounds, const char *code,
			const char *text)
{
	json_t *round, *x;
	size_t i, k;

	json_array_foreach(rounds, i, round)
	{
		json_array_foreach(
		    json_object_get(json_object_get(round, "results"), "items"),
		    k, x)
		{
			const char *item =
			    json_string_value(json_object_get(x, "item"));

			if (item != NULL && strcmp(item, code) == 0 &&
			    item_proposes(x, text))
				return true;
		}
	}
	return false;
}

/* The pool row of code, or NULL. */
static const json_t *
pool_row(const json_t *pool, const char *code)
{
	size_t i;
	json_t *row;

	json_array_foreach(pool, i, row)
	{
		const char *c = json_string_value(json_object_get(row, "code"));

		if (c != NULL && strcmp(c, code) == 0)
			return row;
	}
	return NULL;
}

/* One side of a pool comparison onto node; a side without its reference
 * and level (none recorded) adds nothing. */
static void
add_comparison(struct tbl_node *node, const json_t *side,
	       enum tbl_cmp_kind kind, enum tbl_scope scope)
{
	const char *ref = json_string_value(json_object_get(side, "ref"));
	const char *level = json_string_value(json_object_get(side, "level"));

	if (ref != NULL && level != NULL)
		tbl_node_add_comparison(
		    node, kind, scope, ref,
		    json_string_value(json_object_get(side, "clause")), level);
}

static void
add_comparisons(struct tbl_node *node, const json_t *comparison)
{
	json_t *bm = json_object_get(comparison, "benchmark");
	const char *scope = json_string_value(json_object_get(bm, "scope"));
	enum tbl_scope s;

	add_comparison(node, json_object_get(comparison, "standard"),
		       TBL_CMP_STANDARD, TBL_SCOPE_NONE);
	if (scope != NULL && tbl_scope_parse(scope, &s))
		add_comparison(node, bm, TBL_CMP_BENCHMARK, s);
}

/* The node of code's parent, already added since parents come first in
 * table order; NULL at the top level. */
static struct tbl_node *
table_parent(const struct tbl *t, const char *code)
{
	size_t n = parent_len(code);
	char *parent;
	struct tbl_node *node;

	if (n == 0)
		return NULL;
	parent = xstrndup(code, n);
	node = tbl_find(t, parent);
	free(parent);
	return node;
}

struct tbl *
kind_weighting_table(const json_t *pool, const json_t *weights,
		     const json_t *levels)
{
	json_t *codes = kind_weighting_items(pool), *x;
	struct tbl *t = tbl_new();
	size_t i;

	json_array_foreach(codes, i, x)
	{
		const char *code = json_string_value(x);
		const json_t *row = pool_row(pool, code);
		const char *name =
		    json_string_value(json_object_get(row, "name"));
		json_t *w = json_object_get(weights, code);
		/* A nameless node is tbl_validate's to report. */
		struct tbl_node *node =
		    tbl_add(t, table_parent(t, code), code, name ? name : "",
			    json_is_integer(w) ? (int)json_integer_value(w)
					       : TBL_WEIGHT_UNSET);

		tbl_node_set_description(
		    node,
		    json_string_value(json_object_get(row, "description")));
		tbl_node_set_advanced_level(
		    node, json_string_value(json_object_get(levels, code)));
		add_comparisons(node, json_object_get(row, "comparison"));
	}
	json_decref(codes);
	return t;
}
