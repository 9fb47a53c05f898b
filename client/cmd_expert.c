/*
 * Expert commands: seat (the conflict-of-interest declaration), ballot
 * (scores from a CSV file of item,score[,comment] lines, or asked item by
 * item on standard input) and ballot show (of any meeting kind), and what
 * the selection and weighting ballots share with them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "output.h"
#include "xalloc.h"

int
cmd_seat(struct cmd_ctx *ctx)
{
	struct args_opt opts[] = {{.name = "no-conflict", .kind = ARGS_FLAG},
				  {.name = "conflict", .kind = ARGS_VALUE},
				  {.name = "statement", .kind = ARGS_VALUE},
				  {.name = NULL}};
	struct args a;
	struct api *api = NULL;
	json_t *body = NULL, *resp = NULL;
	const char *reason, *statement;
	long long id;
	char *path;
	int rc;

	if (!cmd_args(ctx, &a, opts, 1, 1) || !cmd_id(a.pos[0], "MEETING", &id))
		goto usage;
	reason = args_value(&a, "conflict");
	if (args_flag(&a, "no-conflict") == (reason != NULL)) {
		fputs("pingshen: give exactly one of --no-conflict and "
		      "--conflict REASON\n",
		      stderr);
		goto usage;
	}
	body = json_pack("{s:b}", "conflict_of_interest", reason != NULL);
	if (reason != NULL)
		json_object_set_new(body, "reason", json_string(reason));
	statement = args_value(&a, "statement");
	if (statement != NULL &&
	    json_object_set_new(body, "statement", json_string(statement)) <
		0) {
		fputs("pingshen: --statement must be UTF-8\n", stderr);
		rc = PS_EXIT_USAGE;
		goto out;
	}
	rc = cmd_connect(ctx, true, &api);
	if (rc != PS_EXIT_OK)
		goto out;
	path = xasprintf("/meetings/%lld/seat", id);
	rc = api_call(api, "POST", path, body, &resp);
	free(path);
	if (rc == PS_EXIT_OK) {
		if (ctx->json)
			output_json(resp);
		else {
			char *seat = output_member(resp, "seat");

			printf("meeting %lld: seat %s\n", id, seat);
			free(seat);
		}
	}
	goto out;
usage:
	rc = cmd_usage(ctx);
out:
	json_decref(body);
	json_decref(resp);
	api_free(api);
	args_free(&a);
	return rc;
}

/* Trims blanks at both ends of s, in place. */
static char *
cmd_expert_trim(char *s)
{
	size_t n;

	s += strspn(s, " \t");
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	return s;
}

/* Removes CSV quotes from a field ("a ""b""" → a "b"), in place. */
static char *
cmd_expert_unquote(char *s)
{
	size_t n = strlen(s), w = 0;

	if (n < 2 || s[0] != '"' || s[n - 1] != '"')
		return s;
	s[n - 1] = '\0';
	for (size_t r = 1; s[r] != '\0'; r++) {
		s[w++] = s[r];
		if (s[r] == '"' && s[r + 1] == '"')
			r++;
	}
	s[w] = '\0';
	return s;
}

int
cmd_expert_csv(const char *file, const char *format, json_t **rows)
{
	FILE *f = fopen(file, "r");
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	bool first = true;
	int rc = PS_EXIT_OK;

	*rows = NULL;
	if (f == NULL) {
		fprintf(stderr, "pingshen: cannot read %s\n", file);
		return PS_EXIT_USAGE;
	}
	*rows = json_array();
	while (getline(&line, &cap, f) >= 0) {
		char *item, *value, *text = NULL, *comma, *p;
		json_t *row;

		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		p = cmd_expert_trim(line);
		/* A UTF-8 byte-order mark, as spreadsheets write it. */
		if (lineno == 1 && strncmp(p, "\xEF\xBB\xBF", 3) == 0)
			p += 3;
		if (*p == '\0' || *p == '#')
			continue;
		comma = strchr(p, ',');
		if (comma == NULL)
			goto bad;
		*comma = '\0';
		item = cmd_expert_trim(p);
		value = comma + 1;
		comma = strchr(value, ',');
		if (comma != NULL) {
			*comma = '\0';
			text = cmd_expert_unquote(cmd_expert_trim(comma + 1));
		}
		value = cmd_expert_trim(value);
		if (first && strcmp(item, "item") == 0) {
			first = false;
			continue; /* a header line */
		}
		first = false;
		if (*item == '\0' || *value == '\0')
			goto bad;
		row = json_pack("{s:s, s:s}", "item", item, "value", value);
		if (row == NULL)
			goto bad;
		if (text != NULL && *text != '\0' &&
		    json_object_set_new(row, "text", json_string(text)) < 0) {
			json_decref(row);
			goto bad;
		}
		json_array_append_new(*rows, row);
		continue;
	bad:
		fprintf(stderr, "pingshen: %s:%zu: expected %s (UTF-8)\n", file,
			lineno, format);
		rc = PS_EXIT_USAGE;
		break;
	}
	free(line);
	fclose(f);
	if (rc != PS_EXIT_OK) {
		json_decref(*rows);
		*rows = NULL;
	}
	return rc;
}

