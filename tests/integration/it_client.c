/*
 * The command-line client against the real pingshend: the `pingshen`
 * binary (built next to the server, client/pingshen) runs with a private
 * XDG_CONFIG_HOME and HOME per person, passwords on standard input.
 * Covers the exit statuses (0, 1 with the server's code, 2 usage, 3
 * connection and TLS), the token file, --json, a whole section-5 scoring
 * procedure from account creation to the signed verdict, the audit chain
 * check online and on a saved, then doctored, copy, logout, and section 4.1
 * with its records as `procedure` prints them.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

static struct it_server *server;
static char client_bin[4096], server_url[128];

/* What the last run_client printed and returned. */
static struct {
	int status;
	char out[1 << 17];
	char err[1 << 14];
} last;

static const char *const expert_orgs[5] = {
    "复旦大学", "同济大学", "上海交通大学", "华东师范大学", "上海社会科学院"};
static long long expert_ids[5], evaluation_id, meeting_id;

/* The whole of file path into buf (NUL-terminated, truncated). */
static void
slurp(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;

	buf[0] = '\0';
	if (f == NULL)
		return;
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
}

/* The config folder of person home (the XDG_CONFIG_HOME). */
static void
home_dir(const char *home, char *out, size_t len)
{
	snprintf(out, len, "%s/home-%s", it_dir(), home);
}

/*
 * Runs pingshen ARGS... (NULL-terminated) as person home, with input on
 * standard input (NULL: none); returns the exit status, and keeps what it
 * printed in `last`.
 */
