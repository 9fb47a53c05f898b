/*
 * server/openapi.json against the router: the set of (method, path) in
 * http_routes (routes.c) must equal the set of operations in the
 * document's "paths", so neither can gain or lose an endpoint alone.
 *
 * How the two are compared:
 *   - The document's server URL carries "/api/v1" and its paths do not, so
 *     every route pattern must start with "/api/v1/" and is compared
 *     without that prefix (and the server URL must end with "/api/v1").
 *   - Placeholders are normalized to "{}": routes.c writes
 *     "/meetings/{id}/rounds/{id}/close" where the document, whose path
 *     parameters need distinct names, writes "/meetings/{id}/rounds/{n}/close";
 *     both become "/meetings/{}/rounds/{}/close".
 *   - Methods are compared in upper case.  HEAD is implicit for GET routes
 *     (the router answers it), so the document need not list it: a "head"
 *     operation beside a "get" one is not counted.
 *
 * Beyond the two sets: every operation has a unique operationId and at least
 * one response, every {name} of a path is declared as a path parameter (and
 * no other), and every "$ref" anywhere in the document resolves within it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "http.h"
#include "router.h"
#include "xalloc.h"

#define SELF	   "tests/unit/test_openapi.c"
#define DOC	   "server/openapi.json"
#define API_PREFIX "/api/v1"

static const char *const http_methods[] = {
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
};

/* A set of strings: appended, then sorted for lookups and printing. */
struct strset {
	char **v;
	size_t n, cap;
};

static void
strset_add(struct strset *s, char *owned)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 64;
		s->v = xreallocarray(s->v, s->cap, sizeof *s->v);
	}
	s->v[s->n++] = owned;
}

static int
strset_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
strset_sort(struct strset *s)
{
	if (s->n > 0)
		qsort(s->v, s->n, sizeof *s->v, strset_cmp);
}

static bool
strset_has(const struct strset *s, const char *key)
{
	return s->n > 0 &&
	       bsearch(&key, s->v, s->n, sizeof *s->v, strset_cmp) != NULL;
}

static void
strset_free(struct strset *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof *s);
}

/* The first element that is there twice in a sorted set, or NULL. */
static const char *
strset_duplicate(const struct strset *s)
{
	for (size_t i = 1; i < s->n; i++) {
		if (strcmp(s->v[i - 1], s->v[i]) == 0)
			return s->v[i];
	}
	return NULL;
}

/* path with every "{name}" as "{}" (new string). */
static char *
normalize(const char *path)
{
	char *out = xmalloc(strlen(path) + 1), *o = out;

	while (*path != '\0') {
		if (*path == '{' && strchr(path, '}') != NULL) {
			*o++ = '{';
			*o++ = '}';
			path = strchr(path, '}') + 1;
		} else {
			*o++ = *path++;
		}
	}
	*o = '\0';
	return out;
}

static const char *
route_method_name(int method)
{
	static const char *const names[] = {"GET",   "HEAD",   "POST",	 "PUT",
					    "PATCH", "DELETE", "OPTIONS"};

	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		if (method == 1 << i)
			return names[i];
	}
	return "?";
}

static char *
upper(const char *s)
{
	char *out = xstrdup(s);

	for (char *p = out; *p != '\0'; p++) {
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	}
	return out;
}

static int
load_doc(void **state)
{
	size_t len = strlen(__FILE__), self_len = strlen(SELF);
	json_error_t err;
	char *path;
	json_t *doc;

	if (len < self_len || strcmp(__FILE__ + len - self_len, SELF) != 0) {
		fprintf(stderr, "cannot locate the source tree from %s\n",
			__FILE__);
		return -1;
	}
	path = xasprintf("%.*s%s", (int)(len - self_len), __FILE__, DOC);
	doc = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
	if (doc == NULL) {
		fprintf(stderr, "%s:%d:%d: %s\n", path, err.line, err.column,
			err.text);
		free(path);
		return -1;
	}
	free(path);
	*state = doc;
	return 0;
}

static int
free_doc(void **state)
{
	json_decref(*state);
	return 0;
}

/* The operations of a path item: its members named after HTTP methods. */
static bool
is_method(const char *key)
{
	for (size_t i = 0; i < sizeof http_methods / sizeof *http_methods;
	     i++) {
		if (strcmp(key, http_methods[i]) == 0)
			return true;
	}
	return false;
}

