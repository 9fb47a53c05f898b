/*
 * libFuzzer harness for JSON bodies: every request type that takes a body
 * (and the two lists that take a query), authenticated, parsed and
 * validated by the server's own code (fuzz_server.h), up to the statement
 * that would write it.  Byte 0 picks the request (request_routes, modulo
 * its length); byte 1 the world it meets: bits 0-1 the meeting's kind
 * (scoring, selection, weighting, scoring), bits 2-3 its rounds (none,
 * round 1 open, closed, open), bit 4 an Idempotency-Key, bit 5 If-Match:
 * 1, bit 6 the evaluation one stage further and the expert's seat only
 * invited, bit 7 an auditor calling.  The rest is the body, or the query
 * string.
 *
 * Beyond fuzz_server.h's checks, what the validators let through must be
 * what the rest of the server relies on when it reads it back: a stored
 * ballot names each round item at most once with a score, vote or weight
 * in range, every sibling group it weighs sums to exactly 1, and its
 * completeness is what it says; stored meeting rules parse again
 * (meeting_rules_parse) with a quorum the panel can meet; a new round
 * rates items of the meeting; a new evaluation's threshold is a score.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_server.h"
#include "http.h"
#include "meeting.h"
#include "table.h"
#include "xalloc.h"

static const struct request_route {
	int method;
	const char *target;
	int role;	  /* who may send it */
	enum stage stage; /* where the evaluation must be for it */
	bool by_kind;	  /* the stage of the meeting's kind instead */
	bool query;	  /* the input is the query string, not the body */
} request_routes[] = {
    {ROUTER_POST, "/api/v1/sessions", ROLE_EXPERT, STAGE_SCORING, false, false},
    {ROUTER_POST, "/api/v1/users", ROLE_ADMIN, STAGE_SCORING, false, false},
    {ROUTER_PATCH, "/api/v1/users/4", ROLE_ADMIN, STAGE_SCORING, false, false},
    {ROUTER_POST, "/api/v1/templates", ROLE_SECRETARY, STAGE_FINALIZED, false,
     false},
    {ROUTER_POST, "/api/v1/evaluations", ROLE_SECRETARY, STAGE_STANDARDS, false,
     false},
    {ROUTER_POST, "/api/v1/evaluations/1/meetings", ROLE_SECRETARY,
     STAGE_SCORING, true, false},
    {ROUTER_POST, "/api/v1/evaluations/1/standards", ROLE_SECRETARY,
     STAGE_STANDARDS, false, false},
    {ROUTER_POST, "/api/v1/evaluations/1/pool", ROLE_SECRETARY, STAGE_POOL,
     false, false},
    {ROUTER_PUT, "/api/v1/evaluations/1/pool/1.2/comparison", ROLE_SECRETARY,
     STAGE_COMPARISON, false, false},
    {ROUTER_POST, "/api/v1/evaluations/1/consultations", ROLE_SECRETARY,
     STAGE_SELECTION, false, false},
    {ROUTER_POST, "/api/v1/evaluations/1/advance", ROLE_SECRETARY,
     STAGE_COMPARISON, false, false},
    {ROUTER_POST, "/api/v1/evaluations/1/verdict", ROLE_SECRETARY,
     STAGE_SCORING, false, false},
    {ROUTER_POST, "/api/v1/meetings/1/seat", ROLE_EXPERT, STAGE_SCORING, true,
     false},
    {ROUTER_POST, "/api/v1/meetings/1/finalize", ROLE_SECRETARY, STAGE_SCORING,
     true, false},
    {ROUTER_PUT, "/api/v1/meetings/1/advanced-levels/1.1", ROLE_SECRETARY,
     STAGE_WEIGHTING, true, false},
    {ROUTER_POST, "/api/v1/meetings/1/rounds", ROLE_SECRETARY, STAGE_SCORING,
     true, false},
    {ROUTER_POST, "/api/v1/meetings/1/rounds/1/close", ROLE_SECRETARY,
     STAGE_SCORING, true, false},
    {ROUTER_PUT, "/api/v1/meetings/1/rounds/1/ballot", ROLE_EXPERT,
     STAGE_SCORING, true, false},
    {ROUTER_GET, "/api/v1/users", ROLE_ADMIN, STAGE_SCORING, false, true},
    {ROUTER_GET, "/api/v1/evaluations", ROLE_SECRETARY, STAGE_SCORING, false,
     true},
};

