"""Asset checks: the invariants a player's database must keep after every sync."""

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    asset_check,
)

from levelup_pipeline.defs.partitions import players_partitions
from levelup_pipeline.defs.resources import PlayerStoreResource
from levelup_pipeline.store import invariants


def _run(
    context: AssetCheckExecutionContext,
    store: PlayerStoreResource,
    check,
    severity: AssetCheckSeverity = AssetCheckSeverity.ERROR,
) -> AssetCheckResult:
    with store.for_player(context.partition_key).reader() as conn:
        problems, detail = check(conn)
    return AssetCheckResult(
        passed=problems == 0,
        severity=severity,
        metadata={"problems": problems, **detail},
        description=(check.__doc__ or "").split("\n\n")[0].replace("\n", " ").strip(),
    )


@asset_check(asset="match_stats", partitions_def=players_partitions, blocking=True)
def match_ids_unique(context: AssetCheckExecutionContext, store: PlayerStoreResource):
    """No match appears twice in match_stats."""
    return _run(context, store, invariants.duplicate_match_ids)


@asset_check(asset="highlight_events", partitions_def=players_partitions, blocking=True)
def highlight_events_unique(context: AssetCheckExecutionContext, store: PlayerStoreResource):
    """No (match_id, event_index) pair appears twice (the table has no primary-key index)."""
    return _run(context, store, invariants.duplicate_highlight_events)


@asset_check(asset="match_stats", partitions_def=players_partitions)
def outcome_codes_valid(context: AssetCheckExecutionContext, store: PlayerStoreResource):
    """Outcome is 1 tie, 2 win, 3 loss or 4 left."""
    return _run(context, store, invariants.invalid_outcomes)


@asset_check(asset="match_stats", partitions_def=players_partitions)
def every_match_has_its_player_row(context: AssetCheckExecutionContext, store: PlayerStoreResource):
    """Each stored match has the player's own row in match_players, and a raw body."""
    return _run(context, store, invariants.orphan_matches)


@asset_check(asset="mv_global_stats", partitions_def=players_partitions)
def aggregates_equal_recount(context: AssetCheckExecutionContext, store: PlayerStoreResource):
    """mv_* totals equal a recount from match_stats."""
    return _run(context, store, invariants.aggregate_mismatches)


@asset_check(asset="match_stats", partitions_def=players_partitions)
def values_plausible(context: AssetCheckExecutionContext, store: PlayerStoreResource):
    """No implausible value (accuracy over 100, negative counts...) is stored or aggregated."""
    return _run(context, store, invariants.implausible_values)


@asset_check(asset="match_stats", partitions_def=players_partitions)
def no_suspect_matches(context: AssetCheckExecutionContext, store: PlayerStoreResource):
    """No match had implausible values (they are NULL in match_stats; reasons in
    suspect_matches). A warning: the API sent them, the stored totals are not affected."""
    return _run(context, store, invariants.suspect_matches, AssetCheckSeverity.WARN)


CHECKS = [
    match_ids_unique,
    highlight_events_unique,
    outcome_codes_valid,
    every_match_has_its_player_row,
    aggregates_equal_recount,
    values_plausible,
    no_suspect_matches,
]
