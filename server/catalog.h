/*
 * The built-in templates, parsed once and kept for the life of the
 * process (they are compiled into the binary and never change).
 */
#ifndef PINGSHEN_CATALOG_H
#define PINGSHEN_CATALOG_H

#include <stddef.h>

#include "template.h"

/* The i-th built-in template, or NULL past the last.  Owned by the
 * catalog; valid until catalog_free. */
const struct template *catalog_template(size_t i);

/* The built-in template with this id, or NULL. */
const struct template *catalog_find(const char *id);

/* Frees the parsed templates (at exit). */
void catalog_free(void);

#endif
