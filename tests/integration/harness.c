/*
 * The integration-test harness (harness.h): child processes for
 * deploy/pg-local, certs/make-dev-certs and pingshend; an HTTPS client on
 * libcurl, and a raw one on OpenSSL for bytes libcurl will not send; direct
 * database checks on libpq, pg_dump included; and an audit-chain verifier
 * written from API.md's description, not from the server's audit.c, so the
 * tests check the documented format rather than the code against itself.
 *
 * A server's standard output is a pipe that a thread of ours drains into a
 * log file and a list of lines: the server must never block on a full pipe,
 * and the tests wait for its "listening" line (a condition variable) instead
 * of sleeping.
 */
#define _GNU_SOURCE /* prctl's PR_SET_PDEATHSIG, timegm's neighbours */
#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#endif

#ifndef IT_PINGSHEND
#error "IT_PINGSHEND (the server binary) must be defined by the build"
#endif
#ifndef IT_SOURCE_DIR
#error "IT_SOURCE_DIR (the repository) must be defined by the build"
#endif
#ifndef IT_SERVER_VERSION
#error "IT_SERVER_VERSION must be defined by the build"
#endif

/* Bounds on waits the server promises to end: start-up (migrations and
 * one scrypt), a line of its log, and exit after SIGTERM (10 s grace). */
#define IT_START_WAIT_S 60
#define IT_LOG_WAIT_S	10
#define IT_EXIT_WAIT_S	30
/* No single request of these tests may take longer. */
#define IT_REQUEST_TIMEOUT_MS 30000
#define IT_PORT_ATTEMPTS      3

extern char **environ;

struct it_server {
	pid_t pid;
	int port;
	int out_fd; /* read end of the server's standard output */
	pthread_t reader;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	/* Under lock: */
	bool ready, eof;
	char **lines;
	size_t n_lines, cap_lines;
	/* Reader thread only: */
	FILE *log;
	char expect[160]; /* the line that says it is listening */
	struct it_server *next;
};

static struct {
	bool started, cluster;
	char dir[64];
	char pg_dir[128];
	char certs[128];
	char ca[160], cert[160], key[160];
	char data_dir[128];
	char conninfo[512];
	struct it_server *servers; /* running */
	struct it_server *current;
	int n_started; /* servers ever started, to name their logs */
	PGconn *db;
	/* Answers of it_do not yet freed: a failed assertion skips the
	 * it_resp_free after it, and it_env_stop frees them instead. */
	struct it_resp **live;
	size_t n_live, cap_live;
} it_env;

/* Setup that cannot go on: say why and leave (atexit cleans up). */
static void
it_die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "it: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

static void *
it_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		it_die("out of memory");
	return p;
}

static void *
it_xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (p == NULL)
		it_die("out of memory");
	return p;
}

static char *
it_xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(it_xmalloc(n), s, n);
}

/* ---- child processes ---- */

/* An exit status as a shell shows it: the code, or 128 + the signal. */
static int
it_exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 255;
}

/* Reaps pid; 255 when it cannot (never exits: this also runs during
 * it_env_stop, from atexit). */
static int
it_wait_child(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			fprintf(stderr, "it: waitpid %d: %s\n", (int)pid,
				strerror(errno));
			return 255;
		}
	}
	return it_exit_code(status);
}

/* Writes all of buf to fd; false when the reader left. */
static bool
it_write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		buf += n;
		len -= (size_t)n;
	}
	return true;
}

/*
 * Runs argv[0] with input (or nothing) on its standard input.  Its output
 * is captured into out (out_len bytes, NUL-terminated) when out is not
 * NULL, else discarded; its errors reach ours.  Returns the exit status.
 */
