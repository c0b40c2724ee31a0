"""`levelup sync`: the guide's `scripts/sync.py`, running the Dagster sync jobs.

A plain delta first asks the API whether anything is new (`delta_check`, one history request)
and starts no run when nothing is: Dagster is only imported when a job runs, so that check
costs a fraction of a run's start-up.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import click

from levelup_pipeline.cli.errors import UserError, friendly
from levelup_pipeline.ingest.options import MATCH_TYPES, SyncOptions, options_from
from levelup_pipeline.store.errors import InvalidGamertag
from levelup_pipeline.store.gamertag import find_gamertag, gamertag_key
from levelup_pipeline.store.paths import validate_gamertag
from levelup_pipeline.store.settings import load_settings, save_settings

if TYPE_CHECKING:
    from dagster import DagsterInstance

    from levelup_pipeline.cli.runner import RunOutcome


def _summary(outcome: RunOutcome) -> str:
    raw = outcome.metadata.get("raw_match_json", {})
    glob = outcome.metadata.get("mv_global_stats", {})
    parts = [
        f"{raw.get('new_matches', 0)} new match(es)",
        f"{raw.get('dagster/row_count', '?')} stored",
        f"{raw.get('api_requests', 0)} API requests in {raw.get('seconds', 0)}s",
    ]
    unavailable = raw.get("unavailable_matches") or []
    if unavailable:
        parts.append(f"{len(unavailable)} unavailable (recorded)")
    if raw.get("capped_by_max_matches") and raw.get("mode") == "delta":
        parts.append("capped by --max-matches: the next delta continues where this one stopped")
    if glob:
        parts.append(f"aggregates refreshed ({glob.get('dagster/row_count', 0)} global row)")
    return f"{outcome.gamertag}: " + ", ".join(parts) + f"  [run {outcome.run_id[:8]}]"


@click.command("sync")
@click.option(
    "--player",
    "players",
    multiple=True,
    help="Gamertag or XUID to sync (repeatable). Default: every registered player.",
)
@click.option(
    "--delta",
    "mode",
    flag_value="delta",
    default=None,
    help="Only the matches played since the last sync (default).",
)
@click.option("--full", "mode", flag_value="full", help="Walk the history back to --max-matches.")
@click.option(
    "--max-matches",
    type=int,
    default=None,
    help="Most matches to fetch (delta, default 200) or walk (full, default 1000).",
)
@click.option(
    "--match-type",
    type=click.Choice(MATCH_TYPES),
    default=None,
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
    default=None,
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
    mode = mode or "delta"
    options = options_from(
        mode,
        {
            "max_matches": max_matches,
            "match_type": match_type or "matchmaking",
            "with_assets": with_assets,
            "verbose": verbose,
        },
    )
    if rps is not None:
        if rps <= 0:
            raise UserError(f"--rps must be a positive number of requests per second, got {rps}.")
        os.environ["LEVELUP_HALO_RPS"] = str(rps)
    # Only a plain delta can end with "nothing new"; every other option needs its job.
    precheck = options.mode == "delta" and not (force_run or maintenance)
    jobs = _JobRunner(options, rebuild_cache, with_backfill, backfill_performance_scores)
    targets = _unique([_target(p) for p in players] or _registered(jobs, precheck))
    if not targets:
        raise UserError(
            "No player is registered: run 'levelup players add GAMERTAG' first, "
            "or pass --player GAMERTAG."
        )
    failures = []
    for gamertag in targets:
        if not players and _skip_unknown(gamertag):
            continue
        player_options = _player_options(gamertag, options, match_type)
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


def _player_options(gamertag: str, options: SyncOptions, match_type: str | None) -> SyncOptions:
    """The options for one player: an explicit --match-type is remembered as the player's
    setting (a history imported with `all` keeps `all` on later deltas, from the UI and the
    schedules too); without it, the player's setting applies."""
    from dataclasses import replace

    if match_type is not None:
        save_settings(gamertag, match_type=match_type)
        return options
    return replace(options, match_type=load_settings(gamertag).match_type)


def _target(value: str) -> str:
    """The partition key of a --player value: the registered spelling (any case) of a
    gamertag, read without Dagster when the instance allows. A valid gamertag can never be
    an XUID (16 digits, or xuid(...)), so only XUIDs, bad values and players not registered
    yet need `players_cmd` and its Dagster imports (an unregistered player is resolved
    through the profile API before anything is registered or created)."""
    try:
        gamertag = validate_gamertag(value)
    except InvalidGamertag:
        from levelup_pipeline.cli.players_cmd import player_argument

        return player_argument(value)
    from levelup_pipeline.cli.instance_peek import registered_players as peek

    found = find_gamertag(gamertag, peek() or [])
    if found:
        return found
    from levelup_pipeline.cli.players_cmd import sync_target

    return sync_target(gamertag)


