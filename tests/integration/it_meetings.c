/*
 * Review meetings of the real pingshend on a real PostgreSQL: a whole
 * evaluation (panel, conflict-of-interest declarations, two Delphi rounds,
 * finalization, the signed verdict), the arithmetic at the threshold, who
 * may vote and who may see what, the event stream, the audit entries of
 * the flow and the table as CSV.
 *
 * Every expected number is computed here, independently of workflow/, with
 * exact fractions (struct q): item values from the ballots the test sent,
 * the total as the sum of global weight x value, rounded half up once.
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
#include <openssl/evp.h>

#include "harness.h"

#define PASSWORD "meeting-password-1"

/* The ywtb table: its 16 leaves in order and their global weights in
 * thousandths. */
#define N_LEAVES 16
#define LEAF_2_1 11
#define LEAF_3_3 15
static const char *const leaves[N_LEAVES] = {
    "1.1.1", "1.1.2", "1.1.3", "1.2.1", "1.2.2", "1.2.3", "1.3.1", "1.3.2",
    "1.3.3", "1.3.4", "1.3.5", "2.1",	"2.2",	 "3.1",	  "3.2",   "3.3"};
static const int weights[N_LEAVES] = {54, 72, 54, 72,  54,  54, 48, 48,
				      48, 48, 48, 180, 120, 40, 50, 10};

/* The drafting organizations of every evaluation of these tests. */
#define DRAFT_SH  "上海起草单位"
#define DRAFT_ABC "abc"
#define DRAFT_SG  "Société Générale"

/* ---- people ---- */

struct person {
	const char *name, *role, *org;
	long long id;
	char *token;
};

/* Panel experts, each of another organization than every other and than
 * the drafting ones. */
#define N_EXPERTS 8
static struct person E[N_EXPERTS] = {
    {"e_bj", "expert", "北京标准化研究院", 0, NULL},
    {"e_gz", "expert", "广州信息中心", 0, NULL},
    {"e_gamma", "expert", "Gamma Consulting Ltd", 0, NULL},
    {"e_sz", "expert", "深圳质量协会", 0, NULL},
    {"e_delta", "expert", "Delta University", 0, NULL},
    {"e_hz", "expert", "杭州数据局", 0, NULL},
    {"e_eps", "expert", "Epsilon GmbH", 0, NULL},
    {"e_cd", "expert", "成都政务服务中心", 0, NULL},
};
/* Experts of a drafting organization, written differently. */
static struct person D_space = {"d_space", "expert", DRAFT_SH " ", 0, NULL};
static struct person D_ideo = {"d_ideo", "expert", "\xe3\x80\x80" DRAFT_SH, 0,
			       NULL};
static struct person D_wide = {"d_wide", "expert", "ＡＢＣ", 0, NULL};
static struct person D_upper = {"d_upper", "expert", "SOCIÉTÉ GÉNÉRALE", 0,
				NULL};
/* A neighbour of a drafting organization, which is not one. */
static struct person D_near = {"d_near", "expert", DRAFT_SH "分公司", 0, NULL};
/* An expert on no panel at all. */
static struct person Lonely = {"e_lonely", "expert", "Lonely Institute", 0,
			       NULL};
static struct person Sec = {"sec", "secretary", "评审委员会秘书处", 0, NULL};
static struct person Sec2 = {"sec2", "secretary", "另一个秘书处", 0, NULL};
static struct person Aud = {"aud", "auditor", "审计部", 0, NULL};

static struct it_server *server;
static char *admin_token;

/* ---- the writes of the full evaluation, for the audit test ---- */

static const char *const actions[] = {
    "evaluation.create", "meeting.create",   "seat.accept",
    "seat.recuse",	 "round.open",	     "ballot.submit",
    "round.close",	 "meeting.finalize", "verdict.finalize"};
#define N_ACTIONS (sizeof actions / sizeof actions[0])

static struct {
	bool counting, done;
	int writes[N_ACTIONS];
	long long eval, meeting;
} full;

