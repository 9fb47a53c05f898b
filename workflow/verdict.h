/*
 * The verdict (section 5.1): the total is the sum of global weight times
 * item value over the leaves, computed exactly, then rounded half up to two
 * decimals once; that published total is what is compared with the
 * threshold, so the number people read and the number that decides never
 * disagree.  Before finalizing, the secretary sees the total with each
 * expert left out: the verdict is robust when all fall on the same side.
 */
#ifndef PINGSHEN_VERDICT_H
#define PINGSHEN_VERDICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agg.h"
#include "problems.h"
#include "rat.h"

/* One leaf: its weight and the ratings of the round that decided it. */
struct vd_item {
	const char *code;
	struct rat global_weight;
	struct agg_rule rule;	/* frozen into that round */
	const int64_t *experts; /* expert ids, n of them, each at most once */
	const int64_t *scores;	/* hundredths of a point, parallel to experts */
	size_t n;
};

/* One line of the breakdown; code points into the caller's vd_item. */
struct vd_line {
	const char *code;
	struct rat global_weight;
	struct rat value;	 /* hundredths of a point */
	struct rat contribution; /* global_weight * value, hundredths */
};

/* The verdict with one expert's ratings removed from every item. */
struct vd_loo {
	int64_t expert;
	/* False when some item cannot be aggregated without this expert
	 * (too few ratings left to trim, or none at all). */
	bool computed;
	int64_t published; /* hundredths; valid when computed */
	bool advanced;	   /* valid when computed */
};

struct vd_result {
	struct rat total;      /* exact, hundredths of a point */
	int64_t published;     /* total rounded half up, in hundredths */
	bool advanced;	       /* published >= threshold */
	struct vd_line *lines; /* one per item, in input order */
	size_t n_lines;
	struct vd_loo *loo; /* one per distinct expert, by ascending id */
	size_t n_loo;
	bool robust; /* every loo computed and on the verdict's side */
};

/*
 * The published total of an exact total (both in hundredths): round half
 * up once.  False on overflow.
 */
bool vd_publish(struct rat total, int64_t *published)
    __attribute__((warn_unused_result));

/*
 * Computes the verdict over items[0..n) against threshold (hundredths).
 * Returns 0 and fills out (release with vd_result_free), or -1 with every
 * reason appended to problems (an item that cannot be aggregated, an
 * expert listed twice in an item, overflow) and out untouched.
 */
int vd_compute(const struct vd_item *items, size_t n, int64_t threshold,
	       struct vd_result *out, struct problems *problems);

/* Frees what vd_compute allocated in r; r itself is the caller's. */
void vd_result_free(struct vd_result *r);

/* "具有先进性" or "不具有先进性" (static). */
const char *vd_conclusion(bool advanced);

#endif
