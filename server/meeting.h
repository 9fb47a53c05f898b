/*
 * A meeting as its handlers need it: read once per request with the
 * caller's relation to it (its secretary, a panel seat, an auditor), its
 * frozen rules and its rounds.  Shared by h_meetings.c, h_rounds.c,
 * h_ballots.c and h_events.c.
 */
#ifndef PINGSHEN_MEETING_H
#define PINGSHEN_MEETING_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "agg.h"
#include "consensus.h"
#include "http.h"
#include "stage.h"

enum seat_state {
	SEAT_NONE, /* not on the panel */
	SEAT_INVITED,
	SEAT_SEATED,
	SEAT_RECUSED,
};

/* A meeting's rule set, as frozen into each round. */
struct meeting_rules {
	struct agg_rule agg;
	struct consensus_rule consensus;
	int quorum;
};

struct meeting_row {
	int64_t id;
	char id_text[24];
	int64_t evaluation_id;
	char evaluation_text[24];
	char kind[16];
	bool finalized;
	enum stage stage; /* the evaluation's */
	bool secretary;	  /* the caller runs its evaluation */
	enum seat_state seat;
	json_t *rules;	/* as stored */
	json_t *rounds; /* [{"n","items","opened_at","closed_at","deadline",
			 *   "complete"}] in order; complete only while open */
	json_t *panel;	/* [{"expert":{...},"seat"}] */
	json_t *levels; /* weighting: [{"item","text","from_proposal"}] */
	int open_round; /* its number, or 0 */
	int last_round; /* the highest number, or 0 */
};

/* Loads the meeting of the route's first {id}; then gets the result for
 * meeting_row_read. */
void meeting_load(struct req *r, req_result_cb then);

/*
 * Reads the row and checks the caller may see the meeting (its secretary,
 * an auditor, or a panel member whose seat is not given up); false after
 * answering.  Release with meeting_row_free.
 */
bool meeting_row_read(struct req *r, const PGresult *res,
		      struct meeting_row *out);
void meeting_row_free(struct meeting_row *m);

/* The consensus criteria of stored rules as the API shows them (new
 * reference). */
json_t *meeting_consensus_json(const json_t *rules);

/* The meeting as GET /meetings/{id} shows it (new reference). */
json_t *meeting_json(const struct meeting_row *m);

/* Whether the JSON array of codes items holds code. */
bool meeting_has_item(const json_t *items, const char *code);
/* The items as an object from each code to its index in items (new
 * reference), for finding many codes among many items. */
json_t *meeting_item_index(const json_t *items);

/* Parses stored rules; false when they are malformed (a server bug). */
bool meeting_rules_parse(const json_t *rules, struct meeting_rules *out);

/* A statistic shown to the panel (floating point is fine there): fixed
 * decimals, or null when undefined (new reference). */
json_t *meeting_stat_json(bool defined, double v, int decimals);

/*
 * The round number of the route's second {id}.  The router takes ids up
 * to 18 digits; a round number is an int, and a cast would make round
 * 4294967297 round 1.  False after answering 404.
 */
bool meeting_round_param(struct req *r, int *n);

/* Answers 403 unless the caller is the secretary; false after answering. */
bool meeting_require_secretary(struct req *r, const struct meeting_row *m);

/* Answers 409 when the evaluation or meeting can no longer change. */
bool meeting_require_open(struct req *r, const struct meeting_row *m);

#endif
