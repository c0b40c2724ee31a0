-- Merge alias sightings into xuid_aliases: one row per (xuid, gamertag), [first_seen, last_seen]
-- widened, the first source kept. The sightings placeholder (filled by str.format) is a SELECT
-- of (xuid, gamertag, first_seen, last_seen, source): profile lookups
-- (StoreWriter._upsert_aliases) or films (film_aliases.sql).
INSERT INTO xuid_aliases AS a (xuid, gamertag, first_seen, last_seen, source)
SELECT xuid, gamertag, min(first_seen), max(last_seen), min(source)
FROM ({sightings}) GROUP BY xuid, gamertag
ON CONFLICT (xuid, gamertag) DO UPDATE SET
    first_seen = CASE WHEN a.first_seen IS NULL THEN excluded.first_seen
                      WHEN excluded.first_seen IS NULL THEN a.first_seen
                      ELSE least(a.first_seen, excluded.first_seen) END,
    last_seen = CASE WHEN a.last_seen IS NULL THEN excluded.last_seen
                     WHEN excluded.last_seen IS NULL THEN a.last_seen
                     ELSE greatest(a.last_seen, excluded.last_seen) END