static void
note(const char *action)
{
	if (!full.counting)
		return;
	for (size_t i = 0; i < N_ACTIONS; i++) {
		if (strcmp(actions[i], action) == 0) {
			full.writes[i]++;
			return;
		}
	}
	fail_msg("unknown action %s", action);
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

static bool
q_eq(struct q a, struct q b)
{
	return a.n == b.n && a.d == b.d;
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

/* ---- aggregation and statistics, written from DESIGN.md ---- */

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

/* The aggregate of n ratings in hundredths, exactly, in hundredths. */
static struct q
agg_exact(const char *method, int trim, const int64_t *v, size_t n)
{
	int64_t s[32], sum = 0;
	size_t lo = 0, hi = n;

	assert_true(n > 0 && n <= 32);
	sorted_copy(v, n, s);
	if (strcmp(method, "median") == 0)
		return n % 2 ? q_make(s[n / 2], 1)
			     : q_make(s[n / 2 - 1] + s[n / 2], 2);
	if (strcmp(method, "trimmed_mean") == 0) {
		assert_true(n >= 2 * (size_t)trim + 1);
		lo = (size_t)trim;
		hi = n - (size_t)trim;
	}
	for (size_t i = lo; i < hi; i++)
		sum += s[i];
	return q_make(sum, (int64_t)(hi - lo));
}

/* 4 x the linear (numpy) quartile k (1 or 3) of sorted s, in hundredths:
 * exact, since the position is a multiple of 1/4. */
static int64_t
quartile_x4(const int64_t *s, size_t n, int k)
{
	size_t pos4 = (size_t)k * (n - 1), lo = pos4 / 4, r = pos4 % 4;

	if (r == 0)
		return 4 * s[lo];
	return 4 * s[lo] + (int64_t)r * (s[lo + 1] - s[lo]);
}

static double
dabs(double x)
{
	return x < 0 ? -x : x;
}

/* Fails unless the JSON decimal string is within tol of want. */
static void
assert_near(const json_t *got, double want, double tol, const char *what)
{
	const char *s = json_string_value(got);

	if (s == NULL) {
		fail_msg("%s is not a decimal string", what);
		return;
	}
	if (dabs(strtod(s, NULL) - want) > tol)
		fail_msg("%s is %s, want %.6f", what, s, want);
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

/*
 * Deferred failures: a wrong field that would hide every later check is
 * recorded here and fails the test at its end (soft_assert), so one run
 * shows all that is wrong.
 */
static struct {
	size_t n;
	char log[2048];
} soft;

static void
soft_str(const json_t *got, const char *want, const char *what)
{
	const char *s = json_string_value(got);
	size_t len = strlen(soft.log);

	if (s != NULL && strcmp(s, want) == 0)
		return;
	if (soft.n++ < 6 && len < sizeof soft.log)
		snprintf(soft.log + len, sizeof soft.log - len,
			 "  %s is \"%s\", want \"%s\"\n", what,
			 s ? s : "(none)", want);
}

static int
soft_reset(void **state)
{
	(void)state;
	soft.n = 0;
	soft.log[0] = '\0';
	return 0;
}

static void
soft_assert(void)
{
	if (soft.n > 0)
		fail_msg("%zu deferred failures, the first ones:\n%s", soft.n,
			 soft.log);
}

/* Kendall's W of m raters over n items with the tie correction. */
static double
kendall_w(const int64_t *matrix, size_t m, size_t n)
{
	double R[32] = {0}, T = 0, mean, S = 0;

	assert_true(n <= 32);
	for (size_t e = 0; e < m; e++) {
		const int64_t *row = matrix + e * n;

		for (size_t k = 0; k < n; k++) {
			size_t less = 0, same = 0;

			for (size_t j = 0; j < n; j++) {
				less += row[j] < row[k];
				same += row[j] == row[k];
			}
			R[k] += (double)less + ((double)same + 1) / 2;
			/* sum over a tie group of t of (t^2 - 1) = t^3 - t */
			T += (double)same * (double)same - 1;
		}
	}
	mean = (double)m * ((double)n + 1) / 2;
	for (size_t k = 0; k < n; k++)
		S += (R[k] - mean) * (R[k] - mean);
	return 12 * S /
	       ((double)m * (double)m * ((double)n * n * n - (double)n) -
		(double)m * T);
}

/*
 * Fails unless one item of a round's results is what the ratings v (in
 * hundredths) give under the rules; returns its consensus.
 */
static bool
check_item_result(const json_t *it, const char *code, const int64_t *v,
		  size_t n, const char *method, int trim)
{
	int64_t s[32], s1 = 0, q1, q3;
	__int128 s2 = 0, spread;
	struct q value = agg_exact(method, trim, v, n), exact;
	double mean, var, sd;
	char buf[40], what[64];
	bool cv_ok, iqr_ok;
	const json_t *ex = json_object_get(it, "exact");

	sorted_copy(v, n, s);
	for (size_t i = 0; i < n; i++) {
		s1 += v[i];
		s2 += (__int128)v[i] * v[i];
	}
	spread = (__int128)n * s2 - (__int128)s1 * s1;
	q1 = quartile_x4(s, n, 1);
	q3 = quartile_x4(s, n, 3);
	/* IQR <= 10 points and CV <= 1/4: n spread 16 <= (n - 1) s1^2 */
	iqr_ok = q3 - q1 <= 4 * 1000;
	cv_ok = spread == 0 ||
		(__int128)n * spread * 16 <= (__int128)(n - 1) * s1 * s1;
	mean = (double)s1 / (double)n / 100;
	var = n > 1 ? (double)spread / ((double)n * (double)(n - 1)) / 1e4 : 0;

	snprintf(what, sizeof what, "item %s", code);
	assert_str(json_object_get(it, "item"), code, what);
	assert_int_equal(json_integer_value(json_object_get(it, "n")), n);
	assert_str(json_object_get(it, "value"), fixed(q_round(value), 2, buf),
		   what);
	assert_true(json_is_integer(json_object_get(ex, "num")));
	assert_true(json_is_integer(json_object_get(ex, "den")));
	exact = q_make(json_integer_value(json_object_get(ex, "num")),
		       json_integer_value(json_object_get(ex, "den")));
	if (!q_eq(exact, value))
		fail_msg("%s: exact %lld/%lld, want %lld/%lld", what,
			 (long long)exact.n, (long long)exact.d,
			 (long long)value.n, (long long)value.d);
	/* Display statistics: to their printed precision. */
	assert_near(json_object_get(it, "mean"), mean, 0.0051, "mean");
	if (strcmp(method, "trimmed_mean") == 0)
		assert_near(json_object_get(it, "trimmed_mean"),
			    (double)value.n / (double)value.d / 100, 0.0051,
			    "trimmed_mean");
	{
		struct q med = agg_exact("median", 0, v, n);

		assert_near(json_object_get(it, "median"),
			    (double)med.n / (double)med.d / 100, 0.0051,
			    "median");
	}
	assert_near(json_object_get(it, "q1"), (double)q1 / 400, 0.0051, "q1");
	assert_near(json_object_get(it, "q3"), (double)q3 / 400, 0.0051, "q3");
	assert_near(json_object_get(it, "iqr"), (double)(q3 - q1) / 400, 0.0051,
		    "iqr");
	assert_near(json_object_get(it, "min"), (double)s[0] / 100, 0.0051,
		    "min");
	assert_near(json_object_get(it, "max"), (double)s[n - 1] / 100, 0.0051,
		    "max");
	/* sd without libm: its square against the variance */
	sd = strtod(json_string_value(json_object_get(it, "sd")), NULL);
	if ((sd > 0.0051 && (sd - 0.0051) * (sd - 0.0051) > var + 1e-9) ||
	    (sd + 0.0051) * (sd + 0.0051) < var - 1e-9)
		fail_msg("%s: sd %f, variance %f", what, sd, var);
	if (mean > 0 && sd > 0) {
		double cv =
		    strtod(json_string_value(json_object_get(it, "cv")), NULL);

		if (dabs(cv * mean - sd) > 0.0001 * mean + 0.0051)
			fail_msg("%s: cv %f with sd %f, mean %f", what, cv, sd,
				 mean);
	}
	assert_true(json_is_boolean(json_object_get(it, "consensus")));
	if (json_is_true(json_object_get(it, "consensus")) != (iqr_ok && cv_ok))
		fail_msg("%s: consensus %s, want %s (IQR %s)", what,
			 json_is_true(json_object_get(it, "consensus"))
			     ? "true"
			     : "false",
			 iqr_ok && cv_ok ? "true" : "false",
			 fixed((q3 - q1) / 4, 2, buf));
	return iqr_ok && cv_ok;
}

/* ---- what a finished panel decides ---- */

struct expect {
	struct q values[N_LEAVES]; /* hundredths */
	struct q total;		   /* hundredths */
	int64_t published;
	bool advanced;
	size_t n_experts;
	long long experts[N_EXPERTS];
	int64_t loo[N_EXPERTS];
	bool loo_advanced[N_EXPERTS], robust;
};

/* The published total of the scores (hundredths) [e][k] of n experts,
 * leaving out expert `skip` (-1: none). */
static struct q
total_of(const char *method, int trim, int64_t (*scores)[N_LEAVES], size_t n,
	 int skip, struct q *values)
{
	struct q total = q_make(0, 1);

	for (size_t k = 0; k < N_LEAVES; k++) {
		int64_t col[N_EXPERTS];
		size_t m = 0;
		struct q v;

		for (size_t e = 0; e < n; e++) {
			if ((int)e != skip)
				col[m++] = scores[e][k];
		}
		v = agg_exact(method, trim, col, m);
		if (values != NULL)
			values[k] = v;
		total = q_add(total, q_mul(q_make(weights[k], 1000), v));
	}
	return total;
}

static void
expect_compute(struct expect *x, const char *method, int trim,
	       int64_t (*scores)[N_LEAVES], const int *who, size_t n)
{
	memset(x, 0, sizeof *x);
	x->total = total_of(method, trim, scores, n, -1, x->values);
	x->published = q_round(x->total);
	x->advanced = x->published >= 8500;
	x->n_experts = n;
	x->robust = true;
	for (size_t e = 0; e < n; e++) {
		x->experts[e] = E[who[e]].id;
		x->loo[e] =
		    q_round(total_of(method, trim, scores, n, (int)e, NULL));
		x->loo_advanced[e] = x->loo[e] >= 8500;
		if (x->loo_advanced[e] != x->advanced)
			x->robust = false;
	}
}

/* ---- HTTP ---- */

/* Asserts the status and returns the answer's JSON (a new reference). */
static json_t *
take(struct it_resp *r, long status)
{
	json_t *j;

	it_assert_status(r, status);
	j = json_incref(r->json);
	it_resp_free(r);
	return j;
}

static void
take_error(struct it_resp *r, long status, const char *code)
{
	it_assert_error(r, status, code);
	it_resp_free(r);
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

/* Sends body (stolen) with method to the formatted path. */
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

static void
person_make(struct person *p)
{
	json_t *j =
	    take(it_send_json("POST", V1 "/users", admin_token,
			      json_pack("{s:s, s:s, s:s, s:s, s:s}", "username",
					p->name, "role", p->role, "password",
					PASSWORD, "organization", p->org,
					"display_name", p->name)),
		 201);

	p->id = json_integer_value(json_object_get(j, "id"));
	assert_true(p->id > 0);
	assert_str(json_object_get(j, "organization"), p->org, "organization");
	json_decref(j);
	p->token = it_login(p->name, PASSWORD);
}

/* ---- the procedure ---- */

static long long
eval_new(const char *title)
{
	json_t *j = take(
	    send_to("POST", Sec.token,
		    json_pack("{s:s, s:{s:s, s:s}, s:[s,s,s], s:s}", "title",
			      title, "standard", "code", "DB31/T 9999-2024",
			      "title", "一网通办政务服务事项办理规范",
			      "drafting_organizations", DRAFT_SH, DRAFT_ABC,
			      DRAFT_SG, "template", "ywtb"),
		    V1 "/evaluations"),
	    201);
	long long id = json_integer_value(json_object_get(j, "id"));

	assert_true(id > 0);
	assert_str(json_object_get(j, "stage"), "scoring", "stage");
	assert_str(json_object_get(j, "threshold"), "85.00", "threshold");
	assert_str(json_object_get(j, "template"), "ywtb", "template");
	assert_str(json_object_get(j, "title"), title, "title");
	assert_true(json_is_null(json_object_get(j, "verdict")));
	assert_true(json_is_integer(json_object_get(j, "version")));
	assert_true(json_is_string(json_object_get(j, "created_at")));
	assert_int_equal(
	    json_array_size(json_object_get(j, "drafting_organizations")), 3);
	json_decref(j);
	note("evaluation.create");
	return id;
}

static json_t *
experts_of(const int *who, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_integer(E[who[i]].id));
	return a;
}

static json_t *
meeting_body(json_t *experts, const char *method, int trim, int quorum)
{
	return json_pack("{s:s, s:s, s:o, s:{s:s, s:i}, s:{s:s, s:s, s:s},"
			 " s:i}",
			 "kind", "scoring", "title", "标准先进性评审会",
			 "experts", experts, "aggregation", "method", method,
			 "trim", trim, "consensus", "max_iqr", "10", "max_cv",
			 "0.25", "quantile", "linear", "quorum", quorum);
}

static long long
meeting_new(long long eval, const int *who, size_t n, const char *method,
	    int trim, int quorum)
{
	json_t *j =
	    take(send_to("POST", Sec.token,
			 meeting_body(experts_of(who, n), method, trim, quorum),
			 V1 "/evaluations/%lld/meetings", eval),
		 201);
	long long id = json_integer_value(json_object_get(j, "id"));
	json_t *panel = json_object_get(j, "panel"), *p;
	size_t i;

	assert_true(id > 0);
	assert_int_equal(
	    json_integer_value(json_object_get(j, "evaluation_id")), eval);
	assert_str(json_object_get(j, "kind"), "scoring", "kind");
	assert_str(json_object_get(j, "state"), "open", "state");
	assert_str(json_object_get(json_object_get(j, "aggregation"), "method"),
		   method, "method");
	assert_int_equal(json_integer_value(json_object_get(j, "quorum")),
			 quorum);
	assert_int_equal(json_array_size(panel), n);
	json_array_foreach(panel, i, p)
	{
		assert_str(json_object_get(p, "seat"), "invited", "seat");
	}
	assert_int_equal(json_array_size(json_object_get(j, "rounds")), 0);
	json_decref(j);
	note("meeting.create");
	return id;
}

static void
seat_accept(long long meeting, const struct person *p)
{
	json_t *j =
	    take(send_to("POST", p->token,
			 json_pack("{s:b, s:s}", "conflict_of_interest", 0,
				   "statement", "本人与该标准无利益冲突"),
			 V1 "/meetings/%lld/seat", meeting),
		 200);

	assert_str(json_object_get(j, "seat"), "seated", "seat");
	json_decref(j);
	note("seat.accept");
}

static void
seat_recuse(long long meeting, const struct person *p)
{
	json_t *j =
	    take(send_to("POST", p->token,
			 json_pack("{s:b, s:s, s:s}", "conflict_of_interest", 1,
				   "reason", "employment", "statement",
				   "三年内曾受雇于起草单位"),
			 V1 "/meetings/%lld/seat", meeting),
		 200);

	assert_str(json_object_get(j, "seat"), "recused", "seat");
	json_decref(j);
	note("seat.recuse");
}

/* Opens the next round over items (stolen; NULL: the default) and
 * returns its number after checking its items against want (NULL: all
 * leaves). */
static int
round_open(long long meeting, json_t *items, const char *const *want,
	   size_t n_want)
{
	json_t *body = items ? json_pack("{s:o}", "items", items) : NULL;
	json_t *j = take(send_to("POST", Sec.token, body,
				 V1 "/meetings/%lld/rounds", meeting),
			 201);
	json_t *got = json_object_get(j, "items");
	int n = (int)json_integer_value(json_object_get(j, "n"));

	if (want == NULL) {
		want = leaves;
		n_want = N_LEAVES;
	}
	assert_true(n >= 1);
	assert_int_equal(json_array_size(got), n_want);
	for (size_t i = 0; i < n_want; i++)
		assert_str(json_array_get(got, i), want[i], "round item");
	json_decref(j);
	note("round.open");
	return n;
}

/* {"scores":[...]} for the given items: strings ("85.50") or, with
 * numbers, JSON numbers (85.5, 85). */
static json_t *
ballot_of(const int64_t *scores, const char *const *codes, size_t n,
	  bool numbers)
{
	json_t *list = json_array();
	char buf[40];

	for (size_t k = 0; k < n; k++) {
		json_t *v;

		if (!numbers)
			v = json_string(fixed(scores[k], 2, buf));
		else if (scores[k] % 100 == 0)
			v = json_integer(scores[k] / 100);
		else
			v = json_real((double)scores[k] / 100);
		json_array_append_new(list, json_pack("{s:s, s:o}", "item",
						      codes[k], "score", v));
	}
	return json_pack("{s:o}", "scores", list);
}

/* A ballot over all 16 leaves, every score the same. */
static json_t *
ballot_all(int64_t score)
{
	int64_t s[N_LEAVES];

	for (size_t k = 0; k < N_LEAVES; k++)
		s[k] = score;
	return ballot_of(s, leaves, N_LEAVES, false);
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

	assert_true(json_is_boolean(json_object_get(j, "complete")));
	assert_int_equal(json_is_true(json_object_get(j, "complete")),
			 complete);
	assert_true(version >= 1);
	json_decref(j);
	note("ballot.submit");
	return version;
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
	note("round.close");
	return j;
}

static void
meeting_finalize(long long meeting)
{
	json_t *j = take(send_to("POST", Sec.token, NULL,
				 V1 "/meetings/%lld/finalize", meeting),
			 200);

	json_decref(j);
	note("meeting.finalize");
}

static long long
count_rows(const char *fmt, long long id)
{
	char sql[512];

	snprintf(sql, sizeof sql, fmt, id);
	return it_db_long(sql);
}

static bool list_has_id(const json_t *items, long long id);

/* ---- checking outcomes ---- */

static const json_t *
node_find(const json_t *nodes, const char *code)
{
	const json_t *n;
	size_t i;

	json_array_foreach(nodes, i, n)
	{
		const json_t *c = json_object_get(n, "children");
		const json_t *found;

		if (strcmp(json_string_value(json_object_get(n, "code")),
			   code) == 0)
			return n;
		if (c != NULL && (found = node_find(c, code)) != NULL)
			return found;
	}
	return NULL;
}

static const char *
weight_text(int k, char buf[40])
{
	snprintf(buf, 40, "0.%03d", weights[k]);
	return buf;
}

/* The contribution of leaf k, to 4 decimals: weight x value / 100. */
static const char *
contribution_text(const struct expect *x, int k, char buf[40])
{
	return fixed(q_round(q_mul(x->values[k], q_make(weights[k], 10))), 4,
		     buf);
}

/* GET /evaluations/{id}/table: values, contributions, total. */
static void
check_table(long long eval, const struct expect *x)
{
	json_t *t =
	    take(get(Sec.token, V1 "/evaluations/%lld/table", eval), 200);
	const json_t *nodes = json_object_get(t, "nodes");
	char buf[40], what[32];

	for (int k = 0; k < N_LEAVES; k++) {
		const json_t *leaf = node_find(nodes, leaves[k]);

		snprintf(what, sizeof what, "table %s", leaves[k]);
		assert_non_null(leaf);
		assert_str(json_object_get(leaf, "global_weight"),
			   weight_text(k, buf), what);
		assert_str(json_object_get(leaf, "value"),
			   fixed(q_round(x->values[k]), 2, buf), what);
		assert_str(json_object_get(leaf, "contribution"),
			   contribution_text(x, k, buf), what);
	}
	assert_str(json_object_get(t, "total"), fixed(x->published, 2, buf),
		   "table total");
	assert_true(json_is_boolean(json_object_get(t, "advanced")));
	assert_int_equal(json_is_true(json_object_get(t, "advanced")),
			 x->advanced);
	assert_int_equal(json_integer_value(json_object_get(
			     json_object_get(t, "evaluation"), "id")),
			 eval);
	json_decref(t);
}

/* The figures a preview and a verdict share. */
static void
check_figures(const json_t *v, const struct expect *x)
{
	const json_t *bd = json_object_get(v, "breakdown"), *loo, *line;
	char buf[40], what[48];
	size_t i;

	assert_str(json_object_get(v, "total"), fixed(x->published, 2, buf),
		   "total");
	assert_true(json_is_boolean(json_object_get(v, "advanced")));
	assert_int_equal(json_is_true(json_object_get(v, "advanced")),
			 x->advanced);
	assert_str(json_object_get(v, "conclusion"),
		   x->advanced ? "具有先进性" : "不具有先进性", "conclusion");
	assert_str(json_object_get(v, "threshold"), "85.00", "threshold");
	assert_int_equal(json_array_size(bd), N_LEAVES);
	for (int k = 0; k < N_LEAVES; k++) {
		line = json_array_get(bd, (size_t)k);
		snprintf(what, sizeof what, "breakdown %s", leaves[k]);
		assert_str(json_object_get(line, "item"), leaves[k], what);
		snprintf(what, sizeof what, "breakdown %s global_weight",
			 leaves[k]);
		soft_str(json_object_get(line, "global_weight"),
			 weight_text(k, buf), what);
		snprintf(what, sizeof what, "breakdown %s value", leaves[k]);
		soft_str(json_object_get(line, "value"),
			 fixed(q_round(x->values[k]), 2, buf), what);
		snprintf(what, sizeof what, "breakdown %s contribution",
			 leaves[k]);
		soft_str(json_object_get(line, "contribution"),
			 contribution_text(x, k, buf), what);
	}
	loo = json_object_get(v, "leave_one_out");
	assert_int_equal(json_array_size(loo), x->n_experts);
	json_array_foreach(loo, i, line)
	{
		long long id =
		    json_integer_value(json_object_get(line, "expert"));
		size_t e;

		for (e = 0; e < x->n_experts && x->experts[e] != id; e++)
			;
		if (e == x->n_experts)
			fail_msg("leave_one_out names expert %lld", id);
		snprintf(what, sizeof what, "leave out %lld", id);
		assert_str(json_object_get(line, "total"),
			   fixed(x->loo[e], 2, buf), what);
		assert_int_equal(
		    json_is_true(json_object_get(line, "advanced")),
		    x->loo_advanced[e]);
	}
	assert_true(json_is_boolean(json_object_get(v, "robust")));
	assert_int_equal(json_is_true(json_object_get(v, "robust")), x->robust);
}

static void
check_preview(long long eval, const struct expect *x)
{
	json_t *v = take(
	    get(Sec.token, V1 "/evaluations/%lld/verdict/preview", eval), 200);

	check_figures(v, x);
	json_decref(v);
}

/* ---- the verdict's signature ---- */

/* Decodes canonical base64 of exactly want bytes. */
static bool
b64_decode(const char *s, unsigned char *out, size_t want)
{
	unsigned char buf[128];
	size_t len = strlen(s), enc = 4 * ((want + 2) / 3);
	int n;

	if (len != enc || len > 4 * sizeof buf / 3)
		return false;
	n = EVP_DecodeBlock(buf, (const unsigned char *)s, (int)len);
	/* EVP_DecodeBlock counts the padding as zero bytes. */
	if (n != (int)(3 * len / 4))
		return false;
	for (size_t i = want; i < (size_t)n; i++) {
		if (buf[i] != 0)
			return false;
	}
	memcpy(out, buf, want);
	return true;
}

/* The canonical JSON of a verdict: without "signature", compact, keys
 * sorted (caller frees). */
static char *
verdict_canonical(const json_t *verdict)
{
	json_t *doc = json_deep_copy(verdict);
	char *text;

	json_object_del(doc, "signature");
	text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(doc);
	return text;
}

/* True when the verdict's signature verifies with the key of GET /keys
 * that it names. */
static bool
verdict_verifies(const json_t *verdict, const json_t *keys)
{
	const json_t *sig = json_object_get(verdict, "signature"), *k = NULL;
	const char *key_id = json_string_value(json_object_get(sig, "key_id"));
	unsigned char pub[32], raw[64];
	char *canonical;
	EVP_PKEY *pkey;
	EVP_MD_CTX *ctx;
	bool ok = false;
	size_t i;

	assert_non_null(key_id);
	assert_str(json_object_get(sig, "alg"), "Ed25519", "alg");
	json_array_foreach(keys, i, k)
	{
		if (strcmp(json_string_value(json_object_get(k, "key_id")),
			   key_id) == 0)
			break;
	}
	if (i == json_array_size(keys))
		fail_msg("GET /keys has no key %s", key_id);
	assert_str(json_object_get(k, "alg"), "Ed25519", "key alg");
	assert_true(b64_decode(
	    json_string_value(json_object_get(k, "public_key")), pub, 32));
	assert_true(b64_decode(json_string_value(json_object_get(sig, "value")),
			       raw, 64));
	canonical = verdict_canonical(verdict);
	pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, 32);
	ctx = EVP_MD_CTX_new();
	assert_non_null(pkey);
	assert_non_null(ctx);
	if (EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pkey) == 1)
		ok = EVP_DigestVerify(ctx, raw, 64,
				      (const unsigned char *)canonical,
				      strlen(canonical)) == 1;
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	free(canonical);
	return ok;
}

/* POST /evaluations/{id}/verdict: the figures, who, when, the signature
 * (and that a changed total no longer verifies); returns the verdict. */
static json_t *
verdict_finalize(long long eval, const struct expect *x, const char *statement)
{
	json_t *body =
	    statement ? json_pack("{s:s}", "statement", statement) : NULL;
	json_t *v = take(send_to("POST", Sec.token, body,
				 V1 "/evaluations/%lld/verdict", eval),
			 201);
	json_t *keys = take(it_get(V1 "/keys", NULL), 200), *tampered, *again;
	const json_t *by = json_object_get(v, "finalized_by");
	char *canonical, *sql;

	note("verdict.finalize");
	check_figures(v, x);
	assert_int_equal(
	    json_integer_value(json_object_get(v, "evaluation_id")), eval);
	if (statement)
		assert_str(json_object_get(v, "statement"), statement,
			   "statement");
	else
		assert_true(json_is_null(json_object_get(v, "statement")));
	assert_true(json_is_string(json_object_get(v, "finalized_at")));
	assert_int_equal(json_integer_value(json_object_get(by, "id")), Sec.id);
	assert_str(json_object_get(by, "username"), Sec.name, "finalized_by");
	assert_true(json_is_array(keys));
	assert_true(json_array_size(keys) >= 1);

	/* The signature covers the canonical document... */
	assert_true(verdict_verifies(v, keys));
	/* ...which is the text the server stored and signed. */
	canonical = verdict_canonical(v);
	assert_null(strstr(canonical, "$c$"));
	sql = malloc(strlen(canonical) + 128);
	assert_non_null(sql);
	sprintf(sql,
		"SELECT (canonical = $c$%s$c$)::int FROM verdicts"
		" WHERE evaluation_id = %lld",
		canonical, eval);
	assert_int_equal(it_db_long(sql), 1);
	free(sql);
	free(canonical);
	/* A total changed by a hundredth no longer verifies. */
	tampered = json_deep_copy(v);
	json_object_set_new(tampered, "total", json_string("99.99"));
	assert_false(verdict_verifies(tampered, keys));
	json_decref(tampered);
	tampered = json_deep_copy(v);
	json_object_set_new(tampered, "advanced", json_boolean(!x->advanced));
	assert_false(verdict_verifies(tampered, keys));
	json_decref(tampered);

	/* GET gives the same document back, and it still verifies. */
	again = take(get(Sec.token, V1 "/evaluations/%lld/verdict", eval), 200);
	if (!json_equal(again, v)) {
		char *a = json_dumps(again, JSON_COMPACT | JSON_SORT_KEYS);
		char *b = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);

		fail_msg("GET verdict %s\nPOST gave %s", a, b);
	}
	assert_true(verdict_verifies(again, keys));
	json_decref(again);
	json_decref(keys);
	return v;
}

