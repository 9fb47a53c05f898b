/*
 * The canned database behind fuzz_server.c: what each statement that reads
 * context returns, for one request.  Evaluation 1 carries the ywtb table
 * and is run by secretary 2; its meeting 1 is of the request's kind; its
 * pool's key indicators 1.1, 1.2, 2.1.1 and 2.1.2 form the table a
 * weighting meeting weighs.  The items of each kind come from the server's
 * own code (the ywtb leaves, kind_selection_items, kind_weighting_items),
 * so the world cannot drift from what the handlers compute.
 */
#include "fuzz_world.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "http.h"
#include "kinds.h"
#include "token.h"
#include "xalloc.h"

/* 43 base64url characters, like every token. */
#define FUZZ_TOKEN "Pingshen-fuzz-token-0123456789abcdefghijklm"

#define FUZZ_MAX_COLS 20

/* The accounts of the canned world, one per role. */
static const struct fuzz_user {
	int role;
	const char *id, *username, *name, *organization;
} fuzz_users[] = {
    {ROLE_ADMIN, "1", "admin", "管理员", ""},
    {ROLE_SECRETARY, "2", "secretary", "王秘书", "上海市标准化研究院"},
    {ROLE_EXPERT, "3", "expert1", "张明", "上海市大数据中心"},
    {ROLE_AUDITOR, "9", "auditor", "审计员", ""},
};

/* The pool of the evaluation as the round and level queries read it:
 * key indicators 1.1, 1.2, 2.1.1 and 2.1.2 form the table. */
static const char fuzz_pool_text[] =
    "[{\"code\":\"1\",\"kind\":\"group\",\"key\":null},"
    "{\"code\":\"1.1\",\"kind\":\"candidate\",\"key\":true},"
    "{\"code\":\"1.2\",\"kind\":\"candidate\",\"key\":true},"
    "{\"code\":\"1.3\",\"kind\":\"candidate\",\"key\":false},"
    "{\"code\":\"2\",\"kind\":\"group\",\"key\":null},"
    "{\"code\":\"2.1\",\"kind\":\"group\",\"key\":null},"
    "{\"code\":\"2.1.1\",\"kind\":\"candidate\",\"key\":true},"
    "{\"code\":\"2.1.2\",\"kind\":\"candidate\",\"key\":true},"
    "{\"code\":\"2.2\",\"kind\":\"candidate\",\"key\":null}]";

/* The level the panel proposed for every item of the closed round. */
#define FUZZ_PROPOSED_LEVEL "全程网办率达到90%"

/* What a meeting of one kind holds, as the database shows it. */
static struct fuzz_kind {
	const char *kind;
	json_t *items;	    /* its rounds' items */
	char *items_text;   /* the same as JSON text */
	char *rules_text;   /* its frozen rules */
	char *results_text; /* the closed round's results */
} fuzz_kinds[] = {
    {.kind = "scoring"}, {.kind = "selection"}, {.kind = "weighting"}};

#define FUZZ_N_KINDS (sizeof fuzz_kinds / sizeof *fuzz_kinds)

static char *fuzz_nodes_text; /* ywtb's table: the evaluation's nodes */
static char fuzz_token_hash[TOKEN_HASH_HEX + 1];
static const struct fuzz_request *fuzz_rq; /* the request being answered */

const char *
fuzz_known_token(void)
{
	return FUZZ_TOKEN;
}

static const struct fuzz_kind *
fuzz_kind_of(const char *kind)
{
	for (size_t i = 0; i < FUZZ_N_KINDS; i++) {
		if (strcmp(fuzz_kinds[i].kind, kind) == 0)
			return &fuzz_kinds[i];
	}
	return &fuzz_kinds[0];
}

const json_t *
fuzz_world_items(const char *kind)
{
	return fuzz_kind_of(kind)->items;
}

