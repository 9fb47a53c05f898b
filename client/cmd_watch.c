/*
 * watch: a meeting's live events (GET /meetings/ID/events, Server-Sent
 * Events) printed as "HH:MM:SS EVENT DATA" lines as they arrive.  The
 * stream is read with libcurl's write callback, split into lines and the
 * lines into events at blank lines; comments (": heartbeat") are not
 * printed, but the first, ": subscribed", is announced on standard error
 * so that a script knows when events will be seen.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "cmd.h"
#include "config.h"
#include "xalloc.h"

/* Not in cmd.h's list: main.c declares it where the table is. */
cmd_fn cmd_watch;

struct watch {
	CURL *curl;
	long long max;	   /* --count, or 0 */
	long long printed; /* events printed */
	bool subscribed;   /* ": subscribed" seen */
	bool failed;	   /* the answer is not 2xx: body kept in buf */
	bool after_cr;	   /* the last byte split was a CR */
	char *buf;	   /* bytes not yet split into lines */
	size_t len;
	char *event; /* the event being read: its name and data */
	char *data;
};

/* Prints the event read so far, if any, and forgets it. */
static void
watch_dispatch(struct watch *w)
{
	char stamp[16];
	time_t now;
	struct tm tm;

	if (w->data == NULL) {
		free(w->event);
		w->event = NULL;
		return;
	}
	now = time(NULL);
	if (localtime_r(&now, &tm) == NULL ||
	    strftime(stamp, sizeof stamp, "%H:%M:%S", &tm) == 0)
		strcpy(stamp, "--:--:--");
	printf("%s %s %s\n", stamp, w->event != NULL ? w->event : "message",
	       w->data);
	fflush(stdout);
	w->printed++;
	free(w->event);
	free(w->data);
	w->event = w->data = NULL;
}

/* One line of the stream (without its end), as the SSE format reads it. */
static void
watch_line(struct watch *w, char *line)
{
	char *value;

	if (*line == '\0') {
		watch_dispatch(w);
		return;
	}
	if (*line == ':') {
		if (!w->subscribed && strcmp(line, ": subscribed") == 0) {
			w->subscribed = true;
			fputs("subscribed\n", stderr);
			fflush(stderr);
		}
		return;
	}
	value = strchr(line, ':');
	if (value != NULL) {
		*value++ = '\0';
		if (*value == ' ')
			value++;
	} else
		value = line + strlen(line);
	if (strcmp(line, "event") == 0) {
		free(w->event);
		w->event = xstrdup(value);
	} else if (strcmp(line, "data") == 0) {
		char *data = w->data == NULL
				 ? xstrdup(value)
				 : xasprintf("%s\n%s", w->data, value);

		free(w->data);
		w->data = data;
	}
	/* id, retry and unknown fields: nothing to print. */
}

/* libcurl's write callback: splits what arrives into lines. */
static size_t
watch_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct watch *w = userdata;
	size_t n = size * nmemb, start = 0;
	long status = 0;

	w->buf = xreallocarray(w->buf, w->len + n + 1, 1);
	memcpy(w->buf + w->len, ptr, n);
	w->len += n;
	w->buf[w->len] = '\0';
	curl_easy_getinfo(w->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status < 200 || status >= 300) {
		/* An error answer: kept whole to print its message. */
		w->failed = true;
		return w->len > 65536 ? 0 : n;
	}
	for (size_t i = 0; i < w->len; i++) {
		char c = w->buf[i];

		/* A line ends at CRLF, LF or CR. */
		if (c == '\n' && w->after_cr) {
			w->after_cr = false;
			start = i + 1;
			continue;
		}
		w->after_cr = false;
		if (c != '\n' && c != '\r')
			continue;
		w->after_cr = c == '\r';
		w->buf[i] = '\0';
		watch_line(w, w->buf + start);
		start = i + 1;
		if (w->max > 0 && w->printed >= w->max) {
			w->len = 0;
			return 0; /* enough: end the transfer */
		}
	}
	memmove(w->buf, w->buf + start, w->len - start);
	w->len -= start;
	if (w->len > 1 << 20)
		return 0; /* a line of a megabyte: not this server */
	return n;
}