/* ---- setup ---- */

static int
meetings_setup(void **state)
{
	static const char *const args[] = {"--scrypt-log2-n=" IT_FAST_SCRYPT,
					   "--login-max-failures=1000", NULL};
	struct person *others[] = {&D_space, &D_ideo, &D_wide,
				   &D_upper, &D_near, &Lonely,
				   &Sec,     &Sec2,   &Aud};

	(void)state;
	it_env_start();
	assert_int_equal(
	    it_create_admin(IT_ADMIN_NAME, IT_ADMIN_PASSWORD, IT_FAST_SCRYPT),
	    0);
	server = it_server_start(args);
	admin_token = it_login(IT_ADMIN_NAME, IT_ADMIN_PASSWORD);
	for (size_t i = 0; i < N_EXPERTS; i++)
		person_make(&E[i]);
	for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
		person_make(others[i]);
	return 0;
}

static int
meetings_teardown(void **state)
{
	struct person *others[] = {&D_space, &D_ideo, &D_wide,
				   &D_upper, &D_near, &Lonely,
				   &Sec,     &Sec2,   &Aud};

	(void)state;
	for (size_t i = 0; i < N_EXPERTS; i++)
		free(E[i].token);
	for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
		free(others[i]->token);
	free(admin_token);
	it_env_stop();
	return 0;
}

/* ---- 1. a whole evaluation ---- */

/* Round 1: 7 experts, base + a spread of at most 3 points, except 2.1,
 * where the panel disagrees (IQR 20); round 2 rates 2.1 again. */
static const int64_t base1[N_LEAVES] = {8850, 8700, 9020, 8575, 8800, 8690,
					8730, 8910, 8655, 8800, 8725, 0,
					8480, 9100, 8950, 8333};
static const int64_t r1_2_1[7] = {9800, 6000, 8500, 7000, 9500, 7500, 9000};
static const int64_t r2_2_1[7] = {8650, 8400, 8800, 8500, 9900, 8600, 8700};

static int64_t
score1(int e, int k)
{
	if (k == LEAF_2_1)
		return r1_2_1[e];
	return base1[k] + (((e * 7 + k * 3) % 9) - 4) * 75;
}

/* Round results against the ratings [e][k] of the round's items. */
static void
check_results(const json_t *res, int round, int64_t (*m)[N_LEAVES],
	      size_t n_exp, const char *const *codes, size_t n_items,
	      const char *method, int trim, bool *consensus)
{
	const json_t *items = json_object_get(res, "items");

	assert_int_equal(json_integer_value(json_object_get(res, "round")),
			 round);
	assert_int_equal(json_integer_value(json_object_get(res, "n")), n_exp);
	assert_int_equal(json_array_size(items), n_items);
	for (size_t k = 0; k < n_items; k++) {
		int64_t col[N_EXPERTS];

		for (size_t e = 0; e < n_exp; e++)
			col[e] = m[e][k];
		consensus[k] =
		    check_item_result(json_array_get(items, k), codes[k], col,
				      n_exp, method, trim);
	}
	assert_str(json_object_get(json_object_get(res, "rules"), "method"),
		   method, "rules.method");
	assert_null(json_object_get(res, "ballots"));
}

static void
test_full_evaluation(void **state)
{
	static const int who[8] = {0, 1, 2, 3, 4, 5, 6, 7};
	static const char *const only_2_1[] = {"2.1"};
	int64_t m1[N_EXPERTS][N_LEAVES], m2[N_EXPERTS][N_LEAVES],
	    decided[N_EXPERTS][N_LEAVES];
	bool consensus[N_LEAVES];
	struct expect x;
	json_t *j, *res, *rounds, *panel, *p, *ballots;
	long long eval, meeting;
	int n1, n2, without = 0;
	char buf[40];
	size_t i;

	(void)state;
	memset(&full, 0, sizeof full);
	full.counting = true;
	eval = eval_new("一网通办标准先进性评价（全流程）");
	full.eval = eval;

	/* The table of the template, without values yet. */
	j = take(get(Sec.token, V1 "/evaluations/%lld/table", eval), 200);
	for (int k = 0; k < N_LEAVES; k++) {
		const json_t *leaf =
		    node_find(json_object_get(j, "nodes"), leaves[k]);

		assert_non_null(leaf);
		assert_str(json_object_get(leaf, "global_weight"),
			   weight_text(k, buf), leaves[k]);
		assert_null(json_object_get(leaf, "value"));
	}
	assert_true(json_is_null(json_object_get(j, "total")));
	assert_true(json_is_null(json_object_get(j, "advanced")));
	json_decref(j);
	/* Nothing to preview before the scoring meeting is finalized. */
	take_error(get(Sec.token, V1 "/evaluations/%lld/verdict/preview", eval),
		   409, "scoring_not_finalized");

	/* Eight invited, seven seated, one recused for employment. */
	meeting = meeting_new(eval, who, 8, "trimmed_mean", 1, 5);
	full.meeting = meeting;
	take_error(send_to("POST", Sec.token,
			   meeting_body(experts_of(who, 5), "mean", 0, 5),
			   V1 "/evaluations/%lld/meetings", eval),
		   409, "meeting_open");
	for (int e = 0; e < 7; e++)
		seat_accept(meeting, &E[e]);
	seat_recuse(meeting, &E[7]);
	/* A recusal is final. */
	{
		struct it_resp *r =
		    send_to("POST", E[7].token,
			    json_pack("{s:b}", "conflict_of_interest", 0),
			    V1 "/meetings/%lld/seat", meeting);

		if (r->status != 403)
			it_assert_error(r, 409, "seat_recused");
		it_resp_free(r);
	}
	j = take(get(Sec.token, V1 "/meetings/%lld", meeting), 200);
	panel = json_object_get(j, "panel");
	assert_int_equal(json_array_size(panel), 8);
	json_array_foreach(panel, i, p)
	{
		long long id = json_integer_value(
		    json_object_get(json_object_get(p, "expert"), "id"));

		assert_str(json_object_get(p, "seat"),
			   id == E[7].id ? "recused" : "seated", "seat");
		assert_true(json_is_string(json_object_get(
		    json_object_get(p, "expert"), "organization")));
	}
	json_decref(j);

	/* Round 1 over every leaf. */
	n1 = round_open(meeting, NULL, NULL, 0);
	assert_int_equal(n1, 1);
	take_error(send_to("POST", Sec.token, NULL, V1 "/meetings/%lld/rounds",
			   meeting),
		   409, "round_open");
	for (int e = 0; e < 7; e++) {
		for (int k = 0; k < N_LEAVES; k++)
			m1[e][k] = score1(e, k);
		/* The first expert sends JSON numbers, the others strings. */
		assert_int_equal(
		    ballot_put(meeting, n1, &E[e],
			       ballot_of(m1[e], leaves, N_LEAVES, e == 0),
			       true),
		    1);
		j = take(get(Sec.token, V1 "/meetings/%lld", meeting), 200);
		rounds = json_object_get(j, "rounds");
		assert_int_equal(json_array_size(rounds), 1);
		assert_int_equal(
		    json_integer_value(json_object_get(
			json_array_get(rounds, 0), "complete_ballots")),
		    e + 1);
		json_decref(j);
	}
	/* The expert reads back what they sent, as decimals. */
	j = take(get(E[0].token, V1 "/meetings/%lld/rounds/1/ballot", meeting),
		 200);
	assert_int_equal(json_integer_value(json_object_get(j, "version")), 1);
	assert_true(json_is_true(json_object_get(j, "complete")));
	assert_true(json_is_null(json_object_get(j, "previous")));
	assert_int_equal(json_array_size(json_object_get(j, "scores")),
			 N_LEAVES);
	for (int k = 0; k < N_LEAVES; k++) {
		const json_t *s =
		    json_array_get(json_object_get(j, "scores"), (size_t)k);

		assert_str(json_object_get(s, "item"), leaves[k], "item");
		assert_str(json_object_get(s, "score"), fixed(m1[0][k], 2, buf),
			   "score");
	}
	json_decref(j);

	res = round_close(meeting, n1);
	check_results(res, 1, m1, 7, leaves, N_LEAVES, "trimmed_mean", 1,
		      consensus);
	for (int k = 0; k < N_LEAVES; k++) {
		if (!consensus[k])
			without++;
	}
	assert_int_equal(without, 1);
	assert_false(consensus[LEAF_2_1]);
	/* Kendall's W over 7 experts and 16 items, with its chi-square. */
	{
		const json_t *pw = json_object_get(res, "panel");
		double w = kendall_w(&m1[0][0], 7, N_LEAVES);

		assert_true(json_is_object(pw));
		assert_near(json_object_get(pw, "kendall_w"), w, 0.00011,
			    "kendall_w");
		assert_near(json_object_get(pw, "chi2"), 7 * 15 * w, 0.012,
			    "chi2");
		assert_int_equal(json_integer_value(json_object_get(pw, "df")),
				 15);
		assert_true(strtod(json_string_value(json_object_get(pw, "p")),
				   NULL) >= 0);
		assert_true(strtod(json_string_value(json_object_get(pw, "p")),
				   NULL) <= 1);
	}
	/* The panel reads the same results; an auditor also the ballots. */
	j = take(get(E[3].token, V1 "/meetings/%lld/rounds/1/results", meeting),
		 200);
	assert_true(json_equal(j, res));
	json_decref(j);
	j = take(get(Aud.token, V1 "/meetings/%lld/rounds/1/results", meeting),
		 200);
	ballots = json_object_get(j, "ballots");
	assert_int_equal(json_array_size(ballots), 7);
	for (int e = 0; e < 7; e++) {
		const json_t *b = NULL;

		json_array_foreach(ballots, i, p)
		{
			if (json_integer_value(json_object_get(
				json_object_get(p, "expert"), "id")) == E[e].id)
				b = p;
		}
		assert_non_null(b);
		assert_str(
		    json_object_get(json_object_get(b, "expert"), "username"),
		    E[e].name, "username");
		assert_int_equal(
		    json_integer_value(json_object_get(b, "revision")), 1);
		for (int k = 0; k < N_LEAVES; k++) {
			const json_t *s = json_array_get(
			    json_object_get(b, "scores"), (size_t)k);

			assert_str(json_object_get(s, "item"), leaves[k],
				   "item");
			assert_str(json_object_get(s, "score"),
				   fixed(m1[e][k], 2, buf), "audited score");
		}
	}
	json_decref(j);
	/* The recused expert sees nothing any more. */
	take_error(
	    get(E[7].token, V1 "/meetings/%lld/rounds/1/results", meeting), 403,
	    "forbidden");
	take_error(get(E[7].token, V1 "/evaluations/%lld", eval), 403,
		   "forbidden");
	j = take(it_get(V1 "/evaluations?limit=200", E[7].token), 200);
	assert_false(list_has_id(json_object_get(j, "items"), eval));
	json_decref(j);
	j = take(it_get(V1 "/evaluations?limit=200", E[6].token), 200);
	assert_true(list_has_id(json_object_get(j, "items"), eval));
	json_decref(j);

	json_decref(res);

	/* Round 2, by default over the item without consensus. */
	n2 = round_open(meeting, NULL, only_2_1, 1);
	assert_int_equal(n2, 2);
	for (int e = 0; e < 7; e++) {
		const json_t *prev, *line;

		j = take(get(E[e].token, V1 "/meetings/%lld/rounds/2/ballot",
			     meeting),
			 200);
		assert_int_equal(
		    json_integer_value(json_object_get(j, "round")), 2);
		assert_true(json_is_null(json_object_get(j, "version")));
		assert_int_equal(json_array_size(json_object_get(j, "scores")),
				 0);
		prev = json_object_get(j, "previous");
		assert_int_equal(
		    json_integer_value(json_object_get(prev, "round")), 1);
		assert_int_equal(
		    json_array_size(json_object_get(prev, "items")), 1);
		line = json_array_get(json_object_get(prev, "items"), 0);
		assert_str(json_object_get(line, "item"), "2.1", "item");
		assert_str(json_object_get(line, "median"), "85.00", "median");
		assert_str(json_object_get(line, "iqr"), "20.00", "iqr");
		assert_true(json_is_false(json_object_get(line, "consensus")));
		assert_str(json_object_get(line, "own_score"),
			   fixed(r1_2_1[e], 2, buf), "own_score");
		json_decref(j);
	}
	/* Round 2 knows only 2.1. */
	take_error(send_to("PUT", E[0].token,
			   ballot_of(&m1[0][0], leaves, 1, false),
			   V1 "/meetings/%lld/rounds/2/ballot", meeting),
		   422, "unknown_item");
	for (int e = 0; e < 7; e++) {
		m2[e][0] = r2_2_1[e];
		ballot_put(meeting, n2, &E[e],
			   ballot_of(m2[e], only_2_1, 1, e == 6), true);
	}
	res = round_close(meeting, n2);
	check_results(res, 2, m2, 7, only_2_1, 1, "trimmed_mean", 1, consensus);
	assert_true(consensus[0]);
	/* Kendall's W needs at least two items. */
	assert_true(json_is_null(json_object_get(res, "panel")));
	json_decref(res);
	/* Round 1's results are still there, unchanged. */
	j = take(get(Sec.token, V1 "/meetings/%lld/rounds/1/results", meeting),
		 200);
	assert_int_equal(json_integer_value(json_object_get(j, "round")), 1);
	json_decref(j);

	/* What the test expects: 2.1 from round 2, the rest from round 1. */
	for (int e = 0; e < 7; e++) {
		memcpy(decided[e], m1[e], sizeof decided[e]);
		decided[e][LEAF_2_1] = m2[e][0];
	}
	expect_compute(&x, "trimmed_mean", 1, decided, who, 7);
	print_message("full evaluation: total %s (exact %lld/%lld), %s, %s\n",
		      fixed(x.published, 2, buf), (long long)x.total.n,
		      (long long)x.total.d, x.advanced ? "advanced" : "not",
		      x.robust ? "robust" : "not robust");
	assert_true(x.advanced);

	meeting_finalize(meeting);
	j = take(get(Sec.token, V1 "/meetings/%lld", meeting), 200);
	assert_str(json_object_get(j, "state"), "finalized", "meeting state");
	json_decref(j);
	check_table(eval, &x);
	check_preview(eval, &x);
	j = verdict_finalize(eval, &x, "经评审，该标准具有先进性。");
	json_decref(j);

	j = take(get(Sec.token, V1 "/evaluations/%lld", eval), 200);
	assert_str(json_object_get(j, "stage"), "finalized", "stage");
	assert_str(json_object_get(json_object_get(j, "verdict"), "total"),
		   fixed(x.published, 2, buf), "evaluation verdict");
	assert_true(json_is_true(
	    json_object_get(json_object_get(j, "verdict"), "advanced")));
	json_decref(j);
	/* The table still shows the same values after the verdict. */
	check_table(eval, &x);
	full.counting = false;
	full.done = true;
	soft_assert();
}

