"""Readers take their turn too: a shared `flock` on the writers' lock file while they are open.

DuckDB refuses at once a read-write open while another process reads, and the reverse: so
readers and writers (filelock's exclusive flock) wait for each other. Within one process the
mix fails at once (`held_here`): DuckDB refuses it anyway.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
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


@contextmanager
def holding(lock_file: Path, mode: str) -> Iterator[None]:
    """Record that this process holds the lock of `lock_file` in `mode` during the block."""
    key = (str(lock_file), mode)
    with _held_guard:
        _held[key] += 1
    try:
        yield
    finally:
        with _held_guard:
            _held[key] -= 1


def held_here(lock_file: Path, mode: str) -> bool:
    """Whether this process holds this lock in `mode` (waiting would wait for ourselves)."""
    with _held_guard:
        return _held[(str(lock_file), mode)] > 0


def _open(lock_file: Path) -> int | None:
    """A descriptor of the lock file (flock works read-only too); None where none can exist."""
    for flags in (os.O_RDWR | os.O_CREAT, os.O_RDONLY):
        with suppress(OSError):
            return os.open(lock_file, flags, 0o644)
    return None  # no lock file and none can be made: no writer can hold it either


@contextmanager
def shared_lock(lock_file: Path, timeout: float, busy: str) -> Iterator[None]:
    """Hold a shared lock on `lock_file` during the block; StoreBusy(`busy`) after `timeout` s."""
    fd = None if fcntl is None or held_here(lock_file, WRITE) else _open(lock_file)
    try:
        deadline = time.monotonic() + timeout
        while fd is not None:
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
        if fd is not None:
            os.close(fd)  # closing the descriptor releases the lock
