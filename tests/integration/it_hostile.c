/*
 * The bad-input suite (issue #7, item 8): several hundred malformed or
 * hostile requests against a server holding real evaluations in every
 * stage, each with the status and error code it must get.  Truncated and
 * invalid JSON, wrong types for every field of every write, huge numbers,
 * invalid UTF-8, strings past their limits, SQL and header injection, path
 * traversal, wrong methods, missing and forged tokens, and one user
 * reaching for another's evaluation, meeting or ballot.
 *
 * None may answer 5xx or stop the server, every refusal the server writes
 * must be the documented JSON error (libevent's own, for what never
 * reaches it, are counted apart), and none may change the database: a
 * fingerprint of every table is taken after each request (to name the
 * culprit) and a whole pg_dump before and after the suite (the proof).
 * The fixtures, including the first use of the Idempotency-Keys the
 * suite then abuses, are written before the first dump.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "harness.h"

#define PASSWORD "hostile-password-1"
/* Small enough to exceed cheaply, large enough for every string limit
 * and for 30,000 nested arrays. */
#define HX_MAX_BODY "131072"
/* The receive deadline: what a request that never ends costs the suite,
 * long enough for every other request on a loaded machine. */
#define HX_DEADLINE_MS "3000"

/* ---- the people and the fixtures ---- */

struct person {
	const char *name, *role, *organization;
	long long id;
	char *token;
};

/*
 * ex1-ex3 sit on the panels of sec1's meetings; exun is invited to M1 and
 * never took the seat; ex4 sits on sec2's M2 only; exout is on no panel;
 * draft works for E1's drafting organization.  gone, old and out hold
 * tokens that no longer work: the account deactivated, the session
 * expired, the session logged out.
 */
static struct person people[] = {
    {"admin", NULL, NULL, 0, NULL},
    {"sec1", "secretary", NULL, 0, NULL},
    {"sec2", "secretary", NULL, 0, NULL},
    {"ex1", "expert", NULL, 0, NULL},
    {"ex2", "expert", NULL, 0, NULL},
    {"ex3", "expert", NULL, 0, NULL},
    {"ex4", "expert", NULL, 0, NULL},
    {"exun", "expert", NULL, 0, NULL},
    {"exout", "expert", NULL, 0, NULL},
    {"draft", "expert", "起草单位甲", 0, NULL},
    {"aud", "auditor", NULL, 0, NULL},
    {"gone", "expert", NULL, 0, NULL},
    {"old", "expert", NULL, 0, NULL},
    {"out", "expert", NULL, 0, NULL},
};
#define N_PEOPLE (sizeof people / sizeof *people)

/* Well-formed (43 base64url characters) and unknown to the server. */
#define FORGED "hostileForgedToken0123456789abcdefghijklmno"

/* Evaluation and meeting ids, named as the case table names them. */
static struct {
	const char *name;
	long long id;
} fixtures[] = {
    {"E1", 0},	  {"E1B", 0},  {"E3", 0},   {"E2", 0},	{"ESTD", 0},
    {"EPOOL", 0}, {"ECMP", 0}, {"ESEL", 0}, {"EW", 0},	{"M1", 0},
    {"M1B", 0},	  {"M2", 0},   {"MSEL", 0}, {"MSW", 0}, {"MW", 0},
};
#define N_FIXTURES (sizeof fixtures / sizeof *fixtures)

static struct it_server *server;

/* What the suite counted so far. */
static struct {
	size_t sent, fivexx, changed, wrong, deaths;
	size_t gaps; /* requests after which only a sequence moved */
	size_t html; /* refusals libevent wrote itself, not in JSON */
	char fingerprint[33];
	char *dump; /* the database as the last request left it */
	long last_status;
} tally;

static struct person *
person(const char *name)
{
	for (size_t i = 0; i < N_PEOPLE; i++)
		if (strcmp(people[i].name, name) == 0)
			return &people[i];
	fail_msg("no person %s", name);
	return NULL;
}

static const char *
tok(const char *name)
{
	return person(name)->token;
}

static long long *
fixture(const char *name)
{
	for (size_t i = 0; i < N_FIXTURES; i++)
		if (strcmp(fixtures[i].name, name) == 0)
			return &fixtures[i].id;
	return NULL;
}

/* ---- placeholders ---- */

/* A growing byte buffer. */
struct buf {
	char *p;
	size_t len, cap;
};

static void
buf_add(struct buf *b, const void *data, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
buf_printf(struct buf *b, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	assert_true(n >= 0 && (size_t)n < sizeof tmp);
	buf_add(b, tmp, (size_t)n);
}

static void
buf_repeat(struct buf *b, const char *s, long n)
{
	for (long i = 0; i < n; i++)
		buf_add(b, s, strlen(s));
}

/* Writes what placeholder name (between the braces) stands for; false
 * when it is none, and the braces are then text (JSON has plenty). */
static bool
expand_one(struct buf *b, const char *name)
{
	long long *id = fixture(name);
	long n;

	if (id != NULL) {
		buf_printf(b, "%lld", *id);
		return true;
	}
	if (strncmp(name, "U:", 2) == 0) {
		buf_printf(b, "%lld", person(name + 2)->id);
		return true;
	}
	if (strncmp(name, "T:", 2) == 0) {
		buf_add(b, tok(name + 2), strlen(tok(name + 2)));
		return true;
	}
	if (strcmp(name, "NUL") == 0) {
		buf_add(b, "", 1);
		return true;
	}
	if (strchr(name, ':') == NULL)
		return false;
	n = strtol(strchr(name, ':') + 1, NULL, 10);
	if (strncmp(name, "X:", 2) == 0) { /* n ASCII bytes */
		buf_repeat(b, "x", n);
	} else if (strncmp(name, "Z:", 2) == 0) { /* n characters, 3n bytes */
		buf_repeat(b, "中", n);
	} else if (strncmp(name, "DEEP:", 5) == 0) { /* n nested arrays */
		buf_repeat(b, "[", n);
		buf_repeat(b, "]", n);
	} else if (strncmp(name, "LIST:", 5) == 0) { /* n short texts */
		for (long i = 0; i < n; i++)
			buf_printf(b, "%s\"t%ld\"", i ? "," : "", i);
	} else if (strncmp(name, "IDS:", 4) == 0) { /* n distinct ids */
		for (long i = 0; i < n; i++)
			buf_printf(b, "%s%ld", i ? "," : "", i + 1);
	} else {
		return false;
	}
	return true;
}

/*
 * The template with every {NAME} replaced (see expand_one), as a new
 * NUL-terminated buffer (caller frees) whose length, NULs included, goes
 * to *len.
 */
static char *
expand(const char *tpl, size_t *len)
{
	struct buf b = {0};

	buf_add(&b, "", 0);
	for (const char *p = tpl; *p != '\0';) {
		const char *end = p[0] == '{' ? strchr(p, '}') : NULL;
		char name[32];

		if (end != NULL && end - p - 1 > 0 &&
		    (size_t)(end - p - 1) < sizeof name && p[1] >= 'A' &&
		    p[1] <= 'Z') {
			memcpy(name, p + 1, (size_t)(end - p - 1));
			name[end - p - 1] = '\0';
			if (expand_one(&b, name)) {
				p = end + 1;
				continue;
			}
		}
		buf_add(&b, p, 1);
		p++;
	}
	if (len != NULL)
		*len = b.len;
	return b.p;
}

/* ---- set-up: requests that must succeed ---- */

/* Sends body (a JSON text, or NULL) with the header lines (NULL-ended,
 * may be NULL) and returns the parsed answer after asserting want. */
static json_t *
setup_call(const char *method, const char *token, const char *const *headers,
	   const char *body, long want, const char *fmt, ...)
{
	char path[256];
	struct it_resp *r;
	json_t *j;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof path, fmt, ap);
	va_end(ap);
	r = it_do(&(struct it_req){.method = method,
				   .path = path,
				   .token = token,
				   .headers = headers,
				   .body = body});
	if (r->status != want)
		fail_msg("set-up %s %s: %ld, want %ld: %s", method, path,
			 r->status, want, r->body);
	j = json_incref(r->json);
	it_resp_free(r);
	return j;
}

/* The same with the body's placeholders expanded (see expand). */
static json_t *
setup_send(const char *method, const char *token, const char *body_tpl,
	   long want, const char *fmt, ...)
{
	char path[256];
	char *body = body_tpl ? expand(body_tpl, NULL) : NULL;
	json_t *j;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof path, fmt, ap);
	va_end(ap);
	j = setup_call(method, token, NULL, body, want, "%s", path);
	free(body);
	return j;
}

static long long
id_of(json_t *j)
{
	long long id = json_integer_value(json_object_get(j, "id"));

	assert_true(id > 0);
	json_decref(j);
	return id;
}

static void
setup_people(void)
{
	char body[512];

	people[0].token = it_login(IT_ADMIN_NAME, IT_ADMIN_PASSWORD);
	people[0].id =
	    id_of(setup_call("GET", tok("admin"), NULL, NULL, 200, V1 "/me"));
	for (size_t i = 1; i < N_PEOPLE; i++) {
		struct person *p = &people[i];

		snprintf(body, sizeof body,
			 "{\"username\":\"h_%s\",\"role\":\"%s\","
			 "\"password\":\"" PASSWORD "\","
			 "\"display_name\":\"%s\",\"organization\":\"%s\"}",
			 p->name, p->role, p->name,
			 p->organization ? p->organization : "");
		p->id = id_of(setup_call("POST", tok("admin"), NULL, body, 201,
					 V1 "/users"));
		snprintf(body, sizeof body, "h_%s", p->name);
		p->token = it_login(body, PASSWORD);
	}
	/* Three dead tokens: the account deactivated (its sessions go with
	 * it), the session expired, the session logged out. */
	json_decref(setup_call("PATCH", tok("admin"), NULL,
			       "{\"active\":false}", 200, V1 "/users/%lld",
			       person("gone")->id));
	{
		char sql[256];

		snprintf(sql, sizeof sql,
			 "UPDATE sessions SET expires_at = now() - interval "
			 "'1 minute' WHERE user_id = %lld",
			 person("old")->id);
		assert_int_equal(it_db_command(sql), 1);
	}
	json_decref(setup_call("DELETE", tok("out"), NULL, NULL, 204,
			       V1 "/sessions/current"));
}

static long long
eval_new(const char *secretary, bool ywtb)
{
	return id_of(setup_send(
	    "POST", tok(secretary),
	    ywtb
		? "{\"title\":\"敌意输入评价\",\"standard\":{\"code\":\"DB31/T "
		  "7-2026\",\"title\":\"政务服务规范\"},"
		  "\"drafting_organizations\":[\"起草单位甲\"],"
		  "\"template\":\"ywtb\"}"
		: "{\"title\":\"敌意输入评价（4.1）\",\"standard\":{\"code\":"
		  "\"DB31/T 8-2026\",\"title\":\"政务服务规范\"},"
		  "\"drafting_organizations\":[\"起草单位甲\"]}",
	    201, V1 "/evaluations"));
}

/* A meeting of kind on eval with panel experts ({U:..} placeholders),
 * quorum 3, seated by those named in seat (NULL-ended). */
static long long
meeting_new(long long eval, const char *kind, const char *panel,
	    const char *const *seat)
{
	char tpl[512];
	long long id;

	snprintf(tpl, sizeof tpl,
		 "{\"kind\":\"%s\",\"title\":\"敌意输入会议\",\"experts\":[%s],"
		 "\"quorum\":3}",
		 kind, panel);
	id = id_of(setup_send("POST", tok("sec1"), tpl, 201,
			      V1 "/evaluations/%lld/meetings", eval));
	for (size_t i = 0; seat[i] != NULL; i++)
		json_decref(setup_send("POST", tok(seat[i]),
				       "{\"conflict_of_interest\":false}", 200,
				       V1 "/meetings/%lld/seat", id));
	return id;
}

static void
advance(long long eval, const char *to)
{
	char body[64];

	snprintf(body, sizeof body, "{\"to\":\"%s\"}", to);
	json_decref(setup_send("POST", tok("sec1"), body, 200,
			       V1 "/evaluations/%lld/advance", eval));
}

/* The standard of EPOOL, written with the Idempotency-Key the suite then
 * reuses. */
#define STD_BODY                                                               \
	"{\"code\":\"GB/T 1-2020\",\"title\":\"标准化工作导则\","       \
	"\"scope\":\"national\",\"clauses\":[\"4.1\"]}"
#define STD_KEY "Idempotency-Key: hostile-standard-1"

/* A no-template evaluation taken to stage `to` (pool, comparison or
 * selection): one standard; group 1 with candidates 1.1 and 1.2. */
static long long
eval_procedure(const char *to)
{
	long long e = eval_new("sec1", false);
	bool keyed = strcmp(to, "pool") == 0;

	json_decref(
	    setup_call("POST", tok("sec1"),
		       keyed ? (const char *const[]){STD_KEY, NULL} : NULL,
		       STD_BODY, 201, V1 "/evaluations/%lld/standards", e));
	advance(e, "pool");
	json_decref(setup_send("POST", tok("sec1"),
			       "{\"code\":\"1\",\"kind\":\"group\","
			       "\"name\":\"关键性指标\"}",
			       201, V1 "/evaluations/%lld/pool", e));
	if (strcmp(to, "pool") == 0)
		return e;
	json_decref(setup_send(
	    "POST", tok("sec1"),
	    "{\"code\":\"1.1\",\"parent\":\"1\",\"name\":\"事项覆盖度\","
	    "\"source\":{\"type\":\"standard\",\"ref\":\"GB/T 1-2020\"}}",
	    201, V1 "/evaluations/%lld/pool", e));
	json_decref(setup_send("POST", tok("sec1"),
			       "{\"code\":\"1.2\",\"parent\":\"1\",\"name\":"
			       "\"统一快递物流\",\"source\":{\"type\":"
			       "\"market\"}}",
			       201, V1 "/evaluations/%lld/pool", e));
	advance(e, "comparison");
	if (strcmp(to, "comparison") == 0)
		return e;
	for (int c = 1; c <= 2; c++)
		json_decref(setup_send(
		    "PUT", tok("sec1"),
		    "{\"standard\":{\"ref\":\"GB/T 1-2020\",\"clause\":\"4.1\","
		    "\"level\":\"国内领先\"},\"benchmark\":null}",
		    200, V1 "/evaluations/%lld/pool/1.%d/comparison", e, c));
	advance(e, "selection");
	return e;
}

static const char *const seat3[] = {"ex1", "ex2", "ex3", NULL};
#define PANEL3 "{U:ex1},{U:ex2},{U:ex3}"

/* The ballot ex1 saved with the key the suite reuses. */
#define BALLOT_BODY "{\"scores\":[{\"item\":\"1.1.1\",\"score\":88}]}"
#define BALLOT_KEY  "Idempotency-Key: hostile-ballot-1"

