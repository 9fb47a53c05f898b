/*
 * Meeting commands (the secretary's): meeting create, show and finalize,
 * round open and close, and a round's results.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "output.h"
#include "xalloc.h"

int
cmd_meeting_rounds(struct api *api, long long meeting, long long *open_n,
		   long long *closed_n)
{
	char *path = xasprintf("/meetings/%lld", meeting);
	json_t *m = NULL, *r;
	size_t i;
	int rc = api_call(api, "GET", path, NULL, &m);

	free(path);
	*open_n = *closed_n = 0;
	if (rc != PS_EXIT_OK)
		return rc;
	json_array_foreach(json_object_get(m, "rounds"), i, r)
	{
		long long n = json_integer_value(json_object_get(r, "n"));

		if (json_is_null(json_object_get(r, "closed_at")))
			*open_n = n;
		else if (n > *closed_n)
			*closed_n = n;
	}
	json_decref(m);
	return PS_EXIT_OK;
}

void
cmd_meeting_print_results(const struct cmd_ctx *ctx, struct api *api,
			  long long meeting, const json_t *res)
{
	static const char *const head[] = {
	    "ITEM", "N", "VALUE", "MEAN", "MEDIAN", "IQR", "CV", "CONSENSUS"};
	static const char *const keys[] = {
	    "item", "n", "value", "mean", "median", "iqr", "cv", "consensus"};
	const json_t *panel = json_object_get(res, "panel");
	const char *kind = json_string_value(json_object_get(res, "kind"));
	struct output_table *t;
	size_t i, reached = 0, n_items = 0;
	json_t *item;

	if (kind != NULL && (strcmp(kind, "selection") == 0 ||
			     strcmp(kind, "weighting") == 0)) {
		json_t *names = cmd_pmeet_names(ctx, api, meeting);

		cmd_pmeet_print_results_named(res, names);
		json_decref(names);
		return;
	}
	t = output_table_new(8, head);
	printf("round %lld: %lld complete ballots counted\n\n",
	       (long long)json_integer_value(json_object_get(res, "round")),
	       (long long)json_integer_value(json_object_get(res, "n")));
	json_array_foreach(json_object_get(res, "items"), i, item)
	{
		char *cells[8];

		for (size_t c = 0; c < 8; c++)
			cells[c] = output_member(item, keys[c]);
		output_table_add(t, (const char *const *)cells);
		for (size_t c = 0; c < 8; c++)
			free(cells[c]);
		n_items++;
		reached += json_is_true(json_object_get(item, "consensus"));
	}
	output_table_print(t);
	output_table_free(t);
	printf("\nconsensus on %zu of %zu items", reached, n_items);
	if (json_is_object(panel)) {
		char *w = output_member(panel, "kendall_w");
		char *p = output_member(panel, "p");

		printf("; Kendall's W %s (p %s)", w, p);
		free(w);
		free(p);
	}
	putchar('\n');
}

/* Parses "--expert" values (ids, or comma-separated lists) into ids. */
static bool
cmd_meeting_experts(const struct args_opt *o, json_t *ids)
{
	for (size_t i = 0; i < o->n_values; i++) {
		char *copy = xstrdup(o->values[i]), *save = NULL;
		bool ok = true;

		for (char *tok = strtok_r(copy, ",", &save); tok != NULL && ok;
		     tok = strtok_r(NULL, ",", &save)) {
			long long id;

			ok = cmd_id(tok, "--expert", &id);
			if (ok)
				json_array_append_new(ids, json_integer(id));
		}
		free(copy);
		if (!ok)
			return false;
	}
	return json_array_size(ids) > 0;
}

