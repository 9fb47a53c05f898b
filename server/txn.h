/*
 * Writes and their acknowledgement.  Every state change is one statement
 * that also inserts its audit entry (a data-modifying CTE), so the change
 * and its audit commit together.  With an Idempotency-Key, the key is
 * claimed in the same transaction and the answer stored with it, so a
 * retry gets the first answer and a concurrent duplicate waits on the key
 * and then replays it instead of writing twice.
 *
 * Write statements take the audit context as their first parameters:
 *   $1 actor id, $2 actor username, $3 actor role, $4 request id,
 *   $5 client address
 * (txn_audit_params fills them).
 */
#ifndef PINGSHEN_TXN_H
#define PINGSHEN_TXN_H

#include <jansson.h>

#include "http.h"

#define TXN_AUDIT_PARAMS 5

struct txn;

/*
 * Builds a write's answer from its result: returns the body (stolen) and
 * sets *status, or answers an error itself (http_reply_*) and returns NULL,
 * which rolls the write back.
 */
typedef json_t *(*txn_build_cb)(struct req *r, const PGresult *res,
				int *status);

/* Fills params[0..TXN_AUDIT_PARAMS) from r; the strings live in r. */
void txn_audit_params(struct req *r, const char **params);

/*
 * With an Idempotency-Key whose first answer is stored: replays it, or
 * refuses a key reused with another request (422), and returns.
 * Otherwise runs then(r).  Call it before slow work such as hashing.
 * Needs r->conn.
 */
void txn_idempotent(struct req *r, http_handler then);

/*
 * Runs the write stmt with params and answers with what build returns,
 * only after COMMIT succeeded.  Needs r->conn.
 */
void txn_write(struct req *r, struct db_stmt *stmt, const char *const *params,
	       txn_build_cb build);

/*
 * Opens an explicit transaction for reads that must hold locks until the
 * write (SELECT ... FOR UPDATE); the next txn_write then commits it.
 */
void txn_begin(struct req *r);

/*
 * Answers a database failure: 409 evaluation_finalized when the database's
 * guard refused a write to a finalized evaluation, 503 when the connection
 * broke or a statement timed out, else 500 internal_error (logged).
 */
void txn_reply_db_error(struct req *r, const PGresult *res);

/* Frees a request's write state; NULL is fine. */
void txn_free(struct txn *t);

#endif
