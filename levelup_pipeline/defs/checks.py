"""Asset checks: the invariants a player's database must keep after every sync.

Each check stays visible by name on its asset. They run in the step that writes the asset
(`check_specs` of `model_tables` and `aggregate_tables`), on its connection, right after its
transaction committed: one query per invariant and no extra step, DuckDB connection or
run events (two check steps cost a 5-match delta ~0.4 s for ~30 ms of queries).
"""

import warnings
from collections.abc import Callable, Iterator

from dagster import AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, PreviewWarning

from levelup_pipeline.defs.partitions import players_partitions
from levelup_pipeline.store import invariants

Invariant = Callable[[object], tuple[int, dict]]
ERROR, WARN = AssetCheckSeverity.ERROR, AssetCheckSeverity.WARN
#: name -> (asset, blocking, invariant, description, severity) of the model's checks
MODEL_CHECKS: dict[str, tuple[str, bool, Invariant, str, AssetCheckSeverity]] = {
    "match_ids_unique": (
        "match_stats",
        True,
        invariants.duplicate_match_ids,
        "No match appears twice in match_stats.",
        ERROR,
    ),
    "highlight_events_unique": (
        "highlight_events",
        True,
        invariants.duplicate_highlight_events,
        "No (match_id, event_index) pair appears twice (the table has no primary-key index).",
        ERROR,
    ),
    "outcome_codes_valid": (
        "match_stats",
        False,
        invariants.invalid_outcomes,
        "Outcome is 1 tie, 2 win, 3 loss or 4 left.",
        ERROR,
    ),
    "every_match_has_its_player_row": (
        "match_stats",
        False,
        invariants.orphan_matches,
        "Each stored match has the player's own row in match_players, and a raw body.",
        ERROR,
    ),
    "values_plausible": (
        "match_stats",
        False,
        invariants.implausible_values,
        "No implausible value (accuracy over 100, negative counts...) is stored or aggregated.",
        ERROR,
    ),
    "no_suspect_matches": (
        "match_stats",
        False,
        invariants.suspect_matches,
        "No match had implausible values (they are NULL in match_stats; reasons in "
        "suspect_matches). A warning: the API sent them, the stored totals are not affected.",
        WARN,
    ),
}


def _result(
    name: str, asset: str, check: Invariant, conn: object, severity: AssetCheckSeverity = ERROR
) -> AssetCheckResult:
    problems, detail = check(conn)
    return AssetCheckResult(
        check_name=name,
        asset_key=asset,
        passed=problems == 0,
        severity=severity,
        metadata={"problems": problems, **detail},
        description=(check.__doc__ or "").split("\n\n")[0].replace("\n", " ").strip(),
    )


def _specs(checks: dict) -> list[AssetCheckSpec]:
    """One partitioned spec per check (a result per player). Partitioned checks are a Dagster
    "preview" feature: its warning is expected here and would otherwise be the first line of
    every process that loads the definitions (`make dev`'s included)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PreviewWarning)
        return [
            AssetCheckSpec(
                name,
                asset=asset,
                blocking=blocking,
                description=description,
                partitions_def=players_partitions,
            )
            for name, (asset, blocking, _check, description, _severity) in checks.items()
        ]


#: name -> (asset, blocking, invariant, description, severity) of the aggregates' checks
AGGREGATE_CHECKS: dict[str, tuple[str, bool, Invariant, str, AssetCheckSeverity]] = {
    "aggregates_equal_recount": (
        "mv_global_stats",
        False,
        invariants.aggregate_mismatches,
        "mv_* totals equal a recount from match_stats.",
        ERROR,
    ),
}
MODEL_CHECK_SPECS = _specs(MODEL_CHECKS)
AGGREGATE_CHECK_SPECS = _specs(AGGREGATE_CHECKS)


def check_results(checks: dict, conn: object) -> Iterator[AssetCheckResult]:
    """The results of `checks` (MODEL_CHECKS or AGGREGATE_CHECKS) on one connection."""
    for name, (asset, _blocking, check, _description, severity) in checks.items():
        yield _result(name, asset, check, conn, severity)


#: Every check of the project, as specs (they run in their assets' steps).
CHECK_SPECS = [*MODEL_CHECK_SPECS, *AGGREGATE_CHECK_SPECS]