static int
it_run(char *const argv[], const char *input, char *out, size_t out_len)
{
	int in[2] = {-1, -1}, res[2] = {-1, -1}, devnull;
	size_t got = 0;
	pid_t pid;

	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0 || pipe(in) < 0 || pipe(res) < 0)
		it_die("pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		it_die("fork: %s", strerror(errno));
	if (pid == 0) {
		/* Only async-signal-safe calls between fork and exec. */
		dup2(in[0], STDIN_FILENO);
		dup2(out != NULL ? res[1] : devnull, STDOUT_FILENO);
		close(in[0]);
		close(in[1]);
		close(res[0]);
		close(res[1]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(in[0]);
	close(res[1]);
	close(devnull);
	if (input != NULL)
		(void)it_write_all(in[1], input, strlen(input));
	close(in[1]);
	for (;;) {
		char buf[512];
		ssize_t n = read(res[0], buf, sizeof buf);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (out != NULL && got + 1 < out_len) {
			size_t take = (size_t)n < out_len - 1 - got
					  ? (size_t)n
					  : out_len - 1 - got;

			memcpy(out + got, buf, take);
			got += take;
		}
	}
	close(res[0]);
	if (out != NULL)
		out[got] = '\0';
	return it_wait_child(pid);
}

/* ---- environment ---- */

const char *
it_dir(void)
{
	return it_env.dir;
}

const char *
it_conninfo(void)
{
	return it_env.conninfo;
}

const char *
it_ca_file(void)
{
	return it_env.ca;
}

int
it_pg_local(const char *cmd)
{
	char *argv[] = {IT_SOURCE_DIR "/deploy/pg-local", "--dir",
			it_env.pg_dir, (char *)cmd, NULL};

	return it_run(argv, NULL, NULL, 0);
}

void
it_env_start(void)
{
	/* The caller's libpq settings would steer our connections and the
	 * server's (PGPORT even renames the socket file). */
	static const char *const pg_vars[] = {
	    "PGHOST",	  "PGHOSTADDR", "PGPORT",	 "PGUSER",
	    "PGDATABASE", "PGSERVICE",	"PGSERVICEFILE", "PGOPTIONS",
	    "PGPASSWORD", "PGPASSFILE", "PGSSLMODE",	 "PGTARGETSESSIONATTRS",
	};
	char *certs[] = {IT_SOURCE_DIR "/certs/make-dev-certs", "--dir",
			 it_env.certs, NULL};
	char *conninfo[] = {IT_SOURCE_DIR "/deploy/pg-local", "--dir",
			    it_env.pg_dir, "conninfo", NULL};

	for (size_t i = 0; i < sizeof pg_vars / sizeof *pg_vars; i++)
		unsetenv(pg_vars[i]);
	/* A child that stops reading, or a server that hangs up, must cost
	 * an error code, not this program. */
	signal(SIGPIPE, SIG_IGN);
	/* Under /tmp, never the build folder: the postgres account must be
	 * able to traverse every parent of the cluster. */
	snprintf(it_env.dir, sizeof it_env.dir, "/tmp/pingshen-it-XXXXXX");
	if (mkdtemp(it_env.dir) == NULL)
		it_die("mkdtemp: %s", strerror(errno));
	it_env.started = true;
	atexit(it_env_stop);
#if defined(__SANITIZE_ADDRESS__)
	/* A sanitizer report ends the program without atexit: the cluster
	 * would outlive it. */
	__sanitizer_set_death_callback(it_env_stop);
#endif
	if (chmod(it_env.dir, 0755) < 0)
		it_die("chmod %s: %s", it_env.dir, strerror(errno));
	snprintf(it_env.pg_dir, sizeof it_env.pg_dir, "%s/pg", it_env.dir);
	snprintf(it_env.certs, sizeof it_env.certs, "%s/certs", it_env.dir);
	snprintf(it_env.ca, sizeof it_env.ca, "%s/ca.crt", it_env.certs);
	snprintf(it_env.cert, sizeof it_env.cert, "%s/server.crt",
		 it_env.certs);
	snprintf(it_env.key, sizeof it_env.key, "%s/server.key", it_env.certs);
	snprintf(it_env.data_dir, sizeof it_env.data_dir, "%s/data",
		 it_env.dir);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		it_die("curl_global_init failed");

	it_env.cluster = true;
	if (it_pg_local("start") != 0)
		it_die("deploy/pg-local --dir %s start failed", it_env.pg_dir);
	if (it_run(certs, NULL, NULL, 0) != 0)
		it_die("certs/make-dev-certs --dir %s failed", it_env.certs);
	if (it_run(conninfo, NULL, it_env.conninfo, sizeof it_env.conninfo) !=
	    0)
		it_die("deploy/pg-local conninfo failed");
	it_env.conninfo[strcspn(it_env.conninfo, "\n")] = '\0';
}

static void it_server_free(struct it_server *srv);

void
it_env_stop(void)
{
	char *rm[] = {"/bin/rm", "-rf", "--", it_env.dir, NULL};

	if (!it_env.started)
		return;
	it_env.started = false;
	/* Servers still running here are left over from a failed test. */
	while (it_env.servers != NULL) {
		struct it_server *srv = it_env.servers;

		kill(srv->pid, SIGKILL);
		(void)it_wait_child(srv->pid);
		it_server_free(srv);
	}
	if (it_env.db != NULL)
		PQfinish(it_env.db);
	it_env.db = NULL;
	while (it_env.n_live > 0)
		it_resp_free(it_env.live[it_env.n_live - 1]);
	free(it_env.live);
	it_env.live = NULL;
	it_env.cap_live = 0;
	if (it_env.cluster && it_pg_local("stop") != 0)
		fprintf(stderr, "it: deploy/pg-local --dir %s stop failed\n",
			it_env.pg_dir);
	it_env.cluster = false;
	if (it_run(rm, NULL, NULL, 0) != 0)
		fprintf(stderr, "it: could not remove %s\n", it_env.dir);
	curl_global_cleanup();
}

int
it_create_admin(const char *name, const char *password, const char *log2_n)
{
	char db[600], cost[40], data[160], input[1100];
	char *argv[] = {
	    IT_PINGSHEND, "--create-admin", (char *)name, db, cost, data, NULL};

	snprintf(db, sizeof db, "--db=%s", it_env.conninfo);
	snprintf(cost, sizeof cost, "--scrypt-log2-n=%s", log2_n);
	snprintf(data, sizeof data, "--data-dir=%s", it_env.data_dir);
	snprintf(input, sizeof input, "%s\n", password);
	return it_run(argv, input, NULL, 0);
}

/* ---- servers ---- */

/* A port nobody listens on now (another program could still take it
 * before the server binds: it_server_start then tries another). */
static int
it_free_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) < 0)
		it_die("finding a free port: %s", strerror(errno));
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

/* Records one line of the server's output (reader thread). */
static void
it_server_line(struct it_server *srv, const char *line, size_t len)
{
	char *copy = it_xmalloc(len + 1);

	memcpy(copy, line, len);
	copy[len] = '\0';
	if (srv->log != NULL) {
		fprintf(srv->log, "%s\n", copy);
		fflush(srv->log);
	}
	pthread_mutex_lock(&srv->lock);
	if (srv->n_lines == srv->cap_lines) {
		srv->cap_lines = srv->cap_lines ? 2 * srv->cap_lines : 64;
		srv->lines = it_xrealloc(srv->lines,
					 srv->cap_lines * sizeof *srv->lines);
	}
	srv->lines[srv->n_lines++] = copy;
	if (!srv->ready && strcmp(copy, srv->expect) == 0)
		srv->ready = true;
	pthread_cond_broadcast(&srv->cond);
	pthread_mutex_unlock(&srv->lock);
}

/* Drains the server's standard output until it closes. */
static void *
it_server_reader(void *arg)
{
	struct it_server *srv = arg;
	char buf[8192];
	size_t used = 0;

	for (;;) {
		ssize_t n = read(srv->out_fd, buf + used, sizeof buf - used);
		char *start = buf, *nl;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		used += (size_t)n;
		while (
		    (nl = memchr(start, '\n', used - (size_t)(start - buf)))) {
			it_server_line(srv, start, (size_t)(nl - start));
			start = nl + 1;
		}
		used -= (size_t)(start - buf);
		memmove(buf, start, used);
		if (used == sizeof buf) { /* a line longer than buf */
			it_server_line(srv, buf, used);
			used = 0;
		}
	}
	if (used > 0)
		it_server_line(srv, buf, used);
	pthread_mutex_lock(&srv->lock);
	srv->eof = true;
	pthread_cond_broadcast(&srv->cond);
	pthread_mutex_unlock(&srv->lock);
	return NULL;
}

static void
it_deadline(struct timespec *ts, int seconds)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += seconds;
}

