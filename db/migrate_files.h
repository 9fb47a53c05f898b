/* The migrations compiled into the binary (generated: migrations_data.c). */
#ifndef PINGSHEN_DB_MIGRATE_FILES_H
#define PINGSHEN_DB_MIGRATE_FILES_H

struct db_migration_file {
	const char *name; /* "001_init" */
	const char *sql;  /* NUL-terminated */
};

extern const struct db_migration_file db_migration_files[];
extern const int db_migration_files_n;

#endif
