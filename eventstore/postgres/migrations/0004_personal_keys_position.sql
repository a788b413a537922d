-- ReadAll reads the log in pages that are (nearly) ranges of positions and
-- opens each page's sealed values with the keys of the page's positions,
-- read as one range of personal_keys_position, which holds the keys
-- themselves: one index range instead of a lookup per key. A key's
-- position is its event's.
--
-- The column is added with a default only so that the existing rows can be
-- filled in; the default is dropped at once, so an insert that forgot the
-- position fails instead of storing a key that no page finds (its values
-- would read as erased). A key whose event is missing (there should be
-- none: keys commit with their events) keeps position 0, where no page
-- looks. The update leaves an old version of every key row for VACUUM,
-- which autovacuum runs soon after; run VACUUM personal_keys after
-- migrating to have it at once (see docs/operations.md on erasure): until
-- then the index's ranges also read the table. ANALYZE gives the planner
-- the new column's statistics at once.
ALTER TABLE personal_keys ADD COLUMN position bigint NOT NULL DEFAULT 0;
UPDATE personal_keys k SET position = e.position FROM events e WHERE e.event_id = k.event_id;
ALTER TABLE personal_keys ALTER COLUMN position DROP DEFAULT;
CREATE INDEX personal_keys_position ON personal_keys (position) INCLUDE (key_id, key);
ANALYZE personal_keys;
