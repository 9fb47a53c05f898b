/*
 * The subscribers of meeting events: a list, one heartbeat timer for all,
 * and a cap on each client's unsent output.  A stream ends when its client
 * leaves (http.c tells us through events_gone) or falls too far behind.
 */
#include "events.h"

#include <event2/event.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "xalloc.h"

/* More often than any timeout between a proxy and us. */
#define EVENTS_HEARTBEAT_S 15
/* Unsent bytes a client may have before it is dropped as too slow. */
#define EVENTS_OUTPUT_CAP (256 * 1024)

struct events_sub {
	struct events *ev;
	struct req *r;
	int64_t meeting;
	struct events_sub *prev, *next;
};

struct events {
	struct server *srv;
	struct event *heartbeat;
	struct events_sub *head;
	size_t n;
};

static void
events_unlink(struct events_sub *s)
{
	struct events *ev = s->ev;

	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		ev->head = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	ev->n--;
	free(s);
}

/* http.c: the client left; the request is no longer ours to use. */
static void
events_gone(struct req *r, void *arg)
{
	(void)r;
	events_unlink(arg);
}

/* Sends text to one subscriber; ends its stream when it cannot keep up.
 * Returns the next subscriber, since this one may be gone. */
static struct events_sub *
events_send(struct events_sub *s, const char *text, size_t len)
{
	struct events_sub *next = s->next;

	if (!http_stream_send(s->r, text, len, EVENTS_OUTPUT_CAP)) {
		struct req *r = s->r;

		events_unlink(s);
		http_stream_end(r);
	}
	return next;
}

static void
events_heartbeat(evutil_socket_t fd, short what, void *arg)
{
	struct events *ev = arg;
	static const char ping[] = ": heartbeat\n\n";

	(void)fd;
	(void)what;
	for (struct events_sub *s = ev->head; s != NULL;)
		s = events_send(s, ping, sizeof ping - 1);
}

struct events *
events_new(struct server *srv)
{
	struct events *ev = xcalloc(1, sizeof *ev);
	struct timeval tv = {EVENTS_HEARTBEAT_S, 0};

	ev->srv = srv;
	ev->heartbeat =
	    event_new(srv->base, -1, EV_PERSIST, events_heartbeat, ev);
	event_add(ev->heartbeat, &tv);
	return ev;
}

void
events_end_all(struct events *ev)
{
	while (ev->head != NULL) {
		struct req *r = ev->head->r;

		events_unlink(ev->head);
		http_stream_end(r);
	}
}

void
events_free(struct events *ev)
{
	if (ev == NULL)
		return;
	events_end_all(ev);
	event_free(ev->heartbeat);
	free(ev);
}

void
events_publish(struct events *ev, int64_t meeting, const char *name,
	       json_t *data)
{
	char *json = json_dumps(data, JSON_COMPACT);
	char *text = xasprintf("event: %s\ndata: %s\n\n", name, json);
	size_t len = strlen(text);

	for (struct events_sub *s = ev->head; s != NULL;) {
		if (s->meeting == meeting)
			s = events_send(s, text, len);
		else
			s = s->next;
	}
	free(text);
	free(json);
	json_decref(data);
}

void
events_subscribe(struct events *ev, struct req *r, int64_t meeting)
{
	struct events_sub *s = xcalloc(1, sizeof *s);
	static const char hello[] = "retry: 3000\n: subscribed\n\n";

	s->ev = ev;
	s->r = r;
	s->meeting = meeting;
	s->next = ev->head;
	if (ev->head != NULL)
		ev->head->prev = s;
	ev->head = s;
	ev->n++;
	http_stream_start(r, "text/event-stream; charset=utf-8", events_gone,
			  s);
	events_send(s, hello, sizeof hello - 1);
}

size_t
events_count(const struct events *ev)
{
	return ev->n;
}

int
events_listening(const struct events *ev, int64_t meeting)
{
	for (const struct events_sub *s = ev->head; s != NULL; s = s->next) {
		if (s->meeting == meeting)
			return 1;
	}
	return 0;
}
