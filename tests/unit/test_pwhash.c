/*
 * scrypt password hashes.  Every test runs at log2 N = 14 to stay fast,
 * except one at the real cost (17), which proves maxmem is large enough.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/evp.h>

#include "pwhash.h"
#include "token.h"

#define FAST 14

/* The fields of an encoding, split at '$', for building variants. */
struct fields {
	char log2n[16], r[16], p[16], salt[64], key[64];
};

static void
split(const char *encoded, struct fields *f)
{
	assert_int_equal(sscanf(encoded,
				"scrypt$%15[^$]$%15[^$]$%15[^$]$%63[^$]$%63s",
				f->log2n, f->r, f->p, f->salt, f->key),
			 5);
}

/* Assembles an encoding from its fields, which need not be well formed. */
static const char *
join(char *buf, size_t size, const char *prefix, const char *log2n,
     const char *r, const char *p, const char *salt, const char *key)
{
	int n = snprintf(buf, size, "%s%s$%s$%s$%s$%s", prefix, log2n, r, p,
			 salt, key);

	assert_true(n > 0 && (size_t)n < size);
	return buf;
}

/* An encoding with the correct key of "pw", computed apart from pwhash. */
static const char *
forge(char *buf, size_t size, int log2n, int r, int p)
{
	static const unsigned char salt[16] = "0123456789abcdef";
	unsigned char key[32];
	char salt64[32], key64[64], ls[16], rs[16], ps[16];

	assert_int_equal(EVP_PBE_scrypt("pw", 2, salt, sizeof salt,
					UINT64_C(1) << log2n, (uint64_t)r,
					(uint64_t)p, 0x40000000, key,
					sizeof key),
			 1);
	token_b64url(salt, sizeof salt, salt64);
	token_b64url(key, sizeof key, key64);
	snprintf(ls, sizeof ls, "%d", log2n);
	snprintf(rs, sizeof rs, "%d", r);
	snprintf(ps, sizeof ps, "%d", p);
	return join(buf, size, "scrypt$", ls, rs, ps, salt64, key64);
}

/* The last character with one unused low bit set: same bytes, new text. */
static void
set_unused_bit(char *b64)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				       "abcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t last = strlen(b64) - 1;

	b64[last] = alphabet[(strchr(alphabet, b64[last]) - alphabet) | 1];
}

static void
test_hash_then_verify(void **state)
{
	char enc[PWHASH_ENCODED_MAX];

	(void)state;
	assert_int_equal(pwhash_hash("correct horse", 13, FAST, enc), 0);
	assert_true(pwhash_verify("correct horse", 13, enc));
	assert_false(pwhash_verify("correct horsf", 13, enc));
	assert_false(pwhash_verify("correct hors", 12, enc));
	assert_false(pwhash_verify("correct horse!", 14, enc));
}

static void
test_encoding_shape(void **state)
{
	char enc[PWHASH_ENCODED_MAX];
	struct fields f;

	(void)state;
	assert_int_equal(pwhash_hash("pw", 2, FAST, enc), 0);
	assert_true(strlen(enc) < PWHASH_ENCODED_MAX);
	assert_int_equal(strncmp(enc, "scrypt$14$8$1$", 14), 0);
	split(enc, &f);
	assert_int_equal(strlen(f.salt), 22);
	assert_int_equal(strlen(f.key), 43);
}

static void
test_empty_password(void **state)
{
	char enc[PWHASH_ENCODED_MAX];

	(void)state;
	assert_int_equal(pwhash_hash("", 0, FAST, enc), 0);
	assert_true(pwhash_verify("", 0, enc));
	assert_false(pwhash_verify("a", 1, enc));
	assert_false(pwhash_verify(" ", 1, enc));
}

/*
 * Pins a property of scrypt itself: its PBKDF2 keys HMAC with the
 * password, and HMAC pads short keys with zeros, so trailing NULs do not
 * count.  Harmless while passwords arrive as JSON strings: jansson refuses
 * \u0000 unless asked with JSON_ALLOW_NUL.
 */
static void
test_trailing_nul_is_hmac_padding(void **state)
{
	char enc[PWHASH_ENCODED_MAX];

	(void)state;
	assert_int_equal(pwhash_hash("pw", 2, FAST, enc), 0);
	assert_true(pwhash_verify("pw\0", 3, enc));
}

static void
test_nul_bytes_count(void **state)
{
	char enc[PWHASH_ENCODED_MAX];

	(void)state;
	assert_int_equal(pwhash_hash("ab\0cd", 5, FAST, enc), 0);
	assert_true(pwhash_verify("ab\0cd", 5, enc));
	assert_false(pwhash_verify("ab\0ce", 5, enc));
	assert_false(pwhash_verify("ab", 2, enc));
	assert_false(pwhash_verify("ab\0", 3, enc));
}

static void
test_long_password(void **state)
{
	char pw[1000], enc[PWHASH_ENCODED_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof pw; i++)
		pw[i] = (char)(i * 7 + 1);
	assert_int_equal(pwhash_hash(pw, sizeof pw, FAST, enc), 0);
	assert_true(pwhash_verify(pw, sizeof pw, enc));
	assert_false(pwhash_verify(pw, sizeof pw - 1, enc));
	pw[sizeof pw - 1] ^= 1;
	assert_false(pwhash_verify(pw, sizeof pw, enc));
}

