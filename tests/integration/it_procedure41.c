/*
 * Section 4.1 d and e of the real pingshend: selection meetings (include
 * or exclude per candidate, exact shares against the threshold, a next
 * round over the items without consensus), weighting meetings (sibling
 * groups summing to 1.000, aggregated and renormalized by largest
 * remainder, advanced levels proposed by the panel and confirmed by the
 * secretary), the table they form, an evaluation without a template
 * driven from its standards to a signed verdict, and GET .../procedure,
 * where the panel reads what the codes it votes on stand for.
 *
 * Every expected number is computed here from the ballots the test sent,
 * in integer arithmetic: shares as fractions, weights in thousandths,
 * scores in hundredths, the total rounded half up once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

#define PASSWORD "procedure41-password-1"

/* ---- people ---- */

struct person {
	const char *name;
	long long id;
	char *token;
};

#define N_EXPERTS 7
static struct person E[N_EXPERTS] = {
    {"p41_e0", 0, NULL}, {"p41_e1", 0, NULL}, {"p41_e2", 0, NULL},
    {"p41_e3", 0, NULL}, {"p41_e4", 0, NULL}, {"p41_e5", 0, NULL},
    {"p41_e6", 0, NULL},
};
/* An expert on no panel. */
static struct person Lonely = {"p41_lonely", 0, NULL};
static struct person Sec = {"p41_sec", 0, NULL};

static struct it_server *server;
static char *admin_token;

static int
p41_setup(void **state)
{
	static const char *const args[] = {"--scrypt-log2-n=" IT_FAST_SCRYPT,
					   "--login-max-failures=1000", NULL};

	(void)state;
	it_env_start();
	assert_int_equal(
	    it_create_admin(IT_ADMIN_NAME, IT_ADMIN_PASSWORD, IT_FAST_SCRYPT),
	    0);
	server = it_server_start(args);
	admin_token = it_login(IT_ADMIN_NAME, IT_ADMIN_PASSWORD);
	for (size_t i = 0; i < N_EXPERTS; i++) {
		E[i].id =
		    it_create_user(admin_token, E[i].name, "expert", PASSWORD);
		E[i].token = it_login(E[i].name, PASSWORD);
	}
	Lonely.id =
	    it_create_user(admin_token, Lonely.name, "expert", PASSWORD);
	Lonely.token = it_login(Lonely.name, PASSWORD);
	Sec.id = it_create_user(admin_token, Sec.name, "secretary", PASSWORD);
	Sec.token = it_login(Sec.name, PASSWORD);
	return 0;
}

static int
p41_teardown(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_EXPERTS; i++)
		free(E[i].token);
	free(Lonely.token);
	free(Sec.token);
	free(admin_token);
	it_env_stop();
	return 0;
}

/* ---- exact fractions ---- */

struct q {
	int64_t n, d;
};

static struct q
q_make(__int128 n, __int128 d)
{
	__int128 a, b;

	assert_true(d != 0);
	if (d < 0) {
		n = -n;
		d = -d;
	}
	a = n < 0 ? -n : n;
	b = d;
	while (b != 0) {
		__int128 t = a % b;

		a = b;
		b = t;
	}
	if (a == 0)
		a = 1;
	n /= a;
	d /= a;
	assert_true(n <= INT64_MAX && n >= -INT64_MAX && d <= INT64_MAX);
	return (struct q){(int64_t)n, (int64_t)d};
}

static struct q
q_add(struct q a, struct q b)
{
	return q_make((__int128)a.n * b.d + (__int128)b.n * a.d,
		      (__int128)a.d * b.d);
}

static struct q
q_mul(struct q a, struct q b)
{
	return q_make((__int128)a.n * b.n, (__int128)a.d * b.d);
}

/* a (not negative) rounded half up to a whole number. */
static int64_t
q_round(struct q a)
{
	assert_true(a.n >= 0);
	return (int64_t)(((__int128)2 * a.n + a.d) / ((__int128)2 * a.d));
}

/* v units of 10^-decimals as text: (8550, 2) -> "85.50". */
static const char *
fixed(int64_t v, int decimals, char buf[40])
{
	int64_t unit = 1, a = v < 0 ? -v : v;

	for (int i = 0; i < decimals; i++)
		unit *= 10;
	snprintf(buf, 40, "%s%lld.%0*lld", v < 0 ? "-" : "",
		 (long long)(a / unit), decimals, (long long)(a % unit));
	return buf;
}

/* A global weight in units of 10^-9 as the table prints it: every
 * decimal, trailing zeros dropped down to three ("0.0921866", "0.300"). */
static const char *
global_text(int64_t v, char buf[40])
{
	size_t len;

	fixed(v, 9, buf);
	len = strlen(buf);
	while (len > 0 && buf[len - 1] == '0' &&
	       len - (size_t)(strchr(buf, '.') - buf) - 1 > 3)
		buf[--len] = '\0';
	return buf;
}

/* "0.334" -> 334 (thousandths); -1 when not such a text. */
static int64_t
milli_of(const json_t *j)
{
	const char *s = json_string_value(j);
	int64_t whole = 0, frac = 0;
	int digits = 0;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	while (*s >= '0' && *s <= '9')
		whole = whole * 10 + (*s++ - '0');
	if (*s == '.') {
		s++;
		while (*s >= '0' && *s <= '9' && digits < 3) {
			frac = frac * 10 + (*s++ - '0');
			digits++;
		}
	}
	if (*s != '\0')
		return -1;
	while (digits++ < 3)
		frac *= 10;
	return whole * 1000 + frac;
}

/* How many decimals a decimal string has; -1 when it is none. */
static int
decimals_of(const json_t *j)
{
	const char *s = json_string_value(j), *dot;

	if (s == NULL)
		return -1;
	dot = strchr(s, '.');
	return dot == NULL ? 0 : (int)strlen(dot + 1);
}

static void
sorted_copy(const int64_t *v, size_t n, int64_t *out)
{
	memcpy(out, v, n * sizeof *v);
	for (size_t i = 1; i < n; i++) {
		for (size_t j = i; j > 0 && out[j - 1] > out[j]; j--) {
			int64_t t = out[j];

			out[j] = out[j - 1];
			out[j - 1] = t;
		}
	}
}

/* 4 x the linear (numpy) quartile k (1 or 3) of sorted s: exact. */
static int64_t
quartile_x4(const int64_t *s, size_t n, int k)
{
	size_t pos4 = (size_t)k * (n - 1), lo = pos4 / 4, r = pos4 % 4;

	if (r == 0)
		return 4 * s[lo];
	return 4 * s[lo] + (int64_t)r * (s[lo + 1] - s[lo]);
}

/* The trimmed mean (trim 1) of n ratings, exactly. */
static struct q
trimmed_mean1(const int64_t *v, size_t n)
{
	int64_t s[16], sum = 0;

	assert_true(n >= 3 && n <= 16);
	sorted_copy(v, n, s);
	for (size_t i = 1; i + 1 < n; i++)
		sum += s[i];
	return q_make(sum, (int64_t)n - 2);
}

/*
 * Largest remainder: the shares s[0..m) (any positive scale) as
 * thousandths summing to exactly 1000; the thousandths left over go to
 * the largest remainders, ties to the earlier item (the smaller code:
 * items are in table order).
 */
static void
largest_remainder(const int64_t *s, size_t m, int64_t *out)
{
	int64_t total = 0, given = 0;
	bool bumped[16] = {false};

	assert_true(m >= 1 && m <= 16);
	for (size_t i = 0; i < m; i++)
		total += s[i];
	assert_true(total > 0);
	for (size_t i = 0; i < m; i++) {
		out[i] = s[i] * 1000 / total;
		given += out[i];
	}
	while (given < 1000) {
		size_t best = m;

		for (size_t i = 0; i < m; i++) {
			if (bumped[i])
				continue;
			if (best == m ||
			    s[i] * 1000 % total > s[best] * 1000 % total)
				best = i;
		}
		assert_true(best < m);
		bumped[best] = true;
		out[best]++;
		given++;
	}
}

static double
dabs(double x)
{
	return x < 0 ? -x : x;
}

/* ---- HTTP ---- */

static void
dump(const char *what, const json_t *j)
{
	char *text = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);

	print_error("%s: %.2000s\n", what, text ? text : "(none)");
	free(text);
}

static void
assert_str(const json_t *got, const char *want, const char *what)
{
	const char *s = json_string_value(got);

	if (s == NULL || strcmp(s, want) != 0) {
		char *text = json_dumps(got, JSON_ENCODE_ANY);

		fail_msg("%s is %s, want \"%s\"", what, text ? text : "(none)",
			 want);
	}
}

static void
assert_bool(const json_t *got, bool want, const char *what)
{
	if (!json_is_boolean(got) || json_is_true(got) != want)
		fail_msg("%s is %s, want %s", what,
			 json_is_boolean(got)
			     ? (json_is_true(got) ? "true" : "false")
			     : "not a boolean",
			 want ? "true" : "false");
}

/* Fails unless the JSON decimal string is within tol of want. */
static void
assert_near(const json_t *got, double want, double tol, const char *what)
{
	const char *s = json_string_value(got);

	if (s == NULL)
		fail_msg("%s is not a decimal string", what);
	else if (dabs(strtod(s, NULL) - want) > tol)
		fail_msg("%s is %s, want %.6f", what, s, want);
}

/* Asserts the status (printing the body otherwise) and returns the
 * answer's JSON (a new reference). */
static json_t *
take(struct it_resp *r, long status)
{
	json_t *j;

	if (r->status != status)
		print_error("answer %ld: %.1500s\n", r->status,
			    r->body ? r->body : "");
	it_assert_status(r, status);
	j = json_incref(r->json);
	it_resp_free(r);
	return j;
}

static struct it_resp *
get(const char *token, const char *fmt, ...)
{
	char path[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof path, fmt, ap);
	va_end(ap);
	return it_get(path, token);
}

/* Sends body (stolen; NULL: {}) with method to the formatted path. */
static struct it_resp *
send_to(const char *method, const char *token, json_t *body, const char *fmt,
	...)
{
	char path[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof path, fmt, ap);
	va_end(ap);
	return it_send_json(method, path, token, body ? body : json_object());
}

static const char *
fmt_path(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return buf;
}

/* The details of an error answer, or NULL. */
static json_t *
details_of(const struct it_resp *r)
{
	return json_object_get(json_object_get(r->json, "error"), "details");
}

/*
 * Sends body (stolen) and asserts the refusal: status and code (NULL:
 * any code, for 400s), the database's audit log and counters as they
 * were, and the answer of GET probe (NULL: none) as it was.  Returns the
 * answer (caller frees).
 */
static struct it_resp *
refused(const char *method, const char *path, const char *token, json_t *body,
	long status, const char *code, const char *probe_token,
	const char *probe)
{
	struct it_snapshot s;
	struct it_resp *r;
	json_t *before = NULL, *after;

	it_snapshot(&s);
	if (probe != NULL)
		before = take(it_get(probe, probe_token), 200);
	r = it_send_json(method, path, token, body);
	if (code != NULL) {
		it_assert_error(r, status, code);
	} else {
		it_assert_status(r, status);
		assert_true(json_is_string(json_object_get(
		    json_object_get(r->json, "error"), "code")));
	}
	it_assert_unchanged(&s, path);
	if (probe != NULL) {
		after = take(it_get(probe, probe_token), 200);
		if (!json_equal(before, after)) {
			dump("before", before);
			dump("after", after);
			fail_msg("a refused %s %s changed %s", method, path,
				 probe);
		}
		json_decref(before);
		json_decref(after);
	}
	return r;
}

static void
refused_free(const char *method, const char *path, const char *token,
	     json_t *body, long status, const char *code,
	     const char *probe_token, const char *probe)
{
	it_resp_free(refused(method, path, token, body, status, code,
			     probe_token, probe));
}

/* Asserts a refusal's details.item. */
static void
assert_detail_item(const struct it_resp *r, const char *item)
{
	assert_str(json_object_get(details_of(r), "item"), item,
		   "details.item");
}

/*
 * The codes an error lists: the subjects of details.unmet or
 * details.problems, or the strings of details.items (new reference).
 */
static json_t *
listed_codes(const struct it_resp *r)
{
	const json_t *d = details_of(r), *list, *x;
	json_t *out = json_array();
	size_t i;

	list = json_object_get(d, "unmet");
	if (list == NULL)
		list = json_object_get(d, "problems");
	if (list == NULL)
		list = json_object_get(d, "items");
	json_array_foreach(list, i, x)
	{
		if (json_is_string(x))
			json_array_append(out, (json_t *)x);
		else
			json_array_append(out, json_object_get(x, "subject"));
	}
	return out;
}

/* Fails unless the strings of got are exactly want[0..n) in order. */
static void
assert_codes(const json_t *got, const char *const *want, size_t n,
	     const char *what)
{
	bool ok = json_is_array(got) && json_array_size(got) == n;

	for (size_t i = 0; ok && i < n; i++) {
		const char *s = json_string_value(json_array_get(got, i));

		ok = s != NULL && strcmp(s, want[i]) == 0;
	}
	if (!ok) {
		dump(what, got);
		for (size_t i = 0; i < n; i++)
			print_error("  want[%zu] %s\n", i, want[i]);
		fail_msg("%s: not the %zu codes expected", what, n);
	}
}

/* True when the array of strings holds s. */
static bool
has_code(const json_t *list, const char *s)
{
	const json_t *x;
	size_t i;

	json_array_foreach(list, i, x)
	{
		if (json_is_string(x) && strcmp(json_string_value(x), s) == 0)
			return true;
	}
	return false;
}

/* ---- the procedure up to stage d ---- */

struct pool_entry {
	const char *code, *parent;
	bool group;
	const char *name, *description;
};

#define STANDARD_REF "GB/T 32169-2015"
#define BENCH_REF    "ISO 18091:2019"

static json_t *
advance_body(const char *to)
{
	return json_pack("{s:s}", "to", to);
}

static void
advance(long long eval, const char *to)
{
	json_t *j = take(send_to("POST", Sec.token, advance_body(to),
				 V1 "/evaluations/%lld/advance", eval),
			 200);

	assert_str(json_object_get(j, "stage"), to, "stage");
	json_decref(j);
}

/*
 * Asserts POST .../advance to `to` is refused with stage_guard, writing
 * nothing; the codes of details.unmet (new reference).
 */
static json_t *
guard_codes(long long eval, const char *to)
{
	char path[128];
	struct it_resp *r;
	json_t *unmet, *u, *codes = json_array();
	size_t i;

	fmt_path(path, sizeof path, V1 "/evaluations/%lld/advance", eval);
	r = refused("POST", path, Sec.token, advance_body(to), 409,
		    "stage_guard", NULL, NULL);
	unmet = json_object_get(details_of(r), "unmet");
	assert_true(json_is_array(unmet));
	json_array_foreach(unmet, i, u)
	{
		assert_true(json_is_string(json_object_get(u, "message")));
		json_array_append(codes, json_object_get(u, "code"));
	}
	it_resp_free(r);
	return codes;
}

