"""Asset checks: a player's database invariants, run by the writing step on its connection after
its commit (`check_specs`): no extra step, connection or run events."""

import warnings
from collections.abc import Callable, Iterator

from dagster import AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, PreviewWarning

from levelup_pipeline.defs.partitions import players_partitions
from levelup_pipeline.store import invariants as inv

Invariant = Callable[[object], tuple[int, dict]]
Check = tuple[AssetCheckSpec, Invariant]
WARNINGS = {"no_suspect_matches"}


def _check(name: str, asset: str, invariant: Invariant, text: str, blocking=False) -> Check:
    # Partitioned checks are a "preview": the warning would open every process that loads them.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PreviewWarning)
        spec = AssetCheckSpec(
            name,
            asset=asset,
            blocking=blocking,
            description=text,
            partitions_def=players_partitions,
        )
    return spec, invariant


MODEL_CHECKS: list[Check] = [
    _check(
        "match_ids_unique",
        "match_stats",
        inv.duplicate_match_ids,
        "No match appears twice in match_stats.",
        blocking=True,
    ),
    _check(
        "highlight_events_unique",
        "highlight_events",
        inv.duplicate_highlight_events,
        "No (match_id, event_index) pair appears twice (the table has no primary-key index).",
        blocking=True,
    ),
    _check(
        "outcome_codes_valid",
        "match_stats",
        inv.invalid_outcomes,
        "Outcome is 1 tie, 2 win, 3 loss or 4 left.",
    ),
    _check(
        "every_match_has_its_player_row",
        "match_stats",
        inv.orphan_matches,
        "Each stored match has the player's own row in match_players, and a raw body.",
    ),
    _check(
        "values_plausible",
        "match_stats",
        inv.implausible_values,
        "No implausible value (accuracy over 100, negative counts...) is stored or aggregated.",
    ),
    _check(
        "no_suspect_matches",
        "match_stats",
        inv.suspect_matches,
        "No match had implausible values (they are NULL in match_stats; reasons in "
        "suspect_matches). A warning: the API sent them, the stored totals are not affected.",
    ),
]
AGGREGATE_CHECKS: list[Check] = [
    _check(
        "aggregates_equal_recount",
        "mv_global_stats",
        inv.aggregate_mismatches,
        "mv_* totals equal a recount from match_stats.",
    ),
]
CHECK_SPECS = [spec for spec, _check in (*MODEL_CHECKS, *AGGREGATE_CHECKS)]


def check_results(checks: list[Check], conn: object) -> Iterator[AssetCheckResult]:
    """The results of `checks` (MODEL_CHECKS or AGGREGATE_CHECKS) on one connection."""
    for spec, check in checks:
        problems, detail = check(conn)
        yield AssetCheckResult(
            check_name=spec.name,
            asset_key=spec.asset_key,
            passed=problems == 0,
            severity=AssetCheckSeverity.WARN if spec.name in WARNINGS else AssetCheckSeverity.ERROR,
            metadata={"problems": problems, **detail},
            description=(check.__doc__ or "").split("\n\n")[0].replace("\n", " ").strip(),
        )
