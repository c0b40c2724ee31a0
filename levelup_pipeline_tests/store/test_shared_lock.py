"""Readers and writers of one player's database in two processes wait for each other instead
of failing (issue 21 item 15: a `dagster job execute` failed "open for writing by another
process" because a CLI sync held a read-only connection outside the writers' lock)."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from levelup_pipeline.store.errors import StoreBusy
from levelup_pipeline.store.player_store import PlayerStore

GAMERTAG = "Level Up"
HOLDER = """
import sys, time
from pathlib import Path
from levelup_pipeline.store.player_store import PlayerStore
store = PlayerStore(sys.argv[1], data_dir=Path(sys.argv[2]))
with (store.reader() if sys.argv[3] == "read" else store.writer()):
    print("held", flush=True)
    time.sleep(float(sys.argv[4]))
print("released", flush=True)
"""


@contextmanager
def held_by_another_process(data_dir: Path, mode: str, seconds: float) -> Iterator[float]:
    """Another process opens the database (`mode` read or write) and keeps it `seconds`;
    yields the monotonic time it will let go at the earliest."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, GAMERTAG, str(data_dir), mode, str(seconds)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        assert line.strip() == "held", proc.stderr.read()
        yield time.monotonic() + seconds
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0 and "released" in out, err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.fixture
def store(tmp_path: Path) -> PlayerStore:
    created = PlayerStore(GAMERTAG, data_dir=tmp_path, lock_timeout=30)
    with created.writer() as writer:
        writer.set_meta("player_xuid", "2533274792599999")
    return created


def test_writer_waits_for_a_reader_of_another_process(store: PlayerStore, tmp_path: Path):
    with held_by_another_process(tmp_path, "read", 1.5) as released:
        with store.writer() as writer:  # used to fail at once: "open for writing by another"
            assert time.monotonic() >= released - 0.05
            writer.set_meta("cursor", "after the reader")
    with store.reader() as con:
        assert con.execute("SELECT value FROM sync_meta WHERE key = 'cursor'").fetchall() == [
            ("after the reader",)
        ]


def test_reader_waits_for_a_writer_of_another_process(store: PlayerStore, tmp_path: Path):
    with held_by_another_process(tmp_path, "write", 1.5) as released:
        with store.reader() as con:  # used to fail at once while the other process wrote
            assert time.monotonic() >= released - 0.05
            assert con.execute("SELECT count(*) FROM sync_meta").fetchall()[0][0] > 0


def test_readers_share_and_a_stuck_writer_ends_in_one_sentence(store: PlayerStore, tmp_path: Path):
    with held_by_another_process(tmp_path, "read", 1.0):
        started = time.monotonic()
        with store.reader() as con:  # readers never wait for readers
            assert con.execute("SELECT 1").fetchall() == [(1,)]
        assert time.monotonic() - started < 0.9
    impatient = PlayerStore(GAMERTAG, data_dir=tmp_path, lock_timeout=0.3)
    with held_by_another_process(tmp_path, "write", 2.0):
        with pytest.raises(StoreBusy, match=r"^Another LevelUp process is writing .*finished\.$"):
            with impatient.reader():
                pass


def test_same_process_mixes_fail_at_once(store: PlayerStore):
    """Within one process DuckDB refuses a reader and a writer of one file together: that
    still fails at once instead of waiting for the process's own lock."""
    started = time.monotonic()
    with store.reader():
        with pytest.raises(StoreBusy, match="open for reading in this process"):
            with store.writer():
                pass
    with store.writer():
        with pytest.raises(StoreBusy), store.reader():
            pass
    assert time.monotonic() - started < 5
    with store.reader() as con:  # every lock was released
        assert con.execute("SELECT 1").fetchall() == [(1,)]
