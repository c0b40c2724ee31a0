-- Film highlight events parsed by DuckDB from _films (film: the row's position in the batch,
-- highlights_json text, film_plain: as transform/stages.py reads them from raw_match_json).
-- With highlight_events_odd.sql, the one decoder of stored films: event_index = position in
-- the film (null and non-object elements keep their slot but give no row); a film that is
-- not a list gives no row.
--
-- This query reads the plain films (film_shape.sql, measured when the film was stored: what
-- the API client writes), cast by json_transform straight to the columns' types; the other
-- query reads films of any other shape value by value. The rules on string values (xuid > 0
-- as digits, known event types, clean gamertags, non-empty medal names) are then applied to
-- the batch's distinct values by transform/highlights.py's functions
-- (transform/stages.film_stage): a batch has a few hundred of them for ~200,000 events.
SELECT film, (i - 1)::INTEGER AS event_index, e.event_type, e.time_ms, e.xuid::VARCHAR AS xuid,
       e.gamertag, e.type_hint, e.is_medal, e.medal_value, e.medal_name
FROM (
    SELECT film, unnest(parsed) AS e, generate_subscripts(parsed, 1) AS i
    FROM (
        SELECT film,
               json_transform(
                   highlights_json,
                   '[{"xuid": "UBIGINT", "gamertag": "VARCHAR", "type_hint": "INTEGER",
                      "is_medal": "BOOLEAN", "event_type": "VARCHAR", "time_ms": "BIGINT",
                      "medal_value": "INTEGER", "medal_name": "VARCHAR"}]'
               ) AS parsed
        FROM _films WHERE film_plain
    )
)
WHERE e IS NOT NULL
