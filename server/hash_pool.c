/*
 * Worker threads for scrypt.  libevent is not thread-safe, so the workers
 * never touch it: each finished job's pointer goes down a self-pipe whose
 * read end is an ordinary event on the loop, and the loop thread runs the
 * callback.  Admission is bounded twice: by max_queue (jobs waiting for a
 * worker), and by max_queue + workers jobs whose callback has not run yet,
 * which keeps the pipe from ever filling (see hash_pool_post).
 */
/* pipe2 and gettid are GNU extensions in glibc 2.36. */
#define _GNU_SOURCE
#include "hash_pool.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/crypto.h>

#include "xalloc.h"

/*
 * Pointers that fit in the pipe whatever its capacity: Linux never shrinks
 * a pipe below one page, which is PIPE_BUF.
 */
#define HASH_POOL_INFLIGHT_MAX ((int)(PIPE_BUF / sizeof(void *)))

enum hash_pool_kind {
	HASH_POOL_HASH,
	HASH_POOL_VERIFY,
};

struct hash_pool_job {
	struct hash_pool_job *next;
	enum hash_pool_kind kind;
	char *password; /* wiped and freed as soon as the worker is done */
	size_t len;
	char *encoded; /* verify only; NULL means the pool's dummy */
	hash_pool_hash_cb hash_cb;
	hash_pool_verify_cb verify_cb;
	void *arg;
	bool ok; /* hash: succeeded; verify: matched */
	char result[PWHASH_ENCODED_MAX];
};

struct hash_pool {
	struct event *ev;
	int fds[2];
	int log2_n;
	int max_queue;
	int nthreads; /* started, hence to join */
	pthread_t *threads;
	char dummy[PWHASH_ENCODED_MAX];

	/* Shared with the workers, under lock. */
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct hash_pool_job *head, *tail;
	int queued;
	int outstanding; /* accepted, callback not yet run */
	bool stop;

	atomic_size_t pending; /* queued + running, read without the lock */

	/* Loop thread only. */
	bool closing;	    /* hash_pool_free has begun */
	bool delivering;    /* inside the pipe's event callback */
	bool free_deferred; /* freed from a callback: the event frees it */
};

/* Wipes what a job holds of the password before freeing it. */
static void
hash_pool_job_free(struct hash_pool_job *job)
{
	if (job->password != NULL) {
		OPENSSL_cleanse(job->password, job->len);
		free(job->password);
	}
	free(job->encoded);
	free(job);
}

/* Runs the job's callback, then frees the job. */
static void
hash_pool_finish(struct hash_pool_job *job, bool ok)
{
	if (job->kind == HASH_POOL_HASH)
		job->hash_cb(ok ? job->result : NULL, job->arg);
	else
		job->verify_cb(ok, job->arg);
	hash_pool_job_free(job);
}

/* The blocking part, on a worker thread. */
static void
hash_pool_run(struct hash_pool *pool, struct hash_pool_job *job)
{
	if (job->kind == HASH_POOL_HASH) {
		job->ok = pwhash_hash(job->password, job->len, pool->log2_n,
				      job->result) == 0;
	} else if (job->encoded == NULL) {
		/* Spend a real verification's time; the answer is fixed. */
		(void)pwhash_verify(job->password, job->len, pool->dummy);
		job->ok = false;
	} else {
		job->ok = pwhash_verify(job->password, job->len, job->encoded);
	}
	OPENSSL_cleanse(job->password, job->len);
	free(job->password);
	job->password = NULL;
}

/*
 * Hands a finished job to the loop thread.  The write cannot block or come
 * up short: at most HASH_POOL_INFLIGHT_MAX pointers are ever in the pipe,
 * and writes up to PIPE_BUF are atomic.  Failing here would lose a
 * callback, so it is fatal.
 */
static void
hash_pool_post(struct hash_pool *pool, struct hash_pool_job *job)
{
	ssize_t n;

	do
		n = write(pool->fds[1], &job, sizeof job);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof job) {
		fprintf(stderr, "fatal: hash_pool_post: write: %s\n",
			n < 0 ? strerror(errno) : "short write");
		abort();
	}
}

