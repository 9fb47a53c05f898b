/*
 * Login throttling: failed attempts counted per account and per client
 * address over a fixed window; past the limit, logins are refused with 429
 * before any password is hashed, so a flood costs no scrypt time.  An
 * address may fail THROTTLE_ADDRESS_FACTOR times as often as an account:
 * many people can sit behind one address, and one person's typos must not
 * lock them all out.  Memory is bounded: a fixed table whose oldest entries
 * give way.
 */
#ifndef PINGSHEN_THROTTLE_H
#define PINGSHEN_THROTTLE_H

#include <stdbool.h>
#include <time.h>

#define THROTTLE_ADDRESS_FACTOR 5

struct throttle;

/* max_failures per account within window_s seconds; free with
 * throttle_free. */
struct throttle *throttle_new(int max_failures, int window_s);
void throttle_free(struct throttle *t);

/*
 * True when a login for this username from this address may go ahead at
 * time now; otherwise *retry_after gets the seconds until it may.
 */
bool throttle_allow(struct throttle *t, const char *username, const char *addr,
		    time_t now, int *retry_after);

/* Records a failed login. */
void throttle_fail(struct throttle *t, const char *username, const char *addr,
		   time_t now);

/* A successful login clears the account's failures (not the address's). */
void throttle_succeed(struct throttle *t, const char *username);

#endif
