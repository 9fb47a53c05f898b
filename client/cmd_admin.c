/*
 * Administrator commands: user create, list, disable, enable.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "output.h"
#include "password.h"
#include "xalloc.h"

/* Prints users as a table. */
static void
cmd_admin_users_table(const json_t *users)
{
	static const char *const head[] = {
	    "ID", "USERNAME", "DISPLAY NAME", "ROLE", "ORGANIZATION", "ACTIVE"};
	static const char *const keys[] = {
	    "id", "username", "display_name", "role", "organization", "active"};
	struct output_table *t = output_table_new(6, head);
	size_t i;
	json_t *u;

	json_array_foreach(users, i, u)
	{
		char *cells[6];

		for (size_t c = 0; c < 6; c++)
			cells[c] = output_member(u, keys[c]);
		output_table_add(t, (const char *const *)cells);
		for (size_t c = 0; c < 6; c++)
			free(cells[c]);
	}
	output_table_print(t);
	output_table_free(t);
}

int
cmd_user_create(struct cmd_ctx *ctx)
{
	struct args_opt opts[] = {{.name = "role", .kind = ARGS_VALUE},
				  {.name = "organization", .kind = ARGS_VALUE},
				  {.name = "display-name", .kind = ARGS_VALUE},
				  {.name = NULL}};
	struct args a;
	struct api *api = NULL;
	char *password = NULL;
	json_t *body = NULL, *resp = NULL, *users;
	int rc;

	if (!cmd_args(ctx, &a, opts, 1, 1)) {
		args_free(&a);
		return cmd_usage(ctx);
	}
	if (args_value(&a, "role") == NULL) {
		fputs("pingshen: --role is required\n", stderr);
		args_free(&a);
		return cmd_usage(ctx);
	}
	rc = cmd_connect(ctx, true, &api);
	if (rc != PS_EXIT_OK)
		goto out;
	password = password_read("New user's password: ");
	if (password == NULL) {
		rc = PS_EXIT_USAGE;
		goto out;
	}
	body = json_pack("{s:s, s:s, s:s}", "username", a.pos[0], "role",
			 args_value(&a, "role"), "password", password);
	if (body == NULL) {
		fputs("pingshen: arguments must be UTF-8\n", stderr);
		rc = PS_EXIT_USAGE;
		goto out;
	}
	if (args_value(&a, "organization") != NULL)
		json_object_set_new(
		    body, "organization",
		    json_string(args_value(&a, "organization")));
	if (args_value(&a, "display-name") != NULL)
		json_object_set_new(
		    body, "display_name",
		    json_string(args_value(&a, "display-name")));
	rc = api_call(api, "POST", "/users", body, &resp);
	if (rc == PS_EXIT_OK) {
		if (ctx->json)
			output_json(resp);
		else {
			users = json_pack("[O]", resp);
			cmd_admin_users_table(users);
			json_decref(users);
		}
	}
out:
	/* Scrub the password from the request body too. */
	if (json_object_get(body, "password") != NULL)
		json_string_set(json_object_get(body, "password"), "");
	json_decref(body);
	json_decref(resp);
	password_free(password);
	api_free(api);
	args_free(&a);
	return rc;
}

int
cmd_user_list(struct cmd_ctx *ctx)
{
	struct args_opt opts[] = {{.name = "role", .kind = ARGS_VALUE},
				  {.name = NULL}};
	struct args a;
	struct api *api;
	json_t *users = NULL;
	char *path;
	const char *role;
	int rc;

	if (!cmd_args(ctx, &a, opts, 0, 0)) {
		args_free(&a);
		return cmd_usage(ctx);
	}
	role = args_value(&a, "role");
	if (role != NULL &&
	    strspn(role, "abcdefghijklmnopqrstuvwxyz") != strlen(role)) {
		fprintf(stderr, "pingshen: no such role \"%s\"\n", role);
		args_free(&a);
		return PS_EXIT_USAGE;
	}
	rc = cmd_connect(ctx, true, &api);
	if (rc != PS_EXIT_OK) {
		args_free(&a);
		return rc;
	}
	path = role != NULL ? xasprintf("/users?role=%s", role)
			    : xstrdup("/users");
	rc = api_list_all(api, path, 500, 0, &users);
	if (rc == PS_EXIT_OK) {
		if (ctx->json)
			output_json(users);
		else
			cmd_admin_users_table(users);
	}
	json_decref(users);
	free(path);
	api_free(api);
	args_free(&a);
	return rc;
}

/* PATCH /users/ID {"active": active}. */
static int
cmd_admin_set_active(struct cmd_ctx *ctx, bool active)
{
	struct args_opt opts[] = {{.name = NULL}};
	struct args a;
	struct api *api;
	json_t *body, *resp = NULL;
	long long id;
	char *path;
	int rc;

	if (!cmd_args(ctx, &a, opts, 1, 1) || !cmd_id(a.pos[0], "ID", &id)) {
		args_free(&a);
		return cmd_usage(ctx);
	}
	args_free(&a);
	rc = cmd_connect(ctx, true, &api);
	if (rc != PS_EXIT_OK)
		return rc;
	path = xasprintf("/users/%lld", id);
	body = json_pack("{s:b}", "active", active);
	rc = api_call(api, "PATCH", path, body, &resp);
	if (rc == PS_EXIT_OK) {
		if (ctx->json)
			output_json(resp);
		else {
			json_t *users = json_pack("[O]", resp);

			cmd_admin_users_table(users);
			json_decref(users);
		}
	}
	json_decref(body);
	json_decref(resp);
	free(path);
	api_free(api);
	return rc;
}

int
cmd_user_disable(struct cmd_ctx *ctx)
{
	return cmd_admin_set_active(ctx, false);
}

int
cmd_user_enable(struct cmd_ctx *ctx)
{
	return cmd_admin_set_active(ctx, true);
}
