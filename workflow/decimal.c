/* Strict parsing and exact formatting of fixed-point decimals. */
#include "decimal.h"

#include <stdio.h>

bool
dec_parse(const char *s, size_t len, int decimals, int64_t max, int64_t *out)
{
	int64_t v = 0;
	size_t i = 0, int_digits = 0;
	int frac_digits = 0;

	if (decimals < 0 || decimals > DEC_MAX_DECIMALS || max < 0)
		return false;
	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++, int_digits++) {
		/* max < digit: (max - digit) / 10 would round up to 0 */
		if (max < s[i] - '0' || v > (max - (s[i] - '0')) / 10)
			return false;
		v = v * 10 + (s[i] - '0');
	}
	if (int_digits == 0)
		return false;
	if (i < len && s[i] == '.') {
		i++;
		for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
			if (++frac_digits > decimals)
				return false;
			if (max < s[i] - '0' || v > (max - (s[i] - '0')) / 10)
				return false;
			v = v * 10 + (s[i] - '0');
		}
		/* "85." is not a number a person writes. */
		if (frac_digits == 0)
			return false;
	}
	if (i != len)
		return false;
	for (; frac_digits < decimals; frac_digits++) {
		if (v > max / 10)
			return false;
		v *= 10;
	}
	*out = v;
	return true;
}

char *
dec_format(int64_t v, int decimals, char *buf, size_t len)
{
	uint64_t mag = v < 0 ? -(uint64_t)v : (uint64_t)v;
	uint64_t scale = 1;

	if (decimals < 0 || decimals > DEC_MAX_DECIMALS)
		decimals = 0;
	for (int i = 0; i < decimals; i++)
		scale *= 10;
	if (decimals == 0)
		snprintf(buf, len, "%s%llu", v < 0 ? "-" : "",
			 (unsigned long long)mag);
	else
		snprintf(buf, len, "%s%llu.%0*llu", v < 0 ? "-" : "",
			 (unsigned long long)(mag / scale), decimals,
			 (unsigned long long)(mag % scale));
	return buf;
}
