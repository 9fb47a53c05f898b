/* Start-up checks and migrations, with blocking libpq before the loop. */
#include "migrate.h"

#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

#include "migrate_files.h"
#include "xalloc.h"

/* Any number will do; it only has to be the same for every server. */
#define DB_MIGRATE_LOCK "7233411"

int
db_migrations_count(void)
{
	return db_migration_files_n;
}

const char *
db_migration_name(int i)
{
	return i >= 0 && i < db_migration_files_n ? db_migration_files[i].name
						  : NULL;
}

/* Runs sql; on failure sets *err and returns -1. */
static int
db_migrate_exec(PGconn *pg, const char *sql, const char *what, char **err)
{
	PGresult *res = PQexec(pg, sql);
	ExecStatusType st = PQresultStatus(res);
	int rc = 0;

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		*err = xasprintf("%s: %s", what, PQresultErrorMessage(res));
		rc = -1;
	}
	PQclear(res);
	return rc;
}

/* Refuses settings under which a committed write can be lost. */
static int
db_migrate_check_durability(PGconn *pg, char **err)
{
	static const char *const settings[] = {"fsync", "full_page_writes",
					       "synchronous_commit"};

	for (size_t i = 0; i < sizeof settings / sizeof *settings; i++) {
		const char *params[] = {settings[i]};
		PGresult *res = PQexecParams(pg, "SELECT current_setting($1)",
					     1, NULL, params, NULL, NULL, 0);
		int bad;

		if (PQresultStatus(res) != PGRES_TUPLES_OK) {
			*err = xasprintf("reading %s: %s", settings[i],
					 PQresultErrorMessage(res));
			PQclear(res);
			return -1;
		}
		bad = strcmp(PQgetvalue(res, 0, 0), "off") == 0;
		PQclear(res);
		if (bad) {
			*err = xasprintf("the database runs with %s = off; "
					 "acknowledged writes could be lost, "
					 "so pingshend refuses to use it",
					 settings[i]);
			return -1;
		}
	}
	return 0;
}

/* True when migration name is recorded; -1 on error. */
static int
db_migrate_applied(PGconn *pg, const char *name, char **err)
{
	const char *params[] = {name};
	PGresult *res =
	    PQexecParams(pg, "SELECT 1 FROM schema_migrations WHERE name = $1",
			 1, NULL, params, NULL, NULL, 0);
	int rc;

	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		*err = xasprintf("reading schema_migrations: %s",
				 PQresultErrorMessage(res));
		rc = -1;
	} else {
		rc = PQntuples(res) > 0;
	}
	PQclear(res);
	return rc;
}

static int
db_migrate_apply_one(PGconn *pg, const struct db_migration_file *m, FILE *log,
		     char **err)
{
	const char *params[] = {m->name};
	PGresult *res;
	int applied = db_migrate_applied(pg, m->name, err);

	if (applied != 0)
		return applied < 0 ? -1 : 0;
	if (db_migrate_exec(pg, "BEGIN", m->name, err) < 0)
		return -1;
	if (db_migrate_exec(pg, m->sql, m->name, err) < 0) {
		PQclear(PQexec(pg, "ROLLBACK"));
		return -1;
	}
	res =
	    PQexecParams(pg, "INSERT INTO schema_migrations (name) VALUES ($1)",
			 1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		*err = xasprintf("%s: recording it: %s", m->name,
				 PQresultErrorMessage(res));
		PQclear(res);
		PQclear(PQexec(pg, "ROLLBACK"));
		return -1;
	}
	PQclear(res);
	if (db_migrate_exec(pg, "COMMIT", m->name, err) < 0)
		return -1;
	if (log != NULL)
		fprintf(log, "migrate: applied %s\n", m->name);
	return 0;
}

int
db_migrate(const char *conninfo, int apply, FILE *log, char **err)
{
	const char *keys[] = {"dbname", "application_name", NULL};
	const char *values[] = {conninfo, "pingshend-migrate", NULL};
	PGconn *pg = PQconnectdbParams(keys, values, 1);
	int rc = -1;

	if (PQstatus(pg) != CONNECTION_OK) {
		*err = xasprintf("cannot connect to the database: %s",
				 PQerrorMessage(pg));
		PQfinish(pg);
		return -1;
	}
	PQclear(PQexec(pg, "SET client_min_messages = warning"));
	if (db_migrate_check_durability(pg, err) < 0)
		goto out;
	if (!apply) {
		rc = 0;
		goto out;
	}
	if (db_migrate_exec(pg, "SELECT pg_advisory_lock(" DB_MIGRATE_LOCK ")",
			    "locking", err) < 0 ||
	    db_migrate_exec(pg,
			    "CREATE TABLE IF NOT EXISTS schema_migrations ("
			    " name text PRIMARY KEY,"
			    " applied_at timestamptz NOT NULL DEFAULT now())",
			    "creating schema_migrations", err) < 0)
		goto out;
	rc = 0;
	for (int i = 0; i < db_migration_files_n && rc == 0; i++)
		rc = db_migrate_apply_one(pg, &db_migration_files[i], log, err);
out:
	PQfinish(pg);
	return rc;
}
