-- The change feed (issue 6): an outbox written in the same transaction as each change.
-- seq is the feed's order. thalamus_emit_event() takes a transaction-level advisory lock
-- before drawing seq, so events commit in seq order: a reader that has seen seq N has seen
-- every committed event below N (no event can appear "behind" a reader's cursor later).
CREATE TABLE IF NOT EXISTS events (
    seq BIGSERIAL PRIMARY KEY,
    resource VARCHAR NOT NULL,
    record_id VARCHAR NOT NULL,
    person VARCHAR,
    op VARCHAR NOT NULL,
    actor VARCHAR,
    path VARCHAR NOT NULL,
    at TIMESTAMPTZ NOT NULL DEFAULT now(),
    changed JSONB
);
CREATE INDEX IF NOT EXISTS events_at_idx ON events (at);
CREATE INDEX IF NOT EXISTS events_person_seq_idx ON events (person, seq);

-- Sequences are never pruned below this: a client asking for an older `after` gets 410.
INSERT INTO thalamus_meta (key, value) VALUES ('events_pruned_through', '0') ON CONFLICT (key) DO NOTHING;

CREATE OR REPLACE FUNCTION thalamus_emit_event(
    p_resource VARCHAR, p_record_id VARCHAR, p_person VARCHAR, p_op VARCHAR,
    p_actor VARCHAR, p_path VARCHAR, p_changed JSONB
) RETURNS BIGINT
LANGUAGE plpgsql AS $$
DECLARE
    s BIGINT;
BEGIN
    -- Held until commit: serialises the (short) tail of writing transactions so seq order is commit order.
    PERFORM pg_advisory_xact_lock(7424812);
    INSERT INTO events (resource, record_id, person, op, actor, path, changed)
    VALUES (p_resource, p_record_id, p_person, p_op, p_actor, p_path, p_changed - 'password')
    RETURNING seq INTO s;
    -- Only a wake-up; delivered on commit, never on rollback.
    PERFORM pg_notify('thalamus_events', s::text);
    RETURN s;
END
$$;
