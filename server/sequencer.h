/*
 * The audit sequencer (DESIGN.md, Audit).  Writers only insert entries; the
 * sequencer gives committed entries, in the order it sees them committed, a
 * dense sequence number and a hash chaining each to the one before, in the
 * manner of a Certificate Transparency log.  Writers never queue behind
 * one lock: the only lock is the sequencer's own (an advisory lock, so
 * several server processes take turns).  It runs every 200 ms, so an entry
 * is sequenced within a bounded delay, and on demand before audit reads.
 */
#ifndef PINGSHEN_SEQUENCER_H
#define PINGSHEN_SEQUENCER_H

#include <stdbool.h>

struct server;
struct sequencer;

typedef void (*sequencer_cb)(bool ok, void *arg);

/* Starts the periodic run; free with sequencer_free. */
struct sequencer *sequencer_new(struct server *srv);

/*
 * Calls cb once every entry committed before this call is sequenced (ok),
 * or the attempt failed (the database is down).  cb runs later, never
 * inside this call.
 */
void sequencer_flush(struct sequencer *seq, sequencer_cb cb, void *arg);

/* True while a run holds a connection: wait before freeing the pool. */
bool sequencer_busy(const struct sequencer *seq);

/* Stops; flushes still waiting get ok = false.  Must not be busy.  NULL is
 * fine. */
void sequencer_free(struct sequencer *seq);

#endif
