/*
 * pingshen: the command-line client of pingshend.  One table maps command
 * words to handlers, usage and help; the global flags (--json, --server,
 * --ca, --help) may appear anywhere before "--".
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "cmd.h"
#include "config.h"
#include "output.h"
#include "xalloc.h"

#define PS_DEFAULT_SERVER "https://127.0.0.1:8443"

static const struct cmd_def cmd_table_defs[] = {
    {"login", cmd_login, "[--server URL] [--ca FILE] USER",
     "log in; the password is read from the terminal or standard input",
     "Stores the server URL and CA file in the config file and the session\n"
     "token in the token file (mode 0600)."},
    {"logout", cmd_logout, "", "end the session and remove the token", NULL},
    {"whoami", cmd_whoami, "", "show the logged-in account", NULL},
    {"evaluation create", cmd_evaluation_create,
     "--title T --standard-code C --standard-title T\n"
     "       [--template ywtb | --no-template] [--drafting-org ORG]...\n"
     "       [--threshold N]",
     "start an evaluation (secretary)",
     "With a template (default ywtb) the evaluation starts at stage scoring;\n"
     "with --no-template at stage standards (section 4.1)."},
    {"evaluation list", cmd_evaluation_list, "", "list the evaluations you see",
     NULL},
    {"evaluation show", cmd_evaluation_show, "ID", "show an evaluation", NULL},
    {"table", cmd_table, "EVALUATION [--csv]",
     "show an evaluation's indicator table (with values once scored)", NULL},
    {"standard add", cmd_standard_add,
     "EVALUATION --code C --title T --scope SCOPE [--clause X]...",
     "record a related standard (secretary, stage standards)",
     "SCOPE: international, foreign, national, industry, local or group."},
    {"pool add", cmd_pool_add,
     "EVALUATION --code C --name N [--group] [--parent P]\n"
     "       [--description D] [--source standard|market|trend]\n"
     "       [--source-ref R] [--source-clause C]",
     "add a candidate indicator or a group to the pool (secretary)",
     "A candidate by default; --group adds a group.  A candidate's parent\n"
     "is a group whose code it extends by one level (stage pool)."},
    {"compare", cmd_compare,
     "EVALUATION CODE [--standard-ref R --standard-level L\n"
     "       [--standard-clause C]] [--benchmark domestic|international\n"
     "       --benchmark-ref R --benchmark-level L]",
     "record a candidate's comparison (secretary, stage comparison)",
     "The highest standard level, a benchmark where no standard exists, or\n"
     "both."},
    {"consult", cmd_consult,
     "EVALUATION --stakeholder S --organization O --opinion TEXT\n"
     "       [--response TEXT]",
     "record a stakeholder consultation (secretary, stage selection)",
     "S: industry_association, enterprise, professional_institution,\n"
     "supplier, consumer or other."},
    {"advance", cmd_advance, "EVALUATION STAGE [--reason TEXT]",
     "move an evaluation one stage forward or back (secretary)",
     "STAGE: standards, pool, comparison, selection, weighting or scoring.\n"
     "Going back needs --reason.  When the stage's conditions are not met,\n"
     "every unmet one is listed (code, subject, message) on standard error\n"
     "and the exit status is 1."},
    {"history", cmd_history, "EVALUATION",
     "an evaluation's audit entries, oldest first (secretary, auditor)",
     "DETAILS is the entry's details as compact JSON, cut to 60 columns."},
    {"procedure", cmd_procedure, "EVALUATION",
     "an evaluation's 4.1 records: standards, pool, consultations",
     "For its secretary, the experts of its meetings and auditors.  The\n"
     "pool prints as the table it grows into, in table order, names\n"
     "indented by level: each candidate's source and comparison, and once\n"
     "the selection meeting is finalized, KEY ✓ for a key indicator and\n"
     "✗ for an excluded candidate; then the entries' descriptions.\n"
     "Selection and weighting meetings name items by code; this shows what\n"
     "the codes stand for (vote and weigh show the names too)."},
    {"meeting create", cmd_meeting_create,
     "EVALUATION --title T --expert ID...\n"
     "       [--kind scoring|selection|weighting]\n"
     "       [--method mean|trimmed_mean|median] [--trim N] [--quorum N]\n"
     "       [--max-iqr X] [--max-cv X] [--quantile linear|weibull]\n"
     "       [--threshold FRACTION|DECIMAL]",
     "convene a meeting (secretary)",
     "--expert takes one id or a comma-separated list and may be repeated.\n"
     "--kind must match the evaluation's stage: selection (stage selection,\n"
     "section 4.1 d: which candidates become key indicators), weighting\n"
     "(stage weighting, 4.1 e: weights and advanced levels) or scoring\n"
     "(the default).  --threshold (selection only) is the include share\n"
     "that selects, as \"2/3\" (the default) or \"0.6667\"; a candidate has\n"
     "consensus when its include or exclude share reaches it.  --max-iqr\n"
     "(in percentage points of weight for weighting meetings) and --max-cv\n"
     "are the consensus of scoring and weighting meetings."},
    {"meeting show", cmd_meeting_show, "ID",
     "show a meeting, its panel and rounds", NULL},
    {"meeting finalize", cmd_meeting_finalize, "ID",
     "apply the meeting's last closed round to the evaluation (secretary)",
     "Each item takes the result of the latest closed round that covered\n"
     "it.  A selection meeting's selected candidates become the key\n"
     "indicators; a weighting meeting forms the evaluation's indicator\n"
     "table (weights and confirmed advanced levels; every leaf's level must\n"
     "be confirmed first, see level confirm); a scoring meeting gives each\n"
     "leaf its value."},
    {"level confirm", cmd_level_confirm, "MEETING CODE TEXT",
     "fix a leaf's advanced level in a weighting meeting (secretary)",
     "TEXT becomes the 先进基准水平 of leaf CODE when the meeting is\n"
     "finalized; it may be one the experts proposed (results shows them)\n"
     "or the secretary's own, and may be confirmed again until then."},
    {"round open", cmd_round_open, "MEETING [--item CODE]... [--deadline T]",
     "open the next Delphi round (secretary)",
     "Round 1 covers every item; later rounds by default the items without\n"
     "consensus."},
    {"round close", cmd_round_close, "MEETING",
     "close the open round and show its results (secretary)", NULL},
    {"results", cmd_results, "MEETING [ROUND]",
     "a closed round's results (default: the last closed round)",
     "Scoring: each item's value, statistics and consensus, Kendall's W.\n"
     "Selection: each candidate's includes of n, include share, whether it\n"
     "is selected and has consensus.  Weighting: each item's sibling group\n"
     "(top: the top level), aggregated value, renormalized weight,\n"
     "statistics and consensus, then the advanced levels proposed for the\n"
     "leaves with how many experts proposed each."},
    {"verdict preview", cmd_verdict_preview, "EVALUATION",
     "the verdict as it would be finalized (secretary)", NULL},
    {"verdict finalize", cmd_verdict_finalize, "EVALUATION [--statement TEXT]",
     "finalize and sign the verdict (secretary)", NULL},
    {"verdict show", cmd_verdict_show, "EVALUATION", "show the signed verdict",
     NULL},
    {"seat", cmd_seat,
     "MEETING --no-conflict|--conflict REASON [--statement TEXT]",
     "declare conflicts of interest: take the seat or give it up (expert)",
     "REASON: drafting_organization, same_legal_entity, employment, kinship,\n"
     "consulting or other.  --conflict gives the seat up for good."},
    {"ballot", cmd_ballot,
     "MEETING [--file scores.csv | --interactive] [--round N]",
     "submit a scoring ballot for the open round (expert)",
     "Each line of the file: item,score[,comment]; blank lines, lines\n"
     "starting with # and a header line item,score,... are skipped.  A\n"
     "comment with commas may be quoted with \"...\".\n"
     "Without --file (standard input a terminal, or --interactive), each\n"
     "item is shown with its 先进基准水平 and the previous round's median,\n"
     "IQR and your score, and a score line (0-100, at most two decimals;\n"
     "empty keeps the current score or skips the item) and a comment line\n"
     "(empty: none) are read; prompts go to standard error.  A partial\n"
     "ballot is saved too.  An invalid answer is asked again, three times\n"
     "at most, then exit 2."},
    {"vote", cmd_vote,
     "MEETING [--include CODE]... [--exclude CODE]... | --file FILE\n"
     "       [--round N]",
     "submit a selection ballot for the open round (expert)",
     "Include or exclude each candidate of the round from the key\n"
     "indicators.  --include and --exclude take a code or a comma-separated\n"
     "list and may be repeated.  Each line of FILE: item,include[,comment]\n"
     "with include y, yes, n, no, true, false, 1, 0, 是 or 否 (skipped lines\n"
     "as for ballot).  The votes given are the whole ballot.\n"
     "Without options the candidates are asked one by one on standard\n"
     "input (a terminal or a pipe), each with its name from the pool (see\n"
     "procedure), from round 2 with the previous round's include share\n"
     "and your vote: answer y or n, optionally followed by a comment; empty\n"
     "keeps the current vote or skips the candidate.  Prompts go to\n"
     "standard error; an invalid answer is asked again, three times at\n"
     "most, then exit 2.  Codes only when the names cannot be fetched."},
    {"weigh", cmd_weigh,
     "MEETING [--weight CODE=W]... [--level CODE=TEXT]... | --file FILE\n"
     "       [--round N]",
     "submit a weighting ballot for the open round (expert)",
     "W is a weight from 0 to 1 with at most three decimals; the weights of\n"
     "a sibling group (the children of one parent, or the top level) are\n"
     "given whole and sum to exactly 1 (a group of one item: 1).  --level\n"
     "proposes a leaf's advanced level.  Each line of FILE:\n"
     "item,weight[,advanced level] (skipped lines as for ballot).\n"
     "Without options the items are asked group by group on standard input\n"
     "(a terminal or a pipe), each with its name from the pool (see\n"
     "procedure), from round 2 with the previous median, IQR, weight and\n"
     "yours: a weight per item (empty keeps the current one or skips it;\n"
     "an item alone in its group weighs 1) and for each leaf an advanced\n"
     "level (empty: keep or none).\n"
     "A group not summing to 1 is asked again, three times at most."},
    {"ballot show", cmd_ballot_show, "MEETING [--round N]",
     "your ballot in the open (or given) round (expert)",
     "Scores, votes or weights and proposed advanced levels, by the\n"
     "meeting's kind; from round 2 with the previous round's figures for\n"
     "votes and weights."},
    {"watch", cmd_watch, "MEETING [--count N]",
     "print a meeting's live events (secretary, expert)",
     "Each event as HH:MM:SS EVENT DATA on standard output; \"subscribed\"\n"
     "on standard error once the stream is open.  Stops after N events\n"
     "with --count, or when the server ends the stream (exit 0)."},
    {"audit", cmd_audit,
     "[--evaluation ID] [--actor ID] [--action A] [--since T] [--until T]\n"
     "       [--limit N]",
     "query the audit log (auditor)", "T is an RFC 3339 time."},
    {"audit head", cmd_audit_head, "", "the head of the hash chain (auditor)",
     NULL},
    {"audit verify", cmd_audit_verify,
     "[--save FILE] | --file FILE [--head HASH]",
     "download the whole log and recompute its hash chain (auditor)",
     "Checks every entry's hash and that the last one equals GET /audit/head.\n"
     "--save also writes the log (a JSON array) to FILE; --file checks such\n"
     "a saved log instead, offline (against --head when given).\n"
     "Prints OK with the size and last hash, or the first bad entry (exit 1)."},
    {"user create", cmd_user_create,
     "USERNAME --role R [--organization O] [--display-name N]",
     "create an account (admin); the password is read like login's",
     "R: admin, secretary, expert or auditor."},
    {"user list", cmd_user_list, "[--role R]",
     "list accounts (admin, secretary)", NULL},
    {"user disable", cmd_user_disable, "ID",
     "deactivate an account and end its sessions (admin)", NULL},
    {"user enable", cmd_user_enable, "ID", "reactivate an account (admin)",
     NULL},
};

#define CMD_COUNT (sizeof cmd_table_defs / sizeof *cmd_table_defs)

/* The global help: every command and the exit statuses. */
static void
main_help(FILE *f)
{
	fputs("usage: pingshen [--json] [--server URL] [--ca FILE] COMMAND "
	      "[ARGS]\n"
	      "       pingshen COMMAND --help   (or: pingshen help COMMAND)\n\n"
	      "Commands:\n",
	      f);
	for (size_t i = 0; i < CMD_COUNT; i++)
		fprintf(f, "  %-18s %s\n", cmd_table_defs[i].words,
			cmd_table_defs[i].summary);
	fputs(
	    "\nGlobal options:\n"
	    "  --json        print the server's JSON instead of tables\n"
	    "  --server URL  the server (default: the config file's, "
	    "else " PS_DEFAULT_SERVER ")\n"
	    "  --ca FILE     trust this CA certificate (PEM) instead of the "
	    "system's;\n"
	    "                TLS verification is never turned off\n"
	    "  --help        this text, or a command's\n\n"
	    "Files: $XDG_CONFIG_HOME/pingshen/ (default "
	    "~/.config/pingshen/):\n"
	    "  config (server and CA, written by login), token (mode 0600).\n\n"
	    "Exit status:\n"
	    "  0  success\n"
	    "  1  the server refused (its message and code are printed), or "
	    "a check\n"
	    "     failed (audit verify)\n"
	    "  2  usage error, not logged in, or an unreadable local file\n"
	    "  3  connection or TLS failure\n",
	    f);
}

