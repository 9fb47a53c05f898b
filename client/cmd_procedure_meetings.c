/*
 * The meetings of section 4.1 d and e: vote (an expert's selection
 * ballot: include or exclude each candidate indicator), weigh (an expert's
 * weighting ballot: each item's weight within its sibling group, and
 * advanced-level proposals for the leaves), level confirm (the secretary
 * fixes a leaf's advanced level), and how their results, ballots and
 * finalizations print.  These meetings name items by code only; where a
 * person reads them, the names come from the evaluation's pool.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "cmd.h"
#include "output.h"
#include "xalloc.h"

/* A weight of 1 in thousandths, the unit weights are given in. */
#define CMD_PMEET_ONE 1000

/* GET path (which it frees) into *out. */
static int
cmd_pmeet_get(struct api *api, char *path, json_t **out)
{
	int rc = api_call(api, "GET", path, NULL, out);

	free(path);
	return rc;
}

/* ---- the items' names ---- */

/* The names for the meeting read from GET /meetings/ID (cmd_pmeet_names). */
static json_t *
cmd_pmeet_names_of(const struct cmd_ctx *ctx, struct api *api,
		   const json_t *meeting)
{
	json_int_t eval =
	    json_integer_value(json_object_get(meeting, "evaluation_id"));
	json_t *rec = NULL, *names = NULL, *p;
	size_t i;
	int rc = PS_EXIT_REFUSED;

	/* The names are an aid: an error answer's JSON must not land on
	 * standard output, which --json keeps for the command's own answer. */
	api_set_json(api, false);
	if (eval > 0)
		rc = cmd_pmeet_get(
		    api,
		    xasprintf("/evaluations/%lld/procedure", (long long)eval),
		    &rec);
	api_set_json(api, ctx->json);
	if (rc == PS_EXIT_OK && json_is_array(json_object_get(rec, "pool"))) {
		names = json_object();
		json_array_foreach(json_object_get(rec, "pool"), i, p)
		{
			const char *code =
			    json_string_value(json_object_get(p, "code"));

			if (code != NULL)
				json_object_set(names, code, p);
		}
	} else
		fputs("pingshen: the items' names are not available; showing "
		      "their codes only\n",
		      stderr);
	json_decref(rec);
	return names;
}

json_t *
cmd_pmeet_names(const struct cmd_ctx *ctx, struct api *api, long long meeting)
{
	json_t *m = NULL, *names;

	/* On a failure m stays NULL, which cmd_pmeet_names_of reports. */
	api_set_json(api, false);
	(void)cmd_pmeet_get(api, xasprintf("/meetings/%lld", meeting), &m);
	api_set_json(api, ctx->json);
	names = cmd_pmeet_names_of(ctx, api, m);
	json_decref(m);
	return names;
}

/* The name of item code in names (cmd_pmeet_names), or NULL. */
static const char *
cmd_pmeet_name(const json_t *names, const char *code)
{
	return json_string_value(
	    json_object_get(json_object_get(names, code), "name"));
}

/* The widest table here (weighting results) with its NAME column. */
#define CMD_PMEET_MAX_COLS 10

/* A table whose first column holds item codes, followed by their names
 * when they are known. */
struct cmd_pmeet_table {
	struct output_table *t;
	const json_t *names; /* NULL: no NAME column */
	size_t n;	     /* the caller's columns */
};

static void
cmd_pmeet_table_new(struct cmd_pmeet_table *pt, size_t n,
		    const char *const *head, const json_t *names)
{
	const char *cols[CMD_PMEET_MAX_COLS];

	pt->names = names;
	pt->n = n;
	if (names == NULL) {
		pt->t = output_table_new(n, head);
		return;
	}
	if (n + 1 > CMD_PMEET_MAX_COLS)
		abort();
	cols[0] = head[0];
	cols[1] = "NAME";
	for (size_t c = 1; c < n; c++)
		cols[c + 1] = head[c];
	pt->t = output_table_new(n + 1, cols);
}

/* Adds a row of the caller's n cells, the name of cells[0] after it. */
static void
cmd_pmeet_table_add(struct cmd_pmeet_table *pt, char *const *cells)
{
	const char *cols[CMD_PMEET_MAX_COLS], *name;

	if (pt->names == NULL) {
		output_table_add(pt->t, (const char *const *)cells);
		return;
	}
	name = cmd_pmeet_name(pt->names, cells[0]);
	cols[0] = cells[0];
	cols[1] = name != NULL ? name : "";
	for (size_t c = 1; c < pt->n; c++)
		cols[c + 1] = cells[c];
	output_table_add(pt->t, cols);
}

/* ---- printing ---- */

/* Prints a selection round's results: each candidate's include share and
 * whether it is selected. */
