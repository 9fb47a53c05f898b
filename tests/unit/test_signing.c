/*
 * The verdict-signing key: creation and reloading in a fresh folder, the
 * files it refuses, signatures and their verification, the canonical JSON
 * they cover, and RFC 8032's first Ed25519 test vector.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "signing.h"
#include "xalloc.h"

/* RFC 8032 section 7.1, TEST 1: the empty message. */
static const char rfc8032_secret[] =
    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
static const char rfc8032_public[] =
    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
static const char rfc8032_signature[] =
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb882"
    "1590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";

/* Each test gets a fresh folder as its state; teardown removes it. */
static int
setup_dir(void **state)
{
	char *dir = xstrdup("/tmp/pingshen-signing-XXXXXX");

	if (mkdtemp(dir) == NULL) {
		free(dir);
		return -1;
	}
	*state = dir;
	return 0;
}

/* The folder and what the tests put in it: files, and empty folders. */
static int
teardown_dir(void **state)
{
	char *dir = *state;
	DIR *d = opendir(dir);
	struct dirent *e;

	if (d != NULL) {
		while ((e = readdir(d)) != NULL) {
			char *p;

			if (strcmp(e->d_name, ".") == 0 ||
			    strcmp(e->d_name, "..") == 0)
				continue;
			p = xasprintf("%s/%s", dir, e->d_name);
			if (unlink(p) < 0)
				rmdir(p);
			free(p);
		}
		closedir(d);
	}
	rmdir(dir);
	free(dir);
	return 0;
}

static char *
key_path(const char *dir)
{
	return xasprintf("%s/%s", dir, SIGNING_KEY_FILE);
}

static void
hex_decode(const char *hex, unsigned char *out, size_t n)
{
	assert_int_equal(strlen(hex), 2 * n);
	for (size_t i = 0; i < n; i++) {
		unsigned int v;

		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (unsigned char)v;
	}
}

/* Standard base64 as OpenSSL writes it, independent of signing.c. */
static char *
b64(const unsigned char *in, size_t n)
{
	char *out = xmalloc(4 * ((n + 2) / 3) + 1);

	EVP_EncodeBlock((unsigned char *)out, in, (int)n);
	return out;
}

/* Writes key as PEM (encrypted when cipher is not NULL) with this mode. */
static void
write_key_file(const char *dir, EVP_PKEY *key, mode_t mode,
	       const EVP_CIPHER *cipher)
{
	char *path = key_path(dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	FILE *fp;

	assert_true(fd >= 0);
	fp = fdopen(fd, "w");
	assert_non_null(fp);
	assert_int_equal(PEM_write_PrivateKey(fp, key, cipher,
					      (unsigned char *)"secret", 6,
					      NULL, NULL),
			 1);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(chmod(path, mode), 0);
	free(path);
}

static void
write_text_file(const char *dir, const char *text, mode_t mode)
{
	char *path = key_path(dir);
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(chmod(path, mode), 0);
	free(path);
}

/* Opening must fail, with a message containing `needle`. */
static void
assert_refused(const char *dir, const char *needle)
{
	char *err = NULL;
	struct signing *s = signing_open(dir, &err);

	assert_null(s);
	assert_non_null(err);
	if (strstr(err, needle) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", err, needle);
	free(err);
}

static struct signing *
open_ok(const char *dir)
{
	char *err = NULL;
	struct signing *s = signing_open(dir, &err);

	if (s == NULL)
		fail_msg("signing_open: %s", err ? err : "(no message)");
	assert_null(err);
	return s;
}

static size_t
count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	}
	closedir(d);
	return n;
}

static void
test_create_writes_a_0600_key_and_nothing_else(void **state)
{
	const char *dir = *state;
	struct signing *s = open_ok(dir);
	char *path = key_path(dir);
	struct stat st;
	const char *id = signing_key_id(s);

	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	/* the temporary file was renamed away, not left behind */
	assert_int_equal(count_entries(dir), 1);
	assert_int_equal(strlen(id), SIGNING_KEY_ID_LEN);
	assert_int_equal(strspn(id, "0123456789abcdef"), SIGNING_KEY_ID_LEN);
	assert_int_equal(strlen(signing_public_key_b64(s)), 44);
	assert_int_equal(signing_public_key_b64(s)[43], '=');
	free(path);
	signing_free(s);
}

