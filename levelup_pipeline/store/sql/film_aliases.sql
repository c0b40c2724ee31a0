-- Aliases seen in films: the distinct (xuid, gamertag) pairs of the chunk's highlight events
-- (_chunk_events), seen at the match start (source 'film'); merged like every alias sighting
-- (widen [first_seen, last_seen], keep the first source).
INSERT INTO xuid_aliases AS a (xuid, gamertag, first_seen, last_seen, source)
SELECT h.xuid, h.gamertag, min(m.start_time), max(m.start_time), 'film'
FROM (
    SELECT DISTINCT match_id, xuid, gamertag FROM _chunk_events
    WHERE xuid IS NOT NULL AND gamertag IS NOT NULL
) h
JOIN match_stats m USING (match_id)
GROUP BY h.xuid, h.gamertag
ON CONFLICT (xuid, gamertag) DO UPDATE SET
    first_seen = CASE WHEN a.first_seen IS NULL THEN excluded.first_seen
                      WHEN excluded.first_seen IS NULL THEN a.first_seen
                      ELSE least(a.first_seen, excluded.first_seen) END,
    last_seen = CASE WHEN a.last_seen IS NULL THEN excluded.last_seen
                     WHEN excluded.last_seen IS NULL THEN a.last_seen
                     ELSE greatest(a.last_seen, excluded.last_seen) END;
