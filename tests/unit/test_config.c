/*
 * The configuration: defaults, the file < environment < flag precedence,
 * the strict parsing of every source, the actions, and that --help,
 * config_dump and deploy/pingshend.conf.example agree with the code.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "xalloc.h"

#define MAX_ARGS 16

/* What the brief asks of each option, written down apart from config.c. */
static const struct spec {
	const char *name;
	const char *env;
	int min, max; /* bounds of an int; 0, 0 for strings and booleans */
} specs[] = {
    {"listen", "PINGSHEN_LISTEN", 0, 0},
    {"port", "PINGSHEN_PORT", 1, 65535},
    {"tls-cert", "PINGSHEN_TLS_CERT", 0, 0},
    {"tls-key", "PINGSHEN_TLS_KEY", 0, 0},
    {"db", "PINGSHEN_DB", 0, 0},
    {"pg-dir", "PINGSHEN_PG_DIR", 0, 0},
    {"db-pool-size", "PINGSHEN_DB_POOL_SIZE", 1, 64},
    {"db-statement-timeout-ms", "PINGSHEN_DB_STATEMENT_TIMEOUT_MS", 100,
     600000},
    {"migrate", "PINGSHEN_MIGRATE", 0, 0},
    {"max-body-bytes", "PINGSHEN_MAX_BODY_BYTES", 1024, 16777216},
    {"max-header-bytes", "PINGSHEN_MAX_HEADER_BYTES", 1024, 65536},
    {"request-timeout-ms", "PINGSHEN_REQUEST_TIMEOUT_MS", 100, 600000},
    {"idle-timeout-s", "PINGSHEN_IDLE_TIMEOUT_S", 1, 3600},
    {"max-connections", "PINGSHEN_MAX_CONNECTIONS", 1, 100000},
    {"data-dir", "PINGSHEN_DATA_DIR", 0, 0},
    {"session-ttl-s", "PINGSHEN_SESSION_TTL_S", 60, 2592000},
    {"hash-workers", "PINGSHEN_HASH_WORKERS", 1, 16},
    {"hash-queue-max", "PINGSHEN_HASH_QUEUE_MAX", 1, 10000},
    {"scrypt-log2-n", "PINGSHEN_SCRYPT_LOG2_N", 14, 20},
    {"login-max-failures", "PINGSHEN_LOGIN_MAX_FAILURES", 1, 1000},
    {"login-window-s", "PINGSHEN_LOGIN_WINDOW_S", 1, 86400},
    {"access-log", "PINGSHEN_ACCESS_LOG", 0, 0},
};

#define NSPECS (sizeof(specs) / sizeof(specs[0]))

/* Unsets every variable config_load reads, before and after each test, so
 * neither the caller's environment nor another test leaks in. */
static int
clear_env(void **state)
{
	size_t i;

	(void)state;
	unsetenv("PINGSHEN_CONFIG");
	for (i = 0; i < NSPECS; i++)
		unsetenv(specs[i].env);
	return 0;
}

/* config_load of "pingshend" and the NULL-terminated arguments in ap. */
static int
vload(struct config *cfg, char **err, va_list ap)
{
	char *argv[MAX_ARGS + 1];
	const char *arg;
	int argc = 0;

	argv[argc++] = "pingshend";
	while ((arg = va_arg(ap, const char *)) != NULL) {
		assert_true(argc < MAX_ARGS);
		argv[argc++] = (char *)arg;
	}
	argv[argc] = NULL;
	memset(cfg, 0, sizeof *cfg);
	*err = NULL;
	return config_load(cfg, argc, argv, err);
}

/* Loads the arguments, which must succeed; the caller frees cfg. */
static void
load(struct config *cfg, ...)
{
	char *err;
	va_list ap;
	int rc;

	va_start(ap, cfg);
	rc = vload(cfg, &err, ap);
	va_end(ap);
	if (rc != 0)
		fail_msg("config_load: %s", err);
	assert_null(err);
}

/* Loads the arguments, which must fail with a message holding want and,
 * unless NULL, also. */
static void
refuse(const char *want, const char *also, ...)
{
	struct config cfg;
	char *err;
	va_list ap;
	int rc;

	va_start(ap, also);
	rc = vload(&cfg, &err, ap);
	va_end(ap);
	config_free(&cfg);
	assert_int_equal(rc, -1);
	assert_non_null(err);
	if (strstr(err, want) == NULL || (also && strstr(err, also) == NULL))
		fail_msg("\"%s\" lacks \"%s\" or \"%s\"", err, want,
			 also ? also : "");
	free(err);
}

