-- Crypto-shredding: the keys that seal personal data in events (see
-- eventstore/seal.go). Mutable, unlike events: erasure deletes a subject's
-- keys (with PRAGMA secure_delete, so the key bytes do not survive in free
-- pages), and the sealed values in the log then open to placeholders. One
-- key per data subject and event; fields are the JSON pointers it seals.
CREATE TABLE personal_keys (
    key_id     TEXT    PRIMARY KEY,
    subject    TEXT    NOT NULL,
    stream_id  TEXT    NOT NULL,
    event_id   TEXT    NOT NULL,
    fields     TEXT    NOT NULL,
    key        BLOB    NOT NULL,
    created_at INTEGER NOT NULL -- Unix microseconds, UTC
);
CREATE INDEX personal_keys_subject ON personal_keys (subject);
CREATE INDEX personal_keys_event ON personal_keys (event_id);

-- The audit of erasures: when, whose (the kind of subject and the SHA-256 of
-- its name, never the name, which may itself identify a person), how many
-- keys were destroyed and in which streams. No personal data.
CREATE TABLE erasures (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    erased_at      INTEGER NOT NULL, -- Unix microseconds, UTC
    subject_kind   TEXT    NOT NULL,
    subject_sha256 TEXT    NOT NULL,
    keys_destroyed INTEGER NOT NULL,
    streams        TEXT    NOT NULL
);
