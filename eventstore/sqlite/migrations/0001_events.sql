-- The append-only log. AUTOINCREMENT keeps positions from ever being reused.
CREATE TABLE events (
    position    INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id    TEXT    NOT NULL UNIQUE,
    stream_id   TEXT    NOT NULL,
    version     INTEGER NOT NULL CHECK (version > 0),
    type        TEXT    NOT NULL,
    data        TEXT    NOT NULL,
    recorded_at INTEGER NOT NULL, -- Unix microseconds, UTC
    effective_date TEXT NOT NULL,  -- YYYY-MM-DD, or '' when not known
    actor_org      TEXT NOT NULL,
    actor_role     TEXT NOT NULL,
    actor_token    TEXT NOT NULL,
    correlation_id TEXT NOT NULL,
    causation_id   TEXT NOT NULL,
    regime         TEXT NOT NULL,
    schema_version INTEGER NOT NULL,
    prev_hash   BLOB    NOT NULL,
    hash        BLOB    NOT NULL,
    UNIQUE (stream_id, version)
);

-- The log is append-only: refuse UPDATE and DELETE through SQLite itself.
-- (Anyone with the file can drop these; the hash chain catches what they change.)
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only: UPDATE refused');
END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only: DELETE refused');
END;
