/*
 * pingshend: reads its configuration, checks and migrates the database,
 * then serves HTTPS on one event loop until SIGTERM or SIGINT, when it
 * stops accepting, lets the requests in flight finish, and closes the pool.
 */
#include <errno.h>
#include <event2/event.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "admin.h"
#include "catalog.h"
#include "config.h"
#include "events.h"
#include "hash_pool.h"
#include "http.h"
#include "metrics.h"
#include "migrate.h"
#include "pool.h"
#include "pwhash.h"
#include "sequencer.h"
#include "server.h"
#include "signing.h"
#include "table_cache.h"
#include "throttle.h"
#include "xalloc.h"

/* How long requests in flight may take to finish after SIGTERM. */
#define MAIN_GRACE_MS		10000
#define MAIN_ACQUIRE_TIMEOUT_MS 2000

/* The conninfo to use: the configured one, or the private cluster's. */
static char *
main_conninfo(const struct config *cfg)
{
	char dir[PATH_MAX];

	if (cfg->db[0] != '\0')
		return xstrdup(cfg->db);
	if (cfg->pg_dir[0] == '/')
		snprintf(dir, sizeof dir, "%s", cfg->pg_dir);
	else if (getcwd(dir, sizeof dir) != NULL)
		snprintf(dir + strlen(dir), sizeof dir - strlen(dir), "/%s",
			 cfg->pg_dir);
	return xasprintf("host='%s/sock' dbname=pingshen user=pingshen", dir);
}

/* Reads a password from standard input, without echo on a terminal. */
static char *
main_read_password(void)
{
	struct termios old, quiet;
	bool tty = isatty(STDIN_FILENO);
	char buf[1100];
	size_t len;

	if (tty) {
		fprintf(stderr, "password: ");
		tcgetattr(STDIN_FILENO, &old);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
	}
	if (fgets(buf, sizeof buf, stdin) == NULL)
		buf[0] = '\0';
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSANOW, &old);
		fputc('\n', stderr);
	}
	len = strcspn(buf, "\r\n");
	buf[len] = '\0';
	return xstrndup(buf, len);
}

static int
main_create_admin(const struct config *cfg, const char *conninfo)
{
	char *password = main_read_password(), *err = NULL;
	char encoded[PWHASH_ENCODED_MAX];
	size_t len = strlen(password);
	int rc;

	if (len < 10 || len > 1024) {
		fprintf(stderr, "pingshend: the password must be 10 to 1024 "
				"bytes long\n");
		OPENSSL_cleanse(password, len);
		free(password);
		return 1;
	}
	rc = pwhash_hash(password, len, cfg->scrypt_log2_n, encoded);
	OPENSSL_cleanse(password, len);
	free(password);
	if (rc < 0) {
		fprintf(stderr, "pingshend: hashing the password failed\n");
		return 1;
	}
	if (db_admin_create(conninfo, cfg->create_admin, encoded, &err) < 0) {
		fprintf(stderr, "pingshend: %s\n", err);
		free(err);
		return 1;
	}
	printf("pingshend: created administrator %s\n", cfg->create_admin);
	return 0;
}

/* ---- shutdown ---- */

struct main_stop {
	struct server *srv;
	struct event *check;
	int waited_ms;
};

static void
main_stop_check(evutil_socket_t fd, short what, void *arg)
{
	struct main_stop *st = arg;
	struct timeval tv = {0, 50 * 1000};

	(void)fd;
	(void)what;
	if ((http_active_requests(st->srv->http) == 0 &&
	     !sequencer_busy(st->srv->sequencer)) ||
	    st->waited_ms >= MAIN_GRACE_MS) {
		event_base_loopexit(st->srv->base, NULL);
		return;
	}
	st->waited_ms += 50;
	evtimer_add(st->check, &tv);
}

static void
main_signal(evutil_socket_t sig, short what, void *arg)
{
	struct main_stop *st = arg;

	(void)what;
	if (st->srv->stopping)
		return;
	fprintf(stderr, "pingshend: %s: finishing requests in flight\n",
		strsignal((int)sig));
	st->srv->stopping = true;
	http_stop_accepting(st->srv->http);
	/* Event streams never finish by themselves. */
	events_end_all(st->srv->events);
	event_active(st->check, EV_TIMEOUT, 0);
}

