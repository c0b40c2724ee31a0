"""The two sync jobs of the guide: `delta_sync` (daily) and `full_sync` (first import).

Both materialize the whole graph for one player partition with the in-process executor (the
multiprocess one triples start-up time). The mode comes from the job name; other options come
from run config or `levelup/<option>` run tags.
"""

from __future__ import annotations

from dagster import AssetSelection, define_asset_job, in_process_executor

from levelup_pipeline.defs.partitions import players_partitions

SYNC_SELECTION = AssetSelection.groups("ingest", "model", "aggregates")

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

JOBS = [delta_sync, full_sync]
