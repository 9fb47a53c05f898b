/*
 * Schema migrations and the start-up checks, run before the event loop
 * starts (so blocking libpq is fine here, and only here).
 *
 * Migrations are db/migrations/NNN_name.sql, compiled into the binary in
 * order; each is applied in its own transaction and recorded in
 * schema_migrations.  An advisory lock keeps two servers starting at once
 * from applying the same migration twice.
 */
#ifndef PINGSHEN_DB_MIGRATE_H
#define PINGSHEN_DB_MIGRATE_H

#include <stdio.h>

/*
 * Connects to conninfo, refuses a database that runs with fsync,
 * full_page_writes or synchronous_commit off (an acknowledged write could
 * be lost), and, when apply is nonzero, applies every pending migration,
 * reporting each on log.  Returns 0, or -1 with a message in *err (caller
 * frees).
 */
int db_migrate(const char *conninfo, int apply, FILE *log, char **err);

/* The number of built-in migrations and the name of the i-th. */
int db_migrations_count(void);
const char *db_migration_name(int i);

#endif