static void
test_reopen_gives_the_same_key(void **state)
{
	const char *dir = *state;
	struct signing *a = open_ok(dir);
	struct signing *b = open_ok(dir);
	char *sig = NULL;

	assert_string_equal(signing_key_id(a), signing_key_id(b));
	assert_string_equal(signing_public_key_b64(a),
			    signing_public_key_b64(b));
	/* Ed25519 is deterministic: the same key signs the same bytes */
	assert_int_equal(signing_sign(a, "x", 1, &sig), 0);
	assert_true(signing_verify(signing_public_key_b64(b), "x", 1, sig));
	free(sig);
	signing_free(a);
	signing_free(b);
}

static void
test_key_id_is_sha256_of_the_public_key(void **state)
{
	struct signing *s = open_ok(*state);
	unsigned char pub[48], md[32];
	unsigned int mdlen = 0;
	char hex[SIGNING_KEY_ID_LEN + 1];

	assert_int_equal(
	    EVP_DecodeBlock(
		pub, (const unsigned char *)signing_public_key_b64(s), 44),
	    33); /* 32 bytes plus the padding's zero */
	assert_int_equal(EVP_Digest(pub, 32, md, &mdlen, EVP_sha256(), NULL),
			 1);
	for (size_t i = 0; i < SIGNING_KEY_ID_LEN / 2; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	assert_string_equal(signing_key_id(s), hex);
	signing_free(s);
}

static void
test_sign_then_verify(void **state)
{
	const char *dir = *state;
	struct signing *s = open_ok(dir);
	const char *pub = signing_public_key_b64(s);
	static const char msg[] = "{\"advanced\":true,\"total\":\"86.42\"}";
	size_t len = strlen(msg);
	char *sig = NULL, *other_sig = NULL, *other_dir;
	unsigned char raw[66];
	struct signing *other;

	assert_int_equal(signing_sign(s, msg, len, &sig), 0);
	assert_non_null(sig);
	assert_int_equal(strlen(sig), 88);
	assert_true(signing_verify(pub, msg, len, sig));

	/* another message: one character changed, one dropped, one added */
	assert_false(signing_verify(
	    pub, "{\"advanced\":true,\"total\":\"86.43\"}", len, sig));
	assert_false(signing_verify(pub, msg, len - 1, sig));
	assert_false(signing_verify(
	    pub, "{\"advanced\":true,\"total\":\"86.42\"} ", len + 1, sig));

	/* another signature: one bit flipped, still canonical base64 */
	assert_int_equal(EVP_DecodeBlock(raw, (unsigned char *)sig, 88), 66);
	raw[10] ^= 0x01;
	{
		char *bad = b64(raw, 64);

		assert_false(signing_verify(pub, msg, len, bad));
		free(bad);
	}

	/* another key, from another folder */
	other_dir = xstrdup("/tmp/pingshen-signing-XXXXXX");
	assert_non_null(mkdtemp(other_dir));
	other = open_ok(other_dir);
	assert_string_not_equal(signing_key_id(other), signing_key_id(s));
	assert_false(
	    signing_verify(signing_public_key_b64(other), msg, len, sig));
	assert_int_equal(signing_sign(other, msg, len, &other_sig), 0);
	assert_false(signing_verify(pub, msg, len, other_sig));
	free(other_sig);
	signing_free(other);
	teardown_dir((void **)&other_dir);

	free(sig);
	signing_free(s);
}

static void
test_verify_refuses_malformed_base64(void **state)
{
	struct signing *s = open_ok(*state);
	const char *pub = signing_public_key_b64(s);
	char *sig = NULL, *bad;
	const char *alphabet =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t pos;

	assert_int_equal(signing_sign(s, "m", 1, &sig), 0);
	assert_true(signing_verify(pub, "m", 1, sig));
	assert_false(signing_verify(NULL, "m", 1, sig));
	assert_false(signing_verify(pub, "m", 1, NULL));
	assert_false(signing_verify(pub, NULL, 1, sig));
	assert_false(signing_verify("", "m", 1, sig));
	assert_false(signing_verify(pub, "m", 1, ""));

	/* without its padding */
	bad = xstrndup(sig, 86);
	assert_false(signing_verify(pub, "m", 1, bad));
	free(bad);
	/* with a newline, as PEM-style encoders add */
	bad = xasprintf("%s\n", sig);
	assert_false(signing_verify(pub, "m", 1, bad));
	free(bad);
	/* the same bytes with nonzero unused bits: a second spelling */
	bad = xstrdup(sig);
	pos = (size_t)(strchr(alphabet, bad[85]) - alphabet);
	bad[85] = alphabet[pos ^ 1];
	assert_false(signing_verify(pub, "m", 1, bad));
	free(bad);
	/* base64url instead of standard base64 */
	bad = xstrdup(pub);
	for (char *p = bad; *p; p++) {
		if (*p == '+')
			*p = '-';
		else if (*p == '/')
			*p = '_';
	}
	if (strcmp(bad, pub) != 0)
		assert_false(signing_verify(bad, "m", 1, sig));
	free(bad);

	free(sig);
	signing_free(s);
}

static void
test_refuses_a_key_others_can_read(void **state)
{
	const char *dir = *state;
	struct signing *s = open_ok(dir);
	char *path = key_path(dir);

	signing_free(s);
	assert_int_equal(chmod(path, 0644), 0);
	assert_refused(dir, "0644");
	assert_int_equal(chmod(path, 0640), 0);
	assert_refused(dir, "chmod 600");
	assert_int_equal(chmod(path, 0602), 0);
	assert_refused(dir, "0602");
	/* refused, not repaired: the file is left as it was */
	assert_int_equal(chmod(path, 0600), 0);
	signing_free(open_ok(dir));
	free(path);
}

static void
test_refuses_garbage(void **state)
{
	const char *dir = *state;

	write_text_file(dir, "this is not a key\n", 0600);
	assert_refused(dir, "not an unencrypted PKCS#8 PEM private key");
}

static void
test_refuses_an_empty_file(void **state)
{
	const char *dir = *state;

	write_text_file(dir, "", 0600);
	assert_refused(dir, "PKCS#8");
}

static void
test_refuses_rsa_and_ec_keys(void **state)
{
	const char *dir = *state;
	char *path = key_path(dir);
	EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	EVP_PKEY *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");

	assert_non_null(rsa);
	assert_non_null(ec);
	write_key_file(dir, rsa, 0600, NULL);
	assert_refused(dir, "type RSA, not Ed25519");
	assert_int_equal(unlink(path), 0);
	write_key_file(dir, ec, 0600, NULL);
	assert_refused(dir, "type EC, not Ed25519");
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ec);
	free(path);
}