static void
setup_fixtures(void)
{
	long long e;

	/* E1: ywtb at scoring; M1 scoring, round 1 open, ex1's ballot. */
	*fixture("E1") = e = eval_new("sec1", true);
	*fixture("M1") = meeting_new(e, "scoring", PANEL3 ",{U:exun}", seat3);
	json_decref(setup_send("POST", tok("sec1"), NULL, 201,
			       V1 "/meetings/%lld/rounds", *fixture("M1")));
	json_decref(setup_call(
	    "PUT", tok("ex1"), (const char *const[]){BALLOT_KEY, NULL},
	    BALLOT_BODY, 200, V1 "/meetings/%lld/rounds/1/ballot",
	    *fixture("M1")));
	/* E1B: a scoring meeting without a round yet. */
	*fixture("E1B") = e = eval_new("sec1", true);
	*fixture("M1B") = meeting_new(e, "scoring", PANEL3, seat3);
	/* E3: its scoring meeting finalized, so that a verdict's body is
	 * judged (before that, the stage refuses first). */
	*fixture("E3") = e = eval_new("sec1", true);
	{
		long long m = meeting_new(e, "scoring", PANEL3, seat3);
		json_t *round = setup_send("POST", tok("sec1"), NULL, 201,
					   V1 "/meetings/%lld/rounds", m);
		json_t *ballot = json_pack("{s:[]}", "scores"), *x;
		char *text;
		size_t i;

		json_array_foreach(json_object_get(round, "items"), i, x)
		    json_array_append_new(
			json_object_get(ballot, "scores"),
			json_pack("{s:O, s:i}", "item", x, "score", 88));
		text = json_dumps(ballot, JSON_COMPACT);
		for (i = 0; seat3[i] != NULL; i++)
			json_decref(
			    setup_call("PUT", tok(seat3[i]), NULL, text, 200,
				       V1 "/meetings/%lld/rounds/1/ballot", m));
		free(text);
		json_decref(ballot);
		json_decref(round);
		json_decref(setup_send("POST", tok("sec1"), NULL, 200,
				       V1 "/meetings/%lld/rounds/1/close", m));
		json_decref(setup_send("POST", tok("sec1"), NULL, 200,
				       V1 "/meetings/%lld/finalize", m));
	}
	/* E2: sec2's, with ex2-ex4 on M2, round 1 open. */
	*fixture("E2") = e = eval_new("sec2", true);
	{
		long long m = id_of(setup_send(
		    "POST", tok("sec2"),
		    "{\"kind\":\"scoring\",\"title\":\"他人会议\",\"experts\":"
		    "[{U:ex2},{U:ex3},{U:ex4}],\"quorum\":3}",
		    201, V1 "/evaluations/%lld/meetings", e));
		const char *const seat[] = {"ex2", "ex3", "ex4", NULL};

		for (size_t i = 0; seat[i] != NULL; i++)
			json_decref(
			    setup_send("POST", tok(seat[i]),
				       "{\"conflict_of_interest\":false}", 200,
				       V1 "/meetings/%lld/seat", m));
		json_decref(setup_send("POST", tok("sec2"), NULL, 201,
				       V1 "/meetings/%lld/rounds", m));
		*fixture("M2") = m;
	}
	/* The section 4.1 stages, one evaluation each. */
	*fixture("ESTD") = eval_new("sec1", false);
	*fixture("EPOOL") = eval_procedure("pool");
	*fixture("ECMP") = eval_procedure("comparison");
	*fixture("ESEL") = e = eval_procedure("selection");
	*fixture("MSEL") = meeting_new(e, "selection", PANEL3, seat3);
	json_decref(setup_send("POST", tok("sec1"), NULL, 201,
			       V1 "/meetings/%lld/rounds", *fixture("MSEL")));
	/* EW: selection done (1.1 and 1.2 key), a weighting meeting with
	 * round 1 open over 1, 1.1 and 1.2. */
	*fixture("EW") = e = eval_procedure("selection");
	*fixture("MSW") = meeting_new(e, "selection", PANEL3, seat3);
	json_decref(setup_send("POST", tok("sec1"), NULL, 201,
			       V1 "/meetings/%lld/rounds", *fixture("MSW")));
	for (size_t i = 0; seat3[i] != NULL; i++)
		json_decref(setup_send(
		    "PUT", tok(seat3[i]),
		    "{\"votes\":[{\"item\":\"1.1\",\"include\":true},"
		    "{\"item\":\"1.2\",\"include\":true}]}",
		    200, V1 "/meetings/%lld/rounds/1/ballot", *fixture("MSW")));
	json_decref(setup_send("POST", tok("sec1"), NULL, 200,
			       V1 "/meetings/%lld/rounds/1/close",
			       *fixture("MSW")));
	json_decref(setup_send("POST", tok("sec1"), NULL, 200,
			       V1 "/meetings/%lld/finalize", *fixture("MSW")));
	json_decref(
	    setup_send("POST", tok("sec1"),
		       "{\"stakeholder\":\"enterprise\",\"organization\":"
		       "\"某企业\",\"opinion\":\"同意\"}",
		       201, V1 "/evaluations/%lld/consultations", e));
	advance(e, "weighting");
	*fixture("MW") = meeting_new(e, "weighting", PANEL3, seat3);
	json_decref(setup_send("POST", tok("sec1"), NULL, 201,
			       V1 "/meetings/%lld/rounds", *fixture("MW")));
}

/* Every committed audit entry sequenced, so nothing the set-up wrote is
 * still moving when the suite looks. */
static void
flush_audit(void)
{
	json_decref(
	    setup_call("GET", tok("aud"), NULL, NULL, 200, V1 "/audit/head"));
}

/* Logins here are checks, not an attack to throttle. */
static const char *const server_args[] = {
    "--scrypt-log2-n=" IT_FAST_SCRYPT,
    "--login-max-failures=1000",
    "--max-body-bytes=" HX_MAX_BODY,
    "--request-timeout-ms=" HX_DEADLINE_MS,
    NULL,
};

static int
hx_setup(void **state)
{
	(void)state;
	it_env_start();
	assert_int_equal(
	    it_create_admin(IT_ADMIN_NAME, IT_ADMIN_PASSWORD, IT_FAST_SCRYPT),
	    0);
	server = it_server_start(server_args);
	return 0;
}

static int
hx_teardown(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_PEOPLE; i++)
		free(people[i].token);
	free(tally.dump);
	it_env_stop();
	return 0;
}

/* ---- the cases ---- */

/* A request sent with libcurl. */
struct hx_case {
	const char *what;
	const char *method;	/* NULL: GET */
	const char *path;	/* placeholders expanded */
	const char *body;	/* placeholders expanded; NULL: none */
	const char *headers[2]; /* placeholders expanded */
	const char *as;		/* whose token; "forged"; NULL: none */
	long status;
	const char *code;  /* the error code; NULL: libevent's or no error */
	const char *allow; /* the Allow header a 405 must carry */
};

/* Sent with body b as a, wanting status s and error code c. */
#define BAD(what, method, path, b, a, s, c)                                    \
	{                                                                      \
		what, method, path, b, {NULL, NULL}, a, s, c, NULL             \
	}
#define HDR(what, method, path, b, h, a, s, c)                                 \
	{                                                                      \
		what, method, path, b, {h, NULL}, a, s, c, NULL                \
	}
/* The method is not one the path takes: 405 with its Allow, before any
 * token is looked at. */
#define M405(method, path, allow)                                              \
	{                                                                      \
		method " " path, method, path, NULL, {NULL, NULL}, NULL, 405,  \
		    "method_not_allowed", allow                                \
	}

#define EV	 V1 "/evaluations/"
#define MT	 V1 "/meetings/"
#define B1	 MT "{M1}/rounds/1/ballot"
#define BSEL	 MT "{MSEL}/rounds/1/ballot"
#define BW	 MT "{MW}/rounds/1/ballot"
#define LVL	 MT "{MW}/advanced-levels/1.1"
#define SCORE(s) "{\"scores\":[{\"item\":\"1.1.1\",\"score\":" s "}]}"
#define VOTE(v)	 "{\"votes\":[" v "]}"
#define WEIGH(w) "{\"weights\":[" w "]}"
#define W_OK                                                                   \
	"{\"item\":\"1\",\"weight\":\"1\"},{\"item\":\"1.1\",\"weight\":"      \
	"\"0.5\"},{\"item\":\"1.2\",\"weight\":\"0.5\"}"
#define SEAT_OK "{\"conflict_of_interest\":false}"
#define EVAL_OK                                                                \
	"{\"title\":\"t\",\"standard\":{\"code\":\"c\",\"title\":\"t\"}}"
#define MEET(extra)                                                            \
	"{\"kind\":\"scoring\",\"title\":\"m\",\"experts\":[{U:ex1},{U:ex2},"  \
	"{U:ex3}]" extra "}"
#define SMEET(extra)                                                           \
	"{\"kind\":\"selection\",\"title\":\"m\",\"experts\":[{U:ex1},"        \
	"{U:ex2},{U:ex3}],\"quorum\":3" extra "}"
#define CONSULT(extra)                                                         \
	"{\"stakeholder\":\"other\",\"organization\":\"o\","                   \
	"\"opinion\":\"p\"" extra "}"
#define STD(extra)                                                             \
	"{\"code\":\"GB 2\",\"title\":\"t\",\"scope\":\"group\"" extra "}"
#define POOL(extra) "{\"name\":\"n\"" extra "}"
#define CMP	    EV "{ECMP}/pool/1.1/comparison"
#define USER(extra)                                                            \
	"{\"username\":\"h_new\",\"role\":\"expert\","                         \
	"\"password\":\"" PASSWORD "\"" extra "}"
#define TPL(extra)                                                             \
	"{\"from_evaluation\":{E1},\"id\":\"mine\",\"title\":\"t\"" extra "}"

