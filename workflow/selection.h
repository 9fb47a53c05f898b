/*
 * Selection meetings (section 4.1 d): each expert votes include or exclude
 * per candidate indicator; a candidate is selected when its include share
 * reaches the meeting's threshold.  Shares are exact: with the default 2/3,
 * four includes out of six are selected, which "0.6667" would refuse.
 */
#ifndef PINGSHEN_SELECTION_H
#define PINGSHEN_SELECTION_H

#include <stdbool.h>
#include <stddef.h>

#include "rat.h"

struct sel_result {
	size_t n;	  /* votes cast */
	size_t includes;  /* votes to include */
	struct rat share; /* includes / n */
	bool selected;	  /* share >= threshold */
	/* The panel agrees either way: include or exclude share reaches the
	 * threshold.  Items without it go to the next round. */
	bool consensus;
};

/* 2/3, the default threshold (DESIGN.md, Ballots by kind). */
struct rat sel_default_threshold(void);

/*
 * Aggregates one candidate's votes.  Returns 0, or -1 when n == 0,
 * includes > n, or the threshold is not in (0, 1].
 */
int sel_aggregate(size_t includes, size_t n, struct rat threshold,
		  struct sel_result *out);

#endif
