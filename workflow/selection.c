/* Include shares of selection ballots against a threshold. */
#include "selection.h"

#include <stdint.h>

struct rat
sel_default_threshold(void)
{
	struct rat r = {2, 3};

	return r;
}

int
sel_aggregate(size_t includes, size_t n, struct rat threshold,
	      struct sel_result *out)
{
	struct rat exclude_share;

	if (n == 0 || includes > n || n > INT64_MAX ||
	    rat_cmp(threshold, rat_int(0)) <= 0 ||
	    rat_cmp(threshold, rat_int(1)) > 0)
		return -1;
	if (!rat_make((int64_t)includes, (int64_t)n, &out->share) ||
	    !rat_make((int64_t)(n - includes), (int64_t)n, &exclude_share))
		return -1;
	out->n = n;
	out->includes = includes;
	out->selected = rat_cmp(out->share, threshold) >= 0;
	out->consensus =
	    out->selected || rat_cmp(exclude_share, threshold) >= 0;
	return 0;
}
