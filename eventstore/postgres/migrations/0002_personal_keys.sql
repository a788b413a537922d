-- Crypto-shredding: the keys that seal personal data in events (see
-- eventstore/seal.go). Mutable, unlike events: erasure deletes a subject's
-- keys, and the sealed values in the log then open to placeholders. One key
-- per data subject and event; fields are the JSON pointers it seals.
CREATE TABLE personal_keys (
    key_id     uuid        PRIMARY KEY,
    subject    text        NOT NULL,
    stream_id  text        NOT NULL,
    event_id   uuid        NOT NULL,
    fields     text        NOT NULL,
    key        bytea       NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX personal_keys_subject ON personal_keys (subject);
CREATE INDEX personal_keys_event ON personal_keys (event_id);

-- The audit of erasures: when, whose (the kind of subject and the SHA-256 of
-- its name, never the name, which may itself identify a person), how many
-- keys were destroyed and in which streams. No personal data.
CREATE TABLE erasures (
    id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    erased_at      timestamptz NOT NULL,
    subject_kind   text        NOT NULL,
    subject_sha256 text        NOT NULL,
    keys_destroyed integer     NOT NULL,
    streams        text        NOT NULL
);