/* Waits under srv->lock until done(srv, arg) or eof or the bound. */
static bool
it_server_wait(struct it_server *srv, int seconds,
	       bool (*done)(struct it_server *, const void *), const void *arg)
{
	struct timespec until;
	bool ok;

	it_deadline(&until, seconds);
	pthread_mutex_lock(&srv->lock);
	while (!(ok = done(srv, arg)) && !srv->eof) {
		if (pthread_cond_timedwait(&srv->cond, &srv->lock, &until) ==
		    ETIMEDOUT) {
			ok = done(srv, arg);
			break;
		}
	}
	pthread_mutex_unlock(&srv->lock);
	return ok;
}

static bool
it_server_is_ready(struct it_server *srv, const void *arg)
{
	(void)arg;
	return srv->ready;
}

static bool
it_server_is_gone(struct it_server *srv, const void *arg)
{
	(void)arg;
	return srv->eof;
}

/* Environment for the server: ours without PINGSHEN_* settings, which
 * would add options the test did not choose (PINGSHEN_CONFIG above all).
 * PINGSHEN_DB_TRACE only adds tracing, so it may stay. */
static char **
it_server_environ(void)
{
	size_t n = 0, k = 0;
	char **env;

	while (environ[n] != NULL)
		n++;
	env = it_xmalloc((n + 1) * sizeof *env);
	for (size_t i = 0; i < n; i++) {
		if (strncmp(environ[i], "PINGSHEN_", 9) == 0 &&
		    strncmp(environ[i], "PINGSHEN_DB_TRACE=", 18) != 0)
			continue;
		env[k++] = environ[i];
	}
	env[k] = NULL;
	return env;
}

