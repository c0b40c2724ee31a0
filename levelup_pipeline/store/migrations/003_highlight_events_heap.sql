-- 003_highlight_events_heap: highlight_events without its primary-key index.
-- ~230 events a match make it the largest table by far; its ART index cost more CPU than the
-- rows themselves on every transform (~1.3 s per 10,000 matches), about half of the file, and
-- memory that grew with the history. Uniqueness of (match_id, event_index) holds by
-- construction: a match's events are only ever written by deleting them and inserting them
-- again in one transaction. The asset check `highlight_events_unique` verifies it after
-- every sync. Deletes by match_id only happen when stored matches are transformed again
-- (a backfill, a rebuild): one column scanned, no index to maintain.
CREATE TABLE highlight_events_v3 AS
    SELECT * FROM highlight_events ORDER BY match_id, event_index;
ALTER TABLE highlight_events_v3 ALTER COLUMN match_id SET NOT NULL;
ALTER TABLE highlight_events_v3 ALTER COLUMN event_index SET NOT NULL;
DROP TABLE highlight_events;
ALTER TABLE highlight_events_v3 RENAME TO highlight_events;