/* ---- 2. edge cases ---- */

/*
 * One round with the scores [e][k] of the first n experts, closed,
 * checked and finalized; returns the evaluation and its expected figures.
 */
static long long
run_panel(const char *title, const char *method, int trim, int quorum,
	  int64_t (*scores)[N_LEAVES], size_t n, struct expect *x,
	  long long *meeting_out)
{
	static const int who[8] = {0, 1, 2, 3, 4, 5, 6, 7};
	bool consensus[N_LEAVES];
	long long eval = eval_new(title), meeting;
	json_t *res;
	int round;

	meeting = meeting_new(eval, who, n, method, trim, quorum);
	for (size_t e = 0; e < n; e++)
		seat_accept(meeting, &E[e]);
	round = round_open(meeting, NULL, NULL, 0);
	for (size_t e = 0; e < n; e++)
		ballot_put(meeting, round, &E[e],
			   ballot_of(scores[e], leaves, N_LEAVES, false), true);
	res = round_close(meeting, round);
	check_results(res, round, scores, n, leaves, N_LEAVES, method, trim,
		      consensus);
	json_decref(res);
	meeting_finalize(meeting);
	expect_compute(x, method, trim, scores, who, n);
	if (meeting_out != NULL)
		*meeting_out = meeting;
	return eval;
}

/* The published total in the table, the preview and the verdict. */
static void
expect_outcome(long long eval, const struct expect *x, const char *total,
	       bool advanced)
{
	char buf[40];
	json_t *v;

	/* The test's own arithmetic first. */
	assert_string_equal(fixed(x->published, 2, buf), total);
	assert_int_equal(x->advanced, advanced);
	check_table(eval, x);
	check_preview(eval, x);
	v = verdict_finalize(eval, x, NULL);
	json_decref(v);
	soft_assert();
}

static void
fill(int64_t (*scores)[N_LEAVES], size_t n, int64_t value)
{
	for (size_t e = 0; e < n; e++) {
		for (size_t k = 0; k < N_LEAVES; k++)
			scores[e][k] = value;
	}
}

static void
test_every_score_85(void **state)
{
	int64_t s[5][N_LEAVES];
	struct expect x;
	long long eval;

	(void)state;
	fill(s, 5, 8500);
	eval = run_panel("全部85分", "trimmed_mean", 1, 5, s, 5, &x, NULL);
	assert_int_equal(x.total.n, 8500);
	assert_int_equal(x.total.d, 1);
	expect_outcome(eval, &x, "85.00", true);
	assert_true(x.robust);
}

/* Exactly 84.995 publishes as 85.00 and is advanced. */
static void
test_total_84_995(void **state)
{
	int64_t s[5][N_LEAVES];
	struct expect x;
	long long eval;

	(void)state;
	fill(s, 5, 8500);
	s[4][LEAF_3_3] = 8250; /* 3.3: mean 84.5 */
	eval = run_panel("总分84.995", "mean", 0, 5, s, 5, &x, NULL);
	assert_true(q_eq(x.total, q_make(16999, 2))); /* 84.995 points */
	expect_outcome(eval, &x, "85.00", true);
}

/* Just under 84.995 publishes as 84.99 and is not advanced. */
static void
test_total_just_under(void **state)
{
	int64_t s[3][N_LEAVES];
	struct expect x;
	long long eval;

	(void)state;
	fill(s, 3, 8500);
	s[2][LEAF_3_3] = 8349; /* 3.3: 85, 85, 83.49, mean 84.4966... */
	eval = run_panel("总分84.99497", "mean", 0, 3, s, 3, &x, NULL);
	assert_true(q_eq(x.values[LEAF_3_3], q_make(25349, 3)));
	expect_outcome(eval, &x, "84.99", false);
}

/* One expert giving 40 everywhere: the mean fails, the trimmed mean
 * passes. */
static void
test_trimming_flips_verdict(void **state)
{
	int64_t s[5][N_LEAVES];
	struct expect x;
	long long eval;

	(void)state;
	fill(s, 5, 8600);
	for (size_t k = 0; k < N_LEAVES; k++)
		s[2][k] = 4000;
	eval = run_panel("均值", "mean", 0, 5, s, 5, &x, NULL);
	expect_outcome(eval, &x, "76.80", false);
	/* Without the outlier the panel would pass: not robust. */
	assert_false(x.robust);

	eval = run_panel("截尾均值", "trimmed_mean", 1, 5, s, 5, &x, NULL);
	expect_outcome(eval, &x, "86.00", true);
	assert_true(x.robust);
}

static struct it_server *quorum_server;

/*
 * A close refused for want of quorum.  It runs on a server of its own:
 * should the refusal bring that server down, the other tests still have
 * theirs, and this one fails on the server's exit status.
 */
static void
test_quorum_not_met(void **state)
{
	static const char *const args[] = {"--scrypt-log2-n=" IT_FAST_SCRYPT,
					   NULL};
	static const int who[3] = {0, 1, 2};
	struct it_server *own = quorum_server = it_server_start(args);
	long long eval = eval_new("法定人数不足"), meeting;
	struct it_resp *r;
	json_t *j, *d;
	int round, status;

	(void)state;
	meeting = meeting_new(eval, who, 3, "mean", 0, 3);
	for (int e = 0; e < 3; e++)
		seat_accept(meeting, &E[e]);
	round = round_open(meeting, NULL, NULL, 0);
	ballot_put(meeting, round, &E[0], ballot_all(8000), true);
	ballot_put(meeting, round, &E[1], ballot_all(9000), true);
	/* The third ballot is incomplete: it does not count. */
	ballot_put(meeting, round, &E[2],
		   ballot_of((const int64_t[]){8500}, leaves, 1, false), false);
	r = send_to("POST", Sec.token, NULL,
		    V1 "/meetings/%lld/rounds/%d/close", meeting, round);
	it_assert_error(r, 409, "quorum_not_met");
	d = json_object_get(json_object_get(r->json, "error"), "details");
	assert_int_equal(
	    json_integer_value(json_object_get(d, "complete_ballots")), 2);
	assert_int_equal(json_integer_value(json_object_get(d, "quorum")), 3);
	it_resp_free(r);
	/* The round stays open, and finalizing is refused. */
	j = take(get(Sec.token, V1 "/meetings/%lld", meeting), 200);
	assert_true(json_is_null(json_object_get(
	    json_array_get(json_object_get(j, "rounds"), 0), "closed_at")));
	json_decref(j);
	take_error(send_to("POST", Sec.token, NULL,
			   V1 "/meetings/%lld/finalize", meeting),
		   409, "round_open");
	/* Completed, the third ballot makes the quorum. */
	ballot_put(meeting, round, &E[2], ballot_all(8500), true);
	j = round_close(meeting, round);
	assert_int_equal(json_integer_value(json_object_get(j, "n")), 3);
	json_decref(j);
	/* The server lived through it and stops cleanly. */
	quorum_server = NULL;
	status = it_server_stop(own);
	it_server_use(server);
	assert_int_equal(status, 0);
}

/* Whatever happened, the other tests talk to the main server again. */
static int
quorum_teardown(void **state)
{
	(void)state;
	if (quorum_server != NULL) {
		print_message("the quorum test's server exited with %d\n",
			      it_server_stop(quorum_server));
		quorum_server = NULL;
	}
	it_server_use(server);
	return 0;
}

/* Asserts a 409 conflict_of_interest naming exactly the experts want. */
static void
expect_conflict(long long eval, const long long *panel, size_t n,
		const long long *want, size_t n_want)
{
	json_t *experts = json_array(), *named;
	struct it_resp *r;
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(experts, json_integer(panel[i]));
	r = send_to("POST", Sec.token, meeting_body(experts, "mean", 0, 1),
		    V1 "/evaluations/%lld/meetings", eval);
	it_assert_error(r, 409, "conflict_of_interest");
	named = json_object_get(
	    json_object_get(json_object_get(r->json, "error"), "details"),
	    "experts");
	if (json_array_size(named) != n_want)
		fail_msg("conflict names %zu experts, want %zu: %s",
			 json_array_size(named), n_want, r->body);
	for (i = 0; i < n_want; i++) {
		size_t k;

		for (k = 0; k < n_want; k++) {
			if (json_integer_value(json_array_get(named, k)) ==
			    want[i])
				break;
		}
		if (k == n_want)
			fail_msg("conflict does not name expert %lld: %s",
				 want[i], r->body);
	}
	it_resp_free(r);
}

