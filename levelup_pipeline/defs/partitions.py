"""Players are dynamic partitions, keyed by the first spelling registered (case-insensitive)."""

from __future__ import annotations

from dagster import DagsterInstance, DynamicPartitionsDefinition

from levelup_pipeline.store.gamertag import find_gamertag

PLAYERS_PARTITION_NAME = "players"
players_partitions = DynamicPartitionsDefinition(name=PLAYERS_PARTITION_NAME)


def registered_players(instance: DagsterInstance) -> list[str]:
    """Gamertags registered as partitions, in registration order."""
    return list(instance.get_dynamic_partitions(PLAYERS_PARTITION_NAME))


def registered_as(instance: DagsterInstance, gamertag: str) -> str | None:
    """The partition key of `gamertag` (the registered spelling, any case), if registered."""
    if instance.has_dynamic_partition(PLAYERS_PARTITION_NAME, gamertag):
        return gamertag
    return find_gamertag(gamertag, registered_players(instance))


def register_player(instance: DagsterInstance, gamertag: str) -> bool:
    """Add a player partition; returns False when it (or a case variant) already existed."""
    if registered_as(instance, gamertag) is not None:
        return False
    try:
        instance.add_dynamic_partitions(PLAYERS_PARTITION_NAME, [gamertag])
    except Exception:  # noqa: BLE001 - storage-specific IntegrityError
        # Another process registered the same player at the same instant.
        if instance.has_dynamic_partition(PLAYERS_PARTITION_NAME, gamertag):
            return False
        raise
    return True