static struct it_server *
it_server_spawn(const char *const *extra, int port)
{
	struct it_server *srv = calloc(1, sizeof *srv);
	char port_arg[32], cert[200], key[200], db[600], data[160], path[200];
	const char *fixed[] = {
	    IT_PINGSHEND, "--listen=127.0.0.1", port_arg, cert, key, db,
	    data,	  "--access-log=true"};
	size_t n_fixed = sizeof fixed / sizeof *fixed, n_extra = 0;
	char **argv, **env;
	pthread_condattr_t ca;
	int out[2];

	if (srv == NULL)
		it_die("out of memory");
	while (extra != NULL && extra[n_extra] != NULL)
		n_extra++;
	snprintf(port_arg, sizeof port_arg, "--port=%d", port);
	snprintf(cert, sizeof cert, "--tls-cert=%s", it_env.cert);
	snprintf(key, sizeof key, "--tls-key=%s", it_env.key);
	snprintf(db, sizeof db, "--db=%s", it_env.conninfo);
	snprintf(data, sizeof data, "--data-dir=%s", it_env.data_dir);
	argv = it_xmalloc((n_fixed + n_extra + 1) * sizeof *argv);
	for (size_t i = 0; i < n_fixed; i++)
		argv[i] = (char *)fixed[i];
	for (size_t i = 0; i < n_extra; i++)
		argv[n_fixed + i] = (char *)extra[i];
	argv[n_fixed + n_extra] = NULL;
	env = it_server_environ();

	srv->port = port;
	snprintf(srv->expect, sizeof srv->expect,
		 "pingshend %s: listening on https://127.0.0.1:%d/api/v1/",
		 IT_SERVER_VERSION, port);
	snprintf(path, sizeof path, "%s/server-%d.log", it_env.dir,
		 ++it_env.n_started);
	srv->log = fopen(path, "we");
	pthread_mutex_init(&srv->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&srv->cond, &ca);
	pthread_condattr_destroy(&ca);
	/* Both ends close on exec: a later server must not hold this one's
	 * pipe open, or its reader would never see the end. */
	if (pipe2(out, O_CLOEXEC) < 0)
		it_die("pipe: %s", strerror(errno));
	fflush(NULL);
	srv->pid = fork();
	if (srv->pid < 0)
		it_die("fork: %s", strerror(errno));
	if (srv->pid == 0) {
		/* Should this program die, the server goes with it. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(out[1], STDOUT_FILENO);
		execve(argv[0], argv, env);
		_exit(127);
	}
	close(out[1]);
	free(argv);
	free(env);
	srv->out_fd = out[0];
	if (pthread_create(&srv->reader, NULL, it_server_reader, srv) != 0)
		it_die("pthread_create failed");
	return srv;
}

/* Frees a server whose process has been reaped. */
static void
it_server_free(struct it_server *srv)
{
	struct it_server **pp;

	for (pp = &it_env.servers; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == srv) {
			*pp = srv->next;
			break;
		}
	}
	if (it_env.current == srv)
		it_env.current = NULL;
	pthread_join(srv->reader, NULL);
	close(srv->out_fd);
	if (srv->log != NULL)
		fclose(srv->log);
	for (size_t i = 0; i < srv->n_lines; i++)
		free(srv->lines[i]);
	free(srv->lines);
	pthread_mutex_destroy(&srv->lock);
	pthread_cond_destroy(&srv->cond);
	free(srv);
}

struct it_server *
it_server_start(const char *const *extra_args)
{
	for (int attempt = 0; attempt < IT_PORT_ATTEMPTS; attempt++) {
		struct it_server *srv =
		    it_server_spawn(extra_args, it_free_port());
		int code;

		if (it_server_wait(srv, IT_START_WAIT_S, it_server_is_ready,
				   NULL)) {
			srv->next = it_env.servers;
			it_env.servers = srv;
			it_env.current = srv;
			return srv;
		}
		/* It exited, most likely because another program took the
		 * port first; or it hangs, which the kill ends. */
		kill(srv->pid, SIGKILL);
		code = it_wait_child(srv->pid);
		fprintf(stderr,
			"it: pingshend on port %d did not start (status %d)\n",
			srv->port, code);
		it_server_free(srv);
	}
	it_die("pingshend did not start in %d attempts", IT_PORT_ATTEMPTS);
	return NULL;
}

void
it_server_use(struct it_server *srv)
{
	it_env.current = srv;
}

int
it_server_port(const struct it_server *srv)
{
	return srv->port;
}

int
it_server_stop(struct it_server *srv)
{
	int code;

	kill(srv->pid, SIGTERM);
	/* Its standard output closes when it exits; the bound covers the
	 * server's own grace period for requests in flight. */
	if (!it_server_wait(srv, IT_EXIT_WAIT_S, it_server_is_gone, NULL)) {
		fprintf(stderr, "it: pingshend ignored SIGTERM for %d s\n",
			IT_EXIT_WAIT_S);
		kill(srv->pid, SIGKILL);
	}
	code = it_wait_child(srv->pid);
	if (code != 0) {
		/* The log file goes with the folder: show its end now. */
		size_t from = srv->n_lines > 10 ? srv->n_lines - 10 : 0;

		fprintf(stderr,
			"it: pingshend exited with status %d; the "
			"last lines of its output:\n",
			code);
		for (size_t i = from; i < srv->n_lines; i++)
			fprintf(stderr, "  %s\n", srv->lines[i]);
	}
	it_server_free(srv);
	return code;
}

/* True when some line contains every needle of the NULL-terminated list. */
static bool
it_server_has_line(struct it_server *srv, const void *arg)
{
	const char *const *needles = arg;

	for (size_t i = 0; i < srv->n_lines; i++) {
		size_t k;

		for (k = 0; needles[k] != NULL; k++) {
			if (strstr(srv->lines[i], needles[k]) == NULL)
				break;
		}
		if (needles[k] == NULL)
			return true;
	}
	return false;
}

bool
it_server_log_wait(struct it_server *srv, const char *const *needles)
{
	return it_server_wait(srv, IT_LOG_WAIT_S, it_server_has_line, needles);
}

bool
it_server_log_lacks(struct it_server *srv, const char *needle)
{
	const char *const needles[] = {needle, NULL};
	bool found;

	pthread_mutex_lock(&srv->lock);
	found = it_server_has_line(srv, needles);
	pthread_mutex_unlock(&srv->lock);
	return !found;
}

/* ---- HTTP ---- */

static size_t
it_on_body(char *data, size_t size, size_t n, void *arg)
{
	struct it_resp *resp = arg;
	size_t len = size * n;

	resp->body = it_xrealloc(resp->body, resp->body_len + len + 1);
	memcpy(resp->body + resp->body_len, data, len);
	resp->body_len += len;
	resp->body[resp->body_len] = '\0';
	return len;
}

static size_t
it_on_header(char *data, size_t size, size_t n, void *arg)
{
	struct it_resp *resp = arg;
	size_t len = size * n, keep = len;

	/* A status line starts a new answer (after a 100 Continue, say):
	 * only the final answer's headers count. */
	if (len >= 5 && memcmp(data, "HTTP/", 5) == 0) {
		for (size_t i = 0; i < resp->n_headers; i++)
			free(resp->headers[i]);
		resp->n_headers = 0;
		return len;
	}
	while (keep > 0 && (data[keep - 1] == '\n' || data[keep - 1] == '\r'))
		keep--;
	if (keep == 0)
		return len;
	resp->headers = it_xrealloc(resp->headers, (resp->n_headers + 1) *
						       sizeof *resp->headers);
	resp->headers[resp->n_headers] = it_xmalloc(keep + 1);
	memcpy(resp->headers[resp->n_headers], data, keep);
	resp->headers[resp->n_headers][keep] = '\0';
	resp->n_headers++;
	return len;
}

/* The value of header line h when it is called name, else NULL. */
static const char *
it_header_value(const char *h, const char *name)
{
	size_t n = strlen(name);

	if (strncasecmp(h, name, n) != 0 || h[n] != ':')
		return NULL;
	h += n + 1;
	while (*h == ' ' || *h == '\t')
		h++;
	return h;
}

const char *
it_header(const struct it_resp *resp, const char *name)
{
	for (size_t i = 0; i < resp->n_headers; i++) {
		const char *v = it_header_value(resp->headers[i], name);

		if (v != NULL)
			return v;
	}
	return NULL;
}

size_t
it_header_count(const struct it_resp *resp, const char *name)
{
	size_t count = 0;

	for (size_t i = 0; i < resp->n_headers; i++)
		count += it_header_value(resp->headers[i], name) != NULL;
	return count;
}

/* True when the NULL-terminated list has a header line called name. */
static bool
it_headers_have(const char *const *headers, const char *name)
{
	for (size_t i = 0; headers != NULL && headers[i] != NULL; i++) {
		if (it_header_value(headers[i], name) != NULL)
			return true;
	}
	return false;
}

CURL *
it_easy_new(const struct it_req *req, struct it_resp *resp)
{
	const char *method = req->method ? req->method : "GET";
	struct curl_slist *h = NULL;
	char url[2048], line[256];
	CURL *easy = curl_easy_init();

	if (easy == NULL || it_env.current == NULL)
		it_die("no curl handle or no server to talk to");
	snprintf(url, sizeof url, "%s://127.0.0.1:%d%s",
		 req->plain_http ? "http" : "https", it_env.current->port,
		 req->path);
	curl_easy_setopt(easy, CURLOPT_URL, url);
	/* Verification stays on: the temporary CA is the only trust. */
	curl_easy_setopt(easy, CURLOPT_CAINFO, it_env.ca);
	curl_easy_setopt(easy, CURLOPT_CAPATH, NULL);
	curl_easy_setopt(easy, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, (long)IT_REQUEST_TIMEOUT_MS);
	curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, resp->errbuf);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, it_on_body);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, resp);
	curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, it_on_header);
	curl_easy_setopt(easy, CURLOPT_HEADERDATA, resp);
	if (req->ssl_version != 0)
		curl_easy_setopt(easy, CURLOPT_SSLVERSION, req->ssl_version);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
	else if (strcmp(method, "GET") != 0)
		curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, method);
	if (req->body != NULL) {
		curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)(req->body_len
						  ? req->body_len
						  : strlen(req->body)));
		curl_easy_setopt(easy, CURLOPT_POSTFIELDS, req->body);
		if (!it_headers_have(req->headers, "Content-Type"))
			h = curl_slist_append(h,
					      "Content-Type: application/json");
	}
	/* Every body goes at once: no 100-continue round trip to vary the
	 * server's path between runs. */
	h = curl_slist_append(h, "Expect:");
	if (req->token != NULL) {
		snprintf(line, sizeof line, "Authorization: Bearer %s",
			 req->token);
		h = curl_slist_append(h, line);
	}
	for (size_t i = 0; req->headers != NULL && req->headers[i] != NULL; i++)
		h = curl_slist_append(h, req->headers[i]);
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(easy, CURLOPT_PRIVATE, (void *)h);
	return easy;
}

