-- Film highlight events parsed by DuckDB from _films (film: the row's position in the batch,
-- highlights_json text, film_plain: as transform/stages.py reads them from raw_match_json).
-- The one decoder of stored films: event_index = position in the film (null and non-object
-- elements keep their slot but give no row); a film that is not a list gives no row.
--
-- A plain film (film_shape.sql, measured when the film was stored: what the API client
-- writes) is cast by json_transform straight to the columns' types. Any other film is read
-- value by value: numbers as transform/_common.as_int reads them (a fraction truncated, a
-- numeric string parsed, NULL out of the column's range), booleans only from JSON booleans,
-- strings only from JSON strings (an xuid from an integer too). The rules on string values
-- (xuid > 0 as digits, known event types, clean gamertags, non-empty medal names) are then
-- applied to the batch's distinct values by transform/highlights.py's functions
-- (transform/stages.film_stage): a batch has a few hundred of them for ~200,000 events.
WITH plain AS (
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
),
odd AS (
    SELECT film, i, json_transform(
        e,
        '{"xuid": "JSON", "gamertag": "JSON", "type_hint": "JSON", "is_medal": "JSON",
          "event_type": "JSON", "time_ms": "JSON", "medal_value": "JSON", "medal_name": "JSON"}'
    ) AS e
    FROM (
        SELECT film, unnest(parsed) AS e, generate_subscripts(parsed, 1) AS i
        FROM (
            SELECT film, json_transform(highlights_json, '["JSON"]') AS parsed
            FROM _films WHERE film_plain IS NOT true
        )
    )
    WHERE json_type(e) = 'OBJECT'
)
SELECT film, (i - 1)::INTEGER AS event_index, e.event_type, e.time_ms, e.xuid::VARCHAR AS xuid,
       e.gamertag, e.type_hint, e.is_medal, e.medal_value, e.medal_name
FROM plain
WHERE e IS NOT NULL
UNION ALL
SELECT
    film,
    (i - 1)::INTEGER,
    CASE WHEN json_type(e.event_type) = 'VARCHAR' THEN e.event_type ->> '$' END,
    CASE json_type(e.time_ms)
            WHEN 'BIGINT' THEN TRY_CAST(e.time_ms AS BIGINT)
            WHEN 'UBIGINT' THEN TRY_CAST(e.time_ms AS BIGINT)
            WHEN 'DOUBLE' THEN TRY_CAST(trunc(e.time_ms::DOUBLE) AS BIGINT)
            WHEN 'VARCHAR' THEN TRY_CAST(trunc(TRY_CAST(e.time_ms ->> '$' AS DOUBLE)) AS BIGINT)
        END,
    CASE WHEN json_type(e.xuid) IN ('BIGINT', 'UBIGINT') THEN e.xuid::VARCHAR
         WHEN json_type(e.xuid) = 'VARCHAR' THEN e.xuid ->> '$' END,
    CASE WHEN json_type(e.gamertag) = 'VARCHAR' THEN e.gamertag ->> '$' END,
    CASE json_type(e.type_hint)
            WHEN 'BIGINT' THEN TRY_CAST(e.type_hint AS INTEGER)
            WHEN 'UBIGINT' THEN TRY_CAST(e.type_hint AS INTEGER)
            WHEN 'DOUBLE' THEN TRY_CAST(trunc(e.type_hint::DOUBLE) AS INTEGER)
            WHEN 'VARCHAR' THEN TRY_CAST(trunc(TRY_CAST(e.type_hint ->> '$' AS DOUBLE)) AS INTEGER)
        END,
    CASE WHEN json_type(e.is_medal) = 'BOOLEAN' THEN e.is_medal::BOOLEAN END,
    CASE json_type(e.medal_value)
            WHEN 'BIGINT' THEN TRY_CAST(e.medal_value AS INTEGER)
            WHEN 'UBIGINT' THEN TRY_CAST(e.medal_value AS INTEGER)
            WHEN 'DOUBLE' THEN TRY_CAST(trunc(e.medal_value::DOUBLE) AS INTEGER)
            WHEN 'VARCHAR' THEN TRY_CAST(trunc(TRY_CAST(e.medal_value ->> '$' AS DOUBLE)) AS INTEGER)
        END,
    CASE WHEN json_type(e.medal_name) = 'VARCHAR' THEN e.medal_name ->> '$' END
FROM odd
