"""Pure transformers: raw Halo API JSON -> table rows (dicts keyed by column). No I/O here."""

from levelup_pipeline.transform._common import normalize_xuid, parse_duration, parse_timestamp
from levelup_pipeline.transform.aliases import aliases_from_highlights, aliases_from_profiles
from levelup_pipeline.transform.highlights import highlight_event_rows
from levelup_pipeline.transform.match_stats import (
    match_player_rows,
    match_stats_row,
    medal_rows,
    personal_score_rows,
)
from levelup_pipeline.transform.metadata import medal_metadata_rows, ugc_asset_row
from levelup_pipeline.transform.modes import MODE_CATEGORIES, mode_category
from levelup_pipeline.transform.skill import player_match_stats_row, skill_result_for

__all__ = [
    "MODE_CATEGORIES",
    "aliases_from_highlights",
    "aliases_from_profiles",
    "highlight_event_rows",
    "match_player_rows",
    "match_stats_row",
    "medal_metadata_rows",
    "medal_rows",
    "mode_category",
    "normalize_xuid",
    "parse_duration",
    "parse_timestamp",
    "personal_score_rows",
    "player_match_stats_row",
    "skill_result_for",
    "ugc_asset_row",
]
