/* Writes that commit with their audit entry and idempotency record. */
#include "txn.h"

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

struct txn {
	txn_build_cb build;
	http_handler then; /* what runs when no stored answer is found */
	char request_hash[65];
	char status_text[8];
	char *answer; /* the body to store and send */
	int status;
	bool duplicate; /* another request holds or held this key */
	bool open;	/* txn_begin ran: the write must COMMIT itself */
};

DB_STMT(stmt_txn_begin, 0, "BEGIN");
DB_STMT(stmt_txn_commit, 0, "COMMIT");
DB_STMT(stmt_txn_rollback, 0, "ROLLBACK");
DB_STMT(stmt_txn_lookup, 3,
	"SELECT request_hash, status, body FROM idempotency_keys"
	" WHERE user_id = $1 AND key = $2"
	" AND created_at > now() - interval '24 hours'"
	" AND status <> 0 AND $3::text IS NOT NULL");
/* Claims the key for this transaction; a key older than 24 hours is
 * free again.  A concurrent claim waits here until the first commits. */
DB_STMT(stmt_txn_claim, 3,
	"INSERT INTO idempotency_keys (user_id, key, request_hash, status,"
	" body) VALUES ($1, $2, $3, 0, '')"
	" ON CONFLICT (user_id, key) DO UPDATE"
	" SET request_hash = EXCLUDED.request_hash, status = 0, body = '',"
	" created_at = now()"
	" WHERE idempotency_keys.created_at < now() - interval '24 hours'"
	" RETURNING 1");
DB_STMT(stmt_txn_store, 4,
	"UPDATE idempotency_keys SET status = $3, body = $4"
	" WHERE user_id = $1 AND key = $2");

void
txn_free(struct txn *t)
{
	if (t == NULL)
		return;
	free(t->answer);
	free(t);
}

void
txn_audit_params(struct req *r, const char **params)
{
	params[0] = r->user.id ? r->user.id_text : NULL;
	params[1] = r->user.id ? r->user.username : NULL;
	params[2] = r->user.id ? user_role_name(r->user.role) : NULL;
	params[3] = r->id;
	params[4] = r->client;
}

void
txn_reply_db_error(struct req *r, const PGresult *res)
{
	const char *state = db_sqlstate(res);

	/* The database's own guard (migration 002) stopped a write. */
	if (strcmp(state, "PSF01") == 0) {
		http_reply_error(r, 409, "evaluation_finalized",
				 "the evaluation is finalized; nothing of it "
				 "changes any more");
		return;
	}
	if (res == NULL || strcmp(state, "57014") == 0 ||
	    strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0) {
		http_reply_db_unavailable(r);
		return;
	}
	fprintf(stderr, "request %s: database error %s: %s", r->id, state,
		PQresultErrorMessage(res));
	http_reply_error(r, 500, "internal_error",
			 "the server failed; the request id is %s", r->id);
}

static struct txn *
txn_of(struct req *r)
{
	if (r->txn == NULL)
		r->txn = xcalloc(1, sizeof *r->txn);
	return r->txn;
}

