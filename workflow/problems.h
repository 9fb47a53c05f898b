/*
 * A list of problems found in one pass: table validation and stage guards
 * report every problem at once, so a secretary fixes them all in one go
 * instead of discovering them one request at a time.
 */
#ifndef PINGSHEN_PROBLEMS_H
#define PINGSHEN_PROBLEMS_H

#include <stdarg.h>
#include <stddef.h>

struct problem {
	const char *code; /* stable snake_case code; static storage */
	char *subject;	  /* what it is about (an item code), or NULL */
	char *message;	  /* a sentence a person understands */
};

/* Zero-initialize to start empty ({0}); release with problems_free. */
struct problems {
	struct problem *items;
	size_t n;
	size_t cap;
};

/*
 * Appends a problem.  code must be a string literal (it is not copied);
 * subject may be NULL and is copied; the message is formatted and owned by
 * the list.
 */
void problems_add(struct problems *list, const char *code, const char *subject,
		  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* The same, with the format's arguments already gathered. */
void problems_addv(struct problems *list, const char *code, const char *subject,
		   const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

/* Returns the first problem with this code, or NULL. */
const struct problem *problems_find(const struct problems *list,
				    const char *code);

/* Frees every entry and leaves the list empty and reusable. */
void problems_free(struct problems *list);

#endif
