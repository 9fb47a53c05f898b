/*
 * The section 4.1 procedure commands: the secretary's (related standards,
 * the indicator pool and its comparisons, stakeholder consultations,
 * moving an evaluation between stages, its history) and `procedure`, which
 * shows everything recorded to the secretary, the panels and auditors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "cmd.h"
#include "config.h"
#include "output.h"
#include "xalloc.h"

/* The widest DETAILS cell of `history`, in display cells. */
#define PROC_DETAILS_WIDTH 60

/* The members of a pool source and of a comparison's two sides, in the
 * order they read. */
static const char *const proc_src_keys[] = {"type", "ref", "clause", "text",
					    NULL};
static const char *const proc_std_keys[] = {"ref", "clause", "level", NULL};
static const char *const proc_bm_keys[] = {"scope", "ref", "level", NULL};

/* Prints the record fields (label, key) of object, labels padded. */
static void
proc_print_fields(const json_t *object, const char *const (*fields)[2],
		  size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char *value;

		if (json_object_get(object, fields[i][1]) == NULL)
			continue;
		value = output_member(object, fields[i][1]);
		output_field(fields[i][0], 12, value);
		free(value);
	}
}

/*
 * Parses "COMMAND EVALUATION ..." with opts (n_pos positionals, the first
 * the evaluation id into *id).  On failure returns the exit status (usage
 * printed); a must be freed either way.
 */
static int
proc_start(struct cmd_ctx *ctx, struct args *a, struct args_opt *opts,
	   size_t n_pos, long long *id)
{
	if (!cmd_args(ctx, a, opts, n_pos, n_pos) ||
	    !cmd_id(a->pos[0], "EVALUATION", id))
		return cmd_usage(ctx);
	return PS_EXIT_OK;
}

/* Sets object[key] to the string value when it is not NULL; false when
 * value is not UTF-8. */
static bool
proc_set(json_t *object, const char *key, const char *value)
{
	if (value == NULL)
		return true;
	if (json_object_set_new(object, key, json_string(value)) < 0) {
		fprintf(stderr, "pingshen: --%s must be UTF-8\n", key);
		return false;
	}
	return true;
}

static void
proc_print_standard(const json_t *s)
{
	static const char *const fields[][2] = {{"id", "id"},
						{"code", "code"},
						{"title", "title"},
						{"scope", "scope"}};
	char *clauses = xstrdup("");
	size_t i;
	json_t *c;

	proc_print_fields(s, fields, sizeof fields / sizeof *fields);
	json_array_foreach(json_object_get(s, "clauses"), i, c)
	{
		char *joined = xasprintf(
		    "%s%s%s", clauses, i > 0 ? "; " : "",
		    json_string_value(c) != NULL ? json_string_value(c) : "?");

		free(clauses);
		clauses = joined;
	}
	if (clauses[0] != '\0')
		output_field("clauses", 12, clauses);
	free(clauses);
}

int
cmd_standard_add(struct cmd_ctx *ctx)
{
	struct args_opt opts[] = {
	    {.name = "code", .kind = ARGS_VALUE},
	    {.name = "title", .kind = ARGS_VALUE},
	    {.name = "scope", .kind = ARGS_VALUE},
	    {.name = "clause", .kind = ARGS_MULTI},
	    {.name = NULL},
	};
	struct args a;
	json_t *body = json_object(), *clauses = json_array();
	struct args_opt *clause;
	long long id;
	char *path;
	int rc = proc_start(ctx, &a, opts, 1, &id);

	if (rc != PS_EXIT_OK)
		goto out;
	if (args_value(&a, "code") == NULL || args_value(&a, "title") == NULL ||
	    args_value(&a, "scope") == NULL) {
		fputs("pingshen: --code, --title and --scope are required\n",
		      stderr);
		rc = cmd_usage(ctx);
		goto out;
	}
	if (!proc_set(body, "code", args_value(&a, "code")) ||
	    !proc_set(body, "title", args_value(&a, "title")) ||
	    !proc_set(body, "scope", args_value(&a, "scope"))) {
		rc = PS_EXIT_USAGE;
		goto out;
	}
	clause = args_get(&a, "clause");
	for (size_t i = 0; i < clause->n_values; i++) {
		json_t *s = json_string(clause->values[i]);

		if (s == NULL) {
			fputs("pingshen: --clause must be UTF-8\n", stderr);
			rc = PS_EXIT_USAGE;
			goto out;
		}
		json_array_append_new(clauses, s);
	}
	if (clause->n_values > 0)
		json_object_set(body, "clauses", clauses);
	path = xasprintf("/evaluations/%lld/standards", id);
	rc = cmd_send(ctx, "POST", path, body, proc_print_standard);
	free(path);
out:
	json_decref(clauses);
	json_decref(body);
	args_free(&a);
	return rc;
}

