/* Accounts: POST /users, GET /users, PATCH /users/{id}. */
#include <event2/http.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "body.h"
#include "config.h"
#include "handlers.h"
#include "hash_pool.h"
#include "txn.h"
#include "xalloc.h"

#define USERS_PAGE_DEFAULT 100
#define USERS_PAGE_MAX	   500
#define USERS_PASSWORD_MIN 10

json_t *
h_user_json(const PGresult *res, int row, int col)
{
	return json_pack(
	    "{s:I, s:s, s:s, s:s, s:s, s:b, s:I}", "id",
	    (json_int_t)strtoll(PQgetvalue(res, row, col), NULL, 10),
	    "username", PQgetvalue(res, row, col + 1), "display_name",
	    PQgetvalue(res, row, col + 2), "role",
	    PQgetvalue(res, row, col + 3), "organization",
	    PQgetvalue(res, row, col + 4), "active",
	    strcmp(PQgetvalue(res, row, col + 5), "t") == 0, "version",
	    (json_int_t)strtoll(PQgetvalue(res, row, col + 6), NULL, 10));
}

/* A create or update in progress. */
struct user_change {
	const char *password; /* points into r->body; NULL: unchanged */
	char *encoded;	      /* its scrypt hash once computed */
	http_handler then;    /* what runs after hashing */
	char id[24];
	char version[16]; /* If-Match, or "" */
	char active[8];	  /* "true", "false", or "" when unchanged */
};

static void
user_change_free(void *p)
{
	struct user_change *u = p;

	free(u->encoded);
	free(u);
}

static struct user_change *
user_change_new(struct req *r)
{
	struct user_change *u = xcalloc(1, sizeof *u);

	r->state = u;
	r->state_free = user_change_free;
	return u;
}

static bool
users_username_ok(const char *s)
{
	for (; *s != '\0'; s++) {
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' ||
		      *s == '-'))
			return false;
	}
	return true;
}

static void
users_hashed(const char *encoded, void *arg)
{
	struct req *r = arg;
	struct user_change *u;

	if (!req_unref(r))
		return;
	u = r->state;
	if (encoded == NULL) {
		http_reply_error(r, 500, "internal_error",
				 "the password could not be hashed");
		return;
	}
	u->encoded = xstrdup(encoded);
	req_acquire(r, u->then);
}

/* Hashes the new password with no connection held, then runs u->then on
 * a fresh lease; without a password, runs it at once. */
static void
users_hash_then(struct req *r)
{
	struct user_change *u = r->state;

	if (u->password == NULL) {
		u->then(r);
		return;
	}
	req_release_conn(r);
	req_ref(r);
	if (hash_pool_hash(r->srv->hashes, u->password, strlen(u->password),
			   users_hashed, r) < 0) {
		req_unref(r);
		evhttp_add_header(evhttp_request_get_output_headers(r->ev),
				  "Retry-After", "1");
		http_reply_error(r, 429, "too_many_requests",
				 "the server is busy hashing passwords; try "
				 "again in a second");
	}
}

/* ---- POST /users ---- */

DB_STMT(stmt_user_create, 10,
	"WITH u AS (INSERT INTO users (username, display_name, role,"
	"  organization, password_hash) VALUES ($6, $7, $8, $9, $10)"
	"  RETURNING *),"
	" a AS (INSERT INTO audit_log (actor_id, actor_username, actor_role,"
	"  action, object_type, object_id, details, request_id, client_addr)"
	"  SELECT $1, $2, $3, 'user.create', 'user', u.id,"
	"  jsonb_build_object('username', u.username, 'role', u.role,"
	"  'organization', u.organization), $4, $5 FROM u)"
	" SELECT " USER_COLUMNS " FROM u");

static json_t *
users_created(struct req *r, const PGresult *res, int *status)
{
	if (strcmp(db_sqlstate(res), "23505") == 0) {
		http_reply_error(r, 409, "username_taken",
				 "an account with this username exists");
		return NULL;
	}
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		txn_reply_db_error(r, res);
		return NULL;
	}
	*status = 201;
	return h_user_json(res, 0, 0);
}

