/*
 * Configuration of pingshend.  One table (config_options) holds every
 * option's name, type, bounds, default and help; the defaults, the config
 * file, the PINGSHEN_* environment, the flags, --help and config_dump all
 * walk it, so they cannot disagree (tmux options-table.c).
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

#define CONFIG_VALUE_MAX 4096 /* bytes of a string value */
/* A file line holds a name, blanks, '=' and a value of CONFIG_VALUE_MAX. */
#define CONFIG_LINE_MAX	 (CONFIG_VALUE_MAX + 256)
#define CONFIG_ADMIN_MAX 64 /* bytes of --create-admin NAME */
#define CONFIG_ENV	 "PINGSHEN_"

#define nitems(a) (sizeof(a) / sizeof((a)[0]))

enum config_type {
	CONFIG_T_STRING,
	CONFIG_T_INT,
	CONFIG_T_BOOL,
};

struct config_option {
	const char *name; /* kebab-case; the flag and variable derive from it */
	enum config_type type;
	int min, max;	 /* an int's bounds; a string's length in bytes */
	const char *def; /* the default, as a config file writes it */
	size_t offset;	 /* of the field in struct config */
	const char *help;
};

/* Every option, in the order --help, config_dump and the example show. */
static const struct config_option config_options[] = {
    {
	.name = "listen",
	.type = CONFIG_T_STRING,
	.min = 1,
	.max = CONFIG_VALUE_MAX,
	.def = "127.0.0.1",
	.offset = offsetof(struct config, listen),
	.help = "Address the HTTPS listener binds to.",
    },
    {
	.name = "port",
	.type = CONFIG_T_INT,
	.min = 1,
	.max = 65535,
	.def = "8443",
	.offset = offsetof(struct config, port),
	.help = "TCP port of the HTTPS listener.",
    },
    {
	.name = "tls-cert",
	.type = CONFIG_T_STRING,
	.min = 1,
	.max = CONFIG_VALUE_MAX,
	.def = "certs/dev/server.crt",
	.offset = offsetof(struct config, tls_cert),
	.help = "PEM file with the server's certificate chain.",
    },
    {
	.name = "tls-key",
	.type = CONFIG_T_STRING,
	.min = 1,
	.max = CONFIG_VALUE_MAX,
	.def = "certs/dev/server.key",
	.offset = offsetof(struct config, tls_key),
	.help = "PEM file with the server's private key.",
    },
    {
	.name = "db",
	.type = CONFIG_T_STRING,
	.min = 0,
	.max = CONFIG_VALUE_MAX,
	.def = "",
	.offset = offsetof(struct config, db),
	.help = "libpq connection string; empty runs the private cluster "
		"in pg-dir.",
    },
    {
	.name = "pg-dir",
	.type = CONFIG_T_STRING,
	.min = 1,
	.max = CONFIG_VALUE_MAX,
	.def = "var/pg",
	.offset = offsetof(struct config, pg_dir),
	.help = "Folder of the private PostgreSQL cluster, used when db "
		"is empty.",
    },
    {
	.name = "db-pool-size",
	.type = CONFIG_T_INT,
	.min = 1,
	.max = 64,
	.def = "8",
	.offset = offsetof(struct config, db_pool_size),
	.help = "Database connections the server keeps open.",
    },
    {
	.name = "db-statement-timeout-ms",
	.type = CONFIG_T_INT,
	.min = 100,
	.max = 600000,
	.def = "5000",
	.offset = offsetof(struct config, db_statement_timeout_ms),
	.help = "statement_timeout of every database connection, in "
		"milliseconds.",
    },
    {
	.name = "migrate",
	.type = CONFIG_T_BOOL,
	.def = "true",
	.offset = offsetof(struct config, migrate),
	.help = "Apply pending migrations at start-up.\nAs a flag, write "
		"--migrate=BOOL: a bare --migrate is the action.",
    },
    {
	.name = "max-body-bytes",
	.type = CONFIG_T_INT,
	.min = 1024,
	.max = 16777216,
	.def = "1048576",
	.offset = offsetof(struct config, max_body_bytes),
	.help = "Largest request body accepted, in bytes.",
    },
    {
	.name = "max-header-bytes",
	.type = CONFIG_T_INT,
	.min = 1024,
	.max = 65536,
	.def = "16384",
	.offset = offsetof(struct config, max_header_bytes),
	.help = "Largest request line and headers accepted, in bytes.",
    },
    {
	.name = "request-timeout-ms",
	.type = CONFIG_T_INT,
	.min = 100,
	.max = 600000,
	.def = "10000",
	.offset = offsetof(struct config, request_timeout_ms),
	.help = "Deadline to receive a whole request, in milliseconds.",
    },
    {
	.name = "idle-timeout-s",
	.type = CONFIG_T_INT,
	.min = 1,
	.max = 3600,
	.def = "60",
	.offset = offsetof(struct config, idle_timeout_s),
	.help = "Seconds a keep-alive connection may stay idle.",
    },
    {
	.name = "max-connections",
	.type = CONFIG_T_INT,
	.min = 1,
	.max = 100000,
	.def = "1024",
	.offset = offsetof(struct config, max_connections),
	.help = "Client connections open at once; more are refused.",
    },
    {
	.name = "data-dir",
	.type = CONFIG_T_STRING,
	.min = 1,
	.max = CONFIG_VALUE_MAX,
	.def = "var",
	.offset = offsetof(struct config, data_dir),
	.help = "Folder of the server's state, including the key that "
		"signs verdicts.",
    },
    {
	.name = "session-ttl-s",
	.type = CONFIG_T_INT,
	.min = 60,
	.max = 2592000,
	.def = "43200",
	.offset = offsetof(struct config, session_ttl_s),
	.help = "Lifetime of a login session, in seconds.",
    },
    {
	.name = "hash-workers",
	.type = CONFIG_T_INT,
	.min = 1,
	.max = 16,
	.def = "2",
	.offset = offsetof(struct config, hash_workers),
	.help = "Threads that hash passwords with scrypt.",
    },
    {
	.name = "hash-queue-max",
	.type = CONFIG_T_INT,
	.min = 1,
	.max = 10000,
	.def = "64",
	.offset = offsetof(struct config, hash_queue_max),
	.help = "Password hashes that may wait for a worker; beyond, "
		"logins get 429.",
    },
    {
	.name = "scrypt-log2-n",
	.type = CONFIG_T_INT,
	.min = 14,
	.max = 20,
	.def = "17",
	.offset = offsetof(struct config, scrypt_log2_n),
	.help = "scrypt cost for new hashes: N = 2^value, r = 8, p = 1 "
		"(17 is OWASP's).",
    },
    {
	.name = "login-max-failures",
	.type = CONFIG_T_INT,
	.min = 1,
	.max = 1000,
	.def = "5",
	.offset = offsetof(struct config, login_max_failures),
	.help = "Failed logins allowed per account in one login window; "
		"an address may fail five times as often, so typos behind a "
		"shared address do not lock everyone out.",
    },
    {
	.name = "login-window-s",
	.type = CONFIG_T_INT,
	.min = 1,
	.max = 86400,
	.def = "300",
	.offset = offsetof(struct config, login_window_s),
	.help = "Length of the login-failure window, in seconds.",
    },
    {
	.name = "access-log",
	.type = CONFIG_T_BOOL,
	.def = "true",
	.offset = offsetof(struct config, access_log),
	.help = "Write one line per request to standard output.",
    },
};

