/*
 * crashgen setup: through the API, the accounts (a secretary, the experts,
 * an auditor), an evaluation from the ywtb template, a scoring meeting of
 * the experts, their seats and an open round 1; then the state file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crash.h"

#define CRASH_EXPERTS_MAX 32

/* Logs user in; the token (caller frees). */
static char *
crash_login(const struct crash_state *st, const char *user,
	    const char *password)
{
	json_t *o = crash_call_json(
	    st, "POST", "/sessions", NULL,
	    json_pack("{s:s, s:s}", "username", user, "password", password),
	    201);
	char *token = strdup(json_string_value(json_object_get(o, "token")));

	if (token == NULL)
		crash_die("no token for %s", user);
	json_decref(o);
	return token;
}

/* Creates an account as the administrator; its id. */
static long long
crash_user(const struct crash_state *st, const char *admin, const char *name,
	   const char *role, const char *organization, const char *password)
{
	json_t *o = crash_call_json(
	    st, "POST", "/users", admin,
	    json_pack("{s:s, s:s, s:s, s:s, s:s}", "username", name,
		      "display_name", name, "role", role, "organization",
		      organization, "password", password),
	    201);
	long long id = json_integer_value(json_object_get(o, "id"));

	json_decref(o);
	return id;
}

int
crash_setup(int argc, char **argv)
{
	struct crash_opt opts[] = {
	    {"base", NULL},	      {"ca", NULL},	  {"admin", NULL},
	    {"admin-password", NULL}, {"password", NULL}, {"auditor", NULL},
	    {"experts", "5"},	      {"run", NULL},	  {"state", NULL},
	};
	size_t n_opts = sizeof opts / sizeof *opts;
	struct crash_state st = {0};
	const char *password;
	char *admin, *secretary, name[64], path[128];
	json_t *panel = json_array(), *o;
	long long evaluation;

	crash_opts(argc, argv, opts, n_opts);
	st.base = strdup(crash_opt(opts, n_opts, "base"));
	st.ca = strdup(crash_opt(opts, n_opts, "ca"));
	st.run = strdup(crash_opt(opts, n_opts, "run"));
	st.n_experts = (size_t)crash_opt_long(opts, n_opts, "experts", 1,
					      CRASH_EXPERTS_MAX);
	st.experts = calloc(st.n_experts, sizeof *st.experts);
	if (st.base == NULL || st.ca == NULL || st.run == NULL ||
	    st.experts == NULL)
		crash_die("out of memory");
	password = crash_opt(opts, n_opts, "password");

	admin = crash_login(&st, crash_opt(opts, n_opts, "admin"),
			    crash_opt(opts, n_opts, "admin-password"));
	crash_user(&st, admin, "crash-secretary", "secretary", "秘书处",
		   password);
	crash_user(&st, admin, crash_opt(opts, n_opts, "auditor"), "auditor",
		   "审计处", password);
	for (size_t i = 0; i < st.n_experts; i++) {
		char org[64];

		snprintf(name, sizeof name, "crash-expert%zu", i + 1);
		snprintf(org, sizeof org, "评审机构%zu", i + 1);
		st.experts[i].id =
		    crash_user(&st, admin, name, "expert", org, password);
		st.experts[i].token = crash_login(&st, name, password);
		json_array_append_new(panel, json_integer(st.experts[i].id));
	}
	secretary = crash_login(&st, "crash-secretary", password);

	o = crash_call_json(&st, "POST", "/evaluations", secretary,
			    json_pack("{s:s, s:{s:s, s:s}, s:[s], s:s}",
				      "title", "崩溃测试评价", "standard",
				      "code", "DB31/T 9999-2026", "title",
				      "崩溃测试标准", "drafting_organizations",
				      "起草单位", "template", "ywtb"),
			    201);
	evaluation = json_integer_value(json_object_get(o, "id"));
	json_decref(o);

	snprintf(path, sizeof path, "/evaluations/%lld/meetings", evaluation);
	o = crash_call_json(
	    &st, "POST", path, secretary,
	    json_pack("{s:s, s:s, s:o, s:{s:s, s:i}, s:{s:s, s:s}, s:I}",
		      "kind", "scoring", "title", "崩溃测试评分会议", "experts",
		      panel, "aggregation", "method", "trimmed_mean", "trim", 1,
		      "consensus", "max_iqr", "10", "max_cv", "0.25", "quorum",
		      (json_int_t)st.n_experts),
	    201);
	st.meeting = json_integer_value(json_object_get(o, "id"));
	json_decref(o);

	snprintf(path, sizeof path, "/meetings/%lld/seat", st.meeting);
	for (size_t i = 0; i < st.n_experts; i++)
		json_decref(crash_call_json(
		    &st, "POST", path, st.experts[i].token,
		    json_pack("{s:b, s:s}", "conflict_of_interest", 0,
			      "statement", "与起草单位无利益关系"),
		    200));

	snprintf(path, sizeof path, "/meetings/%lld/rounds", st.meeting);
	o = crash_call_json(&st, "POST", path, secretary, NULL, 201);
	st.round = (int)json_integer_value(json_object_get(o, "n"));
	st.items = json_incref(json_object_get(o, "items"));
	json_decref(o);
	if (json_array_size(st.items) < 2)
		crash_die("round %d has %zu items", st.round,
			  json_array_size(st.items));

	crash_state_save(&st, crash_opt(opts, n_opts, "state"));
	printf("setup: meeting %lld, round %d of %zu items, %zu experts\n",
	       st.meeting, st.round, json_array_size(st.items), st.n_experts);
	free(admin);
	free(secretary);
	crash_state_free(&st);
	return 0;
}
