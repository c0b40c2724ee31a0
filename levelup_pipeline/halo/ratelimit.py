"""One adaptive rate limiter for the whole Halo client.

spnkr limits per service and only *after* a response arrived, and does not limit film
downloads at all. Here every request (film blobs included) first takes a slot bounding the
requests in flight (`asyncio.Semaphore`) and then a token from one bucket *before* it is sent.

Why a small token bucket rather than `aiolimiter.AsyncLimiter`: the limiter must be retuned
at run time (halve on 429, additive recovery) and paused as a whole until a `Retry-After`
instant. AsyncLimiter derives its rate in `__init__` and retuning or pausing it means writing
its private attributes, which a minor aiolimiter release may rename. The bucket below is a
few lines, FIFO-fair (waiters queue on an `asyncio.Lock`) and easy to reason about.

Default: 8 requests/s (`LEVELUP_HALO_RPS`), a burst of 2, 16 in flight. Halo's public
services throttle individual users at roughly 10 req/s; 8 stays below that with headroom.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import AsyncIterator

RPS_ENV = "LEVELUP_HALO_RPS"
DEFAULT_RPS = 8.0
DEFAULT_BURST = 2
DEFAULT_MAX_IN_FLIGHT = 16
MIN_RPS = 0.5
#: Successes needed (without a 429) before the rate is raised by one step.
RECOVERY_SUCCESSES = 20


def configured_rps(explicit: float | None = None) -> float:
    """Requests per second: explicit value, else `$LEVELUP_HALO_RPS`, else 8."""
    if explicit is not None:
        value = float(explicit)
    else:
        raw = os.environ.get(RPS_ENV, "").strip()
        try:
            value = float(raw) if raw else DEFAULT_RPS
        except ValueError:
            raise ValueError(f"{RPS_ENV} must be a number of requests/s, got {raw!r}.") from None
    if value <= 0:
        raise ValueError(f"The Halo request rate must be positive, got {value}.")
    return value


class AdaptiveRateLimiter:
    """Token bucket + in-flight bound, slowed by 429s and paused by Retry-After."""

    def __init__(
        self,
        rate: float = DEFAULT_RPS,
        *,
        burst: int = DEFAULT_BURST,
        max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
        min_rate: float = MIN_RPS,
        recovery_successes: int = RECOVERY_SUCCESSES,
    ) -> None:
        self.configured_rate = float(rate)
        self.rate = float(rate)
        self.burst = max(1, int(burst))
        self.min_rate = min(float(min_rate), self.configured_rate)
        self.recovery_successes = recovery_successes
        self.max_in_flight = max_in_flight
        self._tokens = float(self.burst)
        self._last = time.monotonic()
        self._paused_until = 0.0
        self._last_decrease = -1e9
        self._successes = 0
        self._lock = asyncio.Lock()
        self._in_flight = asyncio.Semaphore(max_in_flight)

    @property
    def paused_until(self) -> float:
        """Monotonic instant before which no request may be sent."""
        return self._paused_until

    def _refill(self, now: float) -> None:
        if now > self._last:
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
            self._last = now

    async def acquire(self) -> None:
        """Wait until the pause is over and a token is available, then take it."""
        async with self._lock:
            while True:
                now = time.monotonic()
                if now < self._paused_until:
                    await asyncio.sleep(self._paused_until - now)
                    continue
                self._refill(now)
                if self._tokens >= 1.0:
                    self._tokens -= 1.0
                    return
                await asyncio.sleep((1.0 - self._tokens) / self.rate)

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold an in-flight slot and a rate token for the duration of one request."""
        async with self._in_flight:
            await self.acquire()
            yield

    def pause(self, seconds: float) -> None:
        """Send nothing for `seconds` (a 429's Retry-After pauses the whole client)."""
        until = time.monotonic() + max(0.0, seconds)
        if until > self._paused_until:
            self._paused_until = until
            # No saved-up burst right after the pause: restart with an empty bucket.
            self._tokens = 0.0
            self._last = until

    def on_throttled(self) -> None:
        """A 429 arrived: halve the rate (at most once a second, floor `min_rate`)."""
        self._successes = 0
        now = time.monotonic()
        if now - self._last_decrease < 1.0:
            return
        self._last_decrease = now
        self._refill(now)
        self.rate = max(self.min_rate, self.rate / 2.0)

    def on_success(self) -> None:
        """Count a success; after a run of them raise the rate by 10% of the configured."""
        if self.rate >= self.configured_rate:
            return
        self._successes += 1
        if self._successes >= self.recovery_successes:
            self._successes = 0
            self._refill(time.monotonic())
            self.rate = min(self.configured_rate, self.rate + self.configured_rate * 0.1)