static const struct hx_case cases[] = {
    /* ---- truncated and invalid JSON ---- */
    BAD("login truncated", "POST", V1 "/sessions",
	"{\"username\":\"admin\",\"password\":", NULL, 400, "malformed_json"),
    BAD("evaluation truncated in a nested object", "POST", V1 "/evaluations",
	"{\"title\":\"t\",\"standard\":{\"code\":\"c\",\"title\":", "sec1", 400,
	"malformed_json"),
    BAD("a lone brace", "POST", V1 "/evaluations", "{", "sec1", 400,
	"malformed_json"),
    BAD("ballot without its closing brace", "PUT", B1,
	"{\"scores\":[{\"item\":\"1.1.1\",\"score\":88}]", "ex1", 400,
	"malformed_json"),
    BAD("vote with a misspelt literal", "PUT", BSEL,
	VOTE("{\"item\":\"1.1\",\"include\":tru}"), "ex1", 400,
	"malformed_json"),
    BAD("weights with a trailing comma", "PUT", BW,
	WEIGH("{\"item\":\"1\",\"weight\":\"1\"},"), "ex1", 400,
	"malformed_json"),
    BAD("single quotes", "POST", EV "{ESTD}/standards", "{'code':'x'}", "sec1",
	400, "malformed_json"),
    BAD("missing comma", "POST", EV "{EPOOL}/pool",
	"{\"code\":\"1.1\" \"name\":\"x\"}", "sec1", 400, "malformed_json"),
    BAD("extra closing brace", "PUT", CMP,
	"{\"standard\":{\"ref\":\"a\",\"level\":\"b\"}}}", "sec1", 400,
	"malformed_json"),
    BAD("two objects", "POST", EV "{ESEL}/consultations", CONSULT("") "{}",
	"sec1", 400, "malformed_json"),
    BAD("a string body", "POST", EV "{ESTD}/advance", "\"pool\"", "sec1", 400,
	"malformed_json"),
    BAD("a null body", "POST", EV "{E1B}/meetings", "null", "sec1", 400,
	"malformed_json"),
    BAD("an array body", "POST", MT "{M1}/seat", "[]", "ex1", 400,
	"malformed_json"),
    BAD("a number body", "POST", MT "{M1B}/rounds", "123", "sec1", 400,
	"malformed_json"),
    BAD("bad escape", "PUT", LVL, "{\"text\":\"a\\u\"}", "sec1", 400,
	"malformed_json"),
    BAD("lone surrogate escape", "POST", EV "{E1}/verdict",
	"{\"statement\":\"\\ud800\"}", "sec1", 400, "malformed_json"),
    BAD("trailing comma in object", "POST", V1 "/templates",
	"{\"from_evaluation\":1,}", "sec1", 400, "malformed_json"),
    BAD("patch truncated", "PATCH", V1 "/users/{U:ex1}",
	"{\"display_name\":\"x\"", "admin", 400, "malformed_json"),
    BAD("user truncated", "POST", V1 "/users",
	"{\"username\":\"h_new\",\"role\":\"expert\"", "admin", 400,
	"malformed_json"),
    BAD("NaN literal", "PUT", B1, "{\"scores\":NaN}", "ex1", 400,
	"malformed_json"),
    BAD("hex number", "PUT", B1, SCORE("0x10"), "ex1", 400, "malformed_json"),
    BAD("explicit plus sign", "PUT", B1, SCORE("+5"), "ex1", 400,
	"malformed_json"),
    BAD("leading dot", "PUT", B1, SCORE(".5"), "ex1", 400, "malformed_json"),
    BAD("leading zero", "PUT", B1, SCORE("085"), "ex1", 400, "malformed_json"),
    BAD("Infinity literal", "PUT", BW,
	WEIGH("{\"item\":\"1\",\"weight\":Infinity}"), "ex1", 400,
	"malformed_json"),
    BAD("byte order mark", "POST", V1 "/evaluations", "\xef\xbb\xbf" EVAL_OK,
	"sec1", 400, "malformed_json"),
    BAD("whitespace only", "POST", EV "{ESTD}/advance", "   \n  ", "sec1", 400,
	"malformed_json"),
    BAD("30000 nested arrays", "POST", V1 "/evaluations",
	"{\"title\":{DEEP:30000}}", "sec1", 400, "malformed_json"),
    BAD("duplicate key, nested", "POST", V1 "/evaluations",
	"{\"title\":\"t\",\"standard\":{\"code\":\"a\",\"code\":\"b\","
	"\"title\":\"t\"}}",
	"sec1", 400, "malformed_json"),
    BAD("duplicate key in a vote", "PUT", BSEL,
	VOTE("{\"item\":\"1.1\",\"include\":true,\"include\":false}"), "ex1",
	400, "malformed_json"),
    BAD("comment in JSON", "POST", EV "{ESTD}/advance",
	"{/* next */\"to\":\"pool\"}", "sec1", 400, "malformed_json"),
    BAD("escaped NUL in a key", "PUT", B1,
	"{\"scores\":[{\"item\\u0000\":\"1.1.1\",\"score\":88}]}", "ex1", 400,
	"malformed_json"),
    BAD("control character in a string", "POST", EV "{ESEL}/consultations",
	"{\"stakeholder\":\"other\",\"organization\":\"o\x01\",\"opinion\":"
	"\"p\"}",
	"sec1", 400, "malformed_json"),
    BAD("raw newline in a string", "PUT", LVL, "{\"text\":\"a\nb\"}", "sec1",
	400, "malformed_json"),

    /* ---- huge and odd numbers ---- */
    BAD("score 1e309", "PUT", B1, SCORE("1e309"), "ex1", 400, "malformed_json"),
    BAD("score 2^63", "PUT", B1, SCORE("9223372036854775808"), "ex1", 400,
	"malformed_json"),
    BAD("score 2^63-1", "PUT", B1, SCORE("9223372036854775807"), "ex1", 422,
	"invalid_score"),
    BAD("score -2^63", "PUT", B1, SCORE("-9223372036854775808"), "ex1", 422,
	"invalid_score"),
    BAD("score 100.001", "PUT", B1, SCORE("100.001"), "ex1", 422,
	"invalid_score"),
    BAD("score \"100.001\"", "PUT", B1, SCORE("\"100.001\""), "ex1", 422,
	"invalid_score"),
    BAD("score 100.01", "PUT", B1, SCORE("100.01"), "ex1", 422,
	"invalid_score"),
    BAD("score 101", "PUT", B1, SCORE("101"), "ex1", 422, "invalid_score"),
    BAD("score -1", "PUT", B1, SCORE("-1"), "ex1", 422, "invalid_score"),
    BAD("score -0.001", "PUT", B1, SCORE("-0.001"), "ex1", 422,
	"invalid_score"),
    BAD("score \"-0\"", "PUT", B1, SCORE("\"-0\""), "ex1", 422,
	"invalid_score"),
    BAD("score 1e-7", "PUT", B1, SCORE("1e-7"), "ex1", 422, "invalid_score"),
    BAD("score 85.555", "PUT", B1, SCORE("85.555"), "ex1", 422,
	"invalid_score"),
    BAD("score \"1e2\"", "PUT", B1, SCORE("\"1e2\""), "ex1", 422,
	"invalid_score"),
    BAD("score \"0x10\"", "PUT", B1, SCORE("\"0x10\""), "ex1", 422,
	"invalid_score"),
    BAD("score \"+5\"", "PUT", B1, SCORE("\"+5\""), "ex1", 422,
	"invalid_score"),
    BAD("score \" 5\"", "PUT", B1, SCORE("\" 5\""), "ex1", 422,
	"invalid_score"),
    BAD("score \"85.\"", "PUT", B1, SCORE("\"85.\""), "ex1", 422,
	"invalid_score"),
    BAD("score \"NaN\"", "PUT", B1, SCORE("\"NaN\""), "ex1", 422,
	"invalid_score"),
    BAD("score \"Infinity\"", "PUT", B1, SCORE("\"Infinity\""), "ex1", 422,
	"invalid_score"),
    BAD("score in full-width digits", "PUT", B1, SCORE("\"８５\""), "ex1", 422,
	"invalid_score"),
    BAD("weight 1e309", "PUT", BW, WEIGH("{\"item\":\"1\",\"weight\":1e309}"),
	"ex1", 400, "malformed_json"),
    BAD("weight 2^63", "PUT", BW,
	WEIGH("{\"item\":\"1\",\"weight\":9223372036854775808}"), "ex1", 400,
	"malformed_json"),
    BAD("weight 1.0001", "PUT", BW, WEIGH("{\"item\":\"1\",\"weight\":1.0001}"),
	"ex1", 422, "invalid_weight"),
    BAD("weight \"0.3333\"", "PUT", BW,
	WEIGH("{\"item\":\"1\",\"weight\":\"0.3333\"}"), "ex1", 422,
	"invalid_weight"),
    BAD("weight -0.5", "PUT", BW, WEIGH("{\"item\":\"1\",\"weight\":-0.5}"),
	"ex1", 422, "invalid_weight"),
    BAD("weight 2", "PUT", BW, WEIGH("{\"item\":\"1\",\"weight\":2}"), "ex1",
	422, "invalid_weight"),
    BAD("weight \"-0\"", "PUT", BW, WEIGH("{\"item\":\"1\",\"weight\":\"-0\"}"),
	"ex1", 422, "invalid_weight"),
    BAD("quorum 1e309", "POST", EV "{E1B}/meetings", MEET(",\"quorum\":1e309"),
	"sec1", 400, "malformed_json"),
    BAD("quorum 2^63", "POST", EV "{E1B}/meetings",
	MEET(",\"quorum\":9223372036854775808"), "sec1", 400, "malformed_json"),
    BAD("quorum 2^63-1", "POST", EV "{E1B}/meetings",
	MEET(",\"quorum\":9223372036854775807"), "sec1", 422, "invalid_field"),
    BAD("quorum -0", "POST", EV "{E1B}/meetings", MEET(",\"quorum\":-0"),
	"sec1", 422, "invalid_field"),
    BAD("quorum 3.0", "POST", EV "{E1B}/meetings", MEET(",\"quorum\":3.0"),
	"sec1", 422, "invalid_field"),
    BAD("trim -2^63", "POST", EV "{E1B}/meetings",
	MEET(",\"aggregation\":{\"trim\":-9223372036854775808}"), "sec1", 422,
	"invalid_field"),
    BAD("expert id 2^63", "POST", EV "{E1B}/meetings",
	"{\"kind\":\"scoring\",\"title\":\"m\",\"experts\":"
	"[9223372036854775808]}",
	"sec1", 400, "malformed_json"),
    BAD("expert id 1e3", "POST", EV "{E1B}/meetings",
	"{\"kind\":\"scoring\",\"title\":\"m\",\"experts\":[1e3]}", "sec1", 422,
	"invalid_field"),
    BAD("expert id -0", "POST", EV "{E1B}/meetings",
	"{\"kind\":\"scoring\",\"title\":\"m\",\"experts\":[-0]}", "sec1", 422,
	"invalid_field"),
    BAD("expert id 2^63-1", "POST", EV "{E1B}/meetings",
	"{\"kind\":\"scoring\",\"title\":\"m\",\"experts\":[{U:ex1},{U:ex2},"
	"9223372036854775807],\"quorum\":3}",
	"sec1", 422, "invalid_field"),
    BAD("from_evaluation 2^63", "POST", V1 "/templates",
	"{\"from_evaluation\":9223372036854775808,\"id\":\"x\",\"title\":"
	"\"t\"}",
	"sec1", 400, "malformed_json"),
    BAD("from_evaluation -0", "POST", V1 "/templates",
	"{\"from_evaluation\":-0,\"id\":\"x\",\"title\":\"t\"}", "sec1", 422,
	"invalid_field"),
    BAD("threshold \"100.01\"", "POST", V1 "/evaluations",
	"{\"title\":\"t\",\"standard\":{\"code\":\"c\",\"title\":\"t\"},"
	"\"threshold\":\"100.01\"}",
	"sec1", 422, "invalid_field"),
    BAD("threshold \"-0\"", "POST", V1 "/evaluations",
	"{\"title\":\"t\",\"standard\":{\"code\":\"c\",\"title\":\"t\"},"
	"\"threshold\":\"-0\"}",
	"sec1", 422, "invalid_field"),
    BAD("threshold \"85.001\"", "POST", V1 "/evaluations",
	"{\"title\":\"t\",\"standard\":{\"code\":\"c\",\"title\":\"t\"},"
	"\"threshold\":\"85.001\"}",
	"sec1", 422, "invalid_field"),
    BAD("threshold SQL injection", "POST", V1 "/evaluations",
	"{\"title\":\"t\",\"standard\":{\"code\":\"c\",\"title\":\"t\"},"
	"\"threshold\":\"85' OR 1=1\"}",
	"sec1", 422, "invalid_field"),
    BAD("threshold \"9223372036854775808\"", "POST", V1 "/evaluations",
	"{\"title\":\"t\",\"standard\":{\"code\":\"c\",\"title\":\"t\"},"
	"\"threshold\":\"9223372036854775808\"}",
	"sec1", 422, "invalid_field"),
    BAD("round 4294967297 (2^32 + 1)", "PUT",
	MT "{M1}/rounds/4294967297/ballot", BALLOT_BODY, "ex2", 404,
	"not_found"),
    BAD("round 2147483648 (2^31)", "PUT", MT "{M1}/rounds/2147483648/ballot",
	BALLOT_BODY, "ex2", 404, "not_found"),
    BAD("round 19 digits", "PUT", MT "{M1}/rounds/1000000000000000001/ballot",
	BALLOT_BODY, "ex2", 404, "not_found"),
    BAD("close round 4294967297", "POST", MT "{M1}/rounds/4294967297/close",
	NULL, "sec1", 404, "not_found"),
    BAD("results of round 4294967297", "GET",
	MT "{M1}/rounds/4294967297/results", NULL, "sec1", 404, "not_found"),

    /* ---- wrong types and rules: sessions and users ---- */
    BAD("login username a number", "POST", V1 "/sessions",
	"{\"username\":5,\"password\":\"x\"}", NULL, 400, "bad_request"),
    BAD("login password true", "POST", V1 "/sessions",
	"{\"username\":\"admin\",\"password\":true}", NULL, 400, "bad_request"),
    BAD("login username null", "POST", V1 "/sessions",
	"{\"username\":null,\"password\":\"x\"}", NULL, 400, "bad_request"),
    BAD("login empty object", "POST", V1 "/sessions", "{}", NULL, 400,
	"bad_request"),
    BAD("login username 65 bytes", "POST", V1 "/sessions",
	"{\"username\":\"{X:65}\",\"password\":\"x\"}", NULL, 422,
	"invalid_field"),
    BAD("login password 1025 bytes", "POST", V1 "/sessions",
	"{\"username\":\"admin\",\"password\":\"{X:1025}\"}", NULL, 422,
	"invalid_field"),
    BAD("login SQL injection", "POST", V1 "/sessions",
	"{\"username\":\"admin' OR '1'='1\",\"password\":\"x' OR '1'='1\"}",
	NULL, 401, "bad_credentials"),
    BAD("login comment injection", "POST", V1 "/sessions",
	"{\"username\":\"admin'--\",\"password\":\"whatever\"}", NULL, 401,
	"bad_credentials"),
    BAD("login wrong password", "POST", V1 "/sessions",
	"{\"username\":\"h_ex1\",\"password\":\"" PASSWORD "x\"}", NULL, 401,
	"bad_credentials"),
    BAD("user username a number", "POST", V1 "/users",
	"{\"username\":123,\"role\":\"expert\",\"password\":\"" PASSWORD "\"}",
	"admin", 400, "bad_request"),
    BAD("user display_name a list", "POST", V1 "/users",
	USER(",\"display_name\":[]"), "admin", 400, "bad_request"),
    BAD("user role an object", "POST", V1 "/users",
	"{\"username\":\"h_new\",\"role\":{},\"password\":\"" PASSWORD "\"}",
	"admin", 400, "bad_request"),
    BAD("user organization a number", "POST", V1 "/users",
	USER(",\"organization\":1.5"), "admin", 400, "bad_request"),
    BAD("user password null", "POST", V1 "/users",
	"{\"username\":\"h_new\",\"role\":\"expert\",\"password\":null}",
	"admin", 400, "bad_request"),
    BAD("user display_name 201 bytes", "POST", V1 "/users",
	USER(",\"display_name\":\"{X:201}\""), "admin", 422, "invalid_field"),
    BAD("user organization 67 characters (201 bytes)", "POST", V1 "/users",
	USER(",\"organization\":\"{Z:67}\""), "admin", 422, "invalid_field"),
    BAD("user password 1025 bytes", "POST", V1 "/users",
	"{\"username\":\"h_new\",\"role\":\"expert\",\"password\":"
	"\"{X:1025}\"}",
	"admin", 422, "invalid_field"),
    BAD("user username SQL injection", "POST", V1 "/users",
	"{\"username\":\"x'; DROP TABLE users;--\",\"role\":\"expert\","
	"\"password\":\"" PASSWORD "\"}",
	"admin", 422, "invalid_field"),
    BAD("user role SQL injection", "POST", V1 "/users",
	"{\"username\":\"h_new\",\"role\":\"expert' OR '1'='1\","
	"\"password\":\"" PASSWORD "\"}",
	"admin", 422, "invalid_field"),
    BAD("user username with a NUL", "POST", V1 "/users",
	"{\"username\":\"h_new\\u0000admin\",\"role\":\"expert\","
	"\"password\":\"" PASSWORD "\"}",
	"admin", 400, "malformed_json"),
    BAD("user taken username", "POST", V1 "/users",
	"{\"username\":\"h_ex1\",\"role\":\"expert\",\"password\":\"" PASSWORD
	"\"}",
	"admin", 409, "username_taken"),
    BAD("patch display_name a number", "PATCH", V1 "/users/{U:ex1}",
	"{\"display_name\":1}", "admin", 400, "bad_request"),
    BAD("patch organization true", "PATCH", V1 "/users/{U:ex1}",
	"{\"organization\":true}", "admin", 400, "bad_request"),
    BAD("patch active \"false\"", "PATCH", V1 "/users/{U:ex1}",
	"{\"active\":\"false\"}", "admin", 400, "bad_request"),
    BAD("patch active 0", "PATCH", V1 "/users/{U:ex1}", "{\"active\":0}",
	"admin", 400, "bad_request"),
    BAD("patch password a number", "PATCH", V1 "/users/{U:ex1}",
	"{\"password\":12345678901}", "admin", 400, "bad_request"),
    BAD("patch display_name 201 bytes", "PATCH", V1 "/users/{U:ex1}",
	"{\"display_name\":\"{X:201}\"}", "admin", 422, "invalid_field"),
    BAD("patch role (not patchable)", "PATCH", V1 "/users/{U:ex1}",
	"{\"role\":\"admin\"}", "admin", 400, "unknown_field"),
    BAD("patch id 2^63", "PATCH", V1 "/users/9223372036854775808",
	"{\"display_name\":\"x\"}", "admin", 404, "not_found"),
    BAD("patch id with a sign", "PATCH", V1 "/users/+1",
	"{\"display_name\":\"x\"}", "admin", 404, "not_found"),

    /* ---- evaluations ---- */
    BAD("title a number", "POST", V1 "/evaluations",
	"{\"title\":1,\"standard\":{\"code\":\"c\",\"title\":\"t\"}}", "sec1",
	400, "bad_request"),
    BAD("standard a string", "POST", V1 "/evaluations",
	"{\"title\":\"t\",\"standard\":\"GB\"}", "sec1", 400, "bad_request"),
    BAD("standard code a number", "POST", V1 "/evaluations",
	"{\"title\":\"t\",\"standard\":{\"code\":1,\"title\":\"t\"}}", "sec1",
	400, "bad_request"),
    BAD("standard without title", "POST", V1 "/evaluations",
	"{\"title\":\"t\",\"standard\":{\"code\":\"c\"}}", "sec1", 400,
	"bad_request"),
    BAD("template a number", "POST", V1 "/evaluations",
	"{\"title\":\"t\",\"standard\":{\"code\":\"c\",\"title\":\"t\"},"
	"\"template\":1}",
	"sec1", 400, "bad_request"),
    BAD("threshold a number", "POST", V1 "/evaluations",
	"{\"title\":\"t\",\"standard\":{\"code\":\"c\",\"title\":\"t\"},"
	"\"threshold\":85}",
	"sec1", 400, "bad_request"),
    BAD("drafting_organizations a string", "POST", V1 "/evaluations",
	"{\"title\":\"t\",\"standard\":{\"code\":\"c\",\"title\":\"t\"},"
	"\"drafting_organizations\":\"o\"}",
	"sec1", 422, "invalid_field"),
    BAD("drafting_organizations of numbers", "POST", V1 "/evaluations",
	"{\"title\":\"t\",\"standard\":{\"code\":\"c\",\"title\":\"t\"},"
	"\"drafting_organizations\":[1]}",
	"sec1", 422, "invalid_field"),
    BAD("21 drafting organizations", "POST", V1 "/evaluations",
	"{\"title\":\"t\",\"standard\":{\"code\":\"c\",\"title\":\"t\"},"
	"\"drafting_organizations\":[{LIST:21}]}",
	"sec1", 422, "invalid_field"),
    BAD("drafting organization 201 bytes", "POST", V1 "/evaluations",
	"{\"title\":\"t\",\"standard\":{\"code\":\"c\",\"title\":\"t\"},"
	"\"drafting_organizations\":[\"{X:201}\"]}",
	"sec1", 422, "invalid_field"),
    BAD("title 301 bytes", "POST", V1 "/evaluations",
	"{\"title\":\"{X:301}\",\"standard\":{\"code\":\"c\",\"title\":\"t\"}}",
	"sec1", 422, "invalid_field"),
    BAD("title 101 characters (303 bytes)", "POST", V1 "/evaluations",
	"{\"title\":\"{Z:101}\",\"standard\":{\"code\":\"c\",\"title\":\"t\"}}",
	"sec1", 422, "invalid_field"),
    BAD("standard code 101 bytes", "POST", V1 "/evaluations",
	"{\"title\":\"t\",\"standard\":{\"code\":\"{X:101}\",\"title\":"
	"\"t\"}}",
	"sec1", 422, "invalid_field"),
    BAD("standard title 301 bytes", "POST", V1 "/evaluations",
	"{\"title\":\"t\",\"standard\":{\"code\":\"c\",\"title\":"
	"\"{X:301}\"}}",
	"sec1", 422, "invalid_field"),
    BAD("template 65 bytes", "POST", V1 "/evaluations",
	"{\"title\":\"t\",\"standard\":{\"code\":\"c\",\"title\":\"t\"},"
	"\"template\":\"{X:65}\"}",
	"sec1", 422, "invalid_field"),
    BAD("template SQL injection", "POST", V1 "/evaluations",
	"{\"title\":\"t\",\"standard\":{\"code\":\"c\",\"title\":\"t\"},"
	"\"template\":\"ywtb' OR '1'='1\"}",
	"sec1", 422, "invalid_field"),
    BAD("threshold 17 bytes", "POST", V1 "/evaluations",
	"{\"title\":\"t\",\"standard\":{\"code\":\"c\",\"title\":\"t\"},"
	"\"threshold\":\"00000000000000085\"}",
	"sec1", 422, "invalid_field"),
    BAD("evaluation unknown field", "POST", V1 "/evaluations",
	"{\"title\":\"t\",\"standard\":{\"code\":\"c\",\"title\":\"t\"},"
	"\"stage\":\"finalized\"}",
	"sec1", 400, "unknown_field"),

    /* ---- standards (stage a) ---- */
    BAD("standard code a number", "POST", EV "{ESTD}/standards",
	"{\"code\":1,\"title\":\"t\",\"scope\":\"group\"}", "sec1", 400,
	"bad_request"),
    BAD("standard title a list", "POST", EV "{ESTD}/standards",
	"{\"code\":\"c\",\"title\":[],\"scope\":\"group\"}", "sec1", 400,
	"bad_request"),
    BAD("standard scope a number", "POST", EV "{ESTD}/standards",
	"{\"code\":\"c\",\"title\":\"t\",\"scope\":7}", "sec1", 400,
	"bad_request"),
    BAD("standard scope unknown", "POST", EV "{ESTD}/standards",
	"{\"code\":\"c\",\"title\":\"t\",\"scope\":\"galactic\"}", "sec1", 422,
	"invalid_field"),
    BAD("standard scope SQL injection", "POST", EV "{ESTD}/standards",
	"{\"code\":\"c\",\"title\":\"t\",\"scope\":\"national'); DROP TABLE "
	"standards;--\"}",
	"sec1", 422, "invalid_field"),
    BAD("clauses a string", "POST", EV "{ESTD}/standards",
	STD(",\"clauses\":\"4.1\""), "sec1", 422, "invalid_field"),
    BAD("clauses of numbers", "POST", EV "{ESTD}/standards",
	STD(",\"clauses\":[4.1]"), "sec1", 422, "invalid_field"),
    BAD("clause empty", "POST", EV "{ESTD}/standards",
	STD(",\"clauses\":[\"\"]"), "sec1", 422, "invalid_field"),
    BAD("51 clauses", "POST", EV "{ESTD}/standards",
	STD(",\"clauses\":[{LIST:51}]"), "sec1", 422, "invalid_field"),
    BAD("clause 301 bytes", "POST", EV "{ESTD}/standards",
	STD(",\"clauses\":[\"{X:301}\"]"), "sec1", 422, "invalid_field"),
    BAD("standard code 101 bytes", "POST", EV "{ESTD}/standards",
	"{\"code\":\"{X:101}\",\"title\":\"t\",\"scope\":\"group\"}", "sec1",
	422, "invalid_field"),
    BAD("standard title 301 bytes", "POST", EV "{ESTD}/standards",
	"{\"code\":\"c\",\"title\":\"{X:301}\",\"scope\":\"group\"}", "sec1",
	422, "invalid_field"),
    BAD("standard scope 33 bytes", "POST", EV "{ESTD}/standards",
	"{\"code\":\"c\",\"title\":\"t\",\"scope\":\"{X:33}\"}", "sec1", 422,
	"invalid_field"),
    BAD("standard at the wrong stage", "POST", EV "{EPOOL}/standards", STD(""),
	"sec1", 409, "wrong_stage"),
    BAD("standard of another secretary's evaluation", "POST",
	EV "{ESTD}/standards", STD(""), "sec2", 403, "forbidden"),

    /* ---- pool (stage b) ---- */
    BAD("pool code a number", "POST", EV "{EPOOL}/pool",
	"{\"code\":1.1,\"name\":\"n\",\"parent\":\"1\"}", "sec1", 400,
	"bad_request"),
    BAD("pool name null", "POST", EV "{EPOOL}/pool",
	"{\"code\":\"1.1\",\"name\":null,\"parent\":\"1\"}", "sec1", 400,
	"bad_request"),
    BAD("pool kind true", "POST", EV "{EPOOL}/pool",
	POOL(",\"code\":\"1.1\",\"parent\":\"1\",\"kind\":true"), "sec1", 400,
	"bad_request"),
    BAD("pool description a number", "POST", EV "{EPOOL}/pool",
	POOL(",\"code\":\"1.1\",\"parent\":\"1\",\"description\":5"), "sec1",
	400, "bad_request"),
    BAD("pool parent a number", "POST", EV "{EPOOL}/pool",
	POOL(",\"code\":\"1.1\",\"parent\":1"), "sec1", 400, "bad_request"),
    BAD("pool kind unknown", "POST", EV "{EPOOL}/pool",
	POOL(",\"code\":\"1.1\",\"parent\":\"1\",\"kind\":\"leaf\""), "sec1",
	422, "invalid_field"),
    BAD("pool source a string", "POST", EV "{EPOOL}/pool",
	POOL(",\"code\":\"1.1\",\"parent\":\"1\",\"source\":\"standard\""),
	"sec1", 422, "invalid_field"),
    BAD("pool source type unknown", "POST", EV "{EPOOL}/pool",
	POOL(",\"code\":\"1.1\",\"parent\":\"1\",\"source\":{\"type\":"
	     "\"rumor\"}"),
	"sec1", 422, "invalid_field"),
    BAD("pool source type a number", "POST", EV "{EPOOL}/pool",
	POOL(",\"code\":\"1.1\",\"parent\":\"1\",\"source\":{\"type\":1}"),
	"sec1", 422, "invalid_field"),
    BAD("pool source type SQL injection", "POST", EV "{EPOOL}/pool",
	POOL(",\"code\":\"1.1\",\"parent\":\"1\",\"source\":{\"type\":"
	     "\"market'--\"}"),
	"sec1", 422, "invalid_field"),
    BAD("pool kind SQL injection", "POST", EV "{EPOOL}/pool",
	POOL(",\"code\":\"2\",\"kind\":\"group'--\""), "sec1", 422,
	"invalid_field"),
    BAD("pool code with a leading zero", "POST", EV "{EPOOL}/pool",
	POOL(",\"code\":\"1.01\",\"parent\":\"1\""), "sec1", 422,
	"invalid_field"),
    BAD("pool code seven levels deep", "POST", EV "{EPOOL}/pool",
	POOL(",\"code\":\"1.1.1.1.1.1.1\",\"parent\":\"1.1.1.1.1.1\""), "sec1",
	422, "invalid_field"),
    BAD("pool code of four digits", "POST", EV "{EPOOL}/pool",
	POOL(",\"code\":\"1000\",\"kind\":\"group\""), "sec1", 422,
	"invalid_field"),
    BAD("pool code 0", "POST", EV "{EPOOL}/pool",
	POOL(",\"code\":\"0\",\"kind\":\"group\""), "sec1", 422,
	"invalid_field"),
    BAD("pool code with two dots", "POST", EV "{EPOOL}/pool",
	POOL(",\"code\":\"1..1\",\"parent\":\"1\""), "sec1", 422,
	"invalid_field"),
    BAD("pool code SQL injection", "POST", EV "{EPOOL}/pool",
	POOL(",\"code\":\"1; DROP TABLE pool\",\"kind\":\"group\""), "sec1",
	422, "invalid_field"),
    BAD("pool parent not its prefix", "POST", EV "{EPOOL}/pool",
	POOL(",\"code\":\"2.1\",\"parent\":\"1\""), "sec1", 422,
	"invalid_field"),
    BAD("pool parent SQL injection", "POST", EV "{EPOOL}/pool",
	POOL(",\"code\":\"1.1\",\"parent\":\"1' OR '1'='1\""), "sec1", 422,
	"invalid_field"),
    BAD("pool candidate at the top level", "POST", EV "{EPOOL}/pool",
	POOL(",\"code\":\"2\""), "sec1", 422, "invalid_field"),
    BAD("pool parent not in the pool", "POST", EV "{EPOOL}/pool",
	POOL(",\"code\":\"9.1\",\"parent\":\"9\""), "sec1", 422,
	"invalid_field"),
    BAD("pool code taken", "POST", EV "{EPOOL}/pool",
	POOL(",\"code\":\"1\",\"kind\":\"group\""), "sec1", 409,
	"pool_code_exists"),
    BAD("pool name 201 bytes", "POST", EV "{EPOOL}/pool",
	"{\"code\":\"1.1\",\"parent\":\"1\",\"name\":\"{X:201}\"}", "sec1", 422,
	"invalid_field"),
    BAD("pool description 2001 bytes", "POST", EV "{EPOOL}/pool",
	POOL(",\"code\":\"1.1\",\"parent\":\"1\",\"description\":"
	     "\"{X:2001}\""),
	"sec1", 422, "invalid_field"),
    BAD("pool code 64 bytes", "POST", EV "{EPOOL}/pool",
	POOL(",\"code\":\"{X:64}\",\"kind\":\"group\""), "sec1", 422,
	"invalid_field"),

    /* ---- comparison (stage c) ---- */
    BAD("comparison standard a string", "PUT", CMP, "{\"standard\":\"x\"}",
	"sec1", 422, "invalid_field"),
    BAD("comparison ref a number", "PUT", CMP,
	"{\"standard\":{\"ref\":1,\"level\":\"l\"}}", "sec1", 422,
	"invalid_field"),
    BAD("comparison benchmark scope unknown", "PUT", CMP,
	"{\"benchmark\":{\"scope\":\"galactic\",\"ref\":\"r\","
	"\"level\":\"l\"}}",
	"sec1", 422, "invalid_field"),
    BAD("comparison benchmark without scope", "PUT", CMP,
	"{\"benchmark\":{\"ref\":\"r\",\"level\":\"l\"}}", "sec1", 422,
	"invalid_field"),
    BAD("comparison both null", "PUT", CMP,
	"{\"standard\":null,\"benchmark\":null}", "sec1", 422, "invalid_field"),
    BAD("comparison benchmark scope SQL injection", "PUT", CMP,
	"{\"benchmark\":{\"scope\":\"domestic' OR '1'='1\",\"ref\":\"r\","
	"\"level\":\"l\"}}",
	"sec1", 422, "invalid_field"),
    BAD("comparison empty", "PUT", CMP, "{}", "sec1", 422, "invalid_field"),
    BAD("comparison level a list", "PUT", CMP,
	"{\"standard\":{\"ref\":\"r\",\"level\":[]}}", "sec1", 422,
	"invalid_field"),
    BAD("comparison unknown field", "PUT", CMP,
	"{\"standard\":{\"ref\":\"r\",\"level\":\"l\"},\"note\":\"x\"}", "sec1",
	400, "unknown_field"),
    BAD("comparison of no such candidate", "PUT",
	EV "{ECMP}/pool/1.9/comparison",
	"{\"standard\":{\"ref\":\"r\",\"level\":\"l\"}}", "sec1", 404,
	"not_found"),
    BAD("comparison of a group", "PUT", EV "{ECMP}/pool/1/comparison",
	"{\"standard\":{\"ref\":\"r\",\"level\":\"l\"}}", "sec1", 404,
	"not_found"),
    BAD("comparison code SQL injection", "PUT",
	EV "{ECMP}/pool/1.1'%20OR%20'1'='1/comparison",
	"{\"standard\":{\"ref\":\"r\",\"level\":\"l\"}}", "sec1", 404,
	"not_found"),
    BAD("comparison at the wrong stage", "PUT", EV "{ESEL}/pool/1.1/comparison",
	"{\"standard\":{\"ref\":\"r\",\"level\":\"l\"}}", "sec1", 409,
	"wrong_stage"),

    /* ---- consultations (stage d) ---- */
    BAD("stakeholder a number", "POST", EV "{ESEL}/consultations",
	"{\"stakeholder\":1,\"organization\":\"o\",\"opinion\":\"p\"}", "sec1",
	400, "bad_request"),
    BAD("stakeholder unknown", "POST", EV "{ESEL}/consultations",
	"{\"stakeholder\":\"hacker\",\"organization\":\"o\",\"opinion\":"
	"\"p\"}",
	"sec1", 422, "invalid_field"),
    BAD("stakeholder SQL injection", "POST", EV "{ESEL}/consultations",
	"{\"stakeholder\":\"other' --\",\"organization\":\"o\",\"opinion\":"
	"\"p\"}",
	"sec1", 422, "invalid_field"),
    BAD("organization an object", "POST", EV "{ESEL}/consultations",
	"{\"stakeholder\":\"other\",\"organization\":{},\"opinion\":\"p\"}",
	"sec1", 400, "bad_request"),
    BAD("opinion a list", "POST", EV "{ESEL}/consultations",
	"{\"stakeholder\":\"other\",\"organization\":\"o\",\"opinion\":[]}",
	"sec1", 400, "bad_request"),
    BAD("response a number", "POST", EV "{ESEL}/consultations",
	CONSULT(",\"response\":0"), "sec1", 400, "bad_request"),
    BAD("opinion empty", "POST", EV "{ESEL}/consultations",
	"{\"stakeholder\":\"other\",\"organization\":\"o\",\"opinion\":\"\"}",
	"sec1", 422, "invalid_field"),
    BAD("organization 201 bytes", "POST", EV "{ESEL}/consultations",
	"{\"stakeholder\":\"other\",\"organization\":\"{X:201}\",\"opinion\":"
	"\"p\"}",
	"sec1", 422, "invalid_field"),
    BAD("opinion 4001 bytes", "POST", EV "{ESEL}/consultations",
	"{\"stakeholder\":\"other\",\"organization\":\"o\",\"opinion\":"
	"\"{X:4001}\"}",
	"sec1", 422, "invalid_field"),
    BAD("response 1334 characters (4002 bytes)", "POST",
	EV "{ESEL}/consultations", CONSULT(",\"response\":\"{Z:1334}\""),
	"sec1", 422, "invalid_field"),
    BAD("consultation at the wrong stage", "POST", EV "{ECMP}/consultations",
	CONSULT(""), "sec1", 409, "wrong_stage"),

    /* ---- advance ---- */
    BAD("advance to a number", "POST", EV "{ESTD}/advance", "{\"to\":1}",
	"sec1", 400, "bad_request"),
    BAD("advance nowhere", "POST", EV "{ESTD}/advance", "{\"to\":\"nowhere\"}",
	"sec1", 422, "invalid_field"),
    BAD("advance SQL injection", "POST", EV "{ESTD}/advance",
	"{\"to\":\"pool'; UPDATE evaluations SET stage='finalized';--\"}",
	"sec1", 422, "invalid_field"),
    BAD("advance reason a number", "POST", EV "{ESTD}/advance",
	"{\"to\":\"pool\",\"reason\":5}", "sec1", 400, "bad_request"),
    BAD("advance reason empty", "POST", EV "{ESTD}/advance",
	"{\"to\":\"pool\",\"reason\":\"\"}", "sec1", 422, "invalid_field"),
    BAD("advance reason 2001 bytes", "POST", EV "{ESTD}/advance",
	"{\"to\":\"pool\",\"reason\":\"{X:2001}\"}", "sec1", 422,
	"invalid_field"),
    BAD("advance without standards", "POST", EV "{ESTD}/advance",
	"{\"to\":\"pool\"}", "sec1", 409, "stage_guard"),
    BAD("advance to finalized", "POST", EV "{E1}/advance",
	"{\"to\":\"finalized\"}", "sec1", 409, "stage_guard"),
    BAD("advance without the selection meeting", "POST", EV "{ESEL}/advance",
	"{\"to\":\"weighting\"}", "sec1", 409, "stage_guard"),
    BAD("advance another secretary's evaluation", "POST", EV "{E2}/advance",
	"{\"to\":\"finalized\"}", "sec1", 403, "forbidden"),

    /* ---- meetings ---- */
    BAD("meeting kind a number", "POST", EV "{E1B}/meetings",
	"{\"kind\":1,\"title\":\"m\",\"experts\":[{U:ex1}]}", "sec1", 400,
	"bad_request"),
    BAD("meeting title null", "POST", EV "{E1B}/meetings",
	"{\"kind\":\"scoring\",\"title\":null,\"experts\":[{U:ex1}]}", "sec1",
	400, "bad_request"),
    BAD("meeting kind unknown", "POST", EV "{E1B}/meetings",
	"{\"kind\":\"party\",\"title\":\"m\",\"experts\":[{U:ex1}]}", "sec1",
	422, "invalid_field"),
    BAD("meeting kind SQL injection", "POST", EV "{E1B}/meetings",
	"{\"kind\":\"scoring'--\",\"title\":\"m\",\"experts\":[{U:ex1}]}",
	"sec1", 422, "invalid_field"),
    BAD("meeting kind of another stage", "POST", EV "{E1B}/meetings",
	"{\"kind\":\"selection\",\"title\":\"m\",\"experts\":[{U:ex1}]}",
	"sec1", 409, "wrong_stage"),
    BAD("meeting experts a string", "POST", EV "{E1B}/meetings",
	"{\"kind\":\"scoring\",\"title\":\"m\",\"experts\":\"1\"}", "sec1", 422,
	"invalid_field"),
    BAD("meeting experts empty", "POST", EV "{E1B}/meetings",
	"{\"kind\":\"scoring\",\"title\":\"m\",\"experts\":[]}", "sec1", 422,
	"invalid_field"),
    BAD("meeting expert ids as text", "POST", EV "{E1B}/meetings",
	"{\"kind\":\"scoring\",\"title\":\"m\",\"experts\":[\"{U:ex1}\"]}",
	"sec1", 422, "invalid_field"),
    BAD("meeting expert listed twice", "POST", EV "{E1B}/meetings",
	"{\"kind\":\"scoring\",\"title\":\"m\",\"experts\":[{U:ex1},{U:ex1},"
	"{U:ex2}],\"quorum\":3}",
	"sec1", 422, "invalid_field"),
    BAD("meeting of 1000 experts", "POST", EV "{E1B}/meetings",
	"{\"kind\":\"scoring\",\"title\":\"m\",\"experts\":[{IDS:1000}]}",
	"sec1", 422, "invalid_field"),
    BAD("meeting expert who is the secretary", "POST", EV "{E1B}/meetings",
	"{\"kind\":\"scoring\",\"title\":\"m\",\"experts\":[{U:ex1},{U:ex2},"
	"{U:sec1}],\"quorum\":3}",
	"sec1", 422, "invalid_field"),
    BAD("meeting expert of the drafting organization", "POST",
	EV "{E1B}/meetings",
	"{\"kind\":\"scoring\",\"title\":\"m\",\"experts\":[{U:ex1},{U:ex2},"
	"{U:draft}],\"quorum\":3}",
	"sec1", 409, "conflict_of_interest"),
    BAD("aggregation a string", "POST", EV "{E1B}/meetings",
	MEET(",\"aggregation\":\"mean\",\"quorum\":3"), "sec1", 422,
	"invalid_field"),
    BAD("aggregation method unknown", "POST", EV "{E1B}/meetings",
	MEET(",\"aggregation\":{\"method\":\"mode\"},\"quorum\":3"), "sec1",
	422, "invalid_field"),
    BAD("aggregation trim as text", "POST", EV "{E1B}/meetings",
	MEET(",\"aggregation\":{\"trim\":\"1\"},\"quorum\":3"), "sec1", 422,
	"invalid_field"),
    BAD("aggregation trim 11", "POST", EV "{E1B}/meetings",
	MEET(",\"aggregation\":{\"trim\":11},\"quorum\":3"), "sec1", 422,
	"invalid_field"),
    BAD("consensus max_iqr a number", "POST", EV "{E1B}/meetings",
	MEET(",\"consensus\":{\"max_iqr\":10},\"quorum\":3"), "sec1", 422,
	"invalid_field"),
    BAD("consensus max_cv not a decimal", "POST", EV "{E1B}/meetings",
	MEET(",\"consensus\":{\"max_cv\":\"abc\"},\"quorum\":3"), "sec1", 422,
	"invalid_field"),
    BAD("consensus quantile injection", "POST", EV "{E1B}/meetings",
	MEET(",\"consensus\":{\"quantile\":\"linear'; DROP TABLE rounds;--\"},"
	     "\"quorum\":3"),
	"sec1", 422, "invalid_field"),
    BAD("selection threshold on a scoring meeting", "POST", EV "{E1B}/meetings",
	MEET(",\"consensus\":{\"selection_threshold\":\"2/3\"},\"quorum\":3"),
	"sec1", 422, "invalid_field"),
    BAD("aggregation method SQL injection", "POST", EV "{E1B}/meetings",
	MEET(",\"aggregation\":{\"method\":\"mean'); DROP TABLE meetings;--\"},"
	     "\"quorum\":3"),
	"sec1", 422, "invalid_field"),
    BAD("consensus max_iqr SQL injection", "POST", EV "{E1B}/meetings",
	MEET(",\"consensus\":{\"max_iqr\":\"10; DROP TABLE rounds\"},"
	     "\"quorum\":3"),
	"sec1", 422, "invalid_field"),
    BAD("quorum as text", "POST", EV "{E1B}/meetings",
	MEET(",\"quorum\":\"3\""), "sec1", 422, "invalid_field"),
    BAD("quorum below 2 trim + 1", "POST", EV "{E1B}/meetings",
	MEET(",\"quorum\":2"), "sec1", 422, "invalid_field"),
    BAD("quorum above the panel", "POST", EV "{E1B}/meetings",
	MEET(",\"quorum\":4"), "sec1", 422, "invalid_field"),
    BAD("meeting title 301 bytes", "POST", EV "{E1B}/meetings",
	"{\"kind\":\"scoring\",\"title\":\"{X:301}\",\"experts\":[{U:ex1}]}",
	"sec1", 422, "invalid_field"),
    BAD("meeting kind 17 bytes", "POST", EV "{E1B}/meetings",
	"{\"kind\":\"{X:17}\",\"title\":\"m\",\"experts\":[{U:ex1}]}", "sec1",
	422, "invalid_field"),
    BAD("selection threshold 0", "POST", EV "{ESEL}/meetings",
	SMEET(",\"consensus\":{\"selection_threshold\":\"0\"}"), "sec1", 422,
	"invalid_field"),
    BAD("selection threshold 3/2", "POST", EV "{ESEL}/meetings",
	SMEET(",\"consensus\":{\"selection_threshold\":\"3/2\"}"), "sec1", 422,
	"invalid_field"),
    BAD("selection threshold 1/0", "POST", EV "{ESEL}/meetings",
	SMEET(",\"consensus\":{\"selection_threshold\":\"1/0\"}"), "sec1", 422,
	"invalid_field"),
    BAD("selection threshold 5 decimals", "POST", EV "{ESEL}/meetings",
	SMEET(",\"consensus\":{\"selection_threshold\":\"0.66667\"}"), "sec1",
	422, "invalid_field"),
    BAD("selection threshold SQL injection", "POST", EV "{ESEL}/meetings",
	SMEET(",\"consensus\":{\"selection_threshold\":\"2/3'--\"}"), "sec1",
	422, "invalid_field"),
    BAD("selection threshold a number", "POST", EV "{ESEL}/meetings",
	SMEET(",\"consensus\":{\"selection_threshold\":0.5}"), "sec1", 422,
	"invalid_field"),
    BAD("meeting of another secretary's evaluation", "POST",
	EV "{E1B}/meetings", MEET(",\"quorum\":3"), "sec2", 403, "forbidden"),

    /* ---- seats ---- */
    BAD("seat conflict a string", "POST", MT "{M1}/seat",
	"{\"conflict_of_interest\":\"no\"}", "exun", 400, "bad_request"),
    BAD("seat without a declaration", "POST", MT "{M1}/seat", "{}", "exun", 400,
	"bad_request"),
    BAD("seat conflict without a reason", "POST", MT "{M1}/seat",
	"{\"conflict_of_interest\":true}", "exun", 422, "invalid_field"),
    BAD("seat reason unknown", "POST", MT "{M1}/seat",
	"{\"conflict_of_interest\":true,\"reason\":\"boredom\"}", "exun", 422,
	"invalid_field"),
    BAD("seat reason SQL injection", "POST", MT "{M1}/seat",
	"{\"conflict_of_interest\":true,\"reason\":\"kinship'; DROP TABLE "
	"seats;--\"}",
	"exun", 422, "invalid_field"),
    BAD("seat reason without a conflict", "POST", MT "{M1}/seat",
	"{\"conflict_of_interest\":false,\"reason\":\"kinship\"}", "exun", 422,
	"invalid_field"),
    BAD("seat statement a number", "POST", MT "{M1}/seat",
	"{\"conflict_of_interest\":false,\"statement\":5}", "exun", 400,
	"bad_request"),
    BAD("seat statement 2001 bytes", "POST", MT "{M1}/seat",
	"{\"conflict_of_interest\":false,\"statement\":\"{X:2001}\"}", "exun",
	422, "invalid_field"),
    BAD("seat unknown field", "POST", MT "{M1}/seat",
	"{\"conflict_of_interest\":false,\"role\":\"secretary\"}", "exun", 400,
	"unknown_field"),
    BAD("seat of a meeting one is not on", "POST", MT "{M2}/seat", SEAT_OK,
	"ex1", 403, "forbidden"),
    BAD("seat by an expert on no panel", "POST", MT "{M1}/seat", SEAT_OK,
	"exout", 403, "forbidden"),
    BAD("seat of no such meeting", "POST", MT "999999/seat", SEAT_OK, "ex1",
	404, "not_found"),

    /* ---- rounds ---- */
    BAD("round items a string", "POST", MT "{M1B}/rounds",
	"{\"items\":\"1.1.1\"}", "sec1", 422, "invalid_field"),
    BAD("round items empty", "POST", MT "{M1B}/rounds", "{\"items\":[]}",
	"sec1", 422, "invalid_field"),
    BAD("round item unknown", "POST", MT "{M1B}/rounds",
	"{\"items\":[\"9.9\"]}", "sec1", 422, "invalid_field"),
    BAD("round item named twice", "POST", MT "{M1B}/rounds",
	"{\"items\":[\"1.1.1\",\"1.1.1\"]}", "sec1", 422, "invalid_field"),
    BAD("round item a number", "POST", MT "{M1B}/rounds", "{\"items\":[1.1]}",
	"sec1", 422, "invalid_field"),
    BAD("round item SQL injection", "POST", MT "{M1B}/rounds",
	"{\"items\":[\"1.1.1') OR ('1'='1\"]}", "sec1", 422, "invalid_field"),
    BAD("round deadline a number", "POST", MT "{M1B}/rounds",
	"{\"deadline\":5}", "sec1", 400, "bad_request"),
    BAD("round deadline tomorrow", "POST", MT "{M1B}/rounds",
	"{\"deadline\":\"tomorrow\"}", "sec1", 422, "invalid_field"),
    BAD("round deadline in the past", "POST", MT "{M1B}/rounds",
	"{\"deadline\":\"2020-01-01T00:00:00Z\"}", "sec1", 422,
	"invalid_field"),
    BAD("round deadline on February 30", "POST", MT "{M1B}/rounds",
	"{\"deadline\":\"2099-02-30T00:00:00Z\"}", "sec1", 422,
	"invalid_field"),
    BAD("round deadline at hour 25", "POST", MT "{M1B}/rounds",
	"{\"deadline\":\"2099-01-01T25:00:00Z\"}", "sec1", 422,
	"invalid_field"),
    BAD("round deadline year 99999", "POST", MT "{M1B}/rounds",
	"{\"deadline\":\"99999-01-01T00:00:00Z\"}", "sec1", 422,
	"invalid_field"),
    BAD("round deadline injection", "POST", MT "{M1B}/rounds",
	"{\"deadline\":\"2099-01-01T00:00:00Z'; DROP TABLE rounds;--\"}",
	"sec1", 422, "invalid_field"),
    BAD("round unknown field", "POST", MT "{M1B}/rounds", "{\"n\":7}", "sec1",
	400, "unknown_field"),
    BAD("round while one is open", "POST", MT "{M1}/rounds", "{}", "sec1", 409,
	"round_open"),
    BAD("round of another secretary's meeting", "POST", MT "{M2}/rounds", "{}",
	"sec1", 403, "forbidden"),
    BAD("close without quorum", "POST", MT "{M1}/rounds/1/close", NULL, "sec1",
	409, "quorum_not_met"),
    BAD("close of a round not there", "POST", MT "{M1}/rounds/2/close", NULL,
	"sec1", 404, "not_found"),
    BAD("close another secretary's round", "POST", MT "{M2}/rounds/1/close",
	NULL, "sec1", 403, "forbidden"),
    BAD("results of an open round", "GET", MT "{M1}/rounds/1/results", NULL,
	"ex1", 409, "round_open"),
    BAD("results of another panel's round", "GET", MT "{M2}/rounds/1/results",
	NULL, "ex1", 403, "forbidden"),
    BAD("finalize with a round open", "POST", MT "{M1}/finalize", NULL, "sec1",
	409, "round_open"),
    BAD("finalize before any round", "POST", MT "{M1B}/finalize", NULL, "sec1",
	409, "no_closed_round"),

    /* ---- scoring ballots ---- */
    BAD("scores a string", "PUT", B1, "{\"scores\":\"all\"}", "ex1", 400,
	"bad_request"),
    BAD("scores an object", "PUT", B1, "{\"scores\":{}}", "ex1", 400,
	"bad_request"),
    BAD("scores missing", "PUT", B1, "{}", "ex1", 400, "bad_request"),
    BAD("score entry a number", "PUT", B1, "{\"scores\":[1]}", "ex1", 400,
	"bad_request"),
    BAD("score item a number", "PUT", B1,
	"{\"scores\":[{\"item\":1,\"score\":1}]}", "ex1", 400, "bad_request"),
    BAD("score entry with an extra field", "PUT", B1,
	"{\"scores\":[{\"item\":\"1.1.1\",\"score\":50,\"expert\":2}]}", "ex1",
	400, "bad_request"),
    BAD("score item unknown", "PUT", B1,
	"{\"scores\":[{\"item\":\"9.9.9\",\"score\":50}]}", "ex1", 422,
	"unknown_item"),
    BAD("score item SQL injection", "PUT", B1,
	"{\"scores\":[{\"item\":\"1.1.1' OR '1'='1\",\"score\":50}]}", "ex1",
	422, "unknown_item"),
    BAD("score item 5000 bytes", "PUT", B1,
	"{\"scores\":[{\"item\":\"{X:5000}\",\"score\":50}]}", "ex1", 422,
	"unknown_item"),
    BAD("score item twice", "PUT", B1,
	"{\"scores\":[{\"item\":\"1.1.1\",\"score\":50},{\"item\":\"1.1.1\","
	"\"score\":60}]}",
	"ex1", 422, "duplicate_item"),
    BAD("score true", "PUT", B1, SCORE("true"), "ex1", 422, "invalid_score"),
    BAD("score null", "PUT", B1, SCORE("null"), "ex1", 422, "invalid_score"),
    BAD("score a list", "PUT", B1, SCORE("[88]"), "ex1", 422, "invalid_score"),
    BAD("score missing", "PUT", B1, "{\"scores\":[{\"item\":\"1.1.1\"}]}",
	"ex1", 422, "invalid_score"),
    BAD("comment 2001 bytes", "PUT", B1,
	"{\"scores\":[{\"item\":\"1.1.1\",\"score\":50,\"comment\":"
	"\"{X:2001}\"}]}",
	"ex1", 422, "invalid_comment"),
    BAD("comment a number", "PUT", B1,
	"{\"scores\":[{\"item\":\"1.1.1\",\"score\":50,\"comment\":5}]}", "ex1",
	422, "invalid_comment"),
    BAD("votes on a scoring meeting", "PUT", B1,
	VOTE("{\"item\":\"1.1.1\",\"include\":true}"), "ex1", 400,
	"unknown_field"),
    BAD("weights on a scoring meeting", "PUT", B1, WEIGH(""), "ex1", 400,
	"unknown_field"),
    BAD("ballot of a round not open", "PUT", MT "{M1}/rounds/2/ballot",
	BALLOT_BODY, "ex1", 404, "not_found"),
    BAD("ballot of round 0", "PUT", MT "{M1}/rounds/0/ballot", BALLOT_BODY,
	"ex1", 404, "not_found"),
    BAD("ballot of no such meeting", "PUT", MT "999999/rounds/1/ballot",
	BALLOT_BODY, "ex1", 404, "not_found"),
    BAD("ballot of an expert not seated", "PUT", B1, BALLOT_BODY, "exun", 403,
	"not_seated"),
    BAD("ballot of an expert on no panel", "PUT", B1, BALLOT_BODY, "exout", 403,
	"forbidden"),
    BAD("ballot in another panel's meeting", "PUT", MT "{M2}/rounds/1/ballot",
	BALLOT_BODY, "ex1", 403, "forbidden"),
    BAD("ballot by the secretary", "PUT", B1, BALLOT_BODY, "sec1", 403,
	"forbidden"),
    BAD("ballot by an auditor", "PUT", B1, BALLOT_BODY, "aud", 403,
	"forbidden"),
    BAD("ballot by the admin", "PUT", B1, BALLOT_BODY, "admin", 403,
	"forbidden"),
    BAD("reading another panel's ballot", "GET", MT "{M2}/rounds/1/ballot",
	NULL, "ex1", 403, "forbidden"),
    BAD("reading a ballot without a seat", "GET", B1, NULL, "exun", 403,
	"not_seated"),
    BAD("reading a ballot as the secretary", "GET", B1, NULL, "sec1", 403,
	"forbidden"),

    /* ---- selection ballots ---- */
    BAD("votes a string", "PUT", BSEL, "{\"votes\":\"all\"}", "ex1", 400,
	"bad_request"),
    BAD("vote without include", "PUT", BSEL, VOTE("{\"item\":\"1.1\"}"), "ex1",
	400, "bad_request"),
    BAD("vote with an extra field", "PUT", BSEL,
	VOTE("{\"item\":\"1.1\",\"include\":true,\"weight\":1}"), "ex1", 400,
	"bad_request"),
    BAD("vote include \"yes\"", "PUT", BSEL,
	VOTE("{\"item\":\"1.1\",\"include\":\"yes\"}"), "ex1", 422,
	"invalid_vote"),
    BAD("vote include 1", "PUT", BSEL, VOTE("{\"item\":\"1.1\",\"include\":1}"),
	"ex1", 422, "invalid_vote"),
    BAD("vote include null", "PUT", BSEL,
	VOTE("{\"item\":\"1.1\",\"include\":null}"), "ex1", 422,
	"invalid_vote"),
    BAD("vote on an unknown item", "PUT", BSEL,
	VOTE("{\"item\":\"9.9\",\"include\":true}"), "ex1", 422,
	"unknown_item"),
    BAD("vote on a group", "PUT", BSEL,
	VOTE("{\"item\":\"1\",\"include\":true}"), "ex1", 422, "unknown_item"),
    BAD("vote item SQL injection", "PUT", BSEL,
	VOTE("{\"item\":\"1.1'--\",\"include\":true}"), "ex1", 422,
	"unknown_item"),
    BAD("vote twice", "PUT", BSEL,
	VOTE("{\"item\":\"1.1\",\"include\":true},{\"item\":\"1.1\","
	     "\"include\":false}"),
	"ex1", 422, "duplicate_item"),
    BAD("vote comment 2001 bytes", "PUT", BSEL,
	VOTE("{\"item\":\"1.1\",\"include\":true,\"comment\":\"{X:2001}\"}"),
	"ex1", 422, "invalid_comment"),
    BAD("scores on a selection meeting", "PUT", BSEL,
	"{\"scores\":[{\"item\":\"1.1\",\"score\":50}]}", "ex1", 400,
	"unknown_field"),
    BAD("votes and weights", "PUT", BSEL, "{\"votes\":[],\"weights\":[]}",
	"ex1", 400, "unknown_field"),
    BAD("vote in a selection meeting one is not on", "PUT", BSEL,
	VOTE("{\"item\":\"1.1\",\"include\":true}"), "ex4", 403, "forbidden"),

    /* ---- weighting ballots ---- */
    BAD("weights a string", "PUT", BW, "{\"weights\":\"x\"}", "ex1", 400,
	"bad_request"),
    BAD("weights missing", "PUT", BW, "{\"advanced_levels\":[]}", "ex1", 400,
	"bad_request"),
    BAD("weight entry without weight", "PUT", BW, WEIGH("{\"item\":\"1\"}"),
	"ex1", 400, "bad_request"),
    BAD("weight entry with an extra field", "PUT", BW,
	WEIGH("{\"item\":\"1\",\"weight\":\"1\",\"x\":1}"), "ex1", 400,
	"bad_request"),
    BAD("weight of an unknown item", "PUT", BW,
	WEIGH("{\"item\":\"9\",\"weight\":\"1\"}"), "ex1", 422, "unknown_item"),
    BAD("weight item SQL injection", "PUT", BW,
	WEIGH("{\"item\":\"1' OR '1'='1\",\"weight\":\"1\"}"), "ex1", 422,
	"unknown_item"),
    BAD("weight twice", "PUT", BW,
	WEIGH("{\"item\":\"1\",\"weight\":\"1\"},{\"item\":\"1\","
	      "\"weight\":\"1\"}"),
	"ex1", 422, "duplicate_item"),
    BAD("weight \"abc\"", "PUT", BW,
	WEIGH("{\"item\":\"1\",\"weight\":\"abc\"}"), "ex1", 422,
	"invalid_weight"),
    BAD("weight true", "PUT", BW, WEIGH("{\"item\":\"1\",\"weight\":true}"),
	"ex1", 422, "invalid_weight"),
    BAD("weights summing to 0.999", "PUT", BW,
	WEIGH("{\"item\":\"1\",\"weight\":\"1\"},{\"item\":\"1.1\","
	      "\"weight\":\"0.5\"},{\"item\":\"1.2\",\"weight\":\"0.499\"}"),
	"ex1", 422, "weights_not_summing"),
    BAD("a group given in part", "PUT", BW,
	WEIGH("{\"item\":\"1\",\"weight\":\"1\"},{\"item\":\"1.1\","
	      "\"weight\":\"1\"}"),
	"ex1", 422, "weights_not_summing"),
    BAD("a group of one not 1", "PUT", BW,
	WEIGH("{\"item\":\"1\",\"weight\":\"0.999\"}"), "ex1", 422,
	"weights_not_summing"),
    BAD("advanced_levels a string", "PUT", BW,
	"{\"weights\":[" W_OK "],\"advanced_levels\":\"x\"}", "ex1", 400,
	"bad_request"),
    BAD("advanced level of a group", "PUT", BW,
	"{\"weights\":[" W_OK "],\"advanced_levels\":[{\"item\":\"1\","
	"\"text\":\"t\"}]}",
	"ex1", 422, "unknown_item"),
    BAD("advanced level without text", "PUT", BW,
	"{\"weights\":[" W_OK "],\"advanced_levels\":[{\"item\":\"1.1\"}]}",
	"ex1", 400, "bad_request"),
    BAD("advanced level empty", "PUT", BW,
	"{\"weights\":[" W_OK "],\"advanced_levels\":[{\"item\":\"1.1\","
	"\"text\":\"\"}]}",
	"ex1", 422, "invalid_text"),
    BAD("advanced level 2001 bytes", "PUT", BW,
	"{\"weights\":[" W_OK "],\"advanced_levels\":[{\"item\":\"1.1\","
	"\"text\":\"{X:2001}\"}]}",
	"ex1", 422, "invalid_text"),
    BAD("advanced level a number", "PUT", BW,
	"{\"weights\":[" W_OK "],\"advanced_levels\":[{\"item\":\"1.1\","
	"\"text\":5}]}",
	"ex1", 422, "invalid_text"),
    BAD("advanced level twice", "PUT", BW,
	"{\"weights\":[" W_OK "],\"advanced_levels\":[{\"item\":\"1.1\","
	"\"text\":\"a\"},{\"item\":\"1.1\",\"text\":\"b\"}]}",
	"ex1", 422, "duplicate_item"),
    BAD("scores on a weighting meeting", "PUT", BW,
	"{\"scores\":[],\"weights\":[" W_OK "]}", "ex1", 400, "unknown_field"),
    BAD("votes on a weighting meeting", "PUT", BW,
	"{\"votes\":[{\"item\":\"1.1\",\"include\":true}]}", "ex1", 400,
	"unknown_field"),

    /* ---- advanced levels (secretary) ---- */
    BAD("level text a number", "PUT", LVL, "{\"text\":5}", "sec1", 400,
	"bad_request"),
    BAD("level text missing", "PUT", LVL, "{}", "sec1", 400, "bad_request"),
    BAD("level text empty", "PUT", LVL, "{\"text\":\"\"}", "sec1", 422,
	"invalid_field"),
    BAD("level text 667 characters (2001 bytes)", "PUT", LVL,
	"{\"text\":\"{Z:667}\"}", "sec1", 422, "invalid_field"),
    BAD("level unknown field", "PUT", LVL,
	"{\"text\":\"t\",\"from_proposal\":true}", "sec1", 400,
	"unknown_field"),
    BAD("level of a group", "PUT", MT "{MW}/advanced-levels/1",
	"{\"text\":\"t\"}", "sec1", 404, "not_found"),
    BAD("level of no such leaf", "PUT", MT "{MW}/advanced-levels/1.9",
	"{\"text\":\"t\"}", "sec1", 404, "not_found"),
    BAD("level code seven levels deep", "PUT",
	MT "{MW}/advanced-levels/1.1.1.1.1.1.1", "{\"text\":\"t\"}", "sec1",
	404, "not_found"),
    BAD("level of a scoring meeting", "PUT", MT "{M1}/advanced-levels/1.1.1",
	"{\"text\":\"t\"}", "sec1", 409, "wrong_kind"),
    BAD("level by another secretary", "PUT", LVL, "{\"text\":\"t\"}", "sec2",
	403, "forbidden"),
    BAD("level by an expert", "PUT", LVL, "{\"text\":\"t\"}", "ex1", 403,
	"forbidden"),

    /* ---- verdict ---- */
    BAD("statement a number", "POST", EV "{E3}/verdict", "{\"statement\":5}",
	"sec1", 400, "bad_request"),
    BAD("statement 2001 bytes", "POST", EV "{E3}/verdict",
	"{\"statement\":\"{X:2001}\"}", "sec1", 422, "invalid_field"),
    BAD("verdict unknown field", "POST", EV "{E3}/verdict",
	"{\"total\":\"100.00\"}", "sec1", 400, "unknown_field"),
    BAD("verdict before the scoring meeting", "POST", EV "{E1}/verdict", "{}",
	"sec1", 409, "scoring_not_finalized"),
    BAD("verdict of another secretary's evaluation", "POST", EV "{E2}/verdict",
	"{}", "sec1", 403, "forbidden"),
    BAD("verdict preview of another secretary's evaluation", "GET",
	EV "{E2}/verdict/preview", NULL, "sec1", 403, "forbidden"),

    /* ---- templates ---- */
    BAD("from_evaluation as text", "POST", V1 "/templates",
	"{\"from_evaluation\":\"1\",\"id\":\"x\",\"title\":\"t\"}", "sec1", 400,
	"bad_request"),
    BAD("from_evaluation 1.5", "POST", V1 "/templates",
	"{\"from_evaluation\":1.5,\"id\":\"x\",\"title\":\"t\"}", "sec1", 400,
	"bad_request"),
    BAD("from_evaluation negative", "POST", V1 "/templates",
	"{\"from_evaluation\":-5,\"id\":\"x\",\"title\":\"t\"}", "sec1", 422,
	"invalid_field"),
    BAD("template id a number", "POST", V1 "/templates",
	"{\"from_evaluation\":{E1},\"id\":5,\"title\":\"t\"}", "sec1", 400,
	"bad_request"),
    BAD("template id with capitals and a space", "POST", V1 "/templates",
	"{\"from_evaluation\":{E1},\"id\":\"BAD ID\",\"title\":\"t\"}", "sec1",
	422, "invalid_field"),
    BAD("template id SQL injection", "POST", V1 "/templates",
	"{\"from_evaluation\":{E1},\"id\":\"x'; DROP TABLE templates;--\","
	"\"title\":\"t\"}",
	"sec1", 422, "invalid_field"),
    BAD("template id 65 bytes", "POST", V1 "/templates",
	"{\"from_evaluation\":{E1},\"id\":\"{X:65}\",\"title\":\"t\"}", "sec1",
	422, "invalid_field"),
    BAD("template title 301 bytes", "POST", V1 "/templates",
	"{\"from_evaluation\":{E1},\"id\":\"mine\",\"title\":\"{X:301}\"}",
	"sec1", 422, "invalid_field"),
    BAD("template id of the built-in", "POST", V1 "/templates",
	"{\"from_evaluation\":{E1},\"id\":\"ywtb\",\"title\":\"t\"}", "sec1",
	409, "template_exists"),
    BAD("template of an evaluation not finalized", "POST", V1 "/templates",
	TPL(""), "sec1", 409, "not_finalized"),
    BAD("template of no such evaluation", "POST", V1 "/templates",
	"{\"from_evaluation\":9223372036854775807,\"id\":\"mine\",\"title\":"
	"\"t\"}",
	"sec1", 404, "not_found"),
    BAD("template unknown field", "POST", V1 "/templates",
	TPL(",\"threshold\":\"0\""), "sec1", 400, "unknown_field"),
    BAD("template by an auditor", "POST", V1 "/templates", TPL(""), "aud", 403,
	"forbidden"),

    /* ---- other people's things ---- */
    BAD("evaluation by an auditor", "POST", V1 "/evaluations", EVAL_OK, "aud",
	403, "forbidden"),
    BAD("evaluation by an expert", "POST", V1 "/evaluations", EVAL_OK, "ex1",
	403, "forbidden"),
    BAD("evaluation by the admin", "POST", V1 "/evaluations", EVAL_OK, "admin",
	403, "forbidden"),
    BAD("user by an auditor", "POST", V1 "/users", USER(""), "aud", 403,
	"forbidden"),
    BAD("user patched by an auditor", "PATCH", V1 "/users/{U:ex1}",
	"{\"active\":false}", "aud", 403, "forbidden"),
    BAD("user patched by an expert", "PATCH", V1 "/users/{U:ex2}",
	"{\"display_name\":\"x\"}", "ex1", 403, "forbidden"),
    BAD("close by an auditor", "POST", MT "{M1}/rounds/1/close", NULL, "aud",
	403, "forbidden"),
    BAD("close by an expert", "POST", MT "{M1}/rounds/1/close", NULL, "ex1",
	403, "forbidden"),
    BAD("advance by an auditor", "POST", EV "{ESTD}/advance",
	"{\"to\":\"pool\"}", "aud", 403, "forbidden"),
    BAD("advance by an expert", "POST", EV "{ESTD}/advance",
	"{\"to\":\"pool\"}", "ex1", 403, "forbidden"),
    BAD("standard by an auditor", "POST", EV "{ESTD}/standards", STD(""), "aud",
	403, "forbidden"),
    BAD("consultation by another secretary", "POST", EV "{ESEL}/consultations",
	CONSULT(""), "sec2", 403, "forbidden"),
    BAD("finalize another secretary's meeting", "POST", MT "{M2}/finalize",
	NULL, "sec1", 403, "forbidden"),
    BAD("an expert reads another panel's meeting", "GET", MT "{M2}", NULL,
	"ex1", 403, "forbidden"),
    BAD("an expert reads another panel's evaluation", "GET", EV "{E2}", NULL,
	"ex1", 403, "forbidden"),
    BAD("an expert on no panel reads an evaluation", "GET", EV "{E1}/table",
	NULL, "exout", 403, "forbidden"),
    BAD("an expert reads the history", "GET", EV "{E1}/history", NULL, "ex1",
	403, "forbidden"),
    BAD("a secretary reads another's history", "GET", EV "{E2}/history", NULL,
	"sec1", 403, "forbidden"),
    BAD("an expert reads the audit log", "GET", V1 "/audit", NULL, "ex1", 403,
	"forbidden"),
    BAD("an expert lists the users", "GET", V1 "/users", NULL, "ex1", 403,
	"forbidden"),
    BAD("an expert subscribes to another panel's events", "GET",
	MT "{M2}/events", NULL, "ex1", 403, "forbidden"),

    /* ---- tokens ---- */
    BAD("no token: list evaluations", "GET", V1 "/evaluations", NULL, NULL, 401,
	"unauthorized"),
    BAD("no token: ballot", "PUT", B1, BALLOT_BODY, NULL, 401, "unauthorized"),
    BAD("no token: verdict", "POST", EV "{E1}/verdict", "{}", NULL, 401,
	"unauthorized"),
    BAD("no token: open a round", "POST", MT "{M1B}/rounds", "{}", NULL, 401,
	"unauthorized"),
    BAD("no token: bad JSON is not judged", "POST", V1 "/evaluations", "{",
	NULL, 401, "unauthorized"),
    BAD("forged token: ballot", "PUT", B1, BALLOT_BODY, "forged", 401,
	"unauthorized"),
    BAD("forged token: close", "POST", MT "{M1}/rounds/1/close", NULL, "forged",
	401, "unauthorized"),
    BAD("forged token: evaluation", "POST", V1 "/evaluations", EVAL_OK,
	"forged", 401, "unauthorized"),
    BAD("forged token: audit", "GET", V1 "/audit/head", NULL, "forged", 401,
	"unauthorized"),
    BAD("expired session", "PUT", B1, BALLOT_BODY, "old", 401, "unauthorized"),
    BAD("expired session reads", "GET", V1 "/me", NULL, "old", 401,
	"unauthorized"),
    BAD("logged-out session", "POST", MT "{M1}/seat", SEAT_OK, "out", 401,
	"unauthorized"),
    BAD("deactivated account", "GET", V1 "/evaluations", NULL, "gone", 401,
	"unauthorized"),
    HDR("token of 42 characters", "GET", V1 "/me", NULL,
	"Authorization: Bearer hostileForgedToken0123456789abcdefghijklmn",
	NULL, 401, "unauthorized"),
    HDR("token of 44 characters", "GET", V1 "/me", NULL,
	"Authorization: Bearer hostileForgedToken0123456789abcdefghijklmnop",
	NULL, 401, "unauthorized"),
    HDR("token with padding", "GET", V1 "/me", NULL,
	"Authorization: Bearer hostileForgedToken0123456789abcdefghijklmn=",
	NULL, 401, "unauthorized"),
    HDR("token in standard base64", "GET", V1 "/me", NULL,
	"Authorization: Bearer hostileForgedToken0123456789abcdefghijklm+/",
	NULL, 401, "unauthorized"),
    HDR("token scheme Token", "GET", V1 "/me", NULL,
	"Authorization: Token {T:ex1}", NULL, 401, "unauthorized"),
    HDR("token with two spaces", "GET", V1 "/me", NULL,
	"Authorization: Bearer  {T:ex1}", NULL, 401, "unauthorized"),
    HDR("Bearer alone", "GET", V1 "/me", NULL, "Authorization: Bearer", NULL,
	401, "unauthorized"),
    HDR("token 10000 characters", "GET", V1 "/me", NULL,
	"Authorization: Bearer {X:10000}", NULL, 401, "unauthorized"),
    HDR("token SQL injection", "GET", V1 "/me", NULL,
	"Authorization: Bearer ' OR '1'='1' --aaaaaaaaaaaaaaaaaaaaaaaaaa", NULL,
	401, "unauthorized"),
    HDR("a real token with one more character", "GET", V1 "/me", NULL,
	"Authorization: Bearer {T:ex1}x", NULL, 401, "unauthorized"),
    HDR("token in the query string", "GET", V1 "/me?access_token={T:ex1}", NULL,
	NULL, NULL, 401, "unauthorized"),
    {"two Authorization headers, the first forged",
     "GET",
     V1 "/me",
     NULL,
     {"Authorization: Bearer " FORGED, "Authorization: Bearer {T:ex1}"},
     NULL,
     401,
     "unauthorized",
     NULL},

    /* ---- Idempotency-Key and If-Match ---- */
    HDR("key reused for another ballot", "PUT", B1, SCORE("89"), BALLOT_KEY,
	"ex1", 422, "idempotency_key_reused"),
    HDR("key reused on another path", "POST", MT "{M1}/seat", SEAT_OK,
	BALLOT_KEY, "ex1", 422, "idempotency_key_reused"),
    HDR("key reused for another standard", "POST", EV "{EPOOL}/standards",
	STD(""), STD_KEY, "sec1", 422, "idempotency_key_reused"),
    HDR("key reused with a broken body", "POST", EV "{EPOOL}/standards",
	"{\"code\":", STD_KEY, "sec1", 400, "malformed_json"),
    HDR("key replayed: the first answer, nothing new", "PUT", B1, BALLOT_BODY,
	BALLOT_KEY, "ex1", 200, NULL),
    HDR("key replayed: the standard", "POST", EV "{EPOOL}/standards", STD_BODY,
	STD_KEY, "sec1", 201, NULL),
    HDR("key of 256 bytes", "PUT", B1, SCORE("89"), "Idempotency-Key: {X:256}",
	"ex1", 400, "bad_idempotency_key"),
    HDR("key with a tab", "PUT", B1, SCORE("89"), "Idempotency-Key: a\tb",
	"ex1", 400, "bad_idempotency_key"),
    HDR("key with a space", "PUT", B1, SCORE("89"), "Idempotency-Key: a b",
	"ex1", 400, "bad_idempotency_key"),
    HDR("key with UTF-8", "PUT", B1, SCORE("89"), "Idempotency-Key: clé-1",
	"ex1", 400, "bad_idempotency_key"),
    HDR("key with DEL", "PUT", B1, SCORE("89"), "Idempotency-Key: a\x7f", "ex1",
	400, "bad_idempotency_key"),
    HDR("key empty", "PUT", B1, SCORE("89"), "Idempotency-Key;", "ex1", 400,
	"bad_idempotency_key"),
    HDR("new key with SQL injection, body refused", "PUT", B1,
	"{\"scores\":[{\"item\":\"9.9.9\",\"score\":1}]}",
	"Idempotency-Key: k';DROP/**/TABLE/**/ballots;--", "ex1", 422,
	"unknown_item"),
    HDR("If-Match not a number", "PUT", B1, SCORE("89"), "If-Match: abc", "ex1",
	400, "bad_if_match"),
    HDR("If-Match negative", "PUT", B1, SCORE("89"), "If-Match: -1", "ex1", 400,
	"bad_if_match"),
    HDR("If-Match a decimal", "PUT", B1, SCORE("89"), "If-Match: 1.0", "ex1",
	400, "bad_if_match"),
    HDR("If-Match hex", "PUT", B1, SCORE("89"), "If-Match: 0x1", "ex1", 400,
	"bad_if_match"),
    HDR("If-Match of ten digits", "PUT", B1, SCORE("89"),
	"If-Match: 9999999999", "ex1", 400, "bad_if_match"),
    HDR("If-Match quoted (an ETag)", "PUT", B1, SCORE("89"), "If-Match: \"1\"",
	"ex1", 400, "bad_if_match"),
    HDR("If-Match weak", "PUT", B1, SCORE("89"), "If-Match: W/\"1\"", "ex1",
	400, "bad_if_match"),
    HDR("If-Match star", "PUT", B1, SCORE("89"), "If-Match: *", "ex1", 400,
	"bad_if_match"),
    HDR("If-Match empty", "PUT", B1, SCORE("89"), "If-Match;", "ex1", 400,
	"bad_if_match"),
    HDR("If-Match stale", "PUT", B1, SCORE("89"), "If-Match: 7", "ex1", 412,
	"version_mismatch"),
    HDR("If-Match zero", "PUT", B1, SCORE("89"), "If-Match: 0", "ex1", 412,
	"version_mismatch"),
    HDR("If-Match stale on a user", "PATCH", V1 "/users/{U:ex2}",
	"{\"display_name\":\"x\"}", "If-Match: 42", "admin", 412,
	"version_mismatch"),
    HDR("If-Match SQL injection on a user", "PATCH", V1 "/users/{U:ex2}",
	"{\"display_name\":\"x\"}", "If-Match: 1 OR 1=1", "admin", 400,
	"bad_if_match"),

    /* ---- media types and sizes ---- */
    HDR("text/plain", "POST", V1 "/evaluations", EVAL_OK,
	"Content-Type: text/plain", "sec1", 415, "unsupported_media_type"),
    HDR("form-encoded", "PUT", B1, BALLOT_BODY,
	"Content-Type: application/x-www-form-urlencoded", "ex1", 415,
	"unsupported_media_type"),
    HDR("JSON in UTF-16", "PUT", B1, BALLOT_BODY,
	"Content-Type: application/json; charset=utf-16", "ex1", 415,
	"unsupported_media_type"),
    HDR("no Content-Type", "POST", EV "{ESEL}/consultations", CONSULT(""),
	"Content-Type:", "sec1", 415, "unsupported_media_type"),
    /* The client sends the whole body at once, without waiting for a 100
     * Continue: the server must read it before answering. */
    HDR("body past the limit", "POST", V1 "/evaluations",
	"{\"title\":\"{X:140000}\"}", "Expect:", "sec1", 413, NULL),
    HDR("body past the limit, waiting for 100 Continue", "POST",
	V1 "/evaluations", "{\"title\":\"{X:140000}\"}", "Expect: 100-continue",
	"sec1", 413, NULL),

    /* ---- query strings ---- */
    BAD("role filter SQL injection", "GET", V1 "/users?role=admin'--", NULL,
	"admin", 400, "bad_query"),
    BAD("limit with SQL", "GET", V1 "/evaluations?limit=1;DROP%20TABLE%20x",
	NULL, "sec1", 400, "bad_query"),
    BAD("limit negative", "GET", V1 "/evaluations?limit=-1", NULL, "sec1", 400,
	"bad_query"),
    BAD("limit past the maximum", "GET", V1 "/evaluations?limit=201", NULL,
	"sec1", 400, "bad_query"),
    BAD("limit of 20 digits", "GET",
	V1 "/evaluations?limit=99999999999999999999", NULL, "sec1", 400,
	"bad_query"),
    BAD("after not a number", "GET", V1 "/evaluations?after=abc", NULL, "sec1",
	400, "bad_query"),
    BAD("table format xml", "GET", EV "{E1}/table?format=xml", NULL, "sec1",
	400, "bad_query"),
    BAD("table format injection", "GET", EV "{E1}/table?format=csv'--", NULL,
	"sec1", 400, "bad_query"),
    BAD("audit evaluation_id with SQL", "GET",
	V1 "/audit?evaluation_id=1%20OR%201=1", NULL, "aud", 400, "bad_query"),
    BAD("audit from with SQL", "GET",
	V1 "/audit?from=2026-01-01'%20OR%20'1'='1", NULL, "aud", 400,
	"bad_query"),
    BAD("audit action with SQL is only data", "GET",
	V1 "/audit?action=x'%20OR%201=1--", NULL, "aud", 200, NULL),
    BAD("audit actor_id with SQL", "GET", V1 "/audit?actor_id=1;SELECT%201",
	NULL, "aud", 400, "bad_query"),
    BAD("audit to with SQL", "GET", V1 "/audit?to=now()%20OR%201=1", NULL,
	"aud", 400, "bad_query"),
    BAD("users after with SQL", "GET", V1 "/users?after=1%20OR%201=1", NULL,
	"admin", 400, "bad_query"),
    BAD("history with an unknown parameter", "GET",
	EV "{E1}/history?evaluation_id=1'--", NULL, "sec1", 400, "bad_query"),
    BAD("query value of 129 bytes", "GET", V1 "/audit?action={X:129}", NULL,
	"aud", 400, "bad_query"),
    BAD("17 query parameters", "GET",
	V1 "/audit?a=1&b=2&c=3&d=4&e=5&f=6&g=7&h=8&i=9&j=10&k=11&l=12&m=13&"
	   "n=14&o=15&p=16&q=17",
	NULL, "aud", 400, "bad_query"),
    BAD("query with an empty pair", "GET", V1 "/evaluations?limit=1&&after=1",
	NULL, "sec1", 400, "bad_query"),
    BAD("query with invalid UTF-8", "GET", V1 "/users?role=%ff", NULL, "admin",
	400, "bad_query"),
    BAD("query with an encoded NUL", "GET", V1 "/audit?action=a%00b", NULL,
	"aud", 400, "bad_query"),

    /* ---- paths ---- */
    BAD("encoded dot-dot, capitals", "GET", EV "%2E%2E/evaluations", NULL,
	"sec1", 400, "bad_path"),
    BAD("half-encoded dot-dot", "GET", EV ".%2e", NULL, "sec1", 400,
	"bad_path"),
    BAD("encoded slashes", "GET", V1 "/templates/..%2f..%2fetc%2fpasswd", NULL,
	"sec1", 400, "bad_path"),
    BAD("encoded NUL then more", "GET", V1 "/me%00.json", NULL, "sec1", 400,
	"bad_path"),
    BAD("encoded NUL in an id", "PUT", MT "{M1}%00/rounds/1/ballot",
	BALLOT_BODY, "ex1", 400, "bad_path"),
    BAD("empty segment inside", "GET", EV "/{E1}", NULL, "sec1", 400,
	"bad_path"),
    BAD("overlong encoded UTF-8", "GET", V1 "/templates/%c0%af", NULL, "sec1",
	400, "bad_path"),
    BAD("encoded surrogate", "GET", V1 "/templates/%ed%a0%80", NULL, "sec1",
	400, "bad_path"),
    BAD("encoded invalid byte", "GET", V1 "/templates/%ff", NULL, "sec1", 400,
	"bad_path"),
    BAD("encoded CR LF", "GET", V1 "/me%0d%0aX-Injected:%20yes", NULL, "sec1",
	400, "bad_path"),
    BAD("bad escape", "GET", V1 "/templates/%g1", NULL, "sec1", 400,
	"bad_path"),
    BAD("escape cut short", "GET", V1 "/templates/%2", NULL, "sec1", 400,
	"bad_path"),
    BAD("segment of 129 bytes", "GET", V1 "/templates/{X:129}", NULL, "sec1",
	400, "bad_path"),
    BAD("backslash traversal", "GET", V1 "/templates/..%5c..%5cetc%5cpasswd",
	NULL, "sec1", 404, "not_found"),
    BAD("full-width dots", "GET", V1 "/templates/%ef%bc%8e%ef%bc%8e", NULL,
	"sec1", 404, "not_found"),
    BAD("template key SQL injection", "GET",
	V1 "/templates/ywtb'%20OR%20'1'='1", NULL, "sec1", 404, "not_found"),
    BAD("id of 19 digits", "GET", EV "1234567890123456789", NULL, "sec1", 404,
	"not_found"),
    BAD("id with a leading zero", "GET", EV "0{E1}", NULL, "sec1", 404,
	"not_found"),
    BAD("id SQL injection", "GET", EV "1%20OR%201=1", NULL, "sec1", 404,
	"not_found"),
    BAD("id negative", "GET", MT "-1", NULL, "sec1", 404, "not_found"),
    BAD("capitals", "GET", "/API/V1/me", NULL, "sec1", 404, "not_found"),
    BAD("outside the API", "GET", "/etc/passwd", NULL, "sec1", 404,
	"not_found"),
    BAD("another version", "GET", "/api/v2/me", NULL, "sec1", 404, "not_found"),
    BAD("trailing slash on a write", "PUT", B1 "/", BALLOT_BODY, "ex1", 404,
	"not_found"),
    BAD("semicolon parameter", "GET", V1 "/me;jsessionid=1", NULL, "sec1", 404,
	"not_found"),

    /* ---- wrong methods, every route ---- */
    M405("POST", V1 "/healthz", "GET, HEAD"),
    M405("DELETE", V1 "/metrics", "GET, HEAD"),
    M405("GET", V1 "/sessions", "POST"),
    M405("GET", V1 "/sessions/current", "DELETE"),
    M405("POST", V1 "/me", "GET, HEAD"),
    M405("OPTIONS", V1 "/me", "GET, HEAD"),
    M405("DELETE", V1 "/users", "GET, HEAD, POST"),
    M405("GET", V1 "/users/1", "PATCH"),
    M405("PUT", V1 "/users/1", "PATCH"),
    M405("POST", V1 "/keys", "GET, HEAD"),
    M405("PUT", V1 "/templates", "GET, HEAD, POST"),
    M405("DELETE", V1 "/templates/ywtb", "GET, HEAD"),
    M405("PATCH", V1 "/evaluations", "GET, HEAD, POST"),
    M405("DELETE", EV "1", "GET, HEAD"),
    M405("PUT", EV "1", "GET, HEAD"),
    M405("POST", EV "1/table", "GET, HEAD"),
    M405("GET", EV "1/meetings", "POST"),
    M405("GET", EV "1/standards", "POST"),
    M405("DELETE", EV "1/pool", "POST"),
    M405("POST", EV "1/pool/1.1/comparison", "PUT"),
    M405("PUT", EV "1/consultations", "POST"),
    M405("GET", EV "1/advance", "POST"),
    M405("POST", EV "1/procedure", "GET, HEAD"),
    M405("DELETE", EV "1/history", "GET, HEAD"),
    M405("POST", EV "1/verdict/preview", "GET, HEAD"),
    M405("DELETE", EV "1/verdict", "GET, HEAD, POST"),
    M405("PATCH", MT "1", "GET, HEAD"),
    M405("GET", MT "1/seat", "POST"),
    M405("GET", MT "1/finalize", "POST"),
    M405("POST", MT "1/advanced-levels/1.1", "PUT"),
    M405("POST", MT "1/events", "GET, HEAD"),
    M405("GET", MT "1/rounds", "POST"),
    M405("GET", MT "1/rounds/1/close", "POST"),
    M405("DELETE", MT "1/rounds/1/results", "GET, HEAD"),
    M405("POST", MT "1/rounds/1/ballot", "GET, HEAD, PUT"),
    M405("DELETE", MT "1/rounds/1/ballot", "GET, HEAD, PUT"),
    M405("POST", V1 "/audit", "GET, HEAD"),
    M405("DELETE", V1 "/audit/head", "GET, HEAD"),

    /* ---- invalid UTF-8 in bodies ---- */
    BAD("raw 0xff in a string", "POST", V1 "/evaluations",
	"{\"title\":\"\xff\",\"standard\":{\"code\":\"c\",\"title\":\"t\"}}",
	"sec1", 400, "malformed_json"),
    BAD("overlong slash in a string", "PUT", LVL, "{\"text\":\"\xc0\xaf\"}",
	"sec1", 400, "malformed_json"),
    BAD("encoded surrogate in a string", "POST", EV "{ESEL}/consultations",
	"{\"stakeholder\":\"other\",\"organization\":\"\xed\xa0\x80\","
	"\"opinion\":\"p\"}",
	"sec1", 400, "malformed_json"),
    BAD("code point above U+10FFFF", "PUT", B1,
	"{\"scores\":[{\"item\":\"1.1.1\",\"score\":50,\"comment\":"
	"\"\xf4\x90\x80\x80\"}]}",
	"ex1", 400, "malformed_json"),
    BAD("truncated character", "POST", EV "{E1}/verdict",
	"{\"statement\":\"\xe4\xb8\"}", "sec1", 400, "malformed_json"),
    BAD("invalid UTF-8 in a key", "PUT", BSEL, "{\"vo\xfe\":[]}", "ex1", 400,
	"malformed_json"),
    BAD("Latin-1 body", "POST", V1 "/sessions",
	"{\"username\":\"jos\xe9\",\"password\":\"x\"}", NULL, 400,
	"malformed_json"),
};

