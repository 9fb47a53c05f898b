/*
 * The canned world the fake database of fuzz_server.c answers from (see
 * fuzz_world.c).  fuzz_known_token and fuzz_world_items, which harnesses
 * use, are declared in fuzz_server.h.
 */
#ifndef PINGSHEN_FUZZ_WORLD_H
#define PINGSHEN_FUZZ_WORLD_H

#include <libpq-fe.h>

#include "fuzz_server.h"
#include "pool.h"

/* Builds the world; once, before the first answer. */
void fuzz_world_init(void);

/*
 * The database's answer to stmt with params in the world rq describes: a
 * new result the caller clears, or NULL, as from a broken connection, for
 * every statement the world does not hold (every write among them).
 */
PGresult *fuzz_world_answer(const struct fuzz_request *rq,
			    const struct db_stmt *stmt,
			    const char *const *params);

#endif
