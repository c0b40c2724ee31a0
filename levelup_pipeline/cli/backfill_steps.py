"""The maintenance steps `levelup sync` runs after a sync: the guide's --with-backfill,
--backfill-performance-scores, --with-assets and --rebuild-cache, each one Dagster job run."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import click
from dagster import DagsterInstance

from levelup_pipeline.cli.runner import RunOutcome, run_job

REBUILD_CONFIG = {"ops": {"model_tables": {"config": {"rebuild": True}}}}
#: backfill asset -> words of the summary line
FILLED_LABELS = {
    "backfill_imported_matches": "imported matches refetched",
    "backfill_skill": "skill rows",
    "backfill_highlight_events": "highlight events",
    "backfill_aliases": "aliases",
    "backfill_names": "names",
    "backfill_medal_names": "medal names",
    "backfill_performance_scores": "performance scores",
}

#: parts named in the summary only when they had something to do (imports are rare)
SHOWN_WHEN_MISSING = ("backfill_imported_matches",)


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
            jobs.append("backfill")
        elif self.performance_scores:
            jobs.append("backfill_performance_scores")
        if self.with_assets:
            jobs.append("download_assets")
        return jobs

    def run(
        self,
        instance: DagsterInstance,
        gamertag: str,
        tags: Mapping[str, str] | None = None,
        previous: RunOutcome | None = None,
    ) -> RunOutcome:
        """Run the jobs one after the other; stop at the first failure and return it, else
        return the last outcome (`previous` when there is nothing to run)."""
        outcome = previous
        for job in self.jobs():
            config = REBUILD_CONFIG if job == "rebuild_from_raw" else None
            outcome = run_job(instance, job, gamertag, tags=tags, run_config=config)
            if not outcome.success:
                return outcome
            click.echo(summary(outcome))
        if outcome is None:
            raise ValueError("No sync and no maintenance job to run.")
        return outcome


def _requests(metadata: dict) -> int:
    return max((int(m.get("api_requests") or 0) for m in metadata.values()), default=0)


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
    filled = [
        f"{meta[key].get('filled', 0)} {label}"
        for key, label in FILLED_LABELS.items()
        if key in meta and (key not in SHOWN_WHEN_MISSING or meta[key].get("missing"))
    ]
    return f"{outcome.gamertag}: backfill filled " + ", ".join(filled) + f" {tail}"
