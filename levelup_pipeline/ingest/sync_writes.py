"""The store writes of a running sync: one at a time (one lock), off the event loop, in
batches. A match with a failed skill or film part is kept aside compressed, written last."""

from __future__ import annotations

import asyncio
import pickle
import zlib
from collections.abc import Callable
from typing import Any

from levelup_pipeline.store.raw_writes import RawMatch


class SyncWrites:
    """Serialized, batched raw writes of one sync; `written` counts the matches stored."""

    def __init__(self, writer: Any, batch_size: int) -> None:
        self.writer = writer
        self.batch_size = batch_size
        self.written = 0
        self._lock = asyncio.Lock()
        self._buffer: list[RawMatch] = []
        self._kept: list[bytes] = []

    async def call(self, write: Callable[..., Any], *args: Any) -> Any:
        """Run one store write off the event loop, never two at once."""
        async with self._lock:
            return await _finish_even_if_cancelled(write, *args)

    async def add(self, raw: RawMatch) -> None:
        """Buffer a complete match; a full buffer is written as one transaction."""
        self._buffer.append(raw)
        if len(self._buffer) >= self.batch_size:
            await self.flush()

    async def flush(self) -> None:
        """Write the buffered matches."""
        async with self._lock:
            batch, self._buffer = self._buffer, []
            if batch:
                await _finish_even_if_cancelled(self.writer.write_raw_matches, batch)
                self.written += len(batch)

    def keep_for_last(self, raw: RawMatch) -> None:
        """Keep a match with a failed part aside (RecursionError: a body nested too deeply)."""
        self._kept.append(zlib.compress(pickle.dumps(raw), 1))

    async def write_kept(self) -> None:
        """Write the matches kept aside, in batches, once the run got through."""
        kept, self._kept = self._kept, []
        for start in range(0, len(kept), self.batch_size):
            self._buffer.extend(
                pickle.loads(zlib.decompress(k)) for k in kept[start : start + self.batch_size]
            )
            await self.flush()


async def _finish_even_if_cancelled(write: Callable[..., Any], *args: Any) -> Any:
    """A store write in a thread, awaited even when cancelled: no lock freed under a write."""
    task = asyncio.ensure_future(asyncio.to_thread(write, *args))
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        await asyncio.wait([task])
        raise