/* The guard's unmet codes are exactly want[0..n). */
static void
guard(long long eval, const char *to, const char *const *want, size_t n)
{
	json_t *codes = guard_codes(eval, to);

	assert_codes(codes, want, n, "stage_guard unmet");
	json_decref(codes);
}

static json_t *
comparison_body(size_t i)
{
	if (i % 2 == 0)
		return json_pack("{s:{s:s, s:s, s:s}, s:n}", "standard", "ref",
				 STANDARD_REF, "clause", "4.1", "level",
				 "国内领先", "benchmark");
	return json_pack("{s:n, s:{s:s, s:s, s:s}}", "standard", "benchmark",
			 "scope", "international", "ref", BENCH_REF, "level",
			 "国际先进");
}

/*
 * A new evaluation without a template, taken through stages a-c with the
 * given pool (groups and candidates, each candidate compared), now at
 * stage selection.
 */
static long long
eval_build(const char *title, const struct pool_entry *pool, size_t n)
{
	json_t *j;
	long long eval;
	size_t cand = 0;

	j = take(send_to("POST", Sec.token,
			 json_pack("{s:s, s:{s:s, s:s}, s:[s]}", "title", title,
				   "standard", "code", "DB31/T 4141-2025",
				   "title", "政务服务事项办理规范",
				   "drafting_organizations", "某标准起草单位"),
			 V1 "/evaluations"),
		 201);
	eval = json_integer_value(json_object_get(j, "id"));
	assert_true(eval > 0);
	assert_str(json_object_get(j, "stage"), "standards", "stage");
	json_decref(j);

	json_decref(take(
	    send_to("POST", Sec.token,
		    json_pack("{s:s, s:s, s:s, s:[s]}", "code", STANDARD_REF,
			      "title", "政务服务中心运行规范", "scope",
			      "national", "clauses", "4.1"),
		    V1 "/evaluations/%lld/standards", eval),
	    201));
	advance(eval, "pool");
	for (size_t i = 0; i < n; i++) {
		json_t *b = json_pack("{s:s, s:s, s:s}", "code", pool[i].code,
				      "name", pool[i].name, "kind",
				      pool[i].group ? "group" : "candidate");

		if (pool[i].parent != NULL)
			json_object_set_new(b, "parent",
					    json_string(pool[i].parent));
		if (pool[i].description != NULL)
			json_object_set_new(b, "description",
					    json_string(pool[i].description));
		if (!pool[i].group)
			json_object_set_new(b, "source",
					    json_pack("{s:s, s:s}", "type",
						      "standard", "ref",
						      STANDARD_REF));
		json_decref(take(send_to("POST", Sec.token, b,
					 V1 "/evaluations/%lld/pool", eval),
				 201));
	}
	advance(eval, "comparison");
	for (size_t i = 0; i < n; i++) {
		if (pool[i].group)
			continue;
		json_decref(
		    take(send_to("PUT", Sec.token, comparison_body(cand++),
				 V1 "/evaluations/%lld/pool/%s/"
				    "comparison",
				 eval, pool[i].code),
			 200));
	}
	advance(eval, "selection");
	return eval;
}

static void
consult(long long eval)
{
	json_decref(
	    take(send_to("POST", Sec.token,
			 json_pack("{s:s, s:s, s:s, s:s}", "stakeholder",
				   "industry_association", "organization",
				   "上海市标准化协会", "opinion",
				   "支持所选关键指标", "response", "采纳"),
			 V1 "/evaluations/%lld/consultations", eval),
		 201));
}

/* ---- meetings ---- */

static json_t *
experts_of(const int *who, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_integer(E[who[i]].id));
	return a;
}

/* {"kind","title","experts"} plus the members of extra (stolen; NULL). */
static json_t *
meeting_body(const char *kind, const int *who, size_t n, json_t *extra)
{
	json_t *b = json_pack("{s:s, s:s, s:o}", "kind", kind, "title",
			      "专家评审会", "experts", experts_of(who, n));

	if (extra != NULL) {
		json_object_update(b, extra);
		json_decref(extra);
	}
	return b;
}

/* Creates the meeting and seats the whole panel; returns its id. */
static long long
meeting_new(long long eval, const char *kind, const int *who, size_t n,
	    json_t *extra)
{
	json_t *j =
	    take(send_to("POST", Sec.token, meeting_body(kind, who, n, extra),
			 V1 "/evaluations/%lld/meetings", eval),
		 201);
	long long id = json_integer_value(json_object_get(j, "id"));

	assert_true(id > 0);
	assert_str(json_object_get(j, "kind"), kind, "kind");
	assert_str(json_object_get(j, "state"), "open", "state");
	json_decref(j);
	for (size_t i = 0; i < n; i++) {
		j = take(send_to("POST", E[who[i]].token,
				 json_pack("{s:b}", "conflict_of_interest", 0),
				 V1 "/meetings/%lld/seat", id),
			 200);
		assert_str(json_object_get(j, "seat"), "seated", "seat");
		json_decref(j);
	}
	return id;
}

/* Opens the next round over items (stolen; NULL: the default); checks
 * its items are want[0..n_want) and returns its number. */
static int
round_open(long long meeting, json_t *items, const char *const *want,
	   size_t n_want)
{
	json_t *body = items ? json_pack("{s:o}", "items", items) : NULL;
	json_t *j = take(send_to("POST", Sec.token, body,
				 V1 "/meetings/%lld/rounds", meeting),
			 201);
	int n = (int)json_integer_value(json_object_get(j, "n"));

	assert_true(n >= 1);
	assert_codes(json_object_get(j, "items"), want, n_want, "round items");
	json_decref(j);
	return n;
}

static json_t *
round_close(long long meeting, int round)
{
	json_t *j =
	    take(send_to("POST", Sec.token, NULL,
			 V1 "/meetings/%lld/rounds/%d/close", meeting, round),
		 200);

	assert_int_equal(json_integer_value(json_object_get(j, "round")),
			 round);
	return j;
}

/* PUTs a ballot (stolen) and checks complete; returns the version. */
static long long
ballot_put(long long meeting, int round, const struct person *p, json_t *body,
	   bool complete)
{
	json_t *j =
	    take(send_to("PUT", p->token, body,
			 V1 "/meetings/%lld/rounds/%d/ballot", meeting, round),
		 200);
	long long version = json_integer_value(json_object_get(j, "version"));

	assert_bool(json_object_get(j, "complete"), complete, "complete");
	assert_true(version >= 1);
	json_decref(j);
	return version;
}

/* ---- selection ---- */

struct thr {
	int64_t num, den;
	const char *text;
};

/* {"votes":[...]} of expert e: votes[k][e] is '1' include, '0' exclude,
 * '-' no vote. */
static json_t *
votes_body(const char *const *codes, const char *const *votes, size_t n, int e)
{
	json_t *list = json_array();

	for (size_t k = 0; k < n; k++) {
		json_t *v;

		if (votes[k][e] == '-')
			continue;
		v = json_pack("{s:s, s:b}", "item", codes[k], "include",
			      votes[k][e] == '1');
		if (k == 0 && e == 0)
			json_object_set_new(v, "comment",
					    json_string("覆盖全部事项"));
		json_array_append_new(list, v);
	}
	return json_pack("{s:o}", "votes", list);
}

/* The expected outcome of one candidate's votes. */
struct sel_expect {
	int64_t n, includes;
	bool selected, consensus;
	char share[40];
};

static void
sel_expect(const char *votes, struct thr t, struct sel_expect *x)
{
	memset(x, 0, sizeof *x);
	for (const char *c = votes; *c; c++) {
		x->n += *c != '-';
		x->includes += *c == '1';
	}
	assert_true(x->n > 0);
	x->selected = x->includes * t.den >= t.num * x->n;
	x->consensus =
	    x->selected || (x->n - x->includes) * t.den >= t.num * x->n;
	fixed(q_round(q_make(x->includes * 10000, x->n)), 4, x->share);
}

/*
 * Checks a selection round's results against the votes (votes[k] over
 * the experts, as in votes_body) of its n items; consensus[k] receives
 * the expected consensus.
 */
static void
check_selection(const json_t *res, int round, const char *const *codes,
		const char *const *votes, size_t n, int64_t ballots,
		struct thr t, bool *selected, bool *consensus)
{
	const json_t *items = json_object_get(res, "items");
	char what[64];

	assert_int_equal(json_integer_value(json_object_get(res, "round")),
			 round);
	assert_int_equal(json_integer_value(json_object_get(res, "n")),
			 ballots);
	assert_str(json_object_get(res, "kind"), "selection", "results kind");
	assert_str(json_object_get(res, "threshold"), t.text,
		   "results threshold");
	assert_true(json_is_null(json_object_get(res, "panel")));
	assert_true(json_is_object(json_object_get(res, "rules")));
	if (json_array_size(items) != n) {
		dump("results", res);
		fail_msg("%zu result items, want %zu", json_array_size(items),
			 n);
	}
	for (size_t k = 0; k < n; k++) {
		const json_t *it = json_array_get(items, k);
		const json_t *ex = json_object_get(it, "exact");
		struct sel_expect x;
		int64_t num, den;

		sel_expect(votes[k], t, &x);
		snprintf(what, sizeof what, "round %d item %s", round,
			 codes[k]);
		assert_str(json_object_get(it, "item"), codes[k], what);
		assert_int_equal(json_integer_value(json_object_get(it, "n")),
				 x.n);
		assert_int_equal(
		    json_integer_value(json_object_get(it, "includes")),
		    x.includes);
		assert_str(json_object_get(it, "share"), x.share, what);
		assert_true(json_is_integer(json_object_get(ex, "num")));
		assert_true(json_is_integer(json_object_get(ex, "den")));
		num = json_integer_value(json_object_get(ex, "num"));
		den = json_integer_value(json_object_get(ex, "den"));
		if (den <= 0 || num * x.n != x.includes * den)
			fail_msg("%s: exact %lld/%lld, want %lld/%lld", what,
				 (long long)num, (long long)den,
				 (long long)x.includes, (long long)x.n);
		snprintf(what, sizeof what, "round %d item %s selected", round,
			 codes[k]);
		assert_bool(json_object_get(it, "selected"), x.selected, what);
		snprintf(what, sizeof what, "round %d item %s consensus", round,
			 codes[k]);
		assert_bool(json_object_get(it, "consensus"), x.consensus,
			    what);
		if (selected != NULL)
			selected[k] = x.selected;
		if (consensus != NULL)
			consensus[k] = x.consensus;
	}
}

/*
 * Expert e's ballot of round `round` before voting: no votes yet, and
 * `previous` showing round prev_round's share, outcome and the expert's
 * own vote (prev_votes[k] over the experts, '-' none: null) for each
 * item of the round.
 */
static void
check_previous(long long meeting, int round, int e,
	       const char *const *round_items, size_t n_round,
	       const char *const *prev_codes, const char *const *prev_votes,
	       size_t n_prev, int prev_round, struct thr t)
{
	json_t *j = take(get(E[e].token, V1 "/meetings/%lld/rounds/%d/ballot",
			     meeting, round),
			 200);
	const json_t *prev = json_object_get(j, "previous"), *line, *own;
	char what[80];
	size_t i;

	assert_int_equal(json_integer_value(json_object_get(j, "round")),
			 round);
	assert_codes(json_object_get(j, "items"), round_items, n_round,
		     "ballot items");
	assert_int_equal(json_array_size(json_object_get(j, "votes")), 0);
	assert_bool(json_object_get(j, "complete"), false, "complete");
	if (!json_is_object(prev)) {
		dump("ballot", j);
		fail_msg("round %d's ballot has no previous round", round);
	}
	assert_int_equal(json_integer_value(json_object_get(prev, "round")),
			 prev_round);
	for (size_t r = 0; r < n_round; r++) {
		size_t k;
		struct sel_expect x;

		for (k = 0;
		     k < n_prev && strcmp(prev_codes[k], round_items[r]) != 0;
		     k++)
			;
		assert_true(k < n_prev);
		sel_expect(prev_votes[k], t, &x);
		line = NULL;
		json_array_foreach(json_object_get(prev, "items"), i, line)
		{
			if (strcmp(json_string_value(
				       json_object_get(line, "item")),
				   round_items[r]) == 0)
				break;
		}
		if (i == json_array_size(json_object_get(prev, "items"))) {
			dump("previous", prev);
			fail_msg("previous lacks %s", round_items[r]);
		}
		snprintf(what, sizeof what, "expert %d previous %s", e,
			 round_items[r]);
		assert_str(json_object_get(line, "share"), x.share, what);
		assert_bool(json_object_get(line, "selected"), x.selected,
			    what);
		assert_bool(json_object_get(line, "consensus"), x.consensus,
			    what);
		own = json_object_get(line, "own_include");
		if (prev_votes[k][e] == '-') {
			if (!json_is_null(own))
				fail_msg("%s: own_include should be null",
					 what);
		} else {
			assert_bool(own, prev_votes[k][e] == '1', what);
		}
	}
	json_decref(j);
}

/* POST finalize of a selection meeting: selected and excluded are the
 * given codes (in any order). */
static void
selection_finalize(long long meeting, const char *const *sel, size_t n_sel,
		   const char *const *exc, size_t n_exc)
{
	json_t *j = take(send_to("POST", Sec.token, NULL,
				 V1 "/meetings/%lld/finalize", meeting),
			 200);
	const json_t *s = json_object_get(j, "selected");
	const json_t *x = json_object_get(j, "excluded");

	assert_int_equal(json_integer_value(json_object_get(j, "id")), meeting);
	assert_str(json_object_get(j, "state"), "finalized", "state");
	if (json_array_size(s) != n_sel || json_array_size(x) != n_exc) {
		dump("finalized", j);
		fail_msg("selected %zu and excluded %zu, want %zu and %zu",
			 json_array_size(s), json_array_size(x), n_sel, n_exc);
	}
	for (size_t i = 0; i < n_sel; i++) {
		if (!has_code(s, sel[i])) {
			dump("finalized", j);
			fail_msg("%s is not selected", sel[i]);
		}
	}
	for (size_t i = 0; i < n_exc; i++) {
		if (!has_code(x, exc[i])) {
			dump("finalized", j);
			fail_msg("%s is not excluded", exc[i]);
		}
	}
	json_decref(j);
}

/* ---- weighting ---- */

/* A node of a formed table: its code, its sibling group (the parent's
 * code, NULL at the top) and whether it is a leaf. */
struct witem {
	const char *code, *group;
	bool leaf;
};

#define MAX_ITEMS 16

