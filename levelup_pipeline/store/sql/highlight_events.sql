-- Film highlight events parsed by DuckDB (no Python per event) from _films (film: the row's
-- position in the batch, highlights_json text, film_plain: as store/transform_stages.py read
-- them from raw_match_json).
--
-- Only plain films (film_shape.sql, measured when the film was stored) are parsed here.
-- Any other film comes back as one marker row (NULL event_index) for the Python transformer:
-- its text is swapped for a one-event film before parsing, so that one pass parses every
-- film once. The Python transformer (transform/highlights.py) is the reference these rules
-- follow: event_index = position in the film (null elements keep their slot), numbers out
-- of their column's range -> NULL. The rules on values (xuid > 0 as text, unknown event
-- types, dirty gamertags, empty medal names) are then applied to the batch's distinct
-- values by the transformer's own functions (transform_stages.film_stage): a batch has a
-- few hundred of them for ~200,000 events.
SELECT
    film,
    CASE WHEN plain THEN (i - 1)::INTEGER END AS event_index,
    e.event_type AS event_type,
    e.time_ms AS time_ms,
    e.xuid AS xuid,
    e.gamertag AS gamertag,
    e.type_hint AS type_hint,
    e.is_medal AS is_medal,
    e.medal_value AS medal_value,
    e.medal_name AS medal_name
FROM (
    SELECT film, plain, unnest(parsed) AS e, generate_subscripts(parsed, 1) AS i
    FROM (
        SELECT film, plain,
               json_transform(
                   CASE WHEN plain THEN h WHEN h IS NOT NULL THEN '[{}]' END,
                   '[{"xuid": "UBIGINT", "gamertag": "VARCHAR", "type_hint": "INTEGER",
                      "is_medal": "BOOLEAN", "event_type": "VARCHAR", "time_ms": "BIGINT",
                      "medal_value": "INTEGER", "medal_name": "VARCHAR"}]'
               ) AS parsed
        FROM (
            SELECT film, highlights_json AS h, coalesce(film_plain, false) AS plain
            FROM _films
        )
    )
)
WHERE e IS NOT NULL
