/*
 * libFuzzer harness for the request headers the server reads itself.  The
 * input is one header value, trimmed as evhttp's parser trims values and
 * cut where a header line cannot go on (NUL, CR, LF).  It is sent as each
 * header in turn, on a request that is otherwise valid, through the
 * server (fuzz_server.h), and every outcome is checked against the API's
 * rule for that header:
 *   Authorization      "Bearer " in any case and 43 base64url characters:
 *                      the session is looked up by SHA-256 of exactly
 *                      those; anything else is 401 before any query
 *   Idempotency-Key    1 to 255 printable ASCII characters on POST and PUT,
 *                      looked up as sent; else 400; ignored on PATCH
 *   If-Match (ballot)  1 to 9 digits, the version the write checks; else
 *                      400
 *   If-Match (account) the same, optionally in double quotes
 *   Content-Type       application/json in any case, optionally followed
 *                      by "; charset=utf-8"; else 415
 */
#include <openssl/evp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz_server.h"
#include "http.h"
#include "xalloc.h"

static const char header_evaluation[] =
    "{\"title\":\"评价\",\"standard\":{\"code\":\"DB31/T 1\",\"title\":"
    "\"标准\"}}";
static const char header_ballot[] =
    "{\"scores\":[{\"item\":\"1.1.1\",\"score\":\"85\"}]}";
static const char header_account[] = "{\"display_name\":\"张明\"}";

/* Runs one request of the canned world with a body. */
static void
header_run(struct fuzz_request *rq, int method, const char *target, int role,
	   const char *body, struct fuzz_outcome *out)
{
	rq->method = method;
	rq->target = target;
	rq->role = role;
	rq->body = body;
	rq->body_len = strlen(body);
	rq->world.stage = STAGE_SCORING;
	rq->world.kind = "scoring";
	rq->world.rounds = FUZZ_ROUND_OPEN;
	rq->world.seat = "seated";
	fuzz_server_run(rq, out);
}

/* The number of statements called name the request ran. */
static size_t
header_ran(const struct fuzz_outcome *out, const char *name)
{
	size_t n = 0;

	for (size_t i = 0; i < out->n_queries; i++)
		n += strcmp(out->queries[i].name, name) == 0;
	return n;
}

static bool
header_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
	}
	return n > 0;
}

static void
header_authorization(const char *v)
{
	struct fuzz_request rq = {.authorization = v};
	struct fuzz_outcome out;
	const struct fuzz_query *q;
	bool ok = strlen(v) == 7 + 43 && strncasecmp(v, "bearer ", 7) == 0;

	for (size_t i = 7; ok && i < 50; i++) {
		ok = (v[i] >= 'A' && v[i] <= 'Z') ||
		     (v[i] >= 'a' && v[i] <= 'z') ||
		     (v[i] >= '0' && v[i] <= '9') || v[i] == '-' || v[i] == '_';
	}
	header_run(&rq, ROUTER_GET, "/api/v1/me", ROLE_SECRETARY, "", &out);
	q = fuzz_outcome_query(&out, "stmt_http_auth");
	fuzz_check(ok == (q != NULL),
		   "a session is looked up exactly for a Bearer token of the "
		   "right shape");
	if (ok) {
		unsigned char md[32];
		char hex[65];

		fuzz_check(EVP_Digest(v + 7, 43, md, NULL, EVP_sha256(), NULL),
			   "SHA-256 works");
		for (int i = 0; i < 32; i++)
			snprintf(hex + 2 * i, 3, "%02x", md[i]);
		fuzz_check(strcmp(q->params[0], hex) == 0,
			   "the session is looked up by SHA-256 of the token");
	}
	fuzz_check(
	    out.status ==
		(ok && strcmp(v + 7, fuzz_known_token()) == 0 ? 200 : 401),
	    "only the known token authenticates");
	fuzz_outcome_free(&out);
}

