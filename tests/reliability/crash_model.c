/*
 * The crash test's requests as functions of their sequence number, and the
 * journal of what each got.  Every body differs from every other (its
 * first item carries the comment "RUN #SEQ", and the scores vary with
 * SEQ), so a revision row in the database names the one request that
 * wrote it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crash.h"

/* A version no ballot of the run reaches: If-Match with it is stale. */
#define CRASH_STALE_VERSION "999999"

enum crash_kind
crash_kind_of(long seq)
{
	if (seq % 20 == 7)
		return CRASH_INVALID;
	if (seq % 20 == 13)
		return CRASH_STALE;
	if (seq % 10 == 3)
		return CRASH_INCOMPLETE;
	return CRASH_COMPLETE;
}

size_t
crash_expert_of(const struct crash_state *st, long seq)
{
	return (size_t)seq % st->n_experts;
}

bool
crash_twin(long seq)
{
	/* Every kind has twins: 1, 7, 13, 19, 25 ... cover them mod 20. */
	return seq % 6 == 1;
}

/* Item k's score at seq in hundredths, 60.00 to 100.00. */
static long
crash_score(long seq, size_t k)
{
	return 6000 + (seq * 7919 + (long)k * 104729) % 4001;
}

/* How many items seq scores: all, or one short. */
static size_t
crash_n_scored(const struct crash_state *st, long seq)
{
	size_t n = json_array_size(st->items);

	return crash_kind_of(seq) == CRASH_INCOMPLETE ? n - 1 : n;
}

/* The comment that names seq in the database. */
static json_t *
crash_comment(const struct crash_state *st, long seq)
{
	char text[96];

	snprintf(text, sizeof text, "%s #%ld", st->run, seq);
	return json_string(text);
}

/* The scores of seq, each score as make(hundredths) returns it. */
static json_t *
crash_scores(const struct crash_state *st, long seq, json_t *(*make)(long))
{
	json_t *out = json_array();

	for (size_t k = 0; k < crash_n_scored(st, seq); k++) {
		json_t *s = json_pack("{s:O, s:o}", "item",
				      json_array_get(st->items, k), "score",
				      make(crash_score(seq, k)));

		if (k == 0)
			json_object_set_new(s, "comment",
					    crash_comment(st, seq));
		json_array_append_new(out, s);
	}
	return out;
}

/* A score as text, "86.43". */
static json_t *
crash_decimal(long hundredths)
{
	char text[48];

	snprintf(text, sizeof text, "%ld.%02ld", hundredths / 100,
		 hundredths % 100);
	return json_string(text);
}

/* A score as stored, in hundredths. */
static json_t *
crash_integer(long hundredths)
{
	return json_integer(hundredths);
}

char *
crash_body(const struct crash_state *st, long seq)
{
	json_t *scores = crash_scores(st, seq, crash_decimal), *body;
	char *text;

	if (crash_kind_of(seq) == CRASH_INVALID)
		json_object_set_new(
		    json_array_get(scores, json_array_size(scores) - 1),
		    "score", json_string("100.01"));
	body = json_pack("{s:o}", "scores", scores);
	text = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(body);
	if (text == NULL)
		crash_die("out of memory");
	return text;
}

json_t *
crash_stored(const struct crash_state *st, long seq)
{
	return crash_scores(st, seq, crash_integer);
}

json_t *
crash_shown(const struct crash_state *st, long seq)
{
	return crash_scores(st, seq, crash_decimal);
}

struct curl_slist *
crash_headers(const struct crash_state *st, long seq)
{
	char line[160];
	struct curl_slist *h;

	snprintf(line, sizeof line, "Idempotency-Key: crash-%s-%ld", st->run,
		 seq);
	h = curl_slist_append(NULL, line);
	if (h != NULL && crash_kind_of(seq) == CRASH_STALE)
		h = curl_slist_append(h, "If-Match: " CRASH_STALE_VERSION);
	if (h == NULL)
		crash_die("out of memory");
	return h;
}

void
crash_ballot_path(const struct crash_state *st, char *out, size_t len)
{
	snprintf(out, len, "/meetings/%lld/rounds/%d/ballot", st->meeting,
		 st->round);
}

