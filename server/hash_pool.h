/*
 * A small capped pool of worker threads for scrypt, so a flood of logins
 * neither blocks the event loop nor exhausts memory (each hash takes
 * ~128 MiB for ~0.4 s).  Jobs are queued up to a limit; beyond it a
 * submission is refused at once and the caller answers 429.  Results come
 * back on the loop thread through a self-pipe, so callbacks may use
 * libevent and the rest of the server freely.
 */
#ifndef PINGSHEN_HASH_POOL_H
#define PINGSHEN_HASH_POOL_H

#include <stdbool.h>
#include <stddef.h>

#include "pwhash.h"

struct event_base;
struct hash_pool;

/* encoded is NULL when hashing failed; it is valid only during the call. */
typedef void (*hash_pool_hash_cb)(const char *encoded, void *arg);
typedef void (*hash_pool_verify_cb)(bool match, void *arg);

/* Starts `workers` threads; at most max_queue jobs wait.  NULL on failure,
 * or when workers + max_queue exceeds what the result pipe is sure to hold
 * (PIPE_BUF / sizeof(void *): 512 on 64-bit Linux).  Blocks for one hash at
 * log2_n, to make the dummy. */
struct hash_pool *hash_pool_new(struct event_base *base, int workers,
				int max_queue, int log2_n);

/*
 * Queue a job.  The password is copied (and wiped after use).  Return 0 and
 * call cb exactly once, later, on the loop thread; or return -1 at once
 * (queue full; max_queue + workers results not yet delivered; or the pool
 * is shutting down) without calling cb.
 */
int hash_pool_hash(struct hash_pool *pool, const char *password, size_t len,
		   hash_pool_hash_cb cb, void *arg);
/* encoded NULL verifies against a dummy hash and always reports false:
 * an unknown user costs the same time as a wrong password. */
int hash_pool_verify(struct hash_pool *pool, const char *password, size_t len,
		     const char *encoded, hash_pool_verify_cb cb, void *arg);

/* Jobs queued or running, for /metrics. */
size_t hash_pool_pending(const struct hash_pool *pool);

/*
 * Stops the workers after the jobs already running; finished jobs get
 * their callback as usual, then queued jobs that never ran get theirs with
 * a failure (NULL / false), all before this returns.  Call it on the loop
 * thread; a callback of this pool may call it.  NULL is fine.
 */
void hash_pool_free(struct hash_pool *pool);

#endif
