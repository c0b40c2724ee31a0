"""The guide's maintenance options of `levelup sync`, one Dagster run each after the sync."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from dagster import DagsterInstance

    from levelup_pipeline.cli.runner import RunOutcome

#: gap part -> words of the summary line
FILLED_LABELS = {
    "matches": "imported matches refetched",
    "skill": "skill rows",
    "highlights": "highlight events",
    "aliases": "aliases",
    "names": "names",
    "medals": "medal names",
    "performance_scores": "performance scores",
}


def maintenance_jobs(
    rebuild_cache: bool = False,
    with_backfill: bool = False,
    performance_scores: bool = False,
    with_assets: bool = False,
) -> list[str]:
    """Jobs to run after the sync, in order (a rebuild replaces the sync)."""
    jobs = ["rebuild_from_raw"] if rebuild_cache else []
    if with_backfill or performance_scores:
        jobs.append("fill_gaps" if with_backfill else "fill_performance_scores")
    return jobs + (["download_assets"] if with_assets else [])


def run_after(
    instance: DagsterInstance,
    jobs: list[str],
    gamertag: str,
    tags: Mapping[str, str],
    options: Mapping[str, Any],
) -> str | None:
    """Run the jobs in turn, a line each, until an error; `options` configure the gap fill."""
    from levelup_pipeline.cli.runner import run_job
    from levelup_pipeline.defs.config import merged, sync_run_config
    from levelup_pipeline.defs.jobs import FILL_GAPS_CONFIG

    for job in jobs:
        config = None
        if job == "fill_gaps" and options:
            config = merged(FILL_GAPS_CONFIG, sync_run_config("fill_gaps", **options))
        outcome = run_job(instance, job, gamertag, tags=tags, run_config=config)
        if not outcome.success:
            return outcome.error
        click.echo(summary(outcome))
    return None


def gaps_filled(metadata: Mapping[str, dict]) -> dict[str, int]:
    """What a gap-filling run filled, per part: closed by the model step or by the raw one."""
    from levelup_pipeline.ingest.backfill import CLOSED_IN_RAW_STEP

    closed = dict(metadata.get("match_stats", {}).get("gaps_closed") or {})
    fill = metadata.get("raw_match_json", {}).get("gap_fill") or {}
    for part in CLOSED_IN_RAW_STEP:
        closed[part] = int(fill[part].get("filled", 0)) if part in fill else 0
    return closed


def summary(outcome: RunOutcome) -> str:
    """One line per maintenance run, from its materialization metadata."""
    meta = outcome.metadata
    requests = max((int(m.get("api_requests") or 0) for m in meta.values()), default=0)
    tail = f"({requests} API requests)  [run {outcome.run_id[:8]}]"
    if outcome.job == "rebuild_from_raw":
        rows = meta.get("match_stats", {}).get("dagster/row_count", 0)
        return f"{outcome.gamertag}: rebuilt from raw_match_json, {rows} matches {tail}"
    if outcome.job == "download_assets":
        ref = meta.get("game_assets", {})
        return (
            f"{outcome.gamertag}: {ref.get('images_downloaded', 0)} image(s) downloaded, "
            f"{ref.get('images_cached', 0)} cached in {ref.get('path', '?')} {tail}"
        )
    filled = gaps_filled(meta)
    if outcome.job == "fill_performance_scores":
        filled = {"performance_scores": filled.get("performance_scores", 0)}
    missing = meta.get("raw_match_json", {}).get("gap_fill") or {}
    words = [
        f"{filled[part]} {label}"
        for part, label in FILLED_LABELS.items()
        # imported matches are named only when some were missing (imports are rare)
        if part in filled and (part != "matches" or (missing.get(part) or {}).get("missing"))
    ]
    return f"{outcome.gamertag}: backfill filled " + ", ".join(words) + f" {tail}"