/* Worker thread: takes jobs in FIFO order until told to stop. */
static void *
hash_pool_worker(void *arg)
{
	struct hash_pool *pool = arg;
	struct hash_pool_job *job;

	/* A login may wait; a request on the loop should not wait behind
	 * one. On a busy machine equal priority lets each scrypt take its
	 * full time slices from the loop's core; Linux sets nice per
	 * thread, so this lowers the worker alone. Failure only costs
	 * latency. */
	(void)setpriority(PRIO_PROCESS, (id_t)gettid(), 19);
	for (;;) {
		pthread_mutex_lock(&pool->lock);
		while (!pool->stop && pool->head == NULL)
			pthread_cond_wait(&pool->wake, &pool->lock);
		if (pool->stop) {
			pthread_mutex_unlock(&pool->lock);
			return NULL;
		}
		job = pool->head;
		pool->head = job->next;
		if (pool->head == NULL)
			pool->tail = NULL;
		pool->queued--;
		pthread_mutex_unlock(&pool->lock);

		hash_pool_run(pool, job);

		/* The unlock publishes job's results before the pointer
		 * travels. */
		pthread_mutex_lock(&pool->lock);
		atomic_fetch_sub(&pool->pending, 1);
		pthread_mutex_unlock(&pool->lock);
		hash_pool_post(pool, job);
	}
}

/* Runs the callback of every finished job waiting in the pipe. */
static void
hash_pool_deliver(struct hash_pool *pool)
{
	struct hash_pool_job *job;
	ssize_t n;

	for (;;) {
		n = read(pool->fds[0], &job, sizeof job);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n != (ssize_t)sizeof job) {
			fprintf(stderr, "fatal: hash_pool_deliver: read: %s\n",
				n < 0 ? strerror(errno) : "short read");
			abort();
		}
		pthread_mutex_lock(&pool->lock);
		pool->outstanding--;
		pthread_mutex_unlock(&pool->lock);
		hash_pool_finish(job, job->ok);
	}
}

/* Releases everything; the workers must already be joined. */
static void
hash_pool_destroy(struct hash_pool *pool)
{
	if (pool->ev != NULL)
		event_free(pool->ev);
	if (pool->fds[0] >= 0)
		close(pool->fds[0]);
	if (pool->fds[1] >= 0)
		close(pool->fds[1]);
	pthread_cond_destroy(&pool->wake);
	pthread_mutex_destroy(&pool->lock);
	free(pool->threads);
	free(pool);
}

/*
 * The pipe's event.  A callback may free the pool; the struct then
 * outlives hash_pool_free until this loop, its caller, is done with it.
 */
static void
hash_pool_on_result(evutil_socket_t fd, short what, void *arg)
{
	struct hash_pool *pool = arg;

	(void)fd;
	(void)what;
	pool->delivering = true;
	hash_pool_deliver(pool);
	pool->delivering = false;
	if (pool->free_deferred)
		hash_pool_destroy(pool);
}

/* Lets running jobs finish, then joins every worker. */
static void
hash_pool_stop(struct hash_pool *pool)
{
	int i;

	pthread_mutex_lock(&pool->lock);
	pool->stop = true;
	pthread_cond_broadcast(&pool->wake);
	pthread_mutex_unlock(&pool->lock);
	for (i = 0; i < pool->nthreads; i++)
		pthread_join(pool->threads[i], NULL);
	pool->nthreads = 0;
}

/*
 * Starts the workers with every signal blocked, so signals reach the loop
 * thread (where libevent handles them) rather than a hashing worker.
 */
