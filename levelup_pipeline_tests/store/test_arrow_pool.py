"""The store's processes allocate Arrow memory with jemalloc unless the user chose a pool."""

from __future__ import annotations

import os
import subprocess
import sys

import pyarrow as pa
import pytest

_PROBE = (
    "import pyarrow as pa, levelup_pipeline.store.writer;"
    " print(pa.default_memory_pool().backend_name)"
)


def _pool_of_a_store_process(**env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    done = subprocess.run(
        [sys.executable, "-c", _PROBE], env={**clean, **env}, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_jemalloc_by_default() -> None:
    try:
        pa.jemalloc_memory_pool()
    except NotImplementedError:
        pytest.skip("this pyarrow has no jemalloc")
    assert _pool_of_a_store_process() == "jemalloc"


def test_the_users_choice_wins() -> None:
    assert _pool_of_a_store_process(ARROW_DEFAULT_MEMORY_POOL="system") == "system"
