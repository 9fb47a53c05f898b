-- Evaluations, their meetings, Delphi rounds, ballots and signed verdicts.

CREATE TABLE evaluations (
    id                     bigserial PRIMARY KEY,
    title                  text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
    standard_code          text NOT NULL
                           CHECK (length(standard_code) BETWEEN 1 AND 100),
    standard_title         text NOT NULL
                           CHECK (length(standard_title) BETWEEN 1 AND 300),
    drafting_organizations jsonb NOT NULL DEFAULT '[]',
    template_id            text,
    stage                  text NOT NULL CHECK (stage IN ('standards', 'pool',
                           'comparison', 'selection', 'weighting', 'scoring',
                           'finalized')),
    threshold              integer NOT NULL CHECK (threshold BETWEEN 0 AND 10000),
    -- The indicator table (workflow/table_json.h), without values.
    nodes                  jsonb NOT NULL,
    -- Set when the scoring meeting is finalized: code -> exact value.
    item_values            jsonb,
    created_by             bigint NOT NULL REFERENCES users (id),
    created_at             timestamptz NOT NULL DEFAULT now(),
    version                integer NOT NULL DEFAULT 1
);

CREATE TABLE meetings (
    id            bigserial PRIMARY KEY,
    evaluation_id bigint NOT NULL REFERENCES evaluations (id),
    kind          text NOT NULL CHECK (kind IN ('selection', 'weighting',
                  'scoring')),
    title         text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
    -- method, trim, max_iqr, max_cv, quantile, quorum (and for selection,
    -- selection_threshold): copied into each round when it opens.
    rules         jsonb NOT NULL,
    finalized_at  timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    version       integer NOT NULL DEFAULT 1
);
CREATE INDEX meetings_evaluation ON meetings (evaluation_id);

CREATE TABLE seats (
    meeting_id  bigint NOT NULL REFERENCES meetings (id),
    expert_id   bigint NOT NULL REFERENCES users (id),
    state       text NOT NULL DEFAULT 'invited'
                CHECK (state IN ('invited', 'seated', 'recused')),
    reason      text,
    statement   text CHECK (length(statement) <= 2000),
    declared_at timestamptz,
    PRIMARY KEY (meeting_id, expert_id)
);
CREATE INDEX seats_expert ON seats (expert_id);

CREATE TABLE rounds (
    meeting_id bigint NOT NULL REFERENCES meetings (id),
    n          integer NOT NULL CHECK (n >= 1),
    items      jsonb NOT NULL,
    rules      jsonb NOT NULL,
    opened_at  timestamptz NOT NULL DEFAULT now(),
    deadline   timestamptz,
    closed_at  timestamptz,
    results    jsonb,
    -- The ballot revisions that counted at close: [{"expert","revision"}].
    counted    jsonb,
    PRIMARY KEY (meeting_id, n)
);
CREATE UNIQUE INDEX rounds_one_open ON rounds (meeting_id)
    WHERE closed_at IS NULL;

-- Every revision of a ballot is a row of its own, never changed.
CREATE TABLE ballots (
    meeting_id bigint NOT NULL,
    round_n    integer NOT NULL,
    expert_id  bigint NOT NULL REFERENCES users (id),
    revision   integer NOT NULL CHECK (revision >= 1),
    complete   boolean NOT NULL,
    scores     jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (meeting_id, round_n, expert_id, revision),
    FOREIGN KEY (meeting_id, round_n) REFERENCES rounds (meeting_id, n)
);

CREATE TABLE verdicts (
    evaluation_id bigint PRIMARY KEY REFERENCES evaluations (id),
    document      jsonb NOT NULL,
    canonical     text NOT NULL,
    signature     text NOT NULL,
    key_id        text NOT NULL,
    finalized_at  timestamptz NOT NULL DEFAULT now(),
    finalized_by  bigint NOT NULL REFERENCES users (id)
);

CREATE TRIGGER ballots_append_only
    BEFORE UPDATE OR DELETE ON ballots
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER verdicts_append_only
    BEFORE UPDATE OR DELETE ON verdicts
    FOR EACH ROW EXECUTE FUNCTION refuse_change();

-- Nothing of a finalized evaluation changes any more: its meetings,
-- seats, rounds and ballots refuse every write (SQLSTATE PSF01, which the
-- server answers with 409 evaluation_finalized).
CREATE FUNCTION refuse_if_finalized() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    meeting bigint;
    evaluation bigint;
BEGIN
    IF TG_TABLE_NAME = 'evaluations' THEN
        IF OLD.stage = 'finalized' THEN
            RAISE EXCEPTION 'evaluation % is finalized', OLD.id
                USING ERRCODE = 'PSF01';
        END IF;
        RETURN NEW;
    END IF;
    IF TG_TABLE_NAME = 'meetings' THEN
        evaluation := COALESCE(NEW.evaluation_id, OLD.evaluation_id);
    ELSE
        meeting := COALESCE(NEW.meeting_id, OLD.meeting_id);
        SELECT m.evaluation_id INTO evaluation FROM meetings m
            WHERE m.id = meeting;
    END IF;
    IF EXISTS (SELECT 1 FROM evaluations e
               WHERE e.id = evaluation AND e.stage = 'finalized') THEN
        RAISE EXCEPTION 'evaluation % is finalized', evaluation
            USING ERRCODE = 'PSF01';
    END IF;
    RETURN COALESCE(NEW, OLD);
END
$$;

CREATE TRIGGER evaluations_frozen BEFORE UPDATE ON evaluations
    FOR EACH ROW EXECUTE FUNCTION refuse_if_finalized();
CREATE TRIGGER meetings_frozen BEFORE INSERT OR UPDATE OR DELETE ON meetings
    FOR EACH ROW EXECUTE FUNCTION refuse_if_finalized();
CREATE TRIGGER seats_frozen BEFORE INSERT OR UPDATE OR DELETE ON seats
    FOR EACH ROW EXECUTE FUNCTION refuse_if_finalized();
CREATE TRIGGER rounds_frozen BEFORE INSERT OR UPDATE OR DELETE ON rounds
    FOR EACH ROW EXECUTE FUNCTION refuse_if_finalized();
CREATE TRIGGER ballots_frozen BEFORE INSERT ON ballots
    FOR EACH ROW EXECUTE FUNCTION refuse_if_finalized();