static void
cmd_pmeet_print_selection(const json_t *res, const json_t *names)
{
	static const char *const head[] = {"ITEM", "INCLUDES", "SHARE",
					   "SELECTED", "CONSENSUS"};
	struct cmd_pmeet_table t;
	char *threshold = output_member(res, "threshold");
	size_t i, n_items = 0, selected = 0, reached = 0;
	json_t *item;

	printf("round %lld: %lld complete ballots counted; selected when the "
	       "include share >= %s\n\n",
	       (long long)json_integer_value(json_object_get(res, "round")),
	       (long long)json_integer_value(json_object_get(res, "n")),
	       threshold);
	free(threshold);
	cmd_pmeet_table_new(&t, 5, head, names);
	json_array_foreach(json_object_get(res, "items"), i, item)
	{
		char *cells[5] = {
		    output_member(item, "item"),
		    xasprintf("%lld/%lld",
			      (long long)json_integer_value(
				  json_object_get(item, "includes")),
			      (long long)json_integer_value(
				  json_object_get(item, "n"))),
		    output_member(item, "share"),
		    output_member(item, "selected"),
		    output_member(item, "consensus"),
		};

		cmd_pmeet_table_add(&t, cells);
		for (size_t c = 0; c < 5; c++)
			free(cells[c]);
		n_items++;
		selected += json_is_true(json_object_get(item, "selected"));
		reached += json_is_true(json_object_get(item, "consensus"));
	}
	output_table_print(t.t);
	output_table_free(t.t);
	printf("\n%zu of %zu items selected; consensus on %zu\n", selected,
	       n_items, reached);
}

/* "top" for the top level's sibling group (null), else the parent code. */
static char *
cmd_pmeet_group(const json_t *group)
{
	return json_is_string(group) ? xstrdup(json_string_value(group))
				     : xstrdup("top");
}

/* Prints a weighting round's results, then the leaves' proposals. */
static void
cmd_pmeet_print_weighting(const json_t *res, const json_t *names)
{
	static const char *const head[] = {"ITEM",  "GROUP",  "N",
					   "VALUE", "WEIGHT", "MEDIAN",
					   "IQR",   "CV",     "CONSENSUS"};
	static const char *const keys[] = {"item",  "group",  "n",
					   "value", "weight", "median",
					   "iqr",   "cv",     "consensus"};
	static const char *const prop_head[] = {"LEAF", "EXPERTS", "PROPOSAL"};
	struct cmd_pmeet_table t, props;
	size_t i, n_items = 0, reached = 0, n_props = 0;
	json_t *item;

	cmd_pmeet_table_new(&t, 9, head, names);
	cmd_pmeet_table_new(&props, 3, prop_head, names);

	printf("round %lld: %lld complete ballots counted\n\n",
	       (long long)json_integer_value(json_object_get(res, "round")),
	       (long long)json_integer_value(json_object_get(res, "n")));
	json_array_foreach(json_object_get(res, "items"), i, item)
	{
		char *cells[9];
		size_t k;
		json_t *p;

		for (size_t c = 0; c < 9; c++)
			cells[c] = c == 1 ? cmd_pmeet_group(
						json_object_get(item, "group"))
					  : output_member(item, keys[c]);
		cmd_pmeet_table_add(&t, cells);
		for (size_t c = 0; c < 9; c++)
			free(cells[c]);
		n_items++;
		reached += json_is_true(json_object_get(item, "consensus"));
		json_array_foreach(json_object_get(item, "advanced_levels"), k,
				   p)
		{
			char *row[3] = {
			    /* The leaf's code on its first proposal only. */
			    k == 0 ? output_member(item, "item") : xstrdup(""),
			    output_member(p, "count"),
			    output_member(p, "text"),
			};

			cmd_pmeet_table_add(&props, row);
			for (size_t c = 0; c < 3; c++)
				free(row[c]);
			n_props++;
		}
	}
	output_table_print(t.t);
	printf("\nconsensus on %zu of %zu items\n", reached, n_items);
	if (n_props > 0) {
		printf("\nadvanced levels proposed:\n\n");
		output_table_print(props.t);
	}
	output_table_free(t.t);
	output_table_free(props.t);
}

void
cmd_pmeet_print_results_named(const json_t *res, const json_t *names)
{
	const char *kind = json_string_value(json_object_get(res, "kind"));

	if (kind != NULL && strcmp(kind, "selection") == 0)
		cmd_pmeet_print_selection(res, names);
	else
		cmd_pmeet_print_weighting(res, names);
}

/* The row of the previous round's results about code, or NULL. */
static json_t *
cmd_pmeet_previous(const json_t *ballot, const char *code)
{
	const json_t *prev = json_object_get(ballot, "previous");

	return json_is_object(prev)
		   ? cmd_expert_find(json_object_get(prev, "items"), code)
		   : NULL;
}

/* The text of the proposal of code in a weighting ballot, or NULL. */
static const char *
cmd_pmeet_level_of(const json_t *ballot, const char *code)
{
	return json_string_value(json_object_get(
	    cmd_expert_find(json_object_get(ballot, "advanced_levels"), code),
	    "text"));
}