/* The flags that choose what pingshend does instead of serving. */
static const struct config_action_flag {
	const char *flag;
	const char *alias; /* a short spelling, or NULL */
	const char *arg;   /* the argument's name, or NULL for none */
	enum config_action action;
	const char *help;
} config_actions[] = {
    {"--help", "-h", NULL, CONFIG_HELP, "print this help and exit"},
    {"--version", NULL, NULL, CONFIG_VERSION, "print the version and exit"},
    {"--check-config", NULL, NULL, CONFIG_CHECK,
     "check the configuration, print it and exit"},
    {"--migrate", NULL, NULL, CONFIG_MIGRATE,
     "apply the database migrations and exit"},
    {"--create-admin", NULL, "NAME", CONFIG_CREATE_ADMIN,
     "create administrator NAME (1..64 of A-Za-z0-9._-) with the\n"
     "password read from standard input, and exit"},
};

/* The spellings of a boolean; even entries are true, odd ones false. */
static const char *const config_bools[] = {
    "true", "false", "yes", "no", "on", "off", "1", "0",
};

/* A flag of the command line that sets an option, kept until the file and
 * the environment have been applied, since flags win over both. */
struct config_arg {
	const struct config_option *opt;
	const char *value;
};

/* The option called name[0..len), or NULL. */
static const struct config_option *
config_find(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < nitems(config_options); i++) {
		if (strlen(config_options[i].name) == len &&
		    memcmp(config_options[i].name, name, len) == 0)
			return &config_options[i];
	}
	return NULL;
}

