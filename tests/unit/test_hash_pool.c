/*
 * The scrypt worker pool against a real event_base.  Tests wait by running
 * the loop until their callbacks have run, never by sleeping; callbacks
 * check that they run on this (the loop) thread.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <event2/event.h>

#include "hash_pool.h"

#define FAST 14
#define MANY 64

static pthread_t loop_thread;

/* What one job's callback saw. */
struct job {
	int calls;
	bool match;
	bool hashed;
	char encoded[PWHASH_ENCODED_MAX];
	int *done;
	int *order; /* position among all callbacks, when recorded */
	int *seq;
	struct hash_pool **free_me;
};

static void
on_hash(const char *encoded, void *arg)
{
	struct job *j = arg;

	assert_true(pthread_equal(pthread_self(), loop_thread));
	j->calls++;
	j->hashed = encoded != NULL;
	if (encoded != NULL) {
		assert_true(strlen(encoded) < sizeof j->encoded);
		strcpy(j->encoded, encoded);
	}
	if (j->order != NULL)
		*j->order = (*j->seq)++;
	if (j->free_me != NULL) {
		hash_pool_free(*j->free_me);
		*j->free_me = NULL;
	}
	(*j->done)++;
}

static void
on_verify(bool match, void *arg)
{
	struct job *j = arg;

	assert_true(pthread_equal(pthread_self(), loop_thread));
	j->calls++;
	j->match = match;
	(*j->done)++;
}

/* Runs the loop until `done` reaches target. */
static void
drive(struct event_base *base, const int *done, int target)
{
	while (*done < target)
		assert_int_equal(event_base_loop(base, EVLOOP_ONCE), 0);
}

static int
setup(void **state)
{
	loop_thread = pthread_self();
	*state = event_base_new();
	return *state == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	event_base_free(*state);
	return 0;
}

static void
test_hash_then_verify(void **state)
{
	struct event_base *base = *state;
	struct hash_pool *pool = hash_pool_new(base, 2, 4, FAST);
	char pw[] = "hunter2";
	struct job h = {0}, right = {0}, wrong = {0};
	int done = 0;

	assert_non_null(pool);
	h.done = right.done = wrong.done = &done;
	assert_int_equal(hash_pool_hash(pool, pw, 7, on_hash, &h), 0);
	/* The pool hashes its own copy. */
	memset(pw, 'x', 7);
	drive(base, &done, 1);
	assert_true(h.hashed);
	assert_int_equal(strncmp(h.encoded, "scrypt$14$8$1$", 14), 0);

	assert_int_equal(
	    hash_pool_verify(pool, "hunter2", 7, h.encoded, on_verify, &right),
	    0);
	assert_int_equal(
	    hash_pool_verify(pool, "hunter3", 7, h.encoded, on_verify, &wrong),
	    0);
	drive(base, &done, 3);
	assert_true(right.match);
	assert_false(wrong.match);
	assert_int_equal(h.calls + right.calls + wrong.calls, 3);
	assert_int_equal(hash_pool_pending(pool), 0);
	hash_pool_free(pool);
}

static void
test_queue_limit(void **state)
{
	struct event_base *base = *state;
	struct hash_pool *pool = hash_pool_new(base, 1, 1, FAST);
	struct job jobs[MANY] = {{0}}, again = {0};
	int accepted = 0, refused = 0, done = 0, i;

	assert_non_null(pool);
	for (i = 0; i < MANY; i++) {
		jobs[i].done = &done;
		if (hash_pool_hash(pool, "pw", 2, on_hash, &jobs[i]) != 0) {
			refused++;
			break;
		}
		accepted++;
	}
	assert_true(refused >= 1);
	assert_true(accepted >= 1 && accepted <= 2);
	drive(base, &done, accepted);
	assert_int_equal(event_base_loop(base, EVLOOP_NONBLOCK), 0);
	for (i = 0; i < MANY; i++)
		assert_int_equal(jobs[i].calls, i < accepted ? 1 : 0);

	/* Room again once the backlog has drained. */
	again.done = &done;
	assert_int_equal(hash_pool_hash(pool, "pw", 2, on_hash, &again), 0);
	drive(base, &done, accepted + 1);
	assert_int_equal(again.calls, 1);
	hash_pool_free(pool);
	for (i = 0; i < MANY; i++)
		assert_int_equal(jobs[i].calls, i < accepted ? 1 : 0);
	assert_int_equal(again.calls, 1);
}