void
cmd_pmeet_print_ballot_named(long long n, const json_t *ballot,
			     const json_t *names)
{
	static const char *const sel_head[] = {
	    "ITEM", "INCLUDE", "COMMENT", "PREVIOUS SHARE", "YOUR PREVIOUS"};
	static const char *const wt_head[] = {
	    "ITEM", "WEIGHT", "ADVANCED LEVEL", "PREVIOUS WEIGHT",
	    "YOUR PREVIOUS"};
	bool votes = json_object_get(ballot, "votes") != NULL;
	bool prev = json_is_object(json_object_get(ballot, "previous"));
	size_t cols = prev ? 5 : 3, i;
	struct cmd_pmeet_table t;
	char *version = output_member(ballot, "version");
	json_t *code_j;

	printf("round %lld, version %s, %s\n\n", n, version,
	       json_is_true(json_object_get(ballot, "complete"))
		   ? "complete"
		   : "incomplete");
	free(version);
	cmd_pmeet_table_new(&t, cols, votes ? sel_head : wt_head, names);
	/* Every item of the round, given or not. */
	json_array_foreach(json_object_get(ballot, "items"), i, code_j)
	{
		const char *code = json_string_value(code_j);
		const json_t *p;
		const char *level;
		char *cells[5];

		if (code == NULL)
			continue;
		p = cmd_pmeet_previous(ballot, code);
		cells[0] = xstrdup(code);
		if (votes) {
			const json_t *v = cmd_expert_find(
			    json_object_get(ballot, "votes"), code);
			const char *comment =
			    json_string_value(json_object_get(v, "comment"));

			cells[1] = output_member(v, "include");
			cells[2] = xstrdup(comment != NULL ? comment : "");
			cells[3] = output_member(p, "share");
			cells[4] = output_member(p, "own_include");
		} else {
			level = cmd_pmeet_level_of(ballot, code);
			cells[1] = output_member(
			    cmd_expert_find(json_object_get(ballot, "weights"),
					    code),
			    "weight");
			cells[2] = xstrdup(level != NULL ? level : "");
			cells[3] = output_member(p, "weight");
			cells[4] = output_member(p, "own_weight");
		}
		cmd_pmeet_table_add(&t, cells);
		for (size_t c = 0; c < 5; c++)
			free(cells[c]);
	}
	output_table_print(t.t);
	output_table_free(t.t);
}

/* Adds node and its descendants to t, names indented by depth. */
static void
cmd_pmeet_table_node(struct output_table *t, const json_t *node, int depth)
{
	const json_t *children = json_object_get(node, "children");
	const char *level =
	    json_string_value(json_object_get(node, "advanced_level"));
	char *name = output_member(node, "name");
	char *cells[4] = {
	    output_member(node, "code"),
	    xasprintf("%*s%s", 2 * depth, "", name),
	    output_member(node, "weight"),
	    xstrdup(level != NULL ? level : ""),
	};
	size_t i;
	json_t *child;

	free(name);
	output_table_add(t, (const char *const *)cells);
	for (size_t c = 0; c < 4; c++)
		free(cells[c]);
	json_array_foreach(children, i, child)
	    cmd_pmeet_table_node(t, child, depth + 1);
}

/* Prints codes (a JSON array of strings) after label, space-separated. */
static void
cmd_pmeet_print_codes(const char *label, const json_t *codes)
{
	size_t i;
	json_t *code;

	printf("%s (%zu):", label, json_array_size(codes));
	json_array_foreach(codes, i, code)
	    printf(" %s", json_string_value(code));
	putchar('\n');
}

void
cmd_pmeet_print_finalized(long long id, const json_t *resp)
{
	static const char *const head[] = {"CODE", "NAME", "WEIGHT",
					   "ADVANCED LEVEL"};
	struct output_table *t;
	size_t i;
	json_t *node;

	printf("meeting %lld finalized\n\n", id);
	if (json_object_get(resp, "selected") != NULL) {
		cmd_pmeet_print_codes("key indicators selected",
				      json_object_get(resp, "selected"));
		cmd_pmeet_print_codes("excluded",
				      json_object_get(resp, "excluded"));
		return;
	}
	t = output_table_new(4, head);
	json_array_foreach(json_object_get(resp, "table"), i, node)
	    cmd_pmeet_table_node(t, node, 0);
	output_table_print(t);
	output_table_free(t);
}

/* ---- ballots ---- */

/*
 * Splits the values of option o (codes, or comma-separated lists of
 * them) and appends {"item":code, "include":include} for each to list;
 * false (printed) when one is not UTF-8.
 */
static bool
cmd_pmeet_codes(const struct args_opt *o, bool include, json_t *list)
{
	bool ok = true;

	for (size_t i = 0; i < o->n_values && ok; i++) {
		char *copy = xstrdup(o->values[i]), *save = NULL;

		for (char *tok = strtok_r(copy, ",", &save); tok != NULL && ok;
		     tok = strtok_r(NULL, ",", &save)) {
			json_t *vote = json_pack("{s:s, s:b}", "item", tok,
						 "include", include);

			if (vote == NULL) {
				fprintf(stderr,
					"pingshen: --%s must be UTF-8\n",
					o->name);
				ok = false;
			} else
				json_array_append_new(list, vote);
		}
		free(copy);
	}
	return ok;
}

/* Whether word means include (*include true) or exclude (false). */
static bool
cmd_pmeet_yes_no(const char *word, size_t len, bool *include)
{
	static const char *const yes[] = {"y", "yes", "true", "1", "是"};
	static const char *const no[] = {"n", "no", "false", "0", "否"};

	for (size_t i = 0; i < sizeof yes / sizeof *yes; i++) {
		bool is_yes = strlen(yes[i]) == len &&
			      strncasecmp(word, yes[i], len) == 0;

		if (is_yes || (strlen(no[i]) == len &&
			       strncasecmp(word, no[i], len) == 0)) {
			*include = is_yes;
			return true;
		}
	}
	return false;
}

/* The length of text's first word (up to a blank). */
static size_t
cmd_pmeet_word(const char *text)
{
	return strcspn(text, " \t");
}