/* PINGSHEN_ and the name upper-cased with '-' as '_'; caller frees. */
static char *
config_env_name(const struct config_option *opt)
{
	char *env = xasprintf(CONFIG_ENV "%s", opt->name);
	char *p;

	for (p = env + strlen(CONFIG_ENV); *p != '\0'; p++) {
		if (*p == '-')
			*p = '_';
		else if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	}
	return env;
}

/* Where in cfg the option's value lives. */
static void *
config_field(struct config *cfg, const struct config_option *opt)
{
	return (char *)cfg + opt->offset;
}

/*
 * A decimal integer in min..max, else 0 with *errstr saying why (OpenBSD
 * strtonum).  Unlike strtoll it refuses white space and signs: no option is
 * negative, and " 8" or "+8" in a config is a slip worth reporting.
 * min and max must be >= 0.
 */
static long long
config_strtonum(const char *s, long long min, long long max,
		const char **errstr)
{
	long long v = 0;
	const char *p;

	*errstr = "not a decimal integer";
	if (*s == '\0')
		return 0;
	for (p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return 0;
	}
	*errstr = "too large";
	for (p = s; *p != '\0'; p++) {
		if (v > max / 10 || (v == max / 10 && *p - '0' > max % 10))
			return 0;
		v = v * 10 + (*p - '0');
	}
	*errstr = "too small";
	if (v < min)
		return 0;
	*errstr = NULL;
	return v;
}

/*
 * Why the string s is refused, as a new string, or NULL when it is
 * acceptable.  White space at either end is refused because a config file
 * trims it, so such a value could not survive config_dump.
 */
static char *
config_check_string(const char *s, int min, int max)
{
	size_t len = strlen(s), i;

	if (len > (size_t)max)
		return xasprintf("value of %zu bytes is longer than %d", len,
				 max);
	if (len < (size_t)min)
		return xstrdup("value must not be empty");
	for (i = 0; i < len; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return xasprintf("control character 0x%02x at byte %zu",
					 (unsigned char)s[i], i + 1);
	}
	if (len > 0 && (s[0] == ' ' || s[len - 1] == ' '))
		return xstrdup("value starts or ends with a space");
	return NULL;
}

