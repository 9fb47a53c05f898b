-- Accounts, sessions, idempotency keys and the append-only audit log.

CREATE TABLE users (
    id            bigserial PRIMARY KEY,
    username      text NOT NULL UNIQUE
                  CHECK (username ~ '^[A-Za-z0-9._-]{1,64}$'),
    display_name  text NOT NULL DEFAULT ''
                  CHECK (length(display_name) <= 200),
    role          text NOT NULL
                  CHECK (role IN ('admin', 'secretary', 'expert', 'auditor')),
    organization  text NOT NULL DEFAULT ''
                  CHECK (length(organization) <= 200),
    password_hash text NOT NULL,
    active        boolean NOT NULL DEFAULT true,
    version       integer NOT NULL DEFAULT 1,
    created_at    timestamptz NOT NULL DEFAULT now()
);

-- Only the SHA-256 of a token is stored: a copy of this table opens no
-- session.
CREATE TABLE sessions (
    token_hash  text PRIMARY KEY CHECK (token_hash ~ '^[0-9a-f]{64}$'),
    user_id     bigint NOT NULL REFERENCES users (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- The first answer to a POST or PUT with an Idempotency-Key, written in
-- the same transaction as the change it acknowledges.
CREATE TABLE idempotency_keys (
    user_id       bigint NOT NULL REFERENCES users (id),
    key           text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    request_hash  text NOT NULL,
    status        integer NOT NULL,
    body          text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- Every state change, written in the transaction that makes it.
CREATE TABLE audit_log (
    id             bigserial PRIMARY KEY,
    at             timestamptz NOT NULL DEFAULT now(),
    actor_id       bigint REFERENCES users (id),
    actor_username text,
    actor_role     text,
    action         text NOT NULL,
    evaluation_id  bigint,
    meeting_id     bigint,
    object_type    text,
    object_id      bigint,
    details        jsonb NOT NULL DEFAULT '{}',
    request_id     text,
    client_addr    text
);
CREATE INDEX audit_log_evaluation ON audit_log (evaluation_id, id);
CREATE INDEX audit_log_actor ON audit_log (actor_id, id);

-- The sequencer's output: committed entries in the order it saw them, each
-- hash covering the previous one, like a Certificate Transparency log.
CREATE TABLE audit_chain (
    seq          bigint PRIMARY KEY CHECK (seq >= 1),
    entry_id     bigint NOT NULL UNIQUE REFERENCES audit_log (id),
    hash         text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
    sequenced_at timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER audit_log_append_only
    BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER audit_log_no_truncate
    BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER audit_chain_append_only
    BEFORE UPDATE OR DELETE ON audit_chain
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER audit_chain_no_truncate
    BEFORE TRUNCATE ON audit_chain
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

-- Entries not yet sequenced.  The sequencer reads this small table instead
-- of searching the whole log, and empties it as it extends the chain.
CREATE TABLE audit_pending (
    entry_id bigint PRIMARY KEY REFERENCES audit_log (id)
);

CREATE FUNCTION audit_enqueue() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO audit_pending (entry_id) VALUES (NEW.id);
    RETURN NULL;
END
$$;

CREATE TRIGGER audit_log_enqueue
    AFTER INSERT ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_enqueue();