/* A new file under /tmp holding text[0..len); the caller removes it. */
static char *
tmp_file_bytes(const char *text, size_t len)
{
	char *path = xstrdup("/tmp/test_config.XXXXXX");
	int fd = mkstemp(path);
	FILE *f;

	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	return path;
}

static char *
tmp_file(const char *text)
{
	return tmp_file_bytes(text, strlen(text));
}

static void
tmp_remove(char *path)
{
	assert_int_equal(unlink(path), 0);
	free(path);
}

/* A config file of text[0..len) must be refused at its line `line` with a
 * message holding want. */
static void
refuse_file_bytes(const char *text, size_t len, int line, const char *want)
{
	char *path = tmp_file_bytes(text, len);
	char *where = xasprintf("%s:%d:", path, line);

	refuse(where, want, "--config", path, NULL);
	free(where);
	tmp_remove(path);
}

static void
refuse_file(const char *text, int line, const char *want)
{
	refuse_file_bytes(text, strlen(text), line, want);
}

/* What config_dump writes for cfg; the caller frees. */
static char *
dump(const struct config *cfg)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	config_dump(cfg, f);
	assert_int_equal(fclose(f), 0);
	return text;
}

/* Whether text holds line as a whole line. */
static bool
has_line(const char *text, const char *line)
{
	size_t len = strlen(line);
	const char *p;

	for (p = text; (p = strstr(p, line)) != NULL; p++) {
		if ((p == text || p[-1] == '\n') &&
		    (p[len] == '\n' || p[len] == '\0'))
			return true;
	}
	return false;
}

/* Loads --NAME=VALUE and checks config_dump writes "NAME = VALUE" back. */
static void
load_value(const char *name, const char *value)
{
	char *flag = xasprintf("--%s=%s", name, value);
	char *line = xasprintf("%s = %s", name, value);
	struct config cfg;
	char *text;

	load(&cfg, flag, NULL);
	text = dump(&cfg);
	if (!has_line(text, line))
		fail_msg("dump lacks \"%s\"", line);
	free(text);
	free(line);
	free(flag);
	config_free(&cfg);
}

static void
assert_config_equal(const struct config *a, const struct config *b)
{
	assert_int_equal(a->action, b->action);
	assert_string_equal(a->create_admin, b->create_admin);
	assert_string_equal(a->listen, b->listen);
	assert_int_equal(a->port, b->port);
	assert_string_equal(a->tls_cert, b->tls_cert);
	assert_string_equal(a->tls_key, b->tls_key);
	assert_string_equal(a->db, b->db);
	assert_string_equal(a->pg_dir, b->pg_dir);
	assert_int_equal(a->db_pool_size, b->db_pool_size);
	assert_int_equal(a->db_statement_timeout_ms,
			 b->db_statement_timeout_ms);
	assert_int_equal(a->migrate, b->migrate);
	assert_int_equal(a->max_body_bytes, b->max_body_bytes);
	assert_int_equal(a->max_header_bytes, b->max_header_bytes);
	assert_int_equal(a->request_timeout_ms, b->request_timeout_ms);
	assert_int_equal(a->idle_timeout_s, b->idle_timeout_s);
	assert_int_equal(a->max_connections, b->max_connections);
	assert_string_equal(a->data_dir, b->data_dir);
	assert_int_equal(a->session_ttl_s, b->session_ttl_s);
	assert_int_equal(a->hash_workers, b->hash_workers);
	assert_int_equal(a->hash_queue_max, b->hash_queue_max);
	assert_int_equal(a->scrypt_log2_n, b->scrypt_log2_n);
	assert_int_equal(a->login_max_failures, b->login_max_failures);
	assert_int_equal(a->login_window_s, b->login_window_s);
	assert_int_equal(a->access_log, b->access_log);
}

/* deploy/pingshend.conf.example, found from this file's own path. */
static char *
example_path(void)
{
	static const char self[] = "tests/unit/test_config.c";
	size_t len = strlen(__FILE__), self_len = strlen(self);

	assert_true(len >= self_len);
	assert_string_equal(__FILE__ + len - self_len, self);
	return xasprintf("%.*sdeploy/pingshend.conf.example",
			 (int)(len - self_len), __FILE__);
}