/* "type ref clause text" of a pool source or comparison side. */
static char *
proc_join(const json_t *object, const char *const *keys)
{
	char *line = xstrdup("");

	for (; *keys != NULL; keys++) {
		const char *v =
		    json_string_value(json_object_get(object, *keys));
		char *joined;

		if (v == NULL)
			continue;
		joined =
		    xasprintf("%s%s%s", line, line[0] != '\0' ? ", " : "", v);
		free(line);
		line = joined;
	}
	return line;
}

static void
proc_print_pool(const json_t *p)
{
	static const char *const fields[][2] = {{"code", "code"},
						{"kind", "kind"},
						{"name", "name"},
						{"parent", "parent"},
						{"description", "description"}};
	const json_t *src = json_object_get(p, "source");

	proc_print_fields(p, fields, sizeof fields / sizeof *fields);
	if (json_is_object(src)) {
		char *line = proc_join(src, proc_src_keys);

		output_field("source", 12, line);
		free(line);
	}
}

int
cmd_pool_add(struct cmd_ctx *ctx)
{
	struct args_opt opts[] = {
	    {.name = "code", .kind = ARGS_VALUE},
	    {.name = "name", .kind = ARGS_VALUE},
	    {.name = "group", .kind = ARGS_FLAG},
	    {.name = "parent", .kind = ARGS_VALUE},
	    {.name = "description", .kind = ARGS_VALUE},
	    {.name = "source", .kind = ARGS_VALUE},
	    {.name = "source-ref", .kind = ARGS_VALUE},
	    {.name = "source-clause", .kind = ARGS_VALUE},
	    {.name = NULL},
	};
	struct args a;
	json_t *body = json_object(), *src = json_object();
	long long id;
	char *path;
	int rc = proc_start(ctx, &a, opts, 1, &id);

	if (rc != PS_EXIT_OK)
		goto out;
	if (args_value(&a, "code") == NULL || args_value(&a, "name") == NULL) {
		fputs("pingshen: --code and --name are required\n", stderr);
		rc = cmd_usage(ctx);
		goto out;
	}
	if (args_value(&a, "source") == NULL &&
	    (args_value(&a, "source-ref") != NULL ||
	     args_value(&a, "source-clause") != NULL)) {
		fputs("pingshen: --source-ref and --source-clause need "
		      "--source\n",
		      stderr);
		rc = cmd_usage(ctx);
		goto out;
	}
	json_object_set_new(
	    body, "kind",
	    json_string(args_flag(&a, "group") ? "group" : "candidate"));
	if (!proc_set(body, "code", args_value(&a, "code")) ||
	    !proc_set(body, "name", args_value(&a, "name")) ||
	    !proc_set(body, "parent", args_value(&a, "parent")) ||
	    !proc_set(body, "description", args_value(&a, "description")) ||
	    !proc_set(src, "type", args_value(&a, "source")) ||
	    !proc_set(src, "ref", args_value(&a, "source-ref")) ||
	    !proc_set(src, "clause", args_value(&a, "source-clause"))) {
		rc = PS_EXIT_USAGE;
		goto out;
	}
	if (json_object_size(src) > 0)
		json_object_set(body, "source", src);
	path = xasprintf("/evaluations/%lld/pool", id);
	rc = cmd_send(ctx, "POST", path, body, proc_print_pool);
	free(path);
out:
	json_decref(src);
	json_decref(body);
	args_free(&a);
	return rc;
}

