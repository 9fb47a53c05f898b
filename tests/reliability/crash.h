/*
 * crashgen, the load generator of the crash test (crash-test): a black-box
 * HTTPS client of pingshend that submits ballot revisions from several
 * experts at once while the driver script kills the server and the
 * database under it, records what each request got, and afterwards
 * settles every request whose outcome it does not know.
 *
 *   crashgen setup   builds a scoring meeting with an open round
 *   crashgen load    the writes, journaled one line per answer
 *   crashgen settle  retries the unknown, replays the known, checks the API
 *
 * Every request is a function of its sequence number (crash_model.c), so
 * a retry sends byte for byte the same request with the same
 * Idempotency-Key without the journal having to keep the body.
 */
#ifndef PINGSHEN_CRASH_H
#define PINGSHEN_CRASH_H

#include <stdbool.h>
#include <stddef.h>

#include <curl/curl.h>
#include <jansson.h>

/* Bounds: a single request, and the wait for the server to be ready again
 * after a fault (a restart under the sanitizers, crash recovery). */
#define CRASH_REQUEST_TIMEOUT_MS 20000
#define CRASH_READY_WAIT_S	 180

/* What setup leaves for load and settle, in a JSON file. */
struct crash_expert {
	long long id;
	char *token;
};

struct crash_state {
	char *base; /* https://127.0.0.1:PORT/api/v1 */
	char *ca;
	char *run; /* this run's tag, in every key and comment */
	long long meeting;
	int round;
	json_t *items; /* the round's item codes */
	size_t n_experts;
	struct crash_expert *experts;
};

/* crash_main.c: the state file. */
void crash_state_save(const struct crash_state *st, const char *path);
void crash_state_load(struct crash_state *st, const char *path);
void crash_state_free(struct crash_state *st);
/* Prints "crashgen: ..." and exits 1: the run itself is broken. */
void crash_die(const char *fmt, ...) __attribute__((format(printf, 1, 2)))
__attribute__((noreturn));

/* ---- crash_http.c ---- */

struct crash_resp {
	long status; /* 0: no HTTP answer */
	CURLcode code;
	char *body; /* NUL-terminated, never NULL after a transfer */
	size_t len;
	bool replayed; /* Idempotent-Replayed: true */
	char err[CURL_ERROR_SIZE];
};

/* What an answer tells about a write. */
enum crash_outcome {
	CRASH_OK,      /* 2xx: it happened */
	CRASH_FAILED,  /* a definitive 4xx: it did not */
	CRASH_UNKNOWN, /* no answer, 5xx, or "send it again" */
};

/*
 * An easy handle for method base+path with the bearer token, body (JSON,
 * or NULL) and the header lines of *hdrs, to which it adds its own (the
 * caller frees *hdrs after the transfer), answering into resp.
 */
CURL *crash_easy_new(const struct crash_state *st, const char *method,
		     const char *path, const char *token, const char *body,
		     struct curl_slist **hdrs, struct crash_resp *resp);
/* Empties resp for another transfer. */
void crash_resp_reset(struct crash_resp *resp);
/* Fills in status once the transfer of easy ended with code. */
void crash_resp_done(CURL *easy, struct crash_resp *resp, CURLcode code);
/* One request, blocking, on a connection kept between calls. */
void crash_call(const struct crash_state *st, const char *method,
		const char *path, const char *token, const char *body,
		struct curl_slist *hdrs, struct crash_resp *resp);
/* crash_call that must answer want; the answer parsed (caller decrefs). */
json_t *crash_call_json(const struct crash_state *st, const char *method,
			const char *path, const char *token, json_t *body,
			long want);
enum crash_outcome crash_classify(const struct crash_resp *resp);
/* The answer's error code, or "" (copied into out). */
void crash_error_code(const struct crash_resp *resp, char *out, size_t len);
/* Polls GET /healthz until it answers 200; false after CRASH_READY_WAIT_S.
 * The only place that waits on time: a bounded wait-until-ready loop. */
bool crash_wait_ready(const struct crash_state *st);
/* Closes the blocking calls' connection. */
void crash_http_end(void);

/* ---- crash_model.c: the requests and the journal ---- */

enum crash_kind {
	CRASH_COMPLETE,	  /* every item: 200, complete */
	CRASH_INCOMPLETE, /* one item short: 200, not complete */
	CRASH_INVALID,	  /* a score above 100: 422 invalid_score */
	CRASH_STALE,	  /* If-Match of a version never reached: 412 */
};

enum crash_kind crash_kind_of(long seq);
/* The expert who sends seq. */
size_t crash_expert_of(const struct crash_state *st, long seq);
/* True when seq goes out twice at once, on two connections: a client that
 * retries while its first attempt may still run.  Both answers must agree
 * and the write happen once. */
bool crash_twin(long seq);
/* The request's body as sent (caller frees). */
char *crash_body(const struct crash_state *st, long seq);
/* The scores as the server stores them, for the database check (caller
 * decrefs). */
json_t *crash_stored(const struct crash_state *st, long seq);
/* The scores as GET .../ballot shows them (caller decrefs). */
json_t *crash_shown(const struct crash_state *st, long seq);
/* The Idempotency-Key and If-Match header lines (caller frees). */
struct curl_slist *crash_headers(const struct crash_state *st, long seq);
/* PUT .../ballot's path. */
void crash_ballot_path(const struct crash_state *st, char *out, size_t len);
/* True when a definitive answer is the one the kind must get; else why
 * goes into why. */
bool crash_expected(long seq, const struct crash_resp *resp, char *why,
		    size_t why_len);

/* One request and what it got: a line of the journal. */
struct crash_entry {
	long seq;
	size_t expert;
	enum crash_outcome outcome;
	long status;
	char *answer; /* the body of a definitive answer */
	char *why;    /* what made it unknown */
	long long version;
	bool complete;
};

void crash_entry_write(FILE *f, const struct crash_entry *e);
/* Reads the journal; *n entries (caller frees with crash_entries_free). */
struct crash_entry *crash_journal_read(const char *path, size_t *n);
void crash_entries_free(struct crash_entry *e, size_t n);
/* Records a definitive answer into e (outcome, status, answer, version). */
void crash_entry_answer(struct crash_entry *e, const struct crash_resp *resp);

/* ---- the commands ---- */

int crash_setup(int argc, char **argv);
int crash_load(int argc, char **argv);
int crash_settle(int argc, char **argv);

/* crash_main.c: "--name value" options. */
struct crash_opt {
	const char *name;
	const char *value; /* default, or NULL when required */
};
void crash_opts(int argc, char **argv, struct crash_opt *opts, size_t n);
const char *crash_opt(const struct crash_opt *opts, size_t n, const char *name);
long crash_opt_long(const struct crash_opt *opts, size_t n, const char *name,
		    long min, long max);

#endif
