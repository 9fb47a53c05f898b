/*
 * libFuzzer harness for exact numbers as text: dec_parse, dec_format and
 * rat_format (workflow/decimal.c, workflow/rat.c).  Byte 0 picks the
 * decimals (-1 to 19, both ends invalid), byte 1 the maximum; the rest is
 * the text to parse, held in a buffer of exactly its length so that a
 * read past it is caught; its first 16 bytes are also a value to format
 * and a fraction to round.
 *
 * Invariants: dec_parse accepts exactly the API's decimals within the
 * maximum, with the value an independent reader finds; dec_format gives
 * back a canonical text that parses to the same value and truncates like
 * snprintf; rat_format rounds half up to within half a unit, or says
 * "overflow" only when the rounded value does not fit in 64 bits.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decimal.h"
#include "fuzz_server.h"
#include "rat.h"

static const int64_t decimal_maxima[] = {
    0,	   1,	 99,	  100, 1000,	  10000,	 100000,
    10001, 9999, 1000000, -1,  INT64_MAX, INT64_MAX - 1, INT64_MAX / 10,
};

#define DECIMAL_N_MAXIMA (sizeof decimal_maxima / sizeof *decimal_maxima)

/* An independent reader: digits, optionally a point and digits, at most
 * `decimals` of them; the value in 10^-decimals units up to max. */
static bool
decimal_read(const char *s, size_t len, int decimals, int64_t max, int64_t *out)
{
	size_t point = len, frac;
	__int128 v = 0;

	if (decimals < 0 || decimals > DEC_MAX_DECIMALS || max < 0 || len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '.' && point == len && i > 0 && i + 1 < len)
			point = i;
		else if (s[i] < '0' || s[i] > '9')
			return false;
	}
	frac = point == len ? 0 : len - point - 1;
	if (frac > (size_t)decimals)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (i == point)
			continue;
		v = v * 10 + (s[i] - '0');
		if (v > max)
			return false;
	}
	for (; frac < (size_t)decimals; frac++) {
		v *= 10;
		if (v > max)
			return false;
	}
	*out = (int64_t)v;
	return true;
}

static int64_t
decimal_int64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return (int64_t)v;
}

/* dec_format(v, d) is canonical and reads back. */
static void
decimal_check_format(int64_t v, int decimals, size_t cut)
{
	char buf[48], small[8];
	const char *digits;
	size_t len;
	int d = decimals < 0 || decimals > DEC_MAX_DECIMALS ? 0 : decimals;
	uint64_t mag = v < 0 ? -(uint64_t)v : (uint64_t)v, back = 0;

	dec_format(v, decimals, buf, sizeof buf);
	len = strlen(buf);
	digits = buf + (v < 0);
	fuzz_check((v < 0) == (buf[0] == '-'), "the sign is shown");
	fuzz_check(d == 0 ? strchr(digits, '.') == NULL
			  : len > (size_t)d + 1 && buf[len - d - 1] == '.',
		   "a value has exactly its decimals");
	fuzz_check(digits[0] != '0' || digits[1] == '\0' || digits[1] == '.',
		   "no leading zeros");
	for (const char *p = digits; *p != '\0'; p++) {
		if (*p != '.')
			back = back * 10 + (uint64_t)(*p - '0');
	}
	fuzz_check(back == mag, "the text is the value");
	if (v >= 0 && decimals == d) {
		int64_t again;

		fuzz_check(dec_parse(buf, len, d, INT64_MAX, &again) &&
			       again == v,
			   "a formatted value parses back");
	}
	dec_format(v, decimals, small, cut);
	fuzz_check(strlen(small) < cut && strncmp(small, buf, cut - 1) == 0,
		   "dec_format truncates like snprintf");
}

/* floor(n / d) for d > 0. */
static __int128
decimal_floor_div(__int128 n, __int128 d)
{
	__int128 q = n / d;

	return n % d != 0 && n < 0 ? q - 1 : q;
}

/* The number a decimal text (an optional '-', digits, a point and
 * exactly `decimals` digits) stands for, in 10^-decimals units. */
static bool
decimal_units(const char *s, int decimals, __int128 *out)
{
	bool negative = *s == '-';
	const char *dot;
	__int128 v = 0;

	s += negative;
	dot = strchr(s, '.');
	if ((decimals == 0) != (dot == NULL) ||
	    (dot != NULL && strlen(dot + 1) != (size_t)decimals))
		return false;
	for (; *s != '\0'; s++) {
		if (*s == '.')
			continue;
		if (*s < '0' || *s > '9' || v > INT64_MAX)
			return false;
		v = v * 10 + (*s - '0');
	}
	*out = negative ? -v : v;
	return true;
}

/* rat_format(num/den, d) is the value rounded half up, or "overflow". */
static void
decimal_check_rat(int64_t num, int64_t den, int decimals)
{
	struct rat a;
	char buf[RAT_FORMAT_MAX];
	__int128 scale = 1, w, diff, q;

	if (!rat_make(num, den, &a))
		return;
	rat_format(a, decimals, buf);
	fuzz_check(strlen(buf) < RAT_FORMAT_MAX, "rat_format fits its buffer");
	if (decimals < 0 || decimals > DEC_MAX_DECIMALS) {
		fuzz_check(strcmp(buf, "overflow") == 0,
			   "decimals out of range are refused");
		return;
	}
	for (int i = 0; i < decimals; i++)
		scale *= 10;
	/* floor(a * scale + 1/2): 128 bits hold it for any int64 parts. */
	q = decimal_floor_div((__int128)2 * a.num * scale + a.den,
			      (__int128)2 * a.den);
	if (q > INT64_MAX || q < INT64_MIN) {
		fuzz_check(strcmp(buf, "overflow") == 0,
			   "only a value beyond 64 bits overflows");
		return;
	}
	fuzz_check(decimal_units(buf, decimals, &w),
		   "rat_format prints a decimal with its decimals");
	/* -1/2 <= a * scale - w < 1/2 */
	diff = (__int128)2 * ((__int128)a.num * scale - w * a.den);
	fuzz_check(diff >= -(__int128)a.den && diff < (__int128)a.den,
		   "rat_format rounds half up to the nearest unit");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int decimals;
	int64_t max, got = -1, want;
	char *text;
	size_t len;
	bool ok, expect;

	if (size < 2)
		return 0;
	decimals = data[0] % 21 - 1;
	max = decimal_maxima[data[1] % DECIMAL_N_MAXIMA];
	len = size - 2;
	/* Exactly len bytes (malloc(0) may be NULL): no terminator to lean
	 * on, and a read past the text lands in ASan's red zone. */
	text = malloc(len ? len : 1);
	memcpy(text, data + 2, len);

	ok = dec_parse(text, len, decimals, max, &got);
	expect = decimal_read(text, len, decimals, max, &want);
	fuzz_check(ok == expect, "dec_parse accepts exactly the API's "
				 "decimals within the maximum");
	if (ok) {
		fuzz_check(got == want && got <= max,
			   "dec_parse reads the value the text says");
		decimal_check_format(got, decimals, 1 + data[1] % 8);
	}
	if (len >= 16) {
		decimal_check_format(decimal_int64(data + 2), decimals,
				     1 + data[0] % 8);
		decimal_check_rat(decimal_int64(data + 2),
				  decimal_int64(data + 10), decimals);
	}
	free(text);
	return 0;
}
