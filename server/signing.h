/*
 * The server's verdict-signing key: Ed25519, kept as a PKCS#8 PEM file
 * DATA_DIR/verdict-signing.key that only its owner may read.  A finalized
 * verdict is stored with a signature over its canonical JSON (signing_
 * canonical), so anyone holding the public key served by GET /api/v1/keys
 * can check that it was never altered.
 *
 * Signing and verifying take microseconds: they may run on the loop thread.
 * The handle is read-only after signing_open, so several threads may sign
 * with it at once.
 */
#ifndef PINGSHEN_SIGNING_H
#define PINGSHEN_SIGNING_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#define SIGNING_KEY_FILE   "verdict-signing.key"
#define SIGNING_ALG	   "Ed25519"
#define SIGNING_KEY_ID_LEN 16 /* hex digits of SHA-256(public key) */

struct signing;

/*
 * Loads DATA_DIR/verdict-signing.key, or creates it when it does not exist
 * (atomically: a crash leaves either no key file or a complete one; if
 * another process creates it first, that key is loaded).  data_dir must
 * exist.  Refuses a file that group or others may access, that is not a
 * regular file, that cannot be read, or that does not hold an Ed25519
 * private key.  Returns the handle (signing_free), or NULL with *err set to
 * a message the caller frees.
 */
struct signing *signing_open(const char *data_dir, char **err)
    __attribute__((warn_unused_result));

/* Frees s; NULL is fine. */
void signing_free(struct signing *s);

/*
 * The key id: the first 16 hex digits of SHA-256 of the raw 32-byte public
 * key, the same across restarts.  Owned by s.
 */
const char *signing_key_id(const struct signing *s);

/* The raw 32-byte public key in standard base64 with padding; owned by s. */
const char *signing_public_key_b64(const struct signing *s);

/*
 * Signs msg[0..len) (msg may be NULL when len is 0) and sets *sig_b64 to
 * the 64-byte signature in standard base64, which the caller frees.
 * Returns 0, or -1 when OpenSSL fails (*sig_b64 is then NULL).
 */
int signing_sign(const struct signing *s, const char *msg, size_t len,
		 char **sig_b64) __attribute__((warn_unused_result));

/*
 * True when sig_b64 is a valid Ed25519 signature of msg[0..len) under the
 * raw public key public_key_b64.  Both must be canonical standard base64
 * (padding included, unused bits zero) of 32 and 64 bytes; anything else,
 * NULL included, is false.
 */
bool signing_verify(const char *public_key_b64, const char *msg, size_t len,
		    const char *sig_b64);

/*
 * The canonical text of the object doc without its top-level "signature"
 * member: jansson JSON_COMPACT | JSON_SORT_KEYS (no spaces, keys in UTF-8
 * byte order, non-ASCII unescaped).  doc is not modified.  Returns a string
 * the caller frees with free(), or NULL when doc is not an object.  Numbers
 * that decide a verdict travel as decimal strings, so no float formatting
 * enters the signed text.
 */
char *signing_canonical(const json_t *doc);

/*
 * The keys as GET /api/v1/keys serves them:
 * [{"key_id","alg":"Ed25519","public_key"}].  A new reference (caller
 * decrefs).
 */
json_t *signing_keys_json(const struct signing *s);

#endif
