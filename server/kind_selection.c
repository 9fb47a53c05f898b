/*
 * Selection meetings (section 4.1 d): the panel votes include or exclude
 * on each candidate of the pool, and a candidate becomes a key indicator
 * when its include share reaches the meeting's threshold.  The threshold
 * is exact: 2/3 selects four includes out of six, which "0.6667" would not.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "body.h"
#include "decimal.h"
#include "kinds.h"
#include "selection.h"
#include "xalloc.h"

#define SELECTION_COMMENT_MAX 2000
/* Fractions beyond this are no threshold a committee writes down. */
#define SELECTION_FRACTION_MAX 1000000

bool
kind_selection_threshold(const char *text, struct rat *out)
{
	const char *slash = strchr(text, '/');
	int64_t num, den;

	if (slash == NULL) {
		if (!dec_parse(text, strlen(text), 4, 10000, &num) ||
		    !rat_make(num, 10000, out))
			return false;
	} else {
		char *end;

		if (text[0] < '0' || text[0] > '9' || slash[1] < '1' ||
		    slash[1] > '9')
			return false;
		num = strtoll(text, &end, 10);
		if (end != slash || num > SELECTION_FRACTION_MAX)
			return false;
		den = strtoll(slash + 1, &end, 10);
		if (*end != '\0' || den > SELECTION_FRACTION_MAX ||
		    !rat_make(num, den, out))
			return false;
	}
	return rat_cmp(*out, rat_int(0)) > 0 && rat_cmp(*out, rat_int(1)) <= 0;
}

static int
selection_code_cmp(const void *a, const void *b)
{
	return tbl_code_cmp(json_string_value(*(json_t *const *)a),
			    json_string_value(*(json_t *const *)b));
}

json_t *
kind_selection_items(const json_t *pool)
{
	size_t i, n = 0;
	json_t *row, **codes, *out = json_array();

	codes = xcalloc(json_array_size(pool) + 1, sizeof *codes);
	json_array_foreach(pool, i, row)
	{
		const char *kind =
		    json_string_value(json_object_get(row, "kind"));

		if (kind != NULL && strcmp(kind, "candidate") == 0)
			codes[n++] = json_object_get(row, "code");
	}
	qsort(codes, n, sizeof *codes, selection_code_cmp);
	for (i = 0; i < n; i++)
		json_array_append(out, codes[i]);
	free(codes);
	return out;
}

/* One vote, checked against the round's items and the votes before it;
 * false after answering. */
static bool
selection_vote_ok(struct req *r, const json_t *votes, size_t i,
		  const json_t *items)
{
	json_t *v = json_array_get(votes, i), *include, *comment;
	const char *item = json_string_value(json_object_get(v, "item"));

	include = json_object_get(v, "include");
	comment = json_object_get(v, "comment");
	if (!json_is_object(v) || item == NULL || include == NULL ||
	    json_object_size(v) > (comment ? 3u : 2u)) {
		http_reply_error(r, 400, "bad_request",
				 "each vote is {\"item\", \"include\", "
				 "\"comment\"?}");
		return false;
	}
	if (!meeting_has_item(items, item)) {
		body_item_error(r, "unknown_item", item,
				"not an item of this round");
		return false;
	}
	for (size_t k = 0; k < i; k++) {
		if (strcmp(json_string_value(json_object_get(
			       json_array_get(votes, k), "item")),
			   item) == 0) {
			body_item_error(r, "duplicate_item", item,
					"voted twice in one ballot");
			return false;
		}
	}
	if (!json_is_boolean(include)) {
		body_item_error(r, "invalid_vote", item,
				"include is true or false");
		return false;
	}
	if (comment != NULL &&
	    (!json_is_string(comment) ||
	     json_string_length(comment) > SELECTION_COMMENT_MAX)) {
		body_item_error(r, "invalid_comment", item,
				"a comment is text of at most 2000 bytes");
		return false;
	}
	return true;
}

json_t *
kind_selection_ballot_read(struct req *r, const json_t *items, bool *complete,
			   size_t *given)
{
	static const char *const fields[] = {"votes", NULL};
	json_t *votes = json_object_get(r->body, "votes");
	size_t i;

	if (!body_only(r, fields))
		return NULL;
	if (!json_is_array(votes)) {
		http_reply_error_details(
		    r, 400, "bad_request", json_pack("{s:s}", "field", "votes"),
		    "\"votes\" is a list of {\"item\", \"include\", "
		    "\"comment\"?}");
		return NULL;
	}
	for (i = 0; i < json_array_size(votes); i++) {
		if (!selection_vote_ok(r, votes, i, items))
			return NULL;
	}
	*given = json_array_size(votes);
	*complete = *given == json_array_size(items);
	return json_deep_copy(votes);
}

json_t *
kind_selection_ballot_json(const json_t *stored)
{
	return json_pack("{s:o}", "votes",
			 stored ? json_deep_copy(stored) : json_array());
}

/* The expert's vote on code in a stored ballot: true, false or null. */
static json_t *
selection_own_vote(const json_t *own, const char *code)
{
	size_t i;
	json_t *v;

	json_array_foreach(own, i, v)
	{
		if (strcmp(json_string_value(json_object_get(v, "item")),
			   code) == 0)
			return json_incref(json_object_get(v, "include"));
	}
	return json_null();
}

json_t *
kind_selection_previous(const json_t *results, const json_t *own,
			const json_t *items)
{
	json_t *out = json_array(), *x;
	size_t i;

	json_array_foreach(json_object_get(results, "items"), i, x)
	{
		const char *code =
		    json_string_value(json_object_get(x, "item"));

		if (code == NULL || !meeting_has_item(items, code))
			continue;
		json_array_append_new(
		    out,
		    json_pack("{s:s, s:O, s:O, s:O, s:o}", "item", code,
			      "share", json_object_get(x, "share"), "selected",
			      json_object_get(x, "selected"), "consensus",
			      json_object_get(x, "consensus"), "own_include",
			      selection_own_vote(own, code)));
	}
	return json_pack("{s:O, s:o}", "round",
			 json_object_get(results, "round"), "items", out);
}

json_t *
kind_selection_results(json_t *const *ballots, size_t m, const json_t *items,
		       const json_t *rules)
{
	const char *text =
	    json_string_value(json_object_get(rules, "selection_threshold"));
	struct rat threshold;
	json_t *out, *x;
	size_t i;

	if (text == NULL || !kind_selection_threshold(text, &threshold))
		return NULL;
	out = json_array();
	json_array_foreach(items, i, x)
	{
		const char *code = json_string_value(x);
		struct sel_result res;
		char buf[RAT_FORMAT_MAX];
		size_t includes = 0, n = 0;

		for (size_t e = 0; e < m; e++) {
			json_t *vote = selection_own_vote(ballots[e], code);

			n += !json_is_null(vote);
			includes += json_is_true(vote);
			json_decref(vote);
		}
		if (sel_aggregate(includes, n, threshold, &res) != 0) {
			json_decref(out);
			return NULL;
		}
		json_array_append_new(
		    out,
		    json_pack("{s:s, s:I, s:I, s:s, s:{s:I, s:I}, s:b, s:b}",
			      "item", code, "n", (json_int_t)n, "includes",
			      (json_int_t)includes, "share",
			      rat_format(res.share, 4, buf), "exact", "num",
			      (json_int_t)res.share.num, "den",
			      (json_int_t)res.share.den, "selected",
			      res.selected, "consensus", res.consensus));
	}
	return out;
}