/* Prints a meeting: rules, panel, rounds. */
static void
cmd_meeting_print(const json_t *m)
{
	static const char *const panel_head[] = {"EXPERT", "NAME",
						 "ORGANIZATION", "SEAT"};
	static const char *const round_head[] = {"ROUND", "ITEMS", "OPENED",
						 "CLOSED", "COMPLETE BALLOTS"};
	static const char *const level_head[] = {"LEAF", "FROM PROPOSAL",
						 "CONFIRMED ADVANCED LEVEL"};
	const json_t *agg = json_object_get(m, "aggregation");
	const json_t *cons = json_object_get(m, "consensus");
	struct output_table *t;
	char *f[9] = {
	    output_member(m, "id"),
	    output_member(m, "evaluation_id"),
	    output_member(m, "title"),
	    output_member(m, "kind"),
	    output_member(m, "state"),
	    output_member(agg, "method"),
	    output_member(agg, "trim"),
	    output_member(m, "quorum"),
	    NULL,
	};
	char *iqr = output_member(cons, "max_iqr");
	char *cv = output_member(cons, "max_cv");
	const json_t *levels = json_object_get(m, "advanced_levels");
	size_t i;
	json_t *row;

	/* A selection meeting's consensus is its include share. */
	if (json_object_get(cons, "selection_threshold") != NULL) {
		char *th = output_member(cons, "selection_threshold");

		f[8] = xasprintf("include or exclude share >= %s", th);
		free(th);
	} else
		f[8] = xasprintf("IQR <= %s and CV <= %s", iqr, cv);
	free(iqr);
	free(cv);
	output_field("meeting", 11, f[0]);
	output_field("evaluation", 11, f[1]);
	output_field("title", 11, f[2]);
	output_field("kind", 11, f[3]);
	output_field("state", 11, f[4]);
	output_field("method", 11, f[5]);
	output_field("trim", 11, f[6]);
	output_field("quorum", 11, f[7]);
	output_field("consensus", 11, f[8]);
	for (i = 0; i < 9; i++)
		free(f[i]);
	putchar('\n');
	t = output_table_new(4, panel_head);
	json_array_foreach(json_object_get(m, "panel"), i, row)
	{
		const json_t *e = json_object_get(row, "expert");
		char *cells[4] = {
		    output_member(e, "id"),
		    output_member(e, "display_name"),
		    output_member(e, "organization"),
		    output_member(row, "seat"),
		};

		output_table_add(t, (const char *const *)cells);
		for (size_t c = 0; c < 4; c++)
			free(cells[c]);
	}
	output_table_print(t);
	output_table_free(t);
	if (json_array_size(levels) > 0) {
		putchar('\n');
		t = output_table_new(3, level_head);
		json_array_foreach(levels, i, row)
		{
			char *cells[3] = {
			    output_member(row, "item"),
			    output_member(row, "from_proposal"),
			    output_member(row, "text"),
			};

			output_table_add(t, (const char *const *)cells);
			for (size_t c = 0; c < 3; c++)
				free(cells[c]);
		}
		output_table_print(t);
		output_table_free(t);
	}
	if (json_array_size(json_object_get(m, "rounds")) == 0)
		return;
	putchar('\n');
	t = output_table_new(5, round_head);
	json_array_foreach(json_object_get(m, "rounds"), i, row)
	{
		char *cells[5] = {
		    output_member(row, "n"),
		    xasprintf("%zu",
			      json_array_size(json_object_get(row, "items"))),
		    output_member(row, "opened_at"),
		    output_member(row, "closed_at"),
		    output_member(row, "complete_ballots"),
		};

		output_table_add(t, (const char *const *)cells);
		for (size_t c = 0; c < 5; c++)
			free(cells[c]);
	}
	output_table_print(t);
	output_table_free(t);
}

