-- Put UGC public names on match_stats ids and metadata names on medals.
-- Exact (asset, version) first; else the most recently fetched name of any version of the asset.
-- is_ranked also becomes TRUE when the playlist name has the word 'Ranked' ('Unranked' excluded).
CREATE OR REPLACE TEMP TABLE _latest_asset_name AS
SELECT asset_id, arg_max(public_name, fetched_at) AS public_name
FROM ugc_assets WHERE public_name IS NOT NULL GROUP BY asset_id;

CREATE OR REPLACE TEMP TABLE _match_names AS
SELECT m.match_id,
       coalesce(p1.public_name, p2.public_name, m.playlist_name) AS playlist_name,
       coalesce(a1.public_name, a2.public_name, m.map_name) AS map_name,
       coalesce(g1.public_name, g2.public_name, m.game_variant_name) AS game_variant_name,
       coalesce(x1.public_name, x2.public_name, m.map_mode_pair_name) AS map_mode_pair_name
FROM match_stats m
LEFT JOIN ugc_assets p1 ON p1.asset_id = m.playlist_id AND p1.version_id = m.playlist_version_id
LEFT JOIN _latest_asset_name p2 ON p2.asset_id = m.playlist_id
LEFT JOIN ugc_assets a1 ON a1.asset_id = m.map_id AND a1.version_id = m.map_version_id
LEFT JOIN _latest_asset_name a2 ON a2.asset_id = m.map_id
LEFT JOIN ugc_assets g1
       ON g1.asset_id = m.game_variant_id AND g1.version_id = m.game_variant_version_id
LEFT JOIN _latest_asset_name g2 ON g2.asset_id = m.game_variant_id
LEFT JOIN ugc_assets x1
       ON x1.asset_id = m.map_mode_pair_id AND x1.version_id = m.map_mode_pair_version_id
LEFT JOIN _latest_asset_name x2 ON x2.asset_id = m.map_mode_pair_id;

UPDATE match_stats SET
    playlist_name = n.playlist_name,
    map_name = n.map_name,
    game_variant_name = n.game_variant_name,
    map_mode_pair_name = n.map_mode_pair_name,
    is_ranked = CASE WHEN regexp_matches(coalesce(n.playlist_name, ''), '\branked\b', 'i')
                     THEN TRUE ELSE match_stats.is_ranked END
FROM _match_names n
WHERE n.match_id = match_stats.match_id
  AND (match_stats.playlist_name IS DISTINCT FROM n.playlist_name
       OR match_stats.map_name IS DISTINCT FROM n.map_name
       OR match_stats.game_variant_name IS DISTINCT FROM n.game_variant_name
       OR match_stats.map_mode_pair_name IS DISTINCT FROM n.map_mode_pair_name
       OR (regexp_matches(coalesce(n.playlist_name, ''), '\branked\b', 'i')
           AND match_stats.is_ranked IS DISTINCT FROM TRUE));

UPDATE medals SET name = mm.name
FROM medal_metadata mm
WHERE mm.name_id = medals.name_id AND mm.name IS NOT NULL AND medals.name IS DISTINCT FROM mm.name;

DROP TABLE _match_names;
DROP TABLE _latest_asset_name;
