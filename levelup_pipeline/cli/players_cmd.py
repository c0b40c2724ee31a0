"""`levelup players`: register, list, remove and rename player partitions."""

from __future__ import annotations

from contextlib import ExitStack
from typing import NamedTuple

import click

from levelup_pipeline.cli.delta_check import resolve_player
from levelup_pipeline.cli.errors import UserError, friendly
from levelup_pipeline.cli.instance import get_instance, mirror_registered
from levelup_pipeline.defs.partitions import (
    PLAYERS_PARTITION_NAME,
    register_player,
    registered_as,
    registered_players,
)
from levelup_pipeline.defs.run_lock import DEFAULT_WAIT_SECONDS, PlayerBusy, player_run_lock
from levelup_pipeline.defs.table_schemas import record_table_changes
from levelup_pipeline.store.errors import InvalidGamertag
from levelup_pipeline.store.gamertag import gamertag_key, parse_xuid, same_player
from levelup_pipeline.store.maintenance import rename_player
from levelup_pipeline.store.paths import validate_gamertag
from levelup_pipeline.store.player_store import PlayerStore
from levelup_pipeline.store.settings import CADENCES, MATCH_TYPES, load_settings, save_settings
from levelup_pipeline.store.views import get_meta

#: How long `players rename` waits for a running sync of the player (as a second sync would).
RENAME_WAIT_SECONDS = DEFAULT_WAIT_SECONDS


class AddedPlayer(NamedTuple):
    """A registered player: XUID, database path, whether the partition is new, its key."""

    xuid: str
    path: str
    created: bool
    gamertag: str


def add_player(player: str) -> AddedPlayer:
    """Resolve, then create the database and register the partition (nothing left if unknown)."""
    xuid = parse_xuid(player)
    typed = None if xuid else validate_gamertag(player)
    identity = resolve_player(xuid or typed or "")
    instance = get_instance()
    gamertag = (typed and registered_as(instance, typed)) or registered_as(
        instance, identity.gamertag
    )
    if not gamertag:
        try:
            gamertag = validate_gamertag(identity.gamertag)
        except InvalidGamertag:
            if typed is None:
                raise InvalidGamertag(
                    f"The profile service names this player {identity.gamertag!r}, which "
                    "LevelUp cannot use as a folder name; register the player by a valid "
                    "gamertag instead."
                ) from None
            gamertag = typed
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
    created = register_player(instance, gamertag)
    mirror_registered(instance)
    return AddedPlayer(identity.xuid, str(store.path), created, gamertag)


def player_argument(value: str, add: bool = False) -> str:
    """A --player value's partition: an XUID's registered player (else added), a checked
    gamertag (with `add`: its registered spelling, else resolved and added)."""
    xuid = parse_xuid(value)
    if xuid is None:
        gamertag = validate_gamertag(value)
        if not add:
            return gamertag
        return registered_as(get_instance(), gamertag) or add_player(gamertag).gamertag
    for gamertag in registered_players(get_instance()):
        store = PlayerStore(gamertag)
        if store.exists():
            with store.reader() as conn:
                if get_meta(conn, "player_xuid") == xuid:
                    return gamertag
    return add_player(xuid).gamertag


@click.group("players")
def players_group() -> None:
    """Register and list the players (Dagster partitions) LevelUp syncs."""


@players_group.command("add")
@click.argument("gamertag")
@click.option(
    "--cadence",
    type=click.Choice(CADENCES),
    help="How often the schedules sync the player: daily (active players, the default) or "
    "weekly (occasional players).",
)
@click.option(
    "--match-type",
    type=click.Choice(MATCH_TYPES),
    help="Which matches every sync of the player fetches (default matchmaking).",
)
@friendly
def add_command(gamertag: str, cadence: str | None, match_type: str | None) -> None:
    """Resolve GAMERTAG (or a 16-digit XUID) and register the player as a partition, with its
    sync settings."""
    added = add_player(gamertag)
    state = "registered" if added.created else "already registered"
    settings = (
        save_settings(added.gamertag, cadence=cadence, match_type=match_type)
        if cadence or match_type
        else load_settings(added.gamertag)  # unsaved: the roster file's entry stays in force
    )
    click.echo(
        f"{added.gamertag} (xuid {added.xuid}) {state}; database: {added.path}; syncs "
        f"{settings.cadence}, {settings.match_type} matches"
    )


@players_group.command("list")
@friendly
def list_command() -> None:
    """List registered players."""
    players = mirror_registered(get_instance())
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
    typed = validate_gamertag(gamertag)
    gamertag = registered_as(instance, typed) or ""
    if not gamertag:
        raise UserError(f"{typed} is not registered (see: levelup players list).")
    instance.delete_dynamic_partition(PLAYERS_PARTITION_NAME, gamertag)
    mirror_registered(instance)
    click.echo(f"{gamertag} unregistered; its database stays at {PlayerStore(gamertag).path}")


@players_group.command("rename")
@click.argument("old")
@click.argument("new")
@friendly
def rename_command(old: str, new: str) -> None:
    """Move OLD's folder and partition to NEW after a gamertag change (refused if NEW exists);
    waits for a sync of the player that is running (CLI, UI, schedule) to finish first."""
    typed = old
    old, new = validate_gamertag(old), validate_gamertag(new)
    if old == new:
        raise UserError(f"{old} already has that name; nothing to rename.")
    instance = get_instance()
    old = registered_as(instance, old) or old
    # 'abc' -> 'ABC' is the same folder with a new spelling
    if not same_player(old, new) and registered_as(instance, new):
        raise UserError(f"{new} is already registered; nothing was moved.")
    keys = {gamertag_key(g): g for g in (old, new)}
    with ExitStack() as turns:
        for key in sorted(keys):  # in key order: two renames never wait for each other
            told = f"{keys[key]}: a sync of this player is running; the rename waits for it."
            try:
                turns.enter_context(
                    player_run_lock(
                        keys[key],
                        timeout=RENAME_WAIT_SECONDS,
                        on_wait=lambda _m, t=told: click.echo(t, err=True),
                    )
                )
            except PlayerBusy:
                raise UserError(
                    f"A sync of {keys[key]} is still running after {RENAME_WAIT_SECONDS:g} s; "
                    "nothing was renamed: retry when it has finished."
                ) from None
        created = not instance.has_dynamic_partition(PLAYERS_PARTITION_NAME, new)
        if created:
            instance.add_dynamic_partitions(PLAYERS_PARTITION_NAME, [new])
        try:
            report = rename_player(old, new)
        except BaseException:
            if created:
                instance.delete_dynamic_partition(PLAYERS_PARTITION_NAME, new)
            raise
        if old != new and instance.has_dynamic_partition(PLAYERS_PARTITION_NAME, old):
            instance.delete_dynamic_partition(PLAYERS_PARTITION_NAME, old)
        mirror_registered(instance)
    record_table_changes(instance, new, PlayerStore(new).table_counts(), "rename")
    new = report.new_path.name
    click.echo(
        f"{typed} renamed to {new}: {report.old_path} -> {report.new_path}; partition {new} "
        "registered."
    )
