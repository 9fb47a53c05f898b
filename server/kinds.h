/*
 * What differs between the meeting kinds of section 4.1 d and e: the items
 * a round covers, the form of a ballot, a round's results and what
 * finalizing takes from them.  Scoring meetings keep theirs in h_rounds.c
 * and h_ballots.c; the handlers call these for the two others.
 *
 * Stored ballots (the ballots.scores column):
 *   selection  [{"item","include":bool,"comment"?}]
 *   weighting  {"weights":[{"item","weight":thousandths}],
 *               "advanced_levels":[{"item","text"}]}
 * Every json_t returned is a new reference the caller releases.
 */
#ifndef PINGSHEN_KINDS_H
#define PINGSHEN_KINDS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "http.h"
#include "meeting.h"
#include "rat.h"
#include "table.h"

/* ---- selection (kind_selection.c) ---- */

/* The include share that selects: "2/3" (exact) unless the meeting says
 * otherwise. */
#define KIND_SELECTION_THRESHOLD "2/3"

/*
 * Parses a threshold as stored or sent: a fraction "p/q" or a decimal with
 * at most four decimals ("0.6667"), in (0, 1].  False otherwise.
 */
bool kind_selection_threshold(const char *text, struct rat *out);

/* The candidates of the pool (rows as in kind_weighting_items), in table
 * order: the items of a selection meeting. */
json_t *kind_selection_items(const json_t *pool);

/*
 * Reads r->body ({"votes":[...]}) against the round's items.  Returns the
 * stored form and sets *complete and *given; NULL after answering 400/422.
 */
json_t *kind_selection_ballot_read(struct req *r, const json_t *items,
				   bool *complete, size_t *given);

/* A stored ballot (may be NULL: none yet) as the API shows it:
 * {"votes":[{"item","include","comment"?}]}. */
json_t *kind_selection_ballot_json(const json_t *stored);

/* From round 2, what the expert sees of the previous round: per item of
 * this round, its share, whether it was selected and the expert's own
 * vote (own may be NULL). */
json_t *kind_selection_previous(const json_t *results, const json_t *own,
				const json_t *items);

/* Per item {"item","n","includes","share","exact","selected","consensus"}
 * from m counted ballots; NULL when the threshold is unreadable. */
json_t *kind_selection_results(json_t *const *ballots, size_t m,
			       const json_t *items, const json_t *rules);

/* ---- weighting (kind_weighting.c) ---- */

/*
 * The codes of the table formed by the key indicators and the groups that
 * hold one, in table order: the items of a weighting meeting.  pool is
 * [{"code","kind":"group"|"candidate","name","description"?,
 *   "comparison"?,"key":bool|null}] in any order.
 */
json_t *kind_weighting_items(const json_t *pool);

/* items completed to whole sibling groups of universe, in universe order:
 * a group's weights only renormalize together. */
json_t *kind_weighting_whole_groups(const json_t *universe,
				    const json_t *items);

/*
 * Reads r->body ({"weights":[...],"advanced_levels":[...]}) against the
 * round's items.  Returns the stored form and sets *complete (every item
 * weighted) and *given; NULL after answering 400/422 (422
 * weights_not_summing names the group).
 */
json_t *kind_weighting_ballot_read(struct req *r, const json_t *items,
				   bool *complete, size_t *given);

/* {"weights":[{"item","weight":"0.300"}],"advanced_levels":[...]} from a
 * stored ballot (may be NULL). */
json_t *kind_weighting_ballot_json(const json_t *stored);

/* From round 2: per item its previous median, IQR, weight and consensus
 * and the expert's own weight (own may be NULL). */
json_t *kind_weighting_previous(const json_t *results, const json_t *own,
				const json_t *items);

/*
 * Per item {"item","group","n","value","weight","exact","mean",...,
 * "consensus","advanced_levels"?} from m counted ballots: each weight
 * aggregated by the rules, each group renormalized by largest remainder.
 */
json_t *kind_weighting_results(json_t *const *ballots, size_t m,
			       const json_t *items,
			       const struct meeting_rules *rules);

/* code -> renormalized weight (thousandths) from the latest closed round
 * that covered each item; rounds is [{"n","results"}] oldest first. */
json_t *kind_weighting_final_weights(const json_t *rounds);

/* Whether text was proposed for code in any of rounds. */
bool kind_weighting_proposed(const json_t *rounds, const char *code,
			     const char *text);

/*
 * The formed table with its weights (code -> thousandths) and advanced
 * levels (code -> text), comparisons and descriptions from the pool.  The
 * caller validates and frees it; nodes missing a weight stay unset.
 */
struct tbl *kind_weighting_table(const json_t *pool, const json_t *weights,
				 const json_t *levels);

#endif