void
it_easy_done(CURL *easy, struct it_resp *resp, CURLcode code)
{
	struct curl_slist *h = NULL;
	const char *ct;
	char *priv = NULL;

	resp->curl = code;
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &resp->status);
	curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
	h = (struct curl_slist *)(void *)priv;
	curl_slist_free_all(h);
	curl_easy_cleanup(easy);
	if (code != CURLE_OK)
		resp->status = 0;
	ct = it_header(resp, "Content-Type");
	if (resp->status != 0 && resp->body_len > 0 && ct != NULL &&
	    strncmp(ct, "application/json", 16) == 0)
		resp->json = json_loadb(resp->body, resp->body_len,
					JSON_REJECT_DUPLICATES, NULL);
}

void
it_resp_free(struct it_resp *resp)
{
	if (resp == NULL)
		return;
	for (size_t i = 0; i < it_env.n_live; i++) {
		if (it_env.live[i] == resp) {
			it_env.live[i] = it_env.live[--it_env.n_live];
			break;
		}
	}
	free(resp->body);
	json_decref(resp->json);
	for (size_t i = 0; i < resp->n_headers; i++)
		free(resp->headers[i]);
	free(resp->headers);
	free(resp);
}

struct it_resp *
it_resp_new(void)
{
	struct it_resp *resp = calloc(1, sizeof *resp);

	if (resp == NULL)
		it_die("out of memory");
	resp->body = it_xstrdup("");
	if (it_env.n_live == it_env.cap_live) {
		it_env.cap_live = it_env.cap_live ? 2 * it_env.cap_live : 16;
		it_env.live = it_xrealloc(it_env.live, it_env.cap_live *
							   sizeof *it_env.live);
	}
	it_env.live[it_env.n_live++] = resp;
	return resp;
}

/* Fails the test with the request named. */
#define IT_FAIL(req, ...)                                                      \
	do {                                                                   \
		print_error("%s %s: ", (req)->method ? (req)->method : "GET",  \
			    (req)->path);                                      \
		print_error(__VA_ARGS__);                                      \
		print_error("\n");                                             \
		fail();                                                        \
	} while (0)

/* One header that must appear exactly once with exactly this value. */
static void
it_check_header(const struct it_req *req, const struct it_resp *resp,
		const char *name, const char *want)
{
	const char *v = it_header(resp, name);

	if (it_header_count(resp, name) != 1 || v == NULL)
		IT_FAIL(req, "status %ld: %zu %s headers, want 1", resp->status,
			it_header_count(resp, name), name);
	if (want != NULL && strcmp(v, want) != 0)
		IT_FAIL(req, "status %ld: %s is \"%s\", want \"%s\"",
			resp->status, name, v, want);
}

/* What every answer of the server carries (API.md, Conventions). */
static void
it_check_answer(const struct it_req *req, const struct it_resp *resp)
{
	bool metrics = strncmp(req->path, V1 "/metrics", 15) == 0;
	const char *v;

	it_check_header(req, resp, "Cache-Control", "no-store");
	it_check_header(req, resp, "X-Content-Type-Options", "nosniff");
	it_check_header(req, resp, "X-Frame-Options", "DENY");
	it_check_header(req, resp, "Referrer-Policy", "no-referrer");
	it_check_header(req, resp, "Content-Type",
			metrics ? "text/plain; version=0.0.4; charset=utf-8"
				: "application/json; charset=utf-8");
	it_check_header(req, resp, "Strict-Transport-Security", NULL);
	v = it_header(resp, "Strict-Transport-Security");
	/* At least a year, which is what preload lists ask for. */
	if (strncmp(v, "max-age=", 8) != 0 || atol(v + 8) < 31536000)
		IT_FAIL(req, "weak Strict-Transport-Security \"%s\"", v);
	it_check_header(req, resp, "Content-Security-Policy", NULL);
	v = it_header(resp, "Content-Security-Policy");
	if (strstr(v, "default-src 'none'") == NULL)
		IT_FAIL(req, "Content-Security-Policy \"%s\" allows content",
			v);
	it_check_header(req, resp, "X-Request-Id", NULL);
	v = it_header(resp, "X-Request-Id");
	if (strlen(v) != 16 || strspn(v, "0123456789abcdef") != 16)
		IT_FAIL(req, "X-Request-Id \"%s\" is not 16 hex digits", v);
	if (resp->status == 204) {
		if (resp->body_len != 0)
			IT_FAIL(req, "204 with a body of %zu bytes",
				resp->body_len);
	} else if (!metrics &&
		   (req->method == NULL || strcmp(req->method, "HEAD") != 0)) {
		if (resp->json == NULL)
			IT_FAIL(req, "status %ld: the body is not JSON: %.200s",
				resp->status, resp->body);
	}
}

struct it_resp *
it_do(const struct it_req *req)
{
	struct it_resp *resp = it_resp_new();
	CURL *easy = it_easy_new(req, resp);

	it_easy_done(easy, resp, curl_easy_perform(easy));
	/* libevent answers an oversized body itself, before our code runs:
	 * that answer is the one without our headers. */
	if (!req->raw && resp->status != 0 && resp->status != 413)
		it_check_answer(req, resp);
	return resp;
}

struct it_resp *
it_get(const char *path, const char *token)
{
	return it_do(&(struct it_req){.path = path, .token = token});
}

struct it_resp *
it_delete(const char *path, const char *token)
{
	return it_do(
	    &(struct it_req){.method = "DELETE", .path = path, .token = token});
}

struct it_resp *
it_send(const char *method, const char *path, const char *token,
	const char *body)
{
	return it_do(&(struct it_req){
	    .method = method, .path = path, .token = token, .body = body});
}

struct it_resp *
it_send_json(const char *method, const char *path, const char *token,
	     json_t *body)
{
	char *text = json_dumps(body, JSON_COMPACT);
	struct it_resp *resp;

	if (text == NULL)
		it_die("json_dumps failed");
	json_decref(body);
	resp = it_send(method, path, token, text);
	free(text);
	return resp;
}

/* ---- raw requests ---- */

