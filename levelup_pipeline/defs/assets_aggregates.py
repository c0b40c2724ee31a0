"""Aggregates: the guide's materialized views, recomputed in DuckDB SQL after every sync, and
their check (totals equal a recount) in the same step."""

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    AutomationCondition,
    Failure,
    MaterializeResult,
    multi_asset,
)

from levelup_pipeline.defs.checks import AGGREGATE_CHECK_SPECS, AGGREGATE_CHECKS, check_results
from levelup_pipeline.defs.metadata import preview
from levelup_pipeline.defs.partitions import players_partitions
from levelup_pipeline.defs.resources import PlayerStoreResource
from levelup_pipeline.defs.table_schemas import column_schema_metadata
from levelup_pipeline.store.errors import StoreError

AGGREGATES: dict[str, tuple[str, str]] = {
    "mv_map_stats": (
        "Per map: matches, win rate, K/D, KDA, accuracy, time played.",
        "matches DESC",
    ),
    "mv_mode_category_stats": (
        "Per mode category (Slayer, CTF, Oddball, ...): matches, win rate, K/D, KDA.",
        "matches DESC",
    ),
    "mv_session_stats": (
        "Per play session (matches less than the session gap apart): matches, wins, K/D.",
        "session_id DESC",
    ),
    "mv_global_stats": ("One row: the player's career totals and rates.", None),
}
SOURCES = [AssetKey(t) for t in ("match_stats", "player_match_stats", "medals")]


@multi_asset(
    specs=[
        AssetSpec(
            name,
            deps=SOURCES,
            description=description,
            group_name="aggregates",
            kinds={"duckdb"},
            owners=["team:levelup"],
            metadata=column_schema_metadata(name),
            automation_condition=AutomationCondition.eager(),
        )
        for name, (description, _order) in AGGREGATES.items()
    ],
    check_specs=AGGREGATE_CHECK_SPECS,
    partitions_def=players_partitions,
)
def aggregate_tables(context: AssetExecutionContext, store: PlayerStoreResource):
    """Recompute the four mv_* tables in one SQL transaction."""
    player_store = store.for_player(context.partition_key)
    try:
        with player_store.writer() as writer:
            counts = writer.refresh_aggregates(session_gap_minutes=store.session_gap_minutes)
            previews = {
                name: preview(writer.connection, name, order)
                for name, (_d, order) in AGGREGATES.items()
            }
            checks = list(check_results(AGGREGATE_CHECKS, writer.connection))
    except StoreError as exc:
        raise Failure(description=str(exc), allow_retries=False) from None
    for name in AGGREGATES:
        yield MaterializeResult(
            asset_key=name,
            metadata={"dagster/row_count": counts.get(name, 0), "preview": previews[name]},
        )
    yield from checks
