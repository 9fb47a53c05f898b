/*
 * Requests to pingshend's API over HTTPS with libcurl: the base URL, the
 * bearer token, JSON in and out, and the mapping of every failure to the
 * client's exit status (printing the server's message and code).  TLS
 * peer and host verification are always on; a private CA is only ever
 * added as a trust anchor.
 */
#ifndef PINGSHEN_API_H
#define PINGSHEN_API_H

#include <stdbool.h>

#include <jansson.h>

/* The exit statuses of pingshen (documented in `pingshen --help`). */
enum {
	PS_EXIT_OK = 0,	     /* success */
	PS_EXIT_REFUSED = 1, /* the server refused, or a check failed */
	PS_EXIT_USAGE = 2,   /* usage error, not logged in, bad local file */
	PS_EXIT_CONNECT = 3, /* connection or TLS failure */
};

struct api;

/*
 * A client for server (https://HOST:PORT, with or without /api/v1), ca (a
 * PEM file to trust, or NULL for the system's), token (or NULL); all
 * copied.  NULL with a message when server is not an https URL.  Caller
 * frees with api_free.
 */
struct api *api_new(const char *server, const char *ca, const char *token);
void api_free(struct api *a);
/* With on, an error answer's JSON is also printed on standard output. */
void api_set_json(struct api *a, bool on);
/* The base URL without a trailing slash or /api/v1 (api keeps it). */
const char *api_server(const struct api *a);

/*
 * Sends method path (from /api/v1, e.g. "/me", query included) with body
 * (borrowed; NULL sends none on GET/DELETE and {} otherwise).  On a 2xx,
 * *out is the answer's JSON (caller decrefs; NULL for an empty body) and
 * the result is PS_EXIT_OK; otherwise the failure was printed and *out is
 * NULL.
 */
int api_call(struct api *a, const char *method, const char *path,
	     const json_t *body, json_t **out)
    __attribute__((warn_unused_result));
/*
 * GETs every page of the list at path (which may carry a query already),
 * following "next" with limit=page, into *items (one array, caller
 * decrefs).  max_items > 0 stops after that many.
 */
int api_list_all(struct api *a, const char *path, int page, size_t max_items,
		 json_t **items) __attribute__((warn_unused_result));
/* GET path, the answer's body as text (caller frees) in *out. */
int api_get_text(struct api *a, const char *path, char **out)
    __attribute__((warn_unused_result));

#endif
