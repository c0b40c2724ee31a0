-- Film highlight events of one transform chunk (_film_in: match_id, highlights_json text as
-- streamed from raw_match_json), parsed by DuckDB (bulk, no Python per event) and staged in
-- the chunk's _chunk_events table (see StoreWriter._stage_events). Only matches whose highlights JSON has the plain types the API client writes go
-- here (StoreWriter checks json_structure first); anything odd takes the Python transformer.
-- Same rules as transform/highlights.py: event_index = position in the film (null elements
-- keep their slot), unknown event types -> NULL, xuid > 0 only, gamertags cut at the first
-- NUL, control characters removed, surrounding Unicode white space stripped, '' -> NULL.
INSERT INTO _chunk_events
    (match_id, event_index, event_type, time_ms, xuid, gamertag, type_hint, is_medal,
     medal_value, medal_name)
SELECT
    match_id,
    (i - 1)::INTEGER,
    CASE WHEN e.event_type IN ('kill', 'death', 'medal', 'mode') THEN e.event_type END,
    e.time_ms::BIGINT,
    CASE WHEN e.xuid > 0 THEN e.xuid::VARCHAR END,
    nullif(
        regexp_replace(
            regexp_replace(split_part(e.gamertag, chr(0), 1), '[\x00-\x1f\x7f]', '', 'g'),
            '^[\p{Z}\x{85}]+|[\p{Z}\x{85}]+$', '', 'g'
        ),
        ''
    ),
    e.type_hint::INTEGER,
    e.is_medal,
    e.medal_value::INTEGER,
    nullif(e.medal_name, '')
FROM (
    SELECT match_id, unnest(events) AS e, generate_subscripts(events, 1) AS i
    FROM (
        SELECT r.match_id,
               json_transform(
                   r.highlights_json,
                   '[{"xuid": "UBIGINT", "gamertag": "VARCHAR", "type_hint": "HUGEINT",
                      "is_medal": "BOOLEAN", "event_type": "VARCHAR", "time_ms": "HUGEINT",
                      "medal_value": "HUGEINT", "medal_name": "VARCHAR"}]'
               ) AS events
        FROM _film_in r
    )
)
WHERE e IS NOT NULL;
