"""Model: the tables a player queries, one multi-asset (each raw body parsed once, a match's
tables in one transaction) that still shows one asset per table."""

from dagster import (
    AssetExecutionContext,
    AssetSpec,
    AutomationCondition,
    Config,
    MaterializeResult,
    MetadataValue,
    multi_asset,
)

from levelup_pipeline.defs.checks import MODEL_CHECKS, check_results, check_specs
from levelup_pipeline.defs.partitions import players_partitions
from levelup_pipeline.defs.resources import PlayerStoreResource, failing_on, never_synced
from levelup_pipeline.defs.table_schemas import column_schema_metadata, preview
from levelup_pipeline.ingest.backfill import gaps_closed
from levelup_pipeline.store import backfill as gaps
from levelup_pipeline.store.errors import StoreError

#: table -> (description, preview order)
MODEL_TABLES: dict[str, tuple[str, str]] = {
    "match_stats": (
        "One row per match for this player: when, where (map, mode, playlist names), outcome, "
        "core stats, the API's KDA (K + A/3 - D), session and performance score.",
        "start_time DESC",
    ),
    "player_match_stats": (
        "Skill per match: team and enemy MMR, expected kills/deaths (and std dev), CSR "
        "before/after, tier.",
        "match_id",
    ),
    "highlight_events": (
        "Film highlight events: kills, deaths, medals and mode events with their time.",
        "match_id, event_index",
    ),
    "xuid_aliases": (
        "XUID <-> gamertag, with first/last seen and the source (profile API or film).",
        "last_seen DESC",
    ),
    "medals": ("Medals earned per match (name from the medal metadata).", "match_id"),
    "personal_scores": ("Personal score awards per match.", "match_id"),
    "match_players": (
        "Every player of every match (teammates, rivals): team, outcome, core stats.",
        "match_id",
    ),
}


def table_specs(
    tables: dict[str, tuple[str, str | None]], deps: list[str], group: str
) -> list[AssetSpec]:
    """One eager, partitioned DuckDB table asset per table, documented with its columns."""
    return [
        AssetSpec(
            name,
            deps=deps,
            description=description,
            group_name=group,
            kinds={"duckdb"},
            owners=["team:levelup"],
            metadata=column_schema_metadata(name),
            automation_condition=AutomationCondition.eager(),
        )
        for name, (description, _order) in tables.items()
    ]


class ModelConfig(Config):
    """`rebuild`: recompute every derived row from raw; `measure_gaps`: report what was filled."""

    rebuild: bool = False
    measure_gaps: bool = False


@multi_asset(
    specs=table_specs(MODEL_TABLES, ["raw_match_json"], "model"),
    check_specs=check_specs(MODEL_CHECKS),
    partitions_def=players_partitions,
)
def model_tables(context: AssetExecutionContext, config: ModelConfig, store: PlayerStoreResource):
    """Transform raw bodies not yet modelled (or all of them on rebuild) in one transaction."""
    with failing_on(StoreError), store.for_player(context.partition_key).writer() as writer:
        xuid = writer.get_meta("player_xuid")
        if not xuid:
            raise never_synced(context.partition_key)
        before = writer.table_counts()
        gaps_before = gaps.gap_counts(writer) if config.measure_gaps else {}
        written = writer.transform_pending(xuid, rebuild=config.rebuild)
        totals = writer.table_counts()
        closed = gaps_closed(gaps_before, gaps.gap_counts(writer)) if gaps_before else {}
        previews = {n: preview(writer.connection, n, o) for n, (_d, o) in MODEL_TABLES.items()}
        checks = list(check_results(MODEL_CHECKS, writer.connection))
    for name in MODEL_TABLES:
        metadata = {
            "dagster/row_count": totals.get(name, 0),
            "new_rows": totals.get(name, 0) - before.get(name, 0),
            "rows_written": written.get(name, 0),
            "rebuild": config.rebuild,
            "preview": previews[name],
        }
        if name == "match_stats" and config.measure_gaps:
            metadata["gaps_closed"] = MetadataValue.json(closed)
        yield MaterializeResult(asset_key=name, metadata=metadata)
    yield from checks