/* A request written byte by byte: what libcurl will not send. */
struct hx_raw {
	const char *what;
	const char *line;    /* the request line, placeholders expanded */
	const char *headers; /* more header lines, each ending in CRLF */
	const char *body;    /* NULL: none, and no Content-Length */
	long status;	     /* 0: the server closes without an answer */
	const char *code;    /* NULL: libevent's own answer, or none */
};

static const struct hx_raw raws[] = {
    {"raw 0xff in a path", "GET /api/v1/templates/\xff HTTP/1.1",
     "Authorization: Bearer {T:sec1}\r\n", NULL, 400, "bad_path"},
    {"raw overlong UTF-8 in a path", "GET /api/v1/templates/\xc0\xae HTTP/1.1",
     "Authorization: Bearer {T:sec1}\r\n", NULL, 400, "bad_path"},
    {"raw 0xff in a query", "GET /api/v1/users?role=\xff HTTP/1.1",
     "Authorization: Bearer {T:admin}\r\n", NULL, 400, "bad_query"},
    {"dot-dot not normalized", "GET /api/v1/evaluations/../users HTTP/1.1",
     "Authorization: Bearer {T:sec1}\r\n", NULL, 400, "bad_path"},
    {"dot segment", "GET /api/v1/./me HTTP/1.1",
     "Authorization: Bearer {T:sec1}\r\n", NULL, 400, "bad_path"},
    {"dot-dot above the root", "GET /../../../etc/passwd HTTP/1.1", "", NULL,
     400, "bad_path"},
    {"traversal into a write",
     "PUT /api/v1/meetings/{M2}/../{M1}/rounds/1/"
     "ballot HTTP/1.1",
     "Authorization: Bearer {T:ex1}\r\n", BALLOT_BODY, 400, "bad_path"},
    {"fragment in the target", "GET /api/v1/me#x HTTP/1.1",
     "Authorization: Bearer {T:sec1}\r\n", NULL, 400, "bad_path"},
    {"absolute URI as target", "GET https://127.0.0.1/api/v1/me HTTP/1.1",
     "Authorization: Bearer {T:sec1}\r\n", NULL, 400, "bad_path"},
    {"asterisk as target", "OPTIONS * HTTP/1.1", "", NULL, 400, "bad_path"},
    {"path of 3000 bytes", "GET /api/v1/{X:3000} HTTP/1.1", "", NULL, 400,
     "bad_path"},
    {"path past the header limit", "GET /api/v1/{X:20000} HTTP/1.1", "", NULL,
     400, NULL},
    {"0xff in the Authorization header", "GET /api/v1/me HTTP/1.1",
     "Authorization: Bearer \xff\xfe{T:sec1}\r\n", NULL, 401, "unauthorized"},
    {"0xff in the Idempotency-Key",
     "PUT /api/v1/meetings/{M1}/rounds/1/ballot "
     "HTTP/1.1",
     "Authorization: Bearer {T:ex1}\r\nIdempotency-Key: k\xff\xfe\r\n",
     BALLOT_BODY, 400, "bad_idempotency_key"},
    {"0xff in If-Match", "PUT /api/v1/meetings/{M1}/rounds/1/ballot HTTP/1.1",
     "Authorization: Bearer {T:ex1}\r\nIf-Match: \xff\r\n", BALLOT_BODY, 400,
     "bad_if_match"},
    {"header value folded onto a second line", "GET /api/v1/me HTTP/1.1",
     "Authorization: Bearer {T:sec1}\r\n x\r\n", NULL, 401, "unauthorized"},
    {"bare CR inside the Idempotency-Key",
     "PUT /api/v1/meetings/{M1}/rounds/1/ballot HTTP/1.1",
     "Authorization: Bearer {T:ex1}\r\nIdempotency-Key: a\rX-Injected: "
     "yes\r\n",
     BALLOT_BODY, 400, NULL},
    {"bare LF splitting the If-Match",
     "PUT /api/v1/meetings/{M1}/rounds/1/ballot HTTP/1.1",
     "Authorization: Bearer {T:ex1}\r\nIf-Match: 7\nX-Injected: yes\r\n",
     BALLOT_BODY, 412, "version_mismatch"},
    /* RFC 9110 5.5 would refuse it, but evhttp 2.1 ends the value at the
     * NUL before the server sees it: what is left is the caller's own
     * valid token, so the request reads only what the caller may read
     * anyway (a known libevent limit, see the README). */
    {"NUL inside the Authorization header", "GET /api/v1/me HTTP/1.1",
     "Authorization: Bearer {T:sec1}{NUL}junk\r\n", NULL, 200, NULL},
    {"NUL in the request line", "GET /api/v1/me{NUL} HTTP/1.1",
     "Authorization: Bearer {T:sec1}\r\n", NULL, 400, NULL},
    {"CR LF in the request target",
     "GET /api/v1/me\r\nX-Injected: yes HTTP/1.1",
     "Authorization: Bearer {T:sec1}\r\n", NULL, 400, NULL},
    {"space inside the target", "GET /api/v1/m e HTTP/1.1",
     "Authorization: Bearer {T:sec1}\r\n", NULL, 400, "bad_path"},
    {"header name with a space", "GET /api/v1/me HTTP/1.1",
     "Authorization: Bearer {T:sec1}\r\nIdempotency Key: x\r\n", NULL, 400,
     NULL},
    {"header without a colon", "GET /api/v1/me HTTP/1.1",
     "Authorization: Bearer {T:sec1}\r\nX-Injected\r\n", NULL, 400, NULL},
    {"unknown method", "BREW /api/v1/me HTTP/1.1",
     "Authorization: Bearer {T:sec1}\r\n", NULL, 501, NULL},
    {"TRACE", "TRACE /api/v1/me HTTP/1.1", "Authorization: Bearer {T:sec1}\r\n",
     NULL, 405, "method_not_allowed"},
    {"CONNECT", "CONNECT 127.0.0.1:5432 HTTP/1.1", "", NULL, 400, "bad_path"},
    {"HTTP/2.0 request line", "GET /api/v1/me HTTP/2.0",
     "Authorization: Bearer {T:sec1}\r\n", NULL, 400, NULL},
    {"HTTP/1.1 in lower case", "GET /api/v1/me http/1.1",
     "Authorization: Bearer {T:sec1}\r\n", NULL, 400, NULL},
    {"Content-Length and chunked together", "POST /api/v1/evaluations HTTP/1.1",
     "Authorization: Bearer {T:sec1}\r\nContent-Type: "
     "application/json\r\nContent-Length: 3\r\nTransfer-Encoding: "
     "chunked\r\n\r\n0\r\n\r\n",
     NULL, 400, NULL},
    {"two Content-Lengths that disagree",
     "POST /api/v1/evaluations/{ESTD}/advance HTTP/1.1",
     "Authorization: Bearer {T:sec1}\r\nContent-Type: "
     "application/json\r\nContent-Length: 13\r\nContent-Length: "
     "1\r\n\r\n{\"to\":\"pool\"}",
     NULL, 400, NULL},
    {"negative Content-Length", "POST /api/v1/evaluations HTTP/1.1",
     "Authorization: Bearer {T:sec1}\r\nContent-Type: "
     "application/json\r\nContent-Length: -1\r\n\r\n{}",
     NULL, 400, NULL},
    /* The server reads an oversized body before answering 413; one it
     * could never finish reading is cut at the receive deadline. */
    {"Content-Length past 2^63", "POST /api/v1/evaluations HTTP/1.1",
     "Authorization: Bearer {T:sec1}\r\nContent-Type: "
     "application/json\r\nContent-Length: "
     "99999999999999999999\r\n\r\n{}",
     NULL, 0, NULL},
    {"smuggled second request", "POST /api/v1/meetings/{M1B}/rounds HTTP/1.1",
     "Authorization: Bearer {T:sec1}\r\nContent-Type: "
     "application/json\r\nContent-Length: 0\r\nTransfer-Encoding: "
     "chunked\r\n\r\n5\r\n{\"n\":\r\n0\r\n\r\nPOST "
     "/api/v1/meetings/{M1B}/rounds HTTP/1.1\r\n\r\n",
     NULL, 400, NULL},
};

