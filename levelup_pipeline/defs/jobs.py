"""The jobs: the guide's syncs and maintenance, each a selection and its run config."""

from __future__ import annotations

from dagster import AssetKey, AssetSelection, define_asset_job

from levelup_pipeline.defs.config import (
    RAW_OP,
    merged,
    model_run_config,
    sync_partitioned_config,
    sync_run_config,
)

REPORT = AssetSelection.groups("report")
DERIVED = AssetSelection.groups("model", "aggregates") | REPORT
#: The report follows a sync by automation (or `levelup report`).
SYNC = AssetSelection.assets(RAW_OP) | AssetSelection.groups("model", "aggregates")
#: Daemon runs fetch only: the rest follows by automation, a failed fetch marks nothing else.
FETCH_ONLY = [AssetKey(RAW_OP)]
FILL_GAPS_CONFIG = merged(sync_run_config("fill_gaps"), model_run_config(measure_gaps=True))

delta_sync = define_asset_job(
    "delta_sync",
    SYNC,
    config=sync_partitioned_config("delta"),
    description="Fetch the matches played since the last sync (stops at the first stored one), "
    "then the model and aggregates (the report follows by automation). Default config: mode "
    "delta, the player's match type.",
)
full_sync = define_asset_job(
    "full_sync",
    SYNC,
    config=sync_partitioned_config("full"),
    description="Walk the history back to max_matches (default 1000), skipping stored matches. "
    "Default config: mode full, the player's match type.",
)
# The guide's --with-backfill; a Dagster backfill is a partition backfill.
fill_gaps = define_asset_job(
    "fill_gaps",
    SYNC,
    config=FILL_GAPS_CONFIG,
    description="Fill what stored matches lack (skill, film highlights, aliases, names, medal "
    "names), fetching only what is missing, then re-model them (performance scores included).",
)
JOBS = [
    delta_sync,
    full_sync,
    fill_gaps,
    define_asset_job(
        "fill_performance_scores",
        DERIVED,
        config=model_run_config(measure_gaps=True),
        description="Compute the performance scores still missing (SQL only, zero API calls): "
        "the guide's --backfill-performance-scores.",
    ),
    define_asset_job(
        "rebuild_from_raw",
        DERIVED,
        config=model_run_config(rebuild=True),
        description="Recompute every derived table from raw_match_json (zero API calls).",
    ),
    define_asset_job(
        "refresh_aggregates",
        AssetSelection.groups("aggregates", "report"),
        description="Recompute the mv_* aggregate tables and the report (no API call).",
    ),
    define_asset_job(
        "refresh_report",
        REPORT,
        description="Redraw the player's report from the aggregates (no API call): `levelup "
        "report`. Under the daemon the report follows every sync by automation.",
    ),
    define_asset_job(
        "download_assets",
        AssetSelection.assets("game_assets"),
        description="Map, mode, playlist and medal metadata and images still missing "
        "(--with-assets).",
    ),
]
