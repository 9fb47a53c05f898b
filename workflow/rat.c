/*
 * Exact rational arithmetic on int64 with 128-bit intermediates: products
 * and cross-multiplications are formed in __int128, reduced by their gcd,
 * and only then checked to fit back into int64.
 */
#include "rat.h"

#include <stdio.h>

#include "decimal.h"

typedef __int128 i128;

static i128
rat_gcd(i128 a, i128 b)
{
	if (a < 0)
		a = -a;
	if (b < 0)
		b = -b;
	while (b != 0) {
		i128 t = a % b;
		a = b;
		b = t;
	}
	return a;
}

/* Reduces num/den (den != 0) and stores it when both parts fit in int64. */
static bool
rat_from_wide(i128 num, i128 den, struct rat *out)
{
	i128 g;

	if (den == 0)
		return false;
	if (den < 0) {
		num = -num;
		den = -den;
	}
	g = rat_gcd(num, den);
	if (g > 1) {
		num /= g;
		den /= g;
	}
	if (num > INT64_MAX || num < -INT64_MAX || den > INT64_MAX)
		return false;
	out->num = (int64_t)num;
	out->den = (int64_t)den;
	return true;
}

struct rat
rat_int(int64_t n)
{
	struct rat r = {n, 1};

	return r;
}

bool
rat_make(int64_t num, int64_t den, struct rat *out)
{
	return rat_from_wide(num, den, out);
}

bool
rat_add(struct rat a, struct rat b, struct rat *out)
{
	return rat_from_wide((i128)a.num * b.den + (i128)b.num * a.den,
			     (i128)a.den * b.den, out);
}

bool
rat_sub(struct rat a, struct rat b, struct rat *out)
{
	return rat_from_wide((i128)a.num * b.den - (i128)b.num * a.den,
			     (i128)a.den * b.den, out);
}

bool
rat_mul(struct rat a, struct rat b, struct rat *out)
{
	return rat_from_wide((i128)a.num * b.num, (i128)a.den * b.den, out);
}

bool
rat_div(struct rat a, struct rat b, struct rat *out)
{
	return rat_from_wide((i128)a.num * b.den, (i128)a.den * b.num, out);
}

int
rat_cmp(struct rat a, struct rat b)
{
	i128 l = (i128)a.num * b.den, r = (i128)b.num * a.den;

	return (l > r) - (l < r);
}

/* Floor division of 128-bit integers, d > 0. */
static i128
rat_floor_div(i128 n, i128 d)
{
	i128 q = n / d;

	if (n % d != 0 && n < 0)
		q--;
	return q;
}

int64_t
rat_floor(struct rat a)
{
	return (int64_t)rat_floor_div(a.num, a.den);
}

bool
rat_round_half_up(struct rat a, int64_t scale, int64_t *out)
{
	/* floor(a * scale + 1/2) = floor((2 num scale + den) / (2 den)) */
	i128 n = (i128)2 * a.num * scale + a.den;
	i128 q = rat_floor_div(n, (i128)2 * a.den);

	if (q > INT64_MAX || q < INT64_MIN)
		return false;
	*out = (int64_t)q;
	return true;
}

char *
rat_format(struct rat a, int decimals, char *buf)
{
	int64_t scale = 1, v;

	if (decimals < 0 || decimals > DEC_MAX_DECIMALS) {
		snprintf(buf, RAT_FORMAT_MAX, "overflow");
		return buf;
	}
	for (int i = 0; i < decimals; i++)
		scale *= 10;
	if (!rat_round_half_up(a, scale, &v))
		snprintf(buf, RAT_FORMAT_MAX, "overflow");
	else
		dec_format(v, decimals, buf, RAT_FORMAT_MAX);
	return buf;
}

double
rat_to_double(struct rat a)
{
	return (double)a.num / (double)a.den;
}
