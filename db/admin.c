/* Creating the first administrator, before the event loop runs. */
#include "admin.h"

#include <libpq-fe.h>
#include <string.h>

#include "xalloc.h"

int
db_admin_create(const char *conninfo, const char *username,
		const char *password_hash, char **err)
{
	const char *keys[] = {"dbname", "application_name", NULL};
	const char *values[] = {conninfo, "pingshend-create-admin", NULL};
	const char *params[] = {username, password_hash};
	PGconn *pg = PQconnectdbParams(keys, values, 1);
	PGresult *res;
	int rc = 0;

	if (PQstatus(pg) != CONNECTION_OK) {
		*err = xasprintf("cannot connect to the database: %s",
				 PQerrorMessage(pg));
		PQfinish(pg);
		return -1;
	}
	res = PQexecParams(
	    pg,
	    "WITH u AS (INSERT INTO users (username, display_name, role,"
	    "  password_hash) VALUES ($1, $1, 'admin', $2) RETURNING id)"
	    " INSERT INTO audit_log (action, object_type, object_id, details)"
	    " SELECT 'user.create', 'user', u.id,"
	    " jsonb_build_object('username', $1::text, 'role', 'admin',"
	    " 'via', 'pingshend --create-admin') FROM u",
	    2, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

		*err = state && strcmp(state, "23505") == 0
			   ? xasprintf("an account named %s exists", username)
			   : xasprintf("creating %s: %s", username,
				       PQresultErrorMessage(res));
		rc = -1;
	}
	PQclear(res);
	PQfinish(pg);
	return rc;
}
