-- Saved templates: the indicator table of a finalized evaluation (its nodes,
-- without values), kept so that later evaluations of the same field start
-- from it at `scoring`, like the built-in ones.  Never changed once saved.

CREATE TABLE templates (
    id              text PRIMARY KEY CHECK (id ~ '^[a-z0-9_-]{1,64}$'),
    title           text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
    threshold       integer NOT NULL CHECK (threshold BETWEEN 0 AND 10000),
    nodes           jsonb NOT NULL,
    from_evaluation bigint REFERENCES evaluations (id),
    created_by      bigint NOT NULL REFERENCES users (id),
    created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TRIGGER templates_append_only
    BEFORE UPDATE OR DELETE ON templates
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER templates_no_truncate
    BEFORE TRUNCATE ON templates
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