/* Prints the help of one command. */
static void
main_cmd_help(const struct cmd_def *d)
{
	printf("usage: pingshen %s%s%s\n\n%s.\n", d->words,
	       d->usage[0] != '\0' ? " " : "", d->usage, d->summary);
	if (d->help != NULL)
		printf("\n%s\n", d->help);
	puts("\nGlobal options: --json --server URL --ca FILE (see pingshen "
	     "--help).");
}

int
cmd_usage(const struct cmd_ctx *ctx)
{
	fprintf(stderr, "usage: pingshen %s%s%s\n", ctx->def->words,
		ctx->def->usage[0] != '\0' ? " " : "", ctx->def->usage);
	return PS_EXIT_USAGE;
}

bool
cmd_args(struct cmd_ctx *ctx, struct args *a, struct args_opt *opts,
	 size_t min_pos, size_t max_pos)
{
	if (!args_parse(a, opts, ctx->argc, ctx->argv))
		return false;
	if (a->n_pos < min_pos || a->n_pos > max_pos) {
		fprintf(stderr, "pingshen: %s: %s arguments\n", ctx->def->words,
			a->n_pos < min_pos ? "missing" : "too many");
		return false;
	}
	return true;
}

void
cmd_server(const struct cmd_ctx *ctx, char **server, char **ca)
{
	char *cfg_server = NULL, *cfg_ca = NULL;

	if (config_load(&cfg_server, &cfg_ca) < 0)
		cfg_server = cfg_ca = NULL;
	*server = xstrdup(ctx->server != NULL  ? ctx->server
			  : cfg_server != NULL ? cfg_server
					       : PS_DEFAULT_SERVER);
	*ca = ctx->ca != NULL  ? xstrdup(ctx->ca)
	      : cfg_ca != NULL ? xstrdup(cfg_ca)
			       : NULL;
	free(cfg_server);
	free(cfg_ca);
}