static void
proc_print_compared(const json_t *p)
{
	const json_t *cmp = json_object_get(p, "comparison");
	const json_t *std = json_object_get(cmp, "standard");
	const json_t *bm = json_object_get(cmp, "benchmark");
	char *code = output_member(p, "code");

	output_field("code", 12, code);
	free(code);
	if (json_is_object(std)) {
		char *line = proc_join(std, proc_std_keys);

		output_field("standard", 12, line);
		free(line);
	}
	if (json_is_object(bm)) {
		char *line = proc_join(bm, proc_bm_keys);

		output_field("benchmark", 12, line);
		free(line);
	}
}

int
cmd_compare(struct cmd_ctx *ctx)
{
	struct args_opt opts[] = {
	    {.name = "standard-ref", .kind = ARGS_VALUE},
	    {.name = "standard-level", .kind = ARGS_VALUE},
	    {.name = "standard-clause", .kind = ARGS_VALUE},
	    {.name = "benchmark", .kind = ARGS_VALUE},
	    {.name = "benchmark-ref", .kind = ARGS_VALUE},
	    {.name = "benchmark-level", .kind = ARGS_VALUE},
	    {.name = NULL},
	};
	struct args a;
	json_t *body = json_object(), *std = json_object(), *bm = json_object();
	long long id;
	char *path, *code;
	bool has_std, has_bm;
	int rc = proc_start(ctx, &a, opts, 2, &id);

	if (rc != PS_EXIT_OK)
		goto out;
	has_std = args_value(&a, "standard-ref") != NULL ||
		  args_value(&a, "standard-level") != NULL ||
		  args_value(&a, "standard-clause") != NULL;
	has_bm = args_value(&a, "benchmark") != NULL ||
		 args_value(&a, "benchmark-ref") != NULL ||
		 args_value(&a, "benchmark-level") != NULL;
	if (!has_std && !has_bm) {
		fputs("pingshen: give a standard, a benchmark or both\n",
		      stderr);
		rc = cmd_usage(ctx);
		goto out;
	}
	if (has_std && (args_value(&a, "standard-ref") == NULL ||
			args_value(&a, "standard-level") == NULL)) {
		fputs("pingshen: a standard needs --standard-ref and "
		      "--standard-level\n",
		      stderr);
		rc = cmd_usage(ctx);
		goto out;
	}
	if (has_bm && (args_value(&a, "benchmark") == NULL ||
		       args_value(&a, "benchmark-ref") == NULL ||
		       args_value(&a, "benchmark-level") == NULL)) {
		fputs("pingshen: a benchmark needs --benchmark, "
		      "--benchmark-ref and --benchmark-level\n",
		      stderr);
		rc = cmd_usage(ctx);
		goto out;
	}
	if (!proc_set(std, "ref", args_value(&a, "standard-ref")) ||
	    !proc_set(std, "level", args_value(&a, "standard-level")) ||
	    !proc_set(std, "clause", args_value(&a, "standard-clause")) ||
	    !proc_set(bm, "scope", args_value(&a, "benchmark")) ||
	    !proc_set(bm, "ref", args_value(&a, "benchmark-ref")) ||
	    !proc_set(bm, "level", args_value(&a, "benchmark-level"))) {
		rc = PS_EXIT_USAGE;
		goto out;
	}
	if (has_std)
		json_object_set(body, "standard", std);
	if (has_bm)
		json_object_set(body, "benchmark", bm);
	code = curl_easy_escape(NULL, a.pos[1], 0);
	if (code == NULL)
		abort();
	path = xasprintf("/evaluations/%lld/pool/%s/comparison", id, code);
	curl_free(code);
	rc = cmd_send(ctx, "PUT", path, body, proc_print_compared);
	free(path);
out:
	json_decref(std);
	json_decref(bm);
	json_decref(body);
	args_free(&a);
	return rc;
}

static void
proc_print_consultation(const json_t *c)
{
	static const char *const fields[][2] = {
	    {"id", "id"},
	    {"stakeholder", "stakeholder"},
	    {"organization", "organization"},
	    {"opinion", "opinion"},
	    {"response", "response"}};

	proc_print_fields(c, fields, sizeof fields / sizeof *fields);
}

