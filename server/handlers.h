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
#include "stage.h"

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

/* h_templates.c */
void h_templates_list(struct req *r);
void h_templates_get(struct req *r);
void h_templates_create(struct req *r);

/* h_evaluations.c */
void h_evaluations_create(struct req *r);
void h_evaluations_list(struct req *r);
void h_evaluations_get(struct req *r);
void h_evaluations_table(struct req *r);

/* The columns eval_json and eval_row_read use, in order; caller is the
 * parameter holding the caller's id, for the seat column. */
#define EVAL_COLUMNS(caller)                                                   \
	"e.id, e.title, e.standard_code, e.standard_title,"                    \
	" e.drafting_organizations::text, e.stage, e.threshold, e.version,"    \
	" to_char(e.created_at AT TIME ZONE 'UTC',"                            \
	" 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), e.template_id, e.created_by,"     \
	" v.document->>'total', v.document->>'advanced',"                      \
	" v.document->>'conclusion',"                                          \
	" EXISTS (SELECT 1 FROM seats s JOIN meetings m ON m.id = "            \
	"s.meeting_id"                                                         \
	"  WHERE m.evaluation_id = e.id AND s.expert_id = " caller             \
	"  AND s.state <> 'recused'),"                                         \
	" e.nodes::text, e.item_values::text"

/* An evaluation read for a handler, with the caller's access checked. */
struct eval_row {
	int64_t id;
	char id_text[24];
	enum stage stage;
	int64_t threshold; /* hundredths */
	int64_t version;
	bool secretary; /* the caller runs it */
	bool seated;	/* the caller holds a seat in one of its meetings */
	json_t *json;	/* as GET /evaluations/{id} shows it */
	json_t *nodes;	/* the indicator table */
	json_t *item_values; /* code -> {"num","den"} (hundredths), or NULL */
};

/* Loads the evaluation of the route's first {id}; then gets the result
 * for eval_row_read. */
void eval_load(struct req *r, req_result_cb then);
/* The same for the evaluation with this id. */
void eval_load_id(struct req *r, int64_t eval_id, req_result_cb then);
/* Reads the row and checks the caller may see it; false after answering
 * (404, 403, 503).  Release with eval_row_free. */
bool eval_row_read(struct req *r, const PGresult *res, struct eval_row *out);
/* The same without parsing the table: nodes and item_values stay NULL. */
bool eval_row_access(struct req *r, const PGresult *res, struct eval_row *out);
void eval_row_free(struct eval_row *e);
/* The evaluation as GET /evaluations/{id} shows it, from an EVAL row. */
json_t *eval_json(const PGresult *res, int row);
/* {"nodes","total","advanced"}: the table with values and contributions
 * once item_values are known (NULL: not yet). */
json_t *eval_table_json(const json_t *nodes, const json_t *item_values,
			int64_t threshold);

/* h_meetings.c, h_rounds.c, h_ballots.c */
void h_meetings_create(struct req *r);
void h_meetings_get(struct req *r);
void h_meetings_seat(struct req *r);
void h_meetings_finalize(struct req *r);
void h_meetings_events(struct req *r);
void h_rounds_open(struct req *r);
void h_rounds_close(struct req *r);
void h_rounds_results(struct req *r);
void h_ballots_put(struct req *r);
void h_ballots_get(struct req *r);
/* Stored ballot scores (hundredths) as the API shows them ("85.50"). */
json_t *ballot_scores_json(const json_t *stored);
/* [{"expert","revision","scores"}] with scores shown as the API does. */
json_t *ballots_for_display(const json_t *ballots, const char *kind);

/* h_levels.c */
void h_levels_confirm(struct req *r);

/* h_verdict.c */
void h_verdict_preview(struct req *r);
void h_verdict_finalize(struct req *r);
void h_verdict_get(struct req *r);
void h_keys(struct req *r);

/* h_procedure.c: section 4.1 a-e records and the stage machine */
void h_procedure_standards(struct req *r);
void h_procedure_pool(struct req *r);
void h_procedure_compare(struct req *r);
void h_procedure_consultations(struct req *r);
void h_procedure_advance(struct req *r);
void h_procedure_records(struct req *r);

/* h_audit.c */
void h_evaluations_history(struct req *r);
void h_audit_list(struct req *r);
void h_audit_head(struct req *r);

#endif
