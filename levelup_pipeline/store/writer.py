"""StoreWriter: write access to one player's database, one class per responsibility."""

from levelup_pipeline.store.model_writes import ModelWrites
from levelup_pipeline.store.raw_writes import RawWrites
from levelup_pipeline.store.reference_writes import ReferenceWrites


class StoreWriter(RawWrites, ReferenceWrites, ModelWrites):
    """Write access to one player's database; obtained from `PlayerStore.writer()` only."""
