/* crashgen's HTTPS: easy handles, blocking calls, what an answer means. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "crash.h"

/* An answer larger than this is not one of ours. */
#define CRASH_BODY_MAX (1 << 20)

/* The blocking calls' handle: curl_easy_reset keeps its connection. */
static CURL *crash_blocking;

/* Collects the answer's body, bounded. */
static size_t
crash_on_body(char *data, size_t size, size_t n, void *arg)
{
	struct crash_resp *resp = arg;
	size_t len = size * n;
	char *p;

	if (resp->len + len > CRASH_BODY_MAX)
		return 0;
	p = realloc(resp->body, resp->len + len + 1);
	if (p == NULL)
		crash_die("out of memory");
	memcpy(p + resp->len, data, len);
	resp->body = p;
	resp->len += len;
	p[resp->len] = '\0';
	return len;
}

/* Notes whether the answer is a stored one replayed. */
static size_t
crash_on_header(char *data, size_t size, size_t n, void *arg)
{
	static const char name[] = "Idempotent-Replayed:";
	struct crash_resp *resp = arg;
	size_t len = size * n;

	/* A new status line starts a new answer's headers. */
	if (len >= 5 && strncmp(data, "HTTP/", 5) == 0)
		resp->replayed = false;
	if (len > sizeof name - 1 &&
	    strncasecmp(data, name, sizeof name - 1) == 0) {
		const char *v = data + sizeof name - 1;
		size_t rest = len - (sizeof name - 1);

		while (rest > 0 && *v == ' ') {
			v++;
			rest--;
		}
		resp->replayed = rest >= 4 && strncmp(v, "true", 4) == 0;
	}
	return len;
}

void
crash_resp_reset(struct crash_resp *resp)
{
	free(resp->body);
	memset(resp, 0, sizeof *resp);
}

/* Points easy at one request; resp is emptied for its answer. */
static void
crash_easy_setup(CURL *easy, const struct crash_state *st, const char *method,
		 const char *path, const char *body, struct curl_slist *hdrs,
		 struct crash_resp *resp)
{
	char url[512];

	snprintf(url, sizeof url, "%s%s", st->base, path);
	crash_resp_reset(resp);
	curl_easy_setopt(easy, CURLOPT_URL, url);
	curl_easy_setopt(easy, CURLOPT_CAINFO, st->ca);
	curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, crash_on_body);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, resp);
	curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, crash_on_header);
	curl_easy_setopt(easy, CURLOPT_HEADERDATA, resp);
	curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, resp->err);
	curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS,
			 (long)CRASH_REQUEST_TIMEOUT_MS);
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	if (body != NULL) {
		curl_easy_setopt(easy, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE,
				 (long)strlen(body));
	}
}

/* The Authorization and Content-Type lines appended to hdrs. */
static struct curl_slist *
crash_auth(struct curl_slist *hdrs, const char *token, bool json)
{
	char line[256];

	if (token != NULL) {
		snprintf(line, sizeof line, "Authorization: Bearer %s", token);
		hdrs = curl_slist_append(hdrs, line);
	}
	if (json)
		hdrs =
		    curl_slist_append(hdrs, "Content-Type: application/json");
	/* libcurl's 1 s wait for "100 Continue" would only slow us. */
	hdrs = curl_slist_append(hdrs, "Expect:");
	if (hdrs == NULL)
		crash_die("out of memory");
	return hdrs;
}

CURL *
crash_easy_new(const struct crash_state *st, const char *method,
	       const char *path, const char *token, const char *body,
	       struct curl_slist **hdrs, struct crash_resp *resp)
{
	CURL *easy = curl_easy_init();

	if (easy == NULL)
		crash_die("curl_easy_init failed");
	*hdrs = crash_auth(*hdrs, token, body != NULL);
	crash_easy_setup(easy, st, method, path, body, *hdrs, resp);
	return easy;
}

void
crash_resp_done(CURL *easy, struct crash_resp *resp, CURLcode code)
{
	resp->code = code;
	resp->status = 0;
	if (code == CURLE_OK)
		curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &resp->status);
	if (resp->body == NULL) {
		resp->body = strdup("");
		if (resp->body == NULL)
			crash_die("out of memory");
	}
}

void
crash_call(const struct crash_state *st, const char *method, const char *path,
	   const char *token, const char *body, struct curl_slist *hdrs,
	   struct crash_resp *resp)
{
	struct curl_slist *all;

	if (crash_blocking == NULL) {
		crash_blocking = curl_easy_init();
		if (crash_blocking == NULL)
			crash_die("curl_easy_init failed");
	}
	curl_easy_reset(crash_blocking);
	/* Our own list: the caller's stays the caller's. */
	all = NULL;
	for (struct curl_slist *h = hdrs; h != NULL; h = h->next)
		all = curl_slist_append(all, h->data);
	all = crash_auth(all, token, body != NULL);
	crash_easy_setup(crash_blocking, st, method, path, body, all, resp);
	crash_resp_done(crash_blocking, resp,
			curl_easy_perform(crash_blocking));
	curl_slist_free_all(all);
}

json_t *
crash_call_json(const struct crash_state *st, const char *method,
		const char *path, const char *token, json_t *body, long want)
{
	struct crash_resp resp = {0};
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	json_t *out;

	json_decref(body);
	crash_call(st, method, path, token, text, NULL, &resp);
	free(text);
	if (resp.status != want)
		crash_die("%s %s: HTTP %ld (%s), expected %ld: %.300s", method,
			  path, resp.status,
			  resp.code ? curl_easy_strerror(resp.code) : "", want,
			  resp.body);
	out = json_loads(resp.body, 0, NULL);
	if (out == NULL)
		crash_die("%s %s: the answer is not JSON", method, path);
	crash_resp_reset(&resp);
	return out;
}

void
crash_error_code(const struct crash_resp *resp, char *out, size_t len)
{
	json_t *o = json_loads(resp->body ? resp->body : "", 0, NULL);
	const char *code = json_string_value(
	    json_object_get(json_object_get(o, "error"), "code"));

	snprintf(out, len, "%s", code ? code : "");
	json_decref(o);
}

enum crash_outcome
crash_classify(const struct crash_resp *resp)
{
	char code[64];

	if (resp->code != CURLE_OK || resp->status == 0 || resp->status >= 500)
		return CRASH_UNKNOWN;
	if (resp->status >= 200 && resp->status < 300)
		return CRASH_OK;
	/* Answers that say "not decided, send it again". */
	if (resp->status == 429 || resp->status == 408)
		return CRASH_UNKNOWN;
	crash_error_code(resp, code, sizeof code);
	if (resp->status == 409 && strcmp(code, "idempotency_key_in_use") == 0)
		return CRASH_UNKNOWN;
	return CRASH_FAILED;
}

bool
crash_wait_ready(const struct crash_state *st)
{
	struct timespec start, now, pause = {0, 50 * 1000 * 1000};
	struct crash_resp resp = {0};

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		crash_call(st, "GET", "/healthz", NULL, NULL, NULL, &resp);
		if (resp.status == 200) {
			crash_resp_reset(&resp);
			return true;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec > CRASH_READY_WAIT_S) {
			fprintf(stderr,
				"crashgen: the server is not ready after %d s "
				"(last: HTTP %ld %s)\n",
				CRASH_READY_WAIT_S, resp.status, resp.err);
			crash_resp_reset(&resp);
			return false;
		}
		nanosleep(&pause, NULL);
	}
}

void
crash_http_end(void)
{
	if (crash_blocking != NULL)
		curl_easy_cleanup(crash_blocking);
	crash_blocking = NULL;
}
