"""`player_report`: the player's dashboard in its metadata (plots inline under `make dev`)."""

import hashlib
from urllib.parse import quote

from dagster import (
    AssetExecutionContext,
    AssetRecordsFilter,
    AutomationCondition,
    Failure,
    MaterializeResult,
    MetadataValue,
    asset,
)

from levelup_pipeline.defs.assets_aggregates import AGGREGATES
from levelup_pipeline.defs.partitions import players_partitions
from levelup_pipeline.defs.resources import PlayerStoreResource, failing_on
from levelup_pipeline.report.build import (
    PLOTS,
    REPORT_DIRNAME,
    PlayerReport,
    load_report_data,
    update_report,
)
from levelup_pipeline.report.serve import report_base_url, report_file_url
from levelup_pipeline.store.errors import StoreError

#: numbers the UI plots across materializations: aggregate column -> (metadata name, scale)
HEADLINES = {
    "win_rate": ("win_rate_percent", 100.0),
    "kd": ("kd", 1.0),
    "avg_kda": ("avg_kda", 1.0),
    "accuracy": ("accuracy_percent", 1.0),
    "avg_performance_score": ("avg_performance_score", 1.0),
    "hours_played": ("hours_played", 1.0),
}


@asset(
    deps=["match_stats", *AGGREGATES],
    partitions_def=players_partitions,
    group_name="report",
    kinds={"python", "duckdb"},
    automation_condition=AutomationCondition.eager(),
    owners=["team:levelup"],
    description="The player's dashboard: one status line (last sync, matches, new since the "
    "previous report), a summary (matches, win rate, K/D, KDA, accuracy, hours played) and plots "
    "(performance score over time, K/D per map, win rate per mode category, sessions), shown in "
    "this asset's metadata. Files (report.md, index.html, PNGs) under "
    f"`data/players/<gamertag>/{REPORT_DIRNAME}/`; plots are redrawn only when their rows change.",
)
def player_report(context: AssetExecutionContext, store: PlayerStoreResource) -> MaterializeResult:
    """Read the aggregates read-only, update the report files, show them in the metadata."""
    gamertag = context.partition_key
    player_store = store.for_player(gamertag)
    folder = player_store.path.parent
    with failing_on(StoreError), player_store.reader() as conn:
        data = load_report_data(conn)
    previous = _previous_matches(context, gamertag)
    new_matches = None if previous is None else max(data.matches - previous, 0)
    try:
        report, paths = update_report(gamertag, data, folder, new_matches)
    except OSError as exc:
        raise Failure(
            description=f"Could not write the report of {gamertag} under {folder} "
            f"({exc.strerror or exc}); check that the folder is writable and the disk not full.",
            allow_retries=False,
        ) from None
    redrawn = ", ".join(report.rendered) or "none (their rows did not change)"
    context.log.info(f"{gamertag}: report written to {paths['report']}; plots redrawn: {redrawn}")
    metadata = report_metadata(gamertag, report, paths)
    metadata["matches"] = int(data.totals.get("matches") or 0)
    for key, (name, scale) in HEADLINES.items():
        if data.totals.get(key) is not None:
            metadata[name] = round(float(data.totals[key]) * scale, 2)
    metadata["plots_redrawn"] = len(report.rendered)
    return MaterializeResult(metadata=metadata)


def report_metadata(gamertag: str, report: PlayerReport, paths: dict) -> dict:
    """Status line, a one-click sync link, the summary, then the plots (inline under a server)."""
    base = report_base_url()
    sync_page = f"/assets/raw_match_json?view=partitions&partition={quote(gamertag)}"
    metadata: dict = {
        "status": MetadataValue.text(report.status),
        "sync": MetadataValue.md(
            f"[Sync {gamertag} now]({sync_page}) (Materialize, then Launch 1 run; the model, "
            "aggregates and this report follow by automation)"
        ),
        "summary": MetadataValue.md(report.summary),
    }
    for name, (title, _rows, _fn) in PLOTS.items():
        if base:
            digest = hashlib.sha256(report.images[name]).hexdigest()[:12]
            url = report_file_url(base, gamertag, f"{name}.png", digest)
            metadata[name] = MetadataValue.md(f"![{title}]({url})")
        else:
            metadata[name] = MetadataValue.md(report.image_markdown(name))
    if base:
        metadata["report_page"] = MetadataValue.url(report_file_url(base, gamertag, "index.html"))
    metadata["report_file"] = MetadataValue.path(str(paths["report"]))
    return metadata


def _previous_matches(context: AssetExecutionContext, gamertag: str) -> int | None:
    """`matches` of this player's previous report, None when there is none."""
    records = context.instance.fetch_materializations(
        AssetRecordsFilter(asset_key=context.asset_key, asset_partitions=[gamertag]), limit=1
    ).records
    if not records or records[0].asset_materialization is None:
        return None
    value = records[0].asset_materialization.metadata.get("matches")
    return int(value.value) if value is not None else None
