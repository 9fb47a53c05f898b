/*
 * Expert commands: seat (the conflict-of-interest declaration), ballot
 * (scores from a CSV file of item,score[,comment] lines) and ballot show.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/*
 * Reads file's item,score[,comment] lines into the "scores" array of a
 * ballot body (*body, caller decrefs).  PS_EXIT_USAGE with file:line on
 * a malformed line or an unreadable file.
 */
static int
cmd_expert_read_csv(const char *file, json_t **body)
{
	FILE *f = fopen(file, "r");
	json_t *scores;
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	bool first = true;
	int rc = PS_EXIT_OK;

	*body = NULL;
	if (f == NULL) {
		fprintf(stderr, "pingshen: cannot read %s\n", file);
		return PS_EXIT_USAGE;
	}
	scores = json_array();
	while (getline(&line, &cap, f) >= 0) {
		char *item, *score, *comment = NULL, *comma, *p;
		json_t *entry;

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
		score = comma + 1;
		comma = strchr(score, ',');
		if (comma != NULL) {
			*comma = '\0';
			comment =
			    cmd_expert_unquote(cmd_expert_trim(comma + 1));
		}
		score = cmd_expert_trim(score);
		if (first && strcmp(item, "item") == 0) {
			first = false;
			continue; /* a header line */
		}
		first = false;
		if (*item == '\0' || *score == '\0')
			goto bad;
		entry = json_pack("{s:s, s:s}", "item", item, "score", score);
		if (entry == NULL)
			goto bad;
		if (comment != NULL && *comment != '\0' &&
		    json_object_set_new(entry, "comment",
					json_string(comment)) < 0) {
			json_decref(entry);
			goto bad;
		}
		json_array_append_new(scores, entry);
		continue;
	bad:
		fprintf(
		    stderr,
		    "pingshen: %s:%zu: expected item,score[,comment] (UTF-8)\n",
		    file, lineno);
		rc = PS_EXIT_USAGE;
		break;
	}
	free(line);
	fclose(f);
	if (rc == PS_EXIT_OK && json_array_size(scores) == 0) {
		fprintf(stderr, "pingshen: %s has no scores\n", file);
		rc = PS_EXIT_USAGE;
	}
	if (rc != PS_EXIT_OK) {
		json_decref(scores);
		return rc;
	}
	*body = json_pack("{s:o}", "scores", scores);
	return rc;
}

/* The round an expert command means: --round, else the open one. */
static int
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

int
cmd_ballot(struct cmd_ctx *ctx)
{
	struct args_opt opts[] = {{.name = "file", .kind = ARGS_VALUE},
				  {.name = "round", .kind = ARGS_VALUE},
				  {.name = NULL}};
	struct args a;
	struct api *api = NULL;
	json_t *body = NULL, *resp = NULL;
	long long id, n;
	char *path;
	int rc;

	if (!cmd_args(ctx, &a, opts, 1, 1) ||
	    !cmd_id(a.pos[0], "MEETING", &id)) {
		rc = cmd_usage(ctx);
		goto out;
	}
	if (args_value(&a, "file") == NULL) {
		fputs("pingshen: --file scores.csv is required (the "
		      "interactive mode is not there yet)\n",
		      stderr);
		rc = cmd_usage(ctx);
		goto out;
	}
	rc = cmd_expert_read_csv(args_value(&a, "file"), &body);
	if (rc != PS_EXIT_OK)
		goto out;
	rc = cmd_connect(ctx, true, &api);
	if (rc != PS_EXIT_OK)
		goto out;
	rc = cmd_expert_round(api, &a, id, false, &n);
	if (rc != PS_EXIT_OK)
		goto out;
	path = xasprintf("/meetings/%lld/rounds/%lld/ballot", id, n);
	rc = api_call(api, "PUT", path, body, &resp);
	free(path);
	if (rc == PS_EXIT_OK && ctx->json)
		output_json(resp);
	else if (rc == PS_EXIT_OK)
		printf("round %lld: ballot saved (version %lld, %zu score%s, "
		       "%s)\n",
		       n,
		       (long long)json_integer_value(
			   json_object_get(resp, "version")),
		       json_array_size(json_object_get(body, "scores")),
		       json_array_size(json_object_get(body, "scores")) == 1
			   ? ""
			   : "s",
		       json_is_true(json_object_get(resp, "complete"))
			   ? "complete"
			   : "incomplete: score every item of the round");
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
	else if (rc == PS_EXIT_OK) {
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
