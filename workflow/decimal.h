/*
 * Fixed-point decimals as they travel in the API: scores "86.42" (hundredths),
 * weights "0.054" (thousandths), thresholds "85".  Parsing is strict because
 * its input comes from clients: digits, at most one point, no sign, no
 * exponent, no spaces, and no more decimals than the unit allows.
 */
#ifndef PINGSHEN_DECIMAL_H
#define PINGSHEN_DECIMAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DEC_MAX_DECIMALS 18

/*
 * Parses s[0..len) as a non-negative decimal with at most `decimals`
 * fractional digits into an integer count of 10^-decimals units: with
 * decimals 2, "85.5" gives 8550.  Fails (false, *out untouched) on any
 * other syntax, on more fractional digits than allowed, or when the value
 * exceeds max units.  s need not be NUL-terminated.
 */
bool dec_parse(const char *s, size_t len, int decimals, int64_t max,
	       int64_t *out) __attribute__((warn_unused_result));

/*
 * Writes v units of 10^-decimals as a decimal with exactly `decimals`
 * fractional digits (8550, 2 → "85.50"; -5, 2 → "-0.05") into buf of size
 * len; truncates like snprintf.  Returns buf.
 */
char *dec_format(int64_t v, int decimals, char *buf, size_t len);

#endif
