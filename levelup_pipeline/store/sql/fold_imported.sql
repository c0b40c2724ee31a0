-- Fold the rows imported from the original LevelUp (imported_*, migration 008) into the model
-- tables, where this project has nothing better: rows derived from raw API JSON always win.
-- Run by StoreWriter.transform_pending after the raw matches are transformed (a rebuild too),
-- so the folded rows come back after any rebuild. Idempotent: only rows the model lacks.
-- getvariable('player_xuid') is the player's XUID (their own match_players row of an imported match).
--
-- Whole matches: imported, with no raw body and not archived to Parquet.
CREATE OR REPLACE TEMP TABLE _imported_only AS
SELECT i.match_id FROM imported_match_stats i
WHERE NOT EXISTS (SELECT 1 FROM raw_match_json r WHERE r.match_id = i.match_id)
  AND NOT EXISTS (SELECT 1 FROM archived_matches a WHERE a.match_id = i.match_id)
  AND NOT EXISTS (SELECT 1 FROM match_stats m WHERE m.match_id = i.match_id);

INSERT INTO match_stats (
    match_id, start_time, time_played_seconds, playlist_id, map_id, game_variant_id,
    map_mode_pair_id, is_ranked, team_id, rank, outcome, left_early, kills, deaths, assists,
    kda, kd_ratio, accuracy, shots_fired, shots_hit, damage_dealt, damage_taken,
    headshot_kills, melee_kills, grenade_kills, power_weapon_kills, max_killing_spree,
    average_life_seconds, score, personal_score, team_score, enemy_team_score, playlist_name,
    map_name, game_variant_name, map_mode_pair_name)
SELECT i.match_id, start_time, time_played_seconds, playlist_id, map_id, game_variant_id,
       map_mode_pair_id, is_ranked, team_id, rank, outcome, left_early, kills, deaths, assists,
       kills + assists / 3.0 - deaths,  -- the API's KDA (K + A/3 - D), as for fetched matches
       CASE WHEN deaths = 0 THEN kills::DOUBLE ELSE kills / deaths END,
       accuracy, shots_fired, shots_hit, damage_dealt, damage_taken,
       headshot_kills, melee_kills, grenade_kills, power_weapon_kills, max_killing_spree,
       average_life_seconds, score, personal_score, team_score, enemy_team_score, playlist_name,
       map_name, game_variant_name, map_mode_pair_name
FROM imported_match_stats i SEMI JOIN _imported_only USING (match_id);

INSERT INTO match_players (
    match_id, xuid, is_human, team_id, outcome, rank, kills, deaths, assists, kda, accuracy,
    score, personal_score, left_early)
SELECT i.match_id, getvariable('player_xuid'), TRUE, team_id, outcome, rank, kills, deaths, assists,
       kills + assists / 3.0 - deaths, accuracy, score, personal_score, left_early
FROM imported_match_stats i SEMI JOIN _imported_only USING (match_id)
WHERE NOT EXISTS (SELECT 1 FROM match_players p WHERE p.match_id = i.match_id AND p.xuid = getvariable('player_xuid'));

-- Matches modelled from an import (their rows above, or of an earlier fold).
CREATE OR REPLACE TEMP TABLE _imported_modelled AS
SELECT i.match_id FROM imported_match_stats i
WHERE EXISTS (SELECT 1 FROM match_stats m WHERE m.match_id = i.match_id)
  AND NOT EXISTS (SELECT 1 FROM raw_match_json r WHERE r.match_id = i.match_id);

INSERT INTO medals (match_id, name_id, count)
SELECT match_id, name_id, count FROM imported_medals i SEMI JOIN _imported_modelled USING (match_id)
WHERE NOT EXISTS (SELECT 1 FROM medals m WHERE m.match_id = i.match_id AND m.name_id = i.name_id);

-- Skill: for any modelled match whose raw body (if any) has no skill.
INSERT INTO player_match_stats (
    match_id, xuid, team_id, team_mmr, enemy_mmr, expected_kills, stddev_kills,
    expected_deaths, stddev_deaths)
SELECT match_id, xuid, team_id, team_mmr, enemy_mmr, expected_kills, stddev_kills,
       expected_deaths, stddev_deaths
FROM imported_player_match_stats i
WHERE EXISTS (SELECT 1 FROM match_stats m WHERE m.match_id = i.match_id)
  AND NOT EXISTS (SELECT 1 FROM raw_match_json r
                  WHERE r.match_id = i.match_id AND r.skill_json_zst IS NOT NULL)
  AND NOT EXISTS (SELECT 1 FROM player_match_stats p
                  WHERE p.match_id = i.match_id AND p.xuid = i.xuid);

-- Film events: for any modelled match whose raw body (if any) has no film, and only when the
-- model has no event of that match (a match's events come from one film, never mixed).
INSERT INTO highlight_events (
    match_id, event_index, event_type, time_ms, xuid, gamertag, type_hint, is_medal,
    medal_value, medal_name)
SELECT match_id, event_index, event_type, time_ms, xuid, gamertag, type_hint, is_medal,
       medal_value, medal_name
FROM imported_highlight_events i
WHERE EXISTS (SELECT 1 FROM match_stats m WHERE m.match_id = i.match_id)
  AND NOT EXISTS (SELECT 1 FROM raw_match_json r
                  WHERE r.match_id = i.match_id AND r.highlights_json_zst IS NOT NULL)
  AND i.match_id NOT IN (SELECT DISTINCT match_id FROM highlight_events);

DROP TABLE _imported_only;
DROP TABLE _imported_modelled;
