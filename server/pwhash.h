/*
 * Password hashing with scrypt (OpenSSL 3 EVP_PKEY_SCRYPT / EVP_PBE_scrypt)
 * at OWASP's parameters (N = 2^17, r = 8, p = 1) with an explicit maxmem,
 * since OpenSSL's default refuses N = 2^17 (NOTES.md).  These functions
 * block for ~0.4 s: call them from hash_pool's workers or before the event
 * loop runs, never on the loop thread.
 *
 * Encoded form, self-describing so parameters can rise later:
 *   "scrypt$LOG2N$R$P$SALT$HASH"   (salt 16 bytes, hash 32 bytes, both
 *                                    base64url without padding)
 */
#ifndef PINGSHEN_PWHASH_H
#define PINGSHEN_PWHASH_H

#include <stdbool.h>
#include <stddef.h>

#define PWHASH_ENCODED_MAX 128

/*
 * Passwords are byte strings, NULs included, with one exception inherited
 * from scrypt's HMAC: trailing NULs of a password up to 64 bytes do not
 * count ("pw" and "pw\0" match the same hash).
 */

/* Hashes password[0..len) with a fresh random salt into out
 * (PWHASH_ENCODED_MAX bytes).  Returns 0, or -1 when log2_n is outside
 * 10..20 or OpenSSL fails. */
int pwhash_hash(const char *password, size_t len, int log2_n,
		char out[PWHASH_ENCODED_MAX]);

/* True when password matches encoded; false on mismatch or a malformed
 * encoding.  Only the canonical form is read: log2 N 10..20, r 1..32,
 * p 1..16, decimals without sign or leading zero, base64url without
 * padding and with zero unused bits.  Compares in constant time
 * (CRYPTO_memcmp). */
bool pwhash_verify(const char *password, size_t len, const char *encoded);

/* An encoding of a random password at log2_n, for verifying unknown users
 * so they take as long as known ones.  Returns 0 or -1. */
int pwhash_dummy(int log2_n, char out[PWHASH_ENCODED_MAX]);

#endif
