/*
 * libcurl requests to the API.  One easy handle per request: the client
 * makes a handful, and a fresh handle keeps no state between them.  Any
 * transfer failure (refused connection, DNS, TLS handshake or certificate)
 * is exit status 3; any HTTP answer outside 2xx is 1, printed as the
 * server's message and code.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "api.h"
#include "output.h"
#include "xalloc.h"

struct api {
	char *base; /* https://host:port */
	char *ca;
	char *token;
	bool json;
};

struct api_buf {
	char *data;
	size_t len;
};

struct api *
api_new(const char *server, const char *ca, const char *token)
{
	struct api *a;
	size_t len;

	if (strncmp(server, "https://", 8) != 0 || server[8] == '\0') {
		fprintf(stderr,
			"pingshen: the server must be an https:// URL, not "
			"\"%s\"\n",
			server);
		return NULL;
	}
	a = xcalloc(1, sizeof *a);
	a->base = xstrdup(server);
	len = strlen(a->base);
	while (len > 8 && a->base[len - 1] == '/')
		a->base[--len] = '\0';
	if (len > 7 && strcmp(a->base + len - 7, "/api/v1") == 0)
		a->base[len - 7] = '\0';
	a->ca = ca != NULL ? xstrdup(ca) : NULL;
	a->token = token != NULL ? xstrdup(token) : NULL;
	return a;
}

void
api_free(struct api *a)
{
	if (a == NULL)
		return;
	free(a->base);
	free(a->ca);
	if (a->token != NULL) {
		/* The token is a credential: do not leave it in freed heap. */
		volatile char *p = a->token;

		while (*p != '\0')
			*p++ = '\0';
		free(a->token);
	}
	free(a);
}

void
api_set_json(struct api *a, bool on)
{
	a->json = on;
}

const char *
api_server(const struct api *a)
{
	return a->base;
}

/* libcurl's write callback: appends to an api_buf. */
static size_t
api_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct api_buf *b = userdata;
	size_t n = size * nmemb;

	b->data = xreallocarray(b->data, b->len + n + 1, 1);
	memcpy(b->data + b->len, ptr, n);
	b->len += n;
	b->data[b->len] = '\0';
	return n;
}

/* Prints a list of conditions or problems [{code, subject?, message}]
 * (stage_guard's details.unmet, details.problems) as an aligned table on
 * standard error. */
static void
api_print_list(const json_t *unmet)
{
	static const char *const head[] = {"CODE", "SUBJECT", "MESSAGE"};
	static const char *const keys[] = {"code", "subject", "message"};
	size_t w[3], i;
	json_t *u;

	for (size_t c = 0; c < 3; c++)
		w[c] = output_width(head[c]);
	json_array_foreach(unmet, i, u)
	{
		for (size_t c = 0; c < 3; c++) {
			char *cell = output_member(u, keys[c]);
			size_t cw = output_width(cell);

			if (cw > w[c])
				w[c] = cw;
			free(cell);
		}
	}
	for (size_t c = 0; c < 3; c++)
		fprintf(stderr, "%s%*s", head[c],
			c < 2 ? (int)(w[c] - output_width(head[c]) + 2) : 0,
			"");
	fputc('\n', stderr);
	json_array_foreach(unmet, i, u)
	{
		for (size_t c = 0; c < 3; c++) {
			char *cell = output_member(u, keys[c]);

			fprintf(stderr, "%s%*s", cell,
				c < 2 ? (int)(w[c] - output_width(cell) + 2)
				      : 0,
				"");
			free(cell);
		}
		fputc('\n', stderr);
	}
}

/* Prints an error answer: the server's message and code when it is the
 * JSON error, else the status. */
static void
api_print_error(struct api *a, long status, const struct api_buf *b)
{
	json_t *j =
	    b->data != NULL ? json_loadb(b->data, b->len, 0, NULL) : NULL;
	json_t *err = json_object_get(j, "error");
	const char *code = json_string_value(json_object_get(err, "code"));
	const char *msg = json_string_value(json_object_get(err, "message"));

	if (code != NULL && msg != NULL) {
		json_t *details = json_object_get(err, "details");

		fprintf(stderr, "pingshen: %s (%s, HTTP %ld)\n", msg, code,
			status);
		/* Problems and conflicts say more than the message. */
		if (json_array_size(json_object_get(details, "unmet")) > 0)
			api_print_list(json_object_get(details, "unmet"));
		else if (json_array_size(json_object_get(details, "problems")) >
			 0)
			api_print_list(json_object_get(details, "problems"));
		else if (details != NULL && json_object_size(details) > 0) {
			char *text = json_dumps(details, JSON_COMPACT);

			fprintf(stderr, "pingshen: details: %s\n",
				text != NULL ? text : "?");
			free(text);
		}
	} else
		fprintf(stderr, "pingshen: the server answered HTTP %ld\n",
			status);
	if (a->json && j != NULL) {
		char *text = json_dumps(j, JSON_INDENT(2));

		if (text != NULL)
			puts(text);
		free(text);
	}
	json_decref(j);
}