/* The whole of the file at path; the caller frees. */
static char *
slurp(const char *path)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	FILE *in = fopen(path, "r");
	int c;

	assert_non_null(out);
	if (in == NULL)
		fail_msg("cannot open %s", path);
	while ((c = getc(in)) != EOF)
		fputc(c, out);
	fclose(in);
	assert_int_equal(fclose(out), 0);
	return text;
}

static void
test_defaults(void **state)
{
	struct config cfg;

	(void)state;
	load(&cfg, NULL);
	assert_int_equal(cfg.action, CONFIG_RUN);
	assert_string_equal(cfg.create_admin, "");
	assert_string_equal(cfg.config_file, "");
	assert_string_equal(cfg.listen, "127.0.0.1");
	assert_int_equal(cfg.port, 8443);
	assert_string_equal(cfg.tls_cert, "certs/dev/server.crt");
	assert_string_equal(cfg.tls_key, "certs/dev/server.key");
	assert_string_equal(cfg.db, "");
	assert_string_equal(cfg.pg_dir, "var/pg");
	assert_int_equal(cfg.db_pool_size, 8);
	assert_int_equal(cfg.db_statement_timeout_ms, 5000);
	assert_true(cfg.migrate);
	assert_int_equal(cfg.max_body_bytes, 1048576);
	assert_int_equal(cfg.max_header_bytes, 16384);
	assert_int_equal(cfg.request_timeout_ms, 10000);
	assert_int_equal(cfg.idle_timeout_s, 60);
	assert_int_equal(cfg.max_connections, 1024);
	assert_string_equal(cfg.data_dir, "var");
	assert_int_equal(cfg.session_ttl_s, 43200);
	assert_int_equal(cfg.hash_workers, 2);
	assert_int_equal(cfg.hash_queue_max, 64);
	assert_int_equal(cfg.scrypt_log2_n, 17);
	assert_int_equal(cfg.login_max_failures, 5);
	assert_int_equal(cfg.login_window_s, 300);
	assert_true(cfg.access_log);
	config_free(&cfg);
}

static void
test_file_then_env_then_flag(void **state)
{
	char *path = tmp_file("port = 1001\n"
			      "listen = file.example\n"
			      "access-log = off\n");
	struct config cfg;

	(void)state;
	load(&cfg, "--config", path, NULL);
	assert_string_equal(cfg.config_file, path);
	assert_int_equal(cfg.port, 1001);
	assert_string_equal(cfg.listen, "file.example");
	assert_false(cfg.access_log);
	config_free(&cfg);

	setenv("PINGSHEN_PORT", "1002", 1);
	setenv("PINGSHEN_LISTEN", "env.example", 1);
	setenv("PINGSHEN_ACCESS_LOG", "yes", 1);
	load(&cfg, "--config", path, NULL);
	assert_int_equal(cfg.port, 1002);
	assert_string_equal(cfg.listen, "env.example");
	assert_true(cfg.access_log);
	config_free(&cfg);

	load(&cfg, "--config", path, "--port", "1003", "--listen=flag.example",
	     "--access-log", "0", NULL);
	assert_int_equal(cfg.port, 1003);
	assert_string_equal(cfg.listen, "flag.example");
	assert_false(cfg.access_log);
	config_free(&cfg);

	unsetenv("PINGSHEN_PORT");
	unsetenv("PINGSHEN_LISTEN");
	unsetenv("PINGSHEN_ACCESS_LOG");
	tmp_remove(path);
}

static void
test_env_names_the_file_and_the_flag_wins(void **state)
{
	char *a = tmp_file("db-pool-size = 3\n");
	char *b = tmp_file("db-pool-size = 4\n");
	struct config cfg;

	(void)state;
	setenv("PINGSHEN_CONFIG", a, 1);
	load(&cfg, NULL);
	assert_string_equal(cfg.config_file, a);
	assert_int_equal(cfg.db_pool_size, 3);
	config_free(&cfg);

	refuse("--config", "empty", "--config=", NULL);

	load(&cfg, "--config", b, NULL);
	assert_string_equal(cfg.config_file, b);
	assert_int_equal(cfg.db_pool_size, 4);
	config_free(&cfg);

	/* An empty variable names no file. */
	setenv("PINGSHEN_CONFIG", "", 1);
	load(&cfg, NULL);
	assert_string_equal(cfg.config_file, "");
	assert_int_equal(cfg.db_pool_size, 8);
	config_free(&cfg);

	unsetenv("PINGSHEN_CONFIG");
	tmp_remove(a);
	tmp_remove(b);
}

