/* A growable list of problems reported together. */
#include "problems.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

void
problems_add(struct problems *list, const char *code, const char *subject,
	     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	problems_addv(list, code, subject, fmt, ap);
	va_end(ap);
}

void
problems_addv(struct problems *list, const char *code, const char *subject,
	      const char *fmt, va_list ap)
{
	struct problem *p;
	va_list copy;
	int len;

	if (list->n == list->cap) {
		list->cap = list->cap ? list->cap * 2 : 8;
		list->items =
		    xreallocarray(list->items, list->cap, sizeof *list->items);
	}
	p = &list->items[list->n++];
	p->code = code;
	p->subject = subject ? xstrdup(subject) : NULL;

	va_copy(copy, ap);
	len = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	p->message = xmalloc(len > 0 ? (size_t)len + 1 : 1);
	p->message[0] = '\0';
	vsnprintf(p->message, len > 0 ? (size_t)len + 1 : 1, fmt, ap);
}

const struct problem *
problems_find(const struct problems *list, const char *code)
{
	for (size_t i = 0; i < list->n; i++) {
		if (strcmp(list->items[i].code, code) == 0)
			return &list->items[i];
	}
	return NULL;
}

void
problems_free(struct problems *list)
{
	for (size_t i = 0; i < list->n; i++) {
		free(list->items[i].subject);
		free(list->items[i].message);
	}
	free(list->items);
	list->items = NULL;
	list->n = list->cap = 0;
}
