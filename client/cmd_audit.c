/*
 * Auditor commands: audit (query the log), audit head, and audit verify,
 * which downloads the whole log page by page (or reads a saved copy) and
 * recomputes its hash chain with audit_verify.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "audit_verify.h"
#include "cmd.h"
#include "output.h"
#include "xalloc.h"

/* Appends "&name=value" (value URL-escaped) to *query. */
static void
cmd_audit_param(char **query, const char *name, const char *value)
{
	char *esc = curl_easy_escape(NULL, value, 0), *q;

	if (esc == NULL)
		abort();
	q = xasprintf("%s%c%s=%s", *query, strchr(*query, '?') ? '&' : '?',
		      name, esc);
	curl_free(esc);
	free(*query);
	*query = q;
}

/* Prints entries as a table. */
static void
cmd_audit_table(const json_t *entries)
{
	static const char *const head[] = {
	    "SEQ", "AT", "ACTOR", "ACTION", "EVALUATION", "MEETING", "OBJECT"};
	struct output_table *t = output_table_new(7, head);
	size_t i;
	json_t *e;

	json_array_foreach(entries, i, e)
	{
		const json_t *actor = json_object_get(e, "actor");
		char *type = output_member(e, "object_type");
		char *oid = output_member(e, "object_id");
		char *cells[7] = {
		    output_member(e, "seq"),
		    output_member(e, "at"),
		    output_member(actor, "username"),
		    output_member(e, "action"),
		    output_member(e, "evaluation_id"),
		    output_member(e, "meeting_id"),
		    xasprintf("%s %s", type, oid),
		};

		output_table_add(t, (const char *const *)cells);
		for (size_t c = 0; c < 7; c++)
			free(cells[c]);
		free(type);
		free(oid);
	}
	output_table_print(t);
	output_table_free(t);
}

int
cmd_audit(struct cmd_ctx *ctx)
{
	struct args_opt opts[] = {{.name = "evaluation", .kind = ARGS_VALUE},
				  {.name = "actor", .kind = ARGS_VALUE},
				  {.name = "action", .kind = ARGS_VALUE},
				  {.name = "since", .kind = ARGS_VALUE},
				  {.name = "until", .kind = ARGS_VALUE},
				  {.name = "limit", .kind = ARGS_VALUE},
				  {.name = NULL}};
	struct args a;
	struct api *api = NULL;
	json_t *entries = NULL;
	char *path = xstrdup("/audit");
	long long id, limit = 0;
	const char *v;
	int rc;

	if (!cmd_args(ctx, &a, opts, 0, 0))
		goto usage;
	if ((v = args_value(&a, "evaluation")) != NULL) {
		if (!cmd_id(v, "--evaluation", &id))
			goto usage;
		cmd_audit_param(&path, "evaluation_id", v);
	}
	if ((v = args_value(&a, "actor")) != NULL) {
		if (!cmd_id(v, "--actor", &id))
			goto usage;
		cmd_audit_param(&path, "actor_id", v);
	}
	if ((v = args_value(&a, "action")) != NULL)
		cmd_audit_param(&path, "action", v);
	if ((v = args_value(&a, "since")) != NULL)
		cmd_audit_param(&path, "from", v);
	if ((v = args_value(&a, "until")) != NULL)
		cmd_audit_param(&path, "to", v);
	if ((v = args_value(&a, "limit")) != NULL &&
	    !args_long(v, 1, 1000000, "--limit", &limit))
		goto usage;
	rc = cmd_connect(ctx, true, &api);
	if (rc != PS_EXIT_OK)
		goto out;
	rc = api_list_all(api, path, 1000, (size_t)limit, &entries);
	if (rc == PS_EXIT_OK) {
		if (ctx->json)
			output_json(entries);
		else
			cmd_audit_table(entries);
	}
	goto out;
usage:
	rc = cmd_usage(ctx);
out:
	json_decref(entries);
	api_free(api);
	free(path);
	args_free(&a);
	return rc;
}

static void
cmd_audit_print_head(const json_t *head)
{
	static const char *const keys[] = {"size", "hash", "at"};

	for (size_t i = 0; i < 3; i++) {
		char *v = output_member(head, keys[i]);

		output_field(keys[i], 4, v);
		free(v);
	}
}

int
cmd_audit_head(struct cmd_ctx *ctx)
{
	struct args_opt opts[] = {{.name = NULL}};
	struct args a;

	if (!cmd_args(ctx, &a, opts, 0, 0)) {
		args_free(&a);
		return cmd_usage(ctx);
	}
	args_free(&a);
	return cmd_send(ctx, "GET", "/audit/head", NULL, cmd_audit_print_head);
}

/*
 * Reads a saved log: one JSON array, an object with "items" (a page), or
 * several of either concatenated (pages one after another).  The entries
 * in one array (caller decrefs), or NULL with a message.
 */
