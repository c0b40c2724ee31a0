"""One run per player at a time for every launcher (a file lock under DAGSTER_HOME/locks/), the
player's last run and a mirror of the registered players: what the CLI reads without Dagster.
This module must not import Dagster."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import filelock

from levelup_pipeline.atomic_file import write_atomic
from levelup_pipeline.config import dagster_home
from levelup_pipeline.store.gamertag import find_gamertag, run_lock_name

WAIT_ENV = "LEVELUP_RUN_WAIT_SECONDS"
DEFAULT_WAIT_SECONDS = 600.0
ROSTER_FILE = "levelup_players.json"


class PlayerBusy(Exception):
    """Another run of the same player did not finish within the wait."""


def _lock_file(gamertag: str, home: Path | None) -> Path:
    folder = (home or dagster_home()) / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / run_lock_name(gamertag)


@contextmanager
def player_run_lock(
    gamertag: str,
    home: Path | None = None,
    timeout: float | None = None,
    on_wait: Callable[[str], None] | None = None,
) -> Iterator[None]:
    """Hold the player's run lock, waiting up to `timeout` (LEVELUP_RUN_WAIT_SECONDS, 600 s)."""
    wait = float(os.environ.get(WAIT_ENV) or DEFAULT_WAIT_SECONDS) if timeout is None else timeout
    lock = filelock.FileLock(str(_lock_file(gamertag, home)))
    try:
        lock.acquire(timeout=0)
    except filelock.Timeout:
        if on_wait is not None and wait > 0:
            on_wait(f"{gamertag}: another run of this player is going; this one waits for it.")
        try:
            lock.acquire(timeout=wait)
        except filelock.Timeout:
            raise PlayerBusy(
                f"Another run of {gamertag} is still going after {wait:g} s; retry when it has "
                "finished (see the Dagster UI's run list)."
            ) from None
    try:
        yield
    finally:
        lock.release()


def _write_json(path: Path, value: object) -> None:
    write_atomic(path, json.dumps(value).encode("utf-8"))


def _read_json(path: Path) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _last_run_file(gamertag: str, home: Path | None) -> Path:
    lock = _lock_file(gamertag, home)
    return lock.with_name(lock.name.removesuffix(".lock") + ".last_run.json")


def record_run(gamertag: str, run_id: str, status: str, home: Path | None = None) -> None:
    """Record the player's latest run (written by the run holding the player's lock)."""
    _write_json(_last_run_file(gamertag, home), {"run_id": run_id, "status": status})


def last_run_status(gamertag: str, home: Path | None = None) -> str | None:
    """STARTED, SUCCESS or FAILURE for the player's latest run; None if none is recorded."""
    state = _read_json(_last_run_file(gamertag, home))
    return state.get("status") if isinstance(state, dict) else None


def registered_players(home: Path | None = None) -> list[str] | None:
    """The registered players as last mirrored, in registration order (None: no mirror)."""
    players = _read_json((home or dagster_home()) / ROSTER_FILE)
    return [str(p) for p in players] if isinstance(players, list) else None


def _update_mirror(
    home: Path | None, change: Callable[[list[str] | None], list[str] | None]
) -> None:
    """Rewrite the mirror of the registered players under its lock (None: leave it)."""
    path = (home or dagster_home()) / ROSTER_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    with filelock.FileLock(f"{path}.lock", timeout=30):
        players = change(registered_players(home))
        if players is not None:
            _write_json(path, players)


def mirror_players(players: list[str], home: Path | None = None) -> None:
    """Mirror Dagster's registered players (its dynamic partitions), read by the CLI."""
    _update_mirror(home, lambda _old: players)


def mirror_add(gamertag: str, home: Path | None = None) -> None:
    """Add a player to an existing mirror (a partial new one would hide players from the CLI)."""

    def change(players: list[str] | None) -> list[str] | None:
        if players is None or find_gamertag(gamertag, players):
            return None
        return [*players, gamertag]

    _update_mirror(home, change)
