/*
 * crashgen settle, once the faults are over: sends every write whose
 * outcome is unknown again, byte for byte with its Idempotency-Key, until
 * it gets a definitive answer; replays every write with a definitive
 * answer and requires that answer again (a 2xx byte for byte, marked
 * Idempotent-Replayed); checks that each expert's ballot as the API shows
 * it is their last acknowledged write and that a new write follows it.
 * Writes the settled journal as tab-separated lines for the database
 * checks (checks.sql) and prints one "check NAME: ok|FAILED" line per
 * check; exits 1 when one failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crash.h"

/* Attempts to settle one unknown write; each waits for /healthz first. */
#define CRASH_SETTLE_ATTEMPTS 50
/* Failures printed per check; the count says how many there were. */
#define CRASH_EXAMPLES 5

struct crash_check {
	const char *name;
	long bad, total;
};

/* Counts a failure, printing the first few. */
static void
crash_check_fail(struct crash_check *c, const char *why)
{
	if (c->bad++ < CRASH_EXAMPLES)
		printf("  %s: %s\n", c->name, why);
}

/* Prints the check's line; true when it passed. */
static bool
crash_check_print(const struct crash_check *c, const char *detail)
{
	if (c->bad == 0)
		printf("check %s: ok (%s)\n", c->name, detail);
	else
		printf("check %s: FAILED (%ld of %ld; %s)\n", c->name, c->bad,
		       c->total, detail);
	return c->bad == 0;
}

/* Sends e's request once more into resp. */
static void
crash_resend(const struct crash_state *st, const struct crash_entry *e,
	     struct crash_resp *resp)
{
	char path[128], *body = crash_body(st, e->seq);
	struct curl_slist *hdrs = crash_headers(st, e->seq);

	crash_ballot_path(st, path, sizeof path);
	crash_call(st, "PUT", path, st->experts[e->expert].token, body, hdrs,
		   resp);
	curl_slist_free_all(hdrs);
	free(body);
}

/* Settles e; counts into *replayed when the answer is a replay: the write
 * had committed before (its lost attempt, or its twin's). */
static bool
crash_settle_one(const struct crash_state *st, struct crash_entry *e,
		 long *replayed)
{
	struct crash_resp resp = {0};

	for (int attempt = 0; attempt < CRASH_SETTLE_ATTEMPTS; attempt++) {
		if (!crash_wait_ready(st))
			break;
		crash_resend(st, e, &resp);
		if (crash_classify(&resp) != CRASH_UNKNOWN) {
			crash_entry_answer(e, &resp);
			*replayed += resp.replayed;
			crash_resp_reset(&resp);
			return true;
		}
	}
	crash_resp_reset(&resp);
	return false;
}

/* The same request again must get the same answer. */
static void
crash_replay(const struct crash_state *st, const struct crash_entry *e,
	     struct crash_check *c)
{
	struct crash_resp resp = {0};
	char why[512], code[64], first[64];
	struct crash_resp was = {.body = e->answer, .status = e->status};

	c->total++;
	crash_resend(st, e, &resp);
	if (e->outcome == CRASH_OK) {
		if (resp.status != e->status || !resp.replayed ||
		    strcmp(resp.body, e->answer) != 0) {
			snprintf(why, sizeof why,
				 "#%ld first HTTP %ld %s, replay HTTP %ld "
				 "%s (replayed: %s)",
				 e->seq, e->status, e->answer, resp.status,
				 resp.body, resp.replayed ? "yes" : "no");
			crash_check_fail(c, why);
		}
	} else {
		crash_error_code(&resp, code, sizeof code);
		crash_error_code(&was, first, sizeof first);
		if (resp.status != e->status || strcmp(code, first) != 0) {
			snprintf(why, sizeof why,
				 "#%ld first HTTP %ld %s, replay HTTP %ld %s",
				 e->seq, e->status, first, resp.status, code);
			crash_check_fail(c, why);
		}
	}
	crash_resp_reset(&resp);
}

/* qsort order of entry pointers: by sequence number. */
static int
crash_by_seq(const void *a, const void *b)
{
	const struct crash_entry *x = *(struct crash_entry *const *)a;
	const struct crash_entry *y = *(struct crash_entry *const *)b;

	return (x->seq > y->seq) - (x->seq < y->seq);
}

