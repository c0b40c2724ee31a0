-- Alias sightings in films: the distinct (xuid, gamertag) pairs of the chunk's highlight
-- events (_chunk_events), seen at the match start (source 'film'); merged by
-- merge_aliases.sql like every other sighting.
SELECT h.xuid, h.gamertag, m.start_time AS first_seen, m.start_time AS last_seen,
       'film' AS source
FROM (
    SELECT DISTINCT match_id, xuid, gamertag FROM _chunk_events
    WHERE xuid IS NOT NULL AND gamertag IS NOT NULL
) h
JOIN match_stats m USING (match_id)
