-- 002_archive: matches moved to Parquet by `levelup archive` (archive/<table>/<batch>.parquet).
-- They still count as stored (a sync never refetches them); `<table>_all` views read both.

CREATE TABLE IF NOT EXISTS archived_matches (
    match_id    VARCHAR PRIMARY KEY,
    start_time  TIMESTAMPTZ,
    batch       VARCHAR NOT NULL,   -- archive/<table>/<batch>.parquet holds its rows
    archived_at TIMESTAMPTZ NOT NULL
);
