/*
 * Session tokens: 32 bytes from RAND_bytes, base64url without padding
 * (43 characters).  The database stores only SHA-256 of a token, so a
 * leaked table opens no session.
 */
#ifndef PINGSHEN_TOKEN_H
#define PINGSHEN_TOKEN_H

#include <stdbool.h>
#include <stddef.h>

#define TOKEN_LEN      43 /* characters, without NUL */
#define TOKEN_HASH_HEX 64 /* hex digits of SHA-256, without NUL */

/* A new token into out (TOKEN_LEN + 1 bytes).  Returns 0 or -1. */
int token_new(char out[TOKEN_LEN + 1]);

/* True when s[0..len) has a token's shape (43 base64url characters). */
bool token_valid(const char *s, size_t len);

/* SHA-256 of token[0..len) as lowercase hex into out (65 bytes). */
void token_hash_hex(const char *token, size_t len,
		    char out[TOKEN_HASH_HEX + 1]);

/* Constant-time equality of two equal-length byte strings. */
bool token_equal(const void *a, const void *b, size_t len);

/* base64url without padding of in[0..len) into out, which must hold
 * 4 * ((len + 2) / 3) + 1 bytes; returns the length written. */
size_t token_b64url(const unsigned char *in, size_t len, char *out);

#endif
