/*
 * Allocation that never returns NULL: running out of memory aborts, so no
 * caller carries an unchecked NULL branch.  Sizes that come from input must
 * still be validated before they reach these functions.
 */
#ifndef PINGSHEN_XALLOC_H
#define PINGSHEN_XALLOC_H

#include <stddef.h>

/* Each returns memory the caller frees with free(). */
void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
/* Aborts when nmemb * size overflows. */
void *xreallocarray(void *ptr, size_t nmemb, size_t size);
/* s must not be NULL; xstrndup stops at a NUL like POSIX strndup. */
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* printf into a new string. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
