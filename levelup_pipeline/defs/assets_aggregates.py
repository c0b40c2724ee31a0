"""Aggregates: the guide's mv_* tables, recomputed in SQL, checked against a recount."""

from dagster import AssetExecutionContext, MaterializeResult, multi_asset

from levelup_pipeline.defs.assets_model import table_specs
from levelup_pipeline.defs.checks import AGGREGATE_CHECKS, check_results, check_specs
from levelup_pipeline.defs.partitions import players_partitions
from levelup_pipeline.defs.resources import PlayerStoreResource, failing_on
from levelup_pipeline.defs.table_schemas import preview
from levelup_pipeline.store.errors import StoreError

#: table -> (description, preview order)
AGGREGATES: dict[str, tuple[str, str | None]] = {
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


@multi_asset(
    specs=table_specs(AGGREGATES, ["match_stats", "player_match_stats", "medals"], "aggregates"),
    check_specs=check_specs(AGGREGATE_CHECKS),
    partitions_def=players_partitions,
)
def aggregate_tables(context: AssetExecutionContext, store: PlayerStoreResource):
    """Recompute the four mv_* tables in one SQL transaction."""
    with failing_on(StoreError), store.for_player(context.partition_key).writer() as writer:
        counts = writer.refresh_aggregates(session_gap_minutes=store.session_gap_minutes)
        previews = {n: preview(writer.connection, n, o) for n, (_d, o) in AGGREGATES.items()}
        checks = list(check_results(AGGREGATE_CHECKS, writer.connection))
    for name in AGGREGATES:
        yield MaterializeResult(
            asset_key=name,
            metadata={"dagster/row_count": counts.get(name, 0), "preview": previews[name]},
        )
    yield from checks
