/*
 * Configuration of pingshend.  One table of options (name, type, bounds,
 * default, help) drives the config file, the PINGSHEN_* environment
 * variables, the command-line flags and --help, so they can never disagree.
 * Precedence, lowest first: defaults, the file, the environment, flags.
 */
#ifndef PINGSHEN_CONFIG_H
#define PINGSHEN_CONFIG_H

#include <stdbool.h>
#include <stdio.h>

/* What the command line asks for besides running the server. */
enum config_action {
	CONFIG_RUN,	     /* serve */
	CONFIG_HELP,	     /* --help: print config_usage, exit 0 */
	CONFIG_VERSION,	     /* --version */
	CONFIG_CHECK,	     /* --check-config: validate, print, exit */
	CONFIG_MIGRATE,	     /* --migrate: apply migrations, exit */
	CONFIG_CREATE_ADMIN, /* --create-admin NAME: password on stdin */
};

/*
 * Every string is owned by the struct (config_free).  Strings may be empty
 * (""), never NULL, after config_load succeeded.
 */
struct config {
	enum config_action action;
	char *create_admin; /* NAME of --create-admin, else "" */
	char *config_file;  /* --config FILE / PINGSHEN_CONFIG, or "" */

	char *listen;	  /* listen address, default "127.0.0.1" */
	int port;	  /* default 8443 */
	char *tls_cert;	  /* PEM chain; default "certs/dev/server.crt" */
	char *tls_key;	  /* PEM key; default "certs/dev/server.key" */
	char *db;	  /* libpq conninfo; "" = the private cluster */
	char *pg_dir;	  /* the private cluster's folder, "var/pg" */
	int db_pool_size; /* connections, default 8, 1..64 */
	int db_statement_timeout_ms; /* default 5000 */
	bool migrate;		/* apply migrations at start-up, default true */
	int max_body_bytes;	/* default 1048576 */
	int max_header_bytes;	/* default 16384 */
	int request_timeout_ms; /* deadline per request, default 10000 */
	int idle_timeout_s;	/* keep-alive idle timeout, default 60 */
	int max_connections;	/* default 1024 */
	char *data_dir;		/* default "var"; holds the signing key */
	int session_ttl_s;	/* default 43200 (12 h) */
	int hash_workers;	/* scrypt threads, default 2, 1..16 */
	int hash_queue_max;	/* pending hashes before 429, default 64 */
	int scrypt_log2_n;	/* default 17 (OWASP), 14..20 */
	int login_max_failures; /* per account or address per window, 5 */
	int login_window_s;	/* default 300 */
	bool access_log;	/* a line per request on stdout, default true */
};

/*
 * Parses argv (and the file and environment it points to) into cfg, which
 * must be zeroed.  Returns 0, or -1 with a message in *err (caller frees)
 * that names the option and says what is wrong.  On -1 cfg may be partly
 * filled: config_free it anyway.
 */
int config_load(struct config *cfg, int argc, char **argv, char **err);

/* Releases the strings; NULL-safe and idempotent. */
void config_free(struct config *cfg);

/* Writes --help: usage, the actions, then every option with its flag,
 * environment variable, type, bounds, default and help. */
void config_usage(FILE *out, const char *argv0);

/* Writes the effective configuration as a config file would hold it. */
void config_dump(const struct config *cfg, FILE *out);

#endif
