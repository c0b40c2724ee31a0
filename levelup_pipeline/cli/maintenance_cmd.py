"""The guide's maintenance scripts as `levelup` commands: db, archive, backup and restore."""

from __future__ import annotations

from pathlib import Path

import click

from levelup_pipeline.cli.errors import UserError, friendly
from levelup_pipeline.cli.instance import get_instance, mirror_registered
from levelup_pipeline.defs.partitions import register_player
from levelup_pipeline.defs.table_schemas import record_table_changes
from levelup_pipeline.store.archive import archive_older_than, archive_root
from levelup_pipeline.store.maintenance import backup, optimize
from levelup_pipeline.store.paths import validate_gamertag
from levelup_pipeline.store.player_store import PlayerStore
from levelup_pipeline.store.restore import restore


def human_size(n: int) -> str:
    """Bytes as a short human-readable size."""
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


def _player_option(help_text: str):
    # --gamertag: the guide's spelling (archive_season.py, backup_player.py --gamertag X)
    return click.option("--player", "--gamertag", "player", required=True, help=help_text)


@click.group("db")
def db_group() -> None:
    """Database upkeep (the guide's --apply-indexes; indexes come with the schema)."""


@db_group.command("optimize")
@_player_option("Gamertag whose database to optimize.")
@click.option(
    "--no-compact",
    is_flag=True,
    help="Only ANALYZE and CHECKPOINT; skip rewriting the file into a fresh, compact copy.",
)
@friendly
def optimize_command(player: str, no_compact: bool) -> None:
    """ANALYZE, CHECKPOINT and compact a player's database; prints the size before and after."""
    report = optimize(PlayerStore(validate_gamertag(player)), compact=not no_compact)
    click.echo(
        f"{player}: {human_size(report.before_bytes)} -> {human_size(report.after_bytes)} "
        f"({', '.join(report.steps)}); {report.path}"
    )


@db_group.command("check")
@_player_option("Gamertag whose database to verify.")
@friendly
def check_command(player: str) -> None:
    """Read every row and decode every stored API body of a player's database; finish a
    restore that was interrupted; isolate damaged bodies so the next sync fetches them again."""
    from levelup_pipeline.store.restore import check_database

    gamertag = validate_gamertag(player)
    report = check_database(PlayerStore(gamertag))
    if report.restore_finished is not None:
        aside = report.restore_finished.set_aside
        click.echo(
            f"{player}: finished the interrupted restore from {report.restore_finished.source}"
            + (f"; the replaced files are in {aside}" if aside else "")
            + "."
        )
    parts = []
    for part, label in (("stats", "match"), ("skill", "skill"), ("film", "film")):
        ids = sorted(getattr(report.found, part) | getattr(report.awaiting, part))
        if ids:
            shown = ", ".join(ids[:3]) + (f" and {len(ids) - 3} more" if len(ids) > 3 else "")
            parts.append(f"{len(ids)} {label} bod{'y' if len(ids) == 1 else 'ies'} ({shown})")
    if parts:
        raise UserError(
            f"{gamertag}: damaged stored API bodies isolated, the rest of the database is intact: "
            f"{'; '.join(parts)}; run `levelup sync --with-backfill --player {gamertag}` to fetch "
            "them again from the API."
        )
    counts = report.counts
    click.echo(
        f"{player}: database intact ({len(counts)} tables, {sum(counts.values())} rows read, "
        f"{counts.get('raw_match_json', 0)} matches, every stored API body readable)."
    )


@click.command("archive")
@_player_option("Gamertag whose old matches to archive.")
@click.option(
    "--older-than-days",
    type=click.IntRange(min=1),
    required=True,
    help="Archive the matches that started more than this many days ago.",
)
@click.option("--dry-run", is_flag=True, help="Only count the matches that would be archived.")
@friendly
def archive_command(player: str, older_than_days: int, dry_run: bool) -> None:
    """Move old matches (every table) to Parquet files; the *_all views still show them."""
    store = PlayerStore(validate_gamertag(player))
    report = archive_older_than(store, older_than_days, dry_run=dry_run)
    cutoff = report.cutoff.strftime("%Y-%m-%d %H:%M UTC")
    if dry_run:
        click.echo(f"{player}: {report.matches} match(es) started before {cutoff} (dry run).")
        return
    record_table_changes(get_instance(), store.gamertag, report.live_after, "archive")
    live = report.live_after.get("raw_match_json", 0)
    archived = report.archived_after.get("raw_match_json", 0)
    click.echo(
        f"{player}: {report.matches} match(es) started before {cutoff} archived to "
        f"{archive_root(store.path)}; {live} live + {archived} archived = "
        f"{report.total_before.get('raw_match_json', 0)} matches, all in match_stats_all."
    )


@click.command("backup")
@_player_option("Gamertag whose database to back up.")
@friendly
def backup_command(player: str) -> None:
    """Copy a player's database (and archive) to a timestamped folder under data/backups."""
    report = backup(PlayerStore(validate_gamertag(player)))
    extra = f", {report.archive_files} archive file(s)" if report.archive_files else ""
    click.echo(
        f"{player}: backup written to {report.path} ({report.counts.get('raw_match_json', 0)} "
        f"matches, {human_size(report.size_bytes)}{extra})."
    )


@click.command("restore")
@_player_option("Gamertag whose database to restore.")
@click.option(
    "--from",
    "source",
    type=click.Path(path_type=Path),
    help="A backup folder or .duckdb file (default: the latest backup of the player).",
)
@friendly
def restore_command(player: str, source: Path | None) -> None:
    """Replace a player's database by a checked backup; the replaced files are kept aside."""
    gamertag = validate_gamertag(player)
    report = restore(PlayerStore(gamertag), source)
    instance = get_instance()
    if register_player(instance, gamertag):  # a removed player comes back as a partition
        mirror_registered(instance)
    record_table_changes(instance, gamertag, report.counts, "restore")
    aside = f"; the replaced files are in {report.set_aside}" if report.set_aside else ""
    click.echo(
        f"{player}: restored from {report.source} "
        f"({report.counts.get('raw_match_json', 0)} matches){aside}."
    )
    missing = report.counts.get("archive_files_missing")
    if missing:
        click.echo(
            f"{player}: the backup lists {missing} archived match(es) but holds no archive "
            "files; restore a backup folder to get them back.",
            err=True,
        )