/* ---- checks ---- */

/*
 * The dump without the sequences' positions.  A refused INSERT that hit a
 * unique key (a taken username, say) has drawn its id already: PostgreSQL
 * sequences never roll back, by design, so an id is skipped but no row
 * and no value changes.  Such gaps are counted apart, never hidden.
 */
static char *
rows_only(const char *dump)
{
	struct buf b = {0};

	buf_add(&b, "", 0);
	for (const char *p = dump; *p != '\0';) {
		size_t n = strcspn(p, "\n");

		if (strncmp(p, "SELECT pg_catalog.setval(", 25) != 0)
			buf_add(&b, p, n + (p[n] == '\n'));
		p += n + (p[n] == '\n');
	}
	return b.p;
}

/* Prints where two dumps part: the first line that differs. */
static void
dump_diff(const char *what, const char *before, const char *after)
{
	size_t k = 0;

	while (before[k] != '\0' && before[k] == after[k])
		k++;
	while (k > 0 && before[k - 1] != '\n')
		k--;
	print_error("%s: the dump differs from here:\n  before: %.*s\n"
		    "  after:  %.*s\n",
		    what, (int)strcspn(before + k, "\n"), before + k,
		    (int)strcspn(after + k, "\n"), after + k);
}

/* Compares two dumps: true when their rows are the same, counting a
 * sequence that moved (see rows_only) as a gap. */
