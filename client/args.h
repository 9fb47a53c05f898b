/*
 * Command-line options of one subcommand: a table of the options it takes
 * (flags, options with a value, repeatable options) filled in by
 * args_parse, which also collects the positional arguments.  Values point
 * into argv: nothing here allocates but the list of repeated values.
 */
#ifndef PINGSHEN_ARGS_H
#define PINGSHEN_ARGS_H

#include <stdbool.h>
#include <stddef.h>

enum args_kind {
	ARGS_FLAG,  /* --name */
	ARGS_VALUE, /* --name VALUE or --name=VALUE, at most once */
	ARGS_MULTI, /* --name VALUE, repeatable */
};

struct args_opt {
	const char *name; /* without the leading "--" */
	enum args_kind kind;
	/* Filled in by args_parse. */
	bool set;
	const char *value;   /* ARGS_VALUE: the value */
	const char **values; /* ARGS_MULTI: every value (args_free frees) */
	size_t n_values;
};

struct args {
	struct args_opt *opts; /* terminated by a NULL name */
	const char **pos;      /* positional arguments (args_free frees) */
	size_t n_pos;
};

/*
 * Parses argv[0..argc) against opts (NULL-name-terminated).  "--" ends the
 * options.  On a usage error prints why to standard error and returns
 * false; args_free must be called either way.
 */
bool args_parse(struct args *a, struct args_opt *opts, int argc, char **argv)
    __attribute__((warn_unused_result));
void args_free(struct args *a);
/* The option called name (it must be in the table). */
struct args_opt *args_get(struct args *a, const char *name);
/* The value of option name, or NULL when not given. */
const char *args_value(struct args *a, const char *name);
/* True when flag name was given. */
bool args_flag(struct args *a, const char *name);
/*
 * Parses text as an integer in [min, max] (decimal, no sign, no spaces);
 * what names the value in the error printed on failure.
 */
bool args_long(const char *text, long long min, long long max, const char *what,
	       long long *out) __attribute__((warn_unused_result));

#endif
