/*
 * crashgen load: keeps --concurrency ballot PUTs in flight (write SEQ from
 * expert SEQ mod N; some twice at once, see crash_twin) until --target-ok
 * of them were acknowledged, and journals every answer.  Standard output
 * carries "ok COUNT" after every
 * --progress-every acknowledged writes: the driver script reads these
 * lines to decide when to strike, so the faults follow the load's
 * progress, not the clock.
 *
 * After an answer that leaves a write unknown (the server or the database
 * went away), no new write starts: the slots in flight finish, then
 * GET /healthz is polled until the server is back, and the load resumes.
 * The unknown writes themselves are left to crashgen settle.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crash.h"

#define CRASH_SLOTS_MAX	  64
#define CRASH_REASONS_MAX 16

struct crash_slot {
	CURL *easy;
	struct curl_slist *hdrs;
	char *body;
	struct crash_entry e;
	struct crash_resp resp;
	bool busy;
};

/* Why writes were left unknown, counted, for the summary. */
struct crash_reasons {
	char name[CRASH_REASONS_MAX][64];
	long count[CRASH_REASONS_MAX];
	size_t n;
};

/* Counts one more unknown write for reason name. */
static void
crash_reason_count(struct crash_reasons *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		if (strcmp(r->name[i], name) == 0)
			break;
	}
	if (i == r->n) {
		if (r->n == CRASH_REASONS_MAX)
			i = r->n - 1; /* the last one collects the rest */
		else
			snprintf(r->name[r->n++], sizeof r->name[0], "%s",
				 name);
	}
	r->count[i]++;
}

/* Sends write seq from slot s. */
static void
crash_slot_start(CURLM *multi, const struct crash_state *st,
		 struct crash_slot *s, long seq)
{
	size_t expert = crash_expert_of(st, seq);

	char path[128];

	crash_ballot_path(st, path, sizeof path);
	memset(&s->e, 0, sizeof s->e);
	s->e.seq = seq;
	s->e.expert = expert;
	s->body = crash_body(st, seq);
	s->hdrs = crash_headers(st, seq);
	s->easy = crash_easy_new(st, "PUT", path, st->experts[expert].token,
				 s->body, &s->hdrs, &s->resp);
	curl_easy_setopt(s->easy, CURLOPT_PRIVATE, s);
	if (curl_multi_add_handle(multi, s->easy) != CURLM_OK)
		crash_die("curl_multi_add_handle failed");
	s->busy = true;
}

/* Journals the slot's answer and frees it; returns the outcome. */
static enum crash_outcome
crash_slot_finish(CURLM *multi, struct crash_slot *s, CURLcode code,
		  FILE *journal, struct crash_reasons *reasons)
{
	enum crash_outcome outcome;
	char why[256];

	crash_resp_done(s->easy, &s->resp, code);
	outcome = crash_classify(&s->resp);
	if (outcome == CRASH_UNKNOWN) {
		if (code != CURLE_OK)
			snprintf(why, sizeof why, "curl: %s",
				 curl_easy_strerror(code));
		else
			snprintf(why, sizeof why, "HTTP %ld", s->resp.status);
		crash_reason_count(reasons, why);
		s->e.outcome = CRASH_UNKNOWN;
		s->e.status = s->resp.status;
		snprintf(why + strlen(why), sizeof why - strlen(why), " %.150s",
			 code != CURLE_OK ? s->resp.err : s->resp.body);
		s->e.why = strdup(why);
	} else {
		crash_entry_answer(&s->e, &s->resp);
	}
	crash_entry_write(journal, &s->e);
	free(s->e.answer);
	free(s->e.why);
	curl_multi_remove_handle(multi, s->easy);
	curl_easy_cleanup(s->easy);
	curl_slist_free_all(s->hdrs);
	free(s->body);
	crash_resp_reset(&s->resp);
	s->busy = false;
	return outcome;
}

