/* Session tokens: shape, randomness, SHA-256 and the base64url encoder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "token.h"

static const char token_test_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static void
test_new_has_the_shape(void **state)
{
	char t[TOKEN_LEN + 1];

	(void)state;
	assert_int_equal(token_new(t), 0);
	assert_int_equal(strlen(t), TOKEN_LEN);
	assert_int_equal(strspn(t, token_test_alphabet), TOKEN_LEN);
	assert_true(token_valid(t, strlen(t)));
}

static void
test_new_tokens_differ(void **state)
{
	char a[TOKEN_LEN + 1], b[TOKEN_LEN + 1];

	(void)state;
	assert_int_equal(token_new(a), 0);
	assert_int_equal(token_new(b), 0);
	assert_string_not_equal(a, b);
}

static void
test_valid_checks_length_and_alphabet(void **state)
{
	char t[TOKEN_LEN + 2];
	static const char bad[] = {'+', '/', '=', ' ', '.', '\0', '\n', '\xc3'};
	size_t i;

	(void)state;
	memset(t, 'A', sizeof t);
	assert_true(token_valid(t, TOKEN_LEN));
	assert_false(token_valid(t, TOKEN_LEN - 1));
	assert_false(token_valid(t, TOKEN_LEN + 1));
	assert_false(token_valid(t, 0));
	assert_false(token_valid(NULL, TOKEN_LEN));
	memcpy(t, token_test_alphabet, TOKEN_LEN);
	assert_true(token_valid(t, TOKEN_LEN));
	memcpy(t, token_test_alphabet + 64 - TOKEN_LEN, TOKEN_LEN);
	assert_true(token_valid(t, TOKEN_LEN));
	for (i = 0; i < sizeof bad; i++) {
		memset(t, 'A', sizeof t);
		t[TOKEN_LEN / 2] = bad[i];
		assert_false(token_valid(t, TOKEN_LEN));
	}
}

static void
test_hash_hex_vectors(void **state)
{
	char hex[TOKEN_HASH_HEX + 1];

	(void)state;
	token_hash_hex("abc", 3, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223"
				 "b00361a396177a9cb410ff61f20015ad");
	token_hash_hex("", 0, hex);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb924"
				 "27ae41e4649b934ca495991b7852b855");
}

static void
test_equal(void **state)
{
	(void)state;
	assert_true(token_equal("abcdef", "abcdef", 6));
	assert_false(token_equal("abcdef", "abcdeg", 6));
	assert_false(token_equal("xbcdef", "abcdef", 6));
	assert_true(token_equal("abc", "abd", 2));
	assert_true(token_equal("a", "b", 0));
}

static void
test_b64url_rfc4648_vectors(void **state)
{
	static const struct {
		const char *in;
		const char *out;
	} v[] = {
	    {"", ""},
	    {"f", "Zg"},
	    {"fo", "Zm8"},
	    {"foo", "Zm9v"},
	    {"foob", "Zm9vYg"},
	    {"fooba", "Zm9vYmE"},
	    {"foobar", "Zm9vYmFy"},
	};
	static const unsigned char url[] = {0xfb, 0xff};
	char out[16];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof v / sizeof v[0]; i++) {
		memset(out, '#', sizeof out);
		assert_int_equal(token_b64url((const unsigned char *)v[i].in,
					      strlen(v[i].in), out),
				 strlen(v[i].out));
		assert_string_equal(out, v[i].out);
	}
	assert_int_equal(token_b64url(url, sizeof url, out), 3);
	assert_string_equal(out, "-_8");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_new_has_the_shape),
	    cmocka_unit_test(test_new_tokens_differ),
	    cmocka_unit_test(test_valid_checks_length_and_alphabet),
	    cmocka_unit_test(test_hash_hex_vectors),
	    cmocka_unit_test(test_equal),
	    cmocka_unit_test(test_b64url_rfc4648_vectors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