static bool
same_rows(const char *what, const char *before, const char *after)
{
	char *b = rows_only(before), *a = rows_only(after);
	bool same = strcmp(a, b) == 0;

	if (!same) {
		dump_diff(what, b, a);
	} else if (strcmp(before, after) != 0) {
		tally.gaps++;
		print_message("%s: no row changed, a sequence moved on\n",
			      what);
	}
	free(a);
	free(b);
	return same;
}

/* Why resp is not the documented error {"error":{"code","message",
 * "details"?}} with code, or NULL when it is. */
static const char *
error_shape(const struct it_resp *resp, const char *code)
{
	json_t *err, *c, *m, *d;
	const char *ct = it_header(resp, "Content-Type");

	if (ct == NULL || strcmp(ct, "application/json; charset=utf-8") != 0)
		return "not application/json; charset=utf-8";
	if (resp->json == NULL)
		return "the body is not JSON";
	err = json_object_get(resp->json, "error");
	if (!json_is_object(err) || json_object_size(resp->json) != 1)
		return "not {\"error\": {...}}";
	c = json_object_get(err, "code");
	m = json_object_get(err, "message");
	d = json_object_get(err, "details");
	if (!json_is_string(c) || !json_is_string(m) ||
	    json_string_length(m) == 0 || (d != NULL && !json_is_object(d)) ||
	    json_object_size(err) != (d != NULL ? 3u : 2u))
		return "error members are not code, message and details";
	if (code != NULL && strcmp(json_string_value(c), code) != 0)
		return "another error code";
	return NULL;
}

