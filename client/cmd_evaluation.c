/*
 * Evaluation commands (mostly the secretary's): evaluation create, list
 * and show, the indicator table, and the verdict (preview, finalize,
 * show).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "output.h"
#include "xalloc.h"

/* Adds a row of n cells taken from object's keys. */
static void
cmd_eval_row(struct output_table *t, const json_t *object,
	     const char *const *keys, size_t n)
{
	char *cells[8];

	for (size_t c = 0; c < n; c++)
		cells[c] = output_member(object, keys[c]);
	output_table_add(t, (const char *const *)cells);
	for (size_t c = 0; c < n; c++)
		free(cells[c]);
}

/* Prints evaluations as a table. */
static void
cmd_eval_list_table(const json_t *evals)
{
	static const char *const head[] = {"ID",    "STAGE", "STANDARD",
					   "TITLE", "TOTAL", "CONCLUSION"};
	struct output_table *t = output_table_new(6, head);
	size_t i;
	json_t *e;

	json_array_foreach(evals, i, e)
	{
		json_t *verdict = json_object_get(e, "verdict");
		char *cells[6] = {
		    output_member(e, "id"),
		    output_member(e, "stage"),
		    output_member(json_object_get(e, "standard"), "code"),
		    output_member(e, "title"),
		    output_member(verdict, "total"),
		    output_member(verdict, "conclusion"),
		};

		output_table_add(t, (const char *const *)cells);
		for (size_t c = 0; c < 6; c++)
			free(cells[c]);
	}
	output_table_print(t);
	output_table_free(t);
}

/* Prints one evaluation as a record. */
static void
cmd_eval_print(const json_t *e)
{
	const json_t *std = json_object_get(e, "standard");
	const json_t *verdict = json_object_get(e, "verdict");
	json_t *orgs = json_object_get(e, "drafting_organizations");
	struct {
		const char *label;
		char *value;
	} f[] = {
	    {"id", output_member(e, "id")},
	    {"title", output_member(e, "title")},
	    {"standard", output_member(std, "code")},
	    {"standard title", output_member(std, "title")},
	    {"drafted by", NULL},
	    {"template", output_member(e, "template")},
	    {"stage", output_member(e, "stage")},
	    {"threshold", output_member(e, "threshold")},
	    {"created", output_member(e, "created_at")},
	    {"total", output_member(verdict, "total")},
	    {"conclusion", output_member(verdict, "conclusion")},
	};
	size_t i;
	json_t *o;

	/* Drafting organizations joined with "、" as Chinese lists are. */
	f[4].value = xstrdup("");
	json_array_foreach(orgs, i, o)
	{
		char *joined = xasprintf(
		    "%s%s%s", f[4].value, i > 0 ? "、" : "",
		    json_string_value(o) != NULL ? json_string_value(o) : "?");

		free(f[4].value);
		f[4].value = joined;
	}
	for (i = 0; i < sizeof f / sizeof *f; i++) {
		output_field(f[i].label, 14, f[i].value);
		free(f[i].value);
	}
}