int
cmd_meeting_create(struct cmd_ctx *ctx)
{
	struct args_opt opts[] = {
	    {.name = "title", .kind = ARGS_VALUE},
	    {.name = "expert", .kind = ARGS_MULTI},
	    {.name = "kind", .kind = ARGS_VALUE},
	    {.name = "method", .kind = ARGS_VALUE},
	    {.name = "trim", .kind = ARGS_VALUE},
	    {.name = "quorum", .kind = ARGS_VALUE},
	    {.name = "max-iqr", .kind = ARGS_VALUE},
	    {.name = "max-cv", .kind = ARGS_VALUE},
	    {.name = "quantile", .kind = ARGS_VALUE},
	    {.name = "threshold", .kind = ARGS_VALUE},
	    {.name = NULL},
	};
	struct args a;
	struct api *api = NULL;
	json_t *experts = json_array(), *body = NULL, *resp = NULL;
	json_t *agg = json_object(), *cons = json_object();
	long long eval, n;
	const char *method, *v;
	char *path;
	int rc = PS_EXIT_USAGE;

	if (!cmd_args(ctx, &a, opts, 1, 1) ||
	    !cmd_id(a.pos[0], "EVALUATION", &eval))
		goto usage;
	if (args_value(&a, "title") == NULL) {
		fputs("pingshen: --title is required\n", stderr);
		goto usage;
	}
	if (!cmd_meeting_experts(args_get(&a, "expert"), experts)) {
		fputs("pingshen: --expert ID is required\n", stderr);
		goto usage;
	}
	method = args_value(&a, "method");
	if (method != NULL) {
		if (strcmp(method, "mean") != 0 &&
		    strcmp(method, "trimmed_mean") != 0 &&
		    strcmp(method, "median") != 0) {
			fputs("pingshen: --method is mean, trimmed_mean or "
			      "median\n",
			      stderr);
			goto usage;
		}
		json_object_set_new(agg, "method", json_string(method));
	}
	if ((v = args_value(&a, "trim")) != NULL) {
		if (!args_long(v, 0, 10, "--trim", &n))
			goto usage;
		json_object_set_new(agg, "trim", json_integer(n));
	}
	if ((v = args_value(&a, "max-iqr")) != NULL)
		json_object_set_new(cons, "max_iqr", json_string(v));
	if ((v = args_value(&a, "max-cv")) != NULL)
		json_object_set_new(cons, "max_cv", json_string(v));
	if ((v = args_value(&a, "quantile")) != NULL)
		json_object_set_new(cons, "quantile", json_string(v));
	if ((v = args_value(&a, "threshold")) != NULL)
		json_object_set_new(cons, "selection_threshold",
				    json_string(v));
	v = args_value(&a, "kind");
	if (v != NULL && strcmp(v, "scoring") != 0 &&
	    strcmp(v, "selection") != 0 && strcmp(v, "weighting") != 0) {
		fputs("pingshen: --kind is scoring, selection or weighting\n",
		      stderr);
		goto usage;
	}
	body = json_pack("{s:s, s:s, s:O}", "kind", v != NULL ? v : "scoring",
			 "title", args_value(&a, "title"), "experts", experts);
	if (body == NULL) {
		fputs("pingshen: arguments must be UTF-8\n", stderr);
		goto out;
	}
	if (json_object_size(agg) > 0)
		json_object_set(body, "aggregation", agg);
	if (json_object_size(cons) > 0)
		json_object_set(body, "consensus", cons);
	if ((v = args_value(&a, "quorum")) != NULL) {
		if (!args_long(v, 1, 1000, "--quorum", &n))
			goto usage;
		json_object_set_new(body, "quorum", json_integer(n));
	}
	rc = cmd_connect(ctx, true, &api);
	if (rc != PS_EXIT_OK)
		goto out;
	path = xasprintf("/evaluations/%lld/meetings", eval);
	rc = api_call(api, "POST", path, body, &resp);
	free(path);
	if (rc == PS_EXIT_OK) {
		if (ctx->json)
			output_json(resp);
		else
			cmd_meeting_print(resp);
	}
	goto out;
usage:
	rc = cmd_usage(ctx);
out:
	json_decref(experts);
	json_decref(agg);
	json_decref(cons);
	json_decref(body);
	json_decref(resp);
	api_free(api);
	args_free(&a);
	return rc;
}

