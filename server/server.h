/*
 * The server's shared state: one per process, owned by main and reached by
 * every handler through its request.  Everything here lives on the loop
 * thread.
 */
#ifndef PINGSHEN_SERVER_H
#define PINGSHEN_SERVER_H

#include <stdbool.h>

struct event_base;
struct config;
struct db_pool;
struct hash_pool;
struct http;
struct metrics;
struct throttle;
struct sequencer;
struct events;
struct table_cache;
struct signing;

struct server {
	struct event_base *base;
	const struct config *cfg;
	struct db_pool *db;
	struct hash_pool *hashes;
	struct http *http;
	struct metrics *metrics;
	struct throttle *throttle;
	struct sequencer *sequencer;
	struct events *events;
	struct table_cache *tables; /* rendered indicator tables */
	struct signing *signing;    /* the verdict-signing key */
	bool stopping; /* SIGTERM: no new work, finish what is in flight */
};

#endif