int
cmd_evaluation_create(struct cmd_ctx *ctx)
{
	struct args_opt opts[] = {
	    {.name = "template", .kind = ARGS_VALUE},
	    {.name = "title", .kind = ARGS_VALUE},
	    {.name = "standard-code", .kind = ARGS_VALUE},
	    {.name = "standard-title", .kind = ARGS_VALUE},
	    {.name = "drafting-org", .kind = ARGS_MULTI},
	    {.name = "threshold", .kind = ARGS_VALUE},
	    {.name = "no-template", .kind = ARGS_FLAG},
	    {.name = NULL},
	};
	struct args a;
	struct api *api = NULL;
	json_t *body = NULL, *orgs, *resp = NULL;
	struct args_opt *drafting;
	int rc = PS_EXIT_USAGE;

	if (!cmd_args(ctx, &a, opts, 0, 0))
		goto usage;
	if (args_value(&a, "title") == NULL ||
	    args_value(&a, "standard-code") == NULL ||
	    args_value(&a, "standard-title") == NULL) {
		fputs("pingshen: --title, --standard-code and --standard-title "
		      "are required\n",
		      stderr);
		goto usage;
	}
	orgs = json_array();
	drafting = args_get(&a, "drafting-org");
	for (size_t i = 0; i < drafting->n_values; i++)
		json_array_append_new(orgs, json_string(drafting->values[i]));
	body = json_pack(
	    "{s:s, s:{s:s, s:s}, s:o}", "title", args_value(&a, "title"),
	    "standard", "code", args_value(&a, "standard-code"), "title",
	    args_value(&a, "standard-title"), "drafting_organizations", orgs);
	if (body == NULL) {
		fputs("pingshen: arguments must be UTF-8\n", stderr);
		goto out;
	}
	if (!args_flag(&a, "no-template"))
		json_object_set_new(
		    body, "template",
		    json_string(args_value(&a, "template") != NULL
				    ? args_value(&a, "template")
				    : "ywtb"));
	if (args_value(&a, "threshold") != NULL)
		json_object_set_new(body, "threshold",
				    json_string(args_value(&a, "threshold")));
	rc = cmd_connect(ctx, true, &api);
	if (rc != PS_EXIT_OK)
		goto out;
	rc = api_call(api, "POST", "/evaluations", body, &resp);
	if (rc == PS_EXIT_OK) {
		if (ctx->json)
			output_json(resp);
		else
			cmd_eval_print(resp);
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

int
cmd_evaluation_list(struct cmd_ctx *ctx)
{
	struct args_opt opts[] = {{.name = NULL}};
	struct args a;
	struct api *api;
	json_t *evals = NULL;
	int rc;

	if (!cmd_args(ctx, &a, opts, 0, 0)) {
		args_free(&a);
		return cmd_usage(ctx);
	}
	args_free(&a);
	rc = cmd_connect(ctx, true, &api);
	if (rc != PS_EXIT_OK)
		return rc;
	rc = api_list_all(api, "/evaluations", 100, 0, &evals);
	if (rc == PS_EXIT_OK) {
		if (ctx->json)
			output_json(evals);
		else
			cmd_eval_list_table(evals);
	}
	json_decref(evals);
	api_free(api);
	return rc;
}

/*
 * The common shape of "COMMAND ID": parses one id and GETs
 * fmt-with-the-id into *resp.  *api is the caller's to free.
 */
static int
cmd_eval_get(struct cmd_ctx *ctx, const char *fmt, struct api **api,
	     long long *id, json_t **resp)
{
	struct args_opt opts[] = {{.name = NULL}};
	struct args a;
	char *path;
	int rc;

	*api = NULL;
	*resp = NULL;
	if (!cmd_args(ctx, &a, opts, 1, 1) || !cmd_id(a.pos[0], "ID", id)) {
		args_free(&a);
		return cmd_usage(ctx);
	}
	args_free(&a);
	rc = cmd_connect(ctx, true, api);
	if (rc != PS_EXIT_OK)
		return rc;
	path = xasprintf(fmt, *id);
	rc = api_call(*api, "GET", path, NULL, resp);
	free(path);
	return rc;
}

int
cmd_evaluation_show(struct cmd_ctx *ctx)
{
	struct api *api;
	json_t *resp;
	long long id;
	int rc = cmd_eval_get(ctx, "/evaluations/%lld", &api, &id, &resp);

	if (rc == PS_EXIT_OK) {
		if (ctx->json)
			output_json(resp);
		else
			cmd_eval_print(resp);
	}
	json_decref(resp);
	api_free(api);
	return rc;
}

/* Adds node and its descendants to t, names indented by depth. */
static void
cmd_eval_table_node(struct output_table *t, const json_t *node, int depth)
{
	static const char *const keys[] = {
	    "code", "name", "weight", "global_weight", "value", "contribution"};
	char *cells[6];
	const json_t *children = json_object_get(node, "children");
	size_t i;
	json_t *child;

	for (size_t c = 0; c < 6; c++)
		cells[c] = output_member(node, keys[c]);
	if (depth > 0) {
		char *indented = xasprintf("%*s%s", 2 * depth, "", cells[1]);

		free(cells[1]);
		cells[1] = indented;
	}
	if (children != NULL) {
		/* Groups have no value of their own. */
		free(cells[4]);
		free(cells[5]);
		cells[4] = xstrdup("");
		cells[5] = xstrdup("");
	}
	output_table_add(t, (const char *const *)cells);
	for (size_t c = 0; c < 6; c++)
		free(cells[c]);
	json_array_foreach(children, i, child)
	    cmd_eval_table_node(t, child, depth + 1);
}

int
cmd_table(struct cmd_ctx *ctx)
{
	static const char *const head[] = {"CODE",   "NAME",  "WEIGHT",
					   "GLOBAL", "VALUE", "CONTRIBUTION"};
	struct args_opt opts[] = {{.name = "csv", .kind = ARGS_FLAG},
				  {.name = NULL}};
	struct args a;
	struct api *api = NULL;
	json_t *resp = NULL;
	long long id;
	char *path;
	int rc;

	if (!cmd_args(ctx, &a, opts, 1, 1) ||
	    !cmd_id(a.pos[0], "EVALUATION", &id)) {
		args_free(&a);
		return cmd_usage(ctx);
	}
	rc = cmd_connect(ctx, true, &api);
	if (rc != PS_EXIT_OK)
		goto out;
	if (args_flag(&a, "csv")) {
		char *text = NULL;

		path = xasprintf("/evaluations/%lld/table?format=csv", id);
		rc = api_get_text(api, path, &text);
		free(path);
		if (rc == PS_EXIT_OK)
			fputs(text, stdout);
		free(text);
		goto out;
	}
	path = xasprintf("/evaluations/%lld/table", id);
	rc = api_call(api, "GET", path, NULL, &resp);
	free(path);
	if (rc != PS_EXIT_OK)
		goto out;
	if (ctx->json)
		output_json(resp);
	else {
		struct output_table *t = output_table_new(6, head);
		size_t i;
		json_t *node;
		char *total = output_member(resp, "total");
		char *advanced = output_member(resp, "advanced");

		json_array_foreach(json_object_get(resp, "nodes"), i, node)
		    cmd_eval_table_node(t, node, 0);
		output_table_print(t);
		output_table_free(t);
		{
			char *strong = output_strong(total);

			printf("\ntotal: %s  advanced: %s\n", strong, advanced);
			free(strong);
		}
		free(total);
		free(advanced);
	}
out:
	json_decref(resp);
	api_free(api);
	args_free(&a);
	return rc;
}

/* Prints a verdict or its preview: figures, breakdown, leave-one-out. */
static void
cmd_eval_print_verdict(const json_t *v)
{
	static const char *const bd_head[] = {"ITEM", "GLOBAL WEIGHT", "VALUE",
					      "CONTRIBUTION"};
	static const char *const bd_keys[] = {"item", "global_weight", "value",
					      "contribution"};
	static const char *const loo_head[] = {"LEFT OUT", "TOTAL", "ADVANCED"};
	static const char *const loo_keys[] = {"expert", "total", "advanced"};
	static const char *const fields[][2] = {
	    {"evaluation_id", "evaluation"}, {"total", "total"},
	    {"threshold", "threshold"},	     {"conclusion", "conclusion"},
	    {"advanced", "advanced"},	     {"robust", "robust"},
	    {"statement", "statement"},	     {"finalized_at", "finalized at"},
	};
	struct output_table *t;
	size_t i;
	json_t *row;
	const json_t *by = json_object_get(v, "finalized_by");
	const json_t *sig = json_object_get(v, "signature");

	for (i = 0; i < sizeof fields / sizeof *fields; i++) {
		char *value;

		if (json_object_get(v, fields[i][0]) == NULL)
			continue;
		value = output_member(v, fields[i][0]);
		/* What a reader looks for first stands out. */
		if (strcmp(fields[i][0], "total") == 0 ||
		    strcmp(fields[i][0], "conclusion") == 0)
			output_field_strong(fields[i][1], 13, value);
		else
			output_field(fields[i][1], 13, value);
		free(value);
	}
	if (by != NULL) {
		char *who = output_member(by, "username");

		output_field("finalized by", 13, who);
		free(who);
	}
	if (sig != NULL) {
		char *alg = output_member(sig, "alg");
		char *key = output_member(sig, "key_id");
		char *line = xasprintf("%s, key %s", alg, key);

		output_field("signature", 13, line);
		free(alg);
		free(key);
		free(line);
	}
	putchar('\n');
	t = output_table_new(4, bd_head);
	json_array_foreach(json_object_get(v, "breakdown"), i, row)
	    cmd_eval_row(t, row, bd_keys, 4);
	output_table_print(t);
	output_table_free(t);
	if (json_array_size(json_object_get(v, "leave_one_out")) > 0) {
		putchar('\n');
		t = output_table_new(3, loo_head);
		json_array_foreach(json_object_get(v, "leave_one_out"), i, row)
		    cmd_eval_row(t, row, loo_keys, 3);
		output_table_print(t);
		output_table_free(t);
	}
}

int
cmd_verdict_preview(struct cmd_ctx *ctx)
{
	struct api *api;
	json_t *resp;
	long long id;
	int rc = cmd_eval_get(ctx, "/evaluations/%lld/verdict/preview", &api,
			      &id, &resp);

	if (rc == PS_EXIT_OK) {
		if (ctx->json)
			output_json(resp);
		else
			cmd_eval_print_verdict(resp);
	}
	json_decref(resp);
	api_free(api);
	return rc;
}

int
cmd_verdict_show(struct cmd_ctx *ctx)
{
	struct api *api;
	json_t *resp;
	long long id;
	int rc =
	    cmd_eval_get(ctx, "/evaluations/%lld/verdict", &api, &id, &resp);

	if (rc == PS_EXIT_OK) {
		if (ctx->json)
			output_json(resp);
		else
			cmd_eval_print_verdict(resp);
	}
	json_decref(resp);
	api_free(api);
	return rc;
}

int
cmd_verdict_finalize(struct cmd_ctx *ctx)
{
	struct args_opt opts[] = {{.name = "statement", .kind = ARGS_VALUE},
				  {.name = NULL}};
	struct args a;
	struct api *api = NULL;
	json_t *body = json_object(), *resp = NULL;
	long long id;
	char *path;
	int rc;

	if (!cmd_args(ctx, &a, opts, 1, 1) ||
	    !cmd_id(a.pos[0], "EVALUATION", &id)) {
		rc = cmd_usage(ctx);
		goto out;
	}
	if (args_value(&a, "statement") != NULL &&
	    json_object_set_new(body, "statement",
				json_string(args_value(&a, "statement"))) < 0) {
		fputs("pingshen: --statement must be UTF-8\n", stderr);
		rc = PS_EXIT_USAGE;
		goto out;
	}
	rc = cmd_connect(ctx, true, &api);
	if (rc != PS_EXIT_OK)
		goto out;
	path = xasprintf("/evaluations/%lld/verdict", id);
	rc = api_call(api, "POST", path, body, &resp);
	free(path);
	if (rc == PS_EXIT_OK) {
		if (ctx->json)
			output_json(resp);
		else
			cmd_eval_print_verdict(resp);
	}
out:
	json_decref(body);
	json_decref(resp);
	api_free(api);
	args_free(&a);
	return rc;
}
