/*
 * The first account: `pingshend --create-admin NAME` runs before the
 * server (blocking libpq is fine there), so an installation can be bootstrapped
 * without any account to log in with.
 */
#ifndef PINGSHEN_DB_ADMIN_H
#define PINGSHEN_DB_ADMIN_H

/*
 * Creates an active admin with the given scrypt encoding, and its audit
 * entry, in one transaction.  Returns 0, or -1 with a message in *err
 * (caller frees); an existing username is an error.
 */
int db_admin_create(const char *conninfo, const char *username,
		    const char *password_hash, char **err);

#endif
