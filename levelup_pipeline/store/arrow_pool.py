"""Arrow's allocator in LevelUp's processes: jemalloc, when the pyarrow wheel has it.

Why: pyarrow's default pool (mimalloc) keeps more of the memory a transform chunk's tables
used; with jemalloc the peak RSS of a 10,000-match full sync + transform measured 504-520 MB
against 540-559 MB, with no change in speed this VM could measure. A pool chosen by the user
through ARROW_DEFAULT_MEMORY_POOL is left alone.
"""

from __future__ import annotations

import os

import pyarrow as pa


def use_jemalloc_pool() -> str:
    """Make jemalloc Arrow's default pool unless the user chose one; returns the pool used."""
    if not os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        try:
            pa.set_memory_pool(pa.jemalloc_memory_pool())
        except NotImplementedError:  # a pyarrow built without jemalloc: keep its default
            pass
    return pa.default_memory_pool().backend_name
