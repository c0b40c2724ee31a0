"""Files written whole or not at all: a temporary file beside the target, renamed over it, so
that a reader, or a crash, never sees half a file."""

from __future__ import annotations

import os
import threading
from pathlib import Path


def write_atomic(
    path: Path, data: bytes, *, mode: int | None = None, durable: bool = False
) -> None:
    """Replace `path` with `data`. `mode`: the temporary file's permissions from its creation
    (the token file's 0600); `durable`: fsynced before the rename (a commit point)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666 if mode is None else mode)
        with os.fdopen(fd, "wb") as handle:
            if mode is not None:
                os.fchmod(fd, mode)  # also when a stale temporary file had other permissions
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(fd)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