static json_t *
cmd_audit_load(const char *file)
{
	FILE *f = fopen(file, "rb");
	json_t *all;
	char *text = NULL;
	size_t len = 0, cap = 0, pos = 0;

	if (f == NULL) {
		fprintf(stderr, "pingshen: cannot read %s\n", file);
		return NULL;
	}
	for (;;) {
		size_t n;

		if (cap - len < 65536) {
			cap = cap * 2 + 65536;
			text = xreallocarray(text, cap, 1);
		}
		n = fread(text + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	fclose(f);
	all = json_array();
	while (pos < len) {
		json_error_t err;
		json_t *part, *items;

		pos += strspn(text + pos, " \t\r\n");
		if (pos >= len)
			break;
		part = json_loadb(text + pos, len - pos, JSON_DISABLE_EOF_CHECK,
				  &err);
		items = json_is_object(part) ? json_object_get(part, "items")
					     : part;
		if (!json_is_array(items)) {
			fprintf(stderr,
				"pingshen: %s: not a JSON array of audit "
				"entries (%s)\n",
				file, part == NULL ? err.text : "wrong shape");
			json_decref(part);
			json_decref(all);
			free(text);
			return NULL;
		}
		json_array_extend(all, items);
		json_decref(part);
		pos += (size_t)err.position;
	}
	free(text);
	return all;
}

/*
 * GETs the head first, then every entry: entries appended meanwhile only
 * lengthen the log, and the head's entry must still be at its place.
 */
static int
cmd_audit_download(struct api *api, json_t **entries, json_t **head)
{
	int rc = api_call(api, "GET", "/audit/head", NULL, head);

	*entries = NULL;
	if (rc != PS_EXIT_OK)
		return rc;
	return api_list_all(api, "/audit", 1000, 0, entries);
}

int
cmd_audit_verify(struct cmd_ctx *ctx)
{
	struct args_opt opts[] = {{.name = "file", .kind = ARGS_VALUE},
				  {.name = "save", .kind = ARGS_VALUE},
				  {.name = "head", .kind = ARGS_VALUE},
				  {.name = NULL}};
	struct args a;
	struct api *api = NULL;
	json_t *entries = NULL, *head = NULL;
	char last[AUDIT_VERIFY_HEX + 1], why[512];
	const char *file, *want = NULL;
	long long want_size = -1;
	size_t bad;
	int rc;

	if (!cmd_args(ctx, &a, opts, 0, 0))
		goto usage;
	file = args_value(&a, "file");
	if (file != NULL && args_value(&a, "save") != NULL) {
		fputs("pingshen: --file and --save exclude each other\n",
		      stderr);
		goto usage;
	}
	if (file == NULL && args_value(&a, "head") != NULL) {
		fputs("pingshen: --head goes with --file\n", stderr);
		goto usage;
	}
	if (file != NULL) {
		entries = cmd_audit_load(file);
		if (entries == NULL) {
			rc = PS_EXIT_USAGE;
			goto out;
		}
		want = args_value(&a, "head");
	} else {
		rc = cmd_connect(ctx, true, &api);
		if (rc != PS_EXIT_OK)
			goto out;
		rc = cmd_audit_download(api, &entries, &head);
		if (rc != PS_EXIT_OK)
			goto out;
		want = json_string_value(json_object_get(head, "hash"));
		want_size = json_integer_value(json_object_get(head, "size"));
		if (want == NULL)
			want = "";
		if (args_value(&a, "save") != NULL &&
		    json_dump_file(entries, args_value(&a, "save"),
				   JSON_INDENT(1)) < 0) {
			fprintf(stderr, "pingshen: cannot write %s\n",
				args_value(&a, "save"));
			rc = PS_EXIT_USAGE;
			goto out;
		}
	}
	rc = PS_EXIT_REFUSED;
	if (!audit_verify_chain(entries, last, &bad, why, sizeof why)) {
		if (ctx->json) {
			json_t *r =
			    json_pack("{s:b, s:I, s:s}", "ok", 0, "seq",
				      (json_int_t)bad + 1, "error", why);

			output_json(r);
			json_decref(r);
		} else
			printf("FAILED at entry %zu: %s\n", bad + 1, why);
		goto out;
	}
	if (want_size >= 0) {
		/* The head's entry, at its place in what we downloaded. */
		size_t n = json_array_size(entries);
		const char *at = NULL;

		if (want_size > 0 && (size_t)want_size <= n)
			at = json_string_value(json_object_get(
			    json_array_get(entries, (size_t)want_size - 1),
			    "hash"));
		if ((size_t)want_size > n ||
		    (want_size > 0 && (at == NULL || strcmp(at, want) != 0))) {
			printf("FAILED: GET /audit/head says %lld entries with "
			       "last hash %s; the log downloaded does not "
			       "match it\n",
			       want_size, want[0] != '\0' ? want : "(none)");
			goto out;
		}
	} else if (want != NULL && strcmp(want, last) != 0) {
		printf("FAILED: the last hash is %s, not %s\n",
		       last[0] != '\0' ? last : "(none: empty log)", want);
		goto out;
	}
	rc = PS_EXIT_OK;
	if (ctx->json) {
		json_t *r = json_pack("{s:b, s:I, s:s}", "ok", 1, "size",
				      (json_int_t)json_array_size(entries),
				      "hash", last);

		output_json(r);
		json_decref(r);
	} else
		printf("OK: %zu entries, last hash %s\n",
		       json_array_size(entries),
		       last[0] != '\0' ? last : "(none)");
	goto out;
usage:
	rc = cmd_usage(ctx);
out:
	json_decref(entries);
	json_decref(head);
	api_free(api);
	args_free(&a);
	return rc;
}