bool
crash_expected(long seq, const struct crash_resp *resp, char *why,
	       size_t why_len)
{
	enum crash_kind kind = crash_kind_of(seq);
	char code[64];
	json_t *o;
	bool good;

	switch (kind) {
	case CRASH_COMPLETE:
	case CRASH_INCOMPLETE:
		o = json_loads(resp->body, 0, NULL);
		good = resp->status == 200 && json_object_size(o) == 2 &&
		       json_is_integer(json_object_get(o, "version")) &&
		       json_integer_value(json_object_get(o, "version")) >= 1 &&
		       json_is_boolean(json_object_get(o, "complete")) &&
		       json_is_true(json_object_get(o, "complete")) ==
			   (kind == CRASH_COMPLETE);
		json_decref(o);
		break;
	case CRASH_INVALID:
		crash_error_code(resp, code, sizeof code);
		good =
		    resp->status == 422 && strcmp(code, "invalid_score") == 0;
		break;
	default:
		crash_error_code(resp, code, sizeof code);
		good = resp->status == 412 &&
		       strcmp(code, "version_mismatch") == 0;
		break;
	}
	if (!good)
		snprintf(why, why_len, "#%ld got HTTP %ld: %.200s", seq,
			 resp->status, resp->body);
	return good;
}

/* ---- the journal: one JSON object a line ---- */

static const char *const crash_outcome_names[] = {"ok", "failed", "unknown"};

void
crash_entry_write(FILE *f, const struct crash_entry *e)
{
	json_t *o = json_pack(
	    "{s:I, s:I, s:s, s:I, s:s*, s:s*, s:I, s:b}", "seq",
	    (json_int_t)e->seq, "expert", (json_int_t)e->expert, "outcome",
	    crash_outcome_names[e->outcome], "status", (json_int_t)e->status,
	    "answer", e->answer, "why", e->why, "version",
	    (json_int_t)e->version, "complete", e->complete);

	if (o == NULL || json_dumpf(o, f, JSON_COMPACT) < 0 ||
	    fputc('\n', f) == EOF || fflush(f) != 0)
		crash_die("cannot write the journal");
	json_decref(o);
}

/* A copy of s, or NULL for NULL. */
static char *
crash_strdup(const char *s)
{
	char *c;

	if (s == NULL)
		return NULL;
	c = strdup(s);
	if (c == NULL)
		crash_die("out of memory");
	return c;
}

struct crash_entry *
crash_journal_read(const char *path, size_t *n)
{
	FILE *f = fopen(path, "r");
	struct crash_entry *out = NULL;
	size_t cap = 0;
	char line[8192];

	if (f == NULL)
		crash_die("cannot read %s", path);
	*n = 0;
	while (fgets(line, sizeof line, f) != NULL) {
		json_error_t err;
		json_t *o = json_loads(line, 0, &err);
		struct crash_entry *e;
		const char *outcome, *answer = NULL, *why = NULL;
		json_int_t seq, expert, status, version;
		int complete;

		if (*n == cap) {
			cap = cap ? 2 * cap : 256;
			out = realloc(out, cap * sizeof *out);
			if (out == NULL)
				crash_die("out of memory");
		}
		if (o == NULL ||
		    json_unpack_ex(
			o, &err, 0, "{s:I, s:I, s:s, s:I, s?s, s?s, s:I, s:b}",
			"seq", &seq, "expert", &expert, "outcome", &outcome,
			"status", &status, "answer", &answer, "why", &why,
			"version", &version, "complete", &complete) < 0)
			crash_die("%s:%zu: %s", path, *n + 1, err.text);
		e = &out[(*n)++];
		memset(e, 0, sizeof *e);
		e->seq = (long)seq;
		e->expert = (size_t)expert;
		e->status = (long)status;
		e->version = version;
		e->complete = complete;
		e->answer = crash_strdup(answer);
		e->why = crash_strdup(why);
		for (int k = 0; k < 3; k++) {
			if (strcmp(outcome, crash_outcome_names[k]) == 0)
				e->outcome = (enum crash_outcome)k;
		}
		json_decref(o);
	}
	fclose(f);
	return out;
}

void
crash_entries_free(struct crash_entry *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(e[i].answer);
		free(e[i].why);
	}
	free(e);
}

void
crash_entry_answer(struct crash_entry *e, const struct crash_resp *resp)
{
	json_t *o;

	e->outcome = crash_classify(resp);
	e->status = resp->status;
	free(e->answer);
	e->answer = crash_strdup(resp->body);
	e->version = 0;
	e->complete = false;
	if (e->outcome != CRASH_OK)
		return;
	o = json_loads(resp->body, 0, NULL);
	e->version = json_integer_value(json_object_get(o, "version"));
	e->complete = json_is_true(json_object_get(o, "complete"));
	json_decref(o);
}