static int
main_serve(const struct config *cfg, const char *conninfo)
{
	struct server srv = {.cfg = cfg};
	struct db_pool_config pc = {
	    .conninfo = conninfo,
	    .size = cfg->db_pool_size,
	    .statement_timeout_ms = cfg->db_statement_timeout_ms,
	    .acquire_timeout_ms = MAIN_ACQUIRE_TIMEOUT_MS,
	};
	struct main_stop st = {.srv = &srv};
	struct event *sigterm, *sigint;
	char *err = NULL;
	bool clean;

	if (mkdir(cfg->data_dir, 0700) < 0 && errno != EEXIST) {
		fprintf(stderr, "pingshend: data folder %s: %s\n",
			cfg->data_dir, strerror(errno));
		return 1;
	}
	srv.signing = signing_open(cfg->data_dir, &err);
	if (srv.signing == NULL) {
		fprintf(stderr, "pingshend: %s\n", err);
		free(err);
		return 1;
	}
	srv.base = event_base_new();
	srv.metrics = metrics_new();
	srv.throttle =
	    throttle_new(cfg->login_max_failures, cfg->login_window_s);
	srv.hashes = hash_pool_new(srv.base, cfg->hash_workers,
				   cfg->hash_queue_max, cfg->scrypt_log2_n);
	if (srv.hashes == NULL) {
		fprintf(stderr, "pingshend: cannot start the hash workers\n");
		return 1;
	}
	srv.db = db_pool_new(srv.base, &pc);
	srv.http = http_new(&srv, &err);
	if (srv.http == NULL) {
		fprintf(stderr, "pingshend: %s\n", err);
		free(err);
		return 1;
	}
	srv.sequencer = sequencer_new(&srv);
	srv.events = events_new(&srv);
	srv.tables = table_cache_new();
	st.check = evtimer_new(srv.base, main_stop_check, &st);
	sigterm = evsignal_new(srv.base, SIGTERM, main_signal, &st);
	sigint = evsignal_new(srv.base, SIGINT, main_signal, &st);
	event_add(sigterm, NULL);
	event_add(sigint, NULL);

	printf("pingshend %s: listening on https://%s:%d/api/v1/\n",
	       PINGSHEN_VERSION, cfg->listen, cfg->port);
	event_base_dispatch(srv.base);

	/* Past the grace period something is still running: leave it to
	 * the exit rather than free memory under it. */
	clean = http_active_requests(srv.http) == 0 &&
		!sequencer_busy(srv.sequencer);
	if (clean) {
		events_free(srv.events);
		table_cache_free(srv.tables);
		sequencer_free(srv.sequencer);
		http_free(srv.http);
		hash_pool_free(srv.hashes);
		db_pool_free(srv.db);
		throttle_free(srv.throttle);
		metrics_free(srv.metrics);
		event_free(st.check);
		event_free(sigterm);
		event_free(sigint);
		event_base_free(srv.base);
		signing_free(srv.signing);
		catalog_free();
	}
	fprintf(stderr, "pingshend: stopped%s\n",
		clean ? "" : " with requests still in flight");
	return clean ? 0 : 1;
}

int
main(int argc, char **argv)
{
	struct config cfg = {0};
	char *err = NULL, *conninfo;
	int rc = 0;

	/* A client that leaves must cost an error code, not the process. */
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (config_load(&cfg, argc, argv, &err) < 0) {
		fprintf(stderr, "pingshend: %s\n", err);
		fprintf(stderr, "Try 'pingshend --help'.\n");
		free(err);
		config_free(&cfg);
		return 2;
	}
	conninfo = main_conninfo(&cfg);
	switch (cfg.action) {
	case CONFIG_HELP:
		config_usage(stdout, argv[0]);
		break;
	case CONFIG_VERSION:
		printf("pingshend %s\n", PINGSHEN_VERSION);
		break;
	case CONFIG_CHECK:
		config_dump(&cfg, stdout);
		break;
	case CONFIG_MIGRATE:
		if (db_migrate(conninfo, 1, stdout, &err) < 0) {
			fprintf(stderr, "pingshend: %s\n", err);
			rc = 1;
		} else {
			printf("pingshend: the database is up to date\n");
		}
		break;
	case CONFIG_CREATE_ADMIN:
		if (db_migrate(conninfo, cfg.migrate, stdout, &err) < 0) {
			fprintf(stderr, "pingshend: %s\n", err);
			rc = 1;
		} else {
			rc = main_create_admin(&cfg, conninfo);
		}
		break;
	case CONFIG_RUN:
		if (db_migrate(conninfo, cfg.migrate, stdout, &err) < 0) {
			fprintf(stderr, "pingshend: %s\n", err);
			rc = 1;
		} else {
			rc = main_serve(&cfg, conninfo);
		}
		break;
	}
	free(err);
	free(conninfo);
	config_free(&cfg);
	return rc;
}
