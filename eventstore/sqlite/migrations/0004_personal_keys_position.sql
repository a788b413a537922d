-- ReadAll reads the log by position and opens each page's sealed values
-- with the keys of the page's events, read as one range of
-- personal_keys_position, which holds the keys themselves: one index range
-- instead of a lookup per key. A key's position is its event's.
--
-- ALTER TABLE cannot add a NOT NULL column without a default, and a
-- default would let an insert that forgot the position store a key that no
-- page finds (its values would read as erased): the table is rebuilt, the
-- way SQLite's documentation gives for changes ALTER TABLE cannot make. A
-- key whose event is missing (there should be none: keys commit with their
-- events) is kept, at position 0, where no page looks.
--
-- secure_delete: the dropped table's pages, which hold every key, are
-- overwritten, so that a key erased later survives nowhere in the file.
PRAGMA secure_delete = ON;

CREATE TABLE personal_keys_new (
    key_id     TEXT    PRIMARY KEY,
    subject    TEXT    NOT NULL,
    stream_id  TEXT    NOT NULL,
    event_id   TEXT    NOT NULL,
    position   INTEGER NOT NULL, -- the event's
    fields     TEXT    NOT NULL,
    key        BLOB    NOT NULL,
    created_at INTEGER NOT NULL -- Unix microseconds, UTC
);
INSERT INTO personal_keys_new (key_id, subject, stream_id, event_id, position, fields, key, created_at)
SELECT k.key_id, k.subject, k.stream_id, k.event_id, COALESCE(e.position, 0), k.fields, k.key, k.created_at
FROM personal_keys k LEFT JOIN events e ON e.event_id = k.event_id;
DROP TABLE personal_keys;
ALTER TABLE personal_keys_new RENAME TO personal_keys;

CREATE INDEX personal_keys_subject ON personal_keys (subject);
CREATE INDEX personal_keys_event ON personal_keys (event_id);
CREATE INDEX personal_keys_stream ON personal_keys (stream_id, key_id, key);
CREATE INDEX personal_keys_position ON personal_keys (position, key_id, key);

PRAGMA secure_delete = OFF;
