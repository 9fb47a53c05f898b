-- The crash test's database checks, run by crash-test through psql as the
-- cluster's superuser once every write is settled.  Table j holds the
-- settled journal (crashgen settle): one row per request, with the content
-- the server must have stored for it.  :meeting and :round name the round
-- the load wrote to.  Each check prints one line NAME|BAD|TOTAL|EXAMPLES;
-- a check passes when BAD is 0.

-- Hash joins, not thousands of scans: both sides materialized, with
-- statistics.
CREATE TEMP TABLE b AS
    SELECT expert_id, revision, complete, scores,
           scores -> 0 ->> 'comment' AS comment
    FROM ballots WHERE meeting_id = :meeting AND round_n = :round;
CREATE TEMP TABLE comments AS
    SELECT comment, count(*) AS n FROM b GROUP BY comment;
ANALYZE j;
ANALYZE b;
ANALYZE comments;

-- Every acknowledged write is the revision it was acknowledged as, with
-- exactly the content that was sent.
SELECT 'ok_writes_stored_as_acknowledged', count(*) FILTER (WHERE bad),
       count(*), array_to_string((array_agg(seq) FILTER (WHERE bad))[1:5], ' ')
FROM (SELECT j.seq, b.scores IS DISTINCT FROM j.stored
             OR b.complete IS DISTINCT FROM j.complete AS bad
      FROM j LEFT JOIN b ON b.expert_id = j.expert_id
      AND b.revision = j.version
      WHERE j.outcome = 'ok') x;

-- ... and only once: no retry or replay wrote it a second time.
SELECT 'ok_writes_stored_once', count(*) FILTER (WHERE bad), count(*),
       array_to_string((array_agg(seq) FILTER (WHERE bad))[1:5], ' ')
FROM (SELECT j.seq, c.n IS DISTINCT FROM 1 AS bad
      FROM j LEFT JOIN comments c ON c.comment = j.comment
      WHERE j.outcome = 'ok') x;

-- A write refused for good left nothing behind.
SELECT 'failed_writes_absent', count(*) FILTER (WHERE bad), count(*),
       array_to_string((array_agg(seq) FILTER (WHERE bad))[1:5], ' ')
FROM (SELECT j.seq, c.n IS NOT NULL AS bad
      FROM j LEFT JOIN comments c ON c.comment = j.comment
      WHERE j.outcome = 'failed') x;

-- Every revision in the table is a write some answer acknowledged.
SELECT 'no_unacknowledged_revisions', count(*) FILTER (WHERE bad), count(*),
       array_to_string((array_agg(expert_id || '/' || revision)
                        FILTER (WHERE bad))[1:5], ' ')
FROM (SELECT b.expert_id, b.revision, a.comment IS NULL AS bad
      FROM b LEFT JOIN (SELECT DISTINCT comment, expert_id, version FROM j
                        WHERE outcome = 'ok') a
      ON a.comment = b.comment AND a.expert_id = b.expert_id
      AND a.version = b.revision) x;

-- Revisions count 1..N per expert with no gap, and the head row names N.
SELECT 'revisions_dense_and_head', count(*) FILTER (WHERE bad), count(*),
       array_to_string((array_agg(expert_id) FILTER (WHERE bad))[1:5], ' ')
FROM (SELECT coalesce(r.expert_id, h.expert_id) AS expert_id,
             r.n IS DISTINCT FROM r.top OR h.revision IS DISTINCT FROM r.top
             OR h.complete IS DISTINCT FROM t.complete AS bad
      FROM (SELECT expert_id, count(*) AS n, max(revision) AS top
            FROM b GROUP BY expert_id) r
      FULL JOIN (SELECT expert_id, revision, complete FROM ballot_heads
                 WHERE meeting_id = :meeting AND round_n = :round) h
      ON h.expert_id = r.expert_id
      LEFT JOIN b t ON t.expert_id = r.expert_id AND t.revision = r.top) x;

-- Each revision has exactly one audit entry, and no entry names a
-- revision that is not there.
SELECT 'audit_entry_per_revision', count(*) FILTER (WHERE bad), count(*),
       array_to_string((array_agg(expert_id || '/' || revision)
                        FILTER (WHERE bad))[1:5], ' ')
FROM (SELECT coalesce(b.expert_id, a.actor_id) AS expert_id,
             coalesce(b.revision, a.revision) AS revision,
             b.revision IS NULL OR a.n IS DISTINCT FROM 1 AS bad
      FROM b FULL JOIN
           (SELECT actor_id, (details ->> 'revision')::int AS revision,
                   count(*) AS n
            FROM audit_log WHERE action = 'ballot.submit'
            AND meeting_id = :meeting
            AND (details ->> 'round')::int = :round
            GROUP BY 1, 2) a
      ON a.actor_id = b.expert_id AND a.revision = b.revision) x;

-- The stored first answer of each acknowledged write names its version;
-- no key was left claimed without an answer.
SELECT 'idempotency_records', count(*) FILTER (WHERE bad), count(*),
       array_to_string((array_agg(key) FILTER (WHERE bad))[1:5], ' ')
FROM (SELECT j.key, k.status IS DISTINCT FROM 200
             OR (k.body::jsonb ->> 'version')::int IS DISTINCT FROM j.version
             AS bad
      FROM j LEFT JOIN idempotency_keys k ON k.user_id = j.expert_id
      AND k.key = j.key
      WHERE j.outcome = 'ok'
      UNION ALL
      SELECT key, true FROM idempotency_keys WHERE status = 0) x;

-- The sequencer caught up with every committed entry, across the crashes,
-- in one dense chain.
SELECT 'audit_chain_complete',
       (SELECT count(*) FROM audit_pending)
       + abs((SELECT count(*) FROM audit_chain)
             - (SELECT count(*) FROM audit_log))
       + abs((SELECT coalesce(max(seq), 0) FROM audit_chain)
             - (SELECT count(*) FROM audit_chain)),
       (SELECT count(*) FROM audit_log),
       (SELECT count(*) FROM audit_pending) || ' pending, '
       || (SELECT count(*) FROM audit_chain) || ' chained';