/*
 * Reads file's item,score[,comment] lines into the "scores" array of a
 * ballot body (*body, caller decrefs).  PS_EXIT_USAGE with file:line on
 * a malformed line or an unreadable file.
 */
static int
cmd_expert_read_csv(const char *file, json_t **body)
{
	json_t *rows, *row, *scores;
	size_t i;
	int rc = cmd_expert_csv(file, "item,score[,comment]", &rows);

	*body = NULL;
	if (rc != PS_EXIT_OK)
		return rc;
	if (json_array_size(rows) == 0) {
		fprintf(stderr, "pingshen: %s has no scores\n", file);
		json_decref(rows);
		return PS_EXIT_USAGE;
	}
	scores = json_array();
	json_array_foreach(rows, i, row)
	{
		json_t *entry = json_pack("{s:O, s:O}", "item",
					  json_object_get(row, "item"), "score",
					  json_object_get(row, "value"));

		if (json_object_get(row, "text") != NULL)
			json_object_set(entry, "comment",
					json_object_get(row, "text"));
		json_array_append_new(scores, entry);
	}
	json_decref(rows);
	*body = json_pack("{s:o}", "scores", scores);
	return PS_EXIT_OK;
}

int
cmd_expert_round(struct api *api, struct args *a, long long meeting,
		 bool closed_ok, long long *n)
{
	const char *v = args_value(a, "round");
	long long open_n, closed_n;
	int rc;

	if (v != NULL)
		return cmd_id(v, "--round", n) ? PS_EXIT_OK : PS_EXIT_USAGE;
	rc = cmd_meeting_rounds(api, meeting, &open_n, &closed_n);
	if (rc != PS_EXIT_OK)
		return rc;
	*n = open_n != 0 ? open_n : closed_ok ? closed_n : 0;
	if (*n == 0) {
		fprintf(stderr, "pingshen: meeting %lld has no open round\n",
			meeting);
		return PS_EXIT_REFUSED;
	}
	return PS_EXIT_OK;
}

/* Adds every leaf of the indicator tree nodes to leaves, by code. */
static void
cmd_expert_leaves(const json_t *nodes, json_t *leaves)
{
	size_t i;
	json_t *node;

	json_array_foreach(nodes, i, node)
	{
		const json_t *children = json_object_get(node, "children");
		const char *code =
		    json_string_value(json_object_get(node, "code"));

		if (json_array_size(children) > 0)
			cmd_expert_leaves(children, leaves);
		else if (code != NULL)
			json_object_set(leaves, code, node);
	}
}

json_t *
cmd_expert_find(const json_t *array, const char *code)
{
	size_t i;
	json_t *row;

	json_array_foreach(array, i, row)
	{
		const char *item =
		    json_string_value(json_object_get(row, "item"));

		if (item != NULL && strcmp(item, code) == 0)
			return row;
	}
	return NULL;
}

/* True when s is a score: 0 to 100 with at most two decimals. */
static bool
cmd_expert_score_ok(const char *s)
{
	size_t digits = strspn(s, "0123456789"), decimals = 0;
	const char *p = s + digits;

	if (digits == 0 || digits > 3)
		return false;
	if (*p == '.') {
		decimals = strspn(p + 1, "0123456789");
		if (decimals < 1 || decimals > 2)
			return false;
		p += 1 + decimals;
	}
	if (*p != '\0')
		return false;
	if (digits == 3 && strncmp(s, "100", 3) != 0)
		return false;
	/* 100 only as 100, 100.0 or 100.00. */
	for (p = s + 4; digits == 3 && decimals > 0 && *p != '\0'; p++)
		if (*p != '0')
			return false;
	return true;
}

