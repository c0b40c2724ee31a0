-- Film highlight events parsed by DuckDB (no Python per event) from _films (match_id,
-- highlights_json text, film_plain: as store/transform_stages.py read them from
-- raw_match_json).
--
-- Only plain films (film_shape.sql, measured when the film was stored) are parsed here.
-- Any other film comes back as one marker row (NULL event_index) for the Python transformer:
-- its text is swapped for a one-event film before parsing, so that one pass parses every
-- film once. The Python
-- transformer (transform/highlights.py) is the reference these rules follow: event_index =
-- position in the film (null elements keep their slot), unknown event types -> NULL, xuid > 0
-- only, gamertags cut at the first NUL, control characters removed, surrounding Unicode white
-- space stripped, '' -> NULL, numbers out of their column's range -> NULL.
SELECT
    match_id,
    CASE WHEN plain THEN (i - 1)::INTEGER END AS event_index,
    CASE WHEN e.event_type IN ('kill', 'death', 'medal', 'mode') THEN e.event_type END
        AS event_type,
    e.time_ms AS time_ms,
    CASE WHEN e.xuid > 0 THEN e.xuid::VARCHAR END AS xuid,
    CASE
        -- almost every gamertag is clean already: one cheap match instead of two rewrites
        WHEN regexp_full_match(
            e.gamertag,
            '[^\x00-\x1f\x7f\p{Z}\x{85}](?:[^\x00-\x1f\x7f]*[^\x00-\x1f\x7f\p{Z}\x{85}])?'
        ) THEN e.gamertag
        ELSE nullif(
            regexp_replace(
                regexp_replace(split_part(e.gamertag, chr(0), 1), '[\x00-\x1f\x7f]', '', 'g'),
                '^[\p{Z}\x{85}]+|[\p{Z}\x{85}]+$', '', 'g'
            ),
            ''
        )
    END AS gamertag,
    e.type_hint AS type_hint,
    e.is_medal AS is_medal,
    e.medal_value AS medal_value,
    nullif(e.medal_name, '') AS medal_name
FROM (
    SELECT match_id, plain, unnest(parsed) AS e, generate_subscripts(parsed, 1) AS i
    FROM (
        SELECT match_id, plain,
               json_transform(
                   CASE WHEN plain THEN h WHEN h IS NOT NULL THEN '[{}]' END,
                   '[{"xuid": "UBIGINT", "gamertag": "VARCHAR", "type_hint": "INTEGER",
                      "is_medal": "BOOLEAN", "event_type": "VARCHAR", "time_ms": "BIGINT",
                      "medal_value": "INTEGER", "medal_name": "VARCHAR"}]'
               ) AS parsed
        FROM (
            SELECT match_id, highlights_json AS h, coalesce(film_plain, false) AS plain
            FROM _films
        )
    )
)
WHERE e IS NOT NULL
