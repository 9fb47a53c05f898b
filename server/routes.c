/*
 * The route table: every endpoint, who may call it, and its handler.  The
 * first match in this order wins; the router refuses malformed paths
 * before any of this is consulted.
 */
#include "handlers.h"

#define R(method, pattern, handler, flags)                                     \
	{                                                                      \
		ROUTER_##method, "/api/v1" pattern, (void *)(handler), (flags) \
	}

const struct route http_routes[] = {
    R(GET, "/healthz", h_healthz, ROUTE_PUBLIC | ROUTE_DB),
    R(GET, "/metrics", h_metrics, ROUTE_PUBLIC | ROUTE_LOOPBACK),

    R(POST, "/sessions", h_sessions_create, ROUTE_PUBLIC | ROUTE_DB),
    R(DELETE, "/sessions/current", h_sessions_delete, ROLE_ANY),
    R(GET, "/me", h_me, ROLE_ANY),

    R(POST, "/users", h_users_create, ROLE_ADMIN),
    R(GET, "/users", h_users_list, ROLE_ADMIN | ROLE_SECRETARY),
    R(PATCH, "/users/{id}", h_users_update, ROLE_ADMIN),

    R(GET, "/audit", h_audit_list, ROLE_AUDITOR),
    R(GET, "/audit/head", h_audit_head, ROLE_AUDITOR),
};

const size_t http_routes_n = sizeof http_routes / sizeof *http_routes;
