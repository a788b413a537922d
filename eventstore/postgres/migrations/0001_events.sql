-- The append-only log. See eventstore/doc.go for the meaning of each column.
CREATE TABLE events (
    position    bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tx_id       xid8        NOT NULL DEFAULT pg_current_xact_id(),
    event_id    uuid        NOT NULL UNIQUE,
    stream_id   text        NOT NULL,
    version     bigint      NOT NULL CHECK (version > 0),
    type        text        NOT NULL,
    data        jsonb       NOT NULL,
    recorded_at timestamptz NOT NULL,
    effective_date date,
    actor_org      text     NOT NULL,
    actor_role     text     NOT NULL,
    actor_token    text     NOT NULL,
    correlation_id uuid     NOT NULL,
    causation_id   uuid     NOT NULL,
    regime         text     NOT NULL,
    schema_version integer  NOT NULL,
    prev_hash   bytea       NOT NULL,
    hash        bytea       NOT NULL,
    UNIQUE (stream_id, version)
);

-- Readers follow the log in (transaction id, position) order, below the
-- horizon of the oldest running transaction.
CREATE INDEX events_tx_position ON events (tx_id, position);

-- The log is append-only: refuse UPDATE, DELETE and TRUNCATE from the
-- application's own role. (A superuser can still disable the trigger;
-- the hash chain catches what it changes.)
CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events are append-only: % refused', TG_OP;
END $$;

CREATE TRIGGER events_no_update BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_append_only();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_append_only();