/* An interactive vote: empty, or yes/no and an optional UTF-8 comment. */
static bool
cmd_pmeet_vote_ok(const char *text)
{
	json_t *s;
	bool include;

	if (*text == '\0')
		return true;
	if (!cmd_pmeet_yes_no(text, cmd_pmeet_word(text), &include))
		return false;
	s = json_string(text);
	json_decref(s);
	return s != NULL;
}

/*
 * The selection votes of file's item,include[,comment] lines (include:
 * y, yes, n, no, true, false, 1, 0, 是 or 否) appended to votes.
 */
static int
cmd_pmeet_read_votes(const char *file, json_t *votes)
{
	json_t *rows, *row;
	size_t i;
	int rc = cmd_expert_csv(file, "item,include[,comment]", &rows);

	if (rc != PS_EXIT_OK)
		return rc;
	json_array_foreach(rows, i, row)
	{
		const char *v =
		    json_string_value(json_object_get(row, "value"));
		bool include;
		json_t *vote;

		if (!cmd_pmeet_yes_no(v, strlen(v), &include)) {
			fprintf(stderr,
				"pingshen: %s: item %s: \"%s\" is not yes or "
				"no\n",
				file,
				json_string_value(json_object_get(row, "item")),
				v);
			rc = PS_EXIT_USAGE;
			break;
		}
		vote =
		    json_pack("{s:O, s:b}", "item",
			      json_object_get(row, "item"), "include", include);
		if (json_object_get(row, "text") != NULL)
			json_object_set(vote, "comment",
					json_object_get(row, "text"));
		json_array_append_new(votes, vote);
	}
	json_decref(rows);
	return rc;
}

/* Prints what the expert should know of item code before voting on it. */
static void
cmd_pmeet_describe_vote(size_t i, size_t n, const char *code, const char *name,
			const json_t *prev, const json_t *current)
{
	fprintf(stderr, "\n[%zu/%zu] %s%s%s\n", i + 1, n, code,
		name != NULL ? " " : "", name != NULL ? name : "");
	if (prev != NULL) {
		char *share = output_member(prev, "share");
		char *selected = output_member(prev, "selected");
		char *consensus = output_member(prev, "consensus");
		char *own = output_member(prev, "own_include");

		fprintf(stderr,
			"  previous round: include share %s (selected %s, "
			"consensus %s), your vote %s\n",
			share, selected, consensus, own);
		free(share);
		free(selected);
		free(consensus);
		free(own);
	}
	if (current != NULL) {
		const char *comment =
		    json_string_value(json_object_get(current, "comment"));
		char *include = output_member(current, "include");

		fprintf(stderr, "  current vote: include %s%s%s%s\n", include,
			comment != NULL ? " (" : "",
			comment != NULL ? comment : "",
			comment != NULL ? ")" : "");
		free(include);
	}
}

/*
 * Asks include or exclude for every item of ballot (GET .../ballot) on
 * standard input, each shown with its name from names (NULL: codes
 * only), appending the votes to votes.  At the end of the input the other
 * items keep their current votes.  PS_EXIT_USAGE after too many invalid
 * answers.
 */
static int
cmd_pmeet_ask_votes(const json_t *ballot, const json_t *names, json_t *votes)
{
	const json_t *items = json_object_get(ballot, "items");
	const json_t *old = json_object_get(ballot, "votes");
	char *line = NULL, *text = NULL;
	size_t cap = 0, i, n = json_array_size(items);
	bool eof = false;
	int got = 1;
	json_t *code_j;

	fputs("For each candidate: y to include it among the key indicators, "
	      "n to exclude it,\noptionally followed by a comment (\"n "
	      "covered by 1.1\"); empty keeps the current\nvote or skips the "
	      "item.\n",
	      stderr);
	json_array_foreach(items, i, code_j)
	{
		const char *code = json_string_value(code_j);
		json_t *current, *vote;
		bool include;
		size_t len;

		if (code == NULL)
			continue;
		current = cmd_expert_find(old, code);
		if (!eof) {
			cmd_pmeet_describe_vote(
			    i, n, code, cmd_pmeet_name(names, code),
			    cmd_pmeet_previous(ballot, code), current);
			got = cmd_expert_ask_valid(
			    current != NULL ? "include? y/n [comment] (empty: "
					      "keep): "
					    : "include? y/n [comment] (empty: "
					      "skip): ",
			    cmd_pmeet_vote_ok,
			    "y or n, then an optional comment (UTF-8)", &line,
			    &cap, &text);
			if (got < 0)
				break;
			if (got == 0) {
				eof = true;
				fputs("pingshen: end of input: the other items "
				      "keep their current votes\n",
				      stderr);
			}
		}
		if (eof || *text == '\0') {
			if (current != NULL)
				json_array_append(votes, current);
			continue;
		}
		len = cmd_pmeet_word(text);
		if (!cmd_pmeet_yes_no(text, len, &include))
			abort(); /* cmd_pmeet_vote_ok accepted it */
		vote =
		    json_pack("{s:s, s:b}", "item", code, "include", include);
		text += len + strspn(text + len, " \t");
		if (*text != '\0')
			json_object_set_new(vote, "comment", json_string(text));
		json_array_append_new(votes, vote);
	}
	free(line);
	return got < 0 ? PS_EXIT_USAGE : PS_EXIT_OK;
}

