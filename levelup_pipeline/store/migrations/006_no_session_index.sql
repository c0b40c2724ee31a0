-- 006_no_session_index: match_stats(session_id) loses its ART index.
-- Why: DuckDB updates a row whose indexed column changes as a delete + insert of the row,
-- and sessions.sql sets session_id on every match after a rebuild or a full sync: 0.1-0.4 s
-- per 10,000 matches with the index, 0.01 s without. Nothing looks matches up by session:
-- mv_session_stats groups them in one scan, which the index never served.
DROP INDEX IF EXISTS match_stats_session_id;
