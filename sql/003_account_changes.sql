-- Credential cache coherence. Any change of an account's password, roles or active flag, by
-- this server, by psql or by another instance, appends a row here; every worker reads the
-- log and drops the account from its cache. The NOTIFY is only a wake-up for listeners.
CREATE TABLE IF NOT EXISTS account_changes (
    seq BIGSERIAL PRIMARY KEY,
    id VARCHAR NOT NULL,
    changed_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE OR REPLACE FUNCTION thalamus_account_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO account_changes (id) VALUES (OLD.id);
        PERFORM pg_notify('thalamus_account', OLD.id);
        RETURN OLD;
    END IF;
    IF OLD.id IS DISTINCT FROM NEW.id
       OR (OLD.data -> 'password') IS DISTINCT FROM (NEW.data -> 'password')
       OR (OLD.data -> 'roles') IS DISTINCT FROM (NEW.data -> 'roles')
       OR (OLD.data -> 'active') IS DISTINCT FROM (NEW.data -> 'active') THEN
        INSERT INTO account_changes (id) VALUES (OLD.id);
        PERFORM pg_notify('thalamus_account', OLD.id);
    END IF;
    RETURN NEW;
END
$$;

DROP TRIGGER IF EXISTS people_account_changed ON people;
CREATE TRIGGER people_account_changed
    AFTER UPDATE OR DELETE ON people
    FOR EACH ROW EXECUTE FUNCTION thalamus_account_changed();

-- Shared secrets (CSRF token key) so every worker of every instance agrees.
CREATE TABLE IF NOT EXISTS thalamus_meta (
    key VARCHAR PRIMARY KEY,
    value TEXT NOT NULL
);