static void
users_create_store(struct req *r)
{
	struct user_change *u = r->state;
	const char *params[TXN_AUDIT_PARAMS + 5];
	json_t *b = r->body;

	txn_audit_params(r, params);
	params[5] = json_string_value(json_object_get(b, "username"));
	params[6] = json_string_value(json_object_get(b, "display_name"));
	params[7] = json_string_value(json_object_get(b, "role"));
	params[8] = json_string_value(json_object_get(b, "organization"));
	params[9] = u->encoded;
	if (params[6] == NULL)
		params[6] = "";
	if (params[8] == NULL)
		params[8] = "";
	txn_write(r, &stmt_user_create, params, users_created);
}

void
h_users_create(struct req *r)
{
	static const char *const fields[] = {"username", "display_name",
					     "role",	 "organization",
					     "password", NULL};
	const char *username, *display, *role, *org, *password;
	struct user_change *u;

	if (!body_only(r, fields) ||
	    !body_string(r, "username", true, 1, 64, &username) ||
	    !body_string(r, "display_name", false, 0, 200, &display) ||
	    !body_string(r, "role", true, 1, 16, &role) ||
	    !body_string(r, "organization", false, 0, 200, &org) ||
	    !body_string(r, "password", true, USERS_PASSWORD_MIN, 1024,
			 &password))
		return;
	if (!users_username_ok(username)) {
		body_invalid(r, "username",
			     "a username is letters, digits, '.', '_' and "
			     "'-' only");
		return;
	}
	if (user_role_parse(role) == 0) {
		body_invalid(r, "role",
			     "the role must be admin, secretary, expert or "
			     "auditor");
		return;
	}
	u = user_change_new(r);
	u->password = password;
	u->then = users_create_store;
	txn_idempotent(r, users_hash_then);
}

/* ---- GET /users ---- */

DB_STMT(stmt_users_list, 3,
	"SELECT " USER_COLUMNS " FROM users u"
	" WHERE ($1::text IS NULL OR u.role = $1) AND u.id > $2"
	" ORDER BY u.id LIMIT $3");

static json_t *
users_row_json(const PGresult *res, int i)
{
	return h_user_json(res, i, 0);
}

static void
users_listed(struct req *r, const PGresult *res)
{
	page_reply(r, res, *(int64_t *)r->state, users_row_json);
}

void
h_users_list(struct req *r)
{
	const char *role = router_query_get(r->query, "role");
	int64_t limit = USERS_PAGE_DEFAULT, after = 0;
	char after_text[24], limit_text[24];

	if (!query_only(r,
			(const char *const[]){"role", "limit", "after", NULL}))
		return;
	if (role != NULL && user_role_parse(role) == 0) {
		http_reply_error(r, 400, "bad_query",
				 "role must be admin, secretary, expert or "
				 "auditor");
		return;
	}
	if (!query_int(r, "limit", 1, USERS_PAGE_MAX, &limit) ||
	    !query_int(r, "after", 1, INT64_MAX, &after))
		return;
	snprintf(after_text, sizeof after_text, "%lld", (long long)after);
	snprintf(limit_text, sizeof limit_text, "%lld", (long long)limit + 1);
	r->state = xmalloc(sizeof limit);
	r->state_free = free;
	*(int64_t *)r->state = limit;
	req_query(r, &stmt_users_list,
		  (const char *const[]){role, after_text, limit_text},
		  users_listed);
}

/* ---- PATCH /users/{id} ---- */

/*
 * One row always: whether the user exists, and the updated row when the
 * version matched.  Deactivating an account or changing its password ends
 * its sessions in the same transaction.
 */