/*
 * Checks one answer and the database after it; false (after printing
 * why) when anything is off.  status is what must come; code the error
 * code, or NULL for libevent's own refusal (which has no JSON: evhttp 2.1
 * writes a fixed HTML page) or for a request that is no error.
 */
static bool
hx_judge(const char *what, const char *method, const struct it_resp *r,
	 long status, const char *code, const char *allow)
{
	char now[33];
	const char *why = NULL;
	bool ok = true;

	tally.sent++;
	tally.last_status = r->status;
	/* 501 is RFC 9110's answer to a method nobody recognizes (BREW);
	 * any other 5xx is the server failing on client input. */
	if (r->status >= 500 && status != 501) {
		tally.fivexx++;
		print_error("%s: answered %ld (5xx)\n", what, r->status);
		ok = false;
	}
	if (r->status != status) {
		print_error(
		    "%s: %s answered %ld, want %ld (%s); body: %.300s\n", what,
		    method, r->status, status, r->status ? "" : r->errbuf,
		    r->body);
		ok = false;
	} else if (code != NULL) {
		why = error_shape(r, code);
	} else if (status > 0 && status < 300 && r->json == NULL) {
		why = "the body is not JSON";
	} else if (status >= 400 && error_shape(r, NULL) != NULL) {
		tally.html++;
	}
	if (why != NULL) {
		print_error("%s: %s; body: %.300s\n", what, why, r->body);
		ok = false;
	}
	if (allow != NULL && (it_header(r, "Allow") == NULL ||
			      strcmp(it_header(r, "Allow"), allow) != 0)) {
		print_error("%s: Allow is \"%s\", want \"%s\"\n", what,
			    it_header(r, "Allow") ? it_header(r, "Allow") : "",
			    allow);
		ok = false;
	}
	/* Nothing the client sent comes back as a header of its own. */
	if (it_header(r, "X-Injected") != NULL) {
		print_error("%s: the answer carries X-Injected\n", what);
		ok = false;
	}
	it_db_fingerprint(now);
	if (strcmp(now, tally.fingerprint) != 0) {
		char *dump;

		/* Sequenced first, so that an entry this request wrote is
		 * not blamed on the next one. */
		flush_audit();
		dump = it_db_dump();
		if (!same_rows(what, tally.dump, dump)) {
			tally.changed++;
			ok = false;
		}
		free(tally.dump);
		tally.dump = dump;
		it_db_fingerprint(tally.fingerprint);
	}
	if (!ok)
		tally.wrong++;
	return ok;
}

