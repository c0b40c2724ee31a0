"""Shared helpers: open a HaloApi against a FakeHalo with small, test-sized waits."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from levelup_pipeline.halo.auth import Credentials
from levelup_pipeline.halo.client import HaloApi, HaloApiSettings, open_halo_api
from levelup_pipeline.halo.retry import RetryPolicy
from levelup_pipeline_tests.halo.fake_halo import FakeHalo

FAST_RETRY = RetryPolicy(max_attempts=4, max_total_wait_seconds=10, base_delay=0.01, max_delay=0.05)


def make_settings(fake: FakeHalo, **kw: Any) -> HaloApiSettings:
    return HaloApiSettings(
        endpoint=kw.pop("endpoint", fake.endpoint),
        requests_per_second=kw.pop("rps", 500.0),
        retry=kw.pop("retry", FAST_RETRY),
        credentials=kw.pop("credentials", Credentials()),
        **kw,
    )


async def with_api(fake: FakeHalo, fn: Callable[[HaloApi], Awaitable[Any]], **kw: Any) -> Any:
    """Start the fake, open a client on it, run `fn(api)`, stop everything."""
    runner = await fake.start()
    try:
        logger = kw.pop("logger", None)
        async with open_halo_api(make_settings(fake, **kw), logger=logger) as api:
            return await fn(api)
    finally:
        await runner.cleanup()
