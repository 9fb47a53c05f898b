-- Each expert's current revision per round, kept beside the append-only
-- ballots: counting complete ballots and numbering the next revision then
-- read one row per expert instead of every revision ever saved, and two
-- saves of one ballot at once queue on its head instead of colliding.

CREATE TABLE ballot_heads (
    meeting_id bigint NOT NULL,
    round_n    integer NOT NULL,
    expert_id  bigint NOT NULL REFERENCES users (id),
    revision   integer NOT NULL CHECK (revision >= 1),
    complete   boolean NOT NULL,
    PRIMARY KEY (meeting_id, round_n, expert_id),
    FOREIGN KEY (meeting_id, round_n) REFERENCES rounds (meeting_id, n)
);

INSERT INTO ballot_heads (meeting_id, round_n, expert_id, revision, complete)
    SELECT DISTINCT ON (meeting_id, round_n, expert_id)
           meeting_id, round_n, expert_id, revision, complete
    FROM ballots
    ORDER BY meeting_id, round_n, expert_id, revision DESC;

CREATE TRIGGER ballot_heads_frozen BEFORE INSERT OR UPDATE OR DELETE
    ON ballot_heads FOR EACH ROW EXECUTE FUNCTION refuse_if_finalized();
