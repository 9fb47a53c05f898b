/* Audit entries as canonical JSON, and the chain hash over them. */
#include "audit.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

/* A nullable text column as a JSON string or null. */
static json_t *
audit_text(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col)
		   ? json_null()
		   : json_string(PQgetvalue(res, row, col));
}

/* A nullable bigint column as a JSON integer or null. */
static json_t *
audit_int(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col)
		   ? json_null()
		   : json_integer(strtoll(PQgetvalue(res, row, col), NULL, 10));
}

json_t *
audit_entry_json(const PGresult *res, int row, long long seq, bool with_hash)
{
	json_t *details = json_loads(PQgetvalue(res, row, 10), 0, NULL);
	json_t *e = json_object();

	json_object_set_new(e, "seq", json_integer(seq));
	json_object_set_new(e, "at", audit_text(res, row, 1));
	json_object_set_new(e, "actor",
			    json_pack("{s:o, s:o, s:o}", "id",
				      audit_int(res, row, 2), "username",
				      audit_text(res, row, 3), "role",
				      audit_text(res, row, 4)));
	json_object_set_new(e, "action", audit_text(res, row, 5));
	json_object_set_new(e, "evaluation_id", audit_int(res, row, 6));
	json_object_set_new(e, "meeting_id", audit_int(res, row, 7));
	json_object_set_new(e, "object_type", audit_text(res, row, 8));
	json_object_set_new(e, "object_id", audit_int(res, row, 9));
	json_object_set_new(e, "details", details ? details : json_object());
	json_object_set_new(e, "request_id", audit_text(res, row, 11));
	json_object_set_new(e, "client", audit_text(res, row, 12));
	if (with_hash)
		json_object_set_new(e, "hash",
				    audit_text(res, row, AUDIT_COL_HASH));
	return e;
}

static int
audit_unhex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

bool
audit_chain_hash(const char *prev_hex, const json_t *entry,
		 char out[AUDIT_HASH_HEX + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char prev[32] = {0}, md[32];
	json_t *copy = json_copy((json_t *)entry);
	char *text;
	EVP_MD_CTX *ctx;

	if (prev_hex[0] != '\0') {
		if (strlen(prev_hex) != AUDIT_HASH_HEX) {
			json_decref(copy);
			return false;
		}
		for (int i = 0; i < 32; i++) {
			int hi = audit_unhex(prev_hex[2 * i]);
			int lo = audit_unhex(prev_hex[2 * i + 1]);

			if (hi < 0 || lo < 0) {
				json_decref(copy);
				return false;
			}
			prev[i] = (unsigned char)(hi << 4 | lo);
		}
	}
	json_object_del(copy, "hash");
	text = json_dumps(copy, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(copy);
	ctx = EVP_MD_CTX_new();
	if (text == NULL || ctx == NULL)
		abort();
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	EVP_DigestUpdate(ctx, prev, sizeof prev);
	EVP_DigestUpdate(ctx, text, strlen(text));
	EVP_DigestFinal_ex(ctx, md, NULL);
	EVP_MD_CTX_free(ctx);
	free(text);
	for (int i = 0; i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[AUDIT_HASH_HEX] = '\0';
	return true;
}