#define REQUEST_N_ROUTES (sizeof request_routes / sizeof *request_routes)

static const char *const request_kinds[] = {"scoring", "selection",
					    "weighting"};
static const enum stage request_kind_stages[] = {STAGE_SCORING, STAGE_SELECTION,
						 STAGE_WEIGHTING};

/* The index of code in items, or -1. */
static int
request_item_index(const json_t *items, const char *code)
{
	size_t i;
	json_t *x;

	json_array_foreach(items, i, x)
	{
		if (code != NULL && strcmp(json_string_value(x), code) == 0)
			return (int)i;
	}
	return -1;
}

/* The length of code's parent code (0 at the top level). */
static size_t
request_parent_len(const char *code)
{
	const char *dot = strrchr(code, '.');

	return dot ? (size_t)(dot - code) : 0;
}

static bool
request_siblings(const char *a, const char *b)
{
	size_t n = request_parent_len(a);

	return n == request_parent_len(b) && strncmp(a, b, n) == 0;
}

/* Each entry of list names a distinct round item in member "item", and
 * its member value is an integer within 0..max, or a boolean when max is
 * negative.  Returns the weights by item index in w (may be NULL). */
static void
request_check_entries(const json_t *list, const json_t *items,
		      const char *value, json_int_t max, json_int_t *w)
{
	bool seen[64] = {false};
	size_t i;
	json_t *e;

	fuzz_check(json_is_array(list) && json_array_size(items) < 64,
		   "a stored ballot is a list");
	json_array_foreach(list, i, e)
	{
		int k = request_item_index(
		    items, json_string_value(json_object_get(e, "item")));
		json_t *v = json_object_get(e, value);

		fuzz_check(k >= 0 && !seen[k],
			   "a stored ballot names each round item at most "
			   "once");
		seen[k] = true;
		if (max < 0) {
			fuzz_check(json_is_boolean(v), "a vote is a boolean");
			continue;
		}
		fuzz_check(json_is_integer(v) && json_integer_value(v) >= 0 &&
			       json_integer_value(v) <= max,
			   "a stored score or weight is within range");
		if (w != NULL)
			w[k] = json_integer_value(v);
	}
}

/* A weighting ballot: every sibling group it weighs is weighed whole and
 * sums to exactly 1000. */
static void
request_check_groups(const json_t *items, const json_int_t *w)
{
	size_t n = json_array_size(items);

	for (size_t i = 0; i < n; i++) {
		const char *code = json_string_value(json_array_get(items, i));
		json_int_t sum = 0;
		bool any = false, all = true;

		for (size_t k = 0; k < n; k++) {
			if (!request_siblings(
				code,
				json_string_value(json_array_get(items, k))))
				continue;
			any |= w[k] >= 0;
			all &= w[k] >= 0;
			sum += w[k] >= 0 ? w[k] : 0;
		}
		fuzz_check(!any || (all && sum == TBL_WEIGHT_ONE),
			   "a stored weighting ballot weighs whole groups "
			   "summing to exactly 1");
	}
}

/* The stored ballot against the round's items and what the write says. */
static void
request_check_ballot(const struct fuzz_query *q, const char *kind)
{
	const json_t *items = fuzz_world_items(kind);
	json_t *stored = json_loads(q->params[8], 0, NULL), *list;
	json_int_t w[64];

	for (size_t i = 0; i < 64; i++)
		w[i] = -1;
	if (strcmp(kind, "weighting") == 0) {
		list = json_object_get(stored, "weights");
		request_check_entries(list, items, "weight", TBL_WEIGHT_ONE, w);
		request_check_groups(items, w);
	} else if (strcmp(kind, "selection") == 0) {
		list = stored;
		request_check_entries(list, items, "include", -1, NULL);
	} else {
		list = stored;
		request_check_entries(list, items, "score", 10000, NULL);
	}
	fuzz_check(
	    strcmp(q->params[7], json_array_size(list) == json_array_size(items)
				     ? "true"
				     : "false") == 0,
	    "a ballot is complete when it covers every item");
	fuzz_check(strtoll(q->params[10], NULL, 10) ==
		       (long long)json_array_size(list),
		   "the audit counts the ballot's entries");
	json_decref(stored);
}

/* Stored rules read back as a round will read them, with a quorum the
 * panel can meet. */