static void
test_flag_forms(void **state)
{
	struct config cfg;

	(void)state;
	load(&cfg, "--port", "9000", "--hash-workers=3", "--db", "",
	     "--pg-dir=/srv/pg", "--migrate=no", NULL);
	assert_int_equal(cfg.port, 9000);
	assert_int_equal(cfg.hash_workers, 3);
	assert_string_equal(cfg.db, "");
	assert_string_equal(cfg.pg_dir, "/srv/pg");
	assert_false(cfg.migrate);
	assert_int_equal(cfg.action, CONFIG_RUN);
	config_free(&cfg);

	/* A value may hold '=' and, after '=', start with '-'. */
	load(&cfg, "--db=host=db.example port=5433", "--data-dir=-var", NULL);
	assert_string_equal(cfg.db, "host=db.example port=5433");
	assert_string_equal(cfg.data_dir, "-var");
	config_free(&cfg);
}

static void
test_bool_spellings(void **state)
{
	static const char *const yes[] = {"true", "yes", "on", "1"};
	static const char *const no[] = {"false", "no", "off", "0"};
	struct config cfg;
	char *flag;
	size_t i;

	(void)state;
	for (i = 0; i < 4; i++) {
		flag = xasprintf("--access-log=%s", no[i]);
		load(&cfg, flag, NULL);
		assert_false(cfg.access_log);
		config_free(&cfg);
		free(flag);
		setenv("PINGSHEN_ACCESS_LOG", no[i], 1);
		flag = xasprintf("--access-log=%s", yes[i]);
		load(&cfg, flag, NULL);
		assert_true(cfg.access_log);
		config_free(&cfg);
		free(flag);
	}
	unsetenv("PINGSHEN_ACCESS_LOG");
	refuse("access-log", "maybe", "--access-log=maybe", NULL);
	refuse("access-log", "boolean", "--access-log=", NULL);
	refuse("access-log", "boolean", "--access-log=TRUE", NULL);
	refuse("migrate", "boolean", "--migrate=2", NULL);
}

static void
test_int_bounds_of_every_option(void **state)
{
	char *value, *flag, *bounds;
	size_t i;

	(void)state;
	for (i = 0; i < NSPECS; i++) {
		if (specs[i].max == 0)
			continue;
		value = xasprintf("%d", specs[i].min);
		load_value(specs[i].name, value);
		free(value);
		value = xasprintf("%d", specs[i].max);
		load_value(specs[i].name, value);
		free(value);

		bounds = xasprintf("%d..%d", specs[i].min, specs[i].max);
		flag = xasprintf("--%s=%d", specs[i].name, specs[i].min - 1);
		refuse(specs[i].name, bounds, flag, NULL);
		free(flag);
		flag = xasprintf("--%s=%d", specs[i].name, specs[i].max + 1);
		refuse(specs[i].name, bounds, flag, NULL);
		free(flag);
		free(bounds);
	}
}

static void
test_int_syntax(void **state)
{
	static const char *const bad[] = {
	    "",
	    "12x",
	    "x12",
	    "+5",
	    "-5",
	    " 5",
	    "5 ",
	    "0x10",
	    "1e3",
	    "8443.0",
	    "99999999999999999999",
	    "-0",
	};
	char *flag;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		flag = xasprintf("--port=%s", bad[i]);
		refuse("port", "1..65535", flag, NULL);
		free(flag);
	}
	refuse("port", "1..65535", "--port=0", NULL);
	setenv("PINGSHEN_PORT", "08443x", 1);
	refuse("PINGSHEN_PORT", "port", NULL);
	setenv("PINGSHEN_PORT", "", 1);
	refuse("PINGSHEN_PORT", "1..65535", NULL);
	unsetenv("PINGSHEN_PORT");
}

static void
test_leading_zeros(void **state)
{
	struct config cfg;

	(void)state;
	/* Leading zeros are still a decimal number. */
	load(&cfg, "--port=08443", NULL);
	assert_int_equal(cfg.port, 8443);
	config_free(&cfg);
}