/* Sets one option from its text; on -1 *why (a new string) says why. */
static int
config_set(struct config *cfg, const struct config_option *opt,
	   const char *value, char **why)
{
	void *field = config_field(cfg, opt);
	const char *errstr;
	long long n;
	size_t i;

	if (opt->type == CONFIG_T_STRING) {
		if ((*why = config_check_string(value, opt->min, opt->max)))
			return -1;
		free(*(char **)field);
		*(char **)field = xstrdup(value);
		return 0;
	}
	if (opt->type == CONFIG_T_INT) {
		n = config_strtonum(value, opt->min, opt->max, &errstr);
		if (errstr != NULL) {
			*why = xasprintf("\"%.32s\" is %s (bounds %d..%d)",
					 value, errstr, opt->min, opt->max);
			return -1;
		}
		*(int *)field = (int)n;
		return 0;
	}
	for (i = 0; i < nitems(config_bools); i++) {
		if (strcmp(value, config_bools[i]) == 0) {
			*(bool *)field = i % 2 == 0;
			return 0;
		}
	}
	*why = xasprintf("\"%.32s\" is not a boolean (true/false, yes/no, "
			 "on/off, 1/0)",
			 value);
	return -1;
}

/* config_set, with a failure blamed on source ("file:line", a variable). */
static int
config_set_from(struct config *cfg, const struct config_option *opt,
		const char *value, const char *source, char **err)
{
	char *why;

	if (config_set(cfg, opt, value, &why) == 0)
		return 0;
	*err = xasprintf("%s: %s: %s", source, opt->name, why);
	free(why);
	return -1;
}

/* Reads one line, without its end, into buf; 1 for a line, 0 at the end of
 * the file, -1 when it is longer than CONFIG_LINE_MAX. */
static int
config_read_line(FILE *f, char buf[CONFIG_LINE_MAX + 1], size_t *len)
{
	size_t n = 0;
	int c;

	while ((c = getc(f)) != EOF && c != '\n') {
		if (n == CONFIG_LINE_MAX)
			return -1;
		buf[n++] = (char)c;
	}
	if (c == EOF && n == 0)
		return 0;
	/* A file edited on Windows is still the same configuration. */
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	*len = n;
	return 1;
}

/* Parses one line of a config file; where is "file:line" for errors. */
static int
config_file_line(struct config *cfg, char *line, size_t len, bool *seen,
		 const char *where, char **err)
{
	const struct config_option *opt;
	char *name, *end, *eq, *value;
	size_t i;

	for (i = 0; i < len; i++) {
		/* A NUL would hide the rest of the line from the parser. */
		if (((unsigned char)line[i] < 0x20 && line[i] != '\t') ||
		    line[i] == 0x7f) {
			*err = xasprintf("%s: control character 0x%02x in line",
					 where, (unsigned char)line[i]);
			return -1;
		}
	}
	name = line + strspn(line, " \t");
	if (*name == '\0' || *name == '#')
		return 0;
	eq = strchr(name, '=');
	if (eq == NULL) {
		*err = xasprintf("%s: %.64s: missing '=' (expected \"name = "
				 "value\")",
				 where, name);
		return -1;
	}
	for (end = eq; end > name && (end[-1] == ' ' || end[-1] == '\t');)
		end--;
	if (end == name) {
		*err = xasprintf("%s: missing option name before '='", where);
		return -1;
	}
	opt = config_find(name, (size_t)(end - name));
	if (opt == NULL) {
		*err =
		    xasprintf("%s: unknown option \"%.*s\"", where,
			      (int)(end - name > 64 ? 64 : end - name), name);
		return -1;
	}
	if (seen[opt - config_options]) {
		*err = xasprintf("%s: %s: set twice in this file", where,
				 opt->name);
		return -1;
	}
	seen[opt - config_options] = true;
	value = eq + 1 + strspn(eq + 1, " \t");
	for (end = line + len;
	     end > value && (end[-1] == ' ' || end[-1] == '\t');)
		end--;
	*end = '\0';
	return config_set_from(cfg, opt, value, where, err);
}