/*
 * Prompts on standard error and reads one line of standard input into
 * *line (getline's, with *cap); *text is it trimmed.  False at the end of
 * the input.
 */
static bool
cmd_expert_ask(const char *prompt, char **line, size_t *cap, char **text)
{
	fputs(prompt, stderr);
	fflush(stderr);
	if (getline(line, cap, stdin) < 0) {
		fputc('\n', stderr);
		return false;
	}
	(*line)[strcspn(*line, "\r\n")] = '\0';
	*text = cmd_expert_trim(*line);
	return true;
}

/* Prints what the expert should know about item code before scoring it. */
static void
cmd_expert_describe(size_t i, size_t n, const char *code, const json_t *leaf,
		    const json_t *prev, const json_t *current)
{
	const char *name = json_string_value(json_object_get(leaf, "name"));
	const char *level =
	    json_string_value(json_object_get(leaf, "advanced_level"));

	fprintf(stderr, "\n[%zu/%zu] %s %s\n", i + 1, n, code,
		name != NULL ? name : "");
	fprintf(stderr, "  先进基准水平: %s\n", level != NULL ? level : "-");
	if (prev != NULL) {
		char *median = output_member(prev, "median");
		char *iqr = output_member(prev, "iqr");
		char *own = output_member(prev, "own_score");

		fprintf(stderr,
			"  previous round: median %s, IQR %s, your score %s\n",
			median, iqr, own);
		free(median);
		free(iqr);
		free(own);
	}
	if (current != NULL) {
		const char *comment =
		    json_string_value(json_object_get(current, "comment"));
		char *score = output_member(current, "score");

		fprintf(stderr, "  current score: %s%s%s%s\n", score,
			comment != NULL ? " (" : "",
			comment != NULL ? comment : "",
			comment != NULL ? ")" : "");
		free(score);
	}
}

int
cmd_expert_ask_valid(const char *prompt, bool (*valid)(const char *),
		     const char *what, char **line, size_t *cap, char **text)
{
	for (int tries = 0;; tries++) {
		if (!cmd_expert_ask(prompt, line, cap, text))
			return 0;
		if (valid(*text))
			return 1;
		fprintf(stderr, "pingshen: \"%s\" is not %s\n", *text, what);
		if (tries == CMD_EXPERT_REASKS) {
			fputs("pingshen: too many invalid answers; nothing "
			      "saved\n",
			      stderr);
			return -1;
		}
	}
}

static bool
cmd_expert_score_or_empty(const char *s)
{
	return *s == '\0' || cmd_expert_score_ok(s);
}

static bool
cmd_expert_comment_ok(const char *s)
{
	json_t *j = json_string(s);

	json_decref(j);
	return j != NULL;
}

/*
 * Asks for a score and a comment for every item of ballot (the answer of
 * GET .../ballot) on standard input, with leaves (code -> table node) to
 * describe them: a PUT body into *body (caller decrefs).  At the end of
 * the input the remaining items keep their current scores.  PS_EXIT_USAGE
 * after too many invalid answers.
 */
