/*
 * scrypt password hashes in a self-describing text form, so stored hashes
 * keep verifying after the cost parameters rise.  Decoding is strict: only
 * the exact form pwhash_hash writes is accepted, so a damaged or forged row
 * can never steer the derivation into odd parameters or lengths.
 */
#include "pwhash.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "token.h"

#define PWHASH_PREFIX	"scrypt$"
#define PWHASH_SALT_LEN 16
#define PWHASH_KEY_LEN	32
/* Base64url without padding: ceil(8 * bytes / 6) characters. */
#define PWHASH_B64_LEN(n) (((n)*8 + 5) / 6)
#define PWHASH_R	  8
#define PWHASH_P	  1
#define PWHASH_LOG2N_MIN  10
#define PWHASH_LOG2N_MAX  20
#define PWHASH_R_MAX	  32
#define PWHASH_P_MAX	  16
/* Slack over OpenSSL's exact requirement, should a release count more. */
#define PWHASH_MAXMEM_HEADROOM (1u << 20)

struct pwhash_params {
	int log2_n;
	int r;
	int p;
	unsigned char salt[PWHASH_SALT_LEN];
	unsigned char key[PWHASH_KEY_LEN];
};

/*
 * OpenSSL refuses to work in more than maxmem bytes, and its default
 * (32 MiB) is below what N = 2^17 needs.  It allocates B (128 * r * p) and
 * V (128 * r * (N + 2)); the p lanes run one after another, so p does not
 * multiply V.  The bounds of the accepted parameters keep this in uint64_t.
 */
static uint64_t
pwhash_maxmem(int log2_n, int r, int p)
{
	uint64_t n = UINT64_C(1) << log2_n;

	return 128 * (uint64_t)r * (n + 2 + (uint64_t)p) +
	       PWHASH_MAXMEM_HEADROOM;
}

/* Derives the key; OpenSSL's EVP_PBE_scrypt already wipes its scratch. */
static int
pwhash_derive(const char *password, size_t len, int log2_n, int r, int p,
	      const unsigned char *salt, unsigned char key[PWHASH_KEY_LEN])
{
	if (EVP_PBE_scrypt(password, len, salt, PWHASH_SALT_LEN,
			   UINT64_C(1) << log2_n, (uint64_t)r, (uint64_t)p,
			   pwhash_maxmem(log2_n, r, p), key,
			   PWHASH_KEY_LEN) != 1) {
		OPENSSL_cleanse(key, PWHASH_KEY_LEN);
		return -1;
	}
	return 0;
}

/* Value of a base64url character, or -1. */
static int
pwhash_b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

/*
 * Decodes exactly PWHASH_B64_LEN(outlen) characters of s into out.  The
 * unused low bits of the last character must be zero, so each value has
 * one spelling only.
 */
static bool
pwhash_b64_decode(const char *s, size_t slen, unsigned char *out, size_t outlen)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t i, n = 0;

	if (slen != PWHASH_B64_LEN(outlen))
		return false;
	for (i = 0; i < slen; i++) {
		int v = pwhash_b64_value((unsigned char)s[i]);

		if (v < 0)
			return false;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (unsigned char)(acc >> bits);
			acc &= (UINT32_C(1) << bits) - 1;
		}
	}
	return acc == 0;
}

/*
 * Parses a canonical decimal in [min, max] ending at '$'; advances *s past
 * the '$'.  Signs, spaces and leading zeros are refused.
 */
static bool
pwhash_parse_int(const char **s, int min, int max, int *out)
{
	const char *c = *s;
	int v = 0;

	if (*c < '1' || *c > '9')
		return false;
	while (*c >= '0' && *c <= '9') {
		v = v * 10 + (*c - '0');
		if (v > max)
			return false;
		c++;
	}
	if (*c != '$' || v < min)
		return false;
	*s = c + 1;
	*out = v;
	return true;
}

/* Splits an encoding into its fields; false on any deviation. */
static bool
pwhash_decode(const char *encoded, struct pwhash_params *pp)
{
	const char *s = encoded, *dollar;

	if (strncmp(s, PWHASH_PREFIX, strlen(PWHASH_PREFIX)) != 0)
		return false;
	s += strlen(PWHASH_PREFIX);
	if (!pwhash_parse_int(&s, PWHASH_LOG2N_MIN, PWHASH_LOG2N_MAX,
			      &pp->log2_n) ||
	    !pwhash_parse_int(&s, 1, PWHASH_R_MAX, &pp->r) ||
	    !pwhash_parse_int(&s, 1, PWHASH_P_MAX, &pp->p))
		return false;
	dollar = strchr(s, '$');
	if (dollar == NULL || !pwhash_b64_decode(s, (size_t)(dollar - s),
						 pp->salt, sizeof pp->salt))
		return false;
	s = dollar + 1;
	return pwhash_b64_decode(s, strlen(s), pp->key, sizeof pp->key);
}

int
pwhash_hash(const char *password, size_t len, int log2_n,
	    char out[PWHASH_ENCODED_MAX])
{
	unsigned char salt[PWHASH_SALT_LEN], key[PWHASH_KEY_LEN];
	char salt64[PWHASH_B64_LEN(PWHASH_SALT_LEN) + 1];
	char key64[PWHASH_B64_LEN(PWHASH_KEY_LEN) + 1];
	int n;

	if (log2_n < PWHASH_LOG2N_MIN || log2_n > PWHASH_LOG2N_MAX)
		return -1;
	if (RAND_bytes(salt, sizeof salt) != 1)
		return -1;
	if (pwhash_derive(password, len, log2_n, PWHASH_R, PWHASH_P, salt,
			  key) != 0)
		return -1;
	token_b64url(salt, sizeof salt, salt64);
	token_b64url(key, sizeof key, key64);
	OPENSSL_cleanse(key, sizeof key);
	n = snprintf(out, PWHASH_ENCODED_MAX, PWHASH_PREFIX "%d$%d$%d$%s$%s",
		     log2_n, PWHASH_R, PWHASH_P, salt64, key64);
	return n > 0 && n < PWHASH_ENCODED_MAX ? 0 : -1;
}

bool
pwhash_verify(const char *password, size_t len, const char *encoded)
{
	struct pwhash_params pp;
	unsigned char key[PWHASH_KEY_LEN];
	bool match = false;

	if (encoded != NULL && pwhash_decode(encoded, &pp) &&
	    pwhash_derive(password, len, pp.log2_n, pp.r, pp.p, pp.salt, key) ==
		0) {
		match = CRYPTO_memcmp(key, pp.key, sizeof key) == 0;
		OPENSSL_cleanse(key, sizeof key);
	}
	OPENSSL_cleanse(&pp, sizeof pp);
	return match;
}

int
pwhash_dummy(int log2_n, char out[PWHASH_ENCODED_MAX])
{
	unsigned char password[32];
	int rc;

	/* Nobody ever knows this password, so the dummy never matches. */
	if (RAND_bytes(password, sizeof password) != 1)
		return -1;
	rc = pwhash_hash((const char *)password, sizeof password, log2_n, out);
	OPENSSL_cleanse(password, sizeof password);
	return rc;
}
