/*
 * Counters for GET /metrics in Prometheus' text format: requests by route
 * and status, a latency histogram, and gauges the caller supplies (pool
 * state, open connections).
 */
#ifndef PINGSHEN_METRICS_H
#define PINGSHEN_METRICS_H

#include <stddef.h>

struct metrics;
struct server;

/* A new, empty set of counters; free with metrics_free. */
struct metrics *metrics_new(void);
void metrics_free(struct metrics *m);

/*
 * Counts one answered request.  route is the matched pattern (static
 * storage) or NULL for requests that matched none.
 */
void metrics_observe(struct metrics *m, const char *route, int status,
		     double seconds);

/* The exposition text, NUL-terminated; the caller frees it. */
char *metrics_render(const struct metrics *m, const struct server *srv,
		     size_t *len);

#endif