/* Applies the config file at path; from says who named it. */
static int
config_read_file(struct config *cfg, const char *path, const char *from,
		 char **err)
{
	bool seen[nitems(config_options)] = {false};
	char line[CONFIG_LINE_MAX + 1], *why, *where;
	unsigned long lineno = 0;
	size_t len;
	FILE *f;
	int rc = 0, got;

	if ((why = config_check_string(path, 1, CONFIG_VALUE_MAX))) {
		*err = xasprintf("%s: %s", from, why);
		free(why);
		return -1;
	}
	free(cfg->config_file);
	cfg->config_file = xstrdup(path);
	if ((f = fopen(path, "r")) == NULL) {
		*err = xasprintf("%s %s: %s", from, path, strerror(errno));
		return -1;
	}
	while (rc == 0 && (got = config_read_line(f, line, &len)) != 0) {
		where = xasprintf("%s:%lu", path, ++lineno);
		if (got < 0) {
			*err = xasprintf("%s: line longer than %d bytes", where,
					 CONFIG_LINE_MAX);
			rc = -1;
		} else {
			rc = config_file_line(cfg, line, len, seen, where, err);
		}
		free(where);
	}
	if (rc == 0 && ferror(f)) {
		*err = xasprintf("%s %s: read error", from, path);
		rc = -1;
	}
	fclose(f);
	return rc;
}

/* Applies every PINGSHEN_<NAME> variable that is set, even to "". */
static int
config_read_env(struct config *cfg, char **err)
{
	const char *value;
	char *env;
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < nitems(config_options); i++) {
		env = config_env_name(&config_options[i]);
		if ((value = getenv(env)) != NULL)
			rc = config_set_from(cfg, &config_options[i], value,
					     env, err);
		free(env);
	}
	return rc;
}

/* The value of a flag: after its '=', else the next argument, which must not
 * look like a flag itself, so "--db --port 1" is not read as db "--port". */
static const char *
config_flag_value(int argc, char **argv, int *i, const char *eq)
{
	if (eq != NULL)
		return eq + 1;
	if (*i + 1 >= argc || argv[*i + 1][0] == '-')
		return NULL;
	return argv[++*i];
}

/* Records the action of argv[*i], refusing a second one; act names it. */
static int
config_scan_action(struct config *cfg, const struct config_action_flag *act,
		   int argc, char **argv, int *i, const char *eq,
		   const char **given, char **err)
{
	const char *value;
	size_t len;

	if (*given != NULL) {
		*err = xasprintf("%s: only one action at a time (%s was given)",
				 act->flag, *given);
		return -1;
	}
	*given = act->flag;
	cfg->action = act->action;
	if (act->arg == NULL) {
		if (eq != NULL) {
			*err = xasprintf("%s: takes no value", act->flag);
			return -1;
		}
		return 0;
	}
	if ((value = config_flag_value(argc, argv, i, eq)) == NULL) {
		*err = xasprintf("%s: missing %s", act->flag, act->arg);
		return -1;
	}
	len = strlen(value);
	if (len == 0 || len > CONFIG_ADMIN_MAX ||
	    strspn(value, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			  "0123456789._-") != len) {
		*err = xasprintf("%s: \"%.*s\" is not 1..%d characters of "
				 "A-Z a-z 0-9 . _ -",
				 act->flag, CONFIG_ADMIN_MAX + 1, value,
				 CONFIG_ADMIN_MAX);
		return -1;
	}
	free(cfg->create_admin);
	cfg->create_admin = xstrdup(value);
	return 0;
}

/* The action spelt arg[0..len), or NULL. */
static const struct config_action_flag *
config_find_action(const char *arg, size_t len)
{
	const struct config_action_flag *act;
	size_t i;

	for (i = 0; i < nitems(config_actions); i++) {
		act = &config_actions[i];
		if ((strlen(act->flag) == len &&
		     memcmp(arg, act->flag, len) == 0) ||
		    (act->alias != NULL && strlen(act->alias) == len &&
		     memcmp(arg, act->alias, len) == 0))
			return act;
	}
	return NULL;
}