int
cmd_connect(struct cmd_ctx *ctx, bool with_token, struct api **out)
{
	char *server, *ca, *token = NULL;

	*out = NULL;
	if (with_token) {
		token = config_token_read();
		if (token == NULL) {
			fputs("pingshen: not logged in (pingshen login USER)\n",
			      stderr);
			return PS_EXIT_USAGE;
		}
	}
	cmd_server(ctx, &server, &ca);
	*out = api_new(server, ca, token);
	free(server);
	free(ca);
	free(token);
	if (*out == NULL)
		return PS_EXIT_USAGE;
	api_set_json(*out, ctx->json);
	return PS_EXIT_OK;
}

int
cmd_send(struct cmd_ctx *ctx, const char *method, const char *path,
	 const json_t *body, void (*print)(const json_t *resp))
{
	struct api *api = NULL;
	json_t *resp = NULL;
	int rc = cmd_connect(ctx, true, &api);

	if (rc == PS_EXIT_OK)
		rc = api_call(api, method, path, body, &resp);
	if (rc == PS_EXIT_OK && ctx->json)
		output_json(resp);
	else if (rc == PS_EXIT_OK)
		print(resp);
	json_decref(resp);
	api_free(api);
	return rc;
}

bool
cmd_id(const char *text, const char *what, long long *out)
{
	return args_long(text, 1, 999999999999999999LL, what, out);
}

