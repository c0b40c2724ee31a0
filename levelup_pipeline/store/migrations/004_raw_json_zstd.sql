-- 004_raw_json_zstd: raw API bodies stored zstd-compressed (store/raw_codec.py says why),
-- with each film's shape measured once (store/raw_codec.py, film_columns).
-- The JSON columns become BLOB columns holding one zstd frame of the same JSON text each;
-- the Python step of this migration (store/migrate.py) copies and compresses
-- the stored rows in storage order, then swaps the tables, all in this migration's
-- transaction: a crash leaves the file at version 3, untouched.
CREATE TABLE raw_match_json_v4 (
    match_id            VARCHAR PRIMARY KEY,
    stats_json_zst      BLOB NOT NULL, -- zstd frame of the match stats JSON
    skill_json_zst      BLOB,          -- zstd frame of the skill JSON
    highlights_json_zst BLOB,          -- zstd frame of the film highlight events JSON
    film_plain          BOOLEAN,       -- film parsable in SQL (sql/film_shape.sql); NULL: no film
    skill_status        VARCHAR,       -- 'ok' / 'missing' / 'failed' / NULL (not fetched yet)
    film_status         VARCHAR,       -- 'ok' / 'missing' / 'failed' / NULL (not fetched yet)
    fetched_at          TIMESTAMPTZ NOT NULL,
    transformed_at      TIMESTAMPTZ    -- NULL = derived rows missing or stale
);