/*
 * PUTs body as the ballot of meeting id, round n, and says what was
 * saved: given entries of what, of the round's n_items (0: unknown).
 */
static int
cmd_pmeet_put(struct cmd_ctx *ctx, struct api *api, long long id, long long n,
	      const json_t *body, size_t given, const char *what,
	      size_t n_items)
{
	char *path = xasprintf("/meetings/%lld/rounds/%lld/ballot", id, n);
	json_t *resp = NULL;
	int rc = api_call(api, "PUT", path, body, &resp);

	free(path);
	if (rc != PS_EXIT_OK)
		return rc;
	if (ctx->json)
		output_json(resp);
	else {
		printf("round %lld: ballot saved (version %lld, %zu %s%s, ", n,
		       (long long)json_integer_value(
			   json_object_get(resp, "version")),
		       given, what, given == 1 ? "" : "s");
		if (json_is_true(json_object_get(resp, "complete")))
			puts("complete)");
		else if (n_items > 0)
			printf("partial: %zu of %zu items)\n", given, n_items);
		else
			puts("incomplete: give every item of the round)");
	}
	json_decref(resp);
	return PS_EXIT_OK;
}

int
cmd_vote(struct cmd_ctx *ctx)
{
	struct args_opt opts[] = {{.name = "round", .kind = ARGS_VALUE},
				  {.name = "include", .kind = ARGS_MULTI},
				  {.name = "exclude", .kind = ARGS_MULTI},
				  {.name = "file", .kind = ARGS_VALUE},
				  {.name = NULL}};
	struct args a;
	struct api *api = NULL;
	json_t *votes = json_array(), *body = NULL, *ballot = NULL;
	json_t *names = NULL;
	const char *file;
	bool flags, interactive;
	long long id, n;
	size_t n_items = 0;
	int rc;

	if (!cmd_args(ctx, &a, opts, 1, 1) ||
	    !cmd_id(a.pos[0], "MEETING", &id)) {
		rc = cmd_usage(ctx);
		goto out;
	}
	file = args_value(&a, "file");
	flags = args_get(&a, "include")->n_values > 0 ||
		args_get(&a, "exclude")->n_values > 0;
	if (file != NULL && flags) {
		fputs(
		    "pingshen: give --file or --include/--exclude, not both\n",
		    stderr);
		rc = cmd_usage(ctx);
		goto out;
	}
	interactive = file == NULL && !flags;
	if (file != NULL) {
		rc = cmd_pmeet_read_votes(file, votes);
		if (rc != PS_EXIT_OK)
			goto out;
	}
	if (!cmd_pmeet_codes(args_get(&a, "include"), true, votes) ||
	    !cmd_pmeet_codes(args_get(&a, "exclude"), false, votes)) {
		rc = cmd_usage(ctx);
		goto out;
	}
	rc = cmd_connect(ctx, true, &api);
	if (rc != PS_EXIT_OK)
		goto out;
	rc = cmd_expert_round(api, &a, id, false, &n);
	if (rc != PS_EXIT_OK)
		goto out;
	if (interactive) {
		rc = cmd_pmeet_get(
		    api, xasprintf("/meetings/%lld/rounds/%lld/ballot", id, n),
		    &ballot);
		if (rc != PS_EXIT_OK)
			goto out;
		names = cmd_pmeet_names(ctx, api, id);
		n_items = json_array_size(json_object_get(ballot, "items"));
		fprintf(stderr, "meeting %lld, round %lld: %zu candidate%s\n",
			id, n, n_items, n_items == 1 ? "" : "s");
		rc = cmd_pmeet_ask_votes(ballot, names, votes);
		if (rc != PS_EXIT_OK)
			goto out;
	}
	if (json_array_size(votes) == 0) {
		fputs("pingshen: no votes given; nothing saved\n", stderr);
		goto out;
	}
	body = json_pack("{s:O}", "votes", votes);
	rc = cmd_pmeet_put(ctx, api, id, n, body, json_array_size(votes),
			   "vote", n_items);
out:
	json_decref(votes);
	json_decref(body);
	json_decref(ballot);
	json_decref(names);
	api_free(api);
	args_free(&a);
	return rc;
}

/*
 * A weight in thousandths: 0 to 1 with at most three decimals ("0.3",
 * "0.300", "1", ".5" is not one).  -1 when text is none.
 */
static long
cmd_pmeet_thousandths(const char *text)
{
	size_t decimals = 0;
	long v;

	if ((text[0] != '0' && text[0] != '1') ||
	    (text[1] != '\0' && text[1] != '.'))
		return -1;
	v = (text[0] - '0') * CMD_PMEET_ONE;
	if (text[1] == '.') {
		long scale = CMD_PMEET_ONE;

		for (const char *p = text + 2; *p != '\0'; p++) {
			if (*p < '0' || *p > '9' || ++decimals > 3)
				return -1;
			scale /= 10;
			v += (*p - '0') * scale;
		}
		if (decimals == 0)
			return -1;
	}
	return v <= CMD_PMEET_ONE ? v : -1;
}

static bool
cmd_pmeet_weight_or_empty(const char *text)
{
	return *text == '\0' || cmd_pmeet_thousandths(text) >= 0;
}

static bool
cmd_pmeet_text_ok(const char *text)
{
	json_t *s = json_string(text);

	json_decref(s);
	return s != NULL;
}