static void
request_check_meeting(const struct fuzz_query *q, const char *kind)
{
	json_t *rules = json_loads(q->params[8], 0, NULL);
	struct meeting_rules parsed;
	size_t experts = 1;

	fuzz_check(strcmp(q->params[6], kind) == 0,
		   "a meeting is of its stage's kind");
	fuzz_check(meeting_rules_parse(rules, &parsed),
		   "stored meeting rules parse again");
	for (const char *p = q->params[9]; *p != '\0'; p++)
		experts += *p == ',';
	fuzz_check(parsed.quorum >= 1 && (size_t)parsed.quorum <= experts &&
		       parsed.quorum >= 2 * parsed.agg.trim + 1,
		   "a meeting's quorum is reachable and can be trimmed");
	fuzz_check(
	    json_is_string(json_object_get(rules, "selection_threshold")) ==
		(strcmp(kind, "selection") == 0),
	    "only selection meetings store a threshold");
	json_decref(rules);
}

/* A new round rates distinct items of the meeting. */
static void
request_check_round(const struct fuzz_query *q, const char *kind)
{
	json_t *items = json_loads(q->params[8], 0, NULL);
	json_t *entries = json_array(), *x;
	size_t i;

	fuzz_check(json_array_size(items) > 0, "a round rates some items");
	json_array_foreach(items, i, x)
	{
		json_array_append_new(
		    entries, json_pack("{s:O, s:i}", "item", x, "n", 0));
	}
	request_check_entries(entries, fuzz_world_items(kind), "n", 0, NULL);
	json_decref(entries);
	json_decref(items);
}

/* A new evaluation's threshold is a score; its organizations are few. */
static void
request_check_evaluation(const struct fuzz_query *q)
{
	json_t *orgs = json_loads(q->params[8], 0, NULL);
	long long threshold = strtoll(q->params[11], NULL, 10);

	fuzz_check(threshold >= 0 && threshold <= 10000,
		   "a new evaluation's threshold is a score");
	fuzz_check(json_is_array(orgs) && json_array_size(orgs) <= 20,
		   "an evaluation has at most 20 drafting organizations");
	json_decref(orgs);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct request_route *route;
	struct fuzz_request rq = {0};
	struct fuzz_outcome out;
	const struct fuzz_query *q;
	char *target = NULL;
	uint8_t v;

	if (size < 2)
		return 0;
	route = &request_routes[data[0] % REQUEST_N_ROUTES];
	v = data[1];
	rq.method = route->method;
	rq.target = route->target;
	rq.role = v & 0x80 ? ROLE_AUDITOR : route->role;
	rq.world.kind = request_kinds[(v & 3) % 3];
	rq.world.stage =
	    route->by_kind ? request_kind_stages[(v & 3) % 3] : route->stage;
	rq.world.rounds = (v >> 2 & 3) == 2   ? FUZZ_ROUND_CLOSED
			  : (v >> 2 & 3) == 0 ? FUZZ_ROUNDS_NONE
					      : FUZZ_ROUND_OPEN;
	rq.world.seat = "seated";
	if (v & 0x40) {
		rq.world.stage = (rq.world.stage + 1) % STAGE_COUNT;
		rq.world.seat = "invited";
	}
	rq.idempotency_key = v & 0x10 ? "fuzz-key-0001" : NULL;
	rq.if_match = v & 0x20 ? "1" : NULL;
	if (route->query) {
		/* A request target is text: it ends at the first NUL. */
		size_t n = strnlen((const char *)data + 2, size - 2);

		target = xasprintf("%s%s%.*s", route->target, n ? "?" : "",
				   (int)n, (const char *)data + 2);
		rq.target = target;
	} else {
		rq.body = (const char *)data + 2;
		rq.body_len = size - 2;
	}

	fuzz_server_run(&rq, &out);
	if ((q = fuzz_outcome_query(&out, "stmt_ballot_put")) != NULL)
		request_check_ballot(q, rq.world.kind);
	if ((q = fuzz_outcome_query(&out, "stmt_meeting_create")) != NULL)
		request_check_meeting(q, rq.world.kind);
	if ((q = fuzz_outcome_query(&out, "stmt_round_open")) != NULL)
		request_check_round(q, rq.world.kind);
	if ((q = fuzz_outcome_query(&out, "stmt_eval_create")) != NULL)
		request_check_evaluation(q);
	fuzz_outcome_free(&out);
	free(target);
	return 0;
}