static void
test_conflict_of_interest(void **state)
{
	long long eval = eval_new("利益冲突"), meeting;
	struct it_resp *r;
	json_t *j;

	(void)state;
	/* Trailing space, ideographic space, full width: all refused. */
	expect_conflict(eval, (const long long[]){E[0].id, D_space.id}, 2,
			(const long long[]){D_space.id}, 1);
	expect_conflict(eval, (const long long[]){D_ideo.id, E[1].id}, 2,
			(const long long[]){D_ideo.id}, 1);
	expect_conflict(eval, (const long long[]){D_wide.id}, 1,
			(const long long[]){D_wide.id}, 1);
	expect_conflict(
	    eval,
	    (const long long[]){E[0].id, D_space.id, D_near.id, D_wide.id}, 4,
	    (const long long[]){D_space.id, D_wide.id}, 2);
	assert_int_equal(count_rows("SELECT count(*) FROM meetings WHERE"
				    " evaluation_id = %lld",
				    eval),
			 0);

	/* Rules the panel cannot meet. */
	r = send_to(
	    "POST", Sec.token,
	    meeting_body(json_pack("[I,I,I]", E[0].id, E[1].id, E[2].id),
			 "mean", 0, 4),
	    V1 "/evaluations/%lld/meetings", eval);
	it_assert_error(r, 422, "invalid_field");
	assert_str(
	    json_object_get(
		json_object_get(json_object_get(r->json, "error"), "details"),
		"field"),
	    "quorum", "field");
	it_resp_free(r);
	r = send_to("POST", Sec.token,
		    meeting_body(json_pack("[I,I,I,I,I]", E[0].id, E[1].id,
					   E[2].id, E[3].id, E[4].id),
				 "trimmed_mean", 2, 4),
		    V1 "/evaluations/%lld/meetings", eval);
	it_assert_error(r, 422, "invalid_field");
	it_resp_free(r);
	take_error(send_to("POST", Sec.token,
			   meeting_body(
			       json_pack("[I,I,I]", E[0].id, E[1].id, E[2].id),
			       "average", 0, 3),
			   V1 "/evaluations/%lld/meetings", eval),
		   422, "invalid_field");
	/* Only active experts sit on a panel. */
	take_error(
	    send_to("POST", Sec.token,
		    meeting_body(json_pack("[I,I,I]", E[0].id, E[1].id, Aud.id),
				 "mean", 0, 3),
		    V1 "/evaluations/%lld/meetings", eval),
	    422, "invalid_field");
	take_error(
	    send_to("POST", Sec.token,
		    meeting_body(json_pack("[I,I,i]", E[0].id, E[1].id, 987654),
				 "mean", 0, 3),
		    V1 "/evaluations/%lld/meetings", eval),
	    422, "invalid_field");
	take_error(send_to("POST", Sec.token,
			   meeting_body(
			       json_pack("[I,I,I]", E[0].id, E[1].id, E[0].id),
			       "mean", 0, 2),
			   V1 "/evaluations/%lld/meetings", eval),
		   422, "invalid_field");
	/* Only the evaluation's own secretary convenes. */
	take_error(send_to("POST", Sec2.token,
			   meeting_body(
			       json_pack("[I,I,I]", E[0].id, E[1].id, E[2].id),
			       "mean", 0, 3),
			   V1 "/evaluations/%lld/meetings", eval),
		   403, "forbidden");
	assert_int_equal(count_rows("SELECT count(*) FROM meetings WHERE"
				    " evaluation_id = %lld",
				    eval),
			 0);

	/* A neighbour's name is not a drafting organization. */
	j = take(send_to("POST", Sec.token,
			 meeting_body(
			     json_pack("[I,I,I]", E[0].id, E[1].id, D_near.id),
			     "mean", 0, 3),
			 V1 "/evaluations/%lld/meetings", eval),
		 201);
	meeting = json_integer_value(json_object_get(j, "id"));
	assert_true(meeting > 0);
	json_decref(j);
}

/*
 * Case folding beyond ASCII: "SOCIÉTÉ GÉNÉRALE" is the drafting
 * organization "Société Générale".
 */
static void
test_conflict_case_folding(void **state)
{
	long long eval = eval_new("利益冲突：大小写");

	(void)state;
	expect_conflict(eval, (const long long[]){E[0].id, D_upper.id}, 2,
			(const long long[]){D_upper.id}, 1);
}

static void
test_who_may_vote(void **state)
{
	static const int who[5] = {0, 1, 2, 3, 4};
	long long eval = eval_new("投票资格"), meeting;
	struct it_resp *r;
	json_t *j;
	int round;

	(void)state;
	meeting = meeting_new(eval, who, 5, "mean", 0, 3);
	seat_accept(meeting, &E[0]);
	seat_accept(meeting, &E[1]);
	seat_accept(meeting, &E[2]);
	seat_recuse(meeting, &E[4]);
	/* E[3] stays invited. */
	round = round_open(meeting, NULL, NULL, 0);

	take_error(send_to("PUT", E[3].token, ballot_all(8500),
			   V1 "/meetings/%lld/rounds/%d/ballot", meeting,
			   round),
		   403, "not_seated");
	take_error(send_to("PUT", E[5].token, ballot_all(8500),
			   V1 "/meetings/%lld/rounds/%d/ballot", meeting,
			   round),
		   403, "forbidden");
	take_error(send_to("PUT", Sec.token, ballot_all(8500),
			   V1 "/meetings/%lld/rounds/%d/ballot", meeting,
			   round),
		   403, "forbidden");
	assert_int_equal(count_rows("SELECT count(*) FROM ballots WHERE"
				    " meeting_id = %lld",
				    meeting),
			 0);
	/* An invited expert sees the meeting; a recused one no more. */
	j = take(get(E[3].token, V1 "/meetings/%lld", meeting), 200);
	json_decref(j);
	take_error(get(E[4].token, V1 "/meetings/%lld", meeting), 403,
		   "forbidden");
	/* Seated, the invited expert votes. */
	seat_accept(meeting, &E[3]);
	ballot_put(meeting, round, &E[0], ballot_all(8000), true);
	ballot_put(meeting, round, &E[1], ballot_all(8100), true);
	ballot_put(meeting, round, &E[2], ballot_all(9900), true);
	ballot_put(meeting, round, &E[3], ballot_all(8300), true);
	/* An expert who recuses after voting: the ballot no longer counts
	 * (the error code is test_recused_ballot_code's). */
	seat_recuse(meeting, &E[2]);
	r = send_to("PUT", E[2].token, ballot_all(8500),
		    V1 "/meetings/%lld/rounds/%d/ballot", meeting, round);
	it_assert_status(r, 403);
	it_resp_free(r);
	j = take(get(Sec.token, V1 "/meetings/%lld", meeting), 200);
	assert_int_equal(json_integer_value(json_object_get(
			     json_array_get(json_object_get(j, "rounds"), 0),
			     "complete_ballots")),
			 3);
	json_decref(j);
	j = round_close(meeting, round);
	assert_int_equal(json_integer_value(json_object_get(j, "n")), 3);
	/* mean of 80, 81, 83 */
	assert_str(json_object_get(
		       json_array_get(json_object_get(j, "items"), 0), "value"),
		   "81.33", "value");
	json_decref(j);
}

/* A recused expert's ballot: 403 not_seated, as the feature's contract
 * states it ("403 not_seated for an invited-but-not-seated or recused
 * expert, 403 forbidden for a non-member"). */
static void
test_recused_ballot_code(void **state)
{
	static const int who[3] = {0, 1, 2};
	long long eval = eval_new("回避专家投票"), meeting;
	int round;

	(void)state;
	meeting = meeting_new(eval, who, 3, "mean", 0, 2);
	seat_accept(meeting, &E[0]);
	seat_accept(meeting, &E[1]);
	seat_recuse(meeting, &E[2]);
	round = round_open(meeting, NULL, NULL, 0);
	take_error(send_to("PUT", E[2].token, ballot_all(8500),
			   V1 "/meetings/%lld/rounds/%d/ballot", meeting,
			   round),
		   403, "not_seated");
}

/* Asserts 422 code naming item for a ballot (stolen). */
static void
expect_bad_ballot(long long meeting, int round, json_t *body, const char *code,
		  const char *item)
{
	struct it_resp *r =
	    send_to("PUT", E[0].token, body,
		    V1 "/meetings/%lld/rounds/%d/ballot", meeting, round);

	it_assert_error(r, 422, code);
	assert_str(
	    json_object_get(
		json_object_get(json_object_get(r->json, "error"), "details"),
		"item"),
	    item, "details.item");
	it_resp_free(r);
}

/* A full ballot of 85 with item k's score replaced by v (stolen). */
static json_t *
ballot_with(int k, json_t *v)
{
	json_t *b = ballot_all(8500);

	json_object_set_new(
	    json_array_get(json_object_get(b, "scores"), (size_t)k), "score",
	    v);
	return b;
}

static void
test_invalid_ballots(void **state)
{
	static const int who[3] = {0, 1, 2};
	long long eval = eval_new("无效选票"), meeting, audit;
	json_t *b;
	int round;

	(void)state;
	meeting = meeting_new(eval, who, 3, "mean", 0, 3);
	seat_accept(meeting, &E[0]);
	round = round_open(meeting, NULL, NULL, 0);
	audit = it_db_long("SELECT count(*) FROM audit_log");

	b = ballot_all(8500);
	json_array_append_new(
	    json_object_get(b, "scores"),
	    json_pack("{s:s, s:s}", "item", "9.9", "score", "85"));
	expect_bad_ballot(meeting, round, b, "unknown_item", "9.9");
	/* A group is not an item either. */
	expect_bad_ballot(
	    meeting, round,
	    json_pack("{s:[{s:s, s:i}]}", "scores", "item", "1.1", "score", 85),
	    "unknown_item", "1.1");
	b = ballot_all(8500);
	json_array_append_new(
	    json_object_get(b, "scores"),
	    json_pack("{s:s, s:s}", "item", "1.2.2", "score", "90"));
	expect_bad_ballot(meeting, round, b, "duplicate_item", "1.2.2");
	expect_bad_ballot(meeting, round, ballot_with(3, json_real(100.001)),
			  "invalid_score", "1.2.1");
	expect_bad_ballot(meeting, round, ballot_with(4, json_integer(-1)),
			  "invalid_score", "1.2.2");
	expect_bad_ballot(meeting, round, ballot_with(5, json_string("abc")),
			  "invalid_score", "1.2.3");
	expect_bad_ballot(meeting, round, ballot_with(6, json_string("85.555")),
			  "invalid_score", "1.3.1");
	expect_bad_ballot(meeting, round, ballot_with(7, json_real(85.555)),
			  "invalid_score", "1.3.2");
	expect_bad_ballot(meeting, round, ballot_with(8, json_integer(101)),
			  "invalid_score", "1.3.3");
	expect_bad_ballot(meeting, round, ballot_with(9, json_string("100.01")),
			  "invalid_score", "1.3.4");
	expect_bad_ballot(meeting, round, ballot_with(10, json_string("-1")),
			  "invalid_score", "1.3.5");
	expect_bad_ballot(meeting, round, ballot_with(11, json_null()),
			  "invalid_score", "2.1");
	expect_bad_ballot(meeting, round, ballot_with(12, json_true()),
			  "invalid_score", "2.2");
	expect_bad_ballot(meeting, round, ballot_with(13, json_string(" 85")),
			  "invalid_score", "3.1");
	/* Nothing of them was stored or audited. */
	assert_int_equal(count_rows("SELECT count(*) FROM ballots WHERE"
				    " meeting_id = %lld",
				    meeting),
			 0);
	assert_int_equal(it_db_long("SELECT count(*) FROM audit_log"), audit);

	/* The ends of the range, as numbers and strings, are scores. */
	b = ballot_with(0, json_integer(100));
	json_object_set_new(json_array_get(json_object_get(b, "scores"), 1),
			    "score", json_string("0"));
	json_object_set_new(json_array_get(json_object_get(b, "scores"), 2),
			    "score", json_string("100.00"));
	json_object_set_new(json_array_get(json_object_get(b, "scores"), 3),
			    "score", json_real(85.55));
	ballot_put(meeting, round, &E[0], b, true);
	b = take(get(E[0].token, V1 "/meetings/%lld/rounds/%d/ballot", meeting,
		     round),
		 200);
	assert_str(
	    json_object_get(json_array_get(json_object_get(b, "scores"), 0),
			    "score"),
	    "100.00", "score");
	assert_str(
	    json_object_get(json_array_get(json_object_get(b, "scores"), 1),
			    "score"),
	    "0.00", "score");
	assert_str(
	    json_object_get(json_array_get(json_object_get(b, "scores"), 3),
			    "score"),
	    "85.55", "score");
	json_decref(b);
}