static void
test_salt_makes_hashes_differ(void **state)
{
	char a[PWHASH_ENCODED_MAX], b[PWHASH_ENCODED_MAX];
	struct fields fa, fb;

	(void)state;
	assert_int_equal(pwhash_hash("same", 4, FAST, a), 0);
	assert_int_equal(pwhash_hash("same", 4, FAST, b), 0);
	assert_string_not_equal(a, b);
	split(a, &fa);
	split(b, &fb);
	assert_string_not_equal(fa.salt, fb.salt);
	assert_string_not_equal(fa.key, fb.key);
	assert_true(pwhash_verify("same", 4, a));
	assert_true(pwhash_verify("same", 4, b));
}

/* Forged encodings with the right key: the bounds alone decide. */
static void
test_parameter_bounds(void **state)
{
	char enc[PWHASH_ENCODED_MAX];

	(void)state;
	assert_true(pwhash_verify("pw", 2, forge(enc, sizeof enc, 10, 8, 1)));
	assert_true(pwhash_verify("pw", 2, forge(enc, sizeof enc, 10, 1, 1)));
	assert_true(pwhash_verify("pw", 2, forge(enc, sizeof enc, 10, 32, 1)));
	assert_true(pwhash_verify("pw", 2, forge(enc, sizeof enc, 10, 1, 16)));
	assert_false(pwhash_verify("pw", 2, forge(enc, sizeof enc, 9, 8, 1)));
	assert_false(pwhash_verify("pw", 2, forge(enc, sizeof enc, 10, 33, 1)));
	assert_false(pwhash_verify("pw", 2, forge(enc, sizeof enc, 10, 1, 17)));
	assert_int_equal(pwhash_hash("pw", 2, 9, enc), -1);
	assert_int_equal(pwhash_hash("pw", 2, 21, enc), -1);
}

/*
 * Each variant keeps the right password, so a lenient decoder that read
 * the same numbers or bytes out of it would report a match.
 */