/* The two copies of a twin write got the same answer: the same 2xx body
 * (the one that waited replayed the other's), or the same refusal. */
static void
crash_check_twins(struct crash_entry *e, size_t n, struct crash_check *c)
{
	struct crash_entry **by = malloc((n ? n : 1) * sizeof *by);
	char why[512], code[2][64];

	if (by == NULL)
		crash_die("out of memory");
	for (size_t i = 0; i < n; i++)
		by[i] = &e[i];
	qsort(by, n, sizeof *by, crash_by_seq);
	for (size_t i = 0; i + 1 < n; i++) {
		struct crash_entry *a = by[i], *b = by[i + 1];

		if (a->seq != b->seq)
			continue;
		c->total++;
		for (int k = 0; k < 2; k++) {
			struct crash_resp r = {.body =
						   k ? b->answer : a->answer};

			crash_error_code(&r, code[k], sizeof code[k]);
		}
		if (a->outcome != b->outcome || a->status != b->status ||
		    (a->outcome == CRASH_OK && strcmp(a->answer, b->answer)) ||
		    strcmp(code[0], code[1]) != 0) {
			snprintf(why, sizeof why,
				 "#%ld: HTTP %ld %s and HTTP %ld %s", a->seq,
				 a->status, a->answer ? a->answer : a->why,
				 b->status, b->answer ? b->answer : b->why);
			crash_check_fail(c, why);
		}
	}
	free(by);
}

/* Expert x's ballot as the API shows it is its last acknowledged write. */
static void
crash_check_shown(const struct crash_state *st, size_t x,
		  const struct crash_entry *last, struct crash_check *c)
{
	char path[128], why[256];
	json_t *got, *want;

	c->total++;
	crash_ballot_path(st, path, sizeof path);
	got = crash_call_json(st, "GET", path, st->experts[x].token, NULL, 200);
	want = last ? crash_shown(st, last->seq) : json_array();
	if (json_integer_value(json_object_get(got, "version")) !=
		(last ? last->version : 0) ||
	    !json_equal(json_object_get(got, "scores"), want)) {
		snprintf(why, sizeof why,
			 "expert %zu: version %lld shown, %lld acknowledged "
			 "last (#%ld)",
			 x + 1,
			 (long long)json_integer_value(
			     json_object_get(got, "version")),
			 last ? last->version : 0, last ? last->seq : -1);
		crash_check_fail(c, why);
	}
	json_decref(want);
	json_decref(got);
}

/* One line of the settled journal; the text fields need no escaping. */
static void
crash_final_write(FILE *f, const struct crash_state *st,
		  const struct crash_entry *e)
{
	static const char *const names[] = {"ok", "failed", "unknown"};
	json_t *stored = crash_stored(st, e->seq);
	char *text = json_dumps(stored, JSON_COMPACT);

	if (text == NULL || strpbrk(text, "\t\n\\") != NULL)
		crash_die("#%ld: the stored form needs escaping", e->seq);
	fprintf(f, "%ld\t%lld\tcrash-%s-%ld\t%s\t%lld\t%s\t%s #%ld\t%s\n",
		e->seq, st->experts[e->expert].id, st->run, e->seq,
		names[e->outcome], e->version, e->complete ? "t" : "f", st->run,
		e->seq, text);
	free(text);
	json_decref(stored);
}