static bool
same_group(const char *a, const char *b)
{
	return (a == NULL && b == NULL) ||
	       (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* {"weights":[...],"advanced_levels":[...]}: w[k] thousandths (-1: left
 * out), props[k] a proposal or NULL.  With numbers, weights that are
 * whole go as JSON integers. */
static json_t *
weights_body(const struct witem *items, size_t n, const int *w,
	     const char *const *props, bool numbers)
{
	json_t *ws = json_array(), *al = json_array();
	char buf[40];

	for (size_t k = 0; k < n; k++) {
		json_t *v;

		if (w[k] < 0)
			continue;
		if (numbers && w[k] % 1000 == 0)
			v = json_integer(w[k] / 1000);
		else
			v = json_string(fixed(w[k], 3, buf));
		json_array_append_new(ws,
				      json_pack("{s:s, s:o}", "item",
						items[k].code, "weight", v));
		if (props != NULL && props[k] != NULL)
			json_array_append_new(
			    al, json_pack("{s:s, s:s}", "item", items[k].code,
					  "text", props[k]));
	}
	return json_pack("{s:o, s:o}", "weights", ws, "advanced_levels", al);
}

/* The proposals for item k: the distinct texts with how many experts
 * proposed each, most first, then by text (new reference). */
static json_t *
proposals_of(const char *const (*props)[MAX_ITEMS], size_t m, size_t k)
{
	const char *texts[N_EXPERTS];
	int counts[N_EXPERTS];
	size_t n = 0;
	json_t *out = json_array();

	for (size_t e = 0; e < m; e++) {
		const char *t = props ? props[e][k] : NULL;
		size_t i;

		if (t == NULL)
			continue;
		for (i = 0; i < n && strcmp(texts[i], t) != 0; i++)
			;
		if (i == n) {
			texts[n] = t;
			counts[n++] = 0;
		}
		counts[i]++;
	}
	for (size_t i = 1; i < n; i++) {
		for (size_t j = i; j > 0; j--) {
			bool later = counts[j] > counts[j - 1] ||
				     (counts[j] == counts[j - 1] &&
				      strcmp(texts[j], texts[j - 1]) < 0);
			const char *t;
			int c;

			if (!later)
				break;
			t = texts[j];
			texts[j] = texts[j - 1];
			texts[j - 1] = t;
			c = counts[j];
			counts[j] = counts[j - 1];
			counts[j - 1] = c;
		}
	}
	for (size_t i = 0; i < n; i++)
		json_array_append_new(out,
				      json_pack("{s:s, s:i}", "text", texts[i],
						"count", counts[i]));
	return out;
}

/*
 * Checks a weighting round (aggregation mean, max_iqr 10 points, max_cv
 * 0.25) against the ballots w[e][k] (thousandths) and proposals of m
 * experts over the round's n items; out[k] receives each item's
 * renormalized weight in thousandths.
 */
static void
check_weighting(const json_t *res, int round, const struct witem *items,
		size_t n, const int (*w)[MAX_ITEMS],
		const char *const (*props)[MAX_ITEMS], size_t m, int64_t *out,
		bool *consensus)
{
	const json_t *list = json_object_get(res, "items");
	int64_t sums[MAX_ITEMS];
	bool done[MAX_ITEMS] = {false};
	char buf[40], what[80];

	assert_true(n <= MAX_ITEMS);
	assert_int_equal(json_integer_value(json_object_get(res, "round")),
			 round);
	assert_int_equal(json_integer_value(json_object_get(res, "n")), m);
	assert_str(json_object_get(res, "kind"), "weighting", "results kind");
	assert_true(json_is_null(json_object_get(res, "panel")));
	if (json_array_size(list) != n) {
		dump("results", res);
		fail_msg("%zu result items, want %zu", json_array_size(list),
			 n);
	}
	for (size_t k = 0; k < n; k++) {
		sums[k] = 0;
		for (size_t e = 0; e < m; e++)
			sums[k] += w[e][k];
	}
	/* Renormalize each sibling group by largest remainder: with the
	 * mean, the aggregates are the sums over m. */
	for (size_t k = 0; k < n; k++) {
		int64_t s[MAX_ITEMS], lr[MAX_ITEMS];
		size_t idx[MAX_ITEMS], g = 0;

		if (done[k])
			continue;
		for (size_t i = k; i < n; i++) {
			if (same_group(items[i].group, items[k].group)) {
				idx[g] = i;
				s[g++] = sums[i];
				done[i] = true;
			}
		}
		largest_remainder(s, g, lr);
		for (size_t i = 0; i < g; i++)
			out[idx[i]] = lr[i];
	}
	for (size_t k = 0; k < n; k++) {
		const json_t *it = json_array_get(list, k);
		const json_t *ex = json_object_get(it, "exact");
		const json_t *al = json_object_get(it, "advanced_levels");
		struct q mean = q_make(sums[k], (int64_t)m);
		int64_t col[N_EXPERTS], s[N_EXPERTS], q1, q3, s1 = 0;
		__int128 s2 = 0, spread;
		bool iqr_ok, cv_ok;
		double dmean;

		snprintf(what, sizeof what, "round %d item %s", round,
			 items[k].code);
		assert_str(json_object_get(it, "item"), items[k].code, what);
		if (items[k].group == NULL) {
			if (!json_is_null(json_object_get(it, "group")))
				fail_msg("%s: group should be null", what);
		} else {
			assert_str(json_object_get(it, "group"), items[k].group,
				   what);
		}
		assert_int_equal(json_integer_value(json_object_get(it, "n")),
				 m);
		snprintf(what, sizeof what, "round %d item %s value", round,
			 items[k].code);
		assert_str(json_object_get(it, "value"),
			   fixed(q_round(mean), 3, buf), what);
		if (json_integer_value(json_object_get(ex, "num")) != mean.n ||
		    json_integer_value(json_object_get(ex, "den")) != mean.d) {
			dump(what, ex);
			fail_msg("%s: exact, want %lld/%lld", what,
				 (long long)mean.n, (long long)mean.d);
		}
		snprintf(what, sizeof what, "round %d item %s weight", round,
			 items[k].code);
		assert_str(json_object_get(it, "weight"), fixed(out[k], 3, buf),
			   what);

		/* The statistics, in weight units. */
		for (size_t e = 0; e < m; e++) {
			col[e] = w[e][k];
			s1 += col[e];
			s2 += (__int128)col[e] * col[e];
		}
		sorted_copy(col, m, s);
		q1 = quartile_x4(s, m, 1);
		q3 = quartile_x4(s, m, 3);
		dmean = (double)s1 / (double)m / 1000;
		snprintf(what, sizeof what, "round %d item %s stats", round,
			 items[k].code);
		assert_near(json_object_get(it, "mean"), dmean, 0.00051, what);
		assert_str(json_object_get(it, "min"), fixed(s[0], 3, buf),
			   what);
		assert_str(json_object_get(it, "max"), fixed(s[m - 1], 3, buf),
			   what);
		assert_near(json_object_get(it, "median"),
			    (double)(s[(m - 1) / 2] + s[m / 2]) / 2000, 0.00051,
			    what);
		assert_near(json_object_get(it, "q1"), (double)q1 / 4000,
			    0.00051, what);
		assert_near(json_object_get(it, "q3"), (double)q3 / 4000,
			    0.00051, what);
		assert_near(json_object_get(it, "iqr"),
			    (double)(q3 - q1) / 4000, 0.00051, what);
		assert_true(json_is_string(json_object_get(it, "sd")));
		assert_true(json_is_string(json_object_get(it, "cv")));
		{
			static const char *const three[] = {
			    "mean", "median", "sd",  "q1",
			    "q3",   "iqr",    "min", "max"};

			for (size_t i = 0; i < 8; i++) {
				if (decimals_of(
					json_object_get(it, three[i])) != 3)
					fail_msg("%s: %s should have 3 "
						 "decimals",
						 what, three[i]);
			}
			if (decimals_of(json_object_get(it, "cv")) != 4)
				fail_msg("%s: cv should have 4 decimals", what);
		}
		/* As percentages: IQR <= 10 points (100 thousandths) and
		 * CV <= 1/4, i.e. m spread 16 <= (m - 1) s1^2. */
		spread = (__int128)m * s2 - (__int128)s1 * s1;
		iqr_ok = q3 - q1 <= 4 * 100;
		cv_ok = spread == 0 || (__int128)m * spread * 16 <=
					   (__int128)(m - 1) * s1 * s1;
		snprintf(what, sizeof what, "round %d item %s consensus", round,
			 items[k].code);
		assert_bool(json_object_get(it, "consensus"), iqr_ok && cv_ok,
			    what);
		if (consensus != NULL)
			consensus[k] = iqr_ok && cv_ok;

		/* Proposals: leaves only. */
		if (items[k].leaf) {
			json_t *want = proposals_of(props, m, k);

			if (!(al == NULL && json_array_size(want) == 0) &&
			    !json_equal(al, want)) {
				dump("got", al);
				dump("want", want);
				fail_msg("round %d item %s: advanced_levels",
					 round, items[k].code);
			}
			json_decref(want);
		} else if (al != NULL && !json_is_null(al) &&
			   json_array_size(al) != 0) {
			fail_msg("round %d group %s has advanced_levels", round,
				 items[k].code);
		}
	}
	/* Every group sums to exactly 1.000, as printed. */
	for (size_t k = 0; k < n; k++) {
		int64_t total = 0;

		for (size_t i = 0; i < n; i++) {
			if (same_group(items[i].group, items[k].group))
				total += milli_of(json_object_get(
				    json_array_get(list, i), "weight"));
		}
		if (total != 1000)
			fail_msg("round %d: the group of %s sums to %lld",
				 round, items[k].code, (long long)total);
	}
	assert_true(json_is_object(json_object_get(res, "rules")));
}

/* PUT /meetings/{id}/advanced-levels/{code}: checks the answer and the
 * audit entry. */
static void
confirm(long long meeting, const char *code, const char *text,
	bool from_proposal)
{
	char sql[256];
	long long before, all;
	json_t *j;

	snprintf(sql, sizeof sql,
		 "SELECT count(*) FROM audit_log WHERE meeting_id = %lld"
		 " AND action = 'advanced_level.confirm'",
		 meeting);
	before = it_db_long(sql);
	all = it_db_long("SELECT count(*) FROM audit_log");
	j = take(send_to("PUT", Sec.token, json_pack("{s:s}", "text", text),
			 V1 "/meetings/%lld/advanced-levels/%s", meeting, code),
		 200);
	assert_str(json_object_get(j, "item"), code, "confirmed item");
	assert_str(json_object_get(j, "text"), text, "confirmed text");
	assert_bool(json_object_get(j, "from_proposal"), from_proposal,
		    "from_proposal");
	json_decref(j);
	assert_int_equal(it_db_long(sql), before + 1);
	assert_int_equal(it_db_long("SELECT count(*) FROM audit_log"), all + 1);
}

/* Asserts the meeting's finalize is refused with status/code, changing
 * nothing; the codes it lists (new reference). */
static json_t *
finalize_refused(long long meeting, const char *code)
{
	char path[128], probe[128];
	struct it_resp *r;
	json_t *codes;

	fmt_path(path, sizeof path, V1 "/meetings/%lld/finalize", meeting);
	fmt_path(probe, sizeof probe, V1 "/meetings/%lld", meeting);
	r = refused("POST", path, Sec.token, json_object(), 409, code,
		    Sec.token, probe);
	/* The contract names details.unmet for unconfirmed leaves; for
	 * items_not_rated it only says the details list them. */
	if (strcmp(code, "advanced_levels_unconfirmed") == 0 &&
	    !json_is_array(json_object_get(details_of(r), "unmet"))) {
		dump("details", details_of(r));
		fail_msg("advanced_levels_unconfirmed without details.unmet");
	}
	codes = listed_codes(r);
	it_resp_free(r);
	return codes;
}

/* ---- 1. the whole procedure ---- */

/* The pool of the full evaluation, added in an order other than the
 * table's: groups 1 (1.1, 1.2), 2 and 3, nine candidates. */
static const struct pool_entry pool_a[] = {
    {"2", NULL, true, "标准实施成效", "标准应用与实施效益"},
    {"1", NULL, true, "关键性指标", "反映标准先进性的关键指标"},
    {"3", NULL, true, "标准规范性", NULL},
    {"1.2", "1", true, "办理流程", "事项办理流程的要求"},
    {"1.1", "1", true, "事项管理", "事项清单与要素管理"},
    {"2.2", "2", false, "实施效益", "标准实施带来的效益"},
    {"2.1", "2", false, "标准应用", "标准在政务服务中的应用程度"},
    {"1.2.3", "1.2", false, "一次告知", "一次性告知办理要求"},
    {"1.2.1", "1.2", false, "办结时限", "承诺办结时限"},
    {"1.2.2", "1.2", false, "跑动次数", "办事跑动次数"},
    {"1.1.10", "1.1", false, "要素完整度", "事项要素的完整程度"},
    {"1.1.2", "1.1", false, "事项标准化", "事项的标准化程度"},
    {"1.1.1", "1.1", false, "事项覆盖度", "纳入清单的事项覆盖程度"},
    {"3.1", "3", false, "标准格式", "标准编写的格式"},
};
#define N_POOL_A (sizeof pool_a / sizeof pool_a[0])

/* The candidates in table order ("1.1.2" < "1.1.10"). */
#define N_CAND_A 9
static const char *const cand_a[N_CAND_A] = {
    "1.1.1", "1.1.2", "1.1.10", "1.2.1", "1.2.2", "1.2.3", "2.1", "2.2", "3.1"};
/*
 * Round 1 votes of the six experts: 4 of 6 is exactly 2/3 (1.1.2 and 2.1
 * selected; 3.1 excluded with 4 of 6 against); 3 of 6 reaches neither
 * side (1.2.2 and 2.2 go to round 2).
 */
static const char *const votes_a1[N_CAND_A] = {"111111", "110110", "011111",
					       "111111", "101010", "111011",
					       "101101", "010101", "001001"};
static const char *const round2_a[] = {"1.2.2", "2.2"};
static const char *const votes_a2[] = {"111110", "000100"};

/* The table the key indicators form, in table order. */
#define N_W_A 11
static const struct witem w_items_a[N_W_A] = {
    {"1", NULL, false},	    {"1.1", "1", false},     {"1.1.1", "1.1", true},
    {"1.1.2", "1.1", true}, {"1.1.10", "1.1", true}, {"1.2", "1", false},
    {"1.2.1", "1.2", true}, {"1.2.2", "1.2", true},  {"1.2.3", "1.2", true},
    {"2", NULL, false},	    {"2.1", "2", true},
};
/*
 * The weighting ballots.  Top level: means 700.5 and 299.5, values
 * "0.701" and "0.300" (summing to 1.001), weights 0.701/0.299 (a tie of
 * remainders, to the smaller code).  Group 1: 408.83 and 591.17 -> 0.409
 * and 0.591; 1.1 without consensus (CV 0.31).  Group 1.1: 322.17, 322.17
 * and 355.67 -> the spare thousandth to 1.1.10.  Group 1.2: every mean
 * exactly 1/3 -> 0.334/0.333/0.333.  Group 2: one item, "1".
 */
static const int w_a[6][MAX_ITEMS] = {
    {700, 400, 300, 300, 400, 600, 334, 333, 333, 300, 1000},
    {650, 450, 350, 350, 300, 550, 334, 333, 333, 350, 1000},
    {753, 401, 333, 333, 334, 599, 333, 334, 333, 247, 1000},
    {700, 402, 400, 200, 400, 598, 333, 334, 333, 300, 1000},
    {720, 200, 250, 400, 350, 800, 333, 333, 334, 280, 1000},
    {680, 600, 300, 350, 350, 400, 333, 333, 334, 320, 1000},
};
/* Round 2 over group 1: sums 2463 and 3537, means 410.5 and 589.5. */
static const struct witem w_r2_a[2] = {{"1.1", "1", false},
				       {"1.2", "1", false}};
static const int w_a2[6][MAX_ITEMS] = {{410, 590}, {420, 580}, {403, 597},
				       {405, 595}, {415, 585}, {410, 590}};
#define AL_100 "事项覆盖率达到100%"
#define AL_95  "事项覆盖率不低于95%"
#define AL_A   "A: 事项要素标准化率100%"
#define AL_B   "B: 事项要素标准化率不低于98%"
#define AL_C   "C: 事项要素标准化率不低于95%"
#define AL_EL  "要素完整度达到100%"
#define AL_T1  "承诺时限压缩至法定时限的40%"
#define AL_T2  "承诺时限压缩至法定时限的50%"
#define AL_R   "最多跑一次"
#define AL_G   "一次告知率100%"
static const char *const props_a[6][MAX_ITEMS] = {
    {NULL, NULL, AL_100, AL_B, AL_EL, NULL, AL_T1, AL_R, AL_G, NULL, NULL},
    {NULL, NULL, AL_100, AL_A, AL_EL, NULL, AL_T2, AL_R, NULL, NULL, NULL},
    {NULL, NULL, AL_100, AL_A, AL_EL, NULL, AL_T1, NULL, AL_G, NULL, NULL},
    {NULL, NULL, AL_95, AL_C, AL_EL, NULL, AL_T2, AL_R, AL_G, NULL, NULL},
    {NULL, NULL, AL_95, NULL, AL_EL, NULL, AL_T1, AL_R, AL_G, NULL, NULL},
    {NULL, NULL, NULL, NULL, AL_EL, NULL, AL_T1, NULL, NULL, NULL, NULL},
};
/* The secretary's confirmed advanced levels, and whether each is a
 * proposal. */
#define NEW_1_1_2 "事项标准化率不低于99%（秘书处综合意见）"
#define NEW_1_2_2 "全程网办，零跑动"
#define NEW_2_1	  "标准在全市各级政务服务中心全面应用"
static const struct {
	const char *code, *text;
	bool proposal;
} levels_a[] = {
    {"1.1.1", AL_100, true},	 {"1.1.2", NEW_1_1_2, false},
    {"1.1.10", AL_EL, true},	 {"1.2.1", AL_T1, true},
    {"1.2.2", NEW_1_2_2, false}, {"1.2.3", AL_G, true},
    {"2.1", NEW_2_1, false},
};
#define N_LEVELS_A (sizeof levels_a / sizeof levels_a[0])

/* The leaves in table order, and the scoring ballots (hundredths). */
#define N_LEAVES_A 7
static const char *const leaves_a[N_LEAVES_A] = {
    "1.1.1", "1.1.2", "1.1.10", "1.2.1", "1.2.2", "1.2.3", "2.1"};
static const int64_t scores_a[6][N_LEAVES_A] = {
    {9000, 8650, 8800, 9120, 8575, 8700, 8333},
    {8800, 8700, 9050, 8900, 8610, 8855, 8500},
    {9500, 8000, 8700, 8650, 9000, 8790, 9100},
    {8700, 8825, 8725, 8800, 8400, 9010, 8250},
    {8950, 8710, 8640, 9230, 8800, 8660, 8775},
    {7000, 8900, 8950, 8780, 8690, 8725, 8610},
};

static const struct pool_entry *
pool_find(const struct pool_entry *pool, size_t n, const char *code)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(pool[i].code, code) == 0)
			return &pool[i];
	}
	return NULL;
}