/* "COMMAND MEETING" with no options: the meeting id into *id. */
static bool
cmd_meeting_id_arg(struct cmd_ctx *ctx, long long *id)
{
	struct args_opt opts[] = {{.name = NULL}};
	struct args a;
	bool ok =
	    cmd_args(ctx, &a, opts, 1, 1) && cmd_id(a.pos[0], "MEETING", id);

	args_free(&a);
	return ok;
}

int
cmd_meeting_show(struct cmd_ctx *ctx)
{
	struct api *api;
	json_t *resp = NULL;
	long long id;
	char *path;
	int rc;

	if (!cmd_meeting_id_arg(ctx, &id))
		return cmd_usage(ctx);
	rc = cmd_connect(ctx, true, &api);
	if (rc != PS_EXIT_OK)
		return rc;
	path = xasprintf("/meetings/%lld", id);
	rc = api_call(api, "GET", path, NULL, &resp);
	free(path);
	if (rc == PS_EXIT_OK) {
		if (ctx->json)
			output_json(resp);
		else
			cmd_meeting_print(resp);
	}
	json_decref(resp);
	api_free(api);
	return rc;
}

int
cmd_meeting_finalize(struct cmd_ctx *ctx)
{
	static const char *const head[] = {"ITEM", "VALUE"};
	struct api *api;
	json_t *resp = NULL, *value;
	const char *item;
	long long id;
	char *path;
	int rc;

	if (!cmd_meeting_id_arg(ctx, &id))
		return cmd_usage(ctx);
	rc = cmd_connect(ctx, true, &api);
	if (rc != PS_EXIT_OK)
		return rc;
	path = xasprintf("/meetings/%lld/finalize", id);
	rc = api_call(api, "POST", path, NULL, &resp);
	free(path);
	if (rc == PS_EXIT_OK && ctx->json)
		output_json(resp);
	else if (rc == PS_EXIT_OK &&
		 (json_object_get(resp, "selected") != NULL ||
		  json_object_get(resp, "table") != NULL))
		cmd_pmeet_print_finalized(id, resp);
	else if (rc == PS_EXIT_OK) {
		struct output_table *t = output_table_new(2, head);

		printf("meeting %lld finalized\n\n", id);
		/* item_values are exact rationals in hundredths. */
		json_object_foreach(json_object_get(resp, "item_values"), item,
				    value)
		{
			long long num =
			    json_integer_value(json_object_get(value, "num"));
			long long den =
			    json_integer_value(json_object_get(value, "den"));
			char *cells[2];

			cells[0] = xstrdup(item);
			if (den == 1)
				cells[1] = xasprintf(
				    "%s%lld.%02lld", num < 0 ? "-" : "",
				    llabs(num) / 100, llabs(num) % 100);
			else
				cells[1] =
				    xasprintf("%lld/%lld hundredths", num, den);
			output_table_add(t, (const char *const *)cells);
			free(cells[0]);
			free(cells[1]);
		}
		output_table_print(t);
		output_table_free(t);
	}
	json_decref(resp);
	api_free(api);
	return rc;
}