/* Records the option flag argv[*i] in args, refusing it twice. */
static int
config_scan_option(const struct config_option *opt, int argc, char **argv,
		   int *i, const char *eq, bool *seen, struct config_arg *arg,
		   char **err)
{
	if (seen[opt - config_options]) {
		*err = xasprintf("--%s: given twice", opt->name);
		return -1;
	}
	seen[opt - config_options] = true;
	arg->opt = opt;
	if ((arg->value = config_flag_value(argc, argv, i, eq)) == NULL) {
		*err = xasprintf("--%s: missing value (write --%s=VALUE for "
				 "one that starts with '-')",
				 opt->name, opt->name);
		return -1;
	}
	return 0;
}

/*
 * Sorts the command line into the action, --config (into *file) and the
 * option flags (into args), refusing anything else.  Where an option and
 * an action share a name, "=VALUE" makes the flag the option, so
 * --migrate=BOOL is the option and a bare --migrate the action.
 */
static int
config_scan_args(struct config *cfg, int argc, char **argv,
		 struct config_arg *args, size_t *nargs, const char **file,
		 char **err)
{
	bool seen[nitems(config_options)] = {false};
	const struct config_action_flag *act;
	const struct config_option *opt;
	const char *arg, *eq, *given = NULL;
	size_t len;
	int a;

	for (a = 1; a < argc; a++) {
		arg = argv[a];
		if (arg[0] != '-') {
			*err = xasprintf("unexpected argument \"%s\"", arg);
			return -1;
		}
		eq = strchr(arg, '=');
		len = eq != NULL ? (size_t)(eq - arg) : strlen(arg);
		opt = NULL;
		if (strncmp(arg, "--", 2) == 0)
			opt = config_find(arg + 2, len - 2);
		act = config_find_action(arg, len);
		if (opt != NULL && (eq != NULL || act == NULL)) {
			if (config_scan_option(opt, argc, argv, &a, eq, seen,
					       &args[(*nargs)++], err) != 0)
				return -1;
		} else if (act != NULL) {
			if (config_scan_action(cfg, act, argc, argv, &a, eq,
					       &given, err) != 0)
				return -1;
		} else if (len == strlen("--config") &&
			   memcmp(arg, "--config", len) == 0) {
			if (*file != NULL) {
				*err = xstrdup("--config: given twice");
				return -1;
			}
			*file = config_flag_value(argc, argv, &a, eq);
			if (*file == NULL) {
				*err = xstrdup("--config: missing FILE");
				return -1;
			}
		} else {
			*err =
			    xasprintf("unknown option \"%.*s\"", (int)len, arg);
			return -1;
		}
	}
	return 0;
}

int
config_load(struct config *cfg, int argc, char **argv, char **err)
{
	struct config_arg *args;
	const char *file = NULL, *from = "--config";
	size_t nargs = 0, i;
	int rc = -1;

	*err = NULL;
	cfg->action = CONFIG_RUN;
	cfg->create_admin = xstrdup("");
	cfg->config_file = xstrdup("");
	for (i = 0; i < nitems(config_options); i++) {
		if (config_set_from(cfg, &config_options[i],
				    config_options[i].def, "default", err) != 0)
			return -1;
	}
	args = xcalloc(argc > 0 ? (size_t)argc : 1, sizeof *args);
	if (config_scan_args(cfg, argc, argv, args, &nargs, &file, err) != 0)
		goto out;
	/* --help and --version must work whatever the file or environment
	 * hold, so they read neither. */
	if (cfg->action != CONFIG_HELP && cfg->action != CONFIG_VERSION) {
		if (file == NULL &&
		    (file = getenv(CONFIG_ENV "CONFIG")) != NULL) {
			from = CONFIG_ENV "CONFIG";
			/* An empty variable is the usual way to unset it. */
			if (*file == '\0')
				file = NULL;
		}
		if (file != NULL && config_read_file(cfg, file, from, err) != 0)
			goto out;
		if (config_read_env(cfg, err) != 0)
			goto out;
	}
	for (i = 0; i < nargs; i++) {
		char *why;

		if (config_set(cfg, args[i].opt, args[i].value, &why) != 0) {
			*err = xasprintf("--%s: %s", args[i].opt->name, why);
			free(why);
			goto out;
		}
	}
	rc = 0;
out:
	free(args);
	return rc;
}