static void
test_unknown_user_never_matches(void **state)
{
	struct event_base *base = *state;
	struct hash_pool *pool = hash_pool_new(base, 1, 4, FAST);
	struct job unknown = {0}, empty = {0}, garbage = {0};
	int done = 0;

	assert_non_null(pool);
	unknown.done = empty.done = garbage.done = &done;
	unknown.match = empty.match = garbage.match = true;
	assert_int_equal(
	    hash_pool_verify(pool, "guess", 5, NULL, on_verify, &unknown), 0);
	assert_int_equal(hash_pool_verify(pool, "", 0, NULL, on_verify, &empty),
			 0);
	assert_int_equal(hash_pool_verify(pool, "guess", 5, "scrypt$garbage",
					  on_verify, &garbage),
			 0);
	drive(base, &done, 3);
	assert_false(unknown.match);
	assert_false(empty.match);
	assert_false(garbage.match);
	hash_pool_free(pool);
}

static void
test_free_fails_queued_jobs(void **state)
{
	struct event_base *base = *state;
	struct hash_pool *pool = hash_pool_new(base, 1, 8, FAST);
	struct job jobs[8] = {{0}};
	int accepted = 0, done = 0, failed = 0, i;

	assert_non_null(pool);
	for (i = 0; i < 8; i++) {
		jobs[i].done = &done;
		if (hash_pool_hash(pool, "pw", 2, on_hash, &jobs[i]) == 0)
			accepted++;
	}
	assert_true(accepted >= 2);
	hash_pool_free(pool);
	assert_int_equal(done, accepted);
	for (i = 0; i < accepted; i++) {
		assert_int_equal(jobs[i].calls, 1);
		if (!jobs[i].hashed)
			failed++;
		/* Queued jobs fail after every job that ran. */
		else
			assert_int_equal(failed, 0);
	}
	assert_true(failed >= 1);
	/* Nothing is left behind for the loop. */
	assert_int_equal(event_base_loop(base, EVLOOP_NONBLOCK), 1);
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct job *j = arg;

	(void)fd;
	(void)what;
	*j->order = (*j->seq)++;
	(*j->done)++;
}

static void
test_loop_runs_while_hashing(void **state)
{
	struct event_base *base = *state;
	struct hash_pool *pool = hash_pool_new(base, 1, 1, 17);
	const struct timeval now = {0, 0};
	struct job h = {0}, timer = {0};
	int done = 0, seq = 0, hash_at = -1, timer_at = -1;

	assert_non_null(pool);
	h.done = timer.done = &done;
	h.seq = timer.seq = &seq;
	h.order = &hash_at;
	timer.order = &timer_at;
	assert_int_equal(hash_pool_hash(pool, "pw", 2, on_hash, &h), 0);
	assert_int_equal(hash_pool_pending(pool), 1);
	assert_int_equal(
	    event_base_once(base, -1, EV_TIMEOUT, on_timer, &timer, &now), 0);
	drive(base, &done, 2);
	assert_int_equal(timer_at, 0);
	assert_int_equal(hash_at, 1);
	assert_true(h.hashed);
	assert_int_equal(strncmp(h.encoded, "scrypt$17$8$1$", 14), 0);
	hash_pool_free(pool);
}

/* A callback may free the pool that called it (STYLE.md habit 7). */
static void
test_callback_may_free_pool(void **state)
{
	struct event_base *base = *state;
	struct hash_pool *pool = hash_pool_new(base, 1, 4, FAST);
	struct job first = {0}, second = {0}, third = {0};
	int done = 0;

	assert_non_null(pool);
	first.done = second.done = third.done = &done;
	first.free_me = &pool;
	assert_int_equal(hash_pool_hash(pool, "a", 1, on_hash, &first), 0);
	assert_int_equal(hash_pool_hash(pool, "b", 1, on_hash, &second), 0);
	assert_int_equal(hash_pool_hash(pool, "c", 1, on_hash, &third), 0);
	drive(base, &done, 3);
	assert_null(pool);
	assert_int_equal(first.calls, 1);
	assert_int_equal(second.calls, 1);
	assert_int_equal(third.calls, 1);
	assert_true(first.hashed);
	assert_int_equal(event_base_loop(base, EVLOOP_NONBLOCK), 1);
}

static void
test_new_refuses_bad_arguments(void **state)
{
	struct event_base *base = *state;

	assert_null(hash_pool_new(NULL, 1, 1, FAST));
	assert_null(hash_pool_new(base, 0, 1, FAST));
	assert_null(hash_pool_new(base, 1, 0, FAST));
	assert_null(hash_pool_new(base, 1, 1 << 20, FAST));
	assert_null(hash_pool_new(base, 1, 1, 9));
	assert_null(hash_pool_new(base, 1, 1, 21));
	hash_pool_free(NULL);
	assert_int_equal(event_base_loop(base, EVLOOP_NONBLOCK), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_hash_then_verify, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_queue_limit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unknown_user_never_matches,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_free_fails_queued_jobs, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_loop_runs_while_hashing, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_callback_may_free_pool, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_new_refuses_bad_arguments,
					    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