/* The sibling group of code: its parent's code, "" at the top level. */
static char *
cmd_pmeet_parent(const char *code)
{
	const char *dot = strrchr(code, '.');

	return dot != NULL ? xstrndup(code, (size_t)(dot - code)) : xstrdup("");
}

/* Whether code has no child among universe (every item of the meeting). */
static bool
cmd_pmeet_is_leaf(const json_t *universe, const char *code)
{
	size_t i, len = strlen(code);
	json_t *c;

	json_array_foreach(universe, i, c)
	{
		const char *other = json_string_value(c);

		if (other != NULL && strncmp(other, code, len) == 0 &&
		    other[len] == '.')
			return false;
	}
	return true;
}

/*
 * Appends {"item", key: "text"} to list for each value CODE=TEXT of
 * option o; false (printed) when one has no "=".
 */
static bool
cmd_pmeet_pairs(const struct args_opt *o, const char *key, json_t *list)
{
	for (size_t i = 0; i < o->n_values; i++) {
		const char *eq = strchr(o->values[i], '=');
		char *code;
		json_t *entry;

		if (eq == NULL || eq == o->values[i]) {
			fprintf(stderr,
				"pingshen: --%s takes CODE=VALUE, not "
				"\"%s\"\n",
				o->name, o->values[i]);
			return false;
		}
		code = xstrndup(o->values[i], (size_t)(eq - o->values[i]));
		entry = json_pack("{s:s, s:s}", "item", code, key, eq + 1);
		free(code);
		if (entry == NULL) {
			fprintf(stderr, "pingshen: --%s must be UTF-8\n",
				o->name);
			return false;
		}
		json_array_append_new(list, entry);
	}
	return true;
}

/*
 * The weights and proposals of file's item,weight[,advanced level] lines,
 * appended to weights and levels.
 */
static int
cmd_pmeet_read_weights(const char *file, json_t *weights, json_t *levels)
{
	json_t *rows, *row;
	size_t i;
	int rc = cmd_expert_csv(file, "item,weight[,advanced level]", &rows);

	if (rc != PS_EXIT_OK)
		return rc;
	json_array_foreach(rows, i, row)
	{
		json_t *item = json_object_get(row, "item");

		json_array_append_new(
		    weights, json_pack("{s:O, s:O}", "item", item, "weight",
				       json_object_get(row, "value")));
		if (json_object_get(row, "text") != NULL)
			json_array_append_new(
			    levels,
			    json_pack("{s:O, s:O}", "item", item, "text",
				      json_object_get(row, "text")));
	}
	json_decref(rows);
	return rc;
}

/* What an interactive weighting ballot works on. */
struct cmd_pmeet_weigh {
	const json_t *ballot;	/* GET .../ballot */
	const json_t *universe; /* every item of the meeting (round 1's) */
	const json_t *names;	/* cmd_pmeet_names, or NULL */
	json_t *weights;	/* code -> weight text, the answers so far */
	json_t *levels;		/* code -> proposal text */
	char *line;
	size_t cap;
	bool eof;
};

/* Prints what the expert should know of item code before weighing it. */
static void
cmd_pmeet_describe_weight(const struct cmd_pmeet_weigh *w, const char *code,
			  bool leaf)
{
	const json_t *prev = cmd_pmeet_previous(w->ballot, code);
	const char *weight =
	    json_string_value(json_object_get(w->weights, code));
	const char *level = json_string_value(json_object_get(w->levels, code));
	const char *name = cmd_pmeet_name(w->names, code);

	fprintf(stderr, "  %s%s%s%s\n", code, name != NULL ? " " : "",
		name != NULL ? name : "", leaf ? " (leaf)" : "");
	if (prev != NULL) {
		char *median = output_member(prev, "median");
		char *iqr = output_member(prev, "iqr");
		char *agreed = output_member(prev, "weight");
		char *own = output_member(prev, "own_weight");

		fprintf(stderr,
			"    previous round: median %s, IQR %s, weight %s, "
			"your weight %s\n",
			median, iqr, agreed, own);
		free(median);
		free(iqr);
		free(agreed);
		free(own);
	}
	if (weight != NULL || level != NULL)
		fprintf(stderr, "    current: weight %s%s%s\n",
			weight != NULL ? weight : "-",
			level != NULL ? "; advanced level " : "",
			level != NULL ? level : "");
}

/*
 * Asks the weight of each member of one sibling group (and each leaf's
 * advanced level) until the group is given whole with a sum of exactly
 * 1, or not at all.  1 when done, 0 at the end of the input, -1 after
 * too many invalid answers.
 */
