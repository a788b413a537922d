-- A rebuild reads the log stream by stream (ReadStreams) and opens each
-- page's sealed values with the keys of the page's streams, read as one
-- range of this index, which holds the keys themselves: one index range
-- instead of a lookup per key.
CREATE INDEX personal_keys_stream ON personal_keys (stream_id, key_id, key);
