/*
 * Recomputes the audit hash chain exactly as the server documents it, from
 * the entries alone, so an auditor's check does not depend on trusting
 * the server's own verifier.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "audit_verify.h"
#include "xalloc.h"

/* 64 lowercase hex digits into 32 bytes. */
static bool
audit_verify_unhex(const char *hex, unsigned char raw[32])
{
	if (hex == NULL || strlen(hex) != AUDIT_VERIFY_HEX)
		return false;
	for (int i = 0; i < 32; i++) {
		int v = 0;

		for (int k = 0; k < 2; k++) {
			char c = hex[2 * i + k];

			if (c >= '0' && c <= '9')
				v = v * 16 + (c - '0');
			else if (c >= 'a' && c <= 'f')
				v = v * 16 + (c - 'a' + 10);
			else
				return false;
		}
		raw[i] = (unsigned char)v;
	}
	return true;
}

bool
audit_verify_hash(const char *prev_hex, const json_t *entry,
		  char out[AUDIT_VERIFY_HEX + 1])
{
	unsigned char prev[32] = {0}, md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	json_t *copy;
	EVP_MD_CTX *ctx;
	char *text;
	bool ok;

	if (prev_hex[0] != '\0' && !audit_verify_unhex(prev_hex, prev))
		return false;
	copy = json_deep_copy(entry);
	if (copy == NULL)
		abort();
	json_object_del(copy, "hash");
	text = json_dumps(copy, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(copy);
	ctx = EVP_MD_CTX_new();
	if (text == NULL || ctx == NULL)
		abort();
	ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	     EVP_DigestUpdate(ctx, prev, sizeof prev) == 1 &&
	     EVP_DigestUpdate(ctx, text, strlen(text)) == 1 &&
	     EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 && mdlen == 32;
	EVP_MD_CTX_free(ctx);
	free(text);
	if (!ok)
		return false;
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return true;
}

bool
audit_verify_chain(const json_t *entries, char last_hash[AUDIT_VERIFY_HEX + 1],
		   size_t *bad, char *why, size_t why_len)
{
	char prev[AUDIT_VERIFY_HEX + 1] = "", want[AUDIT_VERIFY_HEX + 1];
	size_t i;
	json_t *e;

	last_hash[0] = '\0';
	*bad = 0;
	if (!json_is_array(entries)) {
		snprintf(why, why_len, "the log is not a JSON array");
		return false;
	}
	json_array_foreach(entries, i, e)
	{
		json_t *seq = json_object_get(e, "seq");
		const char *hash =
		    json_string_value(json_object_get(e, "hash"));
		unsigned char raw[32];

		*bad = i;
		if (!json_is_object(e)) {
			snprintf(why, why_len, "entry %zu is not an object",
				 i + 1);
			return false;
		}
		if (!json_is_integer(seq) ||
		    json_integer_value(seq) != (json_int_t)i + 1) {
			snprintf(why, why_len,
				 "entry %zu has seq %s where %zu belongs",
				 i + 1, json_is_integer(seq) ? "another" : "no",
				 i + 1);
			return false;
		}
		if (!audit_verify_unhex(hash, raw)) {
			snprintf(why, why_len,
				 "seq %zu: its hash is not 64 hex digits",
				 i + 1);
			return false;
		}
		if (!audit_verify_hash(prev, e, want)) {
			snprintf(why, why_len, "seq %zu: SHA-256 failed",
				 i + 1);
			return false;
		}
		if (strcmp(want, hash) != 0) {
			snprintf(why, why_len,
				 "seq %zu: its hash %s does not recompute "
				 "(expected %s)",
				 i + 1, hash, want);
			return false;
		}
		memcpy(prev, want, sizeof prev);
	}
	memcpy(last_hash, prev, sizeof prev);
	return true;
}
