/*
 * The audit log's hash chain, recomputed on the client: hash_n =
 * SHA-256(hash_{n-1} as 32 raw bytes, zeros before seq 1 || entry n
 * without "hash" as canonical JSON: jansson JSON_COMPACT|JSON_SORT_KEYS).
 */
#ifndef PINGSHEN_AUDIT_VERIFY_H
#define PINGSHEN_AUDIT_VERIFY_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/* Hex digits of a hash, without the NUL. */
#define AUDIT_VERIFY_HEX 64

/*
 * The chain hash of entry (its "hash" member ignored) after prev_hex (64
 * hex digits, or "" before the first entry) into out as hex.  False when
 * prev_hex is malformed.
 */
bool audit_verify_hash(const char *prev_hex, const json_t *entry,
		       char out[AUDIT_VERIFY_HEX + 1])
    __attribute__((warn_unused_result));

/*
 * Checks entries (a JSON array, seq 1..N in order, each hash
 * recomputing).  On success copies the last hash into last_hash ("" for
 * an empty log) and returns true; otherwise *bad is the 0-based index of
 * the first bad entry, why says what is wrong, and the result is false.
 */
bool audit_verify_chain(const json_t *entries,
			char last_hash[AUDIT_VERIFY_HEX + 1], size_t *bad,
			char *why, size_t why_len)
    __attribute__((warn_unused_result));

#endif