static void
run_case(const struct hx_case *c)
{
	char *path = expand(c->path, NULL);
	char *body = c->body ? expand(c->body, NULL) : NULL;
	char *h0 = c->headers[0] ? expand(c->headers[0], NULL) : NULL;
	char *h1 = c->headers[1] ? expand(c->headers[1], NULL) : NULL;
	const char *headers[] = {h0, h1, NULL};
	const char *token = NULL;
	struct it_resp *r;

	if (c->as != NULL)
		token = strcmp(c->as, "forged") == 0 ? FORGED : tok(c->as);
	r = it_do(&(struct it_req){.method = c->method,
				   .path = path,
				   .token = token,
				   .headers = headers,
				   .body = body,
				   .raw = true});
	hx_judge(c->what, c->method ? c->method : "GET", r, c->status, c->code,
		 c->allow);
	it_resp_free(r);
	free(path);
	free(body);
	free(h0);
	free(h1);
}

static void
run_raw(const struct hx_raw *c)
{
	struct buf req = {0};
	size_t n;
	char *line = expand(c->line, &n), *headers, *body = NULL;
	struct it_resp *r;

	buf_add(&req, line, n);
	buf_printf(&req, "\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
	headers = expand(c->headers, &n);
	buf_add(&req, headers, n);
	if (c->body != NULL) {
		body = expand(c->body, &n);
		buf_printf(&req,
			   "Content-Type: application/json\r\n"
			   "Content-Length: %zu\r\n\r\n",
			   n);
		buf_add(&req, body, n);
	} else if (strstr(c->headers, "\r\n\r\n") == NULL) {
		buf_add(&req, "\r\n", 2);
	}
	r = it_raw(req.p, req.len);
	hx_judge(c->what, "raw", r, c->status, c->code, NULL);
	it_resp_free(r);
	free(line);
	free(headers);
	free(body);
	free(req.p);
}

/* ---- the test ---- */

/*
 * After a request that got no answer: the server must still be serving.
 * A dead one is counted, and another is started on the same database, so
 * that one crash does not hide what the rest of the suite would find.
 */
static void
check_alive(const char *after)
{
	struct it_resp *r = it_get(V1 "/healthz", NULL);
	long status = r->status;

	it_resp_free(r);
	if (status == 200)
		return;
	tally.deaths++;
	tally.wrong++;
	print_error("%s: the server stopped answering (exit status %d); "
		    "starting another\n",
		    after, it_server_stop(server));
	server = it_server_start(server_args);
}

static void
test_hostile(void **state)
{
	struct timespec t0, t1;
	char *before;

	(void)state;
	setup_people();
	setup_fixtures();
	flush_audit();
	before = it_db_dump();
	tally.dump = strdup(before);
	assert_non_null(tally.dump);
	it_db_fingerprint(tally.fingerprint);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		run_case(&cases[i]);
		if (tally.last_status == 0)
			check_alive(cases[i].what);
	}
	for (size_t i = 0; i < sizeof raws / sizeof *raws; i++) {
		run_raw(&raws[i]);
		check_alive(raws[i].what);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);

	/* Still serving, and nothing waits to be sequenced. */
	check_alive("the last case");
	flush_audit();
	free(tally.dump);
	tally.dump = it_db_dump();
	{
		char *b = rows_only(before), *a = rows_only(tally.dump);

		if (strcmp(a, b) != 0) {
			dump_diff("the suite", b, a);
			tally.changed += tally.changed == 0;
		}
		free(a);
		free(b);
	}
	free(before);
	printf("%zu hostile requests, %zu changed the database, %zu answered "
	       "5xx, %zu stopped the server\n",
	       tally.sent, tally.changed, tally.fivexx, tally.deaths);
	printf("(%zu left only a gap in an id sequence; %zu were refused by "
	       "libevent itself, without JSON; %.1f s)\n",
	       tally.gaps, tally.html,
	       (double)(t1.tv_sec - t0.tv_sec) +
		   (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	assert_true(tally.sent >= 200);
	assert_int_equal(tally.fivexx, 0);
	assert_int_equal(tally.changed, 0);
	assert_int_equal(tally.deaths, 0);
	assert_int_equal(tally.wrong, 0);
}

/* Last: a clean exit, which under AddressSanitizer also means no leak
 * on any of those paths. */
static void
test_stop_clean(void **state)
{
	(void)state;
	assert_int_equal(it_server_stop(server), 0);
	server = NULL;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hostile),
	    cmocka_unit_test(test_stop_clean),
	};

	return cmocka_run_group_tests(tests, hx_setup, hx_teardown);
}