int
crash_settle(int argc, char **argv)
{
	struct crash_opt opts[] = {
	    {"state", NULL},
	    {"journal", NULL},
	    {"final", NULL},
	};
	size_t n_opts = sizeof opts / sizeof *opts, n;
	struct crash_state st = {0};
	struct crash_entry *e, **last;
	struct crash_check expected = {"expected_answers", 0, 0},
			   settled = {"unknown_settled", 0, 0},
			   replay = {"replay_returns_first_answer", 0, 0},
			   shown = {"api_shows_last_write", 0, 0},
			   after = {"new_writes_after", 0, 0},
			   twins = {"twins_agree", 0, 0};
	long counts[3] = {0}, retried = 0, replayed = 0, max_seq = -1;
	char why[256], detail[160];
	bool good = true;
	FILE *final;

	crash_opts(argc, argv, opts, n_opts);
	crash_state_load(&st, crash_opt(opts, n_opts, "state"));
	e = crash_journal_read(crash_opt(opts, n_opts, "journal"), &n);
	e = realloc(e, (n + st.n_experts) * sizeof *e);
	last = calloc(st.n_experts, sizeof *last);
	if (e == NULL || last == NULL)
		crash_die("out of memory");

	for (size_t i = 0; i < n; i++) {
		counts[e[i].outcome]++;
		if (e[i].seq > max_seq)
			max_seq = e[i].seq;
		if (e[i].outcome != CRASH_UNKNOWN)
			continue;
		retried++;
		settled.total++;
		if (!crash_settle_one(&st, &e[i], &replayed)) {
			snprintf(why, sizeof why, "#%ld stays unknown (%s)",
				 e[i].seq, e[i].why);
			crash_check_fail(&settled, why);
		}
	}
	for (size_t i = 0; i < n; i++) {
		struct crash_resp was = {.body = e[i].answer,
					 .status = e[i].status};

		if (e[i].outcome == CRASH_UNKNOWN)
			continue;
		expected.total++;
		if (!crash_expected(e[i].seq, &was, why, sizeof why))
			crash_check_fail(&expected, why);
		crash_replay(&st, &e[i], &replay);
		if (e[i].outcome == CRASH_OK &&
		    (last[e[i].expert] == NULL ||
		     e[i].version > last[e[i].expert]->version))
			last[e[i].expert] = &e[i];
	}
	crash_check_twins(e, n, &twins);
	for (size_t x = 0; x < st.n_experts; x++)
		crash_check_shown(&st, x, last[x], &shown);

	/* One more complete ballot each: the next revision, not a replay. */
	for (size_t x = 0; x < st.n_experts; x++) {
		struct crash_entry *a = &e[n++];
		struct crash_resp resp = {0};
		long long want = last[x] ? last[x]->version + 1 : 1;

		memset(a, 0, sizeof *a);
		do
			a->seq = ++max_seq;
		while (crash_kind_of(a->seq) != CRASH_COMPLETE);
		a->expert = x;
		after.total++;
		crash_resend(&st, a, &resp);
		crash_entry_answer(a, &resp);
		if (a->outcome != CRASH_OK || resp.replayed ||
		    a->version != want) {
			snprintf(why, sizeof why,
				 "expert %zu: HTTP %ld %s, want version %lld",
				 x + 1, resp.status, resp.body, want);
			crash_check_fail(&after, why);
		}
		crash_resp_reset(&resp);
	}

	final = fopen(crash_opt(opts, n_opts, "final"), "w");
	if (final == NULL)
		crash_die("cannot write the settled journal");
	for (size_t i = 0; i < n; i++)
		crash_final_write(final, &st, &e[i]);
	if (fclose(final) != 0)
		crash_die("cannot write the settled journal");

	printf("requests: %zu during the run (%zu writes, %ld of them sent "
	       "twice at once): %ld ok, %ld failed, %ld unknown\n",
	       n - st.n_experts, n - st.n_experts - (size_t)twins.total,
	       twins.total, counts[CRASH_OK], counts[CRASH_FAILED],
	       counts[CRASH_UNKNOWN]);
	printf("retried: %ld unknown: %ld got a replay (the write had "
	       "committed, only its answer was lost), %ld did not (the retry "
	       "wrote it, or it was refused)\n",
	       retried, replayed, retried - replayed - settled.bad);
	snprintf(detail, sizeof detail, "%ld definitive answers",
		 expected.total);
	good &= crash_check_print(&expected, detail);
	snprintf(detail, sizeof detail, "%ld of %ld",
		 settled.total - settled.bad, settled.total);
	good &= crash_check_print(&settled, detail);
	snprintf(detail, sizeof detail, "%ld replays", replay.total);
	good &= crash_check_print(&replay, detail);
	snprintf(detail, sizeof detail, "%ld writes sent twice at once",
		 twins.total);
	good &= crash_check_print(&twins, detail);
	snprintf(detail, sizeof detail, "%zu experts", st.n_experts);
	good &= crash_check_print(&shown, detail);
	good &= crash_check_print(&after, detail);
	crash_entries_free(e, n);
	free(last);
	crash_state_free(&st);
	return good ? 0 : 1;
}
