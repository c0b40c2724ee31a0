"""`levelup stats` (the guide's `--stats`) and `levelup report`: a player's data, no API call."""

from __future__ import annotations

import click

from levelup_pipeline.cli.errors import NO_PLAYER, UserError, friendly
from levelup_pipeline.cli.sync_cmd import players_option
from levelup_pipeline.store.gamertag import find_gamertag
from levelup_pipeline.store.model_writes import AGGREGATE_TABLES
from levelup_pipeline.store.paths import validate_gamertag
from levelup_pipeline.store.player_store import PlayerStore
from levelup_pipeline.store.views import table_counts

TABLES = (
    "raw_match_json",
    "match_stats",
    "player_match_stats",
    "match_players",
    "medals",
    "personal_scores",
    "highlight_events",
    "xuid_aliases",
    "unavailable_matches",
    *AGGREGATE_TABLES,
)


def print_stats(gamertag: str) -> None:
    """Print the counts per table, the sync metadata and the date range of a database."""
    store = PlayerStore(validate_gamertag(gamertag))
    with store.reader() as conn:
        existing = {r[0] for r in conn.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        counts = table_counts(conn, [t for t in TABLES if t in existing])
        meta = dict(conn.execute("SELECT key, value FROM sync_meta").fetchall())
        first, last = conn.execute(
            "SELECT min(start_time), max(start_time) FROM match_stats"
        ).fetchone()
    click.echo(f"Player {gamertag}: {store.path} ({store.path.stat().st_size / 1e6:.1f} MB)")
    click.echo(f"  matches from {first} to {last}")
    click.echo(
        f"  last sync: {meta.get('last_sync_time', 'never')} "
        f"({meta.get('last_sync_mode', '-')}, {meta.get('last_sync_new_matches', 0)} new)"
    )
    click.echo(
        f"  xuid: {meta.get('player_xuid', '?')}, schema version {meta.get('schema_version', '?')}"
    )
    width = max((len(t) for t in counts), default=10)
    for table, count in counts.items():
        click.echo(f"  {table:<{width}}  {count:>8}")


@click.command("stats")
@click.option("--player", required=True, help="Gamertag whose database to describe.")
@friendly
def stats_command(player: str) -> None:
    """Print counts per table, last sync and date range of a player's database."""
    from levelup_pipeline.cli.players_cmd import player_argument

    print_stats(player_argument(player))


def _registered_spelling(value: str, registered: list[str]) -> str:
    found = find_gamertag(validate_gamertag(value), registered)
    if not found:
        raise UserError(
            f"{value} is not a registered player: run 'levelup players add {value}' and "
            "'levelup sync' first."
        )
    return found


@click.command("report")
@players_option("Gamertag to report on")
@friendly
def report_command(players: tuple[str, ...]) -> None:
    """Redraw the report of one player (--player) or of every registered player."""
    from levelup_pipeline.cli.instance import get_instance
    from levelup_pipeline.cli.runner import run_job
    from levelup_pipeline.defs.partitions import registered_players

    instance = get_instance()
    registered = registered_players(instance)
    targets = [_registered_spelling(p, registered) for p in players] or registered
    if not targets:
        raise UserError(NO_PLAYER)
    for gamertag in targets:
        outcome = run_job(instance, "refresh_report", gamertag, tags={"levelup/trigger": "cli"})
        if not outcome.success:
            raise UserError(f"{gamertag}: {outcome.error}")
        meta = outcome.metadata.get("player_report", {})
        click.echo(
            f"{gamertag}: {meta.get('status', 'report written')} -> {meta.get('report_file')}"
        )
