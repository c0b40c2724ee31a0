"""The jobs: the guide's syncs and maintenance commands, each a selection plus its run config.

Every job runs one player partition with the in-process executor (the multiprocess one triples
start-up time). What a run does comes from its run config, never from the job's name: the sync
jobs give each player partition its default config (mode, the player's match type; see
`defs/config.py`), the launchpad shows it as a form and can override any field.
"""

from __future__ import annotations

from dagster import AssetKey, AssetSelection, define_asset_job

from levelup_pipeline.defs.config import (
    RAW_OP,
    merged,
    model_run_config,
    sync_partitioned_config,
    sync_run_config,
)
from levelup_pipeline.defs.executor import player_run_executor

RAW = AssetSelection.assets("raw_match_json")
DATA = AssetSelection.groups("model", "aggregates")
REPORT = AssetSelection.groups("report")
DERIVED = DATA | REPORT
#: A sync stores data: the fetch, the model, its checks and the aggregates. The report (plots)
#: is a view of the aggregates, not part of a sync's cost: it follows by automation
#: (`AutomationCondition.eager`) when the daemon runs (`make dev`), or `levelup report`.
SYNC_SELECTION = RAW | DATA

#: What a run launched by the daemon (schedules, sensors) selects of a sync job: the fetch
#: alone. The model, aggregates and report follow by automation (`AutomationCondition.eager`,
#: sensor `levelup_automation`), so a failed fetch marks nothing else failed (a run marks every
#: step it planned and did not execute). The CLI and `dagster job execute` run the whole job:
#: no daemon may be running to do the rest.
FETCH_ONLY = [AssetKey(RAW_OP)]


def _job(name: str, selection: AssetSelection, description: str, config=None):
    return define_asset_job(
        name,
        selection=selection,  # partitioned by player: inferred from the assets (1.13)
        executor_def=player_run_executor,
        config=config,
        description=description,
    )


delta_sync = _job(
    "delta_sync",
    SYNC_SELECTION,
    "Fetch the matches played since the last sync (stops at the first stored one), then the "
    "model and aggregates (the report follows by automation). Default config: mode delta, the "
    "player's match type.",
    sync_partitioned_config("delta"),
)

full_sync = _job(
    "full_sync",
    SYNC_SELECTION,
    "Walk the history back to max_matches (default 1000), skipping stored matches. Default "
    "config: mode full, the player's match type.",
    sync_partitioned_config("full"),
)

FILL_GAPS_CONFIG = merged(sync_run_config("fill_gaps"), model_run_config(measure_gaps=True))

# The guide's --with-backfill. Named fill_gaps: a Dagster "backfill" is a partition backfill
# (`dagster job backfill -j delta_sync --partitions ...`, or the UI's partition picker).
fill_gaps = _job(
    "fill_gaps",
    SYNC_SELECTION,
    "Fill what stored matches lack (skill, film highlights, aliases, names, medal names), "
    "fetching only what is missing, then re-model them (performance scores included).",
    FILL_GAPS_CONFIG,
)

fill_performance_scores = _job(
    "fill_performance_scores",
    DERIVED,
    "Compute the performance scores still missing (SQL only, zero API calls): the guide's "
    "--backfill-performance-scores.",
    model_run_config(measure_gaps=True),
)

rebuild_from_raw = _job(
    "rebuild_from_raw",
    DERIVED,
    "Recompute every derived table from raw_match_json (zero API calls).",
    model_run_config(rebuild=True),
)

refresh_aggregates = _job(
    "refresh_aggregates",
    AssetSelection.groups("aggregates", "report"),
    "Recompute the mv_* aggregate tables and the report (no API call).",
)

refresh_report = _job(
    "refresh_report",
    REPORT,
    "Redraw the player's report from the aggregates (no API call): `levelup report`. Under "
    "the daemon the report follows every sync by automation.",
)

download_assets = _job(
    "download_assets",
    AssetSelection.assets("game_assets"),
    "Map, mode, playlist and medal metadata and images still missing (--with-assets).",
)

JOBS = [
    delta_sync,
    full_sync,
    fill_gaps,
    fill_performance_scores,
    rebuild_from_raw,
    refresh_aggregates,
    refresh_report,
    download_assets,
]