/* An encrypted key would make OpenSSL prompt on the terminal. */
static void
test_refuses_an_encrypted_key_without_prompting(void **state)
{
	const char *dir = *state;
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");

	assert_non_null(key);
	write_key_file(dir, key, 0600, EVP_aes_256_cbc());
	assert_refused(dir, "not an unencrypted");
	EVP_PKEY_free(key);
}

static void
test_refuses_a_folder_in_place_of_the_key(void **state)
{
	const char *dir = *state;
	char *path = key_path(dir);

	assert_int_equal(mkdir(path, 0700), 0);
	assert_refused(dir, "not a regular file");
	free(path);
}

static void
test_refuses_a_missing_data_folder(void **state)
{
	char *missing = xasprintf("%s/absent", (const char *)*state);

	assert_refused(missing, "absent");
	free(missing);
}

static void
test_canonical_sorts_drops_signature_no_spaces(void **state)
{
	json_error_t error;
	json_t *doc = json_loads(
	    "{\"total\": \"86.42\", \"advanced\": true,"
	    " \"signature\": {\"alg\": \"Ed25519\", \"value\": \"x\"},"
	    " \"conclusion\": \"具有先进性\","
	    " \"breakdown\": [{\"value\": \"85\", \"item\": \"1.1.1\","
	    " \"signature\": \"kept-when-nested\"}], \"b\": null, \"a\": 1}",
	    JSON_REJECT_DUPLICATES, &error);
	char *text;

	(void)state;
	assert_non_null(doc);
	text = signing_canonical(doc);
	assert_non_null(text);
	assert_string_equal(
	    text, "{\"a\":1,\"advanced\":true,\"b\":null,"
		  "\"breakdown\":[{\"item\":\"1.1.1\","
		  "\"signature\":\"kept-when-nested\","
		  "\"value\":\"85\"}],"
		  "\"conclusion\":\"具有先进性\",\"total\":\"86.42\"}");
	assert_null(strchr(text, ' '));
	/* doc itself keeps its signature */
	assert_non_null(json_object_get(doc, "signature"));
	free(text);

	/* without a signature member the text is the same */
	json_object_del(doc, "signature");
	text = signing_canonical(doc);
	assert_non_null(strstr(text, "\"a\":1,\"advanced\":true"));
	free(text);
	json_decref(doc);

	doc = json_array();
	assert_null(signing_canonical(doc));
	json_decref(doc);
	assert_null(signing_canonical(NULL));
}

