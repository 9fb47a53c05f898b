/* crashgen's entry point: the command, its options, the state file. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crash.h"

void
crash_die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("crashgen: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

void
crash_opts(int argc, char **argv, struct crash_opt *opts, size_t n)
{
	for (int i = 0; i < argc; i += 2) {
		size_t k;

		for (k = 0; k < n; k++) {
			if (strncmp(argv[i], "--", 2) == 0 &&
			    strcmp(argv[i] + 2, opts[k].name) == 0)
				break;
		}
		if (k == n)
			crash_die("unknown option %s", argv[i]);
		if (i + 1 >= argc)
			crash_die("%s needs a value", argv[i]);
		opts[k].value = argv[i + 1];
	}
	for (size_t k = 0; k < n; k++) {
		if (opts[k].value == NULL)
			crash_die("--%s is required", opts[k].name);
	}
}

const char *
crash_opt(const struct crash_opt *opts, size_t n, const char *name)
{
	for (size_t k = 0; k < n; k++) {
		if (strcmp(opts[k].name, name) == 0)
			return opts[k].value;
	}
	crash_die("no option %s", name);
}

long
crash_opt_long(const struct crash_opt *opts, size_t n, const char *name,
	       long min, long max)
{
	const char *s = crash_opt(opts, n, name);
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		crash_die("--%s is a number from %ld to %ld", name, min, max);
	return v;
}

void
crash_state_save(const struct crash_state *st, const char *path)
{
	json_t *experts = json_array();

	for (size_t i = 0; i < st->n_experts; i++)
		json_array_append_new(experts,
				      json_pack("{s:I, s:s}", "id",
						(json_int_t)st->experts[i].id,
						"token", st->experts[i].token));
	json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:i, s:O, s:o}", "base",
			      st->base, "ca", st->ca, "run", st->run, "meeting",
			      (json_int_t)st->meeting, "round", st->round,
			      "items", st->items, "experts", experts);

	if (o == NULL || json_dump_file(o, path, JSON_COMPACT) < 0)
		crash_die("cannot write %s", path);
	json_decref(o);
}

void
crash_state_load(struct crash_state *st, const char *path)
{
	json_error_t err;
	json_t *o = json_load_file(path, 0, &err), *experts, *x;
	const char *base, *ca, *run;
	json_int_t meeting;
	size_t i;

	if (o == NULL ||
	    json_unpack_ex(o, &err, 0, "{s:s, s:s, s:s, s:I, s:i, s:O, s:o}",
			   "base", &base, "ca", &ca, "run", &run, "meeting",
			   &meeting, "round", &st->round, "items", &st->items,
			   "experts", &experts) < 0)
		crash_die("%s: %s", path, err.text);
	st->base = strdup(base);
	st->ca = strdup(ca);
	st->run = strdup(run);
	st->meeting = meeting;
	st->n_experts = json_array_size(experts);
	st->experts = calloc(st->n_experts, sizeof *st->experts);
	if (st->base == NULL || st->ca == NULL || st->run == NULL ||
	    st->experts == NULL)
		crash_die("out of memory");
	json_array_foreach(experts, i, x)
	{
		json_int_t id;
		const char *token;

		if (json_unpack(x, "{s:I, s:s}", "id", &id, "token", &token) <
		    0)
			crash_die("%s: a bad expert", path);
		st->experts[i].id = id;
		st->experts[i].token = strdup(token);
		if (st->experts[i].token == NULL)
			crash_die("out of memory");
	}
	json_decref(o);
}

void
crash_state_free(struct crash_state *st)
{
	for (size_t i = 0; i < st->n_experts; i++)
		free(st->experts[i].token);
	free(st->experts);
	json_decref(st->items);
	free(st->base);
	free(st->ca);
	free(st->run);
}

int
main(int argc, char **argv)
{
	int rc;

	/* A server killed mid-answer must cost an error code, not us. */
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2) {
		fputs("usage: crashgen setup|load|settle --OPTION VALUE ...\n",
		      stderr);
		return 2;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		crash_die("curl_global_init failed");
	if (strcmp(argv[1], "setup") == 0)
		rc = crash_setup(argc - 2, argv + 2);
	else if (strcmp(argv[1], "load") == 0)
		rc = crash_load(argc - 2, argv + 2);
	else if (strcmp(argv[1], "settle") == 0)
		rc = crash_settle(argc - 2, argv + 2);
	else
		crash_die("unknown command %s", argv[1]);
	crash_http_end();
	curl_global_cleanup();
	return rc;
}
