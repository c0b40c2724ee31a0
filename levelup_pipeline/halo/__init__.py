"""The Halo Infinite API layer: routing, one rate limit, retries, tokens, typed errors.

Names are imported on first use: `halo.errors` alone must stay cheap for the CLI, the client
pulls in aiohttp and spnkr, and `HaloApiResource` pulls in Dagster (the sync engine and the
CLI's delta pre-check use the client without it).
"""

import importlib
from typing import Any

_EXPORTS = {
    "ApiMetrics": "levelup_pipeline.halo.metrics",
    "HaloApi": "levelup_pipeline.halo.client",
    "HaloApiResource": "levelup_pipeline.halo.resource",
    "HaloApiSettings": "levelup_pipeline.halo.client",
    "PlayerIdentity": "levelup_pipeline.halo.client",
    "ProgressReporter": "levelup_pipeline.halo.metrics",
    "open_halo_api": "levelup_pipeline.halo.client",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