static int
run_client(const char *home, const char *input, ...)
{
	char dir[512], out_path[600], err_path[600];
	const char *argv[64];
	int argc = 0, in[2], status;
	va_list ap;
	pid_t pid;

	home_dir(home, dir, sizeof dir);
	mkdir(dir, 0700);
	snprintf(out_path, sizeof out_path, "%s/.stdout", dir);
	snprintf(err_path, sizeof err_path, "%s/.stderr", dir);
	argv[argc++] = client_bin;
	va_start(ap, input);
	for (const char *a; (a = va_arg(ap, const char *)) != NULL;)
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	assert_int_equal(pipe(in), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int o = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int e = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		dup2(in[0], STDIN_FILENO);
		dup2(o, STDOUT_FILENO);
		dup2(e, STDERR_FILENO);
		close(in[0]);
		close(in[1]);
		setenv("XDG_CONFIG_HOME", dir, 1);
		setenv("HOME", dir, 1);
		execv(client_bin, (char *const *)argv);
		_exit(127);
	}
	close(in[0]);
	if (input != NULL)
		(void)!write(in[1], input, strlen(input));
	close(in[1]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	slurp(out_path, last.out, sizeof last.out);
	slurp(err_path, last.err, sizeof last.err);
	last.status =
	    WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	if (getenv("IT_CLIENT_VERBOSE") != NULL)
		fprintf(stderr, "[%s] %s ... -> %d\n%s%s", home, argv[1],
			last.status, last.out, last.err);
	return last.status;
}

/* Fails unless the last run's output (stdout or stderr) holds needle. */
static void
assert_printed(const char *needle)
{
	if (strstr(last.out, needle) == NULL &&
	    strstr(last.err, needle) == NULL)
		fail_msg("expected \"%s\" in the output:\n%s\n--\n%s", needle,
			 last.out, last.err);
}

/* The last run's standard output as JSON (caller decrefs). */
static json_t *
last_json(void)
{
	json_error_t err;
	json_t *j = json_loads(last.out, 0, &err);

	if (j == NULL)
		fail_msg("not JSON (%s):\n%s", err.text, last.out);
	return j;
}

/* Runs and fails unless the exit status is want, printing both streams. */
#define RUN(want, ...)                                                         \
	do {                                                                   \
		int got_ = run_client(__VA_ARGS__, NULL);                      \
		if (got_ != (want))                                            \
			fail_msg("exit %d, not %d:\n%s\n--\n%s", got_, (want), \
				 last.out, last.err);                          \
	} while (0)

/* Logs person home in as user with password, against our server. */
static void
login(const char *home, const char *user, const char *password)
{
	char input[256];

	snprintf(input, sizeof input, "%s\n", password);
	RUN(0, home, input, "login", "--server", server_url, "--ca",
	    it_ca_file(), user);
}

static int
client_setup(void **state)
{
	static const char *const args[] = {"--scrypt-log2-n=" IT_FAST_SCRYPT,
					   "--login-max-failures=1000", NULL};
	const char *from = IT_PINGSHEND, *at = strstr(from, "server/pingshend");

	(void)state;
	if (at == NULL) {
		fprintf(stderr, "it_client: cannot place pingshen next to %s\n",
			from);
		return -1;
	}
	snprintf(client_bin, sizeof client_bin, "%.*sclient/pingshen",
		 (int)(at - from), from);
	if (access(client_bin, X_OK) != 0) {
		fprintf(stderr,
			"it_client: %s is missing: build the target pingshen "
			"first (cmake --build BUILD --target pingshen)\n",
			client_bin);
		return -1;
	}
	it_env_start();
	assert_int_equal(
	    it_create_admin(IT_ADMIN_NAME, IT_ADMIN_PASSWORD, IT_FAST_SCRYPT),
	    0);
	server = it_server_start(args);
	snprintf(server_url, sizeof server_url, "https://127.0.0.1:%d",
		 it_server_port(server));
	return 0;
}

static int
client_teardown(void **state)
{
	(void)state;
	it_env_stop();
	return 0;
}

/* Exit status 2 and usage for what is wrong before any request. */
static void
test_usage(void **state)
{
	(void)state;
	RUN(0, "nobody", NULL, "--help");
	assert_printed("Exit status");
	assert_printed("3  connection or TLS failure");
	RUN(0, "nobody", NULL, "seat", "--help");
	assert_printed("usage: pingshen seat MEETING");
	RUN(0, "nobody", NULL, "audit", "verify", "--help");
	assert_printed("usage: pingshen audit verify");
	RUN(0, "nobody", NULL, "help", "round", "open");
	assert_printed("usage: pingshen round open MEETING");
	RUN(2, "nobody", NULL, NULL);
	RUN(2, "nobody", NULL, "frobnicate");
	assert_printed("unknown command");
	RUN(2, "nobody", NULL, "meeting", "create", "1", "--title", "x");
	assert_printed("--expert");
	RUN(2, "nobody", NULL, "meeting", "show", "abc");
	RUN(2, "nobody", NULL, "seat", "1", "--no-conflict", "--conflict",
	    "other");
	RUN(2, "nobody", NULL, "evaluation", "show", "1", "--bogus");
	assert_printed("unknown option --bogus");
	/* Not logged in. */
	RUN(2, "nobody", NULL, "whoami");
	assert_printed("not logged in");
	/* Plain HTTP is refused before anything is sent. */
	RUN(2, "nobody", "x\n", "login", "--server", "http://127.0.0.1:1",
	    "admin");
}

/* Login, the token file, whoami and --json; a wrong password is 1. */
static void
test_login(void **state)
{
	char dir[512], path[600], text[4096];
	struct stat st;
	json_t *me;

	(void)state;
	RUN(1, "admin", "wrong-password-1\n", "login", "--server", server_url,
	    "--ca", it_ca_file(), IT_ADMIN_NAME);
	assert_printed("bad_credentials");
	assert_printed("HTTP 401");
	home_dir("admin", dir, sizeof dir);
	snprintf(path, sizeof path, "%s/pingshen/token", dir);
	assert_int_equal(stat(path, &st), -1);

	login("admin", IT_ADMIN_NAME, IT_ADMIN_PASSWORD);
	assert_printed("logged in to");
	/* The token never reaches the screen. */
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	slurp(path, text, sizeof text);
	assert_int_equal(strcspn(text, "\n"), 43);
	assert_null(strstr(last.out, text));
	snprintf(path, sizeof path, "%s/pingshen/config", dir);
	slurp(path, text, sizeof text);
	assert_non_null(strstr(text, server_url));
	assert_non_null(strstr(text, "ca=/"));

	RUN(0, "admin", NULL, "whoami");
	assert_printed("admin");
	assert_printed("role:");
	RUN(0, "admin", NULL, "--json", "whoami");
	me = last_json();
	assert_string_equal(json_string_value(json_object_get(me, "role")),
			    "admin");
	json_decref(me);
	/* The global flag also goes after the command. */
	RUN(0, "admin", NULL, "whoami", "--json");
	json_decref(last_json());
}

/* Nothing listening, or a certificate from another CA: exit 3. */
static void
test_connection_failures(void **state)
{
	char other[512], ca[600];
	char *certs[] = {IT_SOURCE_DIR "/certs/make-dev-certs", "--dir", other,
			 NULL};
	int fd, status;
	pid_t pid;

	(void)state;
	RUN(3, "admin", NULL, "--server", "https://127.0.0.1:1", "whoami");
	assert_printed("cannot talk to");

	/* Another CA, made by the same script. */
	snprintf(other, sizeof other, "%s/other-ca", it_dir());
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		fd = open("/dev/null", O_WRONLY);
		dup2(fd, STDOUT_FILENO);
		execv(certs[0], certs);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(status, 0);
	snprintf(ca, sizeof ca, "%s/ca.crt", other);
	RUN(3, "mallory", "admin-password-1\n", "login", "--server", server_url,
	    "--ca", ca, IT_ADMIN_NAME);
	/* Nothing was stored by the failed login. */
	RUN(2, "mallory", NULL, "whoami");
	/* An existing session with a wrong --ca for one command. */
	RUN(3, "admin", NULL, "--ca", ca, "whoami");
	/* The system's CAs do not know our development CA either. */
	RUN(0, "admin", NULL, "whoami");
}

/* A CSV ballot: every item 88, but item 1.1.1 scored spread. */
static void
write_ballot(const char *path, json_t *items, const char *spread)
{
	FILE *f = fopen(path, "w");
	size_t i;
	json_t *item;

	assert_non_null(f);
	fputs("item,score,comment\n# a comment line\n", f);
	json_array_foreach(items, i, item)
	{
		const char *code = json_string_value(item);

		if (strcmp(code, "1.1.1") == 0)
			fprintf(f, "%s,%s,\"理由, 带逗号\"\n", code, spread);
		else
			fprintf(f, "%s,88\n", code);
	}
	fclose(f);
}

/* Reads "id" of the last --json answer. */
static long long
last_id(void)
{
	json_t *j = last_json();
	long long id = json_integer_value(json_object_get(j, "id"));

	json_decref(j);
	assert_true(id > 0);
	return id;
}

/*
 * Starts `pingshen watch mid --count 1` as person home, waits until it
 * says "subscribed" on standard error, opens the round as the secretary,
 * and checks the one event the watcher prints.  No sleeps: the watcher
 * is subscribed before the round is opened, and exits after its event.
 */
static void
watch_round_open(const char *home, const char *mid)
{
	char dir[512], line[512], out[4096];
	int out_pipe[2], err_pipe[2], status;
	size_t n = 0;
	ssize_t got;
	FILE *err;
	pid_t pid;

	home_dir(home, dir, sizeof dir);
	assert_int_equal(pipe(out_pipe), 0);
	assert_int_equal(pipe(err_pipe), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		dup2(null, STDIN_FILENO);
		dup2(out_pipe[1], STDOUT_FILENO);
		dup2(err_pipe[1], STDERR_FILENO);
		close(out_pipe[0]);
		close(err_pipe[0]);
		setenv("XDG_CONFIG_HOME", dir, 1);
		setenv("HOME", dir, 1);
		execl(client_bin, client_bin, "watch", mid, "--count", "1",
		      (char *)NULL);
		_exit(127);
	}
	close(out_pipe[1]);
	close(err_pipe[1]);
	err = fdopen(err_pipe[0], "r");
	assert_non_null(err);
	/* Blocks until the stream is open (or the child dies: EOF). */
	for (;;) {
		if (fgets(line, sizeof line, err) == NULL)
			fail_msg("watch ended before it subscribed");
		if (strcmp(line, "subscribed\n") == 0)
			break;
	}
	RUN(0, "secretary", NULL, "--json", "round", "open", mid);
	/* The child exits after its one event: read to EOF, then reap. */
	while (n + 1 < sizeof out &&
	       (got = read(out_pipe[0], out + n, sizeof out - 1 - n)) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		assert_true(got > 0);
		n += (size_t)got;
	}
	out[n] = '\0';
	close(out_pipe[0]);
	fclose(err);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	if (strstr(out, " round_opened {") == NULL ||
	    strchr(out, '\n') != out + n - 1 || out[2] != ':' || out[5] != ':')
		fail_msg("watch printed:\n%s", out);
}

/*
 * expert1's ballot through the interactive mode, on a pipe: the same
 * scores as write_ballot's, with one invalid line asked again.
 */
static void
interactive_ballot(const char *mid, json_t *items, const char *spread)
{
	size_t i, len = 0, cap = 4096;
	char *input = malloc(cap);
	json_t *item;

	assert_non_null(input);
	json_array_foreach(items, i, item)
	{
		const char *code = json_string_value(item);

		assert_true(len + 64 < cap);
		if (strcmp(code, "1.1.1") == 0)
			len +=
			    (size_t)snprintf(input + len, cap - len,
					     "101\n%s\n理由, 带逗号\n", spread);
		else
			len +=
			    (size_t)snprintf(input + len, cap - len, "88\n\n");
	}
	/* Piped input and no --interactive: use --file. */
	RUN(2, "expert1", input, "ballot", mid);
	assert_printed("--interactive");
	RUN(0, "expert1", input, "ballot", mid, "--interactive");
	assert_printed("ballot saved (version 1, 16 scores, complete)");
	assert_printed("is not a score");
	assert_printed("先进基准水平");
	free(input);

	/* Four invalid answers: exit 2, nothing saved. */
	RUN(2, "expert1", "x\n-1\n100.01\n1.234\n", "ballot", mid,
	    "--interactive");
	assert_printed("too many invalid answers");
	/* Empty lines keep every current score: still version 1's. */
	RUN(0, "expert1", "\n", "ballot", mid, "--interactive");
	assert_printed("version 2, 16 scores, complete");

	RUN(0, "expert1", NULL, "--json", "ballot", "show", mid);
	{
		json_t *j = last_json();
		json_t *s = json_object_get(j, "scores");

		assert_true(json_is_true(json_object_get(j, "complete")));
		assert_int_equal(json_array_size(s), 16);
		json_array_foreach(s, i, item)
		{
			const char *code =
			    json_string_value(json_object_get(item, "item"));
			const char *score =
			    json_string_value(json_object_get(item, "score"));

			if (strcmp(code, "1.1.1") == 0) {
				assert_string_equal(score, "86.00");
				assert_string_equal(
				    json_string_value(
					json_object_get(item, "comment")),
				    "理由, 带逗号");
			} else
				assert_string_equal(score, "88.00");
		}
		json_decref(j);
	}
}

/* The whole section-5 procedure through the client. */
static void
test_procedure(void **state)
{
	static const char *const spread[5] = {"86", "87", "88", "89", "90"};
	char name[32], path[600], id[32], mid[32], eid[32], *ids;
	json_t *j, *items;

	(void)state;
	RUN(0, "admin", "secretary-pw-1\n", "--json", "user", "create", "wang",
	    "--role", "secretary", "--display-name", "王秘书", "--organization",
	    "上海市标准化研究院");
	RUN(0, "admin", "auditor-pw-12\n", "user", "create", "li", "--role",
	    "auditor", "--display-name", "李审计");
	for (int i = 0; i < 5; i++) {
		snprintf(name, sizeof name, "expert%d", i + 1);
		RUN(0, "admin", "expert-pw-123\n", "--json", "user", "create",
		    name, "--role", "expert", "--display-name", name,
		    "--organization", expert_orgs[i]);
		expert_ids[i] = last_id();
	}
	RUN(0, "admin", NULL, "user", "list", "--role", "expert");
	assert_printed("上海社会科学院");
	RUN(1, "admin", "short\n", "user", "create", "bad", "--role", "expert");
	assert_printed("invalid_field");

	login("secretary", "wang", "secretary-pw-1");
	login("auditor", "li", "auditor-pw-12");
	for (int i = 0; i < 5; i++) {
		snprintf(name, sizeof name, "expert%d", i + 1);
		login(name, name, "expert-pw-123");
	}
	/* Role checks are the server's: its code comes back. */
	RUN(1, "expert1", NULL, "user", "list");
	assert_printed("forbidden");

	RUN(0, "secretary", NULL, "--json", "evaluation", "create", "--title",
	    "一网通办业务规范先进性评价", "--standard-code", "DB31/T 0000-2025",
	    "--standard-title", "政务服务“一网通办”业务规范", "--drafting-org",
	    "上海市大数据中心");
	evaluation_id = last_id();
	snprintf(eid, sizeof eid, "%lld", evaluation_id);
	RUN(0, "secretary", NULL, "evaluation", "list");
	assert_printed("DB31/T 0000-2025");
	RUN(0, "secretary", NULL, "evaluation", "show", eid);
	assert_printed("scoring");

	ids = malloc(128);
	snprintf(ids, 128, "%lld,%lld,%lld,%lld", expert_ids[0], expert_ids[1],
		 expert_ids[2], expert_ids[3]);
	snprintf(id, sizeof id, "%lld", expert_ids[4]);
	RUN(0, "secretary", NULL, "--json", "meeting", "create", eid, "--title",
	    "评分会议", "--expert", ids, "--expert", id, "--method",
	    "trimmed_mean", "--trim", "1", "--quorum", "5");
	free(ids);
	meeting_id = last_id();
	snprintf(mid, sizeof mid, "%lld", meeting_id);

	for (int i = 0; i < 5; i++) {
		snprintf(name, sizeof name, "expert%d", i + 1);
		RUN(0, name, NULL, "seat", mid, "--no-conflict", "--statement",
		    "本人与该标准起草单位无利益关系");
		assert_printed("seated");
	}
	RUN(0, "secretary", NULL, "meeting", "show", mid);
	assert_printed("复旦大学");

	/* Opened while expert2 watches the meeting's events. */
	watch_round_open("expert2", mid);
	j = last_json();
	items = json_incref(json_object_get(j, "items"));
	json_decref(j);
	assert_int_equal(json_array_size(items), 16);
	/* Closing without ballots: the server's quorum refusal. */
	RUN(1, "secretary", NULL, "round", "close", mid);
	assert_printed("quorum_not_met");

	for (int i = 0; i < 5; i++) {
		snprintf(name, sizeof name, "expert%d", i + 1);
		snprintf(path, sizeof path, "%s/ballot-%d.csv", it_dir(), i);
		if (i == 0) {
			interactive_ballot(mid, items, spread[i]);
			continue;
		}
		write_ballot(path, items, spread[i]);
		RUN(0, name, NULL, "ballot", mid, "--file", path);
		assert_printed("complete");
	}
	json_decref(items);
	RUN(0, "expert1", NULL, "ballot", "show", mid);
	assert_printed("理由, 带逗号");
	/* A malformed CSV is a usage error, before any request. */
	snprintf(path, sizeof path, "%s/bad.csv", it_dir());
	{
		FILE *f = fopen(path, "w");

		assert_non_null(f);
		fputs("1.1.1\n", f);
		fclose(f);
	}
	RUN(2, "expert1", NULL, "ballot", mid, "--file", path);
	assert_printed("bad.csv:1");

	RUN(0, "secretary", NULL, "round", "close", mid);
	assert_printed("consensus on 16 of 16 items");
	RUN(0, "secretary", NULL, "results", mid);
	assert_printed("88.00");
	RUN(0, "secretary", NULL, "--json", "results", mid, "1");
	json_decref(last_json());
	RUN(0, "secretary", NULL, "meeting", "finalize", mid);
	assert_printed("88.00");
	RUN(0, "secretary", NULL, "verdict", "preview", eid);
	assert_printed("具有先进性");
	RUN(0, "secretary", NULL, "verdict", "finalize", eid, "--statement",
	    "经专家组评审，该标准具有先进性。");
	assert_printed("Ed25519");
	RUN(1, "secretary", NULL, "verdict", "finalize", eid);

	RUN(0, "auditor", NULL, "verdict", "show", eid);
	assert_printed("total:");
	assert_printed("88.00");
	assert_printed("具有先进性");
	RUN(0, "auditor", NULL, "--json", "verdict", "show", eid);
	j = last_json();
	assert_string_equal(json_string_value(json_object_get(j, "total")),
			    "88.00");
	json_decref(j);
	RUN(0, "secretary", NULL, "table", eid);
	assert_printed("total: 88.00");
	RUN(0, "secretary", NULL, "table", eid, "--csv");
	assert_printed("1.1.1");
}

/* Display width of UTF-8 as the client counts it, for these tests:
 * three-byte sequences here are all CJK (two cells). */
static size_t
cells(const char *s, size_t n)
{
	size_t w = 0;

	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x80) {
			w++;
			i++;
		} else if ((c & 0xF0) == 0xE0) {
			w += 2;
			i += 3;
		} else {
			w++;
			i += (c & 0xE0) == 0xC0 ? 2 : 4;
		}
	}
	return w;
}

