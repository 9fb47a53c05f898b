/*
 * Aggregation of one item's ratings into the item's value, exactly:
 * mean, trimmed mean ("去掉一个最高分和一个最低分") and median.
 * Ratings are integers in any fixed unit (scores in hundredths, weights in
 * thousandths); the value is a rational in the same unit.
 */
#ifndef PINGSHEN_AGG_H
#define PINGSHEN_AGG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rat.h"

enum agg_method {
	AGG_MEAN,
	AGG_TRIMMED_MEAN,
	AGG_MEDIAN,
};

/* A method and its trim (used by AGG_TRIMMED_MEAN only). */
struct agg_rule {
	enum agg_method method;
	int trim; /* ratings dropped at each end; >= 0 */
};

enum agg_status {
	AGG_OK = 0,
	AGG_EMPTY,	     /* no ratings */
	AGG_TOO_FEW_TO_TRIM, /* n < 2 * trim + 1 */
	AGG_BAD_RULE,	     /* negative trim or unknown method */
	AGG_OVERFLOW,	     /* the sum does not fit */
};

/* "mean", "trimmed_mean", "median"; false for anything else. */
bool agg_method_parse(const char *name, enum agg_method *out);
/* Returns a static string. */
const char *agg_method_name(enum agg_method method);
/* Returns a static sentence describing status. */
const char *agg_status_message(enum agg_status status);

/* The arithmetic mean of v[0..n). */
enum agg_status agg_mean(const int64_t *v, size_t n, struct rat *out);

/*
 * The mean after dropping the `trim` lowest and `trim` highest ratings; a
 * tie at an end drops one occurrence per trim only.  v is not modified.
 */
enum agg_status agg_trimmed_mean(const int64_t *v, size_t n, int trim,
				 struct rat *out);

/* The middle rating, or the mean of the two middle ones.  v not modified. */
enum agg_status agg_median(const int64_t *v, size_t n, struct rat *out);

/* Applies rule to v[0..n). */
enum agg_status agg_apply(const struct agg_rule *rule, const int64_t *v,
			  size_t n, struct rat *out);

/* Sorts v[0..n) ascending in place; shared by the modules that need order. */
void agg_sort(int64_t *v, size_t n);

/* A sorted copy of v[0..n); the caller frees it. */
int64_t *agg_sorted_copy(const int64_t *v, size_t n);

#endif
