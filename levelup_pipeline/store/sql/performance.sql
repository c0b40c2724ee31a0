-- Performance score 0-100 of each match against the player's EARLIER matches.
-- Order: (start_time, match_id). Per-minute rates use time_played_seconds (> 0, else NULL).
-- For a metric with value v and the earlier matches' non-NULL values E:
--     pct(v) = (#{e in E : e < v} + 0.5 * #{e in E : e = v}) / |E|
-- and for deaths/min (lower is better) the mirrored 1 - pct(v).
-- Score = 100 * sum(w_i * pct_i) / sum(w_i) over the metrics that have a value and |E| > 0,
-- weights kills/min 0.30, deaths/min 0.25, assists/min 0.15, KDA 0.20, accuracy 0.10.
-- NULL while fewer than 10 earlier matches exist.
-- Counting uses framed rank()/cume_dist() with an argument ORDER BY over the frame
-- "all earlier rows + this one", ordered with NULLS LAST so NULL values never count:
--     #less = rank - 1,   #less-or-equal (incl. this row) = cume_dist * frame_rows.
WITH base AS (
    SELECT match_id, start_time,
           CASE WHEN time_played_seconds > 0 THEN kills * 60.0 / time_played_seconds END AS kpm,
           CASE WHEN time_played_seconds > 0 THEN deaths * 60.0 / time_played_seconds END AS dpm,
           CASE WHEN time_played_seconds > 0 THEN assists * 60.0 / time_played_seconds END
               AS apm,
           kda,
           accuracy
    FROM match_stats
    WHERE start_time IS NOT NULL
),
ranked AS (
    SELECT match_id, kpm, dpm, apm, kda, accuracy,
           count(*) OVER w AS frame_rows,
           count(kpm) OVER w - 1 AS n_kpm,
           rank(ORDER BY kpm ASC NULLS LAST) OVER w - 1 AS lt_kpm,
           round(cume_dist(ORDER BY kpm ASC NULLS LAST) OVER w * count(*) OVER w) AS le_kpm,
           count(dpm) OVER w - 1 AS n_dpm,
           rank(ORDER BY dpm ASC NULLS LAST) OVER w - 1 AS lt_dpm,
           round(cume_dist(ORDER BY dpm ASC NULLS LAST) OVER w * count(*) OVER w) AS le_dpm,
           count(apm) OVER w - 1 AS n_apm,
           rank(ORDER BY apm ASC NULLS LAST) OVER w - 1 AS lt_apm,
           round(cume_dist(ORDER BY apm ASC NULLS LAST) OVER w * count(*) OVER w) AS le_apm,
           count(kda) OVER w - 1 AS n_kda,
           rank(ORDER BY kda ASC NULLS LAST) OVER w - 1 AS lt_kda,
           round(cume_dist(ORDER BY kda ASC NULLS LAST) OVER w * count(*) OVER w) AS le_kda,
           count(accuracy) OVER w - 1 AS n_acc,
           rank(ORDER BY accuracy ASC NULLS LAST) OVER w - 1 AS lt_acc,
           round(cume_dist(ORDER BY accuracy ASC NULLS LAST) OVER w * count(*) OVER w) AS le_acc
    FROM base
    WINDOW w AS (ORDER BY start_time, match_id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
),
pcts AS (
    -- ties among earlier rows = (#less-or-equal - 1 for this row) - #less
    SELECT match_id, frame_rows - 1 AS n_earlier,
           CASE WHEN kpm IS NOT NULL AND n_kpm > 0
                THEN (lt_kpm + 0.5 * (le_kpm - 1 - lt_kpm)) / n_kpm END AS p_kpm,
           CASE WHEN dpm IS NOT NULL AND n_dpm > 0
                THEN 1 - (lt_dpm + 0.5 * (le_dpm - 1 - lt_dpm)) / n_dpm END AS p_dpm,
           CASE WHEN apm IS NOT NULL AND n_apm > 0
                THEN (lt_apm + 0.5 * (le_apm - 1 - lt_apm)) / n_apm END AS p_apm,
           CASE WHEN kda IS NOT NULL AND n_kda > 0
                THEN (lt_kda + 0.5 * (le_kda - 1 - lt_kda)) / n_kda END AS p_kda,
           CASE WHEN accuracy IS NOT NULL AND n_acc > 0
                THEN (lt_acc + 0.5 * (le_acc - 1 - lt_acc)) / n_acc END AS p_acc
    FROM ranked
),
scores AS (
    SELECT match_id,
           CASE WHEN n_earlier >= 10 THEN
               100.0 * (coalesce(0.30 * p_kpm, 0) + coalesce(0.25 * p_dpm, 0)
                        + coalesce(0.15 * p_apm, 0) + coalesce(0.20 * p_kda, 0)
                        + coalesce(0.10 * p_acc, 0))
               / nullif((CASE WHEN p_kpm IS NULL THEN 0 ELSE 0.30 END)
                        + (CASE WHEN p_dpm IS NULL THEN 0 ELSE 0.25 END)
                        + (CASE WHEN p_apm IS NULL THEN 0 ELSE 0.15 END)
                        + (CASE WHEN p_kda IS NULL THEN 0 ELSE 0.20 END)
                        + (CASE WHEN p_acc IS NULL THEN 0 ELSE 0.10 END), 0)
           END AS performance_score
    FROM pcts
)
UPDATE match_stats SET performance_score = s.performance_score
FROM (
    SELECT m.match_id, s.performance_score
    FROM match_stats m LEFT JOIN scores s USING (match_id)
) s
WHERE s.match_id = match_stats.match_id
  AND match_stats.performance_score IS DISTINCT FROM s.performance_score