static int
witem_index(const struct witem *items, size_t n, const char *code)
{
	for (size_t k = 0; k < n; k++) {
		if (strcmp(items[k].code, code) == 0)
			return (int)k;
	}
	return -1;
}

/* A node's global weight in units of 10^-9: the product of the weights
 * (thousandths) down its path. */
static int64_t
global_of(const struct witem *items, size_t n, const int64_t *weights, int k)
{
	int64_t g = weights[k];
	int depth = 1;

	for (const char *p = items[k].group; p != NULL;
	     p = items[witem_index(items, n, p)].group) {
		int i = witem_index(items, n, p);

		assert_true(i >= 0);
		g *= weights[i];
		depth++;
	}
	assert_true(depth <= 3);
	for (; depth < 3; depth++)
		g *= 1000;
	return g;
}

/*
 * Checks the nodes under group (NULL: the top level) against the formed
 * table: codes in table order, names and descriptions from the pool,
 * weights, global weights, confirmed advanced levels and comparisons.
 */
static void
check_nodes(const json_t *nodes, const char *group, const int64_t *weights,
	    bool with_global)
{
	size_t at = 0;
	char buf[40], what[64];

	for (size_t k = 0; k < N_W_A; k++) {
		const struct witem *w = &w_items_a[k];
		const struct pool_entry *p;
		const json_t *node, *children;

		if (!same_group(w->group, group))
			continue;
		node = json_array_get(nodes, at++);
		if (node == NULL) {
			dump("nodes", nodes);
			fail_msg("the table lacks %s", w->code);
		}
		snprintf(what, sizeof what, "table node %s", w->code);
		assert_str(json_object_get(node, "code"), w->code, what);
		p = pool_find(pool_a, N_POOL_A, w->code);
		assert_non_null(p);
		assert_str(json_object_get(node, "name"), p->name, what);
		if (p->description != NULL)
			assert_str(json_object_get(node, "description"),
				   p->description, what);
		snprintf(what, sizeof what, "table node %s weight", w->code);
		assert_str(json_object_get(node, "weight"),
			   fixed(weights[k], 3, buf), what);
		snprintf(what, sizeof what, "table node %s global_weight",
			 w->code);
		if (with_global)
			assert_str(json_object_get(node, "global_weight"),
				   global_text(global_of(w_items_a, N_W_A,
							 weights, (int)k),
					       buf),
				   what);
		children = json_object_get(node, "children");
		if (!w->leaf) {
			assert_true(json_is_array(children));
			check_nodes(children, w->code, weights, with_global);
			continue;
		}
		assert_true(children == NULL || json_array_size(children) == 0);
		for (size_t i = 0; i < N_LEVELS_A; i++) {
			if (strcmp(levels_a[i].code, w->code) == 0)
				assert_str(
				    json_object_get(node, "advanced_level"),
				    levels_a[i].text, what);
		}
		/* The pool's comparison: the even candidates (in the order
		 * they were added) against the standard, the odd ones a
		 * benchmark. */
		{
			const json_t *cmp =
			    json_object_get(node, "comparisons");
			const json_t *c = json_array_get(cmp, 0);
			size_t idx = 0;
			bool standard;

			for (size_t i = 0; i < N_POOL_A && &pool_a[i] != p; i++)
				idx += !pool_a[i].group;
			standard = idx % 2 == 0;
			assert_int_equal(json_array_size(cmp), 1);
			assert_str(json_object_get(c, "kind"),
				   standard ? "standard" : "benchmark", what);
			assert_str(json_object_get(c, "ref"),
				   standard ? STANDARD_REF : BENCH_REF, what);
			assert_str(json_object_get(c, "level"),
				   standard ? "国内领先" : "国际先进", what);
		}
	}
	if (at != json_array_size(nodes)) {
		dump("nodes", nodes);
		fail_msg("under %s the table has %zu nodes, want %zu",
			 group ? group : "the top", json_array_size(nodes), at);
	}
}

/* The figures of a preview or verdict against the exact computation. */
static void
check_figures(const json_t *v, const int64_t *gw, const struct q *values,
	      int64_t published)
{
	const json_t *bd = json_object_get(v, "breakdown");
	char buf[40], what[64];

	assert_str(json_object_get(v, "total"), fixed(published, 2, buf),
		   "total");
	assert_bool(json_object_get(v, "advanced"), published >= 8500,
		    "advanced");
	assert_str(json_object_get(v, "threshold"), "85.00", "threshold");
	assert_int_equal(json_array_size(bd), N_LEAVES_A);
	for (size_t k = 0; k < N_LEAVES_A; k++) {
		const json_t *line = json_array_get(bd, k);

		snprintf(what, sizeof what, "breakdown %s", leaves_a[k]);
		assert_str(json_object_get(line, "item"), leaves_a[k], what);
		assert_str(json_object_get(line, "global_weight"),
			   global_text(gw[k], buf), what);
		assert_str(json_object_get(line, "value"),
			   fixed(q_round(values[k]), 2, buf), what);
		/* value (hundredths) x weight (10^-9) in 10^-4 points */
		assert_str(
		    json_object_get(line, "contribution"),
		    fixed(q_round(q_mul(values[k], q_make(gw[k], 10000000))), 4,
			  buf),
		    what);
	}
}

