/* Fixed-window failure counters in a bounded open-addressing table. */
#include "throttle.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

#define THROTTLE_SLOTS 4096 /* a power of two */
#define THROTTLE_PROBE 8

struct throttle_slot {
	uint64_t key; /* 0: empty */
	time_t start;
	int failures;
};

struct throttle {
	int max_failures;
	int window_s;
	struct throttle_slot slots[THROTTLE_SLOTS];
};

struct throttle *
throttle_new(int max_failures, int window_s)
{
	struct throttle *t = xcalloc(1, sizeof *t);

	t->max_failures = max_failures;
	t->window_s = window_s;
	return t;
}

void
throttle_free(struct throttle *t)
{
	free(t);
}

/* FNV-1a of a kind byte and a string; never 0. */
static uint64_t
throttle_key(char kind, const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	h = (h ^ (unsigned char)kind) * 1099511628211ULL;
	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h ? h : 1;
}

/*
 * The slot of key, or NULL.  With create, an empty or expired slot in the
 * probe range is taken, else the oldest one gives way.
 */
static struct throttle_slot *
throttle_slot(struct throttle *t, uint64_t key, time_t now, bool create)
{
	struct throttle_slot *oldest = NULL;

	for (int i = 0; i < THROTTLE_PROBE; i++) {
		struct throttle_slot *s =
		    &t->slots[(key + (uint64_t)i) & (THROTTLE_SLOTS - 1)];

		if (s->key == key) {
			if (now - s->start >= t->window_s) {
				s->start = now;
				s->failures = 0;
			}
			return s;
		}
		if (oldest == NULL || s->key == 0 || s->start < oldest->start)
			oldest = s;
	}
	if (!create)
		return NULL;
	oldest->key = key;
	oldest->start = now;
	oldest->failures = 0;
	return oldest;
}

static bool
throttle_check(struct throttle *t, uint64_t key, int max, time_t now,
	       int *retry)
{
	struct throttle_slot *s = throttle_slot(t, key, now, false);

	if (s == NULL || s->failures < max)
		return true;
	*retry = (int)(s->start + t->window_s - now);
	if (*retry < 1)
		*retry = 1;
	return false;
}

bool
throttle_allow(struct throttle *t, const char *username, const char *addr,
	       time_t now, int *retry_after)
{
	return throttle_check(t, throttle_key('u', username), t->max_failures,
			      now, retry_after) &&
	       throttle_check(t, throttle_key('a', addr),
			      t->max_failures * THROTTLE_ADDRESS_FACTOR, now,
			      retry_after);
}

void
throttle_fail(struct throttle *t, const char *username, const char *addr,
	      time_t now)
{
	throttle_slot(t, throttle_key('u', username), now, true)->failures++;
	throttle_slot(t, throttle_key('a', addr), now, true)->failures++;
}

void
throttle_succeed(struct throttle *t, const char *username)
{
	struct throttle_slot *s =
	    throttle_slot(t, throttle_key('u', username), 0, false);

	if (s != NULL)
		memset(s, 0, sizeof *s);
}