/* The canonical text signed and verified, as a verdict will be. */
static void
test_signed_canonical_document_verifies(void **state)
{
	struct signing *s = open_ok(*state);
	json_t *doc = json_pack("{s:s, s:b, s:s}", "total", "86.42", "advanced",
				1, "conclusion", "具有先进性");
	char *text = signing_canonical(doc), *sig = NULL, *again;

	assert_int_equal(signing_sign(s, text, strlen(text), &sig), 0);
	json_object_set_new(doc, "signature",
			    json_pack("{s:s, s:s, s:s}", "alg", SIGNING_ALG,
				      "key_id", signing_key_id(s), "value",
				      sig));
	/* a reader recomputes the text from the stored document */
	again = signing_canonical(doc);
	assert_string_equal(again, text);
	assert_true(signing_verify(signing_public_key_b64(s), again,
				   strlen(again), sig));
	/* a changed total no longer verifies */
	json_object_set_new(doc, "total", json_string("84.42"));
	free(again);
	again = signing_canonical(doc);
	assert_false(signing_verify(signing_public_key_b64(s), again,
				    strlen(again), sig));
	free(again);
	free(text);
	free(sig);
	json_decref(doc);
	signing_free(s);
}

static void
test_keys_json_shape(void **state)
{
	struct signing *s = open_ok(*state);
	json_t *keys = signing_keys_json(s), *k;

	assert_true(json_is_array(keys));
	assert_int_equal(json_array_size(keys), 1);
	k = json_array_get(keys, 0);
	assert_int_equal(json_object_size(k), 3);
	assert_string_equal(json_string_value(json_object_get(k, "key_id")),
			    signing_key_id(s));
	assert_string_equal(json_string_value(json_object_get(k, "alg")),
			    "Ed25519");
	assert_string_equal(json_string_value(json_object_get(k, "public_key")),
			    signing_public_key_b64(s));
	json_decref(keys);
	signing_free(s);
}

static void
test_rfc8032_vector_1(void **state)
{
	const char *dir = *state;
	unsigned char sk[32], pk[32], sig[64];
	char *pk_b64, *sig_b64, *got = NULL;
	EVP_PKEY *key;
	struct signing *s;

	hex_decode(rfc8032_secret, sk, sizeof sk);
	hex_decode(rfc8032_public, pk, sizeof pk);
	hex_decode(rfc8032_signature, sig, sizeof sig);
	pk_b64 = b64(pk, sizeof pk);
	sig_b64 = b64(sig, sizeof sig);

	key =
	    EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, sk, sizeof sk);
	assert_non_null(key);
	write_key_file(dir, key, 0600, NULL);
	EVP_PKEY_free(key);

	s = open_ok(dir);
	assert_string_equal(signing_public_key_b64(s), pk_b64);
	assert_int_equal(signing_sign(s, NULL, 0, &got), 0);
	assert_string_equal(got, sig_b64);
	free(got);
	assert_int_equal(signing_sign(s, "", 0, &got), 0);
	assert_string_equal(got, sig_b64);
	assert_true(signing_verify(pk_b64, "", 0, sig_b64));
	assert_true(signing_verify(pk_b64, NULL, 0, sig_b64));
	assert_false(signing_verify(pk_b64, "\0", 1, sig_b64));

	free(got);
	free(pk_b64);
	free(sig_b64);
	signing_free(s);
}

#define DIR_TEST(f) cmocka_unit_test_setup_teardown(f, setup_dir, teardown_dir)

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    DIR_TEST(test_create_writes_a_0600_key_and_nothing_else),
	    DIR_TEST(test_reopen_gives_the_same_key),
	    DIR_TEST(test_key_id_is_sha256_of_the_public_key),
	    DIR_TEST(test_sign_then_verify),
	    DIR_TEST(test_verify_refuses_malformed_base64),
	    DIR_TEST(test_refuses_a_key_others_can_read),
	    DIR_TEST(test_refuses_garbage),
	    DIR_TEST(test_refuses_an_empty_file),
	    DIR_TEST(test_refuses_rsa_and_ec_keys),
	    DIR_TEST(test_refuses_an_encrypted_key_without_prompting),
	    DIR_TEST(test_refuses_a_folder_in_place_of_the_key),
	    DIR_TEST(test_refuses_a_missing_data_folder),
	    cmocka_unit_test(test_canonical_sorts_drops_signature_no_spaces),
	    DIR_TEST(test_signed_canonical_document_verifies),
	    DIR_TEST(test_keys_json_shape),
	    DIR_TEST(test_rfc8032_vector_1),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
