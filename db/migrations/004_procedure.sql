-- The section 4.1 procedure's records: related standards (a), the
-- indicator pool of groups and candidates (b) with their comparisons (c),
-- and stakeholder consultations (d).

CREATE TABLE standards (
    id            bigserial PRIMARY KEY,
    evaluation_id bigint NOT NULL REFERENCES evaluations (id),
    code          text NOT NULL CHECK (length(code) BETWEEN 1 AND 100),
    title         text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
    scope         text NOT NULL CHECK (scope IN ('international', 'foreign',
                  'national', 'industry', 'local', 'group')),
    clauses       jsonb NOT NULL DEFAULT '[]',
    created_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (evaluation_id, code)
);

-- Groups (level 1 and 2) and candidate indicators, by code.
CREATE TABLE pool (
    evaluation_id bigint NOT NULL REFERENCES evaluations (id),
    code          text NOT NULL CHECK (code ~ '^[1-9][0-9]{0,2}(\.[1-9][0-9]{0,2}){0,5}$'),
    kind          text NOT NULL CHECK (kind IN ('group', 'candidate')),
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description   text CHECK (length(description) <= 2000),
    parent        text,
    source        jsonb,
    comparison    jsonb,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (evaluation_id, code)
);

CREATE TABLE consultations (
    id            bigserial PRIMARY KEY,
    evaluation_id bigint NOT NULL REFERENCES evaluations (id),
    stakeholder   text NOT NULL CHECK (stakeholder IN ('industry_association',
                  'enterprise', 'professional_institution', 'supplier',
                  'consumer', 'other')),
    organization  text NOT NULL CHECK (length(organization) BETWEEN 1 AND 200),
    opinion       text NOT NULL CHECK (length(opinion) BETWEEN 1 AND 4000),
    response      text CHECK (length(response) <= 4000),
    created_at    timestamptz NOT NULL DEFAULT now()
);

-- Like the meetings' guard (migration 002): nothing of a finalized
-- evaluation changes.
CREATE FUNCTION refuse_if_evaluation_finalized() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM evaluations e
               WHERE e.id = COALESCE(NEW.evaluation_id, OLD.evaluation_id)
               AND e.stage = 'finalized') THEN
        RAISE EXCEPTION 'evaluation is finalized' USING ERRCODE = 'PSF01';
    END IF;
    RETURN COALESCE(NEW, OLD);
END
$$;

CREATE TRIGGER standards_frozen BEFORE INSERT OR UPDATE OR DELETE ON standards
    FOR EACH ROW EXECUTE FUNCTION refuse_if_evaluation_finalized();
CREATE TRIGGER pool_frozen BEFORE INSERT OR UPDATE OR DELETE ON pool
    FOR EACH ROW EXECUTE FUNCTION refuse_if_evaluation_finalized();
CREATE TRIGGER consultations_frozen BEFORE INSERT OR UPDATE OR DELETE
    ON consultations FOR EACH ROW
    EXECUTE FUNCTION refuse_if_evaluation_finalized();