/* How many of argv's first words match d->words, or 0 when not all do. */
static size_t
main_match(const struct cmd_def *d, int argc, char **argv)
{
	char *words = xstrdup(d->words), *save = NULL;
	size_t n = 0;

	for (char *w = strtok_r(words, " ", &save); w != NULL;
	     w = strtok_r(NULL, " ", &save)) {
		if ((int)n >= argc || strcmp(argv[n], w) != 0) {
			n = 0;
			break;
		}
		n++;
	}
	free(words);
	return n;
}

int
main(int argc, char **argv)
{
	struct cmd_ctx ctx = {0};
	char **rest = xcalloc((size_t)argc + 1, sizeof *rest);
	int n_rest = 0, rc;
	bool help = false, dashdash = false;
	const struct cmd_def *best = NULL;
	size_t best_n = 0;

	signal(SIGPIPE, SIG_IGN);
	/* The global flags, wherever they are (before "--"). */
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char **slot = NULL;

		if (!dashdash && strcmp(a, "--") == 0)
			dashdash = true;
		if (dashdash) {
			rest[n_rest++] = argv[i];
			continue;
		}
		if (strcmp(a, "--json") == 0)
			ctx.json = true;
		else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
			help = true;
		else if (strcmp(a, "--server") == 0 || strcmp(a, "--ca") == 0) {
			slot = a[2] == 's' ? &ctx.server : &ctx.ca;
			if (i + 1 >= argc) {
				fprintf(stderr, "pingshen: %s needs a value\n",
					a);
				free(rest);
				return PS_EXIT_USAGE;
			}
			*slot = argv[++i];
		} else if (strncmp(a, "--server=", 9) == 0)
			ctx.server = a + 9;
		else if (strncmp(a, "--ca=", 5) == 0)
			ctx.ca = a + 5;
		else
			rest[n_rest++] = argv[i];
	}
	/* "pingshen help COMMAND" is "pingshen COMMAND --help". */
	if (n_rest > 0 && strcmp(rest[0], "help") == 0) {
		help = true;
		memmove(rest, rest + 1, (size_t)n_rest * sizeof *rest);
		n_rest--;
	}
	for (size_t i = 0; i < CMD_COUNT; i++) {
		size_t n = main_match(&cmd_table_defs[i], n_rest, rest);

		if (n > best_n) {
			best = &cmd_table_defs[i];
			best_n = n;
		}
	}
	if (best == NULL) {
		if (n_rest == 0 && help) {
			main_help(stdout);
			free(rest);
			return PS_EXIT_OK;
		}
		if (n_rest > 0)
			fprintf(stderr, "pingshen: unknown command \"%s\"\n",
				rest[0]);
		main_help(stderr);
		free(rest);
		return PS_EXIT_USAGE;
	}
	if (help) {
		main_cmd_help(best);
		free(rest);
		return PS_EXIT_OK;
	}
	ctx.def = best;
	ctx.argc = n_rest - (int)best_n;
	ctx.argv = rest + best_n;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = best->fn(&ctx);
	curl_global_cleanup();
	free(rest);
	if (fflush(stdout) != 0 && rc == PS_EXIT_OK)
		rc = PS_EXIT_REFUSED;
	return rc;
}