static void
test_document_shape(void **state)
{
	json_t *doc = *state;
	const char *version =
	    json_string_value(json_object_get(doc, "openapi"));
	const char *url = json_string_value(json_object_get(
	    json_array_get(json_object_get(doc, "servers"), 0), "url"));

	assert_non_null(version);
	assert_memory_equal(version, "3.1.", 4);
	assert_non_null(json_object_get(doc, "info"));
	assert_true(json_is_object(json_object_get(doc, "paths")));
	/* The paths are relative to the server URL, which holds the prefix. */
	assert_non_null(url);
	assert_true(strlen(url) >= strlen(API_PREFIX));
	assert_string_equal(url + strlen(url) - strlen(API_PREFIX), API_PREFIX);
}

static void
test_routes_and_paths_are_the_same_set(void **state)
{
	json_t *doc = *state, *paths = json_object_get(doc, "paths"), *item;
	struct strset routes = {0}, documented = {0};
	const char *p, *method, *dup;
	char *report = xstrdup(""), *next;
	size_t missing = 0, extra = 0;
	json_t *operation;

	for (size_t i = 0; i < http_routes_n; i++) {
		const char *pattern = http_routes[i].pattern;
		char *norm;

		if (strncmp(pattern, API_PREFIX "/", strlen(API_PREFIX) + 1) !=
		    0)
			fail_msg("route %s does not start with " API_PREFIX "/",
				 pattern);
		norm = normalize(pattern + strlen(API_PREFIX));
		strset_add(&routes,
			   xasprintf("%s %s",
				     route_method_name(http_routes[i].method),
				     norm));
		free(norm);
	}
	json_object_foreach(paths, p, item)
	{
		char *norm = normalize(p);
		bool has_get = json_object_get(item, "get") != NULL;

		json_object_foreach(item, method, operation)
		{
			char *m;

			if (!is_method(method) ||
			    (has_get && strcmp(method, "head") == 0))
				continue;
			m = upper(method);
			strset_add(&documented, xasprintf("%s %s", m, norm));
			free(m);
		}
		free(norm);
	}
	strset_sort(&routes);
	strset_sort(&documented);
	if ((dup = strset_duplicate(&routes)) != NULL)
		fail_msg("routes.c has %s twice: the second is never reached",
			 dup);
	if ((dup = strset_duplicate(&documented)) != NULL)
		fail_msg("openapi.json documents %s twice (paths that differ "
			 "only in placeholder names)",
			 dup);

	for (size_t i = 0; i < routes.n; i++) {
		if (strset_has(&documented, routes.v[i]))
			continue;
		next = xasprintf("%s\n  only in server/routes.c:    %s", report,
				 routes.v[i]);
		free(report);
		report = next;
		missing++;
	}
	for (size_t i = 0; i < documented.n; i++) {
		if (strset_has(&routes, documented.v[i]))
			continue;
		next = xasprintf("%s\n  only in server/openapi.json: %s",
				 report, documented.v[i]);
		free(report);
		report = next;
		extra++;
	}
	if (missing + extra > 0) {
		print_error(
		    "%zu route(s) undocumented, %zu documented "
		    "operation(s) without a route (paths without " API_PREFIX
		    ", placeholders as {}):%s\n",
		    missing, extra, report);
		free(report);
		strset_free(&routes);
		strset_free(&documented);
		fail();
	}
	assert_int_equal(routes.n, http_routes_n);
	free(report);
	strset_free(&routes);
	strset_free(&documented);
}

/*
 * Resolves a local JSON pointer ("#/components/schemas/User") in doc;
 * NULL when it names nothing or is not local.
 */
static json_t *
resolve_ref(json_t *doc, const char *ref)
{
	json_t *at = doc;
	const char *p;

	if (ref[0] != '#')
		return NULL;
	p = ref + 1;
	while (*p == '/') {
		const char *end = strchr(p + 1, '/');
		size_t len = end ? (size_t)(end - p - 1) : strlen(p + 1);
		char *token = xmalloc(len + 1), *t = token;

		for (size_t i = 0; i < len; i++) {
			char c = p[1 + i];

			if (c == '~' && i + 1 < len &&
			    (p[2 + i] == '0' || p[2 + i] == '1')) {
				*t++ = p[2 + i] == '0' ? '~' : '/';
				i++;
			} else {
				*t++ = c;
			}
		}
		*t = '\0';
		if (json_is_object(at)) {
			at = json_object_get(at, token);
		} else if (json_is_array(at)) {
			char *stop;
			unsigned long k = strtoul(token, &stop, 10);

			at = (*token && *stop == '\0') ? json_array_get(at, k)
						       : NULL;
		} else {
			at = NULL;
		}
		free(token);
		if (at == NULL)
			return NULL;
		p += 1 + len;
	}
	return *p == '\0' ? at : NULL;
}

