"""`levelup sync`: the guide's `scripts/sync.py`, running the Dagster sync jobs."""

from __future__ import annotations

import os

import click

from levelup_pipeline.cli.backfill_steps import AfterSync
from levelup_pipeline.cli.errors import UserError, friendly
from levelup_pipeline.cli.instance import get_instance
from levelup_pipeline.cli.players_cmd import player_argument
from levelup_pipeline.cli.runner import RunOutcome, run_job
from levelup_pipeline.defs.partitions import registered_players
from levelup_pipeline.ingest.options import MATCH_TYPES, TAG_PREFIX, options_from


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
    default=True,
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
    default="matchmaking",
    show_default=True,
    help="Which matches of the history to sync.",
)
@click.option("--with-assets", is_flag=True, help="Also download medal metadata and images.")
@click.option(
    "--with-backfill", is_flag=True, help="Then fill what stored matches lack (backfill job)."
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
@friendly
def sync_command(
    players: tuple[str, ...],
    mode: str,
    max_matches: int | None,
    match_type: str,
    with_assets: bool,
    with_backfill: bool,
    backfill_performance_scores: bool,
    rebuild_cache: bool,
    rps: float | None,
    show_stats: bool,
    verbose: bool,
) -> None:
    """Sync one player (--player) or every registered player, delta or full."""
    options = options_from(
        mode,
        {
            "max_matches": max_matches,
            "match_type": match_type,
            "with_assets": with_assets,
            "verbose": verbose,
        },
    )
    if rps is not None:
        if rps <= 0:
            raise UserError(f"--rps must be a positive number of requests per second, got {rps}.")
        os.environ["LEVELUP_HALO_RPS"] = str(rps)
    instance = get_instance()
    targets = [player_argument(p) for p in players] or registered_players(instance)
    if not targets:
        raise UserError(
            "No player is registered: run 'levelup players add GAMERTAG' first, "
            "or pass --player GAMERTAG."
        )
    tags = {
        f"{TAG_PREFIX}max_matches": str(options.max_matches),
        f"{TAG_PREFIX}match_type": options.match_type,
        f"{TAG_PREFIX}with_assets": str(options.with_assets).lower(),
        f"{TAG_PREFIX}verbose": str(options.verbose).lower(),
    }
    job = "full_sync" if options.mode == "full" else "delta_sync"
    after = AfterSync(rebuild_cache, with_backfill, backfill_performance_scores, with_assets)
    failures = []
    for gamertag in targets:
        if after.skips_sync:
            outcome = after.run(instance, gamertag, tags)
        else:
            click.echo(
                f"{gamertag}: {job} (max {options.max_matches} matches, {options.match_type})..."
            )
            outcome = run_job(instance, job, gamertag, tags=tags)
            if outcome.success:
                click.echo(_summary(outcome))
                outcome = after.run(instance, gamertag, tags, outcome)
        if not outcome.success:
            failures.append(f"{gamertag}: {outcome.error}")
            if len(targets) > 1:  # a single failure is the final error line, said once
                click.echo(f"{gamertag}: FAILED - {outcome.error}", err=True)
        if show_stats and outcome.success:
            from levelup_pipeline.cli.stats_cmd import print_stats

            print_stats(gamertag)
    if failures:
        raise UserError(
            failures[0]
            if len(failures) == 1
            else f"{len(failures)} of {len(targets)} syncs failed (see above)."
        )