static void
test_partial_and_revised_ballots(void **state)
{
	static const int who[5] = {0, 1, 2, 3, 4};
	long long eval = eval_new("部分与修改的选票"), meeting;
	int64_t seventy[10] = {7000, 7000, 7000, 7000, 7000,
			       7000, 7000, 7000, 7000, 7000};
	json_t *j, *res;
	int round;
	size_t i;

	(void)state;
	meeting = meeting_new(eval, who, 5, "mean", 0, 3);
	for (int e = 0; e < 5; e++)
		seat_accept(meeting, &E[e]);
	j = take(send_to("POST", Sec.token,
			 json_pack("{s:s}", "deadline", "2099-01-01T00:00:00Z"),
			 V1 "/meetings/%lld/rounds", meeting),
		 201);
	round = (int)json_integer_value(json_object_get(j, "n"));
	assert_int_equal(round, 1);
	assert_int_equal(json_array_size(json_object_get(j, "items")),
			 N_LEAVES);
	json_decref(j);
	j = take(get(E[0].token, V1 "/meetings/%lld", meeting), 200);
	assert_str(
	    json_object_get(json_array_get(json_object_get(j, "rounds"), 0),
			    "deadline"),
	    "2099-01-01T00:00:00Z", "deadline");
	json_decref(j);

	/* A revision replaces the earlier one. */
	assert_int_equal(
	    ballot_put(meeting, round, &E[0], ballot_all(8000), true), 1);
	assert_int_equal(
	    ballot_put(meeting, round, &E[0], ballot_all(9000), true), 2);
	/* A partial ballot is stored, not complete. */
	ballot_put(meeting, round, &E[1], ballot_of(seventy, leaves, 10, false),
		   false);
	/* Complete, then revised to partial: the latest does not count. */
	ballot_put(meeting, round, &E[2], ballot_all(8500), true);
	ballot_put(meeting, round, &E[2], ballot_of(seventy, leaves, 3, false),
		   false);
	ballot_put(meeting, round, &E[3], ballot_all(8800), true);
	/* A comment travels with its score. */
	j = ballot_all(10000);
	json_object_set_new(json_array_get(json_object_get(j, "scores"), 0),
			    "comment", json_string("高于先进基准水平"));
	ballot_put(meeting, round, &E[4], j, true);
	j = take(get(E[4].token, V1 "/meetings/%lld/rounds/%d/ballot", meeting,
		     round),
		 200);
	assert_str(
	    json_object_get(json_array_get(json_object_get(j, "scores"), 0),
			    "comment"),
	    "高于先进基准水平", "comment");
	json_decref(j);
	/* Past its deadline, the round takes no ballot (the deadline is
	 * moved in the database: no waiting). */
	{
		char sql[160];

		snprintf(sql, sizeof sql,
			 "UPDATE rounds SET deadline = now() - interval"
			 " '1 second' WHERE meeting_id = %lld",
			 meeting);
		assert_int_equal(it_db_command(sql), 1);
	}
	take_error(send_to("PUT", E[1].token, ballot_all(8500),
			   V1 "/meetings/%lld/rounds/%d/ballot", meeting,
			   round),
		   409, "round_closed");

	/* E[0] (90), E[3] (88), E[4] (100) are complete. */
	j = take(get(Sec.token, V1 "/meetings/%lld", meeting), 200);
	assert_int_equal(json_integer_value(json_object_get(
			     json_array_get(json_object_get(j, "rounds"), 0),
			     "complete_ballots")),
			 3);
	json_decref(j);
	/* What E[2] reads is its latest revision, partial. */
	j = take(get(E[2].token, V1 "/meetings/%lld/rounds/%d/ballot", meeting,
		     round),
		 200);
	assert_int_equal(json_integer_value(json_object_get(j, "version")), 2);
	assert_true(json_is_false(json_object_get(j, "complete")));
	assert_int_equal(json_array_size(json_object_get(j, "scores")), 3);
	json_decref(j);
	/* The secretary sees no results of an open round. */
	take_error(get(Sec.token, V1 "/meetings/%lld/rounds/%d/results",
		       meeting, round),
		   409, "round_open");
	take_error(get(E[0].token, V1 "/meetings/%lld/rounds/%d/results",
		       meeting, round),
		   409, "round_open");

	res = round_close(meeting, round);
	assert_int_equal(json_integer_value(json_object_get(res, "n")), 3);
	json_array_foreach(json_object_get(res, "items"), i, j)
	{
		assert_int_equal(json_integer_value(json_object_get(j, "n")),
				 3);
		/* (90 + 88 + 100) / 3 = 92.666... */
		assert_str(json_object_get(j, "value"), "92.67", "value");
		assert_int_equal(
		    json_integer_value(
			json_object_get(json_object_get(j, "exact"), "num")) *
			3,
		    27800 * json_integer_value(json_object_get(
				json_object_get(j, "exact"), "den")));
	}
	json_decref(res);
	/* The auditor sees exactly the revisions that counted. */
	j = take(get(Aud.token, V1 "/meetings/%lld/rounds/%d/results", meeting,
		     round),
		 200);
	assert_int_equal(json_array_size(json_object_get(j, "ballots")), 3);
	json_array_foreach(json_object_get(j, "ballots"), i, res)
	{
		long long id = json_integer_value(
		    json_object_get(json_object_get(res, "expert"), "id"));
		long long rev =
		    json_integer_value(json_object_get(res, "revision"));

		assert_true(id == E[0].id || id == E[3].id || id == E[4].id);
		assert_int_equal(rev, id == E[0].id ? 2 : 1);
	}
	json_decref(j);

	/* After the close, no ballot is accepted. */
	take_error(send_to("PUT", E[0].token, ballot_all(8500),
			   V1 "/meetings/%lld/rounds/%d/ballot", meeting,
			   round),
		   409, "round_closed");
	take_error(send_to("PUT", E[1].token, ballot_all(8500),
			   V1 "/meetings/%lld/rounds/%d/ballot", meeting,
			   round),
		   409, "round_closed");
	take_error(send_to("POST", Sec.token, NULL,
			   V1 "/meetings/%lld/rounds/%d/close", meeting, round),
		   409, "round_closed");
}

/* What a round may be opened with. */
static void
test_round_rules(void **state)
{
	static const int who[3] = {0, 1, 2};
	long long eval = eval_new("轮次规则"), meeting;
	json_t *j;
	static const char *const bad_deadlines[] = {
	    "2000-01-01T00:00:00Z", "yesterday", "tomorrow", "infinity",
	    "2099-01-01 12:00"};

	(void)state;
	meeting = meeting_new(eval, who, 3, "mean", 0, 3);
	take_error(send_to("POST", Sec.token, NULL,
			   V1 "/meetings/%lld/finalize", meeting),
		   409, "no_closed_round");
	take_error(send_to("POST", Sec.token,
			   json_pack("{s:[s]}", "items", "1.1"),
			   V1 "/meetings/%lld/rounds", meeting),
		   422, "invalid_field");
	take_error(send_to("POST", Sec.token,
			   json_pack("{s:[s,s]}", "items", "2.1", "2.1"),
			   V1 "/meetings/%lld/rounds", meeting),
		   422, "invalid_field");
	take_error(send_to("POST", Sec.token, json_pack("{s:[]}", "items"),
			   V1 "/meetings/%lld/rounds", meeting),
		   422, "invalid_field");
	/* A deadline is an RFC 3339 time to come, nothing else. */
	for (size_t i = 0; i < sizeof bad_deadlines / sizeof *bad_deadlines;
	     i++) {
		struct it_resp *r =
		    send_to("POST", Sec.token,
			    json_pack("{s:s}", "deadline", bad_deadlines[i]),
			    V1 "/meetings/%lld/rounds", meeting);

		if (r->status != 422)
			fail_msg("deadline \"%s\": status %ld, want 422: %s",
				 bad_deadlines[i], r->status, r->body);
		it_assert_error(r, 422, "invalid_field");
		it_resp_free(r);
	}
	assert_int_equal(count_rows("SELECT count(*) FROM rounds WHERE"
				    " meeting_id = %lld",
				    meeting),
			 0);
	/* Times are answered in UTC (API.md), as GET shows them. */
	j = take(
	    send_to("POST", Sec.token,
		    json_pack("{s:s}", "deadline", "2099-01-01T08:00:00+08:00"),
		    V1 "/meetings/%lld/rounds", meeting),
	    201);
	assert_str(json_object_get(j, "deadline"), "2099-01-01T00:00:00Z",
		   "deadline answered");
	json_decref(j);
	j = take(get(Sec.token, V1 "/meetings/%lld", meeting), 200);
	assert_str(
	    json_object_get(json_array_get(json_object_get(j, "rounds"), 0),
			    "deadline"),
	    "2099-01-01T00:00:00Z", "deadline shown");
	json_decref(j);
}

/* PUT .../ballot with If-Match (stolen body); the answer. */
static struct it_resp *
ballot_if_match(long long meeting, int round, const struct person *p,
		const char *if_match, json_t *body)
{
	char path[128], header[64], *text = json_dumps(body, JSON_COMPACT);
	const char *headers[] = {header, NULL};
	struct it_resp *r;

	snprintf(path, sizeof path, V1 "/meetings/%lld/rounds/%d/ballot",
		 meeting, round);
	snprintf(header, sizeof header, "If-Match: %s", if_match);
	r = it_do(&(struct it_req){.method = "PUT",
				   .path = path,
				   .token = p->token,
				   .headers = headers,
				   .body = text});
	free(text);
	json_decref(body);
	return r;
}

static void
test_ballot_if_match(void **state)
{
	static const int who[3] = {0, 1, 2};
	long long eval = eval_new("选票版本"), meeting;
	struct it_resp *r;
	int round;

	(void)state;
	meeting = meeting_new(eval, who, 3, "mean", 0, 3);
	seat_accept(meeting, &E[0]);
	round = round_open(meeting, NULL, NULL, 0);
	take_error(
	    ballot_if_match(meeting, round, &E[0], "v1", ballot_all(8500)), 400,
	    "bad_if_match");
	/* No ballot yet: its version is 0, not 1. */
	take_error(
	    ballot_if_match(meeting, round, &E[0], "1", ballot_all(8500)), 412,
	    "version_mismatch");
	r = ballot_if_match(meeting, round, &E[0], "0", ballot_all(8500));
	it_assert_status(r, 200);
	assert_int_equal(
	    json_integer_value(json_object_get(r->json, "version")), 1);
	it_resp_free(r);
	/* 0 is stale now. */
	take_error(
	    ballot_if_match(meeting, round, &E[0], "0", ballot_all(8600)), 412,
	    "version_mismatch");
	/* The version the expert last read is accepted. */
	r = ballot_if_match(meeting, round, &E[0], "1", ballot_all(8700));
	it_assert_status(r, 200);
	assert_int_equal(
	    json_integer_value(json_object_get(r->json, "version")), 2);
	it_resp_free(r);
	take_error(
	    ballot_if_match(meeting, round, &E[0], "1", ballot_all(8800)), 412,
	    "version_mismatch");
	r = get(E[0].token, V1 "/meetings/%lld/rounds/%d/ballot", meeting,
		round);
	it_assert_status(r, 200);
	assert_int_equal(
	    json_integer_value(json_object_get(r->json, "version")), 2);
	assert_str(
	    json_object_get(
		json_array_get(json_object_get(r->json, "scores"), 0), "score"),
	    "87.00", "score");
	it_resp_free(r);
}

/* A request (body stolen) with an Idempotency-Key. */
static struct it_resp *
send_keyed(const char *method, const struct person *p, const char *key,
	   json_t *body, const char *path)
{
	char header[300], *text = json_dumps(body, JSON_COMPACT);
	const char *headers[] = {header, NULL};
	struct it_resp *r;

	snprintf(header, sizeof header, "Idempotency-Key: %s", key);
	r = it_do(&(struct it_req){.method = method,
				   .path = path,
				   .token = p->token,
				   .headers = headers,
				   .body = text});
	free(text);
	json_decref(body);
	return r;
}

static void
test_idempotent_ballots_and_close(void **state)
{
	static const int who[3] = {0, 1, 2};
	long long eval = eval_new("幂等的选票"), meeting, audit;
	char path[128], close_path[128];
	struct it_resp *r;
	int round;

	(void)state;
	meeting = meeting_new(eval, who, 3, "mean", 0, 2);
	seat_accept(meeting, &E[0]);
	seat_accept(meeting, &E[1]);
	round = round_open(meeting, NULL, NULL, 0);
	snprintf(path, sizeof path, V1 "/meetings/%lld/rounds/%d/ballot",
		 meeting, round);
	snprintf(close_path, sizeof close_path,
		 V1 "/meetings/%lld/rounds/%d/close", meeting, round);

	r = send_keyed("PUT", &E[0], "ballot-1", ballot_all(8100), path);
	it_assert_status(r, 200);
	assert_int_equal(
	    json_integer_value(json_object_get(r->json, "version")), 1);
	it_resp_free(r);
	audit = it_db_long("SELECT count(*) FROM audit_log");
	/* The same request again: the same answer, nothing written. */
	r = send_keyed("PUT", &E[0], "ballot-1", ballot_all(8100), path);
	it_assert_status(r, 200);
	assert_int_equal(
	    json_integer_value(json_object_get(r->json, "version")), 1);
	assert_non_null(it_header(r, "Idempotent-Replayed"));
	it_resp_free(r);
	assert_int_equal(count_rows("SELECT count(*) FROM ballots WHERE"
				    " meeting_id = %lld",
				    meeting),
			 1);
	assert_int_equal(it_db_long("SELECT count(*) FROM audit_log"), audit);
	/* Another body under the same key is refused. */
	take_error(send_keyed("PUT", &E[0], "ballot-1", ballot_all(8200), path),
		   422, "idempotency_key_reused");
	/* Keys are per user. */
	r = send_keyed("PUT", &E[1], "ballot-1", ballot_all(8100), path);
	it_assert_status(r, 200);
	assert_int_equal(
	    json_integer_value(json_object_get(r->json, "version")), 1);
	assert_null(it_header(r, "Idempotent-Replayed"));
	it_resp_free(r);

	/* No such round, no such results. */
	take_error(send_to("PUT", E[0].token, ballot_all(8500),
			   V1 "/meetings/%lld/rounds/99/ballot", meeting),
		   404, "not_found");
	take_error(
	    get(Sec.token, V1 "/meetings/%lld/rounds/99/results", meeting), 404,
	    "not_found");
	take_error(get(Sec.token, V1 "/meetings/999999"), 404, "not_found");

	/* A replayed close is the first close's answer, not a 409. */
	r = send_keyed("POST", &Sec, "close-1", json_object(), close_path);
	it_assert_status(r, 200);
	assert_int_equal(json_integer_value(json_object_get(r->json, "n")), 2);
	it_resp_free(r);
	audit = it_db_long("SELECT count(*) FROM audit_log");
	r = send_keyed("POST", &Sec, "close-1", json_object(), close_path);
	it_assert_status(r, 200);
	assert_int_equal(json_integer_value(json_object_get(r->json, "n")), 2);
	it_resp_free(r);
	assert_int_equal(it_db_long("SELECT count(*) FROM audit_log"), audit);
}