/* Tables align by display cells, CJK counting two. */
static void
test_table_alignment(void **state)
{
	char *line, *save = NULL;
	size_t col = 0;
	int rows = 0;

	(void)state;
	RUN(0, "admin", NULL, "user", "list");
	for (line = strtok_r(last.out, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		static const char *const roles[] = {"admin", "secretary",
						    "expert", "auditor"};
		const char *p = line;
		bool found = false;

		if (rows++ == 0) {
			const char *role = strstr(line, "ROLE");

			assert_non_null(role);
			col = cells(line, (size_t)(role - line));
			continue;
		}
		/* The byte where display cell col starts holds the role. */
		while (*p != '\0' && cells(line, (size_t)(p - line)) < col)
			p++;
		assert_int_equal(cells(line, (size_t)(p - line)), col);
		for (size_t i = 0; i < 4; i++)
			found = found ||
				strncmp(p, roles[i], strlen(roles[i])) == 0;
		if (!found)
			fail_msg("no role at cell %zu of \"%s\"", col, line);
	}
	assert_true(rows >= 9);
}

/* The chain check, online and on saved copies, good and doctored. */
static void
test_audit_verify(void **state)
{
	char log[600], bad[600], small[600], eid[32];
	json_t *entries, *e1, *e2, *arr;
	json_error_t err;

	(void)state;
	snprintf(eid, sizeof eid, "%lld", evaluation_id);
	RUN(0, "auditor", NULL, "audit", "verify");
	assert_printed("OK: ");
	RUN(0, "auditor", NULL, "--json", "audit", "verify");
	arr = last_json();
	assert_true(json_is_true(json_object_get(arr, "ok")));
	json_decref(arr);
	RUN(0, "auditor", NULL, "audit", "head");
	assert_printed("size:");
	RUN(0, "auditor", NULL, "audit", "--evaluation", eid);
	assert_printed("verdict.finalize");
	RUN(0, "auditor", NULL, "audit", "--action", "ballot.submit", "--limit",
	    "2");
	assert_printed("ballot.submit");
	RUN(1, "secretary", NULL, "audit", "verify");
	assert_printed("forbidden");

	snprintf(log, sizeof log, "%s/audit.json", it_dir());
	RUN(0, "auditor", NULL, "audit", "verify", "--save", log);
	RUN(0, "auditor", NULL, "audit", "verify", "--file", log);
	assert_printed("OK: ");

	/* Doctor entry 3: the chain breaks exactly there. */
	entries = json_load_file(log, 0, &err);
	assert_non_null(entries);
	assert_true(json_array_size(entries) > 5);
	json_object_set_new(json_array_get(entries, 2), "action",
			    json_string("user.delete"));
	snprintf(bad, sizeof bad, "%s/audit-bad.json", it_dir());
	assert_int_equal(json_dump_file(entries, bad, 0), 0);
	RUN(1, "auditor", NULL, "audit", "verify", "--file", bad);
	assert_printed("FAILED at entry 3");
	/* A dropped entry: the sequence has a hole. */
	json_object_set_new(json_array_get(entries, 2), "action",
			    json_string("x"));
	json_array_remove(entries, 2);
	assert_int_equal(json_dump_file(entries, bad, 0), 0);
	RUN(1, "auditor", NULL, "audit", "verify", "--file", bad);
	assert_printed("FAILED at entry 3");
	json_decref(entries);

	/* The vectors of tests/unit/test_audit.c, computed in Python. */
	e1 = json_pack(
	    "{s:i, s:s, s:{s:n, s:n, s:n}, s:s, s:n, s:n, s:s, s:i,"
	    " s:{s:s, s:s}, s:n, s:n, s:s}",
	    "seq", 1, "at", "2026-01-01T00:00:00.000000Z", "actor", "id",
	    "username", "role", "action", "user.create", "evaluation_id",
	    "meeting_id", "object_type", "user", "object_id", 1, "details",
	    "username", "评审", "via", "pingshend --create-admin", "request_id",
	    "client", "hash",
	    "2cafa079a5498fd8e2cebd9bea16589257b1f6f9062f88e499e4f1935fa20e5e");
	e2 = json_deep_copy(e1);
	json_object_set_new(e2, "seq", json_integer(2));
	json_object_set_new(e2, "action", json_string("session.create"));
	json_object_set_new(e2, "actor",
			    json_pack("{s:i, s:s, s:s}", "id", 1, "username",
				      "admin", "role", "admin"));
	json_object_set_new(e2, "details", json_object());
	json_object_set_new(e2, "client", json_string("127.0.0.1"));
	json_object_set_new(e2, "request_id", json_string("00ff"));
	json_object_set_new(
	    e2, "hash",
	    json_string("7d6594cde461952c2cba3a384ede5c2cd9b5febe5b611f587d1568"
			"26f64d29d3"));
	arr = json_pack("[o, o]", e1, e2);
	snprintf(small, sizeof small, "%s/audit-small.json", it_dir());
	/* Written as two pages, one after the other. */
	{
		FILE *f = fopen(small, "w");
		json_t *page1 = json_pack("{s:[O], s:s}", "items",
					  json_array_get(arr, 0), "next", "1");
		json_t *page2 = json_pack("{s:[O], s:n}", "items",
					  json_array_get(arr, 1), "next");
		char *p1 = json_dumps(page1, JSON_INDENT(2));
		char *p2 = json_dumps(page2, JSON_INDENT(2));

		json_decref(page1);
		json_decref(page2);

		assert_non_null(f);
		fprintf(f, "%s\n%s\n", p1, p2);
		fclose(f);
		free(p1);
		free(p2);
	}
	RUN(0, "auditor", NULL, "audit", "verify", "--file", small, "--head",
	    "7d6594cde461952c2cba3a384ede5c2cd9b5febe5b611f587d156826f64d29d3");
	assert_printed("OK: 2 entries, last hash 7d6594cd");
	RUN(1, "auditor", NULL, "audit", "verify", "--file", small, "--head",
	    "2cafa079a5498fd8e2cebd9bea16589257b1f6f9062f88e499e4f1935fa20e5e");
	/* One character of the details changed: entry 1 is bad. */
	json_object_set_new(json_object_get(json_array_get(arr, 0), "details"),
			    "username", json_string("评审x"));
	assert_int_equal(json_dump_file(arr, small, 0), 0);
	RUN(1, "auditor", NULL, "audit", "verify", "--file", small);
	assert_printed("FAILED at entry 1");
	json_decref(arr);
}

/*
 * The database's owner can switch the triggers off and rewrite a row; the
 * chain still tells: verify names the entry.  Last, since the log is
 * then broken for good.
 */
static void
test_audit_tampered_in_the_database(void **state)
{
	(void)state;
	RUN(0, "auditor", NULL, "audit", "verify");
	it_db_command("ALTER TABLE audit_log DISABLE TRIGGER "
		      "audit_log_append_only");
	assert_int_equal(
	    it_db_command("UPDATE audit_log SET action = 'forged' WHERE id = "
			  "(SELECT entry_id FROM audit_chain WHERE seq = 3)"),
	    1);
	it_db_command("ALTER TABLE audit_log ENABLE TRIGGER "
		      "audit_log_append_only");
	RUN(1, "auditor", NULL, "audit", "verify");
	assert_printed("FAILED at entry 3");
}

/* Logout removes the token and the server no longer takes it. */
static void
test_logout(void **state)
{
	char dir[512], path[600], token[128];
	struct it_resp *r;
	struct stat st;

	(void)state;
	home_dir("expert1", dir, sizeof dir);
	snprintf(path, sizeof path, "%s/pingshen/token", dir);
	slurp(path, token, sizeof token);
	token[strcspn(token, "\n")] = '\0';
	assert_int_equal(strlen(token), 43);
	r = it_get(V1 "/me", token);
	it_assert_status(r, 200);
	it_resp_free(r);

	RUN(0, "expert1", NULL, "logout");
	assert_int_equal(stat(path, &st), -1);
	r = it_get(V1 "/me", token);
	it_assert_error(r, 401, "unauthorized");
	it_resp_free(r);
	RUN(2, "expert1", NULL, "whoami");
	/* The admin disables an account: its session ends (exit 1). */
	RUN(0, "admin", NULL, "--json", "user", "list", "--role", "expert");
	{
		json_t *list = last_json();
		char id[32];

		snprintf(id, sizeof id, "%lld",
			 (long long)json_integer_value(
			     json_object_get(json_array_get(list, 1), "id")));
		json_decref(list);
		RUN(0, "admin", NULL, "user", "disable", id);
	}
	RUN(1, "expert2", NULL, "whoami");
	assert_printed("unauthorized");
}

/* The section 4.1 procedure through the client: stage guards and history. */
static void
test_procedure_41(void **state)
{
	char eid[32];

	(void)state;
	RUN(0, "secretary", NULL, "--json", "evaluation", "create", "--title",
	    "指标体系构建", "--standard-code", "DB31/T 0001-2025",
	    "--standard-title", "先进性评价试点", "--no-template");
	snprintf(eid, sizeof eid, "%lld", last_id());
	RUN(0, "secretary", NULL, "evaluation", "show", eid);
	assert_printed("standards");
	RUN(0, "secretary", NULL, "advance", "--help");
	assert_printed("--reason");
	RUN(2, "secretary", NULL, "advance", eid);
	RUN(1, "secretary", NULL, "advance", eid, "pool");
	assert_printed("no_standards");
	assert_printed("SUBJECT");

	RUN(0, "secretary", NULL, "standard", "add", eid, "--code", "GB/T 1",
	    "--title", "标准化工作导则", "--scope", "national", "--clause",
	    "4.1", "--clause", "5.2");
	assert_printed("GB/T 1");
	RUN(0, "secretary", NULL, "advance", eid, "pool");
	assert_printed("pool");

	RUN(0, "secretary", NULL, "pool", "add", eid, "--code", "1", "--name",
	    "服务效能", "--group");
	assert_printed("group");
	RUN(0, "secretary", NULL, "--json", "pool", "add", eid, "--code", "1.1",
	    "--name", "办理时限", "--parent", "1", "--source", "standard",
	    "--source-ref", "GB/T 1");
	{
		json_t *j = last_json();

		assert_string_equal(
		    json_string_value(json_object_get(j, "kind")), "candidate");
		json_decref(j);
	}
	RUN(0, "secretary", NULL, "pool", "add", eid, "--code", "1.2", "--name",
	    "一次办成率", "--parent", "1");
	RUN(1, "secretary", NULL, "advance", eid, "comparison");
	assert_printed("candidate_without_source");
	assert_printed("1.2");

	/* What the panel reads: names under their groups, the sources. */
	RUN(0, "secretary", NULL, "procedure", eid);
	assert_printed("标准化工作导则");
	assert_printed("  办理时限");
	assert_printed("  一次办成率");
	assert_printed("standard, GB/T 1");
	RUN(0, "secretary", NULL, "--json", "procedure", eid);
	{
		json_t *j = last_json(), *pool = json_object_get(j, "pool");

		assert_int_equal(json_array_size(pool), 3);
		assert_string_equal(json_string_value(json_object_get(
					json_array_get(pool, 2), "name")),
				    "一次办成率");
		json_decref(j);
	}

	RUN(0, "secretary", NULL, "history", eid);
	assert_printed("standard.add");
	assert_printed("stage.advance");
	assert_printed("DETAILS");
	RUN(0, "secretary", NULL, "--json", "history", eid);
	{
		json_t *j = last_json();

		assert_true(json_array_size(j) >= 4);
		json_decref(j);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_usage),
	    cmocka_unit_test(test_login),
	    cmocka_unit_test(test_connection_failures),
	    cmocka_unit_test(test_procedure),
	    cmocka_unit_test(test_table_alignment),
	    cmocka_unit_test(test_audit_verify),
	    cmocka_unit_test(test_logout),
	    cmocka_unit_test(test_audit_tampered_in_the_database),
	    cmocka_unit_test(test_procedure_41),
	};

	return cmocka_run_group_tests(tests, client_setup, client_teardown);
}