/* Prints an error answer's message and code, or its status. */
static void
watch_print_error(const struct watch *w, long status)
{
	json_t *j = w->buf != NULL ? json_loadb(w->buf, w->len, 0, NULL) : NULL;
	json_t *err = json_object_get(j, "error");
	const char *code = json_string_value(json_object_get(err, "code"));
	const char *msg = json_string_value(json_object_get(err, "message"));

	if (code != NULL && msg != NULL)
		fprintf(stderr, "pingshen: %s (%s, HTTP %ld)\n", msg, code,
			status);
	else
		fprintf(stderr, "pingshen: the server answered HTTP %ld\n",
			status);
	json_decref(j);
}

int
cmd_watch(struct cmd_ctx *ctx)
{
	struct args_opt opts[] = {{.name = "count", .kind = ARGS_VALUE},
				  {.name = NULL}};
	struct args a;
	struct api *api = NULL;
	struct watch w = {0};
	struct curl_slist *headers = NULL;
	char errbuf[CURL_ERROR_SIZE] = "", *server = NULL, *ca = NULL;
	char *token = NULL, *auth = NULL, *url = NULL;
	long long id;
	long status = 0;
	CURLcode cc;
	int rc;

	if (!cmd_args(ctx, &a, opts, 1, 1) ||
	    !cmd_id(a.pos[0], "MEETING", &id) ||
	    (args_value(&a, "count") != NULL &&
	     !cmd_id(args_value(&a, "count"), "--count", &w.max))) {
		rc = cmd_usage(ctx);
		goto out;
	}
	/* The checks of every command (logged in, an https URL)... */
	rc = cmd_connect(ctx, true, &api);
	if (rc != PS_EXIT_OK)
		goto out;
	/* ...and the same server, CA and token for the stream. */
	cmd_server(ctx, &server, &ca);
	token = config_token_read();
	if (token == NULL) {
		rc = PS_EXIT_USAGE;
		goto out;
	}
	url = xasprintf("%s/api/v1/meetings/%lld/events", api_server(api), id);
	auth = xasprintf("Authorization: Bearer %s", token);
	headers = curl_slist_append(headers, "Accept: text/event-stream");
	headers = curl_slist_append(headers, auth);
	w.curl = curl_easy_init();
	if (w.curl == NULL)
		abort();
	curl_easy_setopt(w.curl, CURLOPT_URL, url);
	curl_easy_setopt(w.curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(w.curl, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(w.curl, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(w.curl, CURLOPT_SSL_VERIFYHOST, 2L);
	if (ca != NULL)
		curl_easy_setopt(w.curl, CURLOPT_CAINFO, ca);
	curl_easy_setopt(w.curl, CURLOPT_CONNECTTIMEOUT, 10L);
	/* No overall timeout; a server silent for a minute (heartbeats
	 * come every 15 s) is a lost connection. */
	curl_easy_setopt(w.curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(w.curl, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(w.curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(w.curl, CURLOPT_USERAGENT, "pingshen/0.1");
	curl_easy_setopt(w.curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(w.curl, CURLOPT_WRITEFUNCTION, watch_write);
	curl_easy_setopt(w.curl, CURLOPT_WRITEDATA, &w);
	cc = curl_easy_perform(w.curl);
	curl_easy_getinfo(w.curl, CURLINFO_RESPONSE_CODE, &status);
	if (w.failed || (cc == CURLE_OK && (status < 200 || status >= 300))) {
		watch_print_error(&w, status);
		rc = PS_EXIT_REFUSED;
	} else if (w.max > 0 && w.printed >= w.max)
		rc = PS_EXIT_OK;
	else if (cc == CURLE_OK) {
		/* The server ended the stream (an event without its blank
		 * line is dropped, as the format says). */
		fputs("pingshen: the server ended the stream\n", stderr);
		rc = PS_EXIT_OK;
	} else {
		fprintf(stderr, "pingshen: cannot talk to %s: %s\n",
			api_server(api),
			errbuf[0] != '\0' ? errbuf : curl_easy_strerror(cc));
		rc = PS_EXIT_CONNECT;
	}
	curl_easy_cleanup(w.curl);
out:
	curl_slist_free_all(headers);
	free(w.buf);
	free(w.event);
	free(w.data);
	free(url);
	if (auth != NULL)
		memset(auth, 0, strlen(auth));
	free(auth);
	if (token != NULL)
		memset(token, 0, strlen(token));
	free(token);
	free(server);
	free(ca);
	api_free(api);
	args_free(&a);
	return rc;
}
