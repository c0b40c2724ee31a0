-- 005_transform_state: which raw matches have their derived rows built is kept in its own
-- narrow table, transformed_matches, instead of raw_match_json.transformed_at.
-- Why: marking a chunk transformed updated a column of the raw table, and DuckDB's next
-- checkpoint then rewrote every row group it touched whole, blobs included: after a
-- 10,000-match transform that was the entire ~50 MB raw table (0.7 s, and the file grew by
-- as much until the space was reused). raw_match_json is now only written by a fetch.
-- A raw row without a transformed_matches row is pending (never transformed, or changed
-- since: writes and backfills delete its mark).
CREATE TABLE transformed_matches (
    match_id       VARCHAR PRIMARY KEY,
    transformed_at TIMESTAMPTZ NOT NULL
);
INSERT INTO transformed_matches
    SELECT match_id, transformed_at FROM raw_match_json WHERE transformed_at IS NOT NULL;
ALTER TABLE raw_match_json DROP COLUMN transformed_at;
-- The raw matches to transform, with their storage position (read them in that order).
CREATE VIEW pending_matches AS
    SELECT r.rowid AS raw_rowid, r.match_id
    FROM raw_match_json r ANTI JOIN transformed_matches t USING (match_id);