static void
header_idempotency_key(const char *v)
{
	struct fuzz_request rq = {.idempotency_key = v};
	struct fuzz_outcome out;
	const struct fuzz_query *q;
	size_t n = strlen(v);
	bool ok = n >= 1 && n <= 255;

	for (size_t i = 0; ok && i < n; i++)
		ok = (unsigned char)v[i] >= 0x21 && (unsigned char)v[i] <= 0x7e;
	header_run(&rq, ROUTER_POST, "/api/v1/evaluations", ROLE_SECRETARY,
		   header_evaluation, &out);
	q = fuzz_outcome_query(&out, "stmt_txn_lookup");
	fuzz_check(ok == (q != NULL) && out.status == (ok ? 503 : 400),
		   "an Idempotency-Key is 1 to 255 printable ASCII "
		   "characters");
	fuzz_check(!ok || strcmp(q->params[1], v) == 0,
		   "an Idempotency-Key is looked up as sent");
	fuzz_outcome_free(&out);

	header_run(&rq, ROUTER_PATCH, "/api/v1/users/4", ROLE_ADMIN,
		   header_account, &out);
	fuzz_check(header_ran(&out, "stmt_txn_lookup") == 0 &&
		       header_ran(&out, "stmt_user_update") == 1,
		   "PATCH ignores an Idempotency-Key");
	fuzz_outcome_free(&out);
}

static void
header_if_match_ballot(const char *v)
{
	struct fuzz_request rq = {.if_match = v};
	struct fuzz_outcome out;
	const struct fuzz_query *q;
	bool ok = strlen(v) <= 9 && header_digits(v, strlen(v));

	header_run(&rq, ROUTER_PUT, "/api/v1/meetings/1/rounds/1/ballot",
		   ROLE_EXPERT, header_ballot, &out);
	q = fuzz_outcome_query(&out, "stmt_ballot_put");
	fuzz_check(ok == (q != NULL) && out.status == (ok ? 503 : 400),
		   "a ballot's If-Match is 1 to 9 digits");
	fuzz_check(!ok || strcmp(q->params[9], v) == 0,
		   "the ballot write checks the version sent");
	fuzz_outcome_free(&out);
}

static void
header_if_match_account(const char *v)
{
	struct fuzz_request rq = {.if_match = v};
	struct fuzz_outcome out;
	const struct fuzz_query *q;
	const char *d = v[0] == '"' ? v + 1 : v;
	size_t n = strspn(d, "0123456789");
	bool ok =
	    n >= 1 && n <= 9 && (d[n] == '\0' || strcmp(d + n, "\"") == 0);

	header_run(&rq, ROUTER_PATCH, "/api/v1/users/4", ROLE_ADMIN,
		   header_account, &out);
	q = fuzz_outcome_query(&out, "stmt_user_update");
	fuzz_check(ok == (q != NULL) && out.status == (ok ? 503 : 400),
		   "an account's If-Match is 1 to 9 digits, maybe quoted");
	fuzz_check(!ok || (strlen(q->params[10]) == n &&
			   strncmp(q->params[10], d, n) == 0),
		   "the account write checks the version sent");
	fuzz_outcome_free(&out);
}

static void
header_content_type(const char *v)
{
	struct fuzz_request rq = {.content_type = v};
	struct fuzz_outcome out;
	bool ok = strncasecmp(v, "application/json", 16) == 0;

	if (ok) {
		const char *p = v + 16;

		p += strspn(p, " ");
		if (*p == ';') {
			p++;
			p += strspn(p, " ");
			ok = strcasecmp(p, "charset=utf-8") == 0;
		} else {
			ok = *p == '\0';
		}
	}
	header_run(&rq, ROUTER_POST, "/api/v1/evaluations", ROLE_SECRETARY,
		   header_evaluation, &out);
	fuzz_check(out.status == (ok ? 503 : 415),
		   "a body is read only as application/json in UTF-8");
	fuzz_outcome_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n = 0;
	char *v;

	while (n < size && data[n] != '\0' && data[n] != '\r' &&
	       data[n] != '\n')
		n++;
	/* evhttp drops the spaces before a value and the blanks after it. */
	while (n > 0 && (data[n - 1] == ' ' || data[n - 1] == '\t'))
		n--;
	while (n > 0 && data[0] == ' ') {
		data++;
		n--;
	}
	v = xstrndup((const char *)data, n);
	header_authorization(v);
	header_idempotency_key(v);
	header_if_match_ballot(v);
	header_if_match_account(v);
	header_content_type(v);
	free(v);
	return 0;
}