static void
test_full_procedure(void **state)
{
	static const int six[6] = {0, 1, 2, 3, 4, 5};
	static const struct thr two_thirds = {2, 3, "2/3"};
	static const char *const sel_a[] = {"1.1.1", "1.1.2", "1.1.10", "1.2.1",
					    "1.2.2", "1.2.3", "2.1"};
	static const char *const exc_a[] = {"2.2", "3.1"};
	static const char *const unmet_d[] = {"no_consultations",
					      "selection_not_finalized"};
	static const char *const unmet_d2[] = {"no_consultations"};
	const char *w_codes[N_W_A], *leaf_codes[N_LEAVES_A];
	bool selected[N_CAND_A], consensus[N_CAND_A];
	bool sel_final[N_CAND_A];
	const char *no_consensus[N_CAND_A];
	size_t n_no = 0;
	int64_t weights[N_W_A], gw[N_LEAVES_A], r2[2];
	bool w_cons[N_W_A];
	struct q values[N_LEAVES_A], total = q_make(0, 1);
	int64_t published;
	long long eval, sel, wm, sm;
	json_t *j, *res, *codes;
	char buf[40];
	int n;

	(void)state;
	eval = eval_build("无模板评价：全流程", pool_a, N_POOL_A);

	/* Stage d: both conditions at once. */
	guard(eval, "weighting", unmet_d, 2);

	/* The selection meeting, with the default threshold 2/3. */
	sel = meeting_new(eval, "selection", six, 6, NULL);
	j = take(get(Sec.token, V1 "/meetings/%lld", sel), 200);
	assert_str(json_object_get(j, "kind"), "selection", "kind");
	assert_str(json_object_get(json_object_get(j, "consensus"),
				   "selection_threshold"),
		   "2/3", "selection_threshold");
	json_decref(j);

	/* Round 1 over every candidate, in table order. */
	n = round_open(sel, NULL, cand_a, N_CAND_A);
	assert_int_equal(n, 1);
	for (int e = 0; e < 6; e++)
		assert_int_equal(
		    ballot_put(sel, 1, &E[e],
			       votes_body(cand_a, votes_a1, N_CAND_A, e), true),
		    1);
	res = round_close(sel, 1);
	check_selection(res, 1, cand_a, votes_a1, N_CAND_A, 6, two_thirds,
			selected, consensus);
	json_decref(res);
	for (size_t k = 0; k < N_CAND_A; k++) {
		sel_final[k] = selected[k];
		if (!consensus[k])
			no_consensus[n_no++] = cand_a[k];
	}
	/* What the votes were chosen for. */
	assert_int_equal(n_no, 2);
	assert_string_equal(no_consensus[0], "1.2.2");
	assert_string_equal(no_consensus[1], "2.2");
	assert_true(selected[1] && consensus[1]);   /* 4 of 6 for */
	assert_true(!selected[8] && consensus[8]);  /* 4 of 6 against */
	assert_true(!selected[4] && !consensus[4]); /* 3 of 6 */

	/* Round 2: by default exactly the items without consensus. */
	n = round_open(sel, NULL, no_consensus, n_no);
	assert_int_equal(n, 2);
	for (int e = 0; e < 6; e++)
		check_previous(sel, 2, e, round2_a, 2, cand_a, votes_a1,
			       N_CAND_A, 1, two_thirds);
	for (int e = 0; e < 6; e++)
		ballot_put(sel, 2, &E[e], votes_body(round2_a, votes_a2, 2, e),
			   true);
	res = round_close(sel, 2);
	check_selection(res, 2, round2_a, votes_a2, 2, 6, two_thirds, selected,
			NULL);
	json_decref(res);
	/* Each candidate takes its latest round's outcome. */
	sel_final[4] = selected[0];
	sel_final[7] = selected[1];
	{
		const char *s[N_CAND_A], *x[N_CAND_A];
		size_t ns = 0, nx = 0;

		for (size_t k = 0; k < N_CAND_A; k++) {
			if (sel_final[k])
				s[ns++] = cand_a[k];
			else
				x[nx++] = cand_a[k];
		}
		/* The test's own outcome is what the table below assumes. */
		assert_int_equal(ns, 7);
		assert_int_equal(nx, 2);
		for (size_t i = 0; i < ns; i++)
			assert_string_equal(s[i], sel_a[i]);
		for (size_t i = 0; i < nx; i++)
			assert_string_equal(x[i], exc_a[i]);
		selection_finalize(sel, s, ns, x, nx);
	}
	j = take(get(Sec.token, V1 "/meetings/%lld", sel), 200);
	assert_str(json_object_get(j, "state"), "finalized", "state");
	json_decref(j);

	guard(eval, "weighting", unmet_d2, 1);
	consult(eval);
	advance(eval, "weighting");

	/* Stage e: the weighting meeting over the formed table. */
	wm =
	    meeting_new(eval, "weighting", six, 6,
			json_pack("{s:{s:s}, s:{s:s, s:s}, s:i}", "aggregation",
				  "method", "mean", "consensus", "max_iqr",
				  "10", "max_cv", "0.25", "quorum", 5));
	for (size_t k = 0; k < N_W_A; k++)
		w_codes[k] = w_items_a[k].code;
	n = round_open(wm, NULL, w_codes, N_W_A);
	assert_int_equal(n, 1);
	/* A group of one item is given "1" or nothing. */
	{
		int almost[MAX_ITEMS];
		char path[128];
		struct it_resp *r;

		memcpy(almost, w_a[0], sizeof almost);
		almost[10] = 999;
		fmt_path(path, sizeof path, V1 "/meetings/%lld/rounds/1/ballot",
			 wm);
		r = refused("PUT", path, E[0].token,
			    weights_body(w_items_a, N_W_A, almost, NULL, false),
			    422, "weights_not_summing", NULL, NULL);
		assert_str(json_object_get(details_of(r), "group"), "2",
			   "details.group");
		assert_str(json_object_get(details_of(r), "sum"), "0.999",
			   "details.sum");
		it_resp_free(r);
	}
	for (int e = 0; e < 6; e++)
		assert_int_equal(
		    ballot_put(wm, 1, &E[e],
			       weights_body(w_items_a, N_W_A, w_a[e],
					    props_a[e], e == 0),
			       true),
		    1);
	/* The expert reads back the weights, in thousandths, and the
	 * proposals. */
	j = take(get(E[2].token, V1 "/meetings/%lld/rounds/1/ballot", wm), 200);
	assert_int_equal(json_integer_value(json_object_get(j, "version")), 1);
	assert_bool(json_object_get(j, "complete"), true, "complete");
	assert_true(json_is_null(json_object_get(j, "previous")));
	assert_int_equal(json_array_size(json_object_get(j, "weights")), N_W_A);
	for (size_t k = 0; k < N_W_A; k++) {
		const json_t *x =
		    json_array_get(json_object_get(j, "weights"), k);

		assert_str(json_object_get(x, "item"), w_items_a[k].code,
			   "ballot item");
		assert_str(json_object_get(x, "weight"),
			   fixed(w_a[2][k], 3, buf), "ballot weight");
	}
	assert_int_equal(json_array_size(json_object_get(j, "advanced_levels")),
			 5);
	json_decref(j);

	res = round_close(wm, 1);
	check_weighting(res, 1, w_items_a, N_W_A, w_a, props_a, 6, weights,
			w_cons);
	json_decref(res);
	/* The spots the ballots were chosen for. */
	assert_int_equal(weights[0], 701);
	assert_int_equal(weights[9], 299);
	assert_int_equal(weights[4], 356);
	assert_int_equal(weights[6], 334);
	assert_int_equal(weights[7], 333);
	assert_int_equal(weights[8], 333);

	/* Round 2, by default: every group with an item without consensus,
	 * whole (here group 1, for 1.1). */
	{
		const char *want[N_W_A];
		size_t n_want = 0;
		int idx[N_W_A];

		for (size_t k = 0; k < N_W_A; k++) {
			bool group_ok = true;

			for (size_t i = 0; i < N_W_A; i++) {
				if (same_group(w_items_a[i].group,
					       w_items_a[k].group) &&
				    !w_cons[i])
					group_ok = false;
			}
			if (!group_ok) {
				idx[n_want] = (int)k;
				want[n_want++] = w_items_a[k].code;
			}
		}
		assert_int_equal(n_want, 2);
		assert_string_equal(want[0], w_r2_a[0].code);
		assert_string_equal(want[1], w_r2_a[1].code);
		n = round_open(wm, NULL, want, n_want);
		assert_int_equal(n, 2);
		/* Each expert sees round 1's figures and their own weight. */
		for (int e = 0; e < 6; e++) {
			const json_t *prev;

			j = take(get(E[e].token,
				     V1 "/meetings/%lld/rounds/2/ballot", wm),
				 200);
			prev = json_object_get(j, "previous");
			assert_codes(json_object_get(j, "items"), want, n_want,
				     "ballot items");
			assert_int_equal(
			    json_array_size(json_object_get(j, "weights")), 0);
			assert_int_equal(
			    json_integer_value(json_object_get(prev, "round")),
			    1);
			for (size_t i = 0; i < n_want; i++) {
				const json_t *line = NULL, *x;
				size_t l;
				int k = idx[i];

				json_array_foreach(
				    json_object_get(prev, "items"), l, x)
				{
					if (strcmp(
						json_string_value(
						    json_object_get(x, "item")),
						want[i]) == 0)
						line = x;
				}
				if (line == NULL) {
					dump("previous", prev);
					fail_msg("previous lacks %s", want[i]);
				}
				assert_str(json_object_get(line, "weight"),
					   fixed(weights[k], 3, buf),
					   "previous weight");
				assert_str(json_object_get(line, "own_weight"),
					   fixed(w_a[e][k], 3, buf),
					   "own_weight");
				assert_bool(json_object_get(line, "consensus"),
					    w_cons[k], "previous consensus");
				assert_true(json_is_string(
				    json_object_get(line, "median")));
				assert_true(json_is_string(
				    json_object_get(line, "iqr")));
			}
			json_decref(j);
		}
		for (int e = 0; e < 6; e++)
			ballot_put(
			    wm, 2, &E[e],
			    weights_body(w_r2_a, 2, w_a2[e], NULL, false),
			    true);
		res = round_close(wm, 2);
		check_weighting(res, 2, w_r2_a, 2, w_a2, NULL, 6, r2, NULL);
		json_decref(res);
		/* Means 410.5 and 589.5: the tie goes to 1.1. */
		assert_int_equal(r2[0], 411);
		assert_int_equal(r2[1], 589);
		/* Group 1 takes round 2's weights. */
		weights[idx[0]] = r2[0];
		weights[idx[1]] = r2[1];
	}

	/* Not before every leaf has its confirmed advanced level. */
	for (size_t k = 0; k < N_LEAVES_A; k++)
		leaf_codes[k] = leaves_a[k];
	codes = finalize_refused(wm, "advanced_levels_unconfirmed");
	assert_codes(codes, leaf_codes, N_LEAVES_A, "unconfirmed leaves");
	json_decref(codes);

	/* A text of the secretary's own first, then a proposal: the last
	 * confirmation counts. */
	confirm(wm, "1.1.1", "事项覆盖率（待定）", false);
	for (size_t i = 0; i < 5; i++)
		confirm(wm, levels_a[i].code, levels_a[i].text,
			levels_a[i].proposal);
	codes = finalize_refused(wm, "advanced_levels_unconfirmed");
	assert_codes(codes, leaf_codes + 5, 2, "unconfirmed leaves");
	json_decref(codes);
	j = take(get(Sec.token, V1 "/meetings/%lld", wm), 200);
	{
		const json_t *al = json_object_get(j, "advanced_levels"), *x;
		size_t i;

		if (json_array_size(al) != 5) {
			dump("advanced_levels", al);
			fail_msg("the meeting shows %zu confirmations, want 5",
				 json_array_size(al));
		}
		for (size_t l = 0; l < 5; l++) {
			json_array_foreach(al, i, x)
			{
				if (strcmp(json_string_value(
					       json_object_get(x, "item")),
					   levels_a[l].code) == 0)
					break;
			}
			assert_true(i < json_array_size(al));
			assert_str(json_object_get(x, "text"), levels_a[l].text,
				   "meeting advanced level");
			assert_bool(json_object_get(x, "from_proposal"),
				    levels_a[l].proposal, "from_proposal");
		}
	}
	json_decref(j);
	for (size_t i = 5; i < N_LEVELS_A; i++)
		confirm(wm, levels_a[i].code, levels_a[i].text,
			levels_a[i].proposal);

	/* Weighting finalized: the stage guard holds until then. */
	codes = guard_codes(eval, "scoring");
	if (!has_code(codes, "weighting_not_finalized")) {
		dump("unmet", codes);
		fail_msg("weighting -> scoring: no weighting_not_finalized");
	}
	json_decref(codes);
	j = take(
	    send_to("POST", Sec.token, NULL, V1 "/meetings/%lld/finalize", wm),
	    200);
	assert_int_equal(json_integer_value(json_object_get(j, "id")), wm);
	assert_str(json_object_get(j, "state"), "finalized", "state");
	/* (The answer's table is the stored one, without global weights.) */
	check_nodes(json_object_get(j, "table"), NULL, weights, false);
	json_decref(j);

	/* The evaluation's table is now the formed one; group 3 is gone. */
	j = take(get(Sec.token, V1 "/evaluations/%lld/table", eval), 200);
	check_nodes(json_object_get(j, "nodes"), NULL, weights, true);
	assert_true(json_is_null(json_object_get(j, "total")));
	json_decref(j);

	/* Stage 5: score the formed table. */
	advance(eval, "scoring");
	sm = meeting_new(eval, "scoring", six, 6,
			 json_pack("{s:{s:s, s:i}, s:i}", "aggregation",
				   "method", "trimmed_mean", "trim", 1,
				   "quorum", 5));
	n = round_open(sm, NULL, leaves_a, N_LEAVES_A);
	for (int e = 0; e < 6; e++) {
		json_t *list = json_array();

		for (size_t k = 0; k < N_LEAVES_A; k++)
			json_array_append_new(
			    list,
			    json_pack("{s:s, s:s}", "item", leaves_a[k],
				      "score", fixed(scores_a[e][k], 2, buf)));
		ballot_put(sm, n, &E[e], json_pack("{s:o}", "scores", list),
			   true);
	}
	json_decref(round_close(sm, n));
	json_decref(take(
	    send_to("POST", Sec.token, NULL, V1 "/meetings/%lld/finalize", sm),
	    200));

	/* The test's own total: sum of global weight x value, exact,
	 * rounded half up once. */
	for (size_t k = 0; k < N_LEAVES_A; k++) {
		int64_t col[6];

		for (int e = 0; e < 6; e++)
			col[e] = scores_a[e][k];
		values[k] = trimmed_mean1(col, 6);
		gw[k] = global_of(w_items_a, N_W_A, weights,
				  witem_index(w_items_a, N_W_A, leaves_a[k]));
		total =
		    q_add(total, q_mul(values[k], q_make(gw[k], 1000000000)));
	}
	published = q_round(total);
	print_message("full procedure: total %s (exact %lld/%lld)\n",
		      fixed(published, 2, buf), (long long)total.n,
		      (long long)total.d);
	assert_true(published >= 8500);

	j = take(get(Sec.token, V1 "/evaluations/%lld/verdict/preview", eval),
		 200);
	check_figures(j, gw, values, published);
	json_decref(j);
	j = take(send_to("POST", Sec.token,
			 json_pack("{s:s}", "statement",
				   "经评审，该标准具有先进性。"),
			 V1 "/evaluations/%lld/verdict", eval),
		 201);
	check_figures(j, gw, values, published);
	assert_str(json_object_get(j, "conclusion"), "具有先进性",
		   "conclusion");
	json_decref(j);
	j = take(get(Sec.token, V1 "/evaluations/%lld", eval), 200);
	assert_str(json_object_get(j, "stage"), "finalized", "stage");
	json_decref(j);
	j = take(get(Sec.token, V1 "/evaluations/%lld/table", eval), 200);
	assert_str(json_object_get(j, "total"), fixed(published, 2, buf),
		   "table total");
	json_decref(j);
}

/* ---- 2. guards and refusals ---- */

static const struct pool_entry pool_g[] = {
    {"1", NULL, true, "关键性指标", NULL},
    {"2", NULL, true, "标准实施成效", NULL},
    {"1.1", "1", false, "事项覆盖度", NULL},
    {"1.2", "1", false, "办结时限", NULL},
    {"1.3", "1", false, "跑动次数", NULL},
    {"2.1", "2", false, "标准应用", NULL},
    {"2.2", "2", false, "实施效益", NULL},
};
#define N_POOL_G (sizeof pool_g / sizeof pool_g[0])

/* The weighting items of round 1 (group 2) and round 2 (the top level
 * and group 1). */
static const struct witem w_g1[2] = {{"2.1", "2", true}, {"2.2", "2", true}};
static const int ballots_g1[5][MAX_ITEMS] = {
    {600, 400}, {550, 450}, {500, 500}, {650, 350}, {600, 400}};
static const char *const props_g1[5][MAX_ITEMS] = {{"全面应用", NULL},
						   {"全面应用", NULL},
						   {NULL, "效益显著"},
						   {"全面应用", "效益显著"},
						   {NULL, NULL}};
static const struct witem w_g2[5] = {{"1", NULL, false},
				     {"1.1", "1", true},
				     {"1.2", "1", true},
				     {"1.3", "1", true},
				     {"2", NULL, false}};
static const int ballots_g2[5][MAX_ITEMS] = {{500, 250, 250, 500, 500},
					     {600, 300, 300, 400, 400},
					     {700, 333, 333, 334, 300},
					     {650, 200, 500, 300, 350},
					     {550, 400, 300, 300, 450}};

/* A ballot of one item, or any list of {"item","weight"} pairs. */
static json_t *
wpairs(const char *const *codes, const char *const *weights, size_t n)
{
	json_t *list = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(list,
				      json_pack("{s:s, s:s}", "item", codes[i],
						"weight", weights[i]));
	return json_pack("{s:o}", "weights", list);
}

/* A weighting ballot refused with 422 code, changing nothing (the
 * expert's ballot included); the answer (caller frees). */
static struct it_resp *
wrefused(long long meeting, int round, json_t *body, const char *code)
{
	char path[128];

	fmt_path(path, sizeof path, V1 "/meetings/%lld/rounds/%d/ballot",
		 meeting, round);
	return refused("PUT", path, E[0].token, body, 422, code, E[0].token,
		       path);
}

/* weights_not_summing naming group (NULL: the top level), with its sum
 * and, when missing is not NULL, the members left out. */
static void
not_summing(long long meeting, int round, json_t *body, const char *group,
	    const char *sum, const char *missing)
{
	struct it_resp *r =
	    wrefused(meeting, round, body, "weights_not_summing");
	const json_t *d = details_of(r);

	assert_true(json_is_object(d));
	if (!json_object_get(d, "group"))
		fail_msg("weights_not_summing without details.group");
	if (group == NULL) {
		if (!json_is_null(json_object_get(d, "group"))) {
			dump("details", d);
			fail_msg("details.group should be null");
		}
	} else {
		assert_str(json_object_get(d, "group"), group, "details.group");
	}
	if (sum != NULL)
		assert_str(json_object_get(d, "sum"), sum, "details.sum");
	if (missing != NULL)
		assert_codes(json_object_get(d, "missing"), &missing, 1,
			     "details.missing");
	it_resp_free(r);
}

