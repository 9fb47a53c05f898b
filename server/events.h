/*
 * Live meeting events as Server-Sent Events (GET /meetings/{id}/events):
 * round_opened, ballot_count, round_closed, meeting_finalized.  Events
 * carry counts and round numbers, never an individual ballot.  Each
 * subscriber gets a heartbeat comment more often than any timeout, and one
 * whose output piles up past a cap (a slow reader) is dropped, so it
 * cannot grow the server's memory.
 */
#ifndef PINGSHEN_EVENTS_H
#define PINGSHEN_EVENTS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct events;
struct req;
struct server;

/* The subscriber registry; free with events_free (ends every stream). */
struct events *events_new(struct server *srv);
void events_free(struct events *ev);

/* Sends event `name` with data (stolen) to every subscriber of meeting. */
void events_publish(struct events *ev, int64_t meeting, const char *name,
		    json_t *data);

/* Turns r into a stream of the meeting's events until the client leaves,
 * the server stops, or the client reads too slowly. */
void events_subscribe(struct events *ev, struct req *r, int64_t meeting);

/* Ends every stream (the server is stopping); new ones may still come. */
void events_end_all(struct events *ev);

/* Open streams, for /metrics. */
size_t events_count(const struct events *ev);

/* Whether anyone listens to this meeting (to skip work nobody sees). */
int events_listening(const struct events *ev, int64_t meeting);

#endif