void
config_free(struct config *cfg)
{
	size_t i;

	if (cfg == NULL)
		return;
	for (i = 0; i < nitems(config_options); i++) {
		if (config_options[i].type == CONFIG_T_STRING) {
			char **s = config_field(cfg, &config_options[i]);

			free(*s);
			*s = NULL;
		}
	}
	free(cfg->create_admin);
	cfg->create_admin = NULL;
	free(cfg->config_file);
	cfg->config_file = NULL;
}

/* Writes text indented under its flag, each of its lines as one line. */
static void
config_usage_text(FILE *out, const char *text)
{
	size_t len;

	do {
		len = strcspn(text, "\n");
		fprintf(out, "      %.*s\n", (int)len, text);
		text += len;
	} while (*text++ != '\0');
}

void
config_usage(FILE *out, const char *argv0)
{
	static const char *const types[] = {
	    [CONFIG_T_STRING] = "STRING",
	    [CONFIG_T_INT] = "INT",
	    [CONFIG_T_BOOL] = "BOOL",
	};
	const struct config_action_flag *act;
	const struct config_option *opt;
	size_t i;
	char *env;

	fprintf(out,
		"usage: %s [--config FILE] [--OPTION=VALUE ...] [ACTION]\n"
		"\n"
		"Without an action pingshend serves HTTPS.  Actions, at most "
		"one:\n",
		argv0);
	for (i = 0; i < nitems(config_actions); i++) {
		act = &config_actions[i];
		fprintf(out, "  %s%s%s%s%s\n", act->alias ? act->alias : "",
			act->alias ? ", " : "", act->flag, act->arg ? " " : "",
			act->arg ? act->arg : "");
		config_usage_text(out, act->help);
	}
	fprintf(out, "\n  --config FILE, or " CONFIG_ENV "CONFIG=FILE\n");
	config_usage_text(out, "read options from FILE: lines \"name = "
			       "value\", '#' starts a comment line");
	fprintf(out, "\nOptions, from lowest to highest precedence: default, "
		     "config file,\n"
		     "environment variable, flag (--name=VALUE or --name "
		     "VALUE).\n");
	for (i = 0; i < nitems(config_options); i++) {
		opt = &config_options[i];
		env = config_env_name(opt);
		fprintf(out, "\n  --%s=%s  (%s)\n", opt->name, types[opt->type],
			env);
		free(env);
		config_usage_text(out, opt->help);
		if (opt->type == CONFIG_T_STRING)
			fprintf(
			    out,
			    "      string of %d..%d bytes, default \"%s\"\n",
			    opt->min, opt->max, opt->def);
		else if (opt->type == CONFIG_T_INT)
			fprintf(out, "      integer %d..%d, default %s\n",
				opt->min, opt->max, opt->def);
		else
			fprintf(out,
				"      boolean (true/false, yes/no, on/off, "
				"1/0), default %s\n",
				opt->def);
	}
}

void
config_dump(const struct config *cfg, FILE *out)
{
	const struct config_option *opt;
	const char *field;
	size_t i;

	for (i = 0; i < nitems(config_options); i++) {
		opt = &config_options[i];
		field = (const char *)cfg + opt->offset;
		switch (opt->type) {
		case CONFIG_T_STRING:
			/* "name =" rather than a line ending in a space. */
			if (**(char *const *)field == '\0')
				fprintf(out, "%s =\n", opt->name);
			else
				fprintf(out, "%s = %s\n", opt->name,
					*(char *const *)field);
			break;
		case CONFIG_T_INT:
			fprintf(out, "%s = %d\n", opt->name,
				*(const int *)field);
			break;
		case CONFIG_T_BOOL:
			fprintf(out, "%s = %s\n", opt->name,
				*(const bool *)field ? "true" : "false");
			break;
		}
	}
}
