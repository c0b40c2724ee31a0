-- Film highlight events of the films of _films that are not plain (see highlight_events.sql,
-- the same columns): each value read as transform/_common.as_int reads numbers (a fraction
-- truncated, a numeric string parsed, NULL out of the column's range), booleans only from
-- JSON booleans, strings only from JSON strings (an xuid from an integer too).
WITH odd AS (
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
SELECT
    film,
    (i - 1)::INTEGER AS event_index,
    CASE WHEN json_type(e.event_type) = 'VARCHAR' THEN e.event_type ->> '$' END AS event_type,
    CASE json_type(e.time_ms)
        WHEN 'BIGINT' THEN TRY_CAST(e.time_ms AS BIGINT)
        WHEN 'UBIGINT' THEN TRY_CAST(e.time_ms AS BIGINT)
        WHEN 'DOUBLE' THEN TRY_CAST(trunc(e.time_ms::DOUBLE) AS BIGINT)
        WHEN 'VARCHAR' THEN TRY_CAST(trunc(TRY_CAST(e.time_ms ->> '$' AS DOUBLE)) AS BIGINT)
    END AS time_ms,
    CASE WHEN json_type(e.xuid) IN ('BIGINT', 'UBIGINT') THEN e.xuid::VARCHAR
         WHEN json_type(e.xuid) = 'VARCHAR' THEN e.xuid ->> '$' END AS xuid,
    CASE WHEN json_type(e.gamertag) = 'VARCHAR' THEN e.gamertag ->> '$' END AS gamertag,
    CASE json_type(e.type_hint)
        WHEN 'BIGINT' THEN TRY_CAST(e.type_hint AS INTEGER)
        WHEN 'UBIGINT' THEN TRY_CAST(e.type_hint AS INTEGER)
        WHEN 'DOUBLE' THEN TRY_CAST(trunc(e.type_hint::DOUBLE) AS INTEGER)
        WHEN 'VARCHAR' THEN TRY_CAST(trunc(TRY_CAST(e.type_hint ->> '$' AS DOUBLE)) AS INTEGER)
    END AS type_hint,
    CASE WHEN json_type(e.is_medal) = 'BOOLEAN' THEN e.is_medal::BOOLEAN END AS is_medal,
    CASE json_type(e.medal_value)
        WHEN 'BIGINT' THEN TRY_CAST(e.medal_value AS INTEGER)
        WHEN 'UBIGINT' THEN TRY_CAST(e.medal_value AS INTEGER)
        WHEN 'DOUBLE' THEN TRY_CAST(trunc(e.medal_value::DOUBLE) AS INTEGER)
        WHEN 'VARCHAR' THEN TRY_CAST(trunc(TRY_CAST(e.medal_value ->> '$' AS DOUBLE)) AS INTEGER)
    END AS medal_value,
    CASE WHEN json_type(e.medal_name) = 'VARCHAR' THEN e.medal_name ->> '$' END AS medal_name
FROM odd