static void
test_guards_and_refusals(void **state)
{
	static const int five[5] = {0, 1, 2, 3, 4};
	static const char *const unmet_d[] = {"no_consultations",
					      "selection_not_finalized"};
	static const char *const unmet_d2[] = {"no_consultations"};
	static const char *const cand_g[] = {"1.1", "1.2", "1.3", "2.1", "2.2"};
	static const char *const r1_g[] = {"1.1", "1.2"};
	static const char *const votes_g1[] = {"11111", "11110"};
	static const char *const r2_g[] = {"1.3", "2.1", "2.2"};
	static const char *const votes_g2[] = {"11111", "11011", "11101"};
	static const char *const g1_codes[] = {"2.1", "2.2"};
	static const char *const g2_codes[] = {"1", "1.1", "1.2", "1.3", "2"};
	static const struct thr two_thirds = {2, 3, "2/3"};
	static const char *const bad_thresholds[] = {
	    "0", "1.5", "0.66667", "3/2", "abc", "-0.5", "", "1/0"};
	char path[160], probe[160], big[2100];
	long long eval, sel, wm;
	struct it_resp *r;
	json_t *j, *res, *codes;
	int64_t out[MAX_ITEMS];
	long long meetings_before;
	char sql[160];

	(void)state;
	eval = eval_build("无模板评价：守卫与拒绝", pool_g, N_POOL_G);
	snprintf(sql, sizeof sql,
		 "SELECT count(*) FROM meetings WHERE evaluation_id = %lld",
		 eval);

	/* Stage d: every unmet condition in one answer. */
	guard(eval, "weighting", unmet_d, 2);

	/* Meetings of other stages are refused here. */
	fmt_path(path, sizeof path, V1 "/evaluations/%lld/meetings", eval);
	meetings_before = it_db_long(sql);
	refused_free("POST", path, Sec.token,
		     meeting_body("weighting", five, 5,
				  json_pack("{s:{s:s}}", "aggregation",
					    "method", "mean")),
		     409, "wrong_stage", NULL, NULL);
	refused_free("POST", path, Sec.token,
		     meeting_body("scoring", five, 5, NULL), 409, "wrong_stage",
		     NULL, NULL);
	/* Thresholds outside (0, 1], or not a fraction or a decimal of at
	 * most four places. */
	for (size_t i = 0; i < sizeof bad_thresholds / sizeof *bad_thresholds;
	     i++) {
		r = refused("POST", path, Sec.token,
			    meeting_body("selection", five, 5,
					 json_pack("{s:{s:s}}", "consensus",
						   "selection_threshold",
						   bad_thresholds[i])),
			    422, NULL, NULL, NULL);
		it_resp_free(r);
	}
	r = refused("POST", path, Sec.token,
		    meeting_body("selection", five, 5,
				 json_pack("{s:{s:f}}", "consensus",
					   "selection_threshold", 0.5)),
		    422, NULL, NULL, NULL);
	it_resp_free(r);
	assert_int_equal(it_db_long(sql), meetings_before);

	sel = meeting_new(
	    eval, "selection", five, 5,
	    json_pack("{s:{s:s}}", "consensus", "selection_threshold", "2/3"));

	/* Round items must be candidates. */
	fmt_path(path, sizeof path, V1 "/meetings/%lld/rounds", sel);
	fmt_path(probe, sizeof probe, V1 "/meetings/%lld", sel);
	r = refused("POST", path, Sec.token, json_pack("{s:[s]}", "items", "1"),
		    422, NULL, Sec.token, probe);
	assert_str(json_object_get(details_of(r), "field"), "items",
		   "details.field");
	print_message("round over a group: 422 %s\n",
		      json_string_value(json_object_get(
			  json_object_get(r->json, "error"), "code")));
	it_resp_free(r);
	r = refused("POST", path, Sec.token,
		    json_pack("{s:[s]}", "items", "9.9"), 422, NULL, Sec.token,
		    probe);
	assert_str(json_object_get(details_of(r), "field"), "items",
		   "details.field");
	it_resp_free(r);

	/* Round 1 over two of the five candidates only. */
	assert_int_equal(
	    round_open(sel, json_pack("[s,s]", "1.1", "1.2"), r1_g, 2), 1);
	fmt_path(path, sizeof path, V1 "/meetings/%lld/rounds/1/ballot", sel);
	/* A partial ballot first: the refusals below must leave it. */
	assert_int_equal(ballot_put(sel, 1, &E[0],
				    json_pack("{s:[{s:s, s:b}]}", "votes",
					      "item", "1.1", "include", 1),
				    false),
			 1);
	r = refused("PUT", path, E[0].token,
		    json_pack("{s:[{s:s, s:b}, {s:s, s:b}]}", "votes", "item",
			      "1.1", "include", 1, "item", "9.9", "include", 1),
		    422, "unknown_item", E[0].token, path);
	assert_detail_item(r, "9.9");
	it_resp_free(r);
	/* A group, and a candidate of another round, are no items here. */
	r = refused(
	    "PUT", path, E[0].token,
	    json_pack("{s:[{s:s, s:b}]}", "votes", "item", "1", "include", 1),
	    422, "unknown_item", E[0].token, path);
	assert_detail_item(r, "1");
	it_resp_free(r);
	r = refused(
	    "PUT", path, E[0].token,
	    json_pack("{s:[{s:s, s:b}]}", "votes", "item", "2.1", "include", 1),
	    422, "unknown_item", E[0].token, path);
	assert_detail_item(r, "2.1");
	it_resp_free(r);
	r = refused("PUT", path, E[0].token,
		    json_pack("{s:[{s:s, s:b}, {s:s, s:b}]}", "votes", "item",
			      "1.2", "include", 1, "item", "1.2", "include", 0),
		    422, "duplicate_item", E[0].token, path);
	assert_detail_item(r, "1.2");
	it_resp_free(r);
	refused_free("PUT", path, E[0].token,
		     json_pack("{s:[{s:s, s:s}]}", "votes", "item", "1.1",
			       "include", "yes"),
		     422, "invalid_vote", E[0].token, path);
	refused_free(
	    "PUT", path, E[0].token,
	    json_pack("{s:[{s:s, s:i}]}", "votes", "item", "1.1", "include", 1),
	    422, "invalid_vote", E[0].token, path);
	refused_free(
	    "PUT", path, E[0].token,
	    json_pack("{s:[{s:s, s:n}]}", "votes", "item", "1.1", "include"),
	    422, "invalid_vote", E[0].token, path);
	/* Another kind's shape is a malformed request. */
	refused_free("PUT", path, E[0].token,
		     json_pack("{s:[{s:s, s:s}]}", "scores", "item", "1.1",
			       "score", "85"),
		     400, NULL, E[0].token, path);
	refused_free("PUT", path, E[0].token,
		     json_pack("{s:[{s:s, s:b}], s:[]}", "votes", "item", "1.1",
			       "include", 1, "scores"),
		     400, NULL, E[0].token, path);
	/* Only the seated panel votes. */
	refused_free(
	    "PUT", path, Lonely.token,
	    json_pack("{s:[{s:s, s:b}]}", "votes", "item", "1.1", "include", 1),
	    403, NULL, E[0].token, path);
	r = it_get(path, Lonely.token);
	it_assert_status(r, 403);
	it_resp_free(r);
	refused_free(
	    "PUT", path, Sec.token,
	    json_pack("{s:[{s:s, s:b}]}", "votes", "item", "1.1", "include", 1),
	    403, NULL, E[0].token, path);
	/* No quorum: one partial ballot. */
	fmt_path(path, sizeof path, V1 "/meetings/%lld/rounds/1/close", sel);
	refused_free("POST", path, Sec.token, json_object(), 409,
		     "quorum_not_met", Sec.token, probe);

	for (int e = 0; e < 5; e++)
		ballot_put(sel, 1, &E[e], votes_body(r1_g, votes_g1, 2, e),
			   true);
	res = round_close(sel, 1);
	check_selection(res, 1, r1_g, votes_g1, 2, 5, two_thirds, NULL, NULL);
	json_decref(res);

	/* Three candidates were in no closed round. */
	codes = finalize_refused(sel, "items_not_rated");
	assert_codes(codes, r2_g, 3, "items_not_rated");
	json_decref(codes);
	guard(eval, "weighting", unmet_d, 2);

	assert_int_equal(
	    round_open(sel, json_pack("[s,s,s]", "1.3", "2.1", "2.2"), r2_g, 3),
	    2);
	for (int e = 0; e < 5; e++)
		ballot_put(sel, 2, &E[e], votes_body(r2_g, votes_g2, 3, e),
			   true);
	res = round_close(sel, 2);
	check_selection(res, 2, r2_g, votes_g2, 3, 5, two_thirds, NULL, NULL);
	json_decref(res);
	selection_finalize(sel, cand_g, 5, NULL, 0);

	guard(eval, "weighting", unmet_d2, 1);
	consult(eval);
	advance(eval, "weighting");

	/* Stage e: other kinds are refused; a threshold is for selection
	 * meetings only. */
	fmt_path(path, sizeof path, V1 "/evaluations/%lld/meetings", eval);
	meetings_before = it_db_long(sql);
	refused_free("POST", path, Sec.token,
		     meeting_body("selection", five, 5, NULL), 409,
		     "wrong_stage", NULL, NULL);
	refused_free("POST", path, Sec.token,
		     meeting_body("scoring", five, 5, NULL), 409, "wrong_stage",
		     NULL, NULL);
	refused_free("POST", path, Sec.token,
		     meeting_body("weighting", five, 5,
				  json_pack("{s:{s:s}, s:{s:s}}", "aggregation",
					    "method", "mean", "consensus",
					    "selection_threshold", "2/3")),
		     422, NULL, NULL, NULL);
	assert_int_equal(it_db_long(sql), meetings_before);

	/* weighting -> scoring before any weighting meeting: the meeting
	 * and the table, in one answer. */
	codes = guard_codes(eval, "scoring");
	if (json_array_size(codes) < 2 ||
	    !has_code(codes, "weighting_not_finalized")) {
		dump("unmet", codes);
		fail_msg("weighting -> scoring should list the meeting and "
			 "the table");
	}
	json_decref(codes);

	wm = meeting_new(eval, "weighting", five, 5,
			 json_pack("{s:{s:s}, s:{s:s, s:s}}", "aggregation",
				   "method", "mean", "consensus", "max_iqr",
				   "10", "max_cv", "0.25"));
	j = take(get(Sec.token, V1 "/meetings/%lld", wm), 200);
	assert_true(json_is_array(json_object_get(j, "advanced_levels")));
	assert_int_equal(json_array_size(json_object_get(j, "advanced_levels")),
			 0);
	json_decref(j);

	/* Round 1 names 2.2: its whole group is rated. */
	assert_int_equal(round_open(wm, json_pack("[s]", "2.2"), g1_codes, 2),
			 1);
	for (int e = 0; e < 5; e++)
		ballot_put(
		    wm, 1, &E[e],
		    weights_body(w_g1, 2, ballots_g1[e], props_g1[e], false),
		    true);
	res = round_close(wm, 1);
	check_weighting(res, 1, w_g1, 2, ballots_g1, props_g1, 5, out, NULL);
	json_decref(res);

	/* Confirmations: leaves of the formed table only, by the
	 * secretary, of a weighting meeting. */
	fmt_path(probe, sizeof probe, V1 "/meetings/%lld", wm);
	fmt_path(path, sizeof path, V1 "/meetings/%lld/advanced-levels/2", wm);
	refused_free("PUT", path, Sec.token, json_pack("{s:s}", "text", "x"),
		     404, NULL, Sec.token, probe);
	fmt_path(path, sizeof path, V1 "/meetings/%lld/advanced-levels/1", wm);
	refused_free("PUT", path, Sec.token, json_pack("{s:s}", "text", "x"),
		     404, NULL, Sec.token, probe);
	fmt_path(path, sizeof path, V1 "/meetings/%lld/advanced-levels/9.9",
		 wm);
	refused_free("PUT", path, Sec.token, json_pack("{s:s}", "text", "x"),
		     404, NULL, Sec.token, probe);
	fmt_path(path, sizeof path, V1 "/meetings/%lld/advanced-levels/1.1",
		 wm);
	refused_free("PUT", path, E[0].token, json_pack("{s:s}", "text", "x"),
		     403, NULL, Sec.token, probe);
	fmt_path(path, sizeof path, V1 "/meetings/%lld/advanced-levels/1.1",
		 sel);
	refused_free("PUT", path, Sec.token, json_pack("{s:s}", "text", "x"),
		     409, NULL, Sec.token, probe);

	confirm(wm, "2.1", "全面应用", true);
	confirm(wm, "2.2", "实施效益明显", false);
	confirm(wm, "1.1", "效益显著", false);
	confirm(wm, "1.2", "承诺时限压缩至法定时限的40%", false);
	confirm(wm, "1.3", "最多跑一次", false);

	/* Every leaf confirmed, but the top level and group 1 unrated. */
	codes = finalize_refused(wm, "items_not_rated");
	assert_codes(codes, g2_codes, 5, "items_not_rated");
	json_decref(codes);

	/* Round 2 names 1.2 and 2: completed to their groups. */
	assert_int_equal(
	    round_open(wm, json_pack("[s,s]", "1.2", "2"), g2_codes, 5), 2);
	fmt_path(path, sizeof path, V1 "/meetings/%lld/rounds/2/ballot", wm);
	/* A partial ballot: the top level only. */
	assert_int_equal(
	    ballot_put(wm, 2, &E[0],
		       wpairs((const char *const[]){"1", "2"},
			      (const char *const[]){"0.600", "0.400"}, 2),
		       false),
	    1);
	not_summing(wm, 2,
		    wpairs((const char *const[]){"1", "2"},
			   (const char *const[]){"0.550", "0.400"}, 2),
		    NULL, "0.950", NULL);
	not_summing(wm, 2,
		    wpairs((const char *const[]){"1", "2", "1.1", "1.2", "1.3"},
			   (const char *const[]){"0.6", "0.4", "0.334", "0.334",
						 "0.333"},
			   5),
		    "1", "1.001", NULL);
	/* Partial groups, summing to 1 or not. */
	not_summing(wm, 2,
		    wpairs((const char *const[]){"1.1", "1.2"},
			   (const char *const[]){"0.5", "0.5"}, 2),
		    "1", NULL, "1.3");
	not_summing(
	    wm, 2,
	    wpairs((const char *const[]){"1"}, (const char *const[]){"1"}, 1),
	    NULL, NULL, "2");
	/* Weights: 0 to 1, at most three decimals. */
	{
		static const char *const bad[] = {
		    "0.3333", "1.5", "-0.1", "abc", "", " 0.5", "1.0001"};

		for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
			it_resp_free(wrefused(
			    wm, 2,
			    wpairs((const char *const[]){"1", "2"},
				   (const char *const[]){bad[i], "0.400"}, 2),
			    "invalid_weight"));
		it_resp_free(wrefused(
		    wm, 2,
		    json_pack("{s:[{s:s, s:b}, {s:s, s:s}]}", "weights", "item",
			      "1", "weight", 1, "item", "2", "weight", "0"),
		    "invalid_weight"));
		it_resp_free(wrefused(
		    wm, 2,
		    json_pack("{s:[{s:s, s:f}, {s:s, s:s}]}", "weights", "item",
			      "1", "weight", 1.25, "item", "2", "weight", "0"),
		    "invalid_weight"));
	}
	/* Items of the round only. */
	r = wrefused(wm, 2,
		     wpairs((const char *const[]){"2.1", "2.2"},
			    (const char *const[]){"0.5", "0.5"}, 2),
		     "unknown_item");
	assert_detail_item(r, "2.1");
	it_resp_free(r);
	r = wrefused(wm, 2,
		     wpairs((const char *const[]){"9", "1"},
			    (const char *const[]){"0.5", "0.5"}, 2),
		     "unknown_item");
	assert_detail_item(r, "9");
	it_resp_free(r);
	r = wrefused(wm, 2,
		     wpairs((const char *const[]){"1", "2", "1"},
			    (const char *const[]){"0.5", "0.5", "0.5"}, 3),
		     "duplicate_item");
	assert_detail_item(r, "1");
	it_resp_free(r);
	/* Advanced levels: leaves of the round, 1 to 2000 bytes. */
	j = wpairs((const char *const[]){"1", "2"},
		   (const char *const[]){"0.6", "0.4"}, 2);
	json_object_set_new(
	    j, "advanced_levels",
	    json_pack("[{s:s, s:s}]", "item", "1", "text", "不适用于分组"));
	r = wrefused(wm, 2, j, "unknown_item");
	assert_detail_item(r, "1");
	it_resp_free(r);
	j = wpairs((const char *const[]){"1", "2"},
		   (const char *const[]){"0.6", "0.4"}, 2);
	json_object_set_new(
	    j, "advanced_levels",
	    json_pack("[{s:s, s:s}]", "item", "2.1", "text", "另一轮的叶子"));
	r = wrefused(wm, 2, j, "unknown_item");
	assert_detail_item(r, "2.1");
	it_resp_free(r);
	j = wpairs((const char *const[]){"1", "2"},
		   (const char *const[]){"0.6", "0.4"}, 2);
	json_object_set_new(
	    j, "advanced_levels",
	    json_pack("[{s:s, s:s}]", "item", "1.1", "text", ""));
	it_resp_free(wrefused(wm, 2, j, "invalid_text"));
	/* 2001 bytes: 667 three-byte characters. */
	big[0] = '\0';
	for (int i = 0; i < 667; i++)
		strcat(big, "级");
	j = wpairs((const char *const[]){"1", "2"},
		   (const char *const[]){"0.6", "0.4"}, 2);
	json_object_set_new(
	    j, "advanced_levels",
	    json_pack("[{s:s, s:s}]", "item", "1.1", "text", big));
	it_resp_free(wrefused(wm, 2, j, "invalid_text"));
	/* An expert of no panel. */
	fmt_path(path, sizeof path, V1 "/meetings/%lld/rounds/2/ballot", wm);
	refused_free("PUT", path, Lonely.token,
		     weights_body(w_g2, 5, ballots_g2[0], NULL, false), 403,
		     NULL, E[0].token, path);

	/* The real ballots; exactly 2000 bytes is a text, and numbers are
	 * weights. */
	big[strlen(big) - 3] = '\0';
	strcat(big, "ab");
	assert_int_equal(strlen(big), 2000);
	{
		const char *const props_g2[5][MAX_ITEMS] = {
		    {NULL, big, NULL, NULL, NULL},
		    {NULL, "效益显著", NULL, NULL, NULL},
		    {NULL, "效益显著", "时限40%", NULL, NULL},
		    {NULL, NULL, "时限40%", NULL, NULL},
		    {NULL, NULL, NULL, "最多跑一次", NULL}};

		j = weights_body(w_g2, 5, ballots_g2[0], props_g2[0], false);
		/* 0.5 and 0.25 are exact binary numbers */
		json_object_set_new(
		    json_array_get(json_object_get(j, "weights"), 0), "weight",
		    json_real(0.5));
		json_object_set_new(
		    json_array_get(json_object_get(j, "weights"), 1), "weight",
		    json_real(0.25));
		assert_int_equal(ballot_put(wm, 2, &E[0], j, true), 2);
		j = take(it_get(path, E[0].token), 200);
		assert_int_equal(
		    json_integer_value(json_object_get(j, "version")), 2);
		assert_str(json_object_get(
			       json_array_get(json_object_get(j, "weights"), 0),
			       "weight"),
			   "0.500", "weight read back");
		assert_str(json_object_get(
			       json_array_get(json_object_get(j, "weights"), 1),
			       "weight"),
			   "0.250", "weight read back");
		assert_str(json_object_get(
			       json_array_get(
				   json_object_get(j, "advanced_levels"), 0),
			       "text"),
			   big, "2000-byte text");
		json_decref(j);
		for (int e = 1; e < 5; e++)
			ballot_put(wm, 2, &E[e],
				   weights_body(w_g2, 5, ballots_g2[e],
						props_g2[e], false),
				   true);
		res = round_close(wm, 2);
		check_weighting(res, 2, w_g2, 5, ballots_g2, props_g2, 5, out,
				NULL);
		json_decref(res);
	}

	codes = guard_codes(eval, "scoring");
	if (!has_code(codes, "weighting_not_finalized")) {
		dump("unmet", codes);
		fail_msg("weighting -> scoring: no weighting_not_finalized");
	}
	json_decref(codes);
	json_decref(take(
	    send_to("POST", Sec.token, NULL, V1 "/meetings/%lld/finalize", wm),
	    200));
	/* Finalized: no more confirmations. */
	fmt_path(path, sizeof path, V1 "/meetings/%lld/advanced-levels/1.1",
		 wm);
	refused_free("PUT", path, Sec.token,
		     json_pack("{s:s}", "text", "太迟了"), 409, NULL, Sec.token,
		     probe);
	advance(eval, "scoring");
	fmt_path(path, sizeof path, V1 "/evaluations/%lld/meetings", eval);
	refused_free("POST", path, Sec.token,
		     meeting_body("weighting", five, 5, NULL), 409,
		     "wrong_stage", NULL, NULL);
}

