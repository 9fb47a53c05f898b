/* The evaluation stage machine: one guard per transition. */
#include "stage.h"

#include <string.h>

static const char *const stage_names[STAGE_COUNT] = {
    [STAGE_STANDARDS] = "standards",   [STAGE_POOL] = "pool",
    [STAGE_COMPARISON] = "comparison", [STAGE_SELECTION] = "selection",
    [STAGE_WEIGHTING] = "weighting",   [STAGE_SCORING] = "scoring",
    [STAGE_FINALIZED] = "finalized",
};

bool
stage_parse(const char *name, enum stage *out)
{
	for (int i = 0; i < STAGE_COUNT; i++) {
		if (strcmp(name, stage_names[i]) == 0) {
			*out = (enum stage)i;
			return true;
		}
	}
	return false;
}

const char *
stage_name(enum stage s)
{
	return (unsigned)s < STAGE_COUNT ? stage_names[s] : "unknown";
}

enum stage
stage_initial(bool from_template)
{
	return from_template ? STAGE_SCORING : STAGE_STANDARDS;
}

/* a -> b: the related standards are collected. */
static void
stage_guard_pool(const struct stage_snapshot *snap, struct problems *out)
{
	if (snap->n_standards == 0)
		problems_add(out, "no_standards", NULL,
			     "record at least one related standard");
}

/* b -> c: the pool has candidates, each with its source. */
static void
stage_guard_comparison(const struct stage_snapshot *snap, struct problems *out)
{
	if (snap->n_candidates == 0)
		problems_add(
		    out, "no_candidates", NULL,
		    "add at least one candidate indicator to the pool");
	for (size_t i = 0; i < snap->n_candidates; i++) {
		const struct stage_candidate *c = &snap->candidates[i];

		if (!c->has_source)
			problems_add(out, "candidate_without_source", c->code,
				     "candidate %s has no source", c->code);
	}
}

/* c -> d: every candidate is compared with a standard or a benchmark. */
static void
stage_guard_selection(const struct stage_snapshot *snap, struct problems *out)
{
	for (size_t i = 0; i < snap->n_candidates; i++) {
		const struct stage_candidate *c = &snap->candidates[i];

		if (!c->has_comparison)
			problems_add(out, "candidate_without_comparison",
				     c->code,
				     "candidate %s has neither a standard "
				     "comparison nor a benchmark",
				     c->code);
	}
}

/* d -> e: stakeholders heard, key indicators selected by a meeting. */
static void
stage_guard_weighting(const struct stage_snapshot *snap, struct problems *out)
{
	if (snap->n_consultations == 0)
		problems_add(out, "no_consultations", NULL,
			     "record the opinions of stakeholders");
	if (!snap->selection_finalized)
		problems_add(out, "selection_not_finalized", NULL,
			     "finalize the selection meeting");
	else if (snap->n_key_indicators == 0)
		problems_add(out, "no_key_indicators", NULL,
			     "the selection meeting selected no key indicator");
}

/* e -> scoring: weights set and the table valid. */
static void
stage_guard_scoring(const struct stage_snapshot *snap, struct problems *out)
{
	if (!snap->weighting_finalized)
		problems_add(out, "weighting_not_finalized", NULL,
			     "finalize the weighting meeting");
	if (snap->table == NULL)
		problems_add(out, "no_table", NULL,
			     "the indicator table has not been formed");
	else
		tbl_validate(snap->table, out);
}

/* scoring -> finalized: the scoring meeting is over with a quorum. */
static void
stage_guard_finalized(const struct stage_snapshot *snap, struct problems *out)
{
	if (!snap->scoring_finalized)
		problems_add(out, "scoring_not_finalized", NULL,
			     "finalize the scoring meeting");
	else if (!snap->scoring_quorum_met)
		problems_add(out, "quorum_not_met", NULL,
			     "the scoring meeting closed without a quorum");
}

size_t
stage_check_advance(const struct stage_snapshot *snap, enum stage to,
		    struct problems *out)
{
	size_t before = out->n;

	if (snap->stage == STAGE_FINALIZED) {
		problems_add(out, "evaluation_finalized", NULL,
			     "the evaluation is finalized and cannot change");
		return out->n - before;
	}
	if ((unsigned)to >= STAGE_COUNT || to != snap->stage + 1) {
		problems_add(out, "not_next_stage", stage_name(to),
			     "from %s the next stage is %s",
			     stage_name(snap->stage),
			     stage_name(snap->stage + 1));
		return out->n - before;
	}
	switch (to) {
	case STAGE_POOL:
		stage_guard_pool(snap, out);
		break;
	case STAGE_COMPARISON:
		stage_guard_comparison(snap, out);
		break;
	case STAGE_SELECTION:
		stage_guard_selection(snap, out);
		break;
	case STAGE_WEIGHTING:
		stage_guard_weighting(snap, out);
		break;
	case STAGE_SCORING:
		stage_guard_scoring(snap, out);
		break;
	case STAGE_FINALIZED:
		stage_guard_finalized(snap, out);
		break;
	case STAGE_STANDARDS:
		break;
	}
	return out->n - before;
}

size_t
stage_check_back(const struct stage_snapshot *snap, enum stage to,
		 const char *reason, struct problems *out)
{
	size_t before = out->n;

	if (snap->stage == STAGE_FINALIZED) {
		problems_add(out, "evaluation_finalized", NULL,
			     "the evaluation is finalized and cannot change");
		return out->n - before;
	}
	if (snap->stage == STAGE_STANDARDS || (unsigned)to >= STAGE_COUNT ||
	    to + 1 != snap->stage)
		problems_add(out, "not_previous_stage", stage_name(to),
			     "an evaluation goes back one stage at a time");
	else if (snap->from_template && snap->stage == STAGE_SCORING)
		problems_add(out, "from_template", NULL,
			     "this evaluation adopted its table from a "
			     "template and starts at scoring");
	if (reason == NULL || reason[strspn(reason, " \t\r\n")] == '\0')
		problems_add(out, "reason_required", NULL,
			     "going back needs a stated reason");
	return out->n - before;
}
