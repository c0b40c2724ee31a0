"""Asset checks of a player's database, run by the writing step on its own connection."""

import warnings
from collections.abc import Callable, Iterator

from dagster import AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, PreviewWarning

from levelup_pipeline.defs.partitions import players_partitions
from levelup_pipeline.store import invariants as inv

Invariant = Callable[[object], tuple[int, dict]]
BLOCKING = {"match_ids_unique", "highlight_events_unique"}
WARNINGS = {"no_suspect_matches"}
#: name -> (asset, invariant, description)
MODEL_CHECKS: dict[str, tuple[str, Invariant, str]] = {
    "match_ids_unique": (
        "match_stats",
        inv.duplicate_match_ids,
        "No match appears twice in match_stats.",
    ),
    "highlight_events_unique": (
        "highlight_events",
        inv.duplicate_highlight_events,
        "No (match_id, event_index) pair appears twice (the table has no primary-key index).",
    ),
    "outcome_codes_valid": (
        "match_stats",
        inv.invalid_outcomes,
        "Outcome is 1 tie, 2 win, 3 loss or 4 left.",
    ),
    "every_match_has_its_player_row": (
        "match_stats",
        inv.orphan_matches,
        "Each stored match has the player's own row in match_players, and a raw body.",
    ),
    "values_plausible": (
        "match_stats",
        inv.implausible_values,
        "No implausible value (accuracy over 100, negative counts...) is stored or aggregated.",
    ),
    "no_suspect_matches": (
        "match_stats",
        inv.suspect_matches,
        "No match had implausible values (they are NULL in match_stats; reasons in "
        "suspect_matches). A warning: the API sent them, the stored totals are not affected.",
    ),
}
AGGREGATE_CHECKS: dict[str, tuple[str, Invariant, str]] = {
    "aggregates_equal_recount": (
        "mv_global_stats",
        inv.aggregate_mismatches,
        "mv_* totals equal a recount from match_stats.",
    ),
}


def check_specs(checks: dict[str, tuple[str, Invariant, str]]) -> list[AssetCheckSpec]:
    """One partitioned spec per check (its PreviewWarning silenced)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PreviewWarning)
        return [
            AssetCheckSpec(
                name,
                asset=asset,
                blocking=name in BLOCKING,
                description=text,
                partitions_def=players_partitions,
            )
            for name, (asset, _invariant, text) in checks.items()
        ]


def check_results(
    checks: dict[str, tuple[str, Invariant, str]], conn: object
) -> Iterator[AssetCheckResult]:
    """The results of `checks` (MODEL_CHECKS or AGGREGATE_CHECKS) on one connection."""
    for name, (asset, check, _text) in checks.items():
        problems, detail = check(conn)
        yield AssetCheckResult(
            check_name=name,
            asset_key=asset,
            passed=problems == 0,
            severity=AssetCheckSeverity.WARN if name in WARNINGS else AssetCheckSeverity.ERROR,
            metadata={"problems": problems, **detail},
            description=(check.__doc__ or "").split("\n\n")[0].replace("\n", " ").strip(),
        )