int
cmd_consult(struct cmd_ctx *ctx)
{
	struct args_opt opts[] = {
	    {.name = "stakeholder", .kind = ARGS_VALUE},
	    {.name = "organization", .kind = ARGS_VALUE},
	    {.name = "opinion", .kind = ARGS_VALUE},
	    {.name = "response", .kind = ARGS_VALUE},
	    {.name = NULL},
	};
	struct args a;
	json_t *body = json_object();
	long long id;
	char *path;
	int rc = proc_start(ctx, &a, opts, 1, &id);

	if (rc != PS_EXIT_OK)
		goto out;
	if (args_value(&a, "stakeholder") == NULL ||
	    args_value(&a, "organization") == NULL ||
	    args_value(&a, "opinion") == NULL) {
		fputs("pingshen: --stakeholder, --organization and --opinion "
		      "are required\n",
		      stderr);
		rc = cmd_usage(ctx);
		goto out;
	}
	if (!proc_set(body, "stakeholder", args_value(&a, "stakeholder")) ||
	    !proc_set(body, "organization", args_value(&a, "organization")) ||
	    !proc_set(body, "opinion", args_value(&a, "opinion")) ||
	    !proc_set(body, "response", args_value(&a, "response"))) {
		rc = PS_EXIT_USAGE;
		goto out;
	}
	path = xasprintf("/evaluations/%lld/consultations", id);
	rc = cmd_send(ctx, "POST", path, body, proc_print_consultation);
	free(path);
out:
	json_decref(body);
	args_free(&a);
	return rc;
}

static void
proc_print_moved(const json_t *e)
{
	static const char *const fields[][2] = {
	    {"id", "id"}, {"title", "title"}, {"stage", "stage"}};

	proc_print_fields(e, fields, sizeof fields / sizeof *fields);
}

int
cmd_advance(struct cmd_ctx *ctx)
{
	struct args_opt opts[] = {{.name = "reason", .kind = ARGS_VALUE},
				  {.name = NULL}};
	struct args a;
	json_t *body = json_object();
	long long id;
	char *path;
	int rc = proc_start(ctx, &a, opts, 2, &id);

	if (rc != PS_EXIT_OK)
		goto out;
	if (!proc_set(body, "to", a.pos[1]) ||
	    !proc_set(body, "reason", args_value(&a, "reason"))) {
		rc = PS_EXIT_USAGE;
		goto out;
	}
	/* A refusal lists every unmet condition (api.c prints them). */
	path = xasprintf("/evaluations/%lld/advance", id);
	rc = cmd_send(ctx, "POST", path, body, proc_print_moved);
	free(path);
out:
	json_decref(body);
	args_free(&a);
	return rc;
}

