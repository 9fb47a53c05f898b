/*
 * Session commands: login (stores the server, CA and token), logout
 * (ends the session on the server and removes the token), whoami.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "config.h"
#include "output.h"
#include "password.h"
#include "xalloc.h"

/* Prints a user as a record. */
static void
cmd_session_print_user(const json_t *user)
{
	static const char *const keys[][2] = {
	    {"id", "id"},
	    {"username", "username"},
	    {"display_name", "display name"},
	    {"role", "role"},
	    {"organization", "organization"},
	    {"active", "active"},
	};

	for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
		char *v = output_member(user, keys[i][0]);

		output_field(keys[i][1], 12, v);
		free(v);
	}
}

int
cmd_login(struct cmd_ctx *ctx)
{
	struct args_opt opts[] = {{.name = NULL}};
	struct args a;
	char *server = NULL, *ca = NULL, *password = NULL, *ca_abs = NULL;
	struct api *api = NULL;
	json_t *body = NULL, *resp = NULL;
	const char *token;
	int rc = PS_EXIT_USAGE;

	if (!cmd_args(ctx, &a, opts, 1, 1)) {
		args_free(&a);
		return cmd_usage(ctx);
	}
	cmd_server(ctx, &server, &ca);
	if (ca != NULL) {
		/* Stored absolute, so later commands work from any folder. */
		ca_abs = realpath(ca, NULL);
		if (ca_abs == NULL) {
			fprintf(stderr, "pingshen: cannot read CA file %s\n",
				ca);
			goto out;
		}
	}
	api = api_new(server, ca_abs, NULL);
	if (api == NULL)
		goto out;
	api_set_json(api, ctx->json);
	password = password_read("Password: ");
	if (password == NULL)
		goto out;
	body =
	    json_pack("{s:s, s:s}", "username", a.pos[0], "password", password);
	if (body == NULL) {
		fputs("pingshen: the username and password must be UTF-8\n",
		      stderr);
		goto out;
	}
	rc = api_call(api, "POST", "/sessions", body, &resp);
	if (rc != PS_EXIT_OK)
		goto out;
	token = json_string_value(json_object_get(resp, "token"));
	if (token == NULL) {
		fputs("pingshen: the server's answer has no token\n", stderr);
		rc = PS_EXIT_REFUSED;
		goto out;
	}
	if (config_save(api_server(api), ca_abs) < 0 ||
	    config_token_write(token) < 0) {
		rc = PS_EXIT_USAGE;
		goto out;
	}
	/* The token stays in its file, not on the screen. */
	json_object_del(resp, "token");
	if (ctx->json)
		output_json(resp);
	else {
		json_t *user = json_object_get(resp, "user");
		char *role = output_member(user, "role");
		char *until = output_member(resp, "expires_at");

		printf("logged in to %s as %s (%s) until %s\n", api_server(api),
		       a.pos[0], role, until);
		free(role);
		free(until);
	}
out:
	if (body != NULL) {
		/* Scrub the password from the request body too. */
		json_t *pw = json_object_get(body, "password");

		if (pw != NULL)
			json_string_set(pw, "");
	}
	json_decref(body);
	json_decref(resp);
	password_free(password);
	api_free(api);
	free(server);
	free(ca);
	free(ca_abs);
	args_free(&a);
	return rc;
}

int
cmd_logout(struct cmd_ctx *ctx)
{
	struct args_opt opts[] = {{.name = NULL}};
	struct args a;
	struct api *api;
	json_t *resp = NULL;
	int rc;

	if (!cmd_args(ctx, &a, opts, 0, 0)) {
		args_free(&a);
		return cmd_usage(ctx);
	}
	args_free(&a);
	rc = cmd_connect(ctx, true, &api);
	if (rc != PS_EXIT_OK)
		return rc;
	rc = api_call(api, "DELETE", "/sessions/current", NULL, &resp);
	json_decref(resp);
	api_free(api);
	/* Unreachable server: keep the token so the logout can be retried;
	 * it still works there.  A refusal (an expired token, 401) means
	 * the session is over anyway. */
	if (rc == PS_EXIT_CONNECT) {
		fputs("pingshen: the token was kept: try again\n", stderr);
		return rc;
	}
	if (config_token_remove() < 0)
		return PS_EXIT_USAGE;
	if (rc == PS_EXIT_OK) {
		if (ctx->json)
			puts("{}");
		else
			puts("logged out");
	}
	return rc;
}

int
cmd_whoami(struct cmd_ctx *ctx)
{
	struct args_opt opts[] = {{.name = NULL}};
	struct args a;
	struct api *api;
	json_t *me = NULL;
	int rc;

	if (!cmd_args(ctx, &a, opts, 0, 0)) {
		args_free(&a);
		return cmd_usage(ctx);
	}
	args_free(&a);
	rc = cmd_connect(ctx, true, &api);
	if (rc != PS_EXIT_OK)
		return rc;
	rc = api_call(api, "GET", "/me", NULL, &me);
	if (rc == PS_EXIT_OK) {
		if (ctx->json)
			output_json(me);
		else {
			cmd_session_print_user(me);
			output_field("server", 12, api_server(api));
		}
	}
	json_decref(me);
	api_free(api);
	return rc;
}
