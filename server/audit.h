/*
 * The audit log's entries as JSON and their hash chain.  An entry's hash
 * is SHA-256 over the previous entry's hash (32 raw bytes; zeros before the
 * first) followed by the entry's canonical JSON: the object GET /audit
 * serves, without "hash", with sorted keys and no spaces (jansson
 * JSON_COMPACT | JSON_SORT_KEYS).  Anyone holding the log can recompute the
 * chain; the client's `audit verify` does.
 */
#ifndef PINGSHEN_AUDIT_H
#define PINGSHEN_AUDIT_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>

#define AUDIT_HASH_HEX 64

/*
 * The columns audit_entry_json reads, in order, for a query over
 * audit_log a joined with audit_chain c (c may be absent: seq and hash are
 * then NULL).
 */
#define AUDIT_COLUMNS                                                          \
	"c.seq, to_char(a.at AT TIME ZONE 'UTC',"                              \
	" 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),"                               \
	" a.actor_id, a.actor_username, a.actor_role, a.action,"               \
	" a.evaluation_id, a.meeting_id, a.object_type, a.object_id,"          \
	" a.details::text, a.request_id, a.client_addr, c.hash, a.id"
#define AUDIT_COL_HASH 13
#define AUDIT_COL_ID   14

/*
 * The entry of row `row` as a new JSON object (caller decrefs), with
 * "seq" taken from seq (the sequencer's number) and "hash" included when
 * with_hash.
 */
json_t *audit_entry_json(const PGresult *res, int row, long long seq,
			 bool with_hash);

/*
 * The chain hash of entry (without its "hash" member) after prev_hex (""
 * or 64 hex digits) into out.  Returns false when prev_hex is malformed.
 */
bool audit_chain_hash(const char *prev_hex, const json_t *entry,
		      char out[AUDIT_HASH_HEX + 1]);

#endif