/* Content-Length of a head, or -1 when it has none we can read. */
static long long
it_raw_length(const struct it_resp *resp)
{
	const char *v = it_header(resp, "Content-Length");
	char *end;
	long long n;

	if (v == NULL)
		return -1;
	n = strtoll(v, &end, 10);
	return end != v && n >= 0 ? n : -1;
}

/* The status line and header lines of head[0..len) into resp. */
static void
it_raw_head(struct it_resp *resp, const char *head, size_t len)
{
	const char *p = head, *end = head + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *next = nl ? nl + 1 : end;
		size_t n = (size_t)((nl ? nl : end) - p);

		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (p == head) {
			if (n > 9 && memcmp(p, "HTTP/1.", 7) == 0)
				resp->status = strtol(p + 9, NULL, 10);
		} else if (n > 0) {
			resp->headers = it_xrealloc(resp->headers,
						    (resp->n_headers + 1) *
							sizeof *resp->headers);
			resp->headers[resp->n_headers] = it_xmalloc(n + 1);
			memcpy(resp->headers[resp->n_headers], p, n);
			resp->headers[resp->n_headers][n] = '\0';
			resp->n_headers++;
		}
		p = next;
	}
}

/* A TLS connection to the current server, or NULL with why in resp. */
static SSL *
it_raw_connect(struct it_resp *resp)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	struct timeval tv = {IT_REQUEST_TIMEOUT_MS / 1000, 0};
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL *ssl = NULL;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (ctx == NULL || fd < 0 || it_env.current == NULL)
		it_die("it_raw: no TLS context, socket or server");
	a.sin_port = htons((uint16_t)it_env.current->port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	/* Bounded both ways: a server that never answers fails the request
	 * instead of hanging the test. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	if (SSL_CTX_load_verify_locations(ctx, it_env.ca, NULL) != 1)
		it_die("it_raw: cannot load %s", it_env.ca);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
		snprintf(resp->errbuf, sizeof resp->errbuf, "connect: %s",
			 strerror(errno));
		goto out;
	}
	ssl = SSL_new(ctx);
	if (ssl == NULL || X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl),
							 "127.0.0.1") != 1)
		it_die("it_raw: SSL_new failed");
	SSL_set_fd(ssl, fd);
	if (SSL_connect(ssl) != 1) {
		snprintf(resp->errbuf, sizeof resp->errbuf,
			 "TLS handshake failed");
		ERR_clear_error();
		SSL_free(ssl);
		ssl = NULL;
		goto out;
	}
	fd = -1; /* the SSL's now: it_raw closes it */
out:
	if (fd >= 0)
		close(fd);
	SSL_CTX_free(ctx);
	return ssl;
}

struct it_resp *
it_raw(const void *bytes, size_t len)
{
	struct it_resp *resp = it_resp_new();
	SSL *ssl = it_raw_connect(resp);
	const char *p = bytes, *ct;
	size_t sent = 0, got = 0, cap = 0, head = 0, want = SIZE_MAX;
	char *buf = NULL, *blank;
	int n;

	resp->curl = CURLE_RECV_ERROR;
	if (ssl == NULL)
		return resp;
	/* A server that refuses early may close before it read it all. */
	while (sent < len) {
		size_t chunk = len - sent > 65536 ? 65536 : len - sent;

		if ((n = SSL_write(ssl, p + sent, (int)chunk)) <= 0)
			break;
		sent += (size_t)n;
	}
	ERR_clear_error();
	while (got < want) {
		if (cap - got < 16384) {
			cap = cap ? 2 * cap : 65536;
			buf = it_xrealloc(buf, cap + 1);
		}
		n = SSL_read(ssl, buf + got, (int)(cap - got));
		if (n <= 0)
			break;
		got += (size_t)n;
		buf[got] = '\0';
		if (head == 0 && (blank = strstr(buf, "\r\n\r\n")) != NULL) {
			long long cl;

			head = (size_t)(blank - buf) + 4;
			it_raw_head(resp, buf, head - 2);
			cl = it_raw_length(resp);
			if (cl >= 0)
				want = head + (size_t)cl;
		}
	}
	ERR_clear_error();
	close(SSL_get_fd(ssl));
	SSL_free(ssl);
	if (head == 0) {
		resp->status = 0;
		snprintf(resp->errbuf, sizeof resp->errbuf,
			 "no answer (%zu bytes)", got);
		free(buf);
		return resp;
	}
	if (got > want)
		got = want;
	resp->curl = CURLE_OK;
	free(resp->body);
	resp->body_len = got - head;
	resp->body = it_xmalloc(resp->body_len + 1);
	memcpy(resp->body, buf + head, resp->body_len);
	resp->body[resp->body_len] = '\0';
	free(buf);
	ct = it_header(resp, "Content-Type");
	if (resp->body_len > 0 && ct != NULL &&
	    strncmp(ct, "application/json", 16) == 0)
		resp->json = json_loadb(resp->body, resp->body_len,
					JSON_REJECT_DUPLICATES, NULL);
	return resp;
}

void
it_assert_status(const struct it_resp *resp, long status)
{
	if (resp->status != status) {
		print_error("status %ld (curl: %s), want %ld; body: %.300s\n",
			    resp->status,
			    resp->curl ? curl_easy_strerror(resp->curl) : "ok",
			    status, resp->body);
		fail();
	}
}

void
it_assert_error(const struct it_resp *resp, long status, const char *code)
{
	json_t *err, *c, *m, *d;

	it_assert_status(resp, status);
	assert_non_null(resp->json);
	err = json_object_get(resp->json, "error");
	assert_true(json_is_object(err));
	assert_int_equal(json_object_size(resp->json), 1);
	c = json_object_get(err, "code");
	m = json_object_get(err, "message");
	d = json_object_get(err, "details");
	assert_true(json_is_string(c));
	if (strcmp(json_string_value(c), code) != 0) {
		print_error("error code \"%s\", want \"%s\"; body: %.300s\n",
			    json_string_value(c), code, resp->body);
		fail();
	}
	assert_true(json_is_string(m));
	assert_true(json_string_length(m) > 0);
	assert_true(d == NULL || json_is_object(d));
	assert_int_equal(json_object_size(err), d == NULL ? 2 : 3);
}

/* ---- accounts ---- */

