/*
 * Request handlers, one file per resource (h_*.c).  Each is thin: read the
 * input (body.h), call workflow/ or the database, answer (http.h).  The
 * route table (routes.c) says which roles reach each one; a handler checks
 * membership and state itself.
 */
#ifndef PINGSHEN_HANDLERS_H
#define PINGSHEN_HANDLERS_H

#include <libpq-fe.h>

#include "http.h"

/* h_ops.c */
void h_healthz(struct req *r);
void h_metrics(struct req *r);

/* h_sessions.c */
void h_sessions_create(struct req *r);
void h_sessions_delete(struct req *r);
void h_me(struct req *r);

/* h_users.c */
void h_users_create(struct req *r);
void h_users_list(struct req *r);
void h_users_update(struct req *r);

/* The columns h_user_json reads, in order. */
#define USER_COLUMNS                                                           \
	"u.id, u.username, u.display_name, u.role, u.organization, u.active,"  \
	" u.version"
/* A user row (USER_COLUMNS from column `col` on) as a new JSON object. */
json_t *h_user_json(const PGresult *res, int row, int col);

/* h_audit.c */
void h_audit_list(struct req *r);
void h_audit_head(struct req *r);

#endif
