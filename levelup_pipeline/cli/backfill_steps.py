"""The maintenance steps `levelup sync` runs after a sync: the guide's --with-backfill,
--backfill-performance-scores, --with-assets and --rebuild-cache, each one Dagster job run
(`fill_gaps`, `fill_performance_scores`, `download_assets`, `rebuild_from_raw`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import click
from dagster import DagsterInstance

from levelup_pipeline.cli.runner import RunOutcome, run_job
from levelup_pipeline.defs.config import merged, sync_run_config
from levelup_pipeline.defs.jobs import FILL_GAPS_CONFIG
from levelup_pipeline.ingest.backfill import CLOSED_IN_RAW_STEP

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

#: parts named in the summary only when they had something to do (imports are rare)
SHOWN_WHEN_MISSING = ("matches",)


@dataclass(frozen=True)
class AfterSync:
    """Which maintenance jobs to run for each player, in order."""

    rebuild_cache: bool = False
    with_backfill: bool = False
    performance_scores: bool = False
    with_assets: bool = False

    @property
    def skips_sync(self) -> bool:
        """--rebuild-cache recomputes from what is stored: no sync, no API call."""
        return self.rebuild_cache

    def jobs(self) -> list[str]:
        """Job names to run after the sync (or instead of it, for a rebuild)."""
        jobs = ["rebuild_from_raw"] if self.rebuild_cache else []
        if self.with_backfill:
            jobs.append("fill_gaps")
        elif self.performance_scores:
            jobs.append("fill_performance_scores")
        if self.with_assets:
            jobs.append("download_assets")
        return jobs

    def run(
        self,
        instance: DagsterInstance,
        gamertag: str,
        tags: Mapping[str, str] | None = None,
        previous: RunOutcome | None = None,
        options: Mapping[str, Any] | None = None,
    ) -> RunOutcome:
        """Run the jobs one after the other; stop at the first failure and return it, else
        return the last outcome (`previous` when there is nothing to run). `options` go to
        raw_match_json's config of the gap fill (e.g. verbose)."""
        outcome = previous
        for job in self.jobs():
            config = None
            if job == "fill_gaps" and options:
                config = merged(FILL_GAPS_CONFIG, sync_run_config("fill_gaps", **options))
            outcome = run_job(instance, job, gamertag, tags=tags, run_config=config)
            if not outcome.success:
                return outcome
            click.echo(summary(outcome))
        if outcome is None:
            raise ValueError("No sync and no maintenance job to run.")
        return outcome


def _requests(metadata: dict) -> int:
    return max((int(m.get("api_requests") or 0) for m in metadata.values()), default=0)


def gaps_filled(metadata: Mapping[str, dict]) -> dict[str, int]:
    """What a gap-filling run filled, per part: what the model step's transform filled
    (match_stats' gaps_closed: skill rows, film events, aliases, names, medal names,
    performance scores) and the imported matches raw_match_json's step fetched (gap_fill)."""
    closed = dict(metadata.get("match_stats", {}).get("gaps_closed") or {})
    fill = metadata.get("raw_match_json", {}).get("gap_fill") or {}
    for part in CLOSED_IN_RAW_STEP:
        closed[part] = int(fill[part].get("filled", 0)) if part in fill else 0
    return closed


def summary(outcome: RunOutcome) -> str:
    """One line per maintenance run, from its materialization metadata."""
    meta = outcome.metadata
    tail = f"({_requests(meta)} API requests)  [run {outcome.run_id[:8]}]"
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
        if part in filled
        and (part not in SHOWN_WHEN_MISSING or (missing.get(part) or {}).get("missing"))
    ]
    return f"{outcome.gamertag}: backfill filled " + ", ".join(words) + f" {tail}"
