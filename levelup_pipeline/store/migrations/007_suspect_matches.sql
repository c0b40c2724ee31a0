-- 007_suspect_matches: matches whose stats held values no real match can have (accuracy
-- 1e308, kills 16.5, negative counts). Derived from raw_match_json by the transform like
-- match_stats (transform/plausibility.py): the values are NULL in match_stats, the reasons
-- kept here, and the values_plausible asset check reports them.
CREATE TABLE IF NOT EXISTS suspect_matches (
    match_id VARCHAR PRIMARY KEY,
    reasons  VARCHAR NOT NULL
);
