"""While a run executes, Dagster's SQLite files keep their WAL (no checkpoint and delete at
every close) and commit with synchronous=NORMAL; a database being created is left alone."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool

from levelup_pipeline.defs import instance_sqlite


@pytest.fixture
def cheaper(monkeypatch):
    monkeypatch.delenv("LEVELUP_SQLITE_FULL_SYNC", raising=False)
    instance_sqlite.cheaper_commits()
    yield
    instance_sqlite.release()


def _wal_db(path: Path) -> None:
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, body TEXT)")
    con.commit()
    con.close()


def _write_like_dagster(path: Path, n: int) -> list[int]:
    """One short connection per write, as Dagster's SQLite storages do (NullPool); the
    `synchronous` level each one committed with."""
    engine = create_engine(f"sqlite:///{path}", poolclass=NullPool)
    levels = []
    for i in range(n):
        with engine.connect() as conn:
            levels.append(conn.execute(text("PRAGMA synchronous")).scalar())
            conn.execute(text("INSERT INTO events (body) VALUES (:b)"), {"b": f"event {i}"})
            conn.commit()
    engine.dispose()
    return levels


def test_wal_survives_each_close_and_commits_are_normal(tmp_path, cheaper):
    db = tmp_path / "run.db"
    _wal_db(db)
    levels = _write_like_dagster(db, 5)
    assert levels == [1] * 5  # NORMAL (FULL is 2)
    assert Path(f"{db}-wal").exists()  # no checkpoint-and-delete at the last close
    instance_sqlite.release()
    con = sqlite3.connect(db)
    assert con.execute("SELECT count(*) FROM events").fetchone()[0] == 5  # nothing lost
    con.close()
    assert not Path(f"{db}-wal").exists()  # the last close after the run checkpoints


def test_without_it_every_close_checkpoints(tmp_path):
    """What the module saves: Dagster's own behaviour deletes the WAL at every last close."""
    installed = event.contains(Engine, "connect", instance_sqlite._on_connect)
    if installed:
        event.remove(Engine, "connect", instance_sqlite._on_connect)
    try:
        db = tmp_path / "run.db"
        _wal_db(db)
        assert _write_like_dagster(db, 1) == [2]  # FULL
        assert not Path(f"{db}-wal").exists()
    finally:
        if installed:
            event.listen(Engine, "connect", instance_sqlite._on_connect)


def test_a_database_being_created_can_still_switch_to_wal(tmp_path, cheaper):
    db = tmp_path / "new.db"
    engine = create_engine(f"sqlite:///{db}", poolclass=NullPool)
    with engine.connect() as conn:  # rollback-journal mode: not pinned
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
        conn.commit()
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode=WAL")).scalar() == "wal"
    engine.dispose()


def test_full_sync_setting_turns_it_off(tmp_path, monkeypatch):
    monkeypatch.setenv("LEVELUP_SQLITE_FULL_SYNC", "1")
    monkeypatch.setattr(instance_sqlite, "_INSTALLED", False)
    listened = []
    monkeypatch.setattr(instance_sqlite.event, "listen", lambda *a: listened.append(a))
    instance_sqlite.cheaper_commits()
    assert listened == []


def _connections_of_a_run(tmp_path: Path) -> tuple[int, bool]:
    """DBAPI connections a small run opens on a SQLite instance, and whether it succeeded."""
    from dagster import DagsterInstance, job, op

    @op
    def step(context) -> int:
        context.log.info("working")
        return 1

    @op
    def after(context, value: int) -> None:
        context.log.info(f"got {value}")

    @job
    def small():
        after(step())

    connects = []

    def count(*_args) -> None:
        connects.append(1)

    tmp_path.mkdir(parents=True)
    with DagsterInstance.local_temp(str(tmp_path)) as instance:
        small.execute_in_process(instance=instance)  # creates the shards first
        event.listen(Engine, "connect", count)
        try:
            ok = small.execute_in_process(instance=instance).success
        finally:
            event.remove(Engine, "connect", count)
    return len(connects), ok


def test_a_run_takes_its_connections_from_pooled_engines(tmp_path, cheaper, monkeypatch):
    pooled, ok = _connections_of_a_run(tmp_path / "pooled")
    assert ok
    instance_sqlite.release()
    for (cls, name), method in instance_sqlite.DAGSTER_CONNECTS.items():
        monkeypatch.setattr(cls, name, method)  # Dagster's own: an engine per operation
    unpooled, ok = _connections_of_a_run(tmp_path / "unpooled")
    assert ok
    assert unpooled >= 20
    assert pooled <= unpooled / 5
