/* Exact aggregation of ratings: mean, trimmed mean, median. */
#include "agg.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

static const char *const agg_method_names[] = {
    [AGG_MEAN] = "mean",
    [AGG_TRIMMED_MEAN] = "trimmed_mean",
    [AGG_MEDIAN] = "median",
};

bool
agg_method_parse(const char *name, enum agg_method *out)
{
	for (size_t i = 0;
	     i < sizeof agg_method_names / sizeof *agg_method_names; i++) {
		if (strcmp(name, agg_method_names[i]) == 0) {
			*out = (enum agg_method)i;
			return true;
		}
	}
	return false;
}

const char *
agg_method_name(enum agg_method method)
{
	if ((size_t)method >=
	    sizeof agg_method_names / sizeof *agg_method_names)
		return "unknown";
	return agg_method_names[method];
}

const char *
agg_status_message(enum agg_status status)
{
	switch (status) {
	case AGG_OK:
		return "ok";
	case AGG_EMPTY:
		return "there are no ratings to aggregate";
	case AGG_TOO_FEW_TO_TRIM:
		return "too few ratings to trim: a trimmed mean needs at least "
		       "2 * trim + 1";
	case AGG_BAD_RULE:
		return "the aggregation rule is invalid";
	case AGG_OVERFLOW:
		return "the ratings are too large to aggregate exactly";
	}
	return "unknown aggregation status";
}

static int
agg_cmp_int64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

void
agg_sort(int64_t *v, size_t n)
{
	if (n > 1)
		qsort(v, n, sizeof *v, agg_cmp_int64);
}

/* Mean of v[0..n), n > 0, with an overflow-checked sum. */
static enum agg_status
agg_mean_of(const int64_t *v, size_t n, struct rat *out)
{
	int64_t sum = 0;

	for (size_t i = 0; i < n; i++) {
		if (__builtin_add_overflow(sum, v[i], &sum))
			return AGG_OVERFLOW;
	}
	if (n > INT64_MAX || !rat_make(sum, (int64_t)n, out))
		return AGG_OVERFLOW;
	return AGG_OK;
}

enum agg_status
agg_mean(const int64_t *v, size_t n, struct rat *out)
{
	if (n == 0)
		return AGG_EMPTY;
	return agg_mean_of(v, n, out);
}

int64_t *
agg_sorted_copy(const int64_t *v, size_t n)
{
	int64_t *s = xreallocarray(NULL, n, sizeof *s);

	memcpy(s, v, n * sizeof *s);
	agg_sort(s, n);
	return s;
}

enum agg_status
agg_trimmed_mean(const int64_t *v, size_t n, int trim, struct rat *out)
{
	enum agg_status st;
	int64_t *s;

	if (trim < 0)
		return AGG_BAD_RULE;
	if (n == 0)
		return AGG_EMPTY;
	if (n < 2 * (size_t)trim + 1)
		return AGG_TOO_FEW_TO_TRIM;
	s = agg_sorted_copy(v, n);
	st = agg_mean_of(s + trim, n - 2 * (size_t)trim, out);
	free(s);
	return st;
}

enum agg_status
agg_median(const int64_t *v, size_t n, struct rat *out)
{
	enum agg_status st;
	int64_t *s;

	if (n == 0)
		return AGG_EMPTY;
	s = agg_sorted_copy(v, n);
	st = agg_mean_of(s + (n - 1) / 2, n % 2 ? 1 : 2, out);
	free(s);
	return st;
}

enum agg_status
agg_apply(const struct agg_rule *rule, const int64_t *v, size_t n,
	  struct rat *out)
{
	switch (rule->method) {
	case AGG_MEAN:
		return agg_mean(v, n, out);
	case AGG_TRIMMED_MEAN:
		return agg_trimmed_mean(v, n, rule->trim, out);
	case AGG_MEDIAN:
		return agg_median(v, n, out);
	}
	return AGG_BAD_RULE;
}
