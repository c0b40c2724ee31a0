"""The two sync jobs of the guide: `delta_sync` (daily) and `full_sync` (first import).

Both materialize the whole graph for one player partition with the in-process executor (the
multiprocess one triples start-up time). The mode comes from the job name; other options come
from run config or `levelup/<option>` run tags.
"""

from __future__ import annotations

from dagster import AssetSelection, define_asset_job, in_process_executor

from levelup_pipeline.defs.partitions import players_partitions

# The backfill group is in the sync jobs so lineage (raw -> backfill -> model) holds for every
# run; in a plain sync it only counts the gaps (zero API calls, see assets_backfill.fills_gaps).
SYNC_SELECTION = AssetSelection.groups("ingest", "backfill", "model", "aggregates", "report")

delta_sync = define_asset_job(
    "delta_sync",
    selection=SYNC_SELECTION,
    partitions_def=players_partitions,
    executor_def=in_process_executor,
    description="Fetch the matches played since the last sync (stops at the first stored one).",
    tags={"levelup/mode": "delta"},
)

full_sync = define_asset_job(
    "full_sync",
    selection=SYNC_SELECTION,
    partitions_def=players_partitions,
    executor_def=in_process_executor,
    description="Walk the history back to max_matches (default 1000), skipping stored matches.",
    tags={"levelup/mode": "full"},
)

# Maintenance jobs (guide: --with-backfill, --backfill-performance-scores, --rebuild-cache,
# --with-assets). Model, aggregates and report follow a backfill so they reflect what it filled.
DERIVED = AssetSelection.groups("model", "aggregates", "report")

backfill = define_asset_job(
    "backfill",
    selection=AssetSelection.groups("backfill") | DERIVED,
    partitions_def=players_partitions,
    executor_def=in_process_executor,
    description="Fill what stored matches lack (skill, film highlights, aliases, names, medal "
    "names, performance scores), fetching only what is missing. One run per player.",
    tags={"levelup/mode": "backfill"},
)

backfill_performance_scores = define_asset_job(
    "backfill_performance_scores",
    selection=AssetSelection.assets("backfill_performance_scores") | DERIVED,
    partitions_def=players_partitions,
    executor_def=in_process_executor,
    description="Compute the performance scores still missing (SQL only, zero API calls).",
    tags={"levelup/mode": "backfill"},
)

rebuild_from_raw = define_asset_job(
    "rebuild_from_raw",
    selection=DERIVED,
    partitions_def=players_partitions,
    executor_def=in_process_executor,
    config={"ops": {"model_tables": {"config": {"rebuild": True}}}},
    description="Recompute every derived table from raw_match_json (zero API calls).",
    tags={"levelup/mode": "rebuild"},
)

refresh_aggregates = define_asset_job(
    "refresh_aggregates",
    selection=AssetSelection.groups("aggregates", "report"),
    partitions_def=players_partitions,
    executor_def=in_process_executor,
    description="Recompute the mv_* aggregate tables and the report (no API call).",
)

download_assets = define_asset_job(
    "download_assets",
    selection=AssetSelection.assets("game_assets"),
    partitions_def=players_partitions,
    executor_def=in_process_executor,
    description="Map, mode, playlist and medal metadata and images still missing (--with-assets).",
)

JOBS = [
    delta_sync,
    full_sync,
    backfill,
    backfill_performance_scores,
    rebuild_from_raw,
    refresh_aggregates,
    download_assets,
]
