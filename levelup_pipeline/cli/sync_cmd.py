"""`levelup sync`: the guide's `scripts/sync.py`; Dagster is imported only when a job must run."""

from __future__ import annotations

import gc
import os
from contextlib import suppress
from dataclasses import asdict, dataclass, replace
from functools import cached_property
from typing import TYPE_CHECKING

import click

from levelup_pipeline.cli.backfill_steps import maintenance_jobs
from levelup_pipeline.cli.errors import NO_PLAYER, UserError, friendly
from levelup_pipeline.defs import run_lock
from levelup_pipeline.ingest.options import MATCH_TYPES, SyncOptions, options_from
from levelup_pipeline.store.errors import InvalidGamertag
from levelup_pipeline.store.gamertag import find_gamertag, gamertag_key
from levelup_pipeline.store.paths import validate_gamertag
from levelup_pipeline.store.settings import load_settings, save_settings

if TYPE_CHECKING:
    from dagster import DagsterInstance

    from levelup_pipeline.cli.delta_check import StoredState
    from levelup_pipeline.cli.runner import RunOutcome


#: Set to 0 to turn the prefetch off (for A/B measurements).
PREFETCH_ENV = "LEVELUP_PREFETCH"


def sync_summary(outcome: RunOutcome) -> str:
    """The one line a sync run ends with (the demo prints it too)."""
    raw = outcome.metadata.get("raw_match_json", {})
    glob = outcome.metadata.get("mv_global_stats", {})
    parts = [
        f"{raw.get('new_matches', 0)} new match(es)",
        f"{raw.get('dagster/row_count', '?')} stored",
        f"{raw.get('api_requests', 0)} API requests in {raw.get('seconds', 0)}s",
    ]
    if raw.get("unavailable_matches"):
        parts.append(f"{len(raw['unavailable_matches'])} unavailable (recorded)")
    if raw.get("capped_by_max_matches") and raw.get("mode") == "delta":
        parts.append("capped by --max-matches: the next delta continues where this one stopped")
    if glob:
        parts.append(f"aggregates refreshed ({glob.get('dagster/row_count', 0)} global row)")
    return f"{outcome.gamertag}: " + ", ".join(parts) + f"  [run {outcome.run_id[:8]}]"


def players_option(what: str):
    """`--player`, repeatable, for commands that otherwise act on every registered player."""
    return click.option(
        "--player",
        "players",
        multiple=True,
        help=f"{what} (repeatable). Default: every registered player.",
    )


