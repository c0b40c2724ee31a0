"""Players are partitions: one DuckDB file, one partition key (the gamertag) each."""

from __future__ import annotations

from dagster import DagsterInstance, DynamicPartitionsDefinition

PLAYERS_PARTITION_NAME = "players"
players_partitions = DynamicPartitionsDefinition(name=PLAYERS_PARTITION_NAME)


def registered_players(instance: DagsterInstance) -> list[str]:
    """Gamertags registered as partitions, in registration order."""
    return list(instance.get_dynamic_partitions(PLAYERS_PARTITION_NAME))


def register_player(instance: DagsterInstance, gamertag: str) -> bool:
    """Add a player partition; returns False when it already existed."""
    if instance.has_dynamic_partition(PLAYERS_PARTITION_NAME, gamertag):
        return False
    try:
        instance.add_dynamic_partitions(PLAYERS_PARTITION_NAME, [gamertag])
    except Exception:  # noqa: BLE001 - storage-specific IntegrityError
        # Two processes (UI + CLI, two CLIs) registered the same player at the same instant.
        if instance.has_dynamic_partition(PLAYERS_PARTITION_NAME, gamertag):
            return False
        raise
    return True