int
cmd_round_open(struct cmd_ctx *ctx)
{
	struct args_opt opts[] = {{.name = "item", .kind = ARGS_MULTI},
				  {.name = "deadline", .kind = ARGS_VALUE},
				  {.name = NULL}};
	struct args a;
	struct api *api = NULL;
	json_t *body = json_object(), *resp = NULL;
	struct args_opt *items;
	long long id;
	char *path;
	int rc;

	if (!cmd_args(ctx, &a, opts, 1, 1) ||
	    !cmd_id(a.pos[0], "MEETING", &id)) {
		rc = cmd_usage(ctx);
		goto out;
	}
	items = args_get(&a, "item");
	if (items->n_values > 0) {
		json_t *list = json_array();

		for (size_t i = 0; i < items->n_values; i++)
			json_array_append_new(list,
					      json_string(items->values[i]));
		json_object_set_new(body, "items", list);
	}
	if (args_value(&a, "deadline") != NULL)
		json_object_set_new(body, "deadline",
				    json_string(args_value(&a, "deadline")));
	rc = cmd_connect(ctx, true, &api);
	if (rc != PS_EXIT_OK)
		goto out;
	path = xasprintf("/meetings/%lld/rounds", id);
	rc = api_call(api, "POST", path, body, &resp);
	free(path);
	if (rc == PS_EXIT_OK && ctx->json)
		output_json(resp);
	else if (rc == PS_EXIT_OK) {
		json_t *items = json_object_get(resp, "items"), *item;
		size_t i;

		printf(
		    "round %lld opened with %zu item%s:",
		    (long long)json_integer_value(json_object_get(resp, "n")),
		    json_array_size(items),
		    json_array_size(items) == 1 ? "" : "s");
		json_array_foreach(items, i, item)
		    printf(" %s", json_string_value(item));
		printf("\n");
	}
out:
	json_decref(body);
	json_decref(resp);
	api_free(api);
	args_free(&a);
	return rc;
}

int
cmd_round_close(struct cmd_ctx *ctx)
{
	struct api *api;
	json_t *resp = NULL;
	long long id, open_n, closed_n;
	char *path;
	int rc;

	if (!cmd_meeting_id_arg(ctx, &id))
		return cmd_usage(ctx);
	rc = cmd_connect(ctx, true, &api);
	if (rc != PS_EXIT_OK)
		return rc;
	rc = cmd_meeting_rounds(api, id, &open_n, &closed_n);
	if (rc == PS_EXIT_OK && open_n == 0) {
		fprintf(stderr, "pingshen: meeting %lld has no open round\n",
			id);
		rc = PS_EXIT_REFUSED;
	}
	if (rc == PS_EXIT_OK) {
		path =
		    xasprintf("/meetings/%lld/rounds/%lld/close", id, open_n);
		rc = api_call(api, "POST", path, NULL, &resp);
		free(path);
	}
	if (rc == PS_EXIT_OK) {
		if (ctx->json)
			output_json(resp);
		else
			cmd_meeting_print_results(ctx, api, id, resp);
	}
	json_decref(resp);
	api_free(api);
	return rc;
}

int
cmd_results(struct cmd_ctx *ctx)
{
	struct args_opt opts[] = {{.name = NULL}};
	struct args a;
	struct api *api = NULL;
	json_t *resp = NULL;
	long long id, n = 0, open_n;
	char *path;
	int rc;

	if (!cmd_args(ctx, &a, opts, 1, 2) ||
	    !cmd_id(a.pos[0], "MEETING", &id) ||
	    (a.n_pos == 2 && !cmd_id(a.pos[1], "ROUND", &n))) {
		args_free(&a);
		return cmd_usage(ctx);
	}
	args_free(&a);
	rc = cmd_connect(ctx, true, &api);
	if (rc != PS_EXIT_OK)
		return rc;
	if (n == 0) {
		rc = cmd_meeting_rounds(api, id, &open_n, &n);
		if (rc == PS_EXIT_OK && n == 0) {
			fprintf(stderr,
				"pingshen: meeting %lld has no closed round\n",
				id);
			rc = PS_EXIT_REFUSED;
		}
	}
	if (rc == PS_EXIT_OK) {
		path = xasprintf("/meetings/%lld/rounds/%lld/results", id, n);
		rc = api_call(api, "GET", path, NULL, &resp);
		free(path);
	}
	if (rc == PS_EXIT_OK) {
		if (ctx->json)
			output_json(resp);
		else
			cmd_meeting_print_results(ctx, api, id, resp);
	}
	json_decref(resp);
	api_free(api);
	return rc;
}