@click.command("sync")
@players_option("Gamertag or XUID to sync")
@click.option(
    "--delta",
    "mode",
    flag_value="delta",
    help="Only the matches played since the last sync (default).",
)
@click.option("--full", "mode", flag_value="full", help="Walk the history back to --max-matches.")
@click.option(
    "--max-matches",
    type=int,
    help="Most matches to fetch (delta, default 200) or walk (full, default 1000).",
)
@click.option(
    "--match-type",
    type=click.Choice(MATCH_TYPES),
    help="Which matches of the history to sync (remembered for the player; default: the "
    "player's setting, else matchmaking).",
)
@click.option("--with-assets", is_flag=True, help="Also download medal metadata and images.")
@click.option(
    "--with-backfill", is_flag=True, help="Then fill what stored matches lack (fill_gaps job)."
)
@click.option(
    "--backfill-performance-scores",
    is_flag=True,
    help="Then compute missing performance scores only (no API call).",
)
@click.option(
    "--rebuild-cache",
    is_flag=True,
    help="Do not sync: recompute every derived table from the stored raw JSON (no API call).",
)
@click.option(
    "--rps",
    type=float,
    help="Requests per second allowed to the Halo API (default: LEVELUP_HALO_RPS).",
)
@click.option("--stats", "show_stats", is_flag=True, help="Print the database statistics after.")
@click.option("--verbose", is_flag=True, help="Log every API request (never tokens).")
@click.option(
    "--force-run",
    is_flag=True,
    help="Start the sync job even when a delta's pre-check finds nothing new.",
)
@friendly
def sync_command(
    players: tuple[str, ...],
    mode: str | None,
    max_matches: int | None,
    match_type: str | None,
    with_assets: bool,
    with_backfill: bool,
    backfill_performance_scores: bool,
    rebuild_cache: bool,
    rps: float | None,
    show_stats: bool,
    verbose: bool,
    force_run: bool,
) -> None:
    """Sync one player (--player) or every registered player, delta or full.

    `--player X --stats` alone (no --delta/--full, no other option) only prints the player's
    statistics, as the guide's `sync.py --player X --stats` does: no sync, no API call."""
    maintenance = with_backfill or backfill_performance_scores or rebuild_cache or with_assets
    if show_stats and players and mode is None and not (maintenance or max_matches):
        from levelup_pipeline.cli.stats_cmd import print_stats

        for player in players:
            print_stats(_target(player))
        return
    config = {"max_matches": max_matches, "match_type": match_type, "verbose": verbose}
    options = options_from(mode or "delta", {**config, "with_assets": with_assets})
    if rps is not None:
        if rps <= 0:
            raise UserError(f"--rps must be a positive number of requests per second, got {rps}.")
        os.environ["LEVELUP_HALO_RPS"] = str(rps)
    # Only a plain delta can end with "nothing new"; every other option needs its job.
    precheck = options.mode == "delta" and not (force_run or maintenance)
    jobs = _JobRunner(
        maintenance_jobs(rebuild_cache, with_backfill, backfill_performance_scores, with_assets)
    )
    unique: dict[str, str] = {}
    for target in [_target(p) for p in players] or _registered(jobs, precheck):
        unique.setdefault(gamertag_key(target), target)  # older versions' case variants: once
    targets = list(unique.values())
    if not targets:
        raise UserError(NO_PLAYER)
    from levelup_pipeline.cli.delta_check import skip_unknown

    failures = []
    for gamertag in targets:
        if not players and skip_unknown(gamertag):
            continue
        if match_type is not None:  # remembered: later deltas (UI, schedules too) keep it
            save_settings(gamertag, match_type=match_type)
            player_options = options
        else:
            player_options = replace(options, match_type=load_settings(gamertag).match_type)
        error = (
            _precheck_or_run(jobs, gamertag, player_options)
            if precheck
            else jobs.run(gamertag, player_options)
        )
        if error is not None:
            failures.append(f"{gamertag}: {error}")
            if len(targets) > 1:  # a single failure is the final error line, said once
                click.echo(f"{gamertag}: FAILED - {error}", err=True)
        elif show_stats:
            from levelup_pipeline.cli.stats_cmd import print_stats

            print_stats(gamertag)
    if failures:
        raise UserError(
            failures[0]
            if len(failures) == 1
            else f"{len(failures)} of {len(targets)} syncs failed (see above)."
        )


def _target(value: str) -> str:
    """The partition key of a --player value: a registered gamertag is found without Dagster."""
    with suppress(InvalidGamertag):
        if found := find_gamertag(validate_gamertag(value), run_lock.registered_players() or []):
            return found
    from levelup_pipeline.cli.players_cmd import player_argument

    return player_argument(value, add=True)


def _registered(jobs: _JobRunner, precheck: bool) -> list[str]:
    """Registered players: the mirror when the pre-check may spare the run, else Dagster's."""
    players = run_lock.registered_players() if precheck else None
    if players is None:
        from levelup_pipeline.cli.instance import mirror_registered

        players = mirror_registered(jobs.instance)
    return players


def _precheck_or_run(jobs: _JobRunner, gamertag: str, options: SyncOptions) -> str | None:
    """A delta: one history request first; the job runs only if something may be new."""
    from levelup_pipeline.cli.delta_check import check_player
    from levelup_pipeline.halo import history_handoff

    try:
        verdict = check_player(gamertag, options)
        if verdict.up_to_date:
            click.echo(verdict.up_to_date)
            return None
        if verdict.error:
            return verdict.error
        if options.verbose:
            click.echo(f"{gamertag}: running the job: {verdict.run_reason}.", err=True)
        return jobs.run(gamertag, options, verdict.state)
    finally:
        history_handoff.drop()  # the page serves this player's run only


