"""Cheaper commits to the Dagster instance's SQLite files while a run executes.

Dagster closes each connection after use: in WAL mode the last close checkpoints and deletes
the WAL, and every commit fsyncs it (~700 fsyncs per delta run, `strace -e fdatasync`). One
idle connection per WAL database and `synchronous=NORMAL` (SQLite's advice for WAL: a power
cut may lose the last commits, never consistency) leave ~100. `LEVELUP_SQLITE_FULL_SYNC=1`
turns it off.
"""

from __future__ import annotations

import os
import sqlite3
import threading

from sqlalchemy import event
from sqlalchemy.engine import Engine

_LOCK = threading.Lock()
_PINNED: dict[str, sqlite3.Connection] = {}
_INSTALLED = False


def _on_connect(dbapi_connection: object, _record: object) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    dbapi_connection.execute("PRAGMA synchronous=NORMAL")
    for _seq, name, path in dbapi_connection.execute("PRAGMA database_list").fetchall():
        if name != "main" or not path or path in _PINNED:
            continue
        # A database still in rollback mode (being created) must not be pinned: switching it
        # to WAL needs it to be the only connection.
        if dbapi_connection.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            continue
        with _LOCK:
            if path not in _PINNED:
                pin = sqlite3.connect(path, check_same_thread=False)
                pin.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()  # no open txn
                _PINNED[path] = pin


def cheaper_commits() -> None:
    """From now on in this process, Dagster's SQLite connections commit without fsync and
    WAL files stay open (idempotent)."""
    global _INSTALLED
    if _INSTALLED or os.environ.get("LEVELUP_SQLITE_FULL_SYNC"):
        return
    event.listen(Engine, "connect", _on_connect)
    _INSTALLED = True


def release() -> None:
    """Close the idle connections (the last close checkpoints each database, as usual)."""
    with _LOCK:
        pins = list(_PINNED.values())
        _PINNED.clear()
    for pin in pins:
        pin.close()
