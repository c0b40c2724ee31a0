"""Dagster's player store opens every connection through dagster-duckdb's DuckDBResource,
inside the store's guard (file lock, block check, migrations), and readers are read-only."""

from __future__ import annotations

import time
from pathlib import Path

import duckdb
import pytest
from dagster_duckdb import DuckDBResource

from levelup_pipeline.defs.resources import PlayerStoreResource
from levelup_pipeline.store.errors import CorruptDatabase


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict]]:
    """Every DuckDBResource connection opened: (database, connection_config)."""
    calls: list[tuple[str, dict]] = []
    original = DuckDBResource.get_connection

    def spy(self: DuckDBResource):
        calls.append((self.database, dict(self.connection_config)))
        return original(self)

    monkeypatch.setattr(DuckDBResource, "get_connection", spy)
    return calls


def test_writer_and_reader_connect_through_duckdb_resource(
    tmp_path: Path, opened: list[tuple[str, dict]]
) -> None:
    store = PlayerStoreResource(data_dir=str(tmp_path)).for_player("Chief117")
    with store.writer() as writer:
        writer.set_meta("probe", "1")
    with store.reader() as con:
        assert con.execute("SELECT value FROM sync_meta WHERE key = 'probe'").fetchall() == [("1",)]
        with pytest.raises(duckdb.Error, match="read-only"):
            con.execute("INSERT INTO sync_meta (key, value) VALUES ('x', 'y')")
    assert [(Path(db), cfg.get("access_mode")) for db, cfg in opened] == [
        (store.path, None),
        (store.path, "READ_ONLY"),
    ]
    with store.writer() as writer:  # the reader released the file and its lock
        assert writer.get_meta("probe") == "1"


def test_a_damaged_file_fails_at_once_through_the_resource(
    tmp_path: Path, opened: list[tuple[str, dict]]
) -> None:
    """DuckDBResource retries IOExceptions for ~100 s; a damaged file (an IOException) must
    still end in the store's sentence at once."""
    store = PlayerStoreResource(data_dir=str(tmp_path)).for_player("Chief117")
    with store.writer() as writer:
        writer.set_meta("probe", "1")
    store.path.write_bytes(store.path.read_bytes()[:5000])  # truncated inside its header
    started = time.monotonic()
    with pytest.raises(CorruptDatabase, match="damaged"):
        with store.reader():
            pass
    assert time.monotonic() - started < 5
