"""A shared `flock` for readers: DuckDB refuses a writer while another process reads."""

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
    """A descriptor (flock works read-only too); None where no writer can make one either."""
    for flags in (os.O_RDWR | os.O_CREAT, os.O_RDONLY):
        with suppress(OSError):
            return os.open(lock_file, flags, 0o644)
    return None


@contextmanager
def shared_lock(lock_file: Path, timeout: float, busy: str) -> Iterator[None]:
    """A shared lock on `lock_file` during the block; StoreBusy(`busy`) after `timeout` s."""
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
            os.close(fd)  # releases the lock
