/*
 * The stages of an evaluation (section 4.1 a-e, then section 5) and the
 * guard of each transition.  A guard looks at an in-memory snapshot of the
 * evaluation and reports every unmet condition at once, with a stable code,
 * so the secretary sees the whole list in one 409 stage_guard answer.
 */
#ifndef PINGSHEN_STAGE_H
#define PINGSHEN_STAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "problems.h"
#include "table.h"

enum stage {
	STAGE_STANDARDS,  /* a: related standards */
	STAGE_POOL,	  /* b: the indicator pool */
	STAGE_COMPARISON, /* c: levels compared, or benchmarks chosen */
	STAGE_SELECTION,  /* d: stakeholders consulted, key indicators chosen */
	STAGE_WEIGHTING,  /* e: weights and advanced levels set */
	STAGE_SCORING,	  /* 5: the scoring meeting */
	STAGE_FINALIZED,  /* 5.1: the verdict is signed; nothing changes */
};

#define STAGE_COUNT (STAGE_FINALIZED + 1)

/* Exact lowercase names ("standards" ... "finalized"); false otherwise. */
bool stage_parse(const char *name, enum stage *out);
/* Returns a static string. */
const char *stage_name(enum stage s);

/*
 * Where a new evaluation starts: at `scoring` when made from a template
 * (the rules already did a-e for that field), else at `standards`.
 */
enum stage stage_initial(bool from_template);

/* A candidate indicator of the pool, as the guards need it. */
struct stage_candidate {
	const char *code;
	bool has_source;     /* a standard clause, market demand or a trend */
	bool has_comparison; /* a standard comparison or a benchmark */
};

/*
 * What the guards look at.  The server fills it from the database; every
 * pointer is borrowed for the duration of the call.
 */
struct stage_snapshot {
	enum stage stage;
	bool from_template; /* entered at scoring: stages a-e were adopted */
	size_t n_standards;
	const struct stage_candidate *candidates;
	size_t n_candidates;
	size_t n_consultations;
	bool selection_finalized;
	size_t n_key_indicators;
	bool weighting_finalized;
	/* The table formed by the key indicators and the groups; validated
	 * by the weighting guard (which computes its global weights).  May
	 * be NULL before stage e. */
	struct tbl *table;
	bool scoring_finalized;
	bool scoring_quorum_met;
};

/*
 * Checks a move from snap->stage to `to`, which must be the next stage.
 * Appends every unmet condition to out; returns how many (0: allowed).
 */
size_t stage_check_advance(const struct stage_snapshot *snap, enum stage to,
			   struct problems *out);

/*
 * Checks a move back from snap->stage to `to`, which must be the previous
 * stage: allowed to the secretary with a stated reason (reason may be
 * NULL), never out of `finalized`, never before `scoring` for an evaluation
 * made from a template.  Returns the number of problems appended.
 */
size_t stage_check_back(const struct stage_snapshot *snap, enum stage to,
			const char *reason, struct problems *out);

#endif