@dataclass
class _JobRunner:
    """Runs the sync job then the maintenance jobs; opens the Dagster instance on first use."""

    after: list[str]

    @cached_property
    def instance(self) -> DagsterInstance:
        from levelup_pipeline.cli.instance import get_instance

        return get_instance()

    def run(
        self, gamertag: str, options: SyncOptions, state: StoredState | None = None
    ) -> str | None:
        """Run the sync then the maintenance jobs for one player; the error, if any."""
        try:
            return self._run(gamertag, options, state)
        finally:
            from levelup_pipeline.ingest import prefetch

            prefetch.drop()
            gc.enable()  # also when the run never started

    def _run(self, gamertag: str, options: SyncOptions, state: StoredState | None) -> str | None:
        rebuild = "rebuild_from_raw" in self.after  # recomputes from what is stored: no sync
        if not rebuild:
            # No cyclic GC until the run starts (defs/executor.py freezes what start-up
            # loaded): each full pass held the GIL 50-200 ms, stalling the prefetch.
            # The prefetch comes before any heavy import, the damaged-file check's included:
            # it does not start from a damaged file, and a file set aside after it only
            # leaves its plan stale (the run asks for what it lacks).
            gc.disable()
            _start_prefetch(gamertag, options, state)
            if options.mode == "full":
                _set_aside_if_damaged(gamertag)
        from levelup_pipeline.cli.backfill_steps import run_after
        from levelup_pipeline.cli.runner import run_job
        from levelup_pipeline.defs.config import sync_run_config

        tags = {"levelup/trigger": "cli"}
        verbose = {"verbose": True} if options.verbose else {}
        if rebuild:
            return run_after(self.instance, self.after, gamertag, tags, verbose)
        job = "full_sync" if options.mode == "full" else "delta_sync"
        click.echo(
            f"{gamertag}: {job} (max {options.max_matches} matches, {options.match_type})..."
        )
        config = sync_run_config(**asdict(options))
        outcome = run_job(self.instance, job, gamertag, tags=tags, run_config=config)
        if outcome.success or outcome.check_failures:  # the data is stored either way
            click.echo(sync_summary(outcome))
        for warning in outcome.check_warnings:
            click.echo(warning, err=True)
        if not outcome.success:
            return outcome.error
        return run_after(self.instance, self.after, gamertag, tags, verbose)


def _start_prefetch(gamertag: str, options: SyncOptions, state: StoredState | None = None) -> None:
    """Start the sync's requests while Dagster loads (`ingest/prefetch.py`), if the state reads."""
    if os.environ.get(PREFETCH_ENV, "1") == "0":
        return
    from levelup_pipeline.cli.delta_check import NO_DATABASE, EchoLogger, api_settings, read_state
    from levelup_pipeline.ingest import prefetch
    from levelup_pipeline.store.paths import player_db_path

    if state is None:
        db_path = player_db_path(gamertag)
        try:
            state = read_state(db_path, options.match_type) if db_path.is_file() else NO_DATABASE
        except Exception:  # noqa: BLE001 - busy or damaged: the run waits or reports it
            return
    if not state.migrated:
        return
    plan = prefetch.PrefetchPlan(
        gamertag,
        options,
        state.xuid,
        state.known_ids,
        state.cursor,
        known_ugc=state.known_ugc,
        pending=state.untransformed,
    )
    logger = EchoLogger() if options.verbose else None  # --verbose: every request, on stderr
    prefetch.start(plan, api_settings(options.verbose), logger)


def _set_aside_if_damaged(gamertag: str) -> None:
    """A full sync rebuilds a damaged database (as its error advises): the file is moved aside."""
    from levelup_pipeline.store.maintenance import set_aside_if_damaged
    from levelup_pipeline.store.player_store import PlayerStore

    aside = set_aside_if_damaged(PlayerStore(gamertag))
    if aside is not None:
        click.echo(
            f"{gamertag}: the database was damaged; it was moved to {aside} (kept) and is "
            "rebuilt from the API now.",
            err=True,
        )
