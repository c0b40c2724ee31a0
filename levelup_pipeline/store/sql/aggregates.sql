-- The four aggregate tables, rebuilt from match_stats in one go (wins: outcome 2, losses: 3,
-- ties: 1, left/DNF: 4; win_rate = wins / all matches; kd = kills / deaths, kills if no death;
-- accuracy = shots hit / shots fired over the group, in percent).
CREATE OR REPLACE TABLE mv_map_stats AS
SELECT map_id,
       max(map_name) AS map_name,
       count(*) AS matches,
       count(*) FILTER (WHERE outcome = 2) AS wins,
       count(*) FILTER (WHERE outcome = 3) AS losses,
       count(*) FILTER (WHERE outcome = 2) / count(*) AS win_rate,
       coalesce(sum(kills), 0)::BIGINT AS kills,
       coalesce(sum(deaths), 0)::BIGINT AS deaths,
       coalesce(sum(assists), 0)::BIGINT AS assists,
       coalesce(sum(kills) / nullif(sum(deaths), 0), sum(kills)) ::DOUBLE AS kd,
       avg(kda) AS avg_kda,
       100.0 * sum(shots_hit) / nullif(sum(shots_fired), 0) AS accuracy,
       avg(performance_score) AS avg_performance_score,
       coalesce(sum(time_played_seconds), 0) AS time_played_seconds
FROM match_stats
GROUP BY map_id
ORDER BY matches DESC, map_id;

CREATE OR REPLACE TABLE mv_mode_category_stats AS
SELECT mode_category,
       count(*) AS matches,
       count(*) FILTER (WHERE outcome = 2) AS wins,
       count(*) FILTER (WHERE outcome = 3) AS losses,
       count(*) FILTER (WHERE outcome = 2) / count(*) AS win_rate,
       coalesce(sum(kills), 0)::BIGINT AS kills,
       coalesce(sum(deaths), 0)::BIGINT AS deaths,
       coalesce(sum(assists), 0)::BIGINT AS assists,
       coalesce(sum(kills) / nullif(sum(deaths), 0), sum(kills))::DOUBLE AS kd,
       avg(kda) AS avg_kda,
       100.0 * sum(shots_hit) / nullif(sum(shots_fired), 0) AS accuracy,
       avg(performance_score) AS avg_performance_score,
       coalesce(sum(time_played_seconds), 0) AS time_played_seconds
FROM match_stats
GROUP BY mode_category
ORDER BY matches DESC, mode_category;

CREATE OR REPLACE TABLE mv_session_stats AS
SELECT session_id,
       min(start_time) AS start_time,
       max(end_time) AS end_time,
       count(*) AS matches,
       count(*) FILTER (WHERE outcome = 2) AS wins,
       count(*) FILTER (WHERE outcome = 3) AS losses,
       coalesce(sum(kills), 0)::BIGINT AS kills,
       coalesce(sum(deaths), 0)::BIGINT AS deaths,
       coalesce(sum(assists), 0)::BIGINT AS assists,
       coalesce(sum(kills) / nullif(sum(deaths), 0), sum(kills))::DOUBLE AS kd,
       avg(performance_score) AS avg_performance_score,
       coalesce(sum(time_played_seconds), 0) AS time_played_seconds
FROM match_stats
GROUP BY session_id
ORDER BY session_id NULLS LAST;

CREATE OR REPLACE TABLE mv_global_stats AS
SELECT count(*) AS matches,
       count(*) FILTER (WHERE outcome = 2) AS wins,
       count(*) FILTER (WHERE outcome = 3) AS losses,
       count(*) FILTER (WHERE outcome = 1) AS ties,
       count(*) FILTER (WHERE outcome = 4 OR left_early) AS left_early,
       count(*) FILTER (WHERE outcome = 2) / nullif(count(*), 0) AS win_rate,
       coalesce(sum(kills), 0)::BIGINT AS kills,
       coalesce(sum(deaths), 0)::BIGINT AS deaths,
       coalesce(sum(assists), 0)::BIGINT AS assists,
       coalesce(sum(kills) / nullif(sum(deaths), 0), sum(kills))::DOUBLE AS kd,
       avg(kda) AS avg_kda,
       100.0 * sum(shots_hit) / nullif(sum(shots_fired), 0) AS accuracy,
       avg(performance_score) AS avg_performance_score,
       coalesce(sum(time_played_seconds), 0) / 3600.0 AS hours_played,
       min(start_time) AS first_match,
       max(start_time) AS last_match,
       count(DISTINCT session_id) AS sessions,
       (SELECT try_cast(value AS TIMESTAMPTZ) FROM sync_meta WHERE key = 'last_sync_time') AS last_sync
FROM match_stats;