static void
test_string_limits(void **state)
{
	char *flag = xmalloc(strlen("--listen=") + 4097 + 1);
	struct config cfg;

	(void)state;
	strcpy(flag, "--listen=");
	memset(flag + strlen(flag), 'a', 4096);
	flag[strlen("--listen=") + 4096] = '\0';
	load(&cfg, flag, NULL);
	assert_int_equal(strlen(cfg.listen), 4096);
	config_free(&cfg);
	strcat(flag, "a");
	refuse("listen", "4096", flag, NULL);
	free(flag);

	load(&cfg, "--tls-cert=证书/服务器.crt", "--db=", NULL);
	assert_string_equal(cfg.tls_cert, "证书/服务器.crt");
	assert_string_equal(cfg.db, "");
	config_free(&cfg);

	refuse("listen", "empty", "--listen=", NULL);
	refuse("listen", "control", "--listen=a\tb", NULL);
	refuse("listen", "control", "--listen=a\nb", NULL);
	refuse("listen", "control", "--listen=a\x7f", NULL);
	refuse("listen", "space", "--listen= 127.0.0.1", NULL);
	refuse("listen", "space", "--listen=127.0.0.1 ", NULL);
	setenv("PINGSHEN_DATA_DIR", "var\x1b[2J", 1);
	refuse("PINGSHEN_DATA_DIR", "data-dir", NULL);
	unsetenv("PINGSHEN_DATA_DIR");
}

static void
test_file_syntax(void **state)
{
	char *path = tmp_file("# a comment\n"
			      "\n"
			      "   \t\n"
			      "  # an indented comment\n"
			      "port=1234\n"
			      "  db   =   host=db.example password=a#b  \n"
			      "listen\t=\t::1\r\n"
			      "db-pool-size = 9");
	struct config cfg;

	(void)state;
	load(&cfg, "--config", path, NULL);
	assert_int_equal(cfg.port, 1234);
	assert_string_equal(cfg.db, "host=db.example password=a#b");
	assert_string_equal(cfg.listen, "::1");
	assert_int_equal(cfg.db_pool_size, 9);
	config_free(&cfg);
	tmp_remove(path);

	path = tmp_file("");
	load(&cfg, "--config", path, NULL);
	assert_int_equal(cfg.port, 8443);
	config_free(&cfg);
	tmp_remove(path);
}

static void
test_file_errors(void **state)
{
	char *line;

	(void)state;
	refuse_file("# ok\nprot = 1\n", 2, "\"prot\"");
	refuse_file("port = 1\n\nport = 2\n", 3, "port");
	refuse_file("# ok\nport 8443\n", 2, "port");
	refuse_file("port = 0\n", 1, "1..65535");
	refuse_file("port = 0\n", 1, "port");
	refuse_file("listen =\n", 1, "listen");
	refuse_file("migrate = maybe\n", 1, "migrate");
	refuse_file("= 5\n", 1, "name");
	refuse_file("listen = a\x01"
		    "b\n",
		    1, "control");
	refuse_file_bytes("listen = a\0b\n", 13, 1, "control");
	refuse_file("db = a\tb\n", 1, "db");

	line = xmalloc(4097 + 64);
	strcpy(line, "listen = ");
	memset(line + strlen(line), 'a', 4097);
	strcpy(line + strlen("listen = ") + 4097, "\n");
	refuse_file(line, 1, "4096");
	free(line);

	line = xmalloc(9000 + 2);
	memset(line, 'a', 9000);
	strcpy(line + 9000, "\n");
	refuse_file(line, 1, "longer");
	free(line);

	refuse("--config", "/nonexistent/pingshend.conf", "--config",
	       "/nonexistent/pingshend.conf", NULL);
	setenv("PINGSHEN_CONFIG", "/nonexistent/pingshend.conf", 1);
	refuse("PINGSHEN_CONFIG", "/nonexistent/pingshend.conf", NULL);
	unsetenv("PINGSHEN_CONFIG");
}

