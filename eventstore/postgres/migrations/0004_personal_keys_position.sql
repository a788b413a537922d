-- ReadAll reads the log in pages that are (nearly) ranges of positions and
-- opens each page's sealed values with the keys of the page's positions,
-- read as one range of personal_keys_position, which holds the keys
-- themselves: one index range instead of a lookup per key. A key's
-- position is its event's.
--
-- The column may be NULL: during a rolling deploy, nodes of the version
-- before this migration still append, and write keys without it. Readers
-- look up by id the keys a range did not find (see positionKeys), so those
-- keys still open their values. A key whose event is missing (there should
-- be none: keys commit with their events) keeps NULL too.
--
-- The update leaves an old version of every key row for VACUUM, which
-- autovacuum runs soon after; run VACUUM personal_keys after migrating to
-- have it at once (see docs/operations.md): until then the index's ranges
-- also read the table. ANALYZE gives the planner the new column's
-- statistics at once.
ALTER TABLE personal_keys ADD COLUMN position bigint;
UPDATE personal_keys k SET position = e.position FROM events e WHERE e.event_id = k.event_id;
CREATE INDEX personal_keys_position ON personal_keys (position) INCLUDE (key_id, key);
ANALYZE personal_keys;