static int
cmd_expert_ask_all(const json_t *ballot, const json_t *leaves, json_t **body)
{
	const json_t *items = json_object_get(ballot, "items");
	const json_t *prev = json_object_get(ballot, "previous");
	const json_t *old = json_object_get(ballot, "scores");
	json_t *scores = json_array(), *code_j;
	char *line = NULL, *text;
	size_t cap = 0, i, n = json_array_size(items);
	bool eof = false;
	int got = 1;

	*body = NULL;
	fputs("For each item: a score from 0 to 100 with at most two "
	      "decimals (empty keeps\nthe current score, or skips the item), "
	      "then a comment (empty: none).\n",
	      stderr);
	json_array_foreach(items, i, code_j)
	{
		const char *code = json_string_value(code_j);
		json_t *current = NULL, *entry;

		if (code == NULL)
			continue;
		current = cmd_expert_find(old, code);
		if (!eof) {
			cmd_expert_describe(
			    i, n, code, json_object_get(leaves, code),
			    json_is_object(prev)
				? cmd_expert_find(
				      json_object_get(prev, "items"), code)
				: NULL,
			    current);
			got = cmd_expert_ask_valid(
			    current != NULL ? "score (empty: keep): "
					    : "score (empty: skip): ",
			    cmd_expert_score_or_empty,
			    "a score from 0 to 100 with at most two decimals",
			    &line, &cap, &text);
			if (got < 0)
				break;
			if (got == 0) {
				eof = true;
				fputs("pingshen: end of input: the other items "
				      "keep their current scores\n",
				      stderr);
			}
		}
		if (eof || *text == '\0') {
			/* Kept as it is, or skipped. */
			if (current != NULL)
				json_array_append(scores, current);
			continue;
		}
		entry = json_pack("{s:s, s:s}", "item", code, "score", text);
		got = cmd_expert_ask_valid(
		    "comment (empty: none): ", cmd_expert_comment_ok,
		    "UTF-8 text", &line, &cap, &text);
		if (got < 0) {
			json_decref(entry);
			break;
		}
		if (got == 0)
			eof = true;
		else if (*text != '\0')
			json_object_set_new(entry, "comment",
					    json_string(text));
		json_array_append_new(scores, entry);
	}
	free(line);
	if (got < 0) {
		json_decref(scores);
		return PS_EXIT_USAGE;
	}
	*body = json_pack("{s:o}", "scores", scores);
	return PS_EXIT_OK;
}

/*
 * The interactive ballot of meeting id, round n: shows each item (from
 * the evaluation's table and the current ballot) and asks; the PUT body
 * into *body and the number of the round's items into *n_items.
 */
static int
cmd_expert_interactive(struct api *api, long long id, long long n,
		       json_t **body, size_t *n_items)
{
	json_t *meeting = NULL, *table = NULL, *ballot = NULL, *leaves = NULL;
	char *path = xasprintf("/meetings/%lld", id);
	int rc = api_call(api, "GET", path, NULL, &meeting);

	free(path);
	*body = NULL;
	if (rc != PS_EXIT_OK)
		goto out;
	path = xasprintf("/evaluations/%lld/table",
			 (long long)json_integer_value(
			     json_object_get(meeting, "evaluation_id")));
	rc = api_call(api, "GET", path, NULL, &table);
	free(path);
	if (rc != PS_EXIT_OK)
		goto out;
	path = xasprintf("/meetings/%lld/rounds/%lld/ballot", id, n);
	rc = api_call(api, "GET", path, NULL, &ballot);
	free(path);
	if (rc != PS_EXIT_OK)
		goto out;
	leaves = json_object();
	cmd_expert_leaves(json_object_get(table, "nodes"), leaves);
	*n_items = json_array_size(json_object_get(ballot, "items"));
	fprintf(stderr, "meeting %lld, round %lld: %zu items\n", id, n,
		*n_items);
	rc = cmd_expert_ask_all(ballot, leaves, body);
out:
	json_decref(meeting);
	json_decref(table);
	json_decref(ballot);
	json_decref(leaves);
	return rc;
}