DB_STMT(stmt_user_update, 11,
	"WITH cur AS (SELECT id FROM users WHERE id = $6),"
	" u AS (UPDATE users SET"
	"  display_name = COALESCE($7, display_name),"
	"  organization = COALESCE($8, organization),"
	"  active = COALESCE($9::boolean, active),"
	"  password_hash = COALESCE($10, password_hash),"
	"  version = version + 1"
	"  WHERE id = $6 AND ($11::int IS NULL OR version = $11::int)"
	"  RETURNING *),"
	" d AS (DELETE FROM sessions WHERE user_id IN"
	"  (SELECT id FROM u WHERE NOT active OR $10::text IS NOT NULL)),"
	" a AS (INSERT INTO audit_log (actor_id, actor_username, actor_role,"
	"  action, object_type, object_id, details, request_id, client_addr)"
	"  SELECT $1, $2, $3, 'user.update', 'user', u.id,"
	"  jsonb_strip_nulls(jsonb_build_object('display_name', $7::text,"
	"  'organization', $8::text, 'active', $9::boolean,"
	"  'password_changed', CASE WHEN $10::text IS NULL THEN NULL"
	"  ELSE true END)), $4, $5 FROM u)"
	" SELECT (SELECT count(*) FROM cur), " USER_COLUMNS
	" FROM (SELECT 1) one LEFT JOIN u ON true");

static json_t *
users_updated(struct req *r, const PGresult *res, int *status)
{
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		txn_reply_db_error(r, res);
		return NULL;
	}
	if (strcmp(PQgetvalue(res, 0, 0), "0") == 0) {
		http_reply_error(r, 404, "not_found", "there is no such user");
		return NULL;
	}
	if (PQgetisnull(res, 0, 1)) {
		http_reply_error(r, 412, "version_mismatch",
				 "the user changed since you read it; read it "
				 "again");
		return NULL;
	}
	*status = 200;
	return h_user_json(res, 0, 1);
}

static void
users_update_store(struct req *r)
{
	struct user_change *u = r->state;
	const char *params[TXN_AUDIT_PARAMS + 6];

	txn_audit_params(r, params);
	params[5] = u->id;
	params[6] = json_string_value(json_object_get(r->body, "display_name"));
	params[7] = json_string_value(json_object_get(r->body, "organization"));
	params[8] = u->active[0] ? u->active : NULL;
	params[9] = u->encoded;
	params[10] = u->version[0] ? u->version : NULL;
	txn_write(r, &stmt_user_update, params, users_updated);
}

/* If-Match: a version number, optionally quoted like an ETag. */
static bool
users_if_match(struct req *r, char out[16])
{
	const char *h = evhttp_find_header(
	    evhttp_request_get_input_headers(r->ev), "If-Match");
	size_t len;

	out[0] = '\0';
	if (h == NULL)
		return true;
	if (h[0] == '"')
		h++;
	len = strspn(h, "0123456789");
	if (len == 0 || len > 9 || (h[len] != '\0' && strcmp(h + len, "\"")))
		return false;
	memcpy(out, h, len);
	out[len] = '\0';
	return true;
}

void
h_users_update(struct req *r)
{
	static const char *const fields[] = {"display_name", "organization",
					     "active", "password", NULL};
	const char *display, *org, *password;
	bool has_active, active;
	struct user_change *u;

	if (!body_only(r, fields) ||
	    !body_string(r, "display_name", false, 0, 200, &display) ||
	    !body_string(r, "organization", false, 0, 200, &org) ||
	    !body_bool(r, "active", &has_active, &active) ||
	    !body_string(r, "password", false, USERS_PASSWORD_MIN, 1024,
			 &password))
		return;
	if (json_object_size(r->body) == 0) {
		http_reply_error(r, 400, "bad_request",
				 "name at least one of display_name, "
				 "organization, active, password");
		return;
	}
	if (has_active && !active && r->match.params[0].id == r->user.id) {
		http_reply_error(r, 409, "self_deactivation",
				 "an administrator cannot deactivate their "
				 "own account");
		return;
	}
	u = user_change_new(r);
	if (!users_if_match(r, u->version)) {
		http_reply_error(r, 400, "bad_if_match",
				 "If-Match must be the version number you "
				 "read");
		return;
	}
	snprintf(u->id, sizeof u->id, "%lld", (long long)r->match.params[0].id);
	if (has_active)
		snprintf(u->active, sizeof u->active, "%s",
			 active ? "true" : "false");
	u->password = password;
	u->then = users_update_store;
	txn_idempotent(r, users_hash_then);
}
