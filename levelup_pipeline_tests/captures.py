"""Names of the real captured match-stats responses in ../shared/fixtures/halo-api, for the
tests that walk all of them (load them with the `load_capture` fixture)."""

# One capture per game mode family (slayer, CTF, oddball, zones, elimination, extraction).
MODE_STATS_CAPTURES = [
    "get_match_stats.json",
    "get_match_stats_ctf.json",
    "get_match_stats_oddball.json",
    "get_match_stats_zones.json",
    "get_match_stats_elimination.json",
    "get_match_stats_extraction.json",
]
# ...and the match whose film chunks are captured too.
MATCH_STATS_CAPTURES = [*MODE_STATS_CAPTURES, "film/match_stats.json"]
