/*
 * What every command handler shares: its invocation (the arguments after
 * the command's words, the global flags) and helpers to reach the server
 * and to report usage errors.  Handlers return the exit status.
 */
#ifndef PINGSHEN_CMD_H
#define PINGSHEN_CMD_H

#include <stdbool.h>

#include "api.h"
#include "args.h"

struct cmd_def;

struct cmd_ctx {
	const struct cmd_def *def;
	int argc; /* arguments after the command's words */
	char **argv;
	bool json;	    /* --json */
	const char *server; /* --server, or NULL */
	const char *ca;	    /* --ca, or NULL */
};

typedef int cmd_fn(struct cmd_ctx *ctx);

struct cmd_def {
	const char *words; /* "meeting create" */
	cmd_fn *fn;
	const char *usage; /* the arguments after the words */
	const char *summary;
	const char *help; /* more lines for --help, or NULL */
};

/* Prints the command's usage line on standard error; PS_EXIT_USAGE. */
int cmd_usage(const struct cmd_ctx *ctx);
/*
 * Parses ctx's arguments against opts, expecting min_pos..max_pos
 * positionals; false (usage printed) otherwise.  args_free a either way.
 */
bool cmd_args(struct cmd_ctx *ctx, struct args *a, struct args_opt *opts,
	      size_t min_pos, size_t max_pos)
    __attribute__((warn_unused_result));
/*
 * The server and CA to use: the global flags, else the config file, else
 * https://127.0.0.1:8443 and the system's CAs (caller frees both).
 */
void cmd_server(const struct cmd_ctx *ctx, char **server, char **ca);
/*
 * A client for the configured server with the stored token (when
 * with_token; PS_EXIT_USAGE and a message when there is none), into *out
 * (caller frees with api_free).
 */
/*
 * Connects with the token, sends method path with body (borrowed; may be
 * NULL) and prints the answer: JSON with --json, else with print.  The
 * common end of most commands; returns the exit status.
 */
int cmd_send(struct cmd_ctx *ctx, const char *method, const char *path,
	     const json_t *body, void (*print)(const json_t *resp));

int cmd_connect(struct cmd_ctx *ctx, bool with_token, struct api **out)
    __attribute__((warn_unused_result));
/* An id argument (1..999999999999999999) named what. */
bool cmd_id(const char *text, const char *what, long long *out)
    __attribute__((warn_unused_result));

/*
 * GET /meetings/ID: the number of its open round into *open_n and of its
 * last closed round into *closed_n (0 when there is none).
 */
int cmd_meeting_rounds(struct api *api, long long meeting, long long *open_n,
		       long long *closed_n) __attribute__((warn_unused_result));
/* Prints a round's results (the close answer or GET .../results). */
void cmd_meeting_print_results(const struct cmd_ctx *ctx, struct api *api,
			       long long meeting, const json_t *results);

/* What the ballot commands of every meeting kind share (cmd_expert.c). */

/* How many invalid answers in a row are re-asked before giving up. */
#define CMD_EXPERT_REASKS 3

/*
 * Reads file's item,VALUE[,TEXT] lines into *rows as [{"item","value",
 * "text"?}] (caller decrefs): blank lines, lines starting with # and a
 * header line item,... are skipped; TEXT may be quoted with "...".
 * PS_EXIT_USAGE with file:line and format (as "item,score[,comment]") on
 * a malformed line or an unreadable file.
 */
int cmd_expert_csv(const char *file, const char *format, json_t **rows)
    __attribute__((warn_unused_result));
/* The round an expert command means: a's --round, else the open one, else
 * (when closed_ok) the last closed one. */
int cmd_expert_round(struct api *api, struct args *a, long long meeting,
		     bool closed_ok, long long *n)
    __attribute__((warn_unused_result));
/* The element of array whose "item" is code, or NULL. */
json_t *cmd_expert_find(const json_t *array, const char *code);
/*
 * Prompts on standard error and reads a line of standard input (into
 * *line, getline's with *cap; *text is it trimmed), re-asking after an
 * invalid one (valid(text) false, what says what was expected) up to
 * CMD_EXPERT_REASKS times.  1: *text is the answer; 0: the end of the
 * input; -1: too many invalid answers.
 */
int cmd_expert_ask_valid(const char *prompt, bool (*valid)(const char *),
			 const char *what, char **line, size_t *cap,
			 char **text) __attribute__((warn_unused_result));

/* How selection and weighting meetings print (cmd_procedure_meetings.c). */

/*
 * The pool of meeting's evaluation by code ({code: pool entry}; GET
 * /meetings/ID, then GET /evaluations/ID/procedure), so that items, which
 * these meetings name by code only, show their names too.  NULL, with a
 * note on standard error, when either request fails: callers then show
 * codes only.  Caller decrefs.
 */
json_t *cmd_pmeet_names(const struct cmd_ctx *ctx, struct api *api,
			long long meeting);
/* A closed round's results whose kind is selection or weighting, and an
 * expert's ballot of round n (GET .../ballot with votes or weights), with
 * a NAME column after the codes from names (cmd_pmeet_names; NULL: codes
 * only). */
void cmd_pmeet_print_results_named(const json_t *results, const json_t *names);
void cmd_pmeet_print_ballot_named(long long n, const json_t *ballot,
				  const json_t *names);
/* The answer to finalizing meeting id: the selected and excluded
 * candidates, or the table the weights formed. */
void cmd_pmeet_print_finalized(long long id, const json_t *resp);

/* The handlers, by file. */
cmd_fn cmd_login, cmd_logout, cmd_whoami;
cmd_fn cmd_evaluation_create, cmd_evaluation_list, cmd_evaluation_show,
    cmd_table, cmd_verdict_preview, cmd_verdict_finalize, cmd_verdict_show;
cmd_fn cmd_meeting_create, cmd_meeting_show, cmd_meeting_finalize,
    cmd_round_open, cmd_round_close, cmd_results;
cmd_fn cmd_seat, cmd_ballot, cmd_ballot_show, cmd_watch;
cmd_fn cmd_audit, cmd_audit_head, cmd_audit_verify;
cmd_fn cmd_user_create, cmd_user_list, cmd_user_disable, cmd_user_enable;
cmd_fn cmd_standard_add, cmd_pool_add, cmd_compare, cmd_consult, cmd_advance,
    cmd_history, cmd_procedure;
cmd_fn cmd_vote, cmd_weigh, cmd_level_confirm;

#endif
