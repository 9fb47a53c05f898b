/* Exact totals, the published verdict and the leave-one-out check. */
#include "verdict.h"

#include <stdlib.h>

#include "xalloc.h"

bool
vd_publish(struct rat total, int64_t *published)
{
	return rat_round_half_up(total, 1, published);
}

const char *
vd_conclusion(bool advanced)
{
	return advanced ? "具有先进性" : "不具有先进性";
}

/*
 * The exact total over the items, leaving out expert `skip` (or nobody when
 * skip_any is false); values[i] receives each item's value when not NULL.
 */
static enum agg_status
vd_total(const struct vd_item *items, size_t n, bool skip_any, int64_t skip,
	 struct rat *values, struct rat *total)
{
	enum agg_status st = AGG_OK;
	struct rat sum = rat_int(0);
	int64_t *kept = NULL;
	size_t cap = 0;

	for (size_t i = 0; i < n && st == AGG_OK; i++) {
		const struct vd_item *it = &items[i];
		struct rat value, part;
		size_t k = 0;

		if (it->n > cap) {
			cap = it->n;
			kept = xreallocarray(kept, cap, sizeof *kept);
		}
		for (size_t j = 0; j < it->n; j++) {
			if (!skip_any || it->experts[j] != skip)
				kept[k++] = it->scores[j];
		}
		st = agg_apply(&it->rule, kept, k, &value);
		if (st != AGG_OK)
			break;
		if (!rat_mul(it->global_weight, value, &part) ||
		    !rat_add(sum, part, &sum))
			st = AGG_OVERFLOW;
		else if (values != NULL)
			values[i] = value;
	}
	free(kept);
	*total = sum;
	return st;
}

/* The distinct experts of all items, ascending; the caller frees. */
static int64_t *
vd_experts(const struct vd_item *items, size_t n, size_t *count)
{
	size_t total = 0, k = 0;
	int64_t *ids;

	for (size_t i = 0; i < n; i++)
		total += items[i].n;
	ids = xreallocarray(NULL, total, sizeof *ids);
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < items[i].n; j++)
			ids[k++] = items[i].experts[j];
	}
	agg_sort(ids, total);
	k = 0;
	for (size_t i = 0; i < total; i++) {
		if (k == 0 || ids[k - 1] != ids[i])
			ids[k++] = ids[i];
	}
	*count = k;
	return ids;
}

/* Reports items that list an expert twice: they would count double. */
static bool
vd_check_items(const struct vd_item *items, size_t n, struct problems *out)
{
	bool ok = true;

	if (n == 0) {
		problems_add(out, "verdict_no_items", NULL,
			     "there are no scored indicators to total");
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		size_t count;
		int64_t *ids = vd_experts(&items[i], 1, &count);

		if (count != items[i].n) {
			problems_add(
			    out, "verdict_duplicate_expert", items[i].code,
			    "an expert's score for %s is counted twice",
			    items[i].code);
			ok = false;
		}
		free(ids);
	}
	return ok;
}

int
vd_compute(const struct vd_item *items, size_t n, int64_t threshold,
	   struct vd_result *out, struct problems *problems)
{
	struct vd_result r = {0};
	struct rat *values;
	enum agg_status st;
	int64_t *experts;

	if (!vd_check_items(items, n, problems))
		return -1;
	values = xreallocarray(NULL, n, sizeof *values);
	st = vd_total(items, n, false, 0, values, &r.total);
	if (st != AGG_OK || !vd_publish(r.total, &r.published)) {
		problems_add(
		    problems, "verdict_not_computable", NULL,
		    "the total cannot be computed: %s",
		    agg_status_message(st == AGG_OK ? AGG_OVERFLOW : st));
		free(values);
		return -1;
	}
	r.advanced = r.published >= threshold;

	r.n_lines = n;
	r.lines = xreallocarray(NULL, n, sizeof *r.lines);
	for (size_t i = 0; i < n; i++) {
		r.lines[i].code = items[i].code;
		r.lines[i].global_weight = items[i].global_weight;
		r.lines[i].value = values[i];
		/* Cannot overflow: vd_total formed the same product. */
		if (!rat_mul(items[i].global_weight, values[i],
			     &r.lines[i].contribution))
			abort();
	}
	free(values);

	experts = vd_experts(items, n, &r.n_loo);
	r.loo = xreallocarray(NULL, r.n_loo, sizeof *r.loo);
	r.robust = true;
	for (size_t e = 0; e < r.n_loo; e++) {
		struct vd_loo *l = &r.loo[e];
		struct rat total;

		l->expert = experts[e];
		l->published = 0;
		l->computed = vd_total(items, n, true, experts[e], NULL,
				       &total) == AGG_OK &&
			      vd_publish(total, &l->published);
		l->advanced = l->computed && l->published >= threshold;
		if (!l->computed || l->advanced != r.advanced)
			r.robust = false;
	}
	free(experts);
	*out = r;
	return 0;
}

void
vd_result_free(struct vd_result *r)
{
	free(r->lines);
	free(r->loo);
	r->lines = NULL;
	r->loo = NULL;
	r->n_lines = r->n_loo = 0;
}
