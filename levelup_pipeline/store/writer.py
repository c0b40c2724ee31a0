"""StoreWriter: write access to one player's database, one class per responsibility.

Obtained from `PlayerStore.writer()` only (file lock held, block check and migrations done).
Raw writes (store/raw_writes.py), reference data (store/reference_writes.py) and model writes
(store/model_writes.py) share its connection and transaction rule (store/writer_core.py).
"""

from __future__ import annotations

from levelup_pipeline.store.model_writes import ModelWrites
from levelup_pipeline.store.raw_writes import RawWrites
from levelup_pipeline.store.reference_writes import ReferenceWrites


class StoreWriter(RawWrites, ReferenceWrites, ModelWrites):
    """Write access to one player's database; obtained from `PlayerStore.writer()` only."""
