-- Stages d and e: the key indicators a selection meeting picked from the
-- pool, and the advanced levels the secretary confirmed for a weighting
-- meeting's leaves before it is finalized.

-- Set for every candidate when a selection meeting is finalized; null
-- before.
ALTER TABLE pool ADD COLUMN key boolean;

CREATE TABLE advanced_levels (
    meeting_id    bigint NOT NULL REFERENCES meetings (id),
    code          text NOT NULL,
    text          text NOT NULL CHECK (length(text) BETWEEN 1 AND 2000),
    -- The text is one the panel proposed, rather than the secretary's own.
    from_proposal boolean NOT NULL,
    confirmed_by  bigint NOT NULL REFERENCES users (id),
    confirmed_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (meeting_id, code)
);

CREATE TRIGGER advanced_levels_frozen
    BEFORE INSERT OR UPDATE OR DELETE ON advanced_levels
    FOR EACH ROW EXECUTE FUNCTION refuse_if_finalized();