/* ---- 3. a second selection round shows the first ---- */

static void
test_selection_previous(void **state)
{
	static const struct pool_entry pool[] = {
	    {"1", NULL, true, "关键性指标", NULL},
	    {"2", NULL, true, "标准实施成效", NULL},
	    {"1.1", "1", false, "事项覆盖度", NULL},
	    {"1.2", "1", false, "办结时限", NULL},
	    {"2.1", "2", false, "标准应用", NULL},
	};
	static const int seven[7] = {0, 1, 2, 3, 4, 5, 6};
	static const char *const cand[] = {"1.1", "1.2", "2.1"};
	/* The seventh expert sends nothing in round 1.  4 of 6 shows as
	 * "0.6667" but is 2/3, below the threshold 0.6667. */
	static const char *const votes1[] = {"111100-", "111111-", "110100-"};
	static const char *const round2[] = {"1.1", "2.1"};
	static const struct thr t = {6667, 10000, "0.6667"};
	bool selected[3], consensus[3];
	long long eval, sel;
	json_t *j, *res;
	char path[128];
	struct it_resp *r;

	(void)state;
	eval = eval_build("无模板评价：第二轮", pool,
			  sizeof pool / sizeof pool[0]);
	sel = meeting_new(eval, "selection", seven, 7,
			  json_pack("{s:{s:s}, s:i}", "consensus",
				    "selection_threshold", "0.6667", "quorum",
				    5));
	j = take(get(E[6].token, V1 "/meetings/%lld", sel), 200);
	assert_str(json_object_get(json_object_get(j, "consensus"),
				   "selection_threshold"),
		   "0.6667", "selection_threshold");
	json_decref(j);

	assert_int_equal(round_open(sel, NULL, cand, 3), 1);
	/* Round 1 has nothing before it. */
	j = take(get(E[0].token, V1 "/meetings/%lld/rounds/1/ballot", sel),
		 200);
	assert_true(json_is_null(json_object_get(j, "previous")));
	json_decref(j);
	for (int e = 0; e < 6; e++)
		ballot_put(sel, 1, &E[e], votes_body(cand, votes1, 3, e), true);
	res = round_close(sel, 1);
	check_selection(res, 1, cand, votes1, 3, 6, t, selected, consensus);
	json_decref(res);
	assert_false(selected[0]);
	assert_false(consensus[0]);
	assert_true(selected[1]);

	assert_int_equal(round_open(sel, NULL, round2, 2), 2);
	for (int e = 0; e < 7; e++)
		check_previous(sel, 2, e, round2, 2, cand, votes1, 3, 1, t);

	/* Round 2 knows its own items only. */
	fmt_path(path, sizeof path, V1 "/meetings/%lld/rounds/2/ballot", sel);
	r = refused(
	    "PUT", path, E[0].token,
	    json_pack("{s:[{s:s, s:b}]}", "votes", "item", "1.2", "include", 1),
	    422, "unknown_item", E[0].token, path);
	assert_detail_item(r, "1.2");
	it_resp_free(r);

	/* A vote of round 2; previous stays. */
	assert_int_equal(ballot_put(sel, 2, &E[6],
				    json_pack("{s:[{s:s, s:b}]}", "votes",
					      "item", "2.1", "include", 0),
				    false),
			 1);
	j = take(get(E[6].token, V1 "/meetings/%lld/rounds/2/ballot", sel),
		 200);
	assert_int_equal(json_integer_value(json_object_get(j, "version")), 1);
	assert_int_equal(json_array_size(json_object_get(j, "votes")), 1);
	assert_str(json_object_get(
		       json_array_get(json_object_get(j, "votes"), 0), "item"),
		   "2.1", "vote item");
	assert_bool(
	    json_object_get(json_array_get(json_object_get(j, "votes"), 0),
			    "include"),
	    false, "vote include");
	assert_int_equal(json_integer_value(json_object_get(
			     json_object_get(j, "previous"), "round")),
			 1);
	json_decref(j);
}

/* ---- 4. a selection that keeps nothing ---- */

static void
test_no_key_indicators(void **state)
{
	static const struct pool_entry pool[] = {
	    {"1", NULL, true, "关键性指标", NULL},
	    {"1.1", "1", false, "事项覆盖度", NULL},
	    {"1.2", "1", false, "办结时限", NULL},
	};
	static const int five[5] = {0, 1, 2, 3, 4};
	static const char *const cand[] = {"1.1", "1.2"};
	static const char *const votes[] = {"00000", "10100"};
	/* Threshold 0.6: 2 of 5 for 1.2 is 3 of 5, exactly 0.6, against. */
	static const struct thr t = {6, 10, "0.6"};
	static const char *const unmet1[] = {"no_consultations",
					     "no_key_indicators"};
	static const char *const unmet2[] = {"no_key_indicators"};
	bool selected[2], consensus[2];
	long long eval, sel;
	json_t *res;

	(void)state;
	eval = eval_build("无模板评价：无关键指标", pool,
			  sizeof pool / sizeof pool[0]);
	sel = meeting_new(
	    eval, "selection", five, 5,
	    json_pack("{s:{s:s}}", "consensus", "selection_threshold", "0.6"));
	assert_int_equal(round_open(sel, NULL, cand, 2), 1);
	for (int e = 0; e < 5; e++)
		ballot_put(sel, 1, &E[e], votes_body(cand, votes, 2, e), true);
	res = round_close(sel, 1);
	check_selection(res, 1, cand, votes, 2, 5, t, selected, consensus);
	assert_false(selected[1]);
	assert_true(consensus[1]);
	json_decref(res);
	selection_finalize(sel, NULL, 0, cand, 2);
	guard(eval, "weighting", unmet1, 2);
	consult(eval);
	guard(eval, "weighting", unmet2, 1);
}

/* ---- 5. median weights: a group of zeros, then renormalized ---- */

/* The result of item code in a round's results (borrowed). */
static const json_t *
result_item(const json_t *res, const char *code)
{
	const json_t *x;
	size_t i;

	json_array_foreach(json_object_get(res, "items"), i, x)
	{
		if (strcmp(json_string_value(json_object_get(x, "item")),
			   code) == 0)
			return x;
	}
	dump("results", res);
	fail_msg("the results lack %s", code);
	return NULL;
}

/* The node with this code in a JSON array of nodes (borrowed). */
static const json_t *
node_find(const json_t *nodes, const char *code)
{
	const json_t *n, *found;
	size_t i;

	json_array_foreach(nodes, i, n)
	{
		if (strcmp(json_string_value(json_object_get(n, "code")),
			   code) == 0)
			return n;
		if ((found = node_find(json_object_get(n, "children"), code)))
			return found;
	}
	return NULL;
}

