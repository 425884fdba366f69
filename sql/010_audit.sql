-- Who read or changed which person's records, from where, with what outcome. Rows are only
-- ever appended: the triggers below refuse UPDATE, DELETE and TRUNCATE, so an application
-- bug or a stolen application login cannot rewrite history. Retention (deleting old rows)
-- is an operator's act: ALTER TABLE audit DISABLE TRIGGER audit_append_only as the owner.
CREATE TABLE IF NOT EXISTS audit (
    seq BIGSERIAL PRIMARY KEY,
    at TIMESTAMPTZ NOT NULL,
    actor VARCHAR,
    actor_roles JSONB NOT NULL DEFAULT '[]'::jsonb,
    method VARCHAR NOT NULL,
    endpoint VARCHAR NOT NULL,
    person VARCHAR,
    record VARCHAR,
    client VARCHAR,
    status INTEGER NOT NULL
);

CREATE INDEX IF NOT EXISTS audit_person_seq ON audit (person, seq);

CREATE OR REPLACE FUNCTION thalamus_audit_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only' USING ERRCODE = '42501';
END
$$;

DROP TRIGGER IF EXISTS audit_append_only ON audit;
CREATE TRIGGER audit_append_only
    BEFORE UPDATE OR DELETE ON audit
    FOR EACH ROW EXECUTE FUNCTION thalamus_audit_append_only();

DROP TRIGGER IF EXISTS audit_no_truncate ON audit;
CREATE TRIGGER audit_no_truncate
    BEFORE TRUNCATE ON audit
    FOR EACH STATEMENT EXECUTE FUNCTION thalamus_audit_append_only();