/* text cut to at most max display cells, "..." marking a cut (in place). */
static void
proc_truncate(char *text, size_t max)
{
	size_t cells = 0, keep = 0;
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0;

	if (output_width(text) <= max)
		return;
	while (s[i] != '\0') {
		unsigned long cp = s[i];
		size_t n = 1;
		int cw;

		if (s[i] >= 0xf0 && s[i] < 0xf8)
			n = 4, cp = s[i] & 0x07;
		else if (s[i] >= 0xe0)
			n = s[i] < 0xf0 ? 3 : 1, cp = s[i] & 0x0f;
		else if (s[i] >= 0xc0)
			n = 2, cp = s[i] & 0x1f;
		for (size_t k = 1; k < n; k++) {
			if ((s[i + k] & 0xc0) != 0x80) {
				n = 1;
				cp = s[i];
				break;
			}
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		cw = n == 1 && s[i] >= 0x80 ? 1 : output_wcwidth(cp);
		if (cells + (size_t)cw > max - 3)
			break;
		cells += (size_t)cw;
		i += n;
		keep = i;
	}
	memcpy(text + keep, "...", 4);
}

int
cmd_history(struct cmd_ctx *ctx)
{
	static const char *const head[] = {"SEQ", "AT", "ACTOR", "ACTION",
					   "DETAILS"};
	struct args_opt opts[] = {{.name = NULL}};
	struct args a;
	struct api *api = NULL;
	json_t *entries = NULL;
	long long id;
	char *path;
	int rc = proc_start(ctx, &a, opts, 1, &id);

	args_free(&a);
	if (rc != PS_EXIT_OK)
		return rc;
	rc = cmd_connect(ctx, true, &api);
	if (rc != PS_EXIT_OK)
		return rc;
	path = xasprintf("/evaluations/%lld/history", id);
	rc = api_list_all(api, path, 1000, 0, &entries);
	free(path);
	if (rc == PS_EXIT_OK) {
		if (ctx->json)
			output_json(entries);
		else {
			struct output_table *t = output_table_new(5, head);
			size_t i;
			json_t *e;

			json_array_foreach(entries, i, e)
			{
				char *details =
				    json_dumps(json_object_get(e, "details"),
					       JSON_COMPACT | JSON_ENCODE_ANY);
				char *cells[5] = {
				    output_member(e, "seq"),
				    output_member(e, "at"),
				    output_member(json_object_get(e, "actor"),
						  "username"),
				    output_member(e, "action"),
				    details != NULL ? details : xstrdup("-"),
				};

				proc_truncate(cells[4], PROC_DETAILS_WIDTH);
				output_table_add(t, (const char *const *)cells);
				for (size_t c = 0; c < 5; c++)
					free(cells[c]);
			}
			output_table_print(t);
			output_table_free(t);
		}
	}
	json_decref(entries);
	api_free(api);
	return rc;
}

/* ---- procedure: everything recorded ---- */

/* "standard: REF, CLAUSE, LEVEL; benchmark: SCOPE, REF, LEVEL" of a
 * candidate's comparison; "-" without one (caller frees). */
static char *
proc_comparison_text(const json_t *cmp)
{
	const json_t *std = json_object_get(cmp, "standard");
	const json_t *bm = json_object_get(cmp, "benchmark");
	char *s = json_is_object(std) ? proc_join(std, proc_std_keys) : NULL;
	char *b = json_is_object(bm) ? proc_join(bm, proc_bm_keys) : NULL;
	char *out;

	if (s == NULL && b == NULL)
		return xstrdup("-");
	out = xasprintf("%s%s%s%s%s", s != NULL ? "standard: " : "",
			s != NULL ? s : "", s != NULL && b != NULL ? "; " : "",
			b != NULL ? "benchmark: " : "", b != NULL ? b : "");
	free(s);
	free(b);
	return out;
}

/* How deep code sits in the table: 0 for "1", 2 for "1.2.3". */
static int
proc_depth(const char *code)
{
	int depth = 0;

	for (; code != NULL && *code != '\0'; code++)
		depth += *code == '.';
	return depth;
}

static void
proc_print_standards(const json_t *standards)
{
	static const char *const head[] = {"CODE", "TITLE", "SCOPE", "CLAUSES"};
	struct output_table *t;
	size_t i, k;
	json_t *s, *c;

	if (json_array_size(standards) == 0) {
		puts("related standards: none recorded");
		return;
	}
	printf("related standards (%zu):\n\n", json_array_size(standards));
	t = output_table_new(4, head);
	json_array_foreach(standards, i, s)
	{
		char *cells[4] = {output_member(s, "code"),
				  output_member(s, "title"),
				  output_member(s, "scope"), xstrdup("")};

		json_array_foreach(json_object_get(s, "clauses"), k, c)
		{
			char *joined = xasprintf(
			    "%s%s%s", cells[3], k > 0 ? "; " : "",
			    json_string_value(c) != NULL ? json_string_value(c)
							 : "?");

			free(cells[3]);
			cells[3] = joined;
		}
		output_table_add(t, (const char *const *)cells);
		for (size_t x = 0; x < 4; x++)
			free(cells[x]);
	}
	output_table_print(t);
	output_table_free(t);
}

/*
 * The pool as the table it grows into: names indented by depth, each
 * candidate's source and comparison, ✓ for a key indicator and ✗ for a
 * candidate the selection meeting excluded; then the descriptions, too
 * long for a column.
 */
static void
proc_print_pool_records(const json_t *pool)
{
	static const char *const head[] = {"CODE", "NAME",   "KIND",
					   "KEY",  "SOURCE", "COMPARISON"};
	static const char *const desc_head[] = {"CODE", "DESCRIPTION"};
	struct output_table *t, *descs;
	size_t i, groups = 0, keys = 0, n_descs = 0;
	bool decided = false;
	json_t *p;

	if (json_array_size(pool) == 0) {
		puts("indicator pool: empty");
		return;
	}
	t = output_table_new(6, head);
	descs = output_table_new(2, desc_head);
	json_array_foreach(pool, i, p)
	{
		const char *code =
		    json_string_value(json_object_get(p, "code"));
		const char *kind =
		    json_string_value(json_object_get(p, "kind"));
		const json_t *key = json_object_get(p, "key");
		bool group = kind != NULL && strcmp(kind, "group") == 0;
		const json_t *src = json_object_get(p, "source");
		char *name = output_member(p, "name");
		char *cells[6] = {
		    output_member(p, "code"),
		    xasprintf("%*s%s", 2 * proc_depth(code), "", name),
		    output_member(p, "kind"),
		    xstrdup(json_is_true(key)	 ? "✓"
			    : json_is_false(key) ? "✗"
						 : ""),
		    group		  ? xstrdup("")
		    : json_is_object(src) ? proc_join(src, proc_src_keys)
					  : xstrdup("-"),
		    group ? xstrdup("")
			  : proc_comparison_text(
				json_object_get(p, "comparison")),
		};

		free(name);
		output_table_add(t, (const char *const *)cells);
		for (size_t c = 0; c < 6; c++)
			free(cells[c]);
		groups += group;
		keys += json_is_true(key);
		decided = decided || json_is_boolean(key);
		if (json_is_string(json_object_get(p, "description")) &&
		    json_string_length(json_object_get(p, "description")) > 0) {
			char *row[2] = {output_member(p, "code"),
					output_member(p, "description")};

			output_table_add(descs, (const char *const *)row);
			free(row[0]);
			free(row[1]);
			n_descs++;
		}
	}
	printf("indicator pool (%zu group%s, %zu candidate%s", groups,
	       groups == 1 ? "" : "s", json_array_size(pool) - groups,
	       json_array_size(pool) - groups == 1 ? "" : "s");
	if (decided)
		printf(", %zu key indicator%s", keys, keys == 1 ? "" : "s");
	printf("):\n\n");
	output_table_print(t);
	if (decided)
		puts("\n✓ key indicator   ✗ excluded by the selection meeting");
	if (n_descs > 0) {
		puts("\ndescriptions:\n");
		output_table_print(descs);
	}
	output_table_free(t);
	output_table_free(descs);
}

static void
proc_print_consultations(const json_t *consultations)
{
	size_t i;
	json_t *c;

	if (json_array_size(consultations) == 0) {
		puts("consultations: none recorded");
		return;
	}
	printf("consultations (%zu):\n", json_array_size(consultations));
	json_array_foreach(consultations, i, c)
	{
		char *who = output_member(c, "stakeholder");
		char *org = output_member(c, "organization");
		char *opinion = output_member(c, "opinion");

		printf("\n%zu. %s (%s)\n   opinion:  %s\n", i + 1, org, who,
		       opinion);
		if (json_object_get(c, "response") != NULL) {
			char *response = output_member(c, "response");

			printf("   response: %s\n", response);
			free(response);
		}
		free(who);
		free(org);
		free(opinion);
	}
}

static void
proc_print_records(const json_t *rec)
{
	char *stage = output_member(rec, "stage");

	output_field("stage", 5, stage);
	free(stage);
	putchar('\n');
	proc_print_standards(json_object_get(rec, "standards"));
	putchar('\n');
	proc_print_pool_records(json_object_get(rec, "pool"));
	putchar('\n');
	proc_print_consultations(json_object_get(rec, "consultations"));
}

int
cmd_procedure(struct cmd_ctx *ctx)
{
	struct args_opt opts[] = {{.name = NULL}};
	struct args a;
	long long id;
	char *path;
	int rc = proc_start(ctx, &a, opts, 1, &id);

	args_free(&a);
	if (rc != PS_EXIT_OK)
		return rc;
	path = xasprintf("/evaluations/%lld/procedure", id);
	rc = cmd_send(ctx, "GET", path, NULL, proc_print_records);
	free(path);
	return rc;
}
