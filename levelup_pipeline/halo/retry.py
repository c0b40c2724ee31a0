"""Retries that a multi-hour sync can rely on, built on tenacity.

* 429: wait for `Retry-After` (seconds or an HTTP date; absent -> exponential backoff). The
  wait pauses the service's budget, so no request to that service goes out before it elapses.
* 5xx, 408, timeouts, connection resets: exponential backoff with jitter.
* 400/401/403/404/410 and TLS certificate errors: never retried here (401 is handled once by
  the client with a token refresh).
* Bounded: at most `max_attempts` attempts and `max_total_wait_seconds` since the first try,
  then `RateLimitExhausted` / `HaloApiUnavailable` with one sentence.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import aiohttp
from tenacity import AsyncRetrying, RetryCallState

from levelup_pipeline.halo.errors import HaloApiUnavailable, RateLimitExhausted
from levelup_pipeline.halo.ratelimit import Budget

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """Retry budget. Defaults suit a real multi-hour run; tests shrink the delays."""

    max_attempts: int = 6
    max_total_wait_seconds: float = 300.0
    base_delay: float = 1.0
    max_delay: float = 60.0


class RetryableStatus(Exception):
    """An HTTP status worth retrying (429, 408, 5xx); carries the parsed Retry-After."""

    def __init__(self, status: int, retry_after: float | None = None) -> None:
        self.status = status
        self.retry_after = retry_after
        super().__init__(f"HTTP {status}")


def parse_retry_after(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date), else None."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    now = now or dt.datetime.now(dt.UTC)
    return max(0.0, (when - now).total_seconds())


def backoff_delay(policy: RetryPolicy, attempt: int) -> float:
    """Exponential backoff with jitter in [50%, 100%] of min(max_delay, base * 2^(n-1))."""
    ceiling = min(policy.max_delay, policy.base_delay * (2 ** max(0, attempt - 1)))
    return ceiling * random.uniform(0.5, 1.0)


def is_retryable(exc: BaseException) -> bool:
    """Whether an attempt's exception deserves another attempt."""
    if isinstance(exc, aiohttp.ClientSSLError):
        return False  # a bad certificate does not get better by retrying
    return isinstance(
        exc,
        RetryableStatus
        | aiohttp.ClientConnectionError
        | aiohttp.ClientPayloadError
        | asyncio.TimeoutError,
    )


def describe_failure(exc: BaseException) -> str:
    """A short, secret-free description of a transport failure."""
    if isinstance(exc, RetryableStatus):
        return f"HTTP {exc.status}"
    if isinstance(exc, asyncio.TimeoutError):
        return "timed out"
    if isinstance(exc, aiohttp.ClientConnectorError):
        return f"cannot connect to {exc.host}:{exc.port}"
    return type(exc).__name__


async def call_with_retries(
    attempt: Callable[[], Awaitable[T]],
    *,
    policy: RetryPolicy,
    limiter: Budget,
    what: str,
    on_retry: Callable[[BaseException, float], None] | None = None,
    first_sent: Callable[[], float | None] | None = None,
) -> T:
    """Run `attempt` until it succeeds or the budget is spent; raise one-line typed errors.

    `what` names the request in messages (e.g. "GET halostats.svc.halowaypoint.com/hi/...").
    `first_sent` gives the monotonic time the request was first sent: the waiting budget
    counts from then, not from the time it joined its service's queue (a request can wait
    there for minutes behind a long import and must not then fail on its first 429).
    """

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, RetryableStatus) and exc.status == 429 and exc.retry_after is not None:
            return exc.retry_after
        return backoff_delay(policy, state.attempt_number)

    def stop(state: RetryCallState) -> bool:
        if state.attempt_number >= policy.max_attempts:
            return True
        sent = first_sent() if first_sent is not None else None
        if sent is not None:
            elapsed = time.monotonic() - sent
        else:
            elapsed = state.seconds_since_start or 0.0
        return elapsed + (state.upcoming_sleep or 0.0) > policy.max_total_wait_seconds

    def before_sleep(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        sleep = state.upcoming_sleep or 0.0
        if isinstance(exc, RetryableStatus) and exc.status == 429:
            limiter.pause(sleep)  # the whole service waits, not just this coroutine
        if on_retry is not None and exc is not None:
            on_retry(exc, sleep)

    retrying = AsyncRetrying(
        stop=stop,
        wait=wait,
        retry=lambda state: bool(
            state.outcome and state.outcome.failed and is_retryable(state.outcome.exception())
        ),
        before_sleep=before_sleep,
        reraise=True,
    )
    try:
        return await retrying(attempt)
    except (TimeoutError, RetryableStatus, aiohttp.ClientError) as exc:
        attempts = retrying.statistics.get("attempt_number", 1)
        waited = retrying.statistics.get("idle_for", 0.0)
        if isinstance(exc, RetryableStatus) and exc.status == 429:
            raise RateLimitExhausted(
                f"The Halo API kept rate-limiting {what} (HTTP 429) after {attempts} attempts "
                f"and {waited:.0f}s of waiting; try again later, or set a lower fixed rate "
                "with --rps / LEVELUP_HALO_RPS."
            ) from None
        raise HaloApiUnavailable(
            f"The Halo API is unavailable: {what} failed after {attempts} attempt(s) and "
            f"{waited:.0f}s of waiting (last error: {describe_failure(exc)}); try again later, "
            "the next sync resumes where this one stopped."
        ) from None