static void
test_writes_after_finalization(void **state)
{
	int64_t s[3][N_LEAVES];
	struct expect x;
	long long eval, meeting, audit;
	json_t *v;

	(void)state;
	fill(s, 3, 8700);
	eval = run_panel("定稿后不可更改", "mean", 0, 3, s, 3, &x, &meeting);
	check_table(eval, &x);
	v = verdict_finalize(eval, &x, NULL);
	json_decref(v);
	audit = it_db_long("SELECT count(*) FROM audit_log");

	take_error(send_to("POST", Sec.token, NULL, V1 "/meetings/%lld/rounds",
			   meeting),
		   409, "evaluation_finalized");
	take_error(send_to("POST", Sec.token,
			   json_pack("{s:[s]}", "items", "2.1"),
			   V1 "/meetings/%lld/rounds", meeting),
		   409, "evaluation_finalized");
	take_error(send_to("PUT", E[0].token, ballot_all(8500),
			   V1 "/meetings/%lld/rounds/1/ballot", meeting),
		   409, "evaluation_finalized");
	take_error(send_to("POST", E[1].token,
			   json_pack("{s:b}", "conflict_of_interest", 0),
			   V1 "/meetings/%lld/seat", meeting),
		   409, "evaluation_finalized");
	take_error(send_to("POST", E[1].token,
			   json_pack("{s:b, s:s}", "conflict_of_interest", 1,
				     "reason", "other"),
			   V1 "/meetings/%lld/seat", meeting),
		   409, "evaluation_finalized");
	take_error(send_to("POST", Sec.token,
			   meeting_body(
			       json_pack("[I,I,I]", E[3].id, E[4].id, E[5].id),
			       "mean", 0, 3),
			   V1 "/evaluations/%lld/meetings", eval),
		   409, "evaluation_finalized");
	take_error(send_to("POST", Sec.token, NULL,
			   V1 "/meetings/%lld/finalize", meeting),
		   409, "evaluation_finalized");
	take_error(send_to("POST", Sec.token, NULL,
			   V1 "/evaluations/%lld/verdict", eval),
		   409, "evaluation_finalized");
	take_error(send_to("POST", Sec.token,
			   json_pack("{s:s}", "statement", "again"),
			   V1 "/evaluations/%lld/verdict", eval),
		   409, "evaluation_finalized");
	assert_int_equal(it_db_long("SELECT count(*) FROM audit_log"), audit);
	/* Reading goes on. */
	check_table(eval, &x);
	check_preview(eval, &x);
	soft_assert();
}

static bool
has_key_other_than(const json_t *obj, const char *const *allowed)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)obj, key, v)
	{
		size_t i;

		for (i = 0; allowed[i] != NULL; i++) {
			if (strcmp(allowed[i], key) == 0)
				break;
		}
		if (allowed[i] == NULL)
			return true;
	}
	return false;
}

static bool
list_has_id(const json_t *items, long long id)
{
	const json_t *e;
	size_t i;

	json_array_foreach(items, i, e)
	{
		if (json_integer_value(json_object_get(e, "id")) == id)
			return true;
	}
	return false;
}

static void
test_who_sees_what(void **state)
{
	static const int who[4] = {0, 1, 2, 3};
	static const char *const round_keys[] = {
	    "n",	 "items",    "opened_at",
	    "closed_at", "deadline", "complete_ballots",
	    NULL};
	static const char *const round_keys_closed[] = {
	    "n", "items", "opened_at", "closed_at", "deadline", NULL};
	static const char *const panel_keys[] = {"expert", "seat", NULL};
	static const char *const distinct[3] = {"71.11", "72.22", "73.33"};
	long long eval = eval_new("谁能看到什么"), meeting;
	struct it_resp *r;
	json_t *j, *rd, *p;
	int round;
	size_t i;

	(void)state;
	meeting = meeting_new(eval, who, 4, "mean", 0, 3);
	for (int e = 0; e < 3; e++)
		seat_accept(meeting, &E[e]);
	/* E[3] stays invited. */
	round = round_open(meeting, NULL, NULL, 0);
	for (int e = 0; e < 3; e++)
		ballot_put(meeting, round, &E[e],
			   ballot_all((const int64_t[]){7111, 7222, 7333}[e]),
			   true);

	/* Each expert reads only their own ballot. */
	for (int e = 0; e < 3; e++) {
		r = get(E[e].token, V1 "/meetings/%lld/rounds/%d/ballot",
			meeting, round);
		it_assert_status(r, 200);
		assert_str(
		    json_object_get(
			json_array_get(json_object_get(r->json, "scores"), 0),
			"score"),
		    distinct[e], "own score");
		for (int o = 0; o < 3; o++) {
			if (o != e && strstr(r->body, distinct[o]) != NULL)
				fail_msg("expert %d reads %s of expert %d", e,
					 distinct[o], o);
		}
		it_resp_free(r);
	}
	/* The secretary has no ballot to read; nor does anyone else. */
	take_error(get(Sec.token, V1 "/meetings/%lld/rounds/%d/ballot", meeting,
		       round),
		   403, "forbidden");
	take_error(get(Aud.token, V1 "/meetings/%lld/rounds/%d/ballot", meeting,
		       round),
		   403, "forbidden");
	r = get(E[3].token, V1 "/meetings/%lld/rounds/%d/ballot", meeting,
		round);
	it_assert_status(r, 403);
	it_resp_free(r);
	take_error(get(E[5].token, V1 "/meetings/%lld/rounds/%d/ballot",
		       meeting, round),
		   403, "forbidden");

	/* The meeting: how many complete ballots, never whose. */
	const char *const readers[] = {Sec.token, E[0].token, E[3].token,
				       Aud.token};
	for (size_t t = 0; t < 4; t++) {
		r = get(readers[t], V1 "/meetings/%lld", meeting);
		it_assert_status(r, 200);
		rd = json_array_get(json_object_get(r->json, "rounds"), 0);
		assert_int_equal(
		    json_integer_value(json_object_get(rd, "complete_ballots")),
		    3);
		assert_false(has_key_other_than(rd, round_keys));
		json_array_foreach(json_object_get(r->json, "panel"), i, p)
		{
			assert_false(has_key_other_than(p, panel_keys));
		}
		for (int o = 0; o < 3; o++)
			assert_null(strstr(r->body, distinct[o]));
		it_resp_free(r);
	}
	take_error(get(E[5].token, V1 "/meetings/%lld", meeting), 403,
		   "forbidden");
	take_error(get(Sec2.token, V1 "/meetings/%lld", meeting), 403,
		   "forbidden");
	take_error(send_to("POST", Sec2.token, NULL,
			   V1 "/meetings/%lld/rounds/%d/close", meeting, round),
		   403, "forbidden");

	j = round_close(meeting, round);
	json_decref(j);
	/* Panel and secretary: anonymous results; auditors: the ballots. */
	const char *const anonymous[] = {Sec.token, E[0].token, E[3].token};
	for (size_t t = 0; t < 3; t++) {
		r = get(anonymous[t], V1 "/meetings/%lld/rounds/%d/results",
			meeting, round);
		it_assert_status(r, 200);
		assert_null(json_object_get(r->json, "ballots"));
		for (int o = 0; o < 3; o++) {
			char name[64];

			snprintf(name, sizeof name, "\"%s\"", E[o].name);
			assert_null(strstr(r->body, name));
		}
		assert_str(
		    json_object_get(
			json_array_get(json_object_get(r->json, "items"), 0),
			"value"),
		    "72.22", "value");
		it_resp_free(r);
	}
	j = take(get(Aud.token, V1 "/meetings/%lld/rounds/%d/results", meeting,
		     round),
		 200);
	assert_int_equal(json_array_size(json_object_get(j, "ballots")), 3);
	json_array_foreach(json_object_get(j, "ballots"), i, p)
	{
		const json_t *ex = json_object_get(p, "expert");
		int e;

		for (e = 0; e < 3 && E[e].id != json_integer_value(
						    json_object_get(ex, "id"));
		     e++)
			;
		assert_true(e < 3);
		assert_str(json_object_get(ex, "username"), E[e].name,
			   "username");
		assert_str(json_object_get(
			       json_array_get(json_object_get(p, "scores"), 0),
			       "score"),
			   distinct[e], "audited score");
	}
	json_decref(j);
	take_error(get(E[5].token, V1 "/meetings/%lld/rounds/%d/results",
		       meeting, round),
		   403, "forbidden");
	/* A closed round shows no count any more. */
	j = take(get(Sec.token, V1 "/meetings/%lld", meeting), 200);
	rd = json_array_get(json_object_get(j, "rounds"), 0);
	assert_true(json_is_string(json_object_get(rd, "closed_at")));
	assert_false(has_key_other_than(rd, round_keys_closed));
	json_decref(j);

	/* Evaluations: an expert on no panel sees none of them. */
	j = take(it_get(V1 "/evaluations", Lonely.token), 200);
	assert_int_equal(json_array_size(json_object_get(j, "items")), 0);
	json_decref(j);
	take_error(get(Lonely.token, V1 "/evaluations/%lld", eval), 403,
		   "forbidden");
	take_error(get(Lonely.token, V1 "/evaluations/%lld/table", eval), 403,
		   "forbidden");
	take_error(get(Lonely.token, V1 "/meetings/%lld", meeting), 403,
		   "forbidden");
	take_error(get(Lonely.token, V1 "/meetings/%lld/rounds/%d/results",
		       meeting, round),
		   403, "forbidden");
	/* The panel (invited included) sees it; another secretary not. */
	j = take(it_get(V1 "/evaluations?limit=200", E[3].token), 200);
	assert_true(list_has_id(json_object_get(j, "items"), eval));
	json_decref(j);
	j = take(get(E[0].token, V1 "/evaluations/%lld", eval), 200);
	json_decref(j);
	j = take(it_get(V1 "/evaluations?limit=200", Sec2.token), 200);
	assert_false(list_has_id(json_object_get(j, "items"), eval));
	json_decref(j);
	take_error(get(Sec2.token, V1 "/evaluations/%lld", eval), 403,
		   "forbidden");
	j = take(it_get(V1 "/evaluations?limit=200", Sec.token), 200);
	assert_true(list_has_id(json_object_get(j, "items"), eval));
	json_decref(j);
	j = take(it_get(V1 "/evaluations?limit=200", Aud.token), 200);
	assert_true(list_has_id(json_object_get(j, "items"), eval));
	json_decref(j);
	take_error(it_get(V1 "/evaluations", admin_token), 403, "forbidden");
}

/* ---- 3. events ---- */

struct sse {
	char *buf;
	size_t len, parsed;
	bool subscribed;
	json_t *events; /* [{"event","data"}] */
};

/* Parses every complete event (a block ending in a blank line). */
static void
sse_parse(struct sse *s)
{
	char *end;

	while ((end = strstr(s->buf + s->parsed, "\n\n")) != NULL) {
		char *line = s->buf + s->parsed, *name = NULL, *data = NULL;

		*end = '\0';
		while (line != NULL && *line != '\0') {
			char *next = strchr(line, '\n');

			if (next != NULL)
				*next++ = '\0';
			if (strcmp(line, ": subscribed") == 0)
				s->subscribed = true;
			else if (strncmp(line, "event: ", 7) == 0)
				name = line + 7;
			else if (strncmp(line, "data: ", 6) == 0)
				data = line + 6;
			line = next;
		}
		if (name != NULL) {
			json_t *d = data ? json_loads(data, 0, NULL) : NULL;

			json_array_append_new(
			    s->events,
			    json_pack("{s:s, s:o}", "event", name, "data",
				      d ? d : json_string(data ? data : "")));
		}
		s->parsed = (size_t)(end - s->buf) + 2;
	}
}

static size_t
sse_write(char *data, size_t size, size_t n, void *arg)
{
	struct sse *s = arg;
	size_t len = size * n;
	char *grown = realloc(s->buf, s->len + len + 1);

	if (grown == NULL)
		return 0;
	s->buf = grown;
	memcpy(s->buf + s->len, data, len);
	s->len += len;
	s->buf[s->len] = '\0';
	/* Blank lines may be split across writes: parse whole blocks. */
	sse_parse(s);
	return len;
}

/* The first event called name, or NULL. */
static const json_t *
sse_event(const struct sse *s, const char *name)
{
	const json_t *e;
	size_t i;

	json_array_foreach(s->events, i, e)
	{
		if (strcmp(json_string_value(json_object_get(e, "event")),
			   name) == 0)
			return json_object_get(e, "data");
	}
	return NULL;
}

struct pump {
	CURLM *multi;
	CURL *stream, *other;
	struct it_resp *other_resp;
	struct sse *sse;
	bool stream_ended;
};

/* Drives the transfers until done(p) holds, at most ~30 s. */
static void
pump_until(struct pump *p, bool (*done)(const struct pump *), const char *what)
{
	for (int i = 0; i < 300; i++) {
		CURLMsg *msg;
		int running, left;

		curl_multi_perform(p->multi, &running);
		while ((msg = curl_multi_info_read(p->multi, &left)) != NULL) {
			CURL *easy = msg->easy_handle;
			CURLcode code = msg->data.result;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_multi_remove_handle(p->multi, easy);
			if (easy == p->other) {
				it_easy_done(easy, p->other_resp, code);
				p->other = NULL;
			} else if (easy == p->stream) {
				p->stream_ended = true;
			}
		}
		if (done(p))
			return;
		if (p->stream_ended)
			fail_msg("the event stream ended before %s: %s", what,
				 p->sse->buf ? p->sse->buf : "");
		curl_multi_poll(p->multi, NULL, 0, 100, NULL);
	}
	fail_msg("no %s after 30 s; stream so far: %s", what,
		 p->sse->buf ? p->sse->buf : "");
}

static bool
subscribed(const struct pump *p)
{
	return p->sse->subscribed;
}

