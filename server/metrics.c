/*
 * Request counters and a latency histogram, rendered in Prometheus' text
 * format.  Routes are few and fixed (the route table), so counters live in
 * a small array searched linearly, keyed by pattern pointer.
 */
#include "metrics.h"

#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "hash_pool.h"
#include "http.h"
#include "pool.h"
#include "xalloc.h"

static const double metrics_buckets[] = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
#define METRICS_N_BUCKETS (sizeof metrics_buckets / sizeof *metrics_buckets)

struct metrics_series {
	const char *route; /* NULL: requests that matched no route */
	int status;
	unsigned long long count;
};

struct metrics {
	struct metrics_series *series;
	size_t n, cap;
	unsigned long long buckets[METRICS_N_BUCKETS];
	unsigned long long observations;
	double sum;
};

struct metrics *
metrics_new(void)
{
	return xcalloc(1, sizeof(struct metrics));
}

void
metrics_free(struct metrics *m)
{
	if (m == NULL)
		return;
	free(m->series);
	free(m);
}

void
metrics_observe(struct metrics *m, const char *route, int status,
		double seconds)
{
	struct metrics_series *s = NULL;

	for (size_t i = 0; i < m->n; i++) {
		if (m->series[i].route == route &&
		    m->series[i].status == status) {
			s = &m->series[i];
			break;
		}
	}
	if (s == NULL) {
		if (m->n == m->cap) {
			m->cap = m->cap ? m->cap * 2 : 32;
			m->series =
			    xreallocarray(m->series, m->cap, sizeof *m->series);
		}
		s = &m->series[m->n++];
		s->route = route;
		s->status = status;
		s->count = 0;
	}
	s->count++;
	for (size_t i = 0; i < METRICS_N_BUCKETS; i++) {
		if (seconds <= metrics_buckets[i])
			m->buckets[i]++;
	}
	m->observations++;
	m->sum += seconds;
}

char *
metrics_render(const struct metrics *m, const struct server *srv, size_t *len)
{
	struct evbuffer *b = evbuffer_new();
	struct db_pool_stats ps;
	char *out;

	evbuffer_add_printf(b, "# HELP pingshen_requests_total Requests "
			       "answered, by route and status.\n"
			       "# TYPE pingshen_requests_total counter\n");
	for (size_t i = 0; i < m->n; i++)
		evbuffer_add_printf(
		    b,
		    "pingshen_requests_total{route=\"%s\",status=\"%d\"} "
		    "%llu\n",
		    m->series[i].route ? m->series[i].route : "unmatched",
		    m->series[i].status, m->series[i].count);
	evbuffer_add_printf(b, "# HELP pingshen_request_duration_seconds "
			       "Time from receiving a request to answering "
			       "it.\n"
			       "# TYPE pingshen_request_duration_seconds "
			       "histogram\n");
	for (size_t i = 0; i < METRICS_N_BUCKETS; i++)
		evbuffer_add_printf(
		    b,
		    "pingshen_request_duration_seconds_bucket{le=\"%g\"} "
		    "%llu\n",
		    metrics_buckets[i], m->buckets[i]);
	evbuffer_add_printf(
	    b,
	    "pingshen_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n"
	    "pingshen_request_duration_seconds_sum %.6f\n"
	    "pingshen_request_duration_seconds_count %llu\n",
	    m->observations, m->sum, m->observations);

	db_pool_stats(srv->db, &ps);
	evbuffer_add_printf(
	    b,
	    "# HELP pingshen_db_connections Database connections by state.\n"
	    "# TYPE pingshen_db_connections gauge\n"
	    "pingshen_db_connections{state=\"idle\"} %d\n"
	    "pingshen_db_connections{state=\"leased\"} %d\n"
	    "pingshen_db_connections{state=\"connecting\"} %d\n"
	    "pingshen_db_connections{state=\"down\"} %d\n"
	    "# HELP pingshen_db_waiting Requests waiting for a connection.\n"
	    "# TYPE pingshen_db_waiting gauge\n"
	    "pingshen_db_waiting %zu\n"
	    "# HELP pingshen_db_connects_total Connections established.\n"
	    "# TYPE pingshen_db_connects_total counter\n"
	    "pingshen_db_connects_total %llu\n"
	    "# HELP pingshen_db_connect_failures_total Failed attempts.\n"
	    "# TYPE pingshen_db_connect_failures_total counter\n"
	    "pingshen_db_connect_failures_total %llu\n",
	    ps.idle, ps.leased, ps.connecting, ps.down, ps.waiting, ps.connects,
	    ps.failures);
	evbuffer_add_printf(
	    b,
	    "# HELP pingshen_open_connections Client connections open.\n"
	    "# TYPE pingshen_open_connections gauge\n"
	    "pingshen_open_connections %d\n"
	    "# HELP pingshen_password_hashes_pending Password hashes queued "
	    "or running.\n"
	    "# TYPE pingshen_password_hashes_pending gauge\n"
	    "pingshen_password_hashes_pending %zu\n"
	    "# HELP pingshen_event_streams Meeting event streams open.\n"
	    "# TYPE pingshen_event_streams gauge\n"
	    "pingshen_event_streams %zu\n",
	    http_open_connections(srv->http), hash_pool_pending(srv->hashes),
	    events_count(srv->events));

	*len = evbuffer_get_length(b);
	out = xmalloc(*len + 1);
	evbuffer_remove(b, out, *len);
	out[*len] = '\0';
	evbuffer_free(b);
	return out;
}
