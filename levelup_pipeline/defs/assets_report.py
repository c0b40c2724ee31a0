"""Report: `player_report`, the player's dashboard shown in the asset's metadata.

A markdown summary (matches, win rate, K/D, KDA, accuracy, hours played, last sync) and four
plots (performance score over time, K/D per map, win rate per mode category, sessions). The
PNGs and a report.md are saved under the player's folder; the UI shows the same images inline.
"""

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AutomationCondition,
    Failure,
    MaterializeResult,
    MetadataValue,
    asset,
)

from levelup_pipeline.defs.partitions import players_partitions
from levelup_pipeline.defs.resources import PlayerStoreResource
from levelup_pipeline.report import PLOTS, build_report, load_report_data, write_report
from levelup_pipeline.store.errors import StoreError

REPORT_DEPS = [
    AssetKey(name)
    for name in (
        "match_stats",
        "mv_map_stats",
        "mv_mode_category_stats",
        "mv_session_stats",
        "mv_global_stats",
    )
]


def _headline_numbers(totals: dict) -> dict[str, float | int]:
    """Numeric metadata: the UI plots these across materializations (progress over time)."""
    numbers: dict[str, float | int] = {"matches": int(totals.get("matches") or 0)}
    for key, name, scale in (
        ("win_rate", "win_rate_percent", 100.0),
        ("kd", "kd", 1.0),
        ("avg_kda", "avg_kda", 1.0),
        ("accuracy", "accuracy_percent", 1.0),
        ("avg_performance_score", "avg_performance_score", 1.0),
        ("hours_played", "hours_played", 1.0),
    ):
        value = totals.get(key)
        if value is not None:
            numbers[name] = round(float(value) * scale, 2)
    return numbers


@asset(
    deps=REPORT_DEPS,
    partitions_def=players_partitions,
    group_name="report",
    kinds={"python", "duckdb"},
    automation_condition=AutomationCondition.eager(),
    owners=["team:levelup"],
    description=(
        "The player's dashboard: summary (matches, win rate, K/D, KDA, accuracy, hours played, "
        "last sync) and plots (performance score over time, K/D per map, win rate per mode "
        "category, sessions). Shown in this asset's metadata; files under "
        "data/players/<gamertag>/report/."
    ),
)
def player_report(context: AssetExecutionContext, store: PlayerStoreResource) -> MaterializeResult:
    """Read the aggregates read-only, render the report, save it beside the database."""
    gamertag = context.partition_key
    player_store = store.for_player(gamertag)
    try:
        with player_store.reader() as conn:
            data = load_report_data(conn)
    except StoreError as exc:
        raise Failure(description=str(exc), allow_retries=False) from None
    report = build_report(gamertag, data)
    try:
        paths = write_report(report, player_store.path.parent)
    except OSError as exc:
        raise Failure(
            description=(
                f"Could not write the report of {gamertag} under {player_store.path.parent} "
                f"({exc.strerror or exc}); check that the folder is writable and the disk not full."
            ),
            allow_retries=False,
        ) from None
    context.log.info(f"{gamertag}: report written to {paths['report']}")
    metadata: dict = {"summary": MetadataValue.md(report.summary)}
    metadata.update({name: MetadataValue.md(report.image_markdown(name)) for name in PLOTS})
    metadata.update(_headline_numbers(data.totals))
    metadata["report_file"] = MetadataValue.path(str(paths["report"]))
    return MaterializeResult(metadata=metadata)
