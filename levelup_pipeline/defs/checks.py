"""Asset checks: the invariants a player's database must keep after every sync.

Each check stays visible by name on its asset, but the model's checks run as one step
(`@multi_asset_check`: one read-only connection, one query per invariant) and the aggregates'
as another, so a delta pays two check steps, not five.
"""

from collections.abc import Callable, Iterator

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    asset_check,
    multi_asset_check,
)

from levelup_pipeline.defs.partitions import players_partitions
from levelup_pipeline.defs.resources import PlayerStoreResource
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


@multi_asset_check(
    specs=[
        AssetCheckSpec(
            name,
            asset=asset,
            blocking=blocking,
            description=description,
            partitions_def=players_partitions,
        )
        for name, (asset, blocking, _check, description, _severity) in MODEL_CHECKS.items()
    ],
    can_subset=True,
)
def model_checks(
    context: AssetCheckExecutionContext, store: PlayerStoreResource
) -> Iterator[AssetCheckResult]:
    """The model's invariants on one read-only connection."""
    selected = {key.name for key in context.selected_asset_check_keys}
    with store.for_player(context.partition_key).reader() as conn:
        for name, (asset, _blocking, check, _description, severity) in MODEL_CHECKS.items():
            if name in selected:
                yield _result(name, asset, check, conn, severity)


@asset_check(asset="mv_global_stats", partitions_def=players_partitions)
def aggregates_equal_recount(context: AssetCheckExecutionContext, store: PlayerStoreResource):
    """mv_* totals equal a recount from match_stats."""
    with store.for_player(context.partition_key).reader() as conn:
        return _result(
            "aggregates_equal_recount", "mv_global_stats", invariants.aggregate_mismatches, conn
        )


CHECKS = [model_checks, aggregates_equal_recount]
