/*
 * Option parsing for the subcommands: one table per command, long options
 * only, "--name VALUE" or "--name=VALUE", positionals anywhere.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "xalloc.h"

/* Appends value to the NULL-free array *arr of *n elements. */
static void
args_push(const char ***arr, size_t *n, const char *value)
{
	*arr = xreallocarray(*arr, *n + 1, sizeof **arr);
	(*arr)[(*n)++] = value;
}

bool
args_parse(struct args *a, struct args_opt *opts, int argc, char **argv)
{
	bool options_done = false;

	memset(a, 0, sizeof *a);
	a->opts = opts;
	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i], *eq, *value = NULL;
		struct args_opt *o = NULL;
		size_t len;

		if (options_done || strncmp(arg, "--", 2) != 0 ||
		    arg[2] == '\0') {
			if (!options_done && strcmp(arg, "--") == 0) {
				options_done = true;
				continue;
			}
			args_push(&a->pos, &a->n_pos, arg);
			continue;
		}
		eq = strchr(arg + 2, '=');
		len = eq != NULL ? (size_t)(eq - arg - 2) : strlen(arg + 2);
		for (struct args_opt *p = opts; p->name != NULL; p++)
			if (strlen(p->name) == len &&
			    strncmp(p->name, arg + 2, len) == 0)
				o = p;
		if (o == NULL) {
			fprintf(stderr, "pingshen: unknown option --%.*s\n",
				(int)len, arg + 2);
			return false;
		}
		if (o->kind == ARGS_FLAG) {
			if (eq != NULL) {
				fprintf(stderr,
					"pingshen: --%s takes no value\n",
					o->name);
				return false;
			}
			o->set = true;
			continue;
		}
		if (eq != NULL)
			value = eq + 1;
		else if (i + 1 < argc)
			value = argv[++i];
		else {
			fprintf(stderr, "pingshen: --%s needs a value\n",
				o->name);
			return false;
		}
		if (o->kind == ARGS_VALUE && o->set) {
			fprintf(stderr, "pingshen: --%s given twice\n",
				o->name);
			return false;
		}
		o->set = true;
		o->value = value;
		if (o->kind == ARGS_MULTI)
			args_push(&o->values, &o->n_values, value);
	}
	return true;
}

void
args_free(struct args *a)
{
	if (a->opts != NULL)
		for (struct args_opt *p = a->opts; p->name != NULL; p++) {
			free(p->values);
			p->values = NULL;
			p->n_values = 0;
		}
	free(a->pos);
	a->pos = NULL;
	a->n_pos = 0;
}

struct args_opt *
args_get(struct args *a, const char *name)
{
	for (struct args_opt *p = a->opts; p->name != NULL; p++)
		if (strcmp(p->name, name) == 0)
			return p;
	abort(); /* a programming error: the table lacks name */
}

const char *
args_value(struct args *a, const char *name)
{
	struct args_opt *o = args_get(a, name);

	return o->set ? o->value : NULL;
}

bool
args_flag(struct args *a, const char *name)
{
	return args_get(a, name)->set;
}

bool
args_long(const char *text, long long min, long long max, const char *what,
	  long long *out)
{
	char *end;
	long long v;

	errno = 0;
	if (text[0] < '0' || text[0] > '9')
		goto bad;
	v = strtoll(text, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		goto bad;
	*out = v;
	return true;
bad:
	fprintf(stderr, "pingshen: %s must be an integer from %lld to %lld\n",
		what, min, max);
	return false;
}
