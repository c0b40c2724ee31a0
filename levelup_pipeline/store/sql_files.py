"""The store's SQL files (`store/sql/*.sql`), one reader for every module that runs them."""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def sql_file(name: str) -> str:
    """Text of `store/sql/<name>`, read once per process (transforms run some per chunk)."""
    return (resources.files("levelup_pipeline.store") / "sql" / name).read_text(encoding="utf-8")