char *
it_login(const char *username, const char *password)
{
	struct it_resp *r =
	    it_send_json("POST", V1 "/sessions", NULL,
			 json_pack("{s:s, s:s}", "username", username,
				   "password", password));
	json_t *token;
	char *out;

	it_assert_status(r, 201);
	token = json_object_get(r->json, "token");
	assert_true(json_is_string(token));
	out = it_xstrdup(json_string_value(token));
	it_resp_free(r);
	return out;
}

long long
it_create_user(const char *admin_token, const char *username, const char *role,
	       const char *password)
{
	struct it_resp *r = it_send_json(
	    "POST", V1 "/users", admin_token,
	    json_pack("{s:s, s:s, s:s, s:s}", "username", username, "role",
		      role, "password", password, "display_name", username));
	json_t *id;
	long long out;

	it_assert_status(r, 201);
	id = json_object_get(r->json, "id");
	assert_true(json_is_integer(id));
	out = json_integer_value(id);
	it_resp_free(r);
	return out;
}

/* ---- database ---- */

static void
it_db_quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

PGconn *
it_db(void)
{
	if (it_env.db != NULL && PQstatus(it_env.db) != CONNECTION_OK) {
		PQfinish(it_env.db);
		it_env.db = NULL;
	}
	if (it_env.db == NULL) {
		it_env.db = PQconnectdb(it_env.conninfo);
		if (PQstatus(it_env.db) != CONNECTION_OK)
			it_die("connecting to %s: %s", it_env.conninfo,
			       PQerrorMessage(it_env.db));
		/* TRUNCATE ... CASCADE and friends chatter on stderr. */
		PQsetNoticeProcessor(it_env.db, it_db_quiet, NULL);
	}
	return it_env.db;
}

/* PQexec on the test's connection, reconnecting once when it was cut
 * (the outage test restarts the cluster under it). */
static PGresult *
it_db_exec(const char *sql)
{
	PGresult *res = PQexec(it_db(), sql);

	if (PQstatus(it_env.db) != CONNECTION_OK) {
		PQclear(res);
		res = PQexec(it_db(), sql);
	}
	return res;
}

long long
it_db_long(const char *sql)
{
	PGresult *res = it_db_exec(sql);
	long long v;

	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1 ||
	    PQnfields(res) != 1 || PQgetisnull(res, 0, 0)) {
		print_error("%s: %s\n", sql, PQresultErrorMessage(res));
		PQclear(res);
		fail();
	}
	v = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return v;
}

long long
it_db_command(const char *sql)
{
	PGresult *res = it_db_exec(sql);
	long long n;

	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		print_error("%s: %s\n", sql, PQresultErrorMessage(res));
		PQclear(res);
		fail();
	}
	n = strtoll(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	return n;
}

const char *
it_db_sqlstate(const char *sql, char state[6])
{
	PGresult *res = it_db_exec(sql);
	ExecStatusType st = PQresultStatus(res);
	const char *s = PQresultErrorField(res, PG_DIAG_SQLSTATE);

	state[0] = '\0';
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		snprintf(state, 6, "%s", s ? s : "?????");
	PQclear(res);
	return state;
}

void
it_snapshot(struct it_snapshot *s)
{
	PGresult *res =
	    it_db_exec("SELECT (SELECT count(*) FROM users),"
		       " (SELECT coalesce(sum(version), 0) FROM users),"
		       " (SELECT count(*) FROM users WHERE active),"
		       " (SELECT count(*) FROM sessions),"
		       " (SELECT count(*) FROM audit_log),"
		       " (SELECT count(*) FROM idempotency_keys)");

	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		print_error("snapshot: %s\n", PQresultErrorMessage(res));
		PQclear(res);
		fail();
	}
	s->users = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	s->user_versions = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
	s->active_users = strtoll(PQgetvalue(res, 0, 2), NULL, 10);
	s->sessions = strtoll(PQgetvalue(res, 0, 3), NULL, 10);
	s->audit_log = strtoll(PQgetvalue(res, 0, 4), NULL, 10);
	s->idempotency_keys = strtoll(PQgetvalue(res, 0, 5), NULL, 10);
	PQclear(res);
}

void
it_assert_unchanged(const struct it_snapshot *before, const char *what)
{
	struct it_snapshot now;

	it_snapshot(&now);
	if (memcmp(&now, before, sizeof now) != 0) {
		print_error("%s changed the database: users %lld->%lld, "
			    "versions %lld->%lld, active %lld->%lld, "
			    "sessions %lld->%lld, audit %lld->%lld, "
			    "idempotency keys %lld->%lld\n",
			    what, before->users, now.users,
			    before->user_versions, now.user_versions,
			    before->active_users, now.active_users,
			    before->sessions, now.sessions, before->audit_log,
			    now.audit_log, before->idempotency_keys,
			    now.idempotency_keys);
		fail();
	}
}

/* pg_dump's output is far smaller for any database these tests build. */
#define IT_DUMP_MAX (32u << 20)

