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

    R(GET, "/keys", h_keys, ROUTE_PUBLIC),

    R(GET, "/templates", h_templates_list, ROLE_ANY),
    R(GET, "/templates/{key}", h_templates_get, ROLE_ANY),
    R(POST, "/templates", h_templates_create, ROLE_SECRETARY),

    R(POST, "/evaluations", h_evaluations_create, ROLE_SECRETARY),
    R(GET, "/evaluations", h_evaluations_list,
      ROLE_SECRETARY | ROLE_EXPERT | ROLE_AUDITOR),
    R(GET, "/evaluations/{id}", h_evaluations_get,
      ROLE_SECRETARY | ROLE_EXPERT | ROLE_AUDITOR),
    R(GET, "/evaluations/{id}/table", h_evaluations_table,
      ROLE_SECRETARY | ROLE_EXPERT | ROLE_AUDITOR),
    R(POST, "/evaluations/{id}/meetings", h_meetings_create, ROLE_SECRETARY),
    R(POST, "/evaluations/{id}/standards", h_procedure_standards,
      ROLE_SECRETARY),
    R(POST, "/evaluations/{id}/pool", h_procedure_pool, ROLE_SECRETARY),
    R(PUT, "/evaluations/{id}/pool/{code}/comparison", h_procedure_compare,
      ROLE_SECRETARY),
    R(POST, "/evaluations/{id}/consultations", h_procedure_consultations,
      ROLE_SECRETARY),
    R(POST, "/evaluations/{id}/advance", h_procedure_advance, ROLE_SECRETARY),
    R(GET, "/evaluations/{id}/procedure", h_procedure_records,
      ROLE_SECRETARY | ROLE_EXPERT | ROLE_AUDITOR),
    R(GET, "/evaluations/{id}/history", h_evaluations_history,
      ROLE_SECRETARY | ROLE_AUDITOR),
    R(GET, "/evaluations/{id}/verdict/preview", h_verdict_preview,
      ROLE_SECRETARY),
    R(POST, "/evaluations/{id}/verdict", h_verdict_finalize, ROLE_SECRETARY),
    R(GET, "/evaluations/{id}/verdict", h_verdict_get,
      ROLE_SECRETARY | ROLE_EXPERT | ROLE_AUDITOR),

    R(GET, "/meetings/{id}", h_meetings_get,
      ROLE_SECRETARY | ROLE_EXPERT | ROLE_AUDITOR),
    R(POST, "/meetings/{id}/seat", h_meetings_seat, ROLE_EXPERT),
    R(POST, "/meetings/{id}/finalize", h_meetings_finalize, ROLE_SECRETARY),
    R(PUT, "/meetings/{id}/advanced-levels/{code}", h_levels_confirm,
      ROLE_SECRETARY),
    R(GET, "/meetings/{id}/events", h_meetings_events,
      ROLE_SECRETARY | ROLE_EXPERT),
    R(POST, "/meetings/{id}/rounds", h_rounds_open, ROLE_SECRETARY),
    R(POST, "/meetings/{id}/rounds/{id}/close", h_rounds_close, ROLE_SECRETARY),
    R(GET, "/meetings/{id}/rounds/{id}/results", h_rounds_results,
      ROLE_SECRETARY | ROLE_EXPERT | ROLE_AUDITOR),
    R(PUT, "/meetings/{id}/rounds/{id}/ballot", h_ballots_put, ROLE_EXPERT),
    R(GET, "/meetings/{id}/rounds/{id}/ballot", h_ballots_get, ROLE_EXPERT),

    R(GET, "/audit", h_audit_list, ROLE_AUDITOR),
    R(GET, "/audit/head", h_audit_head, ROLE_AUDITOR),
};

const size_t http_routes_n = sizeof http_routes / sizeof *http_routes;