static bool
hash_pool_start(struct hash_pool *pool, int workers)
{
	sigset_t all, old;
	bool ok = true;

	pool->threads = xcalloc((size_t)workers, sizeof *pool->threads);
	sigfillset(&all);
	if (pthread_sigmask(SIG_SETMASK, &all, &old) != 0)
		return false;
	while (pool->nthreads < workers) {
		if (pthread_create(&pool->threads[pool->nthreads], NULL,
				   hash_pool_worker, pool) != 0) {
			ok = false;
			break;
		}
		pool->nthreads++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return ok;
}

/* Blocks for one hash at log2_n: the dummy is computed here, once. */
struct hash_pool *
hash_pool_new(struct event_base *base, int workers, int max_queue, int log2_n)
{
	struct hash_pool *pool;

	if (base == NULL || workers < 1 || max_queue < 1 ||
	    workers > HASH_POOL_INFLIGHT_MAX ||
	    max_queue > HASH_POOL_INFLIGHT_MAX - workers)
		return NULL;
	pool = xcalloc(1, sizeof *pool);
	if (pthread_mutex_init(&pool->lock, NULL) != 0) {
		free(pool);
		return NULL;
	}
	if (pthread_cond_init(&pool->wake, NULL) != 0) {
		pthread_mutex_destroy(&pool->lock);
		free(pool);
		return NULL;
	}
	pool->fds[0] = pool->fds[1] = -1;
	pool->log2_n = log2_n;
	pool->max_queue = max_queue;
	atomic_init(&pool->pending, 0);
	if (pwhash_dummy(log2_n, pool->dummy) != 0 ||
	    pipe2(pool->fds, O_CLOEXEC | O_NONBLOCK) != 0)
		goto fail;
	pool->ev = event_new(base, pool->fds[0], EV_READ | EV_PERSIST,
			     hash_pool_on_result, pool);
	if (pool->ev == NULL || event_add(pool->ev, NULL) != 0 ||
	    !hash_pool_start(pool, workers))
		goto fail;
	return pool;
fail:
	hash_pool_stop(pool);
	hash_pool_destroy(pool);
	return NULL;
}

/* Queues job, or frees it and refuses. */
static int
hash_pool_submit(struct hash_pool *pool, struct hash_pool_job *job)
{
	int rc = -1;

	pthread_mutex_lock(&pool->lock);
	if (!pool->stop && pool->queued < pool->max_queue &&
	    pool->outstanding < pool->max_queue + pool->nthreads) {
		if (pool->tail != NULL)
			pool->tail->next = job;
		else
			pool->head = job;
		pool->tail = job;
		pool->queued++;
		pool->outstanding++;
		atomic_fetch_add(&pool->pending, 1);
		pthread_cond_signal(&pool->wake);
		rc = 0;
	}
	pthread_mutex_unlock(&pool->lock);
	if (rc != 0)
		hash_pool_job_free(job);
	return rc;
}

/* A job owning a copy of the password. */
static struct hash_pool_job *
hash_pool_job_new(enum hash_pool_kind kind, const char *password, size_t len,
		  void *arg)
{
	struct hash_pool_job *job = xcalloc(1, sizeof *job);

	job->kind = kind;
	job->password = xmalloc(len);
	if (len > 0)
		memcpy(job->password, password, len);
	job->len = len;
	job->arg = arg;
	return job;
}

int
hash_pool_hash(struct hash_pool *pool, const char *password, size_t len,
	       hash_pool_hash_cb cb, void *arg)
{
	struct hash_pool_job *job;

	job = hash_pool_job_new(HASH_POOL_HASH, password, len, arg);
	job->hash_cb = cb;
	return hash_pool_submit(pool, job);
}

int
hash_pool_verify(struct hash_pool *pool, const char *password, size_t len,
		 const char *encoded, hash_pool_verify_cb cb, void *arg)
{
	struct hash_pool_job *job;

	job = hash_pool_job_new(HASH_POOL_VERIFY, password, len, arg);
	/*
	 * A string too long to be an encoding is cut, and then fails to
	 * decode.  xstrndup copies exactly n bytes, hence strnlen.
	 */
	if (encoded != NULL)
		job->encoded =
		    xstrndup(encoded, strnlen(encoded, PWHASH_ENCODED_MAX - 1));
	job->verify_cb = cb;
	return hash_pool_submit(pool, job);
}

size_t
hash_pool_pending(const struct hash_pool *pool)
{
	return atomic_load(&pool->pending);
}

/*
 * Finished jobs are delivered before queued ones fail, so callbacks keep
 * the order of submission.
 */
void
hash_pool_free(struct hash_pool *pool)
{
	struct hash_pool_job *job, *next;

	if (pool == NULL || pool->closing)
		return;
	pool->closing = true;
	hash_pool_stop(pool);
	hash_pool_deliver(pool);

	pthread_mutex_lock(&pool->lock);
	job = pool->head;
	pool->head = pool->tail = NULL;
	pool->queued = 0;
	pthread_mutex_unlock(&pool->lock);
	for (; job != NULL; job = next) {
		next = job->next;
		atomic_fetch_sub(&pool->pending, 1);
		hash_pool_finish(job, false);
	}

	if (pool->delivering)
		pool->free_deferred = true;
	else
		hash_pool_destroy(pool);
}