/* SHA-256 over what makes two requests the same: method, target, body. */
static void
txn_hash_request(struct req *r, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[32];
	char *body =
	    json_dumps(r->body ? r->body : json_null(),
		       JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	const char *uri = evhttp_request_get_uri(r->ev);
	char method[4];
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	snprintf(method, sizeof method, "%d", r->method);
	if (ctx == NULL || body == NULL)
		abort();
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	EVP_DigestUpdate(ctx, method, strlen(method) + 1);
	EVP_DigestUpdate(ctx, uri, strlen(uri) + 1);
	EVP_DigestUpdate(ctx, body, strlen(body));
	EVP_DigestFinal_ex(ctx, md, NULL);
	EVP_MD_CTX_free(ctx);
	free(body);
	for (int i = 0; i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
}

/* Sends a stored answer, or refuses a key reused for another request. */
static void
txn_replay(struct req *r, const PGresult *res)
{
	struct txn *t = txn_of(r);
	const char *body = PQgetvalue(res, 0, 2);

	if (strcmp(PQgetvalue(res, 0, 0), t->request_hash) != 0) {
		http_reply_error(r, 422, "idempotency_key_reused",
				 "this Idempotency-Key was used for another "
				 "request in the last 24 hours");
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(r->ev),
			  "Idempotent-Replayed", "true");
	http_reply_text(r, atoi(PQgetvalue(res, 0, 1)),
			"application/json; charset=utf-8", body, strlen(body));
}

static void
txn_looked_up(struct req *r, const PGresult *res)
{
	http_handler then = r->txn->then;

	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		txn_reply_db_error(r, res);
		return;
	}
	if (PQntuples(res) == 1) {
		txn_replay(r, res);
		return;
	}
	if (then != NULL) {
		r->txn->then = NULL;
		then(r);
	}
}

void
txn_idempotent(struct req *r, http_handler then)
{
	struct txn *t;

	if (r->idem_key == NULL) {
		then(r);
		return;
	}
	t = txn_of(r);
	txn_hash_request(r, t->request_hash);
	t->then = then;
	req_query(r, &stmt_txn_lookup,
		  (const char *const[]){r->user.id_text, r->idem_key,
					t->request_hash},
		  txn_looked_up);
}

/* The winner of the race for the key stored nothing: it failed. */
static void
txn_retry_later(struct req *r)
{
	http_reply_error(r, 409, "idempotency_key_in_use",
			 "another request with this Idempotency-Key did not "
			 "complete; send it again");
}

/* After a lost race for the key: roll back, then replay the winner. */
static void
txn_replay_winner(struct req *r)
{
	struct txn *t = txn_of(r);

	t->then = txn_retry_later;
	req_query(r, &stmt_txn_rollback, NULL, NULL);
	req_query(r, &stmt_txn_lookup,
		  (const char *const[]){r->user.id_text, r->idem_key,
					t->request_hash},
		  txn_looked_up);
}

static void
txn_claimed(struct req *r, const PGresult *res)
{
	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK)
		return; /* the write's own callback reports the failure */
	r->txn->duplicate = PQntuples(res) == 0;
}

static void
txn_committed(struct req *r, const PGresult *res)
{
	struct txn *t = r->txn;

	if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK ||
	    strcmp(PQcmdStatus((PGresult *)res), "COMMIT") != 0) {
		/* The outcome is unknown or failed: never a 2xx. */
		txn_reply_db_error(r, res);
		return;
	}
	http_reply_text(r, t->status, "application/json; charset=utf-8",
			t->answer, strlen(t->answer));
}

static void
txn_written(struct req *r, const PGresult *res)
{
	struct txn *t = txn_of(r);
	json_t *body;

	if (t->duplicate) {
		txn_replay_winner(r);
		return;
	}
	if (res == NULL) {
		http_reply_db_unavailable(r);
		return;
	}
	body = t->build(r, res, &t->status);
	if (body == NULL)
		return; /* answered; releasing the connection rolls back */
	t->answer = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(body);
	if (t->answer == NULL)
		abort();
	if (r->idem_key == NULL && !t->open) {
		/* One statement, its own transaction: it has committed. */
		http_reply_text(r, t->status, "application/json; charset=utf-8",
				t->answer, strlen(t->answer));
		return;
	}
	if (r->idem_key != NULL) {
		snprintf(t->status_text, sizeof t->status_text, "%d",
			 t->status);
		req_query(r, &stmt_txn_store,
			  (const char *const[]){r->user.id_text, r->idem_key,
						t->status_text, t->answer},
			  NULL);
	}
	req_query(r, &stmt_txn_commit, NULL, txn_committed);
}

void
txn_begin(struct req *r)
{
	txn_of(r)->open = true;
	req_query(r, &stmt_txn_begin, NULL, NULL);
}

void
txn_write(struct req *r, struct db_stmt *stmt, const char *const *params,
	  txn_build_cb build)
{
	struct txn *t = txn_of(r);

	t->build = build;
	t->duplicate = false;
	if (r->idem_key == NULL) {
		req_query(r, stmt, params, txn_written);
		return;
	}
	if (t->request_hash[0] == '\0')
		txn_hash_request(r, t->request_hash);
	if (!t->open)
		req_query(r, &stmt_txn_begin, NULL, NULL);
	t->open = true;
	req_query(r, &stmt_txn_claim,
		  (const char *const[]){r->user.id_text, r->idem_key,
					t->request_hash},
		  txn_claimed);
	req_query(r, stmt, params, txn_written);
}
