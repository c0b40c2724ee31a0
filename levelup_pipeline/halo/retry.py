"""Bounded retries on tenacity, so a multi-hour sync survives throttling and outages (a 429
pauses its whole service); past the budget, one typed sentence."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import email.utils
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import aiohttp
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception

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


TRANSIENT = (
    RetryableStatus,
    aiohttp.ClientConnectionError,
    aiohttp.ClientPayloadError,
    TimeoutError,
)


def parse_retry_after(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date), else None."""
    if not value or not value.strip():
        return None
    with contextlib.suppress(ValueError):
        return max(0.0, float(value))
    try:
        when = email.utils.parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - (now or dt.datetime.now(dt.UTC))).total_seconds())


def backoff_delay(policy: RetryPolicy, attempt: int) -> float:
    """Exponential backoff with jitter in [50%, 100%] of min(max_delay, base * 2^(n-1))."""
    ceiling = min(policy.max_delay, policy.base_delay * (2 ** max(0, attempt - 1)))
    return ceiling * random.uniform(0.5, 1.0)


def _retryable(exc: BaseException) -> bool:
    # A bad certificate is a ClientConnectionError that retrying does not cure.
    return isinstance(exc, TRANSIENT) and not isinstance(exc, aiohttp.ClientSSLError)


def describe_failure(exc: BaseException) -> str:
    """A short, secret-free description of a transport failure."""
    if isinstance(exc, RetryableStatus):
        return f"HTTP {exc.status}"
    if isinstance(exc, asyncio.TimeoutError):
        return "timed out"
    if isinstance(exc, aiohttp.ClientConnectorError):
        return f"cannot connect to {exc.host}:{exc.port}"
    return type(exc).__name__


def _is_429(exc: BaseException | None) -> bool:
    return isinstance(exc, RetryableStatus) and exc.status == 429


async def call_with_retries(
    attempt: Callable[[], Awaitable[T]],
    *,
    policy: RetryPolicy,
    limiter: Budget,
    what: str,
    on_retry: Callable[[BaseException, float], None],
    first_sent: Callable[[], float | None],
) -> T:
    """Run `attempt` until it succeeds or the budget (counted from the first send, not the
    queueing) is spent; then raise a one-sentence typed error."""

    def wait(state: RetryCallState) -> float:
        retry_after = getattr(state.outcome and state.outcome.exception(), "retry_after", None)
        if retry_after is not None:  # only a 429 carries one
            return retry_after
        return backoff_delay(policy, state.attempt_number)

    def stop(state: RetryCallState) -> bool:
        if state.attempt_number >= policy.max_attempts:
            return True
        sent = first_sent()
        elapsed = time.monotonic() - sent if sent is not None else state.seconds_since_start
        return (elapsed or 0.0) + (state.upcoming_sleep or 0.0) > policy.max_total_wait_seconds

    def before_sleep(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        if _is_429(exc):
            limiter.pause(state.upcoming_sleep)  # the whole service waits, not just this call
        if exc is not None:
            on_retry(exc, state.upcoming_sleep)

    retrying = AsyncRetrying(
        stop=stop,
        wait=wait,
        retry=retry_if_exception(_retryable),
        before_sleep=before_sleep,
        reraise=True,
    )
    try:
        return await retrying(attempt)
    except (TimeoutError, RetryableStatus, aiohttp.ClientError) as exc:
        attempts = retrying.statistics.get("attempt_number", 1)
        waited = retrying.statistics.get("idle_for", 0.0)
        if _is_429(exc):
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