/* The items and texts of each kind, derived by the server's own code. */
static void
fuzz_init_kind(struct fuzz_kind *k, const json_t *pool)
{
	json_t *rules, *results, *list, *x;
	size_t i;

	if (strcmp(k->kind, "selection") == 0) {
		k->items = kind_selection_items(pool);
	} else if (strcmp(k->kind, "weighting") == 0) {
		k->items = kind_weighting_items(pool);
	} else {
		const struct template *tp = catalog_find("ywtb");

		k->items = json_array();
		for (i = 0; i < tp->table->n_leaves; i++)
			json_array_append_new(
			    k->items, json_string(tp->table->leaves[i]->code));
	}
	k->items_text = json_dumps(k->items, JSON_COMPACT);
	rules = json_pack("{s:s, s:i, s:s, s:s, s:s, s:i}", "method",
			  "trimmed_mean", "trim", 1, "max_iqr", "10", "max_cv",
			  "0.25", "quantile", "linear", "quorum", 5);
	if (strcmp(k->kind, "selection") == 0)
		json_object_set_new(rules, "selection_threshold",
				    json_string(KIND_SELECTION_THRESHOLD));
	k->rules_text = json_dumps(rules, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(rules);
	/* The first item missed consensus, so a new round picks it. */
	list = json_array();
	json_array_foreach(k->items, i, x)
	{
		json_array_append_new(
		    list, json_pack("{s:O, s:b, s:[{s:s, s:i}]}", "item", x,
				    "consensus", i != 0, "advanced_levels",
				    "text", FUZZ_PROPOSED_LEVEL, "count", 2));
	}
	results = json_pack("{s:i, s:o}", "round", 1, "items", list);
	k->results_text = json_dumps(results, JSON_COMPACT);
	json_decref(results);
}

void
fuzz_world_init(void)
{
	const char *text;
	size_t len;
	json_t *doc, *pool;

	token_hash_hex(FUZZ_TOKEN, TOKEN_LEN, fuzz_token_hash);
	text = template_builtin_json("ywtb", &len);
	doc = json_loadb(text, len, 0, NULL);
	fuzz_nodes_text =
	    json_dumps(json_object_get(doc, "nodes"), JSON_COMPACT);
	json_decref(doc);
	pool = json_loads(fuzz_pool_text, 0, NULL);
	for (size_t i = 0; i < FUZZ_N_KINDS; i++)
		fuzz_init_kind(&fuzz_kinds[i], pool);
	json_decref(pool);
}

/* A result of nrows rows of ncols text columns; a NULL cell is NULL. */
static PGresult *
fuzz_result(int ncols, int nrows, const char *const *cells)
{
	PGresult *res = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
	PGresAttDesc attrs[FUZZ_MAX_COLS];

	memset(attrs, 0, sizeof attrs);
	for (int c = 0; c < ncols; c++) {
		attrs[c].name = (char *)"c";
		attrs[c].typid = 25; /* text */
		attrs[c].typlen = -1;
		attrs[c].atttypmod = -1;
	}
	fuzz_check(res != NULL && PQsetResultAttrs(res, ncols, attrs),
		   "libpq builds a result");
	for (int r = 0; r < nrows; r++) {
		for (int c = 0; c < ncols; c++) {
			const char *v = cells[r * ncols + c];

			fuzz_check(PQsetvalue(res, r, c, (char *)v,
					      v ? (int)strlen(v) : -1),
				   "libpq fills a result");
		}
	}
	return res;
}

static const struct fuzz_user *
fuzz_caller(void)
{
	for (size_t i = 0; i < sizeof fuzz_users / sizeof *fuzz_users; i++) {
		if (fuzz_users[i].role == fuzz_rq->role)
			return &fuzz_users[i];
	}
	return &fuzz_users[0];
}

/* The session row when the token is the known one. */
static PGresult *
fuzz_auth_row(const char *const *params)
{
	const struct fuzz_user *u = fuzz_caller();
	const char *row[] = {params[0],
			     u->id,
			     u->username,
			     u->name,
			     user_role_name(u->role),
			     u->organization,
			     "t",
			     "3"};

	return fuzz_result(8, strcmp(params[0], fuzz_token_hash) == 0, row);
}

/* Evaluation 1 as EVAL_COLUMNS reads it. */
static PGresult *
fuzz_eval_row(void)
{
	bool tabled = fuzz_rq->world.stage >= STAGE_SCORING;
	const char *row[] = {"1",
			     "某标准先进性评价",
			     "DB31/T 1000-2026",
			     "一网通办业务规范",
			     "[\"上海市大数据中心\"]",
			     stage_name(fuzz_rq->world.stage),
			     "8500",
			     "1",
			     "2026-11-26T09:00:00Z",
			     tabled ? "ywtb" : NULL,
			     "2",
			     NULL,
			     NULL,
			     NULL,
			     "t",
			     tabled ? fuzz_nodes_text : "[]",
			     NULL};

	return fuzz_result(17, 1, row);
}

/* Meeting 1 as meeting.c's statement reads it. */
static PGresult *
fuzz_meeting_row(void)
{
	const struct fuzz_kind *k = fuzz_kind_of(fuzz_rq->world.kind);
	char *rounds = NULL;
	PGresult *res;

	if (fuzz_rq->world.rounds != FUZZ_ROUNDS_NONE) {
		bool open = fuzz_rq->world.rounds == FUZZ_ROUND_OPEN;

		rounds = xasprintf(
		    "[{\"n\":1,\"items\":%s,\"opened_at\":"
		    "\"2026-11-26T09:00:00Z\",\"closed_at\":%s,\"deadline\":"
		    "null,\"complete_ballots\":%s}]",
		    k->items_text, open ? "null" : "\"2026-11-26T10:00:00Z\"",
		    open ? "0" : "null");
	}
	{
		const char *row[] = {"1",
				     "1",
				     k->kind,
				     "第一次评审会",
				     k->rules_text,
				     "f",
				     "1",
				     stage_name(fuzz_rq->world.stage),
				     "2",
				     fuzz_rq->world.seat,
				     rounds ? rounds : "[]",
				     "[]",
				     "[]"};

		res = fuzz_result(13, 1, row);
	}
	free(rounds);
	return res;
}

/* The experts of "{3,4,...}" that exist: 3 to 8 are experts (8 of a
 * drafting organization), 1, 2 and 9 hold other roles. */
static PGresult *
fuzz_experts_rows(const char *ids)
{
	static const char *const roles[] = {"", "admin", "secretary"};
	bool seen[10] = {false};
	const char *cells[10 * 6];
	char id_text[10][4];
	int n = 0;

	/* The casts check let only a well-formed literal through. */
	for (char *p = (char *)ids + 1; *p != '\0' && *p != '}';) {
		long long id = strtoll(p, &p, 10);

		if (id >= 1 && id <= 9)
			seen[id] = true;
		if (*p == ',')
			p++;
	}
	for (int id = 1; id <= 9; id++) {
		const char **row = cells + n * 6;

		if (!seen[id])
			continue;
		snprintf(id_text[n], sizeof id_text[n], "%d", id);
		row[0] = id_text[n];
		row[1] = id < 3 ? roles[id] : id == 9 ? "auditor" : "expert";
		row[2] = "t";
		row[3] = "专家";
		row[4] = id == 8 ? "上海市大数据中心" : "复旦大学";
		row[5] = id == 8 ? "t" : "f";
		n++;
	}
	return fuzz_result(6, n, cells);
}

/* What the ballot statement reads: round 1 of meeting 1. */
static PGresult *
fuzz_ballot_context(void)
{
	const struct fuzz_world *w = &fuzz_rq->world;
	const struct fuzz_kind *k = fuzz_kind_of(w->kind);
	const char *row[] = {stage_name(w->stage),
			     "f",
			     w->seat,
			     w->rounds == FUZZ_ROUNDS_NONE ? NULL
							   : k->items_text,
			     w->rounds == FUZZ_ROUND_CLOSED ? "t" : "f",
			     "f",
			     k->kind};

	return fuzz_result(7, 1, row);
}

/* What opening a round reads: the table, the last closed round's
 * results, the pool. */
static PGresult *
fuzz_round_context(void)
{
	const struct fuzz_kind *k = fuzz_kind_of(fuzz_rq->world.kind);
	const char *row[] = {
	    fuzz_nodes_text,
	    fuzz_rq->world.rounds == FUZZ_ROUND_CLOSED ? k->results_text : NULL,
	    fuzz_pool_text};

	return fuzz_result(3, 1, row);
}

/* What confirming a level reads: the pool and the closed rounds. */
static PGresult *
fuzz_levels_context(void)
{
	const struct fuzz_kind *k = fuzz_kind_of(fuzz_rq->world.kind);
	char *rounds = xasprintf("[{\"n\":1,\"results\":%s}]", k->results_text);
	const char *row[] = {fuzz_pool_text,
			     fuzz_rq->world.rounds == FUZZ_ROUND_CLOSED ? rounds
									: "[]"};
	PGresult *res = fuzz_result(2, 1, row);

	free(rounds);
	return res;
}

/* What the stage guards read. */
static PGresult *
fuzz_stage_snapshot(void)
{
	const char *row[] = {
	    "2",
	    "[{\"code\":\"1.1\",\"source\":true,\"comparison\":"
	    "true},{\"code\":\"1.2\",\"source\":true,"
	    "\"comparison\":false}]",
	    "1",
	    "t",
	    "f",
	    "2"};

	return fuzz_result(6, 1, row);
}

PGresult *
fuzz_world_answer(const struct fuzz_request *rq, const struct db_stmt *stmt,
		  const char *const *params)
{
	const char *name = stmt->name;

	fuzz_rq = rq;

	if (strcmp(name, "stmt_http_auth") == 0)
		return fuzz_auth_row(params);
	if (strcmp(name, "stmt_txn_lookup") == 0)
		return fuzz_result(3, 0, NULL);
	if (strcmp(name, "stmt_login_lookup") == 0)
		return fuzz_result(4, 0, NULL);
	if (strcmp(name, "stmt_eval_saved_template") == 0)
		return fuzz_result(2, 0, NULL);
	if (strcmp(name, "stmt_eval_list") == 0)
		return fuzz_result(17, 0, NULL);
	if (strcmp(name, "stmt_users_list") == 0)
		return fuzz_result(7, 0, NULL);
	if (strcmp(name, "stmt_eval_get") == 0)
		return fuzz_eval_row();
	if (strcmp(name, "stmt_meeting_get") == 0)
		return fuzz_meeting_row();
	if (strcmp(name, "stmt_meeting_experts") == 0)
		return fuzz_experts_rows(params[1]);
	if (strcmp(name, "stmt_ballot_context") == 0)
		return fuzz_ballot_context();
	if (strcmp(name, "stmt_round_context") == 0)
		return fuzz_round_context();
	if (strcmp(name, "stmt_levels_context") == 0)
		return fuzz_levels_context();
	if (strcmp(name, "stmt_stage_snapshot") == 0)
		return fuzz_stage_snapshot();
	return NULL;
}
