"""`levelup players`: register, list, remove and rename player partitions."""

from __future__ import annotations

import asyncio
import re

import click

from levelup_pipeline.cli.errors import UserError, friendly
from levelup_pipeline.cli.instance import get_instance
from levelup_pipeline.defs.partitions import (
    PLAYERS_PARTITION_NAME,
    register_player,
    registered_players,
)
from levelup_pipeline.halo.resource import HaloApiResource
from levelup_pipeline.store.paths import validate_gamertag
from levelup_pipeline.store.player_store import PlayerStore
from levelup_pipeline.store.settings import CADENCES, MATCH_TYPES, load_settings, save_settings


async def _resolve(player: str):
    async with HaloApiResource().open() as api:
        return await api.resolve_player(player)


def add_player(gamertag: str) -> tuple[str, str, bool]:
    """Resolve the XUID, create the database and register the partition."""
    gamertag = validate_gamertag(gamertag)
    identity = asyncio.run(_resolve(gamertag))
    store = PlayerStore(gamertag)
    with store.writer() as writer:
        known = writer.get_meta("player_xuid")
        if known and known != identity.xuid:
            raise UserError(
                f"The folder of {gamertag} belongs to XUID {known}, but {gamertag} is now XUID "
                f"{identity.xuid}: rename the old player first (levelup players rename)."
            )
        writer.set_meta("player_xuid", identity.xuid)
        writer.set_meta("player_gamertag", identity.gamertag)
    created = register_player(get_instance(), gamertag)
    return identity.xuid, str(store.path), created


XUID_PATTERN = re.compile(r"^(?:xuid\()?(\d{16})\)?$", re.IGNORECASE)


def player_argument(value: str) -> str:
    """The gamertag (partition key) for a `--player` value that is a gamertag or an XUID.

    An XUID (`2533274...` or `xuid(2533274...)`) is looked up among registered players first,
    then resolved through the profile API and registered.
    """
    match = XUID_PATTERN.match(value.strip())
    if not match:
        return validate_gamertag(value)
    xuid = match.group(1)
    for gamertag in registered_players(get_instance()):
        store = PlayerStore(gamertag)
        if store.exists():
            with store.reader() as conn:
                row = conn.execute(
                    "SELECT value FROM sync_meta WHERE key = 'player_xuid'"
                ).fetchone()
            if row and row[0] == xuid:
                return gamertag
    identity = asyncio.run(_resolve(xuid))
    add_player(identity.gamertag)
    return identity.gamertag


@click.group("players")
def players_group() -> None:
    """Register and list the players (Dagster partitions) LevelUp syncs."""


@players_group.command("add")
@click.argument("gamertag")
@click.option(
    "--cadence",
    type=click.Choice(CADENCES),
    default=None,
    help="How often the schedules sync the player: daily (active players, the default) or "
    "weekly (occasional players).",
)
@click.option(
    "--match-type",
    type=click.Choice(MATCH_TYPES),
    default=None,
    help="Which matches every sync of the player fetches (default matchmaking).",
)
@friendly
def add_command(gamertag: str, cadence: str | None, match_type: str | None) -> None:
    """Resolve GAMERTAG's XUID and register it as a partition, with its sync settings."""
    xuid, path, created = add_player(gamertag)
    state = "registered" if created else "already registered"
    if cadence or match_type:
        settings = save_settings(gamertag, cadence=cadence, match_type=match_type)
    else:
        settings = load_settings(gamertag)
    click.echo(
        f"{gamertag} (xuid {xuid}) {state}; database: {path}; syncs {settings.cadence}, "
        f"{settings.match_type} matches"
    )


@players_group.command("list")
@friendly
def list_command() -> None:
    """List registered players."""
    players = registered_players(get_instance())
    if not players:
        click.echo("No player registered yet: levelup players add GAMERTAG")
    for gamertag in players:
        store = PlayerStore(gamertag)
        state = store.path if store.exists() else "(not synced yet)"
        settings = load_settings(gamertag)
        click.echo(f"{gamertag}\t{settings.cadence}\t{settings.match_type}\t{state}")


@players_group.command("remove")
@click.argument("gamertag")
@friendly
def remove_command(gamertag: str) -> None:
    """Unregister GAMERTAG (its database file is kept)."""
    instance = get_instance()
    if gamertag not in registered_players(instance):
        raise UserError(f"{gamertag} is not registered (see: levelup players list).")
    instance.delete_dynamic_partition(PLAYERS_PARTITION_NAME, gamertag)
    click.echo(f"{gamertag} unregistered; its database stays at {PlayerStore(gamertag).path}")


@players_group.command("rename")
@click.argument("old")
@click.argument("new")
@friendly
def rename_command(old: str, new: str) -> None:
    """Move OLD's folder and partition to NEW after a gamertag change (refused if NEW exists)."""
    from levelup_pipeline.cli.maintenance_cmd import rename_registered_player

    old_path, new_path = rename_registered_player(old, new)
    click.echo(f"{old} renamed to {new}: {old_path} -> {new_path}; partition {new} registered.")