static int
it_line_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char *
it_db_dump(void)
{
	char *argv[] = {"/usr/bin/env", "pg_dump",	   "--data-only",
			"--no-owner",	"--no-privileges", "--no-comments",
			"--dbname",	it_env.conninfo,   NULL};
	char *raw = it_xmalloc(IT_DUMP_MAX), *out, *line, *save = NULL;
	char **rows = NULL;
	size_t n_rows = 0, cap_rows = 0, w = 0, len;
	bool in_copy = false;

	if (it_run(argv, NULL, raw, IT_DUMP_MAX) != 0)
		it_die("pg_dump failed");
	len = strlen(raw);
	if (len + 1 >= IT_DUMP_MAX)
		it_die("pg_dump printed more than %u bytes", IT_DUMP_MAX);
	out = it_xmalloc(len + 2);
	/* COPY prints rows in storage order, which an update rolled back
	 * may change: each table's rows are sorted. */
	for (line = strtok_r(raw, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		if (in_copy && strcmp(line, "\\.") != 0) {
			if (n_rows == cap_rows) {
				cap_rows = cap_rows ? 2 * cap_rows : 256;
				rows =
				    it_xrealloc(rows, cap_rows * sizeof *rows);
			}
			rows[n_rows++] = line;
			continue;
		}
		if (in_copy) {
			qsort(rows, n_rows, sizeof *rows, it_line_cmp);
			for (size_t i = 0; i < n_rows; i++)
				w += (size_t)sprintf(out + w, "%s\n", rows[i]);
			n_rows = 0;
			in_copy = false;
		}
		/* Comments, and the random key newer pg_dumps guard their
		 * output with (\restrict), differ between equal databases. */
		if (strncmp(line, "--", 2) == 0 ||
		    strncmp(line, "\\restrict ", 10) == 0 ||
		    strncmp(line, "\\unrestrict ", 12) == 0)
			continue;
		in_copy = strncmp(line, "COPY ", 5) == 0;
		w += (size_t)sprintf(out + w, "%s\n", line);
	}
	if (in_copy)
		it_die("pg_dump's output ends inside a COPY");
	out[w] = '\0';
	free(rows);
	free(raw);
	return out;
}

void
it_db_fingerprint(char out[33])
{
	/* One subquery a table (its rows as text, sorted) or sequence. */
	static const char parts_sql[] =
	    "SELECT string_agg(CASE WHEN c.relkind = 'S' THEN"
	    " format('(SELECT %L || '':'' || last_value || '':'' || is_called"
	    " FROM %I.%I)', c.relname, n.nspname, c.relname)"
	    " ELSE format('(SELECT %L || '':'' || coalesce(md5(string_agg("
	    "t::text, E''\\n'' ORDER BY t::text)), '''') FROM %I.%I t)',"
	    " c.relname, n.nspname, c.relname) END, ' UNION ALL '"
	    " ORDER BY c.relname)"
	    " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
	    " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'S')";
	PGresult *res = it_db_exec(parts_sql);
	char *sql;
	size_t len;

	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1 ||
	    PQgetisnull(res, 0, 0))
		it_die("fingerprint: %s", PQresultErrorMessage(res));
	len = strlen(PQgetvalue(res, 0, 0)) + 128;
	sql = it_xmalloc(len);
	snprintf(sql, len,
		 "SELECT md5(string_agg(x, E'\\n' ORDER BY x)) FROM (%s) s(x)",
		 PQgetvalue(res, 0, 0));
	PQclear(res);
	res = it_db_exec(sql);
	free(sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
		it_die("fingerprint: %s", PQresultErrorMessage(res));
	snprintf(out, 33, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
}

/* ---- audit ---- */

/* Percent-encodes an opaque cursor for a query string. */
static void
it_url_escape(const char *s, char *out, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t w = 0;

	for (; *s != '\0' && w + 4 < len; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~') {
			out[w++] = (char)c;
		} else {
			out[w++] = '%';
			out[w++] = hex[c >> 4];
			out[w++] = hex[c & 15];
		}
	}
	out[w] = '\0';
}

json_t *
it_audit_all(const char *auditor_token, int page_size)
{
	json_t *all = json_array();
	char after[256] = "", path[512];

	/* Each page must move the cursor on, so this ends. */
	for (int page = 0;; page++) {
		struct it_resp *r;
		json_t *items, *next;

		assert_true(page < 100000);
		snprintf(path, sizeof path, V1 "/audit?limit=%d%s%s", page_size,
			 after[0] ? "&after=" : "", after);
		r = it_get(path, auditor_token);
		it_assert_status(r, 200);
		items = json_object_get(r->json, "items");
		next = json_object_get(r->json, "next");
		assert_true(json_is_array(items));
		assert_true(json_array_size(items) <= (size_t)page_size);
		json_array_extend(all, items);
		if (json_is_null(next)) {
			it_resp_free(r);
			break;
		}
		assert_true(json_is_string(next));
		/* A page that points further must not be empty. */
		assert_true(json_array_size(items) > 0);
		it_url_escape(json_string_value(next), after, sizeof after);
		it_resp_free(r);
	}
	return all;
}

/* Parses 64 lowercase hex digits into 32 bytes. */
static bool
it_unhex32(const char *s, unsigned char out[32])
{
	if (s == NULL || strlen(s) != 64 || strspn(s, "0123456789abcdef") != 64)
		return false;
	for (int i = 0; i < 32; i++) {
		unsigned int b;

		if (sscanf(s + 2 * i, "%2x", &b) != 1)
			return false;
		out[i] = (unsigned char)b;
	}
	return true;
}

void
it_audit_hash(const char *prev_hex, const json_t *entry, char out[65])
{
	unsigned char prev[32] = {0}, md[32];
	unsigned int mdlen = 0;
	json_t *copy = json_deep_copy(entry);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	char *text;

	if (prev_hex[0] != '\0' && !it_unhex32(prev_hex, prev))
		it_die("it_audit_hash: bad previous hash \"%s\"", prev_hex);
	/* The canonical form: the entry without "hash", compact, keys
	 * sorted, as jansson writes it. */
	json_object_del(copy, "hash");
	text = json_dumps(copy, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(copy);
	if (text == NULL || ctx == NULL ||
	    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, prev, sizeof prev) != 1 ||
	    EVP_DigestUpdate(ctx, text, strlen(text)) != 1 ||
	    EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen != 32)
		it_die("SHA-256 failed");
	EVP_MD_CTX_free(ctx);
	free(text);
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

bool
it_audit_verify(const json_t *entries, char last_hash[65], char *why,
		size_t why_len)
{
	char prev[65] = "", want[65];
	size_t i;
	json_t *e;

	last_hash[0] = '\0';
	if (!json_is_array(entries)) {
		snprintf(why, why_len, "the entries are not an array");
		return false;
	}
	json_array_foreach(entries, i, e)
	{
		json_t *seq = json_object_get(e, "seq");
		const char *hash =
		    json_string_value(json_object_get(e, "hash"));
		unsigned char raw[32];

		if (!json_is_integer(seq) ||
		    json_integer_value(seq) != (json_int_t)i + 1) {
			snprintf(why, why_len, "entry %zu has seq %lld", i + 1,
				 (long long)json_integer_value(seq));
			return false;
		}
		if (!it_unhex32(hash, raw)) {
			snprintf(why, why_len,
				 "entry %zu: hash is not 64 hex digits", i + 1);
			return false;
		}
		it_audit_hash(prev, e, want);
		if (strcmp(want, hash) != 0) {
			snprintf(why, why_len,
				 "entry %zu: the hash does not recompute",
				 i + 1);
			return false;
		}
		memcpy(prev, want, sizeof prev);
	}
	memcpy(last_hash, prev, 65);
	return true;
}
