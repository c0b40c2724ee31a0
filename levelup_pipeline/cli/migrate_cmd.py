"""`levelup migrate --from-sqlite`: the guide's `migrate_all_to_duckdb.py`."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import click

from levelup_pipeline.cli.errors import UserError, friendly
from levelup_pipeline.cli.instance import get_instance
from levelup_pipeline.defs.partitions import register_player
from levelup_pipeline.halo.errors import HaloApiError
from levelup_pipeline.store.paths import validate_gamertag
from levelup_pipeline.store.player_store import PlayerStore
from levelup_pipeline.store.sqlite_import import (
    common_players,
    import_workshop_db,
    open_workshop_db,
)
from levelup_pipeline.transform._common import normalize_xuid


async def _resolve_xuid(gamertag: str) -> str:
    from levelup_pipeline.halo.resource import HaloApiResource

    async with HaloApiResource().open() as api:
        return (await api.resolve_player(gamertag)).xuid


def choose_xuid(
    con: sqlite3.Connection, store: PlayerStore, gamertag: str, given: str | None
) -> tuple[str, str]:
    """The player's XUID and how it was found: --xuid, else the one recorded in the player's
    database, else the only player present in every match, else the profile API."""
    if given:
        xuid = normalize_xuid(given.strip())
        if xuid is None or not xuid.isdigit():
            raise UserError(f"--xuid {given!r} is not an XUID (16 digits, or xuid(...)).")
        return xuid, "--xuid"
    if store.exists():
        with store.reader() as reader:
            rows = reader.execute(
                "SELECT value FROM sync_meta WHERE key = 'player_xuid'"
            ).fetchall()
        if rows and rows[0][0]:
            return rows[0][0], f"recorded in {store.path}"
    common = common_players(con)
    if len(common) == 1:
        return next(iter(common)), "the only player present in every match"
    try:
        return asyncio.run(_resolve_xuid(gamertag)), "the profile API"
    except HaloApiError as exc:
        raise UserError(
            f"{len(common)} players appear in every match and the profile API could not "
            f"resolve {gamertag} ({exc}); pass the player's XUID with --xuid."
        ) from None


@click.command("migrate")
@click.option(
    "--from-sqlite",
    "source",
    type=click.Path(path_type=Path),
    required=True,
    help="An OpenSpartan Workshop SQLite database (MatchStats/PlayerMatchStats ResponseBody).",
)
@click.option(
    "--gamertag", "--player", "gamertag", required=True, help="Player the matches belong to."
)
@click.option(
    "--xuid",
    default=None,
    help="The player's XUID (default: recorded, inferred from the matches, or the API).",
)
@friendly
def migrate_command(source: Path, gamertag: str, xuid: str | None) -> None:
    """Import a Workshop SQLite history into the player's DuckDB through the same transformers."""
    gamertag = validate_gamertag(gamertag)
    store = PlayerStore(gamertag)
    con = open_workshop_db(source)
    try:
        chosen, how = choose_xuid(con, store, gamertag, xuid)
        click.echo(f"{gamertag}: XUID {chosen} ({how}); importing {source}...")
        report = import_workshop_db(store, con, source, chosen, gamertag)
    finally:
        con.close()
    register_player(get_instance(), gamertag)
    skipped = []
    if report.not_the_player:
        skipped.append(f"{report.not_the_player} without this player")
    if report.already_archived:
        skipped.append(f"{report.already_archived} already archived")
    if report.unreadable:
        skipped.append(f"{report.unreadable} unreadable")
    click.echo(
        f"{gamertag}: {report.imported} match(es) imported ({report.with_skill} with skill, "
        f"{report.ugc_assets} map/mode/playlist names)"
        + (f", skipped {', '.join(skipped)}" if skipped else "")
        + f"; {report.transformed.get('match_stats', 0)} modelled. Next: "
        f"`levelup sync --player {gamertag}` fetches newer matches, "
        f"`levelup stats --player {gamertag}` checks the result."
    )
