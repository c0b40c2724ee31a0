"""Cheaper commits to the Dagster instance's SQLite files while a run executes: one idle
connection per WAL file, synchronous=NORMAL and pooled engines (why: docs/operations.md);
`LEVELUP_SQLITE_FULL_SYNC=1` turns it off."""

from __future__ import annotations

import os
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from dagster._core.storage.runs.sqlite.sqlite_run_storage import SqliteRunStorage
from dagster._core.storage.schedules.sqlite.sqlite_schedule_storage import SqliteScheduleStorage
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool

_LOCK = threading.Lock()
_PINNED: dict[str, sqlite3.Connection] = {}
_INSTALLED = False
_ENGINES: OrderedDict[str, Engine] = OrderedDict()
MAX_ENGINES = 16  # index, runs, schedules and the latest runs' event shards


def _on_connect(dbapi_connection: object, _record: object) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    dbapi_connection.execute("PRAGMA synchronous=NORMAL")
    for _seq, name, path in dbapi_connection.execute("PRAGMA database_list").fetchall():
        if name != "main" or not path or path in _PINNED:
            continue
        # A database being created (not WAL yet) needs to be the only connection.
        if dbapi_connection.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            continue
        with _LOCK:
            if path not in _PINNED:
                pin = sqlite3.connect(path, check_same_thread=False)
                pin.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()  # no open txn
                _PINNED[path] = pin


def cheaper_commits() -> None:
    """From now on, Dagster's SQLite connections commit without fsync, WAL files stay open."""
    global _INSTALLED
    if _INSTALLED or os.environ.get("LEVELUP_SQLITE_FULL_SYNC"):
        return
    event.listen(Engine, "connect", _on_connect)
    pooled_engines()
    _INSTALLED = True


def _engine(conn_string: str) -> Engine:
    """The pooled engine of one database file (least recently used beyond MAX_ENGINES go)."""
    with _LOCK:
        engine = _ENGINES.pop(conn_string, None)
        if engine is None:
            engine = create_engine(
                conn_string,
                pool_size=1,
                max_overflow=8,
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
            )
        _ENGINES[conn_string] = engine
        while len(_ENGINES) > MAX_ENGINES:
            _ENGINES.popitem(last=False)[1].dispose()
    return engine


@contextmanager
def _event_log_connect(self: SqliteEventLogStorage, shard: str) -> Iterator[Connection]:
    """SqliteEventLogStorage._connect with a pooled engine (same lock, init and transaction)."""
    with self._db_lock:
        conn_string = self.conn_string_for_shard(shard)
        if shard not in self._initialized_dbs:
            # Dagster's own init (its WAL switch needs no other connection open): unpooled.
            init_engine = create_engine(conn_string, poolclass=NullPool)
            self._initdb(init_engine)
            init_engine.dispose()
            self._initialized_dbs.add(shard)
        with _engine(conn_string).connect() as conn, conn.begin():
            yield conn


@contextmanager
def _storage_connect(self: Any) -> Iterator[Connection]:
    """SqliteRunStorage/SqliteScheduleStorage.connect with a pooled engine."""
    with _engine(self._conn_string).connect() as conn, conn.begin():
        yield conn


#: Dagster's own methods, replaced by `pooled_engines` (a test compares the two).
DAGSTER_CONNECTS = {
    (SqliteEventLogStorage, "_connect"): SqliteEventLogStorage._connect,
    (SqliteRunStorage, "connect"): SqliteRunStorage.connect,
    (SqliteScheduleStorage, "connect"): SqliteScheduleStorage.connect,
}


def pooled_engines() -> None:
    """Dagster's SQLite storages take their connections from one pooled engine per file."""
    SqliteEventLogStorage._connect = _event_log_connect  # type: ignore[method-assign]
    SqliteRunStorage.connect = _storage_connect  # type: ignore[method-assign]
    SqliteScheduleStorage.connect = _storage_connect  # type: ignore[method-assign]


def release() -> None:
    """Close the idle connections and pooled engines (the last close checkpoints)."""
    with _LOCK:
        pins = list(_PINNED.values())
        _PINNED.clear()
        engines = list(_ENGINES.values())
        _ENGINES.clear()
    for engine in engines:
        engine.dispose()
    for pin in pins:
        pin.close()
