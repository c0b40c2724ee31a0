-- Which films highlight_events.sql casts straight to the column types: _films (match_id,
-- highlights_json text) -> (match_id, plain). Computed once, when a film is stored
-- (StoreWriter.write_raw_matches / update_raw_parts, migration 004), and kept in
-- raw_match_json.film_plain: a rebuild then parses films without measuring their shape again.
--
-- Plain = json_structure() has the types the API client writes: a list of objects (or
-- nulls) whose known keys hold integers (xuid, time_ms, type_hint, medal_value), strings
-- (gamertag, event_type, medal_name), a boolean (is_medal) or nothing. Any other shape
-- (strings for numbers, floats, nested values, non-object events) is read value by value
-- by highlight_events_odd.sql.
SELECT match_id, (
    CASE
        WHEN json_type(s) IS DISTINCT FROM 'ARRAY' OR json_array_length(s) <> 1
            THEN false
        WHEN json_type(s, '$[0]') = 'VARCHAR' THEN s ->> '$[0]' = 'NULL'  -- [], nulls
        WHEN json_type(s, '$[0]') <> 'OBJECT' THEN false
        ELSE coalesce(s ->> '$[0].xuid', 'NULL') IN ('UBIGINT', 'BIGINT', 'NULL')
            AND coalesce(s ->> '$[0].time_ms', 'NULL') IN ('UBIGINT', 'BIGINT', 'NULL')
            AND coalesce(s ->> '$[0].type_hint', 'NULL') IN ('UBIGINT', 'BIGINT', 'NULL')
            AND coalesce(s ->> '$[0].medal_value', 'NULL')
                IN ('UBIGINT', 'BIGINT', 'NULL')
            AND coalesce(s ->> '$[0].gamertag', 'NULL') IN ('VARCHAR', 'NULL')
            AND coalesce(s ->> '$[0].event_type', 'NULL') IN ('VARCHAR', 'NULL')
            AND coalesce(s ->> '$[0].medal_name', 'NULL') IN ('VARCHAR', 'NULL')
            AND coalesce(s ->> '$[0].is_medal', 'NULL') IN ('BOOLEAN', 'NULL')
    END
) AS plain
FROM (SELECT match_id, json_structure(highlights_json) AS s FROM _films)
