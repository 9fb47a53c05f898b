/*
 * libFuzzer harness for the numbers clients send inside JSON: a ballot's
 * score (ballot_score, h_ballots.c), a weight (weight_parse,
 * kind_weighting.c), a selection threshold (kind_selection_threshold) and
 * meeting rules (meeting_rules_parse).  The first two are static: their
 * files are compiled into this harness, so server/ needs no seam.
 *
 * The input is a JSON value; the threshold reader also gets the raw
 * text.  Beyond the sanitizers, each accepted number must be the value its
 * text says, checked against a reader written here from the API's rules,
 * and a number must mean the same whether it travels as a JSON string or
 * a JSON number ("85.55" and 85.55, which arrives as 85.549999...).
 */
#include "h_ballots.c"
#include "kind_weighting.c"

#include <stdint.h>

#include "fuzz_server.h"
#include "kinds.h"
#include "meeting.h"

/* The API's decimal: digits, then optionally a point and 1..decimals
 * digits; its value in 10^-decimals units must not exceed max. */
static bool
score_decimal(const char *s, size_t len, int decimals, int64_t max,
	      int64_t *out)
{
	size_t i = 0, frac = 0;
	__int128 v = 0;

	while (i < len && s[i] >= '0' && s[i] <= '9') {
		v = v * 10 + (s[i++] - '0');
		if (v > max)
			return false;
	}
	if (i == 0)
		return false;
	if (i < len && s[i] == '.') {
		for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
			v = v * 10 + (s[i] - '0');
			if (++frac > (size_t)decimals || v > max)
				return false;
		}
		if (frac == 0)
			return false;
	}
	for (; frac < (size_t)decimals; frac++) {
		v *= 10;
		if (v > max)
			return false;
	}
	if (i != len)
		return false;
	*out = (int64_t)v;
	return true;
}

/*
 * One reader (ballot_score or weight_parse) of values with `decimals`
 * decimals up to max units, whose JSON integers are 0..max_int.
 */
static void
score_check_reader(bool (*read)(const json_t *, int64_t *), const json_t *v,
		   int decimals, int64_t max, int64_t max_int)
{
	int64_t got = -1, want, again;
	bool ok = read(v, &got);
	char text[32];
	json_t *other;

	fuzz_check(!ok || (got >= 0 && got <= max),
		   "an accepted number is within range");
	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);

		fuzz_check(ok == (i >= 0 && i <= max_int) &&
			       (!ok || got == i * (max / max_int)),
			   "a JSON integer is whole units");
	} else if (json_is_string(v)) {
		bool expect =
		    score_decimal(json_string_value(v), json_string_length(v),
				  decimals, max, &want);

		fuzz_check(ok == expect && (!ok || got == want),
			   "a string is read as the API's decimal");
		if (ok) {
			/* What the string says as a JSON number. */
			other = json_real(strtod(json_string_value(v), NULL));
			fuzz_check(read(other, &again) && again == got,
				   "a number means the same as a string or "
				   "a JSON number");
			json_decref(other);
		}
	} else if (json_is_real(v)) {
		/* The same product as the readers': a tolerance is only as
		 * exact as the arithmetic on both sides of it. */
		double x = json_real_value(v) * (double)(max / max_int);

		fuzz_check(!ok || (fabs(x - (double)got) <= 1e-6 &&
				   got == (int64_t)round(x)),
			   "a JSON number is read to its nearest unit");
	} else {
		fuzz_check(!ok, "only numbers and strings are numbers");
	}
	if (!ok)
		return;
	/* The canonical text reads back to the same value. */
	other = json_string(dec_format(got, decimals, text, sizeof text));
	fuzz_check(read(other, &again) && again == got,
		   "a value formatted as the API shows it reads back");
	json_decref(other);
}

/* The threshold's own syntax: "p/q" (q without a leading zero) with both
 * at most 1000000, or a decimal with up to four decimals. */
static bool
score_threshold(const char *s, struct rat *out)
{
	const char *slash = strchr(s, '/');
	int64_t p, q;

	if (slash == NULL)
		return score_decimal(s, strlen(s), 4, 10000, &p) &&
		       rat_make(p, 10000, out);
	if (slash[1] < '1' || slash[1] > '9' ||
	    !score_decimal(s, (size_t)(slash - s), 0, 1000000, &p) ||
	    !score_decimal(slash + 1, strlen(slash + 1), 0, 1000000, &q))
		return false;
	return rat_make(p, q, out);
}

static int64_t
score_gcd(int64_t a, int64_t b)
{
	while (b != 0) {
		int64_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

static void
score_check_threshold(const char *s)
{
	struct rat got, want, again;
	bool ok = kind_selection_threshold(s, &got);
	bool expect = score_threshold(s, &want) &&
		      rat_cmp(want, rat_int(0)) > 0 &&
		      rat_cmp(want, rat_int(1)) <= 0;
	char text[48];

	fuzz_check(ok == expect && (!ok || rat_cmp(got, want) == 0),
		   "a threshold is a fraction or decimal in (0, 1]");
	if (!ok)
		return;
	fuzz_check(got.den > 0 && score_gcd(got.num, got.den) == 1,
		   "a threshold is reduced");
	snprintf(text, sizeof text, "%lld/%lld", (long long)got.num,
		 (long long)got.den);
	fuzz_check(kind_selection_threshold(text, &again) &&
		       rat_cmp(again, got) == 0,
		   "a threshold written as its fraction reads back");
}

/* Accepted rules hold what their text says. */
static void
score_check_rules(const json_t *rules)
{
	struct meeting_rules got;
	enum agg_method method;
	enum quantile_def quantile;
	const char *iqr, *cv;
	int64_t v;

	if (!meeting_rules_parse(rules, &got))
		return;
	iqr = json_string_value(json_object_get(rules, "max_iqr"));
	cv = json_string_value(json_object_get(rules, "max_cv"));
	fuzz_check(
	    agg_method_parse(
		json_string_value(json_object_get(rules, "method")), &method) &&
		method == got.agg.method,
	    "the rules' method is theirs");
	fuzz_check(quantile_def_parse(
		       json_string_value(json_object_get(rules, "quantile")),
		       &quantile) &&
		       quantile == got.consensus.quantile,
		   "the rules' quantile definition is theirs");
	fuzz_check(score_decimal(iqr, strlen(iqr), 2, 10000, &v) &&
		       v == got.consensus.max_iqr,
		   "max_iqr is a score's hundredths");
	fuzz_check(score_decimal(cv, strlen(cv), 4, 100000, &v) &&
		       v == got.consensus.max_cv_num &&
		       got.consensus.max_cv_den == 10000,
		   "max_cv is ten-thousandths up to 10");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xstrndup((const char *)data, size);
	json_t *v = json_loadb((const char *)data, size,
			       JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);

	score_check_threshold(text);
	if (v != NULL) {
		score_check_reader(ballot_score, v, 2, 10000, 100);
		score_check_reader(weight_parse, v, 3, TBL_WEIGHT_ONE, 1);
		if (json_is_string(v))
			score_check_threshold(json_string_value(v));
		score_check_rules(v);
	}
	json_decref(v);
	free(text);
	return 0;
}