/*
 * Performs one request; on a 2xx leaves the body in *b (caller frees
 * b->data) and returns PS_EXIT_OK.
 */
static int
api_perform(struct api *a, const char *method, const char *path,
	    const char *body, struct api_buf *b)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *headers = NULL;
	char *url = xasprintf("%s/api/v1%s", a->base, path), *auth = NULL;
	CURL *curl = curl_easy_init();
	CURLcode rc;
	long status = 0;
	int result;

	if (curl == NULL)
		abort();
	memset(b, 0, sizeof *b);
	headers = curl_slist_append(headers, "Accept: application/json");
	if (a->token != NULL) {
		auth = xasprintf("Authorization: Bearer %s", a->token);
		headers = curl_slist_append(headers, auth);
	}
	if (body != NULL) {
		headers = curl_slist_append(headers,
					    "Content-Type: application/json");
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE,
				 (long)strlen(body));
	}
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
	if (a->ca != NULL)
		curl_easy_setopt(curl, CURLOPT_CAINFO, a->ca);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 300L);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "pingshen/0.1");
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, api_write);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, b);
	rc = curl_easy_perform(curl);
	if (rc != CURLE_OK) {
		fprintf(stderr, "pingshen: cannot talk to %s: %s\n", a->base,
			errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc));
		result = PS_EXIT_CONNECT;
	} else {
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
		if (status >= 200 && status < 300)
			result = PS_EXIT_OK;
		else {
			api_print_error(a, status, b);
			result = PS_EXIT_REFUSED;
		}
	}
	if (result != PS_EXIT_OK) {
		free(b->data);
		memset(b, 0, sizeof *b);
	}
	curl_easy_cleanup(curl);
	curl_slist_free_all(headers);
	free(url);
	free(auth);
	return result;
}

int
api_call(struct api *a, const char *method, const char *path,
	 const json_t *body, json_t **out)
{
	struct api_buf b;
	char *text = NULL;
	bool sends =
	    strcmp(method, "GET") != 0 && strcmp(method, "DELETE") != 0;
	json_error_t jerr;
	int rc;

	*out = NULL;
	if (body != NULL || sends) {
		text = body != NULL ? json_dumps(body, JSON_COMPACT)
				    : xstrdup("{}");
		if (text == NULL)
			abort();
	}
	rc = api_perform(a, method, path, text, &b);
	free(text);
	if (rc != PS_EXIT_OK)
		return rc;
	if (b.len > 0) {
		*out = json_loadb(b.data, b.len, 0, &jerr);
		if (*out == NULL) {
			fprintf(stderr,
				"pingshen: the server's answer is not JSON: "
				"%s\n",
				jerr.text);
			rc = PS_EXIT_REFUSED;
		}
	}
	free(b.data);
	return rc;
}

int
api_get_text(struct api *a, const char *path, char **out)
{
	struct api_buf b;
	int rc = api_perform(a, "GET", path, NULL, &b);

	*out = NULL;
	if (rc == PS_EXIT_OK)
		*out = b.data != NULL ? b.data : xstrdup("");
	return rc;
}

int
api_list_all(struct api *a, const char *path, int page, size_t max_items,
	     json_t **items)
{
	char *cursor = NULL;
	int rc = PS_EXIT_OK;

	*items = json_array();
	for (;;) {
		char *url = xasprintf("%s%climit=%d%s%s", path,
				      strchr(path, '?') != NULL ? '&' : '?',
				      page, cursor != NULL ? "&after=" : "",
				      cursor != NULL ? cursor : "");
		json_t *resp = NULL, *list, *next;

		rc = api_call(a, "GET", url, NULL, &resp);
		free(url);
		free(cursor);
		cursor = NULL;
		if (rc != PS_EXIT_OK)
			break;
		list = json_object_get(resp, "items");
		next = json_object_get(resp, "next");
		if (!json_is_array(list)) {
			fputs("pingshen: the server's list has no items\n",
			      stderr);
			json_decref(resp);
			rc = PS_EXIT_REFUSED;
			break;
		}
		json_array_extend(*items, list);
		if (json_is_string(next) && json_array_size(list) > 0)
			cursor = xstrdup(json_string_value(next));
		json_decref(resp);
		if (max_items > 0 && json_array_size(*items) >= max_items) {
			while (json_array_size(*items) > max_items)
				json_array_remove(*items,
						  json_array_size(*items) - 1);
			break;
		}
		if (cursor == NULL)
			break;
	}
	free(cursor);
	if (rc != PS_EXIT_OK) {
		json_decref(*items);
		*items = NULL;
	}
	return rc;
}