static void
test_median_zero_group(void **state)
{
	static const struct pool_entry pool[] = {
	    {"1", NULL, true, "关键性指标", NULL},
	    {"2", NULL, true, "标准实施成效", NULL},
	    {"1.1", "1", false, "事项覆盖度", NULL},
	    {"1.2", "1", false, "办结时限", NULL},
	    {"1.3", "1", false, "跑动次数", NULL},
	    {"2.1", "2", false, "标准应用", NULL},
	};
	static const int five[5] = {0, 1, 2, 3, 4};
	static const char *const cand[] = {"1.1", "1.2", "1.3", "2.1"};
	/* Threshold 0.6: 3 of 5 for 2.1 is exactly 0.6, selected. */
	static const char *const all_in[] = {"11111", "11111", "11111",
					     "10110"};
	static const struct thr t = {6, 10, "0.6"};
	bool selected[4];
	static const char *const group1[] = {"1.1", "1.2", "1.3"};
	static const struct witem items[6] = {
	    {"1", NULL, false}, {"1.1", "1", true}, {"1.2", "1", true},
	    {"1.3", "1", true}, {"2", NULL, false}, {"2.1", "2", true}};
	const char *codes[6];
	/* Each expert puts group 1 on one item: every median is 0. */
	static const int r1[5][MAX_ITEMS] = {{600, 1000, 0, 0, 400, 1000},
					     {500, 1000, 0, 0, 500, 1000},
					     {700, 0, 1000, 0, 300, 1000},
					     {600, 0, 1000, 0, 400, 1000},
					     {650, 0, 0, 1000, 350, 1000}};
	/* Medians 450, 300 and 200 (950 in all): 473.68, 315.79 and
	 * 210.53 thousandths once scaled, the two spare ones to 1.2 and
	 * 1.1. */
	static const int r2[5][MAX_ITEMS] = {{500, 300, 200},
					     {400, 300, 300},
					     {500, 250, 250},
					     {450, 350, 200},
					     {400, 400, 200}};
	static const int64_t medians[3] = {450, 300, 200};
	int64_t want[3];
	long long eval, sel, wm;
	json_t *res, *codes_got, *j;
	char buf[40];

	(void)state;
	for (size_t k = 0; k < 6; k++)
		codes[k] = items[k].code;
	eval = eval_build("无模板评价：中位数权重", pool,
			  sizeof pool / sizeof pool[0]);
	sel = meeting_new(
	    eval, "selection", five, 5,
	    json_pack("{s:{s:s}}", "consensus", "selection_threshold", "0.6"));
	assert_int_equal(round_open(sel, NULL, cand, 4), 1);
	for (int e = 0; e < 5; e++)
		ballot_put(sel, 1, &E[e], votes_body(cand, all_in, 4, e), true);
	res = round_close(sel, 1);
	check_selection(res, 1, cand, all_in, 4, 5, t, selected, NULL);
	assert_true(selected[3]);
	json_decref(res);
	selection_finalize(sel, cand, 4, NULL, 0);
	consult(eval);
	advance(eval, "weighting");

	wm = meeting_new(
	    eval, "weighting", five, 5,
	    json_pack("{s:{s:s}}", "aggregation", "method", "median"));
	assert_int_equal(round_open(wm, NULL, codes, 6), 1);
	for (int e = 0; e < 5; e++)
		ballot_put(wm, 1, &E[e],
			   weights_body(items, 6, r1[e], NULL, false), true);
	res = round_close(wm, 1);
	assert_str(json_object_get(result_item(res, "1"), "weight"), "0.600",
		   "weight of 1");
	assert_str(json_object_get(result_item(res, "2"), "weight"), "0.400",
		   "weight of 2");
	assert_str(json_object_get(result_item(res, "2.1"), "weight"), "1.000",
		   "weight of 2.1");
	for (size_t k = 0; k < 3; k++) {
		const json_t *x = result_item(res, group1[k]);

		assert_str(json_object_get(x, "value"), "0.000", group1[k]);
		if (!json_is_null(json_object_get(x, "weight"))) {
			dump(group1[k], x);
			fail_msg("%s: a group of zeros has no weight",
				 group1[k]);
		}
		assert_bool(json_object_get(x, "consensus"), false, group1[k]);
	}
	json_decref(res);

	for (size_t k = 0; k < 4; k++)
		confirm(wm, cand[k], "达到国内领先水平", false);
	/* The group without weights is not rated. */
	codes_got = finalize_refused(wm, "items_not_rated");
	assert_codes(codes_got, group1, 3, "items_not_rated");
	json_decref(codes_got);

	/* Round 2, by default: group 1 only. */
	assert_int_equal(round_open(wm, NULL, group1, 3), 2);
	for (int e = 0; e < 5; e++)
		ballot_put(wm, 2, &E[e],
			   weights_body(items + 1, 3, r2[e], NULL, false),
			   true);
	res = round_close(wm, 2);
	largest_remainder(medians, 3, want);
	assert_int_equal(want[0], 474);
	assert_int_equal(want[1], 316);
	assert_int_equal(want[2], 210);
	for (size_t k = 0; k < 3; k++) {
		const json_t *x = result_item(res, group1[k]);
		const json_t *ex = json_object_get(x, "exact");

		assert_str(json_object_get(x, "value"),
			   fixed(medians[k], 3, buf), group1[k]);
		assert_int_equal(json_integer_value(json_object_get(ex, "num")),
				 medians[k]);
		assert_int_equal(json_integer_value(json_object_get(ex, "den")),
				 1);
		assert_str(json_object_get(x, "weight"), fixed(want[k], 3, buf),
			   group1[k]);
	}
	json_decref(res);
	json_decref(take(
	    send_to("POST", Sec.token, NULL, V1 "/meetings/%lld/finalize", wm),
	    200));

	/* The table: group 1 from round 2, the rest from round 1. */
	j = take(get(Sec.token, V1 "/evaluations/%lld/table", eval), 200);
	{
		static const char *const c[] = {"1",   "1.1", "1.2",
						"1.3", "2",   "2.1"};
		const char *w[6] = {"0.600", NULL,    NULL,
				    NULL,    "0.400", "1.000"};
		char b[3][40];

		for (size_t k = 0; k < 3; k++)
			w[k + 1] = fixed(want[k], 3, b[k]);
		for (size_t k = 0; k < 6; k++) {
			const json_t *n =
			    node_find(json_object_get(j, "nodes"), c[k]);

			assert_non_null(n);
			assert_str(json_object_get(n, "weight"), w[k], c[k]);
		}
	}
	json_decref(j);
	advance(eval, "scoring");
}

/* ---- 6. GET .../procedure: the records, and who reads them ---- */

/* Fails unless object has no member key, or has it null. */
static void
assert_absent(const json_t *object, const char *key, const char *what)
{
	const json_t *v = json_object_get(object, key);

	if (v != NULL && !json_is_null(v)) {
		dump(what, object);
		fail_msg("%s has a %s", what, key);
	}
}

/*
 * GET .../procedure as the secretary, checked against what eval_build
 * recorded from pool (order[k] is the code at table position k, from[k]
 * its index in pool) and the two consultations of the test; key[k] is
 * '1' or '0' once the selection meeting is finalized, else '-'.  The
 * answer (new reference).
 */
static json_t *
check_records(long long eval, const struct pool_entry *pool,
	      const char *const *order, const size_t *from, size_t n,
	      const char *key)
{
	json_t *j =
	    take(get(Sec.token, V1 "/evaluations/%lld/procedure", eval), 200);
	const json_t *std, *entries, *cons, *e, *c;
	size_t cand_seen[8] = {0}, n_cand = 0;
	char what[64];

	assert_true(n <= sizeof cand_seen / sizeof *cand_seen);
	assert_str(json_object_get(j, "stage"), "selection", "stage");
	std = json_object_get(j, "standards");
	assert_int_equal(json_array_size(std), 1);
	e = json_array_get(std, 0);
	assert_true(json_integer_value(json_object_get(e, "id")) > 0);
	assert_str(json_object_get(e, "code"), STANDARD_REF, "standard code");
	assert_str(json_object_get(e, "title"), "政务服务中心运行规范",
		   "standard title");
	assert_str(json_object_get(e, "scope"), "national", "standard scope");
	assert_int_equal(json_array_size(json_object_get(e, "clauses")), 1);
	assert_str(json_array_get(json_object_get(e, "clauses"), 0), "4.1",
		   "standard clause");

	/* eval_build compared the candidates in the order it added them,
	 * alternating a standard and a benchmark. */
	for (size_t i = 0; i < n; i++) {
		if (!pool[i].group)
			cand_seen[i] = n_cand++;
	}
	entries = json_object_get(j, "pool");
	if (json_array_size(entries) != n) {
		dump("pool", entries);
		fail_msg("%zu pool entries, want %zu", json_array_size(entries),
			 n);
	}
	for (size_t k = 0; k < n; k++) {
		const struct pool_entry *want = &pool[from[k]];
		const json_t *cmp;

		e = json_array_get(entries, k);
		snprintf(what, sizeof what, "pool[%zu] (%s)", k, order[k]);
		assert_str(json_object_get(e, "code"), order[k], what);
		assert_str(json_object_get(e, "kind"),
			   want->group ? "group" : "candidate", what);
		assert_str(json_object_get(e, "name"), want->name, what);
		if (want->parent != NULL)
			assert_str(json_object_get(e, "parent"), want->parent,
				   what);
		else
			assert_absent(e, "parent", what);
		if (want->description != NULL)
			assert_str(json_object_get(e, "description"),
				   want->description, what);
		else
			assert_absent(e, "description", what);
		if (want->group) {
			assert_absent(e, "source", what);
			assert_absent(e, "comparison", what);
			assert_null(json_object_get(e, "key"));
			continue;
		}
		assert_str(
		    json_object_get(json_object_get(e, "source"), "type"),
		    "standard", what);
		assert_str(json_object_get(json_object_get(e, "source"), "ref"),
			   STANDARD_REF, what);
		cmp = json_object_get(e, "comparison");
		if (cand_seen[from[k]] % 2 == 0) {
			const json_t *side = json_object_get(cmp, "standard");

			assert_str(json_object_get(side, "ref"), STANDARD_REF,
				   what);
			assert_str(json_object_get(side, "clause"), "4.1",
				   what);
			assert_str(json_object_get(side, "level"), "国内领先",
				   what);
			assert_absent(cmp, "benchmark", what);
		} else {
			const json_t *side = json_object_get(cmp, "benchmark");

			assert_str(json_object_get(side, "scope"),
				   "international", what);
			assert_str(json_object_get(side, "ref"), BENCH_REF,
				   what);
			assert_str(json_object_get(side, "level"), "国际先进",
				   what);
			assert_absent(cmp, "standard", what);
		}
		/* Null until a selection meeting is finalized: no member. */
		if (key[k] == '-')
			assert_null(json_object_get(e, "key"));
		else
			assert_bool(json_object_get(e, "key"), key[k] == '1',
				    what);
	}

	cons = json_object_get(j, "consultations");
	assert_int_equal(json_array_size(cons), 2);
	c = json_array_get(cons, 0);
	assert_str(json_object_get(c, "stakeholder"), "industry_association",
		   "consultation 1");
	assert_str(json_object_get(c, "organization"), "上海市标准化协会",
		   "consultation 1");
	assert_str(json_object_get(c, "opinion"), "支持所选关键指标",
		   "consultation 1");
	assert_str(json_object_get(c, "response"), "采纳", "consultation 1");
	c = json_array_get(cons, 1);
	assert_true(
	    json_integer_value(json_object_get(c, "id")) >
	    json_integer_value(json_object_get(json_array_get(cons, 0), "id")));
	assert_str(json_object_get(c, "stakeholder"), "consumer",
		   "consultation 2");
	assert_str(json_object_get(c, "opinion"), "关注移动端办事体验",
		   "consultation 2");
	assert_absent(c, "response", "consultation 2");
	return j;
}

/* GET .../procedure as token answers 200 with exactly want. */
static void
records_same(long long eval, const char *token, const json_t *want,
	     const char *who)
{
	json_t *j =
	    take(get(token, V1 "/evaluations/%lld/procedure", eval), 200);

	if (!json_equal(j, want)) {
		dump("secretary's", want);
		dump(who, j);
		fail_msg("%s reads other records than the secretary", who);
	}
	json_decref(j);
}

static void
records_refused(long long eval, const char *token, long status,
		const char *code)
{
	struct it_resp *r = get(token, V1 "/evaluations/%lld/procedure", eval);

	it_assert_error(r, status, code);
	it_resp_free(r);
}

static void
test_procedure_records(void **state)
{
	/* Added out of table order, with 1.10 after 1.9 in table order but
	 * before 1.2 in text order: the server must sort them itself. */
	static const struct pool_entry pool[] = {
	    {"2", NULL, true, "标准实施成效", NULL},
	    {"2.1", "2", false, "标准应用", "被政府部门、企业等采用的情况"},
	    {"1", NULL, true, "关键性指标", "可量化的关键性指标"},
	    {"1.10", "1", false, "跑动次数", NULL},
	    {"1.2", "1", false, "办结时限", NULL},
	    {"1.9", "1", false, "事项覆盖度", NULL},
	};
	static const char *const order[] = {"1",    "1.2", "1.9",
					    "1.10", "2",   "2.1"};
	static const size_t from[] = {2, 4, 5, 3, 0, 1};
	static const char *const cand[] = {"1.2", "1.9", "1.10", "2.1"};
	/* 5/5, 0/5, 4/5 and 2/5 against the default 2/3. */
	static const char *const votes[] = {"11111", "00000", "11110", "11000"};
	static const char *const selected[] = {"1.2", "1.10"};
	static const char *const excluded[] = {"1.9", "2.1"};
	static const int six[6] = {0, 1, 2, 3, 4, 5};
	struct it_snapshot snap;
	char *aud_token, *sec2_token;
	long long eval, sel;
	json_t *j, *rec;
	struct it_resp *r;

	(void)state;
	it_create_user(admin_token, "p41_aud", "auditor", PASSWORD);
	aud_token = it_login("p41_aud", PASSWORD);
	it_create_user(admin_token, "p41_sec2", "secretary", PASSWORD);
	sec2_token = it_login("p41_sec2", PASSWORD);

	eval = eval_build("无模板评价：程序记录", pool,
			  sizeof pool / sizeof pool[0]);
	consult(eval);
	json_decref(
	    take(send_to("POST", Sec.token,
			 json_pack("{s:s, s:s, s:s}", "stakeholder", "consumer",
				   "organization", "上海市消费者权益保护委员会",
				   "opinion", "关注移动端办事体验"),
			 V1 "/evaluations/%lld/consultations", eval),
		 201));

	/* Before any meeting: the secretary and auditors only. */
	rec = check_records(eval, pool, order, from, 6, "------");
	records_same(eval, aud_token, rec, "the auditor");
	records_refused(eval, E[0].token, 403, "forbidden");
	json_decref(rec);

	/* Six invited; five take their seats, the sixth is still invited. */
	j = take(send_to("POST", Sec.token,
			 meeting_body("selection", six, 6,
				      json_pack("{s:i}", "quorum", 5)),
			 V1 "/evaluations/%lld/meetings", eval),
		 201);
	sel = json_integer_value(json_object_get(j, "id"));
	json_decref(j);
	for (int e = 0; e < 5; e++)
		json_decref(
		    take(send_to("POST", E[e].token,
				 json_pack("{s:b}", "conflict_of_interest", 0),
				 V1 "/meetings/%lld/seat", sel),
			 200));

	/* Reading writes nothing. */
	it_snapshot(&snap);
	rec = check_records(eval, pool, order, from, 6, "------");
	records_same(eval, E[0].token, rec, "a seated expert");
	records_same(eval, E[5].token, rec, "an invited expert");
	records_same(eval, aud_token, rec, "the auditor");
	/* As GET /evaluations/{id} refuses them (eval_row_read). */
	records_refused(eval, Lonely.token, 403, "forbidden");
	records_refused(eval, E[6].token, 403, "forbidden");
	records_refused(eval, sec2_token, 403, "forbidden");
	/* The route takes no administrator, nor anyone unknown. */
	records_refused(eval, admin_token, 403, "forbidden");
	records_refused(eval, NULL, 401, "unauthorized");
	records_refused(eval + 1000000, aud_token, 404, "not_found");
	r = it_get(V1 "/evaluations/0/procedure", aud_token);
	it_assert_error(r, 404, "not_found");
	it_resp_free(r);
	it_assert_unchanged(&snap, "GET .../procedure");
	json_decref(rec);

	/* A recused expert no longer sees the evaluation. */
	json_decref(take(send_to("POST", E[5].token,
				 json_pack("{s:b, s:s}", "conflict_of_interest",
					   1, "reason", "employment"),
				 V1 "/meetings/%lld/seat", sel),
			 200));
	records_refused(eval, E[5].token, 403, "forbidden");

	/* Selection: the candidates in table order, then key indicators. */
	assert_int_equal(round_open(sel, NULL, cand, 4), 1);
	for (int e = 0; e < 5; e++)
		ballot_put(sel, 1, &E[e], votes_body(cand, votes, 4, e), true);
	json_decref(round_close(sel, 1));
	rec = check_records(eval, pool, order, from, 6, "------");
	json_decref(rec);
	selection_finalize(sel, selected, 2, excluded, 2);
	rec = check_records(eval, pool, order, from, 6, "-101-0");
	records_same(eval, E[3].token, rec, "a seated expert");
	records_same(eval, aud_token, rec, "the auditor");
	json_decref(rec);

	free(aud_token);
	free(sec2_token);
}

/* Last: a clean exit, which under AddressSanitizer also means no leak. */
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
	    cmocka_unit_test(test_full_procedure),
	    cmocka_unit_test(test_guards_and_refusals),
	    cmocka_unit_test(test_selection_previous),
	    cmocka_unit_test(test_no_key_indicators),
	    cmocka_unit_test(test_median_zero_group),
	    cmocka_unit_test(test_procedure_records),
	    cmocka_unit_test(test_stop_clean),
	};

	return cmocka_run_group_tests(tests, p41_setup, p41_teardown);
}