/* Counts the "$ref"s under node and reports each one that fails. */
static void
check_refs(json_t *doc, json_t *node, const char *where, size_t *n, size_t *bad)
{
	const char *key;
	json_t *v;
	size_t i;

	if (json_is_object(node)) {
		json_t *ref = json_object_get(node, "$ref");

		if (ref != NULL) {
			(*n)++;
			if (!json_is_string(ref) ||
			    resolve_ref(doc, json_string_value(ref)) == NULL) {
				print_error("unresolved $ref %s at %s\n",
					    json_is_string(ref)
						? json_string_value(ref)
						: "(not a string)",
					    where);
				(*bad)++;
			}
		}
		json_object_foreach(node, key, v)
		{
			char *sub = xasprintf("%s/%s", where, key);

			check_refs(doc, v, sub, n, bad);
			free(sub);
		}
	} else if (json_is_array(node)) {
		json_array_foreach(node, i, v)
		{
			char *sub = xasprintf("%s/%zu", where, i);

			check_refs(doc, v, sub, n, bad);
			free(sub);
		}
	}
}

static void
test_every_ref_resolves(void **state)
{
	json_t *doc = *state;
	size_t n = 0, bad = 0;

	check_refs(doc, doc, "#", &n, &bad);
	assert_true(n > 0);
	assert_int_equal(bad, 0);
}

/* Adds "name" of every path parameter in list (refs followed) to names. */
static void
collect_path_params(json_t *doc, json_t *list, struct strset *names)
{
	size_t i;
	json_t *param;

	json_array_foreach(list, i, param)
	{
		const char *ref =
		    json_string_value(json_object_get(param, "$ref"));
		const char *in, *name;

		if (ref != NULL)
			param = resolve_ref(doc, ref);
		in = json_string_value(json_object_get(param, "in"));
		name = json_string_value(json_object_get(param, "name"));
		if (in != NULL && name != NULL && strcmp(in, "path") == 0)
			strset_add(names, xstrdup(name));
	}
}

static void
test_every_operation_is_complete(void **state)
{
	json_t *doc = *state, *paths = json_object_get(doc, "paths"), *item;
	struct strset ids = {0};
	const char *p, *method, *dup;
	json_t *operation;
	size_t n_operations = 0;

	json_object_foreach(paths, p, item)
	{
		json_object_foreach(item, method, operation)
		{
			const char *id;
			json_t *responses =
			    json_object_get(operation, "responses");
			struct strset declared = {0}, templated = {0};
			const char *c;

			if (!is_method(method))
				continue;
			n_operations++;
			id = json_string_value(
			    json_object_get(operation, "operationId"));
			if (id == NULL || id[0] == '\0')
				fail_msg("%s %s has no operationId", method, p);
			strset_add(&ids, xstrdup(id));
			if (!json_is_object(responses) ||
			    json_object_size(responses) == 0)
				fail_msg("%s %s (%s) has no response", method,
					 p, id);

			/* {name} in the path <=> a path parameter "name". */
			collect_path_params(doc,
					    json_object_get(item, "parameters"),
					    &declared);
			collect_path_params(
			    doc, json_object_get(operation, "parameters"),
			    &declared);
			for (c = strchr(p, '{'); c != NULL;
			     c = strchr(c + 1, '{')) {
				const char *end = strchr(c, '}');

				assert_non_null(end);
				strset_add(
				    &templated,
				    xstrndup(c + 1, (size_t)(end - c - 1)));
			}
			strset_sort(&declared);
			strset_sort(&templated);
			for (size_t i = 0; i < templated.n; i++) {
				if (!strset_has(&declared, templated.v[i]))
					fail_msg("%s %s: {%s} is not declared "
						 "as a path parameter",
						 method, p, templated.v[i]);
			}
			for (size_t i = 0; i < declared.n; i++) {
				if (!strset_has(&templated, declared.v[i]))
					fail_msg("%s %s: path parameter %s is "
						 "not in the path",
						 method, p, declared.v[i]);
			}
			if ((dup = strset_duplicate(&templated)) != NULL)
				fail_msg("%s: {%s} is used twice; name the "
					 "placeholders distinctly",
					 p, dup);
			strset_free(&declared);
			strset_free(&templated);
		}
	}
	assert_true(n_operations > 0);
	strset_sort(&ids);
	if ((dup = strset_duplicate(&ids)) != NULL)
		fail_msg("operationId %s is used twice", dup);
	strset_free(&ids);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_document_shape),
	    cmocka_unit_test(test_routes_and_paths_are_the_same_set),
	    cmocka_unit_test(test_every_ref_resolves),
	    cmocka_unit_test(test_every_operation_is_complete),
	};

	return cmocka_run_group_tests(tests, load_doc, free_doc);
}