static void
test_flag_errors(void **state)
{
	(void)state;
	refuse("--prot", NULL, "--prot=1", NULL);
	refuse("--prot", NULL, "--prot", "1", NULL);
	refuse("-x", NULL, "-x", NULL);
	refuse("\"serve\"", NULL, "serve", NULL);
	refuse("\"8443\"", NULL, "--port=1", "8443", NULL);
	refuse("--port", "missing", "--port", NULL);
	refuse("--port", "missing", "--port", "--listen", "x", NULL);
	refuse("--port", "twice", "--port", "1", "--port=2", NULL);
	refuse("--help", "no value", "--help=yes", NULL);
	refuse("--check-config", "--migrate", "--check-config", "--migrate",
	       NULL);
	refuse("--help", "--version", "--version", "-h", NULL);
	refuse("--config", "twice", "--config", "a", "--config", "b", NULL);
	refuse("--config", "missing", "--config", NULL);
	/* "--migrate yes" is the action and a stray word. */
	refuse("\"yes\"", NULL, "--migrate", "yes", NULL);
}

static void
test_actions(void **state)
{
	static const char name64[] = "a123456789b123456789c123456789"
				     "d123456789e123456789f123456789._-_";
	struct config cfg;

	(void)state;
	load(&cfg, "--help", NULL);
	assert_int_equal(cfg.action, CONFIG_HELP);
	config_free(&cfg);
	load(&cfg, "-h", NULL);
	assert_int_equal(cfg.action, CONFIG_HELP);
	config_free(&cfg);
	load(&cfg, "--version", NULL);
	assert_int_equal(cfg.action, CONFIG_VERSION);
	config_free(&cfg);
	load(&cfg, "--check-config", "--port=1", NULL);
	assert_int_equal(cfg.action, CONFIG_CHECK);
	assert_int_equal(cfg.port, 1);
	config_free(&cfg);
	load(&cfg, "--migrate", NULL);
	assert_int_equal(cfg.action, CONFIG_MIGRATE);
	assert_true(cfg.migrate);
	config_free(&cfg);
	load(&cfg, "--migrate=off", "--migrate", NULL);
	assert_int_equal(cfg.action, CONFIG_MIGRATE);
	assert_false(cfg.migrate);
	config_free(&cfg);

	load(&cfg, "--create-admin", "Ada.Lovelace_1-x", NULL);
	assert_int_equal(cfg.action, CONFIG_CREATE_ADMIN);
	assert_string_equal(cfg.create_admin, "Ada.Lovelace_1-x");
	config_free(&cfg);
	assert_int_equal(strlen(name64), 64);
	load(&cfg, "--create-admin=a", NULL);
	assert_string_equal(cfg.create_admin, "a");
	config_free(&cfg);
	load(&cfg, "--create-admin", name64, NULL);
	assert_string_equal(cfg.create_admin, name64);
	config_free(&cfg);

	refuse("--create-admin", "1..64", "--create-admin=", NULL);
	refuse("--create-admin", "missing", "--create-admin", NULL);
	refuse("--create-admin", "missing", "--create-admin", "-a", NULL);
	refuse("--create-admin", "1..64", "--create-admin", "a b", NULL);
	refuse("--create-admin", "1..64", "--create-admin", "a/b", NULL);
	refuse("--create-admin", "1..64", "--create-admin", "名字", NULL);
	refuse("--create-admin", "only one action", "--create-admin=a",
	       "--create-admin=b", NULL);
}

static void
test_create_admin_name_of_65_refused(void **state)
{
	char name[66];

	(void)state;
	memset(name, 'a', 65);
	name[65] = '\0';
	refuse("--create-admin", "1..64", "--create-admin", name, NULL);
}

static void
test_help_and_version_ignore_file_and_env(void **state)
{
	struct config cfg;

	(void)state;
	setenv("PINGSHEN_CONFIG", "/nonexistent/pingshend.conf", 1);
	setenv("PINGSHEN_PORT", "not a port", 1);
	load(&cfg, "--help", NULL);
	assert_int_equal(cfg.action, CONFIG_HELP);
	config_free(&cfg);
	load(&cfg, "--version", NULL);
	assert_int_equal(cfg.action, CONFIG_VERSION);
	config_free(&cfg);
	refuse("PINGSHEN_CONFIG", NULL, "--check-config", NULL);
	unsetenv("PINGSHEN_CONFIG");
	refuse("PINGSHEN_PORT", NULL, "--check-config", NULL);
	unsetenv("PINGSHEN_PORT");
}

static void
test_free_is_idempotent(void **state)
{
	struct config cfg;

	(void)state;
	config_free(NULL);
	load(&cfg, NULL);
	config_free(&cfg);
	assert_null(cfg.listen);
	assert_null(cfg.config_file);
	config_free(&cfg);
}

