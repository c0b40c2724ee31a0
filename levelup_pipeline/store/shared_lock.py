"""Readers take their turn too: a shared lock on the writers' lock file.

DuckDB refuses a read-write open while another process holds the file read-only, and a
read-only open while another process writes: both fail at once ("Could not set lock"). So a
reader that opened the file outside the writers' lock made a writer of another process fail
after it had waited its turn for the lock (a `dagster job execute` started during a CLI sync
failed "open for writing by another process"). Readers therefore hold a *shared* `flock` on
`stats.duckdb.lock` for as long as their connection is open: any number of readers at once,
and writers (an exclusive `flock`, taken by `filelock.FileLock` in `PlayerStore.writer()` and
the file-level maintenance) wait for them to close, as readers wait for a writer to finish.
The kernel drops the lock when a process dies, SIGKILL included.

Within one process DuckDB itself refuses to mix a writer and a reader of one file; those
cases keep failing at once (`held_here`) instead of waiting for the process's own lock.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from levelup_pipeline.store.errors import StoreBusy

try:
    import fcntl
except ImportError:  # Windows: DuckDB's own error stays the answer there
    fcntl = None  # type: ignore[assignment]

POLL_SECONDS = 0.05
READ, WRITE = "read", "write"
_held: Counter[tuple[str, str]] = Counter()  # (lock path, mode) held by this process
_held_guard = threading.Lock()


def mark_held(lock_file: Path, mode: str, held: bool = True) -> None:
    """Record that this process took (`held`) or released the lock of `lock_file` in `mode`."""
    key = (str(lock_file), mode)
    with _held_guard:
        _held[key] += 1 if held else -1
        if _held[key] <= 0:
            del _held[key]


@contextmanager
def holding(lock_file: Path, mode: str) -> Iterator[None]:
    """`mark_held` for the block (see `held_here`)."""
    mark_held(lock_file, mode)
    try:
        yield
    finally:
        mark_held(lock_file, mode, held=False)


def held_here(lock_file: Path, mode: str) -> bool:
    """Whether this process holds this lock in `mode` (READ or WRITE): waiting for it would
    wait for ourselves, and DuckDB refuses that mix within one process anyway."""
    with _held_guard:
        return _held[(str(lock_file), mode)] > 0


def _open(lock_file: Path) -> int | None:
    """A descriptor of the lock file (created if need be), None where it cannot exist."""
    try:
        return os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        try:  # read-only folder: flock works on a read-only descriptor too
            return os.open(lock_file, os.O_RDONLY)
        except OSError:
            return None  # no lock file and none can be made: no writer can hold it either


@contextmanager
def shared_lock(lock_file: Path, timeout: float, busy: str) -> Iterator[None]:
    """Hold a shared lock on `lock_file` while the block runs: waits up to `timeout` seconds
    for a writer to finish, then raises StoreBusy(`busy`)."""
    fd = None if fcntl is None or held_here(lock_file, WRITE) else _open(lock_file)
    if fd is None:
        with holding(lock_file, READ):
            yield
        return
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise StoreBusy(busy) from None
                time.sleep(POLL_SECONDS)
        with holding(lock_file, READ):
            yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock
