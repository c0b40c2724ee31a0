-- Sessions: matches ordered by (start_time, match_id); a new session starts when the gap
-- between this match's start and the previous match's end (end_time, else start + duration,
-- else start) is >= $1 minutes. session_id = 1, 2, 3... increasing with time.
UPDATE match_stats SET session_id = s.session_id
FROM (
    SELECT match_id,
           sum(CASE WHEN prev_end IS NULL OR start_time - prev_end >= to_minutes($1::BIGINT)
                    THEN 1 ELSE 0 END)
               OVER (ORDER BY start_time, match_id ROWS UNBOUNDED PRECEDING)::INTEGER
               AS session_id
    FROM (
        SELECT match_id, start_time,
               lag(coalesce(end_time,
                            start_time + to_microseconds(
                                (coalesce(duration_seconds, 0) * 1e6)::BIGINT)))
                   OVER (ORDER BY start_time, match_id) AS prev_end
        FROM match_stats
        WHERE start_time IS NOT NULL
    )
) s
WHERE s.match_id = match_stats.match_id
  AND match_stats.session_id IS DISTINCT FROM s.session_id
