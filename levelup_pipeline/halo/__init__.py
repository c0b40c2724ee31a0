"""The Halo Infinite API layer: routing, one rate limit, retries, tokens, typed errors.

`HaloApiResource` is imported lazily so that the sync engine and the CLI can use the client
without importing Dagster.
"""

from typing import Any

from levelup_pipeline.halo.client import (
    HaloApi,
    HaloApiSettings,
    PlayerIdentity,
    open_halo_api,
)
from levelup_pipeline.halo.metrics import ApiMetrics, ProgressReporter

__all__ = [
    "ApiMetrics",
    "HaloApi",
    "HaloApiResource",
    "HaloApiSettings",
    "PlayerIdentity",
    "ProgressReporter",
    "open_halo_api",
]


def __getattr__(name: str) -> Any:
    if name == "HaloApiResource":
        from levelup_pipeline.halo.resource import HaloApiResource

        return HaloApiResource
    raise AttributeError(name)