int
cmd_ballot(struct cmd_ctx *ctx)
{
	struct args_opt opts[] = {{.name = "file", .kind = ARGS_VALUE},
				  {.name = "round", .kind = ARGS_VALUE},
				  {.name = "interactive", .kind = ARGS_FLAG},
				  {.name = NULL}};
	struct args a;
	struct api *api = NULL;
	json_t *body = NULL, *resp = NULL;
	const char *file;
	bool interactive;
	long long id, n;
	size_t n_scores, n_items = 0;
	char *path;
	int rc;

	if (!cmd_args(ctx, &a, opts, 1, 1) ||
	    !cmd_id(a.pos[0], "MEETING", &id)) {
		rc = cmd_usage(ctx);
		goto out;
	}
	file = args_value(&a, "file");
	interactive = args_flag(&a, "interactive");
	if (file != NULL && interactive) {
		fputs("pingshen: give --file or --interactive, not both\n",
		      stderr);
		rc = cmd_usage(ctx);
		goto out;
	}
	if (file == NULL && !interactive) {
		if (!isatty(STDIN_FILENO)) {
			fputs("pingshen: standard input is not a terminal: "
			      "give --file scores.csv, or --interactive\n",
			      stderr);
			rc = cmd_usage(ctx);
			goto out;
		}
		interactive = true;
	}
	if (file != NULL) {
		rc = cmd_expert_read_csv(file, &body);
		if (rc != PS_EXIT_OK)
			goto out;
	}
	rc = cmd_connect(ctx, true, &api);
	if (rc != PS_EXIT_OK)
		goto out;
	rc = cmd_expert_round(api, &a, id, false, &n);
	if (rc != PS_EXIT_OK)
		goto out;
	if (interactive) {
		rc = cmd_expert_interactive(api, id, n, &body, &n_items);
		if (rc != PS_EXIT_OK)
			goto out;
	}
	n_scores = json_array_size(json_object_get(body, "scores"));
	if (n_scores == 0) {
		fputs("pingshen: no scores given; nothing saved\n", stderr);
		goto out;
	}
	path = xasprintf("/meetings/%lld/rounds/%lld/ballot", id, n);
	rc = api_call(api, "PUT", path, body, &resp);
	free(path);
	if (rc != PS_EXIT_OK)
		goto out;
	if (ctx->json) {
		output_json(resp);
		goto out;
	}
	printf("round %lld: ballot saved (version %lld, %zu score%s, ", n,
	       (long long)json_integer_value(json_object_get(resp, "version")),
	       n_scores, n_scores == 1 ? "" : "s");
	if (json_is_true(json_object_get(resp, "complete")))
		puts("complete)");
	else if (interactive && n_items > 0)
		printf("partial: %zu of %zu items scored)\n", n_scores,
		       n_items);
	else
		puts("incomplete: score every item of the round)");
out:
	json_decref(body);
	json_decref(resp);
	api_free(api);
	args_free(&a);
	return rc;
}

int
cmd_ballot_show(struct cmd_ctx *ctx)
{
	static const char *const head[] = {"ITEM", "SCORE", "COMMENT"};
	static const char *const keys[] = {"item", "score", "comment"};
	struct args_opt opts[] = {{.name = "round", .kind = ARGS_VALUE},
				  {.name = NULL}};
	struct args a;
	struct api *api = NULL;
	json_t *resp = NULL, *row;
	long long id, n;
	char *path;
	size_t i;
	int rc;

	if (!cmd_args(ctx, &a, opts, 1, 1) ||
	    !cmd_id(a.pos[0], "MEETING", &id)) {
		rc = cmd_usage(ctx);
		goto out;
	}
	rc = cmd_connect(ctx, true, &api);
	if (rc != PS_EXIT_OK)
		goto out;
	rc = cmd_expert_round(api, &a, id, true, &n);
	if (rc != PS_EXIT_OK)
		goto out;
	path = xasprintf("/meetings/%lld/rounds/%lld/ballot", id, n);
	rc = api_call(api, "GET", path, NULL, &resp);
	free(path);
	if (rc == PS_EXIT_OK && ctx->json)
		output_json(resp);
	else if (rc == PS_EXIT_OK &&
		 (json_object_get(resp, "votes") != NULL ||
		  json_object_get(resp, "weights") != NULL)) {
		json_t *names = cmd_pmeet_names(ctx, api, id);

		cmd_pmeet_print_ballot_named(n, resp, names);
		json_decref(names);
	} else if (rc == PS_EXIT_OK) {
		struct output_table *t = output_table_new(3, head);
		char *version = output_member(resp, "version");

		printf("round %lld, version %s, %s\n\n", n, version,
		       json_is_true(json_object_get(resp, "complete"))
			   ? "complete"
			   : "incomplete");
		free(version);
		json_array_foreach(json_object_get(resp, "scores"), i, row)
		{
			char *cells[3];

			for (size_t c = 0; c < 3; c++)
				cells[c] = json_object_get(row, keys[c]) != NULL
					       ? output_member(row, keys[c])
					       : xstrdup("");
			output_table_add(t, (const char *const *)cells);
			for (size_t c = 0; c < 3; c++)
				free(cells[c]);
		}
		output_table_print(t);
		output_table_free(t);
	}
out:
	json_decref(resp);
	api_free(api);
	args_free(&a);
	return rc;
}
