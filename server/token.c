/*
 * Session tokens and the base64url encoder they share with pwhash.  A token
 * is 256 random bits; the server keeps only its SHA-256, which is enough to
 * find the session and useless for opening one.
 */
#include "token.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#define TOKEN_BYTES 32

static const char token_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int
token_new(char out[TOKEN_LEN + 1])
{
	unsigned char raw[TOKEN_BYTES];

	if (RAND_bytes(raw, sizeof raw) != 1)
		return -1;
	token_b64url(raw, sizeof raw, out);
	OPENSSL_cleanse(raw, sizeof raw);
	return 0;
}

/* Shape only: whether the token exists is the database's question. */
bool
token_valid(const char *s, size_t len)
{
	size_t i;

	if (s == NULL || len != TOKEN_LEN)
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] == '\0' || strchr(token_alphabet, s[i]) == NULL)
			return false;
	}
	return true;
}

/*
 * SHA-256 cannot fail short of running out of memory, which the project
 * treats as fatal (xalloc.h); a void signature keeps callers simple.
 */
void
token_hash_hex(const char *token, size_t len, char out[TOKEN_HASH_HEX + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	unsigned int i;

	if (EVP_Digest(token, len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen * 2 != TOKEN_HASH_HEX) {
		fprintf(stderr, "fatal: token_hash_hex: SHA-256 failed\n");
		abort();
	}
	for (i = 0; i < mdlen; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0x0f];
	}
	out[TOKEN_HASH_HEX] = '\0';
}

bool
token_equal(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) == 0;
}

/* Three bytes become four characters; a short tail becomes two or three. */
size_t
token_b64url(const unsigned char *in, size_t len, char *out)
{
	size_t i, n = 0;

	for (i = 0; i + 2 < len; i += 3) {
		unsigned long v = (unsigned long)in[i] << 16 |
				  (unsigned long)in[i + 1] << 8 | in[i + 2];

		out[n++] = token_alphabet[v >> 18];
		out[n++] = token_alphabet[(v >> 12) & 0x3f];
		out[n++] = token_alphabet[(v >> 6) & 0x3f];
		out[n++] = token_alphabet[v & 0x3f];
	}
	if (len - i == 1) {
		unsigned long v = (unsigned long)in[i] << 16;

		out[n++] = token_alphabet[v >> 18];
		out[n++] = token_alphabet[(v >> 12) & 0x3f];
	} else if (len - i == 2) {
		unsigned long v =
		    (unsigned long)in[i] << 16 | (unsigned long)in[i + 1] << 8;

		out[n++] = token_alphabet[v >> 18];
		out[n++] = token_alphabet[(v >> 12) & 0x3f];
		out[n++] = token_alphabet[(v >> 6) & 0x3f];
	}
	out[n] = '\0';
	return n;
}
