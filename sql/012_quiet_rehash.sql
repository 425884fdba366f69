-- A bcrypt → argon2id re-hash on login keeps the same password: it must not drop cached
-- credentials or end change-feed subscriptions. The re-hash marks its transaction with
-- thalamus.rehash = 'on'; a change of the password alone under that mark is not logged.
CREATE OR REPLACE FUNCTION thalamus_account_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO account_changes (id) VALUES (OLD.id);
        PERFORM pg_notify('thalamus_account', OLD.id);
        RETURN OLD;
    END IF;
    IF OLD.id IS DISTINCT FROM NEW.id
       OR (OLD.data -> 'roles') IS DISTINCT FROM (NEW.data -> 'roles')
       OR (OLD.data -> 'active') IS DISTINCT FROM (NEW.data -> 'active')
       OR ((OLD.data -> 'password') IS DISTINCT FROM (NEW.data -> 'password')
           AND COALESCE(current_setting('thalamus.rehash', true), '') <> 'on') THEN
        INSERT INTO account_changes (id) VALUES (OLD.id);
        PERFORM pg_notify('thalamus_account', OLD.id);
    END IF;
    RETURN NEW;
END
$$;
