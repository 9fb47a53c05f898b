/*
 * Sessions: logging in (POST /sessions), out (DELETE /sessions/current),
 * and GET /me.  A login hashes on the worker pool with no connection held,
 * and an unknown user costs the same scrypt time as a wrong password, so
 * neither the answer nor its timing tells whether an account exists.
 */
#include <event2/http.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "body.h"
#include "config.h"
#include "handlers.h"
#include "hash_pool.h"
#include "throttle.h"
#include "token.h"
#include "txn.h"
#include "xalloc.h"

/* A login in progress. */
struct login {
	char username[65];
	char *password;
	size_t password_len;
	char *encoded; /* the stored hash, or NULL: unknown or inactive */
	char token[TOKEN_LEN + 1];
	char token_hash[TOKEN_HASH_HEX + 1];
	char ttl[16];
};

static void
login_free(void *p)
{
	struct login *l = p;

	if (l->password != NULL) {
		OPENSSL_cleanse(l->password, l->password_len);
		free(l->password);
	}
	free(l->encoded);
	OPENSSL_cleanse(l->token, sizeof l->token);
	free(l);
}

DB_STMT(stmt_login_lookup, 1,
	"SELECT id, role, password_hash, active FROM users"
	" WHERE username = $1");

DB_STMT(stmt_session_create, 7,
	"WITH s AS (INSERT INTO sessions (token_hash, user_id, expires_at)"
	"  VALUES ($6, $1, now() + make_interval(secs => $7::int))"
	"  RETURNING expires_at),"
	" a AS (INSERT INTO audit_log (actor_id, actor_username, actor_role,"
	"  action, object_type, object_id, request_id, client_addr)"
	"  VALUES ($1, $2, $3, 'session.create', 'user', $1, $4, $5))"
	" SELECT to_char(s.expires_at AT TIME ZONE 'UTC',"
	"  'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), " USER_COLUMNS
	" FROM s, users u WHERE u.id = $1");

DB_STMT(stmt_session_delete, 6,
	"WITH d AS (DELETE FROM sessions WHERE token_hash = $6"
	"  RETURNING user_id),"
	" a AS (INSERT INTO audit_log (actor_id, actor_username, actor_role,"
	"  action, object_type, object_id, request_id, client_addr)"
	"  SELECT $1, $2, $3, 'session.delete', 'user', user_id, $4, $5"
	"  FROM d)"
	" SELECT count(*) FROM d");

static void
login_refuse(struct req *r)
{
	struct login *l = r->state;

	throttle_fail(r->srv->throttle, l->username, r->client, time(NULL));
	http_reply_error(r, 401, "bad_credentials",
			 "the username or the password is wrong");
}

static json_t *
login_created(struct req *r, const PGresult *res, int *status)
{
	struct login *l = r->state;

	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		txn_reply_db_error(r, res);
		return NULL;
	}
	*status = 201;
	return json_pack("{s:s, s:s, s:o}", "token", l->token, "expires_at",
			 PQgetvalue(res, 0, 0), "user", h_user_json(res, 0, 1));
}

static void
login_store(struct req *r)
{
	struct login *l = r->state;
	const char *params[TXN_AUDIT_PARAMS + 2];

	txn_audit_params(r, params);
	params[5] = l->token_hash;
	params[6] = l->ttl;
	txn_write(r, &stmt_session_create, params, login_created);
}

static void
login_verified(bool match, void *arg)
{
	struct req *r = arg;
	struct login *l;

	if (!req_unref(r))
		return;
	l = r->state;
	if (!match) {
		login_refuse(r);
		return;
	}
	throttle_succeed(r->srv->throttle, l->username);
	if (token_new(l->token) < 0) {
		http_reply_error(r, 500, "internal_error",
				 "no random token could be made");
		return;
	}
	token_hash_hex(l->token, TOKEN_LEN, l->token_hash);
	snprintf(l->ttl, sizeof l->ttl, "%d", r->srv->cfg->session_ttl_s);
	req_acquire(r, login_store);
}

static void
login_looked_up(struct req *r, const PGresult *res)
{
	struct login *l = r->state;

	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		txn_reply_db_error(r, res);
		return;
	}
	if (PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 3), "t") == 0) {
		l->encoded = xstrdup(PQgetvalue(res, 0, 2));
		r->user.id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		snprintf(r->user.id_text, sizeof r->user.id_text, "%s",
			 PQgetvalue(res, 0, 0));
		r->user.role = user_role_parse(PQgetvalue(res, 0, 1));
		snprintf(r->user.username, sizeof r->user.username, "%s",
			 l->username);
	}
	/* No connection is held while scrypt runs for ~0.4 s. */
	req_release_conn(r);
	req_ref(r);
	if (hash_pool_verify(r->srv->hashes, l->password, l->password_len,
			     l->encoded, login_verified, r) < 0) {
		req_unref(r);
		evhttp_add_header(evhttp_request_get_output_headers(r->ev),
				  "Retry-After", "1");
		http_reply_error(r, 429, "too_many_requests",
				 "too many logins at once; try again in a "
				 "second");
	}
}

void
h_sessions_create(struct req *r)
{
	static const char *const fields[] = {"username", "password", NULL};
	const char *username, *password;
	struct login *l;
	int retry;
	char retry_text[16];

	/* A login's answer holds a token: it is never stored for replay. */
	r->idem_key = NULL;
	if (!body_only(r, fields) ||
	    !body_string(r, "username", true, 1, 64, &username) ||
	    !body_string(r, "password", true, 1, 1024, &password))
		return;
	if (!throttle_allow(r->srv->throttle, username, r->client, time(NULL),
			    &retry)) {
		snprintf(retry_text, sizeof retry_text, "%d", retry);
		evhttp_add_header(evhttp_request_get_output_headers(r->ev),
				  "Retry-After", retry_text);
		http_reply_error(r, 429, "too_many_requests",
				 "too many failed logins; try again in %d "
				 "seconds",
				 retry);
		return;
	}
	l = xcalloc(1, sizeof *l);
	snprintf(l->username, sizeof l->username, "%s", username);
	l->password_len =
	    json_string_length(json_object_get(r->body, "password"));
	l->password = xmalloc(l->password_len + 1);
	memcpy(l->password, password, l->password_len + 1);
	r->state = l;
	r->state_free = login_free;
	req_query(r, &stmt_login_lookup, (const char *const[]){l->username},
		  login_looked_up);
}

static json_t *
logout_done(struct req *r, const PGresult *res, int *status)
{
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		txn_reply_db_error(r, res);
		return NULL;
	}
	*status = 204;
	return json_null();
}

void
h_sessions_delete(struct req *r)
{
	const char *params[TXN_AUDIT_PARAMS + 1];

	r->idem_key = NULL;
	txn_audit_params(r, params);
	params[5] = r->token_hash;
	txn_write(r, &stmt_session_delete, params, logout_done);
}

void
h_me(struct req *r)
{
	/* Authentication read the account a moment ago, in this request. */
	http_reply_json(r, 200, json_incref(r->user.json));
}