static void
test_malformed_encodings_refused(void **state)
{
	char good[PWHASH_ENCODED_MAX], buf[256];
	char salt[80], key[80];
	struct fields f;
	const char *bad_numbers[] = {"014", "+14",  " 14",	  "14 ",
				     "",    "0x0e", "1e1",	  "14.0",
				     "-14", "21",   "99999999999"};
	size_t i;

	(void)state;
	assert_int_equal(pwhash_hash("pw", 2, FAST, good), 0);
	assert_true(pwhash_verify("pw", 2, good));
	split(good, &f);

	assert_false(pwhash_verify("pw", 2, ""));
	assert_false(pwhash_verify("pw", 2, NULL));
	assert_false(pwhash_verify("pw", 2, good + 1));
	assert_false(pwhash_verify("pw", 2, good + strlen("scrypt$")));
	assert_false(pwhash_verify("pw", 2,
				   join(buf, sizeof buf, "Scrypt$", f.log2n,
					f.r, f.p, f.salt, f.key)));
	assert_false(pwhash_verify("pw", 2,
				   join(buf, sizeof buf, "bcrypt$", f.log2n,
					f.r, f.p, f.salt, f.key)));
	assert_false(pwhash_verify("pw", 2,
				   join(buf, sizeof buf, "scrypt$$", f.log2n,
					f.r, f.p, f.salt, f.key)));

	for (i = 0; i < sizeof bad_numbers / sizeof bad_numbers[0]; i++) {
		assert_false(pwhash_verify("pw", 2,
					   join(buf, sizeof buf, "scrypt$",
						bad_numbers[i], f.r, f.p,
						f.salt, f.key)));
	}
	assert_false(pwhash_verify("pw", 2,
				   join(buf, sizeof buf, "scrypt$", f.log2n,
					"08", f.p, f.salt, f.key)));
	assert_false(pwhash_verify("pw", 2,
				   join(buf, sizeof buf, "scrypt$", f.log2n,
					"0", f.p, f.salt, f.key)));
	assert_false(pwhash_verify(
	    "pw", 2,
	    join(buf, sizeof buf, "scrypt$", f.log2n, "", f.p, f.salt, f.key)));
	assert_false(pwhash_verify("pw", 2,
				   join(buf, sizeof buf, "scrypt$", f.log2n,
					f.r, "01", f.salt, f.key)));
	assert_false(pwhash_verify("pw", 2,
				   join(buf, sizeof buf, "scrypt$", f.log2n,
					f.r, "0", f.salt, f.key)));
	assert_false(pwhash_verify(
	    "pw", 2,
	    join(buf, sizeof buf, "scrypt$", f.log2n, f.r, "", f.salt, f.key)));

	/* Salt: length, padding, foreign alphabet, unused bits. */
	snprintf(salt, sizeof salt, "%.21s", f.salt);
	assert_false(pwhash_verify(
	    "pw", 2,
	    join(buf, sizeof buf, "scrypt$", f.log2n, f.r, f.p, salt, f.key)));
	snprintf(salt, sizeof salt, "%sA", f.salt);
	assert_false(pwhash_verify(
	    "pw", 2,
	    join(buf, sizeof buf, "scrypt$", f.log2n, f.r, f.p, salt, f.key)));
	snprintf(salt, sizeof salt, "%s==", f.salt);
	assert_false(pwhash_verify(
	    "pw", 2,
	    join(buf, sizeof buf, "scrypt$", f.log2n, f.r, f.p, salt, f.key)));
	snprintf(salt, sizeof salt, "%s", f.salt);
	salt[3] = '+';
	assert_false(pwhash_verify(
	    "pw", 2,
	    join(buf, sizeof buf, "scrypt$", f.log2n, f.r, f.p, salt, f.key)));
	snprintf(salt, sizeof salt, "%s", f.salt);
	set_unused_bit(salt);
	assert_false(pwhash_verify(
	    "pw", 2,
	    join(buf, sizeof buf, "scrypt$", f.log2n, f.r, f.p, salt, f.key)));
	assert_false(pwhash_verify(
	    "pw", 2,
	    join(buf, sizeof buf, "scrypt$", f.log2n, f.r, f.p, "", f.key)));

	/* Hash: the same, plus anything after it. */
	snprintf(key, sizeof key, "%.42s", f.key);
	assert_false(pwhash_verify(
	    "pw", 2,
	    join(buf, sizeof buf, "scrypt$", f.log2n, f.r, f.p, f.salt, key)));
	snprintf(key, sizeof key, "%s=", f.key);
	assert_false(pwhash_verify(
	    "pw", 2,
	    join(buf, sizeof buf, "scrypt$", f.log2n, f.r, f.p, f.salt, key)));
	snprintf(key, sizeof key, "%s", f.key);
	key[0] = '/';
	assert_false(pwhash_verify(
	    "pw", 2,
	    join(buf, sizeof buf, "scrypt$", f.log2n, f.r, f.p, f.salt, key)));
	snprintf(key, sizeof key, "%s", f.key);
	set_unused_bit(key);
	assert_false(pwhash_verify(
	    "pw", 2,
	    join(buf, sizeof buf, "scrypt$", f.log2n, f.r, f.p, f.salt, key)));
	snprintf(key, sizeof key, "%s$", f.key);
	assert_false(pwhash_verify(
	    "pw", 2,
	    join(buf, sizeof buf, "scrypt$", f.log2n, f.r, f.p, f.salt, key)));
	snprintf(key, sizeof key, "%s\n", f.key);
	assert_false(pwhash_verify(
	    "pw", 2,
	    join(buf, sizeof buf, "scrypt$", f.log2n, f.r, f.p, f.salt, key)));
	snprintf(buf, sizeof buf, "scrypt$%s$%s$%s$%s", f.log2n, f.r, f.p,
		 f.salt);
	assert_false(pwhash_verify("pw", 2, buf));
	snprintf(buf, sizeof buf, "%s$", good);
	assert_false(pwhash_verify("pw", 2, buf));

	/* The untouched parts still verify: the variants above were
	 * refused for their flaw alone. */
	assert_true(pwhash_verify("pw", 2,
				  join(buf, sizeof buf, "scrypt$", f.log2n, f.r,
				       f.p, f.salt, f.key)));
}

static void
test_owasp_cost(void **state)
{
	char enc[PWHASH_ENCODED_MAX];

	(void)state;
	assert_int_equal(pwhash_hash("owasp", 5, 17, enc), 0);
	assert_int_equal(strncmp(enc, "scrypt$17$8$1$", 14), 0);
	assert_true(pwhash_verify("owasp", 5, enc));
}

static void
test_dummy_never_verifies(void **state)
{
	char a[PWHASH_ENCODED_MAX], b[PWHASH_ENCODED_MAX];
	struct fields f;

	(void)state;
	assert_int_equal(pwhash_dummy(FAST, a), 0);
	assert_int_equal(pwhash_dummy(FAST, b), 0);
	assert_string_not_equal(a, b);
	split(a, &f);
	assert_string_equal(f.log2n, "14");
	assert_false(pwhash_verify("", 0, a));
	assert_false(pwhash_verify("password", 8, a));
	assert_false(pwhash_verify(a, strlen(a), a));
	assert_int_equal(pwhash_dummy(9, a), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hash_then_verify),
	    cmocka_unit_test(test_encoding_shape),
	    cmocka_unit_test(test_empty_password),
	    cmocka_unit_test(test_trailing_nul_is_hmac_padding),
	    cmocka_unit_test(test_nul_bytes_count),
	    cmocka_unit_test(test_long_password),
	    cmocka_unit_test(test_salt_makes_hashes_differ),
	    cmocka_unit_test(test_parameter_bounds),
	    cmocka_unit_test(test_malformed_encodings_refused),
	    cmocka_unit_test(test_owasp_cost),
	    cmocka_unit_test(test_dummy_never_verifies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