static int
cmd_pmeet_ask_group(struct cmd_pmeet_weigh *w, const char *group,
		    const json_t *members)
{
	for (int tries = 0;; tries++) {
		size_t i, given = 0;
		long sum = 0;
		json_t *code_j;
		char *text;
		int got;

		const char *name = cmd_pmeet_name(w->names, group);

		fprintf(stderr, "\n%s%s%s%s (the weights sum to 1):\n",
			group[0] != '\0' ? "under " : "the top level", group,
			name != NULL ? " " : "", name != NULL ? name : "");
		json_array_foreach(members, i, code_j)
		{
			const char *code = json_string_value(code_j);
			bool leaf = cmd_pmeet_is_leaf(w->universe, code);
			const char *cur;

			cmd_pmeet_describe_weight(w, code, leaf);
			cur = json_string_value(
			    json_object_get(w->weights, code));
			/* Alone in its group, an item can only weigh 1. */
			if (json_array_size(members) == 1) {
				fputs("  weight: 1 (alone in its group)\n",
				      stderr);
				json_object_set_new(w->weights, code,
						    json_string("1"));
			} else {
				got = cmd_expert_ask_valid(
				    cur != NULL ? "  weight (empty: keep): "
						: "  weight (empty: skip): ",
				    cmd_pmeet_weight_or_empty,
				    "a weight from 0 to 1 with at most three "
				    "decimals",
				    &w->line, &w->cap, &text);
				if (got <= 0)
					return got;
				if (*text != '\0')
					json_object_set_new(w->weights, code,
							    json_string(text));
			}
			if (!leaf)
				continue;
			got = cmd_expert_ask_valid(
			    json_object_get(w->levels, code) != NULL
				? "  advanced level (empty: keep): "
				: "  advanced level (empty: none): ",
			    cmd_pmeet_text_ok, "UTF-8 text", &w->line, &w->cap,
			    &text);
			if (got <= 0)
				return got;
			if (*text != '\0')
				json_object_set_new(w->levels, code,
						    json_string(text));
		}
		json_array_foreach(members, i, code_j)
		{
			const char *cur = json_string_value(json_object_get(
			    w->weights, json_string_value(code_j)));

			if (cur != NULL) {
				given++;
				sum += cmd_pmeet_thousandths(cur);
			}
		}
		if (given == 0 ||
		    (given == json_array_size(members) && sum == CMD_PMEET_ONE))
			return 1;
		if (given < json_array_size(members))
			fputs("pingshen: give every weight of the group, or "
			      "none\n",
			      stderr);
		else
			fprintf(stderr,
				"pingshen: the weights sum to %ld.%03ld, not "
				"exactly 1\n",
				sum / CMD_PMEET_ONE, sum % CMD_PMEET_ONE);
		if (tries == CMD_EXPERT_REASKS) {
			fputs("pingshen: too many invalid answers; nothing "
			      "saved\n",
			      stderr);
			return -1;
		}
	}
}

/*
 * Asks the weights of ballot's items group by group (groups in the order
 * of their first item) and fills weights and levels (the PUT body's
 * arrays) in the round's order.  At the end of the input the other items
 * keep their current weights.
 */
static int
cmd_pmeet_ask_weights(struct cmd_pmeet_weigh *w, json_t *weights,
		      json_t *levels)
{
	const json_t *items = json_object_get(w->ballot, "items");
	json_t *groups = json_object(), *order = json_array(), *code_j, *v;
	const char *group;
	size_t i;
	int got = 1;

	json_array_foreach(json_object_get(w->ballot, "weights"), i, v)
	    json_object_set(w->weights,
			    json_string_value(json_object_get(v, "item")),
			    json_object_get(v, "weight"));
	json_array_foreach(json_object_get(w->ballot, "advanced_levels"), i, v)
	    json_object_set(w->levels,
			    json_string_value(json_object_get(v, "item")),
			    json_object_get(v, "text"));
	json_array_foreach(items, i, code_j)
	{
		char *parent = cmd_pmeet_parent(json_string_value(code_j));

		if (json_object_get(groups, parent) == NULL) {
			json_object_set_new(groups, parent, json_array());
			json_array_append_new(order, json_string(parent));
		}
		json_array_append(json_object_get(groups, parent), code_j);
		free(parent);
	}
	fputs("For each sibling group: a weight from 0 to 1 with at most "
	      "three decimals for\nevery member, summing to exactly 1 (empty "
	      "keeps the current weight, or skips\nthe item); for a leaf "
	      "then the advanced level you propose (empty: none).\n",
	      stderr);
	json_array_foreach(order, i, v)
	{
		group = json_string_value(v);
		got = cmd_pmeet_ask_group(w, group,
					  json_object_get(groups, group));
		if (got < 0)
			break;
		if (got == 0) {
			fputs("pingshen: end of input: the other items keep "
			      "their current weights\n",
			      stderr);
			got = 1;
			break;
		}
	}
	json_array_foreach(items, i, code_j)
	{
		const char *code = json_string_value(code_j);

		if ((v = json_object_get(w->weights, code)) != NULL)
			json_array_append_new(
			    weights,
			    json_pack("{s:s, s:O}", "item", code, "weight", v));
		if ((v = json_object_get(w->levels, code)) != NULL)
			json_array_append_new(
			    levels,
			    json_pack("{s:s, s:O}", "item", code, "text", v));
	}
	json_decref(groups);
	json_decref(order);
	return got < 0 ? PS_EXIT_USAGE : PS_EXIT_OK;
}

/*
 * The interactive weighting ballot of meeting id, round n: its items and
 * round 1's (to tell leaves), the current ballot, the items' names, then
 * the questions.
 */