static bool
counted_and_answered(const struct pump *p)
{
	return p->other == NULL && sse_event(p->sse, "ballot_count") != NULL;
}

static bool
closed_and_answered(const struct pump *p)
{
	return p->other == NULL && sse_event(p->sse, "round_closed") != NULL;
}

static bool
finalized_and_answered(const struct pump *p)
{
	return p->other == NULL &&
	       sse_event(p->sse, "meeting_finalized") != NULL;
}

/* Fails if an event's data names an expert or carries a score. */
static void
assert_anonymous(const json_t *data)
{
	char *text = json_dumps(data, JSON_COMPACT);
	const char *key;
	json_t *v;

	assert_non_null(text);
	assert_null(strstr(text, "expert"));
	assert_null(strstr(text, "score"));
	json_object_foreach((json_t *)data, key, v)
	{
		assert_false(json_is_string(v) || json_is_real(v) ||
			     json_is_array(v) || json_is_object(v));
	}
	free(text);
}

static void
test_events(void **state)
{
	static const int who[3] = {0, 1, 2};
	long long eval = eval_new("会议事件"), meeting;
	struct sse s = {.events = json_array()};
	struct pump p = {0};
	struct it_resp *stream_resp = it_resp_new(), *close_resp, *put_resp;
	const json_t *data;
	char path[128], *body;
	json_t *b;
	int round;

	(void)state;
	meeting = meeting_new(eval, who, 3, "mean", 0, 3);
	for (int e = 0; e < 3; e++)
		seat_accept(meeting, &E[e]);
	round = round_open(meeting, NULL, NULL, 0);
	ballot_put(meeting, round, &E[0], ballot_all(8100), true);
	ballot_put(meeting, round, &E[1], ballot_all(8200), true);
	/* Auditors and strangers get no stream. */
	take_error(get(Aud.token, V1 "/meetings/%lld/events", meeting), 403,
		   "forbidden");
	take_error(get(E[5].token, V1 "/meetings/%lld/events", meeting), 403,
		   "forbidden");

	snprintf(path, sizeof path, V1 "/meetings/%lld/events", meeting);
	p.multi = curl_multi_init();
	p.sse = &s;
	p.stream = it_easy_new(
	    &(struct it_req){.path = path, .token = Sec.token}, stream_resp);
	curl_easy_setopt(p.stream, CURLOPT_WRITEFUNCTION, sse_write);
	curl_easy_setopt(p.stream, CURLOPT_WRITEDATA, &s);
	curl_multi_add_handle(p.multi, p.stream);
	pump_until(&p, subscribed, "\": subscribed\"");

	/* The last ballot: a count, never whose. */
	snprintf(path, sizeof path, V1 "/meetings/%lld/rounds/%d/ballot",
		 meeting, round);
	b = ballot_all(8300);
	body = json_dumps(b, JSON_COMPACT);
	json_decref(b);
	put_resp = it_resp_new();
	p.other_resp = put_resp;
	p.other = it_easy_new(&(struct it_req){.method = "PUT",
					       .path = path,
					       .token = E[2].token,
					       .body = body},
			      put_resp);
	curl_multi_add_handle(p.multi, p.other);
	pump_until(&p, counted_and_answered, "ballot_count event");
	free(body);
	it_assert_status(put_resp, 200);
	it_resp_free(put_resp);
	data = sse_event(&s, "ballot_count");
	assert_int_equal(json_integer_value(json_object_get(data, "round")),
			 round);
	assert_int_equal(
	    json_integer_value(json_object_get(data, "complete_ballots")), 3);
	assert_anonymous(data);

	/* The close, from a second handle of the same loop. */
	snprintf(path, sizeof path, V1 "/meetings/%lld/rounds/%d/close",
		 meeting, round);
	close_resp = it_resp_new();
	p.other_resp = close_resp;
	p.other = it_easy_new(&(struct it_req){.method = "POST",
					       .path = path,
					       .token = Sec.token,
					       .body = "{}"},
			      close_resp);
	curl_multi_add_handle(p.multi, p.other);
	pump_until(&p, closed_and_answered, "round_closed event");
	it_assert_status(close_resp, 200);
	it_resp_free(close_resp);
	data = sse_event(&s, "round_closed");
	assert_int_equal(json_integer_value(json_object_get(data, "round")),
			 round);
	assert_anonymous(data);
	/* Finalizing the meeting is announced too. */
	snprintf(path, sizeof path, V1 "/meetings/%lld/finalize", meeting);
	close_resp = it_resp_new();
	p.other_resp = close_resp;
	p.other = it_easy_new(&(struct it_req){.method = "POST",
					       .path = path,
					       .token = Sec.token,
					       .body = "{}"},
			      close_resp);
	curl_multi_add_handle(p.multi, p.other);
	pump_until(&p, finalized_and_answered, "meeting_finalized event");
	it_assert_status(close_resp, 200);
	it_resp_free(close_resp);
	data = sse_event(&s, "meeting_finalized");
	assert_int_equal(json_integer_value(json_object_get(data, "meeting")),
			 meeting);
	assert_anonymous(data);
	/* No score of any ballot went down the stream. */
	assert_null(strstr(s.buf, "81.00"));
	assert_null(strstr(s.buf, "82.00"));
	assert_null(strstr(s.buf, "83.00"));

	if (!p.stream_ended)
		curl_multi_remove_handle(p.multi, p.stream);
	it_easy_done(p.stream, stream_resp, CURLE_OK);
	assert_int_equal(stream_resp->status, 200);
	assert_non_null(it_header(stream_resp, "Content-Type"));
	assert_int_equal(strncmp(it_header(stream_resp, "Content-Type"),
				 "text/event-stream", 17),
			 0);
	it_resp_free(stream_resp);
	curl_multi_cleanup(p.multi);
	json_decref(s.events);
	free(s.buf);
}

/* ---- 4. audit ---- */

static void
test_audit_of_the_flow(void **state)
{
	static const char *const ballot_keys[] = {"round", "revision",
						  "complete", "items", NULL};
	json_t *all, *e, *mine;
	char last[65], why[256], path[128];
	int got[N_ACTIONS] = {0};
	size_t i;

	(void)state;
	if (!full.done)
		fail_msg("the full evaluation did not complete");
	all = it_audit_all(Aud.token, 500);
	if (!it_audit_verify(all, last, why, sizeof why))
		fail_msg("the audit chain does not recompute: %s", why);
	json_array_foreach(all, i, e)
	{
		const char *action =
		    json_string_value(json_object_get(e, "action"));
		size_t a;

		if (json_integer_value(json_object_get(e, "meeting_id")) ==
		    full.meeting)
			assert_int_equal(json_integer_value(json_object_get(
					     e, "evaluation_id")),
					 full.eval);
		if (json_integer_value(json_object_get(e, "evaluation_id")) !=
		    full.eval)
			continue;
		for (a = 0; a < N_ACTIONS; a++) {
			if (strcmp(actions[a], action) == 0)
				break;
		}
		if (a == N_ACTIONS)
			fail_msg("unexpected action %s", action);
		got[a]++;
		if (strcmp(action, "ballot.submit") == 0) {
			const json_t *d = json_object_get(e, "details");
			char *text = json_dumps(d, JSON_COMPACT);

			assert_false(has_key_other_than(d, ballot_keys));
			assert_null(strstr(text, "score"));
			free(text);
			assert_int_equal(json_integer_value(
					     json_object_get(e, "meeting_id")),
					 full.meeting);
		}
	}
	for (size_t a = 0; a < N_ACTIONS; a++) {
		if (got[a] != full.writes[a])
			fail_msg("%d %s entries, want %d", got[a], actions[a],
				 full.writes[a]);
	}
	assert_int_equal(full.writes[2], 7); /* seat.accept */
	assert_int_equal(full.writes[3], 1); /* seat.recuse */
	assert_int_equal(full.writes[5], 14);
	/* The server's filter agrees. */
	snprintf(path, sizeof path, V1 "/audit?evaluation_id=%lld&limit=1000",
		 full.eval);
	mine = take(it_get(path, Aud.token), 200);
	{
		int total = 0;

		for (size_t a = 0; a < N_ACTIONS; a++)
			total += full.writes[a];
		assert_int_equal(
		    json_array_size(json_object_get(mine, "items")), total);
	}
	json_decref(mine);
	json_decref(all);
}

/* ---- 5. CSV ---- */

/* Splits CSV (after the BOM) into records of fields; fails on a line
 * ending other than CRLF outside quotes. */
static json_t *
csv_parse(const char *p, const char *end)
{
	json_t *records = json_array(), *record = json_array();
	char field[4096];
	size_t len = 0;
	bool quoted = false;

	while (p < end) {
		char c = *p++;

		if (quoted) {
			if (c == '"' && p < end && *p == '"') {
				p++;
				field[len++] = '"';
			} else if (c == '"') {
				quoted = false;
			} else {
				field[len++] = c;
			}
		} else if (c == '"' && len == 0) {
			quoted = true;
		} else if (c == ',') {
			json_array_append_new(record, json_stringn(field, len));
			len = 0;
		} else if (c == '\r' && p < end && *p == '\n') {
			p++;
			json_array_append_new(record, json_stringn(field, len));
			json_array_append_new(records, record);
			record = json_array();
			len = 0;
		} else if (c == '\r' || c == '\n') {
			fail_msg("a bare %s outside quotes in record %zu",
				 c == '\r' ? "CR" : "LF",
				 json_array_size(records) + 1);
		} else {
			field[len++] = c;
		}
		assert_true(len < sizeof field);
	}
	/* The last record ends with CRLF too. */
	assert_false(quoted);
	assert_int_equal(len, 0);
	assert_int_equal(json_array_size(record), 0);
	json_decref(record);
	return records;
}

static size_t
column_of(const json_t *header, const char *name)
{
	const json_t *f;
	size_t i;

	json_array_foreach(header, i, f)
	{
		if (strcmp(json_string_value(f), name) == 0)
			return i;
	}
	fail_msg("the CSV has no column %s", name);
	return 0;
}

static void
test_table_csv(void **state)
{
	json_t *table, *records, *header, *rec;
	struct it_resp *r;
	char path[128];
	size_t i, c_value, c_contrib, leaves_seen = 0;

	(void)state;
	if (!full.done)
		fail_msg("the full evaluation did not complete");
	table =
	    take(get(Aud.token, V1 "/evaluations/%lld/table", full.eval), 200);
	snprintf(path, sizeof path, V1 "/evaluations/%lld/table?format=csv",
		 full.eval);
	r = it_do(
	    &(struct it_req){.path = path, .token = Aud.token, .raw = true});
	it_assert_status(r, 200);
	assert_non_null(it_header(r, "Content-Type"));
	assert_int_equal(strncmp(it_header(r, "Content-Type"), "text/csv", 8),
			 0);
	assert_true(r->body_len > 3);
	assert_memory_equal(r->body, "\xef\xbb\xbf", 3);
	records = csv_parse(r->body + 3, r->body + r->body_len);
	assert_int_equal(json_array_size(records), 23);
	header = json_array_get(records, 0);
	assert_str(json_array_get(header, 0), "code", "first column");
	c_value = column_of(header, "value");
	c_contrib = column_of(header, "contribution");
	json_array_foreach(records, i, rec)
	{
		const json_t *node;
		const char *code;

		if (i == 0)
			continue;
		assert_int_equal(json_array_size(rec), json_array_size(header));
		code = json_string_value(json_array_get(rec, 0));
		node = node_find(json_object_get(table, "nodes"), code);
		if (node == NULL)
			fail_msg("CSV row %zu: no node %s", i, code);
		if (json_object_get(node, "children") != NULL) {
			assert_str(json_array_get(rec, c_value), "", code);
			continue;
		}
		leaves_seen++;
		assert_true(json_string_length(json_array_get(rec, c_value)) >
			    0);
		assert_str(json_array_get(rec, c_value),
			   json_string_value(json_object_get(node, "value")),
			   code);
		assert_str(
		    json_array_get(rec, c_contrib),
		    json_string_value(json_object_get(node, "contribution")),
		    code);
	}
	assert_int_equal(leaves_seen, N_LEAVES);
	json_decref(records);
	json_decref(table);
	it_resp_free(r);
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
	    cmocka_unit_test_setup(test_full_evaluation, soft_reset),
	    cmocka_unit_test_setup(test_every_score_85, soft_reset),
	    cmocka_unit_test_setup(test_total_84_995, soft_reset),
	    cmocka_unit_test_setup(test_total_just_under, soft_reset),
	    cmocka_unit_test_setup(test_trimming_flips_verdict, soft_reset),
	    cmocka_unit_test_setup_teardown(test_quorum_not_met, soft_reset,
					    quorum_teardown),
	    cmocka_unit_test_setup(test_conflict_of_interest, soft_reset),
	    cmocka_unit_test_setup(test_conflict_case_folding, soft_reset),
	    cmocka_unit_test_setup(test_who_may_vote, soft_reset),
	    cmocka_unit_test_setup(test_recused_ballot_code, soft_reset),
	    cmocka_unit_test_setup(test_invalid_ballots, soft_reset),
	    cmocka_unit_test_setup(test_partial_and_revised_ballots,
				   soft_reset),
	    cmocka_unit_test_setup(test_round_rules, soft_reset),
	    cmocka_unit_test_setup(test_ballot_if_match, soft_reset),
	    cmocka_unit_test_setup(test_idempotent_ballots_and_close,
				   soft_reset),
	    cmocka_unit_test_setup(test_writes_after_finalization, soft_reset),
	    cmocka_unit_test_setup(test_who_sees_what, soft_reset),
	    cmocka_unit_test_setup(test_events, soft_reset),
	    cmocka_unit_test_setup(test_audit_of_the_flow, soft_reset),
	    cmocka_unit_test_setup(test_table_csv, soft_reset),
	    cmocka_unit_test_setup(test_stop_clean, soft_reset),
	};

	return cmocka_run_group_tests(tests, meetings_setup, meetings_teardown);
}