def _unique(targets: list[str]) -> list[str]:
    """One target per player: case variants registered by older versions run once."""
    seen: dict[str, str] = {}
    for gamertag in targets:
        seen.setdefault(gamertag_key(gamertag), gamertag)
    return list(seen.values())


def _skip_unknown(gamertag: str) -> bool:
    """A registered player that was never resolved and that the profile service does not
    know (a typo registered by an older version) is skipped with one line, so it does not
    fail the sync of every other player."""
    from levelup_pipeline.cli.delta_check import unknown_player

    reason = unknown_player(gamertag)
    if reason:
        click.echo(f"{gamertag}: skipped - {reason}", err=True)
    return reason is not None


def _registered(jobs: _JobRunner, precheck: bool) -> list[str]:
    """Registered players: read without Dagster when the pre-check may spare the run."""
    if precheck:
        from levelup_pipeline.cli.instance_peek import registered_players as peek

        players = peek()
        if players:
            return players
    from levelup_pipeline.defs.partitions import registered_players

    return registered_players(jobs.instance)


def _precheck_or_run(jobs: _JobRunner, gamertag: str, options: SyncOptions) -> str | None:
    """A delta: one history request first; the job runs only if something may be new, and
    starts from the page the check read (`halo/history_handoff.py`)."""
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
        return jobs.run(gamertag, options)
    finally:
        history_handoff.drop()  # the page serves this player's run only


class _JobRunner:
    """Runs the sync (and maintenance) jobs of `levelup sync`; imports Dagster on first use."""

    def __init__(
        self,
        options: SyncOptions,
        rebuild_cache: bool,
        with_backfill: bool,
        backfill_performance_scores: bool,
    ) -> None:
        self.options = options
        self.flags = (rebuild_cache, with_backfill, backfill_performance_scores)
        self._instance: DagsterInstance | None = None

    @property
    def instance(self) -> DagsterInstance:
        """The shared Dagster instance, opened once."""
        if self._instance is None:
            from levelup_pipeline.cli.instance import get_instance

            self._instance = get_instance()
        return self._instance

    def run(self, gamertag: str, options: SyncOptions) -> str | None:
        """Run the sync job then the maintenance jobs for one player; the error, if any."""
        from levelup_pipeline.cli.backfill_steps import AfterSync
        from levelup_pipeline.cli.runner import run_job
        from levelup_pipeline.defs.config import sync_run_config

        tags = {"levelup/trigger": "cli"}
        verbose = {"verbose": True} if options.verbose else {}
        after = AfterSync(*self.flags, options.with_assets)
        if after.skips_sync:
            outcome: RunOutcome = after.run(self.instance, gamertag, tags, options=verbose)
        else:
            job = "full_sync" if options.mode == "full" else "delta_sync"
            if options.mode == "full":
                _set_aside_if_damaged(gamertag)
            click.echo(
                f"{gamertag}: {job} (max {options.max_matches} matches, {options.match_type})..."
            )
            config = sync_run_config(
                options.mode,
                max_matches=options.max_matches,
                match_type=options.match_type,
                with_assets=options.with_assets,
                verbose=options.verbose,
            )
            outcome = run_job(self.instance, job, gamertag, tags=tags, run_config=config)
            if outcome.success or outcome.check_failures:  # the data is stored either way
                click.echo(_summary(outcome))
            for warning in outcome.check_warnings:
                click.echo(warning, err=True)
            if outcome.success:
                outcome = after.run(self.instance, gamertag, tags, outcome, options=verbose)
        return None if outcome.success else outcome.error


def _set_aside_if_damaged(gamertag: str) -> None:
    """A full sync rebuilds a damaged database (what its error message recommends): the
    damaged file is moved aside first, kept (store/maintenance.py)."""
    from levelup_pipeline.store.maintenance import set_aside_if_damaged
    from levelup_pipeline.store.player_store import PlayerStore

    aside = set_aside_if_damaged(PlayerStore(gamertag))
    if aside is not None:
        click.echo(
            f"{gamertag}: the database was damaged; it was moved to {aside} (kept) and is "
            "rebuilt from the API now.",
            err=True,
        )