static int
cmd_pmeet_weigh_interactive(const struct cmd_ctx *ctx, struct api *api,
			    long long id, long long n, json_t *weights,
			    json_t *levels, size_t *n_items)
{
	struct cmd_pmeet_weigh w = {0};
	json_t *meeting = NULL, *ballot = NULL, *names = NULL, *r;
	size_t i;
	int rc = cmd_pmeet_get(api, xasprintf("/meetings/%lld", id), &meeting);

	if (rc == PS_EXIT_OK)
		rc = cmd_pmeet_get(
		    api, xasprintf("/meetings/%lld/rounds/%lld/ballot", id, n),
		    &ballot);
	if (rc != PS_EXIT_OK)
		goto out;
	/* Round 1 covers every item of the meeting. */
	json_array_foreach(json_object_get(meeting, "rounds"), i,
			   r) if (json_integer_value(json_object_get(r, "n")) ==
				  1) w.universe = json_object_get(r, "items");
	w.ballot = ballot;
	if (w.universe == NULL)
		w.universe = json_object_get(ballot, "items");
	w.names = names = cmd_pmeet_names_of(ctx, api, meeting);
	w.weights = json_object();
	w.levels = json_object();
	*n_items = json_array_size(json_object_get(ballot, "items"));
	fprintf(stderr, "meeting %lld, round %lld: %zu item%s\n", id, n,
		*n_items, *n_items == 1 ? "" : "s");
	rc = cmd_pmeet_ask_weights(&w, weights, levels);
	free(w.line);
	json_decref(w.weights);
	json_decref(w.levels);
out:
	json_decref(meeting);
	json_decref(ballot);
	json_decref(names);
	return rc;
}

int
cmd_weigh(struct cmd_ctx *ctx)
{
	struct args_opt opts[] = {{.name = "round", .kind = ARGS_VALUE},
				  {.name = "weight", .kind = ARGS_MULTI},
				  {.name = "level", .kind = ARGS_MULTI},
				  {.name = "file", .kind = ARGS_VALUE},
				  {.name = NULL}};
	struct args a;
	struct api *api = NULL;
	json_t *weights = json_array(), *levels = json_array(), *body = NULL;
	const char *file;
	bool flags;
	long long id, n;
	size_t n_items = 0;
	int rc;

	if (!cmd_args(ctx, &a, opts, 1, 1) ||
	    !cmd_id(a.pos[0], "MEETING", &id)) {
		rc = cmd_usage(ctx);
		goto out;
	}
	file = args_value(&a, "file");
	flags = args_get(&a, "weight")->n_values > 0 ||
		args_get(&a, "level")->n_values > 0;
	if (file != NULL && flags) {
		fputs("pingshen: give --file or --weight/--level, not both\n",
		      stderr);
		rc = cmd_usage(ctx);
		goto out;
	}
	if (file != NULL) {
		rc = cmd_pmeet_read_weights(file, weights, levels);
		if (rc != PS_EXIT_OK)
			goto out;
	}
	if (!cmd_pmeet_pairs(args_get(&a, "weight"), "weight", weights) ||
	    !cmd_pmeet_pairs(args_get(&a, "level"), "text", levels)) {
		rc = cmd_usage(ctx);
		goto out;
	}
	rc = cmd_connect(ctx, true, &api);
	if (rc != PS_EXIT_OK)
		goto out;
	rc = cmd_expert_round(api, &a, id, false, &n);
	if (rc != PS_EXIT_OK)
		goto out;
	if (file == NULL && !flags) {
		rc = cmd_pmeet_weigh_interactive(ctx, api, id, n, weights,
						 levels, &n_items);
		if (rc != PS_EXIT_OK)
			goto out;
	}
	if (json_array_size(weights) == 0 && json_array_size(levels) == 0) {
		fputs("pingshen: no weights given; nothing saved\n", stderr);
		goto out;
	}
	body = json_pack("{s:O, s:O}", "weights", weights, "advanced_levels",
			 levels);
	rc = cmd_pmeet_put(ctx, api, id, n, body, json_array_size(weights),
			   "weight", n_items);
out:
	json_decref(weights);
	json_decref(levels);
	json_decref(body);
	api_free(api);
	args_free(&a);
	return rc;
}

/* ---- the secretary ---- */

static void
cmd_pmeet_print_level(const json_t *resp)
{
	char *item = output_member(resp, "item");
	char *text = output_member(resp, "text");

	output_field("leaf", 15, item);
	output_field("advanced level", 15, text);
	output_field("from", 15,
		     json_is_true(json_object_get(resp, "from_proposal"))
			 ? "a proposal of the panel"
			 : "the secretary");
	free(item);
	free(text);
}

int
cmd_level_confirm(struct cmd_ctx *ctx)
{
	struct args_opt opts[] = {{.name = NULL}};
	struct args a;
	json_t *body = NULL;
	long long id;
	char *code, *path;
	int rc;

	if (!cmd_args(ctx, &a, opts, 3, 3) ||
	    !cmd_id(a.pos[0], "MEETING", &id)) {
		args_free(&a);
		return cmd_usage(ctx);
	}
	body = json_pack("{s:s}", "text", a.pos[2]);
	if (body == NULL) {
		fputs("pingshen: TEXT must be UTF-8\n", stderr);
		args_free(&a);
		return PS_EXIT_USAGE;
	}
	code = curl_easy_escape(NULL, a.pos[1], 0);
	if (code == NULL)
		abort();
	path = xasprintf("/meetings/%lld/advanced-levels/%s", id, code);
	curl_free(code);
	rc = cmd_send(ctx, "PUT", path, body, cmd_pmeet_print_level);
	free(path);
	json_decref(body);
	args_free(&a);
	return rc;
}