static void
test_dump_reloads_to_the_same_config(void **state)
{
	struct config a, b;
	char *text, *path, *again;

	(void)state;
	load(&a, "--listen=::", "--port=1", "--tls-cert=/etc/p s/#cert=1.pem",
	     "--db=", "--pg-dir=数据/pg", "--migrate=off", "--access-log=no",
	     "--max-body-bytes=16777216", "--scrypt-log2-n=14",
	     "--session-ttl-s=60", "--data-dir=/var/lib/pingshen", NULL);
	text = dump(&a);
	path = tmp_file(text);
	load(&b, "--config", path, NULL);
	assert_config_equal(&a, &b);
	again = dump(&b);
	assert_string_equal(text, again);
	free(again);
	free(text);
	tmp_remove(path);
	config_free(&a);
	config_free(&b);
}

static void
test_usage_lists_every_option(void **state)
{
	static const char *const actions[] = {
	    "--help",	     "-h",
	    "--version",     "--check-config",
	    "--migrate",     "--create-admin NAME",
	    "--config FILE", "PINGSHEN_CONFIG",
	};
	const char *p, *last = NULL;
	char *text = NULL, *flag;
	size_t len = 0, i;
	FILE *f = open_memstream(&text, &len);

	(void)state;
	assert_non_null(f);
	config_usage(f, "pingshend");
	assert_int_equal(fclose(f), 0);
	assert_non_null(strstr(text, "usage: pingshend"));
	for (i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		assert_non_null(strstr(text, actions[i]));
	for (i = 0; i < NSPECS; i++) {
		flag = xasprintf("\n  --%s=", specs[i].name);
		p = strstr(text, flag);
		if (p == NULL)
			fail_msg("usage lacks %s", flag + 3);
		/* In table order, each with its variable and bounds. */
		assert_true(last == NULL || p > last);
		last = p;
		assert_non_null(strstr(p, specs[i].env));
		free(flag);
		if (specs[i].max != 0) {
			flag = xasprintf("%d..%d", specs[i].min, specs[i].max);
			assert_non_null(strstr(p, flag));
			free(flag);
		}
	}
	free(text);
}

/* The example loads, sets every option to its default, and carries each
 * option's block of --help as comments: the file cannot drift unseen. */
static void
test_example_matches_the_code(void **state)
{
	char *path = example_path(), *example = slurp(path);
	struct config cfg, defaults;
	char *text = NULL, *want, *usage, *line, *end, *dumped;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	(void)state;
	load(&cfg, "--config", path, NULL);
	load(&defaults, NULL);
	assert_config_equal(&cfg, &defaults);

	dumped = dump(&defaults);
	for (line = dumped; *line != '\0'; line = end + 1) {
		end = strchr(line, '\n');
		*end = '\0';
		if (!has_line(example, line))
			fail_msg("the example lacks \"%s\"", line);
	}
	free(dumped);

	assert_non_null(f);
	config_usage(f, "pingshend");
	assert_int_equal(fclose(f), 0);
	usage = strstr(text, "\n  --listen=");
	assert_non_null(usage);
	for (line = usage + 1; *line != '\0'; line = end + 1) {
		end = strchr(line, '\n');
		*end = '\0';
		if (*line == '\0')
			continue;
		want = xasprintf("#%s", line + 1);
		if (!has_line(example, want))
			fail_msg("the example lacks \"%s\"", want);
		free(want);
	}
	free(text);
	config_free(&cfg);
	config_free(&defaults);
	free(example);
	free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, clear_env, clear_env)
	    T(test_defaults),
	    T(test_file_then_env_then_flag),
	    T(test_env_names_the_file_and_the_flag_wins),
	    T(test_flag_forms),
	    T(test_bool_spellings),
	    T(test_int_bounds_of_every_option),
	    T(test_int_syntax),
	    T(test_leading_zeros),
	    T(test_string_limits),
	    T(test_file_syntax),
	    T(test_file_errors),
	    T(test_flag_errors),
	    T(test_actions),
	    T(test_create_admin_name_of_65_refused),
	    T(test_help_and_version_ignore_file_and_env),
	    T(test_free_is_idempotent),
	    T(test_dump_reloads_to_the_same_config),
	    T(test_usage_lists_every_option),
	    T(test_example_matches_the_code),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
