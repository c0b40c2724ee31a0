"""`levelup migrate`: the guide's `migrate_all_to_duckdb.py --gamertag X`."""

from __future__ import annotations

from pathlib import Path

import click

from levelup_pipeline.cli.delta_check import resolve_player
from levelup_pipeline.cli.errors import USER_FACING, UserError, describe, friendly
from levelup_pipeline.cli.instance import get_instance
from levelup_pipeline.defs.partitions import register_player
from levelup_pipeline.defs.table_schemas import record_table_changes
from levelup_pipeline.halo.errors import HaloApiError
from levelup_pipeline.store.errors import MaintenanceError
from levelup_pipeline.store.legacy_import import LegacyReport, import_legacy
from levelup_pipeline.store.legacy_read import (
    PROFILES_FILE,
    Profile,
    file_xuids,
    profiles,
)
from levelup_pipeline.store.paths import validate_gamertag
from levelup_pipeline.store.player_store import PlayerStore
from levelup_pipeline.store.views import get_meta
from levelup_pipeline.transform._common import normalize_xuid


def choose_xuid(store: PlayerStore, given: str | None, profile: Profile) -> tuple[str, str]:
    """The player's XUID and where it came from: the first source that names exactly one."""
    if given:
        xuid = normalize_xuid(given.strip())
        if xuid is None or not xuid.isdigit():
            raise UserError(f"--xuid {given!r} is not an XUID (16 digits, or xuid(...)).")
        return xuid, "--xuid"
    if profile.xuid:
        return profile.xuid, PROFILES_FILE
    if store.exists():
        with store.reader() as reader:
            if recorded := get_meta(reader, "player_xuid"):
                return recorded, f"recorded in {store.path}"
    found = file_xuids(profile.path, store.gamertag)
    if len(found) == 1:
        return found[0], "named by the file"
    try:
        return resolve_player(store.gamertag).xuid, "the profile API"
    except HaloApiError as exc:
        raise UserError(
            f"The file names {len(found)} possible XUIDs for {store.gamertag} and the profile API "
            f"could not resolve it ({exc}); pass the player's XUID with --xuid."
        ) from None


def _default_source(gamertag: str | None) -> Path:
    """The guide's form (no path): the current folder is the original's install folder."""
    here = Path.cwd()
    if (here / PROFILES_FILE).is_file():
        return here
    legacy = here / "data" / "players" / str(gamertag) / "stats.duckdb"
    if gamertag and legacy.is_file() and legacy.resolve() != PlayerStore(gamertag).path.resolve():
        return legacy  # unless it is this project's own file
    raise UserError(
        "Nothing to import from: pass --from-levelup PATH (the original LevelUp's install "
        "folder, or a player's stats.duckdb) or --from-sqlite PATH, or run the command in "
        f"the original's install folder (where {PROFILES_FILE} is)."
    )


@click.command("migrate")
@click.option(
    "--from-levelup",
    "levelup_source",
    type=click.Path(path_type=Path),
    help=f"The original LevelUp's install folder ({PROFILES_FILE}) or a v4 stats.duckdb.",
)
@click.option(
    "--from-sqlite",
    "sqlite_source",
    type=click.Path(path_type=Path),
    help="A legacy SQLite file: the original LevelUp's tables and OpenSpartan Workshop's.",
)
@click.option(
    "--gamertag",
    "--player",
    "gamertag",
    help="Player to import (required for one file; picks one profile of a folder).",
)
@click.option(
    "--xuid",
    help="The player's XUID (default: the profile list, the database, the file, or the API).",
)
@click.option(
    "--dry-run", is_flag=True, help="Only say, per table, what would be imported/kept/skipped."
)
@friendly
def migrate_command(
    levelup_source: Path | None,
    sqlite_source: Path | None,
    gamertag: str | None,
    xuid: str | None,
    dry_run: bool,
) -> None:
    """Import the original LevelUp's history (nothing lost, nothing duplicated)."""
    if levelup_source and sqlite_source:
        raise UserError("Pass --from-levelup or --from-sqlite, not both.")
    if gamertag is not None:
        gamertag = validate_gamertag(gamertag)
    source = levelup_source or sqlite_source or _default_source(gamertag)
    targets = profiles(source, gamertag)
    failures = []
    for profile in targets:
        try:
            _migrate_one(profile, xuid, dry_run)
        except (UserError, *USER_FACING) as exc:
            if len(targets) == 1:
                raise
            message = exc.format_message() if isinstance(exc, UserError) else describe(exc)
            failures.append(profile.gamertag)
            click.echo(f"{profile.gamertag}: FAILED - {message}", err=True)
    if failures:
        raise UserError(
            f"{len(failures)} of {len(targets)} profiles were not imported "
            f"({', '.join(failures)}): see above; the others were."
        )


def _migrate_one(profile: Profile, xuid: str | None, dry_run: bool) -> None:
    gamertag = validate_gamertag(profile.gamertag)
    store = PlayerStore(gamertag)
    if not profile.path.is_file():
        raise MaintenanceError(f"No file at {profile.path} for {gamertag}: check the path.")
    chosen, how = choose_xuid(store, xuid, profile)
    verb = "checking" if dry_run else "importing"
    click.echo(f"{gamertag}: XUID {chosen} ({how}); {verb} {profile.path}...")
    report = import_legacy(store, profile.path, chosen, dry_run=dry_run)
    for line in report_lines(report):
        click.echo(line)
    if dry_run:
        return
    instance = get_instance()
    register_player(instance, gamertag)
    operation = f"migrate from the original LevelUp ({report.layout}: {report.source})"
    record_table_changes(instance, gamertag, report.model, operation)


def report_lines(report: LegacyReport) -> list[str]:
    done = "would import" if report.dry_run else "imported"
    lines = []
    for entry in report.tables.values():
        parts = [f"{entry.read} read"]
        if entry.target:
            parts += [f"{entry.imported} {done}", f"{entry.kept} kept (already there)"]
        if entry.skipped:
            reasons = "; ".join(f"{n} {why}" for why, n in entry.skipped.most_common())
            parts.append(f"{entry.skipped.total()} skipped ({reasons})")
        target = f" -> {entry.target}" if entry.target else " (merged below)"
        lines.append(f"  {entry.table}{target}: " + ", ".join(parts))
    lines += [f"  {t}: {n} row(s) not imported - {why}" for t, n, why in report.not_imported]
    ws = report.workshop
    if ws is not None:
        lines.append(
            f"  MatchStats (Workshop, raw API JSON): {ws['read']} read, {ws['imported']} "
            f"{done} ({ws['with_skill']} with skill), skipped {ws['not_the_player']} without "
            f"this player, {ws['already_archived']} already archived, {ws['unreadable']} "
            "unreadable"
        )
    model = report.model
    tail = (
        "nothing was written (dry run)."
        if report.dry_run
        else f"next: `levelup sync --player {report.gamertag} --with-backfill` refetches from "
        "the API what it still serves (matches known only from this import, names, films)."
    )
    lines.append(
        f"{report.gamertag}: {model.get('match_stats', 0)} match(es), "
        f"{model.get('highlight_events', 0)} highlight events, "
        f"{model.get('xuid_aliases', 0)} aliases in the model; {tail}"
    )
    return lines