int
crash_load(int argc, char **argv)
{
	struct crash_opt opts[] = {
	    {"state", NULL},	      {"journal", NULL},
	    {"target-ok", NULL},      {"concurrency", "10"},
	    {"progress-every", NULL},
	};
	size_t n_opts = sizeof opts / sizeof *opts;
	struct crash_slot slots[CRASH_SLOTS_MAX] = {0};
	struct crash_reasons reasons = {0};
	struct crash_state st = {0};
	long target, every, counts[3] = {0}, next_seq = 0, issue_max;
	size_t n_slots;
	bool paused = false;
	FILE *journal;
	CURLM *multi;

	crash_opts(argc, argv, opts, n_opts);
	crash_state_load(&st, crash_opt(opts, n_opts, "state"));
	target = crash_opt_long(opts, n_opts, "target-ok", 1, 1000000);
	every = crash_opt_long(opts, n_opts, "progress-every", 1, 1000000);
	/* Twins need two slots. */
	n_slots = (size_t)crash_opt_long(opts, n_opts, "concurrency", 2,
					 CRASH_SLOTS_MAX);
	/* Most writes succeed: far more attempts means a broken server. */
	issue_max = 3 * target + 1000;
	journal = fopen(crash_opt(opts, n_opts, "journal"), "w");
	multi = curl_multi_init();
	if (journal == NULL || multi == NULL)
		crash_die("cannot start: journal or curl multi");

	for (;;) {
		size_t busy = 0;
		CURLMsg *msg;
		int running, left;

		for (size_t i = 0; i < n_slots; i++) {
			size_t twin = i;

			if (slots[i].busy || paused ||
			    counts[CRASH_OK] >= target)
				continue;
			if (next_seq >= issue_max)
				crash_die(
				    "%ld writes sent, only %ld acknowledged",
				    next_seq, counts[CRASH_OK]);
			if (crash_twin(next_seq)) {
				/* Both copies go out now, or neither yet. */
				while (++twin < n_slots && slots[twin].busy)
					;
				if (twin == n_slots)
					break;
				crash_slot_start(multi, &st, &slots[twin],
						 next_seq);
			}
			crash_slot_start(multi, &st, &slots[i], next_seq++);
		}
		for (size_t i = 0; i < n_slots; i++)
			busy += slots[i].busy;
		if (busy == 0) {
			if (counts[CRASH_OK] >= target)
				break;
			/* Paused, and everything in flight has landed. */
			if (!crash_wait_ready(&st))
				crash_die("the server did not come back");
			paused = false;
			continue;
		}
		if (curl_multi_perform(multi, &running) != CURLM_OK)
			crash_die("curl_multi_perform failed");
		while ((msg = curl_multi_info_read(multi, &left)) != NULL) {
			struct crash_slot *s;
			enum crash_outcome outcome;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
					  (char **)&s);
			outcome = crash_slot_finish(multi, s, msg->data.result,
						    journal, &reasons);
			counts[outcome]++;
			if (outcome == CRASH_UNKNOWN)
				paused = true;
			if (outcome == CRASH_OK &&
			    counts[CRASH_OK] % every == 0)
				printf("ok %ld\n", counts[CRASH_OK]);
		}
		if (running > 0 &&
		    curl_multi_poll(multi, NULL, 0, 1000, NULL) != CURLM_OK)
			crash_die("curl_multi_poll failed");
	}
	printf("done: %ld writes in %ld requests: %ld ok, %ld failed, %ld "
	       "unknown\n",
	       next_seq,
	       counts[CRASH_OK] + counts[CRASH_FAILED] + counts[CRASH_UNKNOWN],
	       counts[CRASH_OK], counts[CRASH_FAILED], counts[CRASH_UNKNOWN]);
	for (size_t i = 0; i < reasons.n; i++)
		printf("unknown: %ld x %s\n", reasons.count[i],
		       reasons.name[i]);
	curl_multi_cleanup(multi);
	if (fclose(journal) != 0)
		crash_die("cannot write the journal");
	crash_state_free(&st);
	return 0;
}
