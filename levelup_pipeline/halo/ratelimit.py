"""Per-service adaptive rate limits that find the Halo API's limit (policy: docs/api-layer.md);
hand-written: rates retuned and paused at run time, waiters served by priority."""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import math
import os
import time
from collections import deque
from collections.abc import AsyncIterator, Callable

RPS_ENV = "LEVELUP_HALO_RPS"
MAX_RPS_ENV = "LEVELUP_HALO_MAX_RPS"
START_RPS = 5.0
CEILING_FACTOR = 4.0
#: Explicit budget a deployment running several syncs splits between its pool slots.
DEFAULT_RPS = 8.0
DEFAULT_BURST = 2  # burst of an explicit (fixed) budget
DEFAULT_MAX_IN_FLIGHT = 16
MIN_RPS = 0.5
#: Additive increase before the first 429: RAMP x START_RPS per second (5 -> 20 in 1.5 s).
RAMP = 2.0
#: Multiplicative cut on a 429, and the share of the remembered limit the rate settles at.
CUT = 0.7
SETTLE = 0.95
#: Seconds at the settled rate without a 429 before the remembered limit is raised by 5%.
PROBE_AFTER = 60.0
PROBE_STEP = 1.05
#: Latency jitter allowed for when counting what went through in the second before a 429.
WINDOW_SLACK = 0.1
#: A service counts as held back by its budget for this long after a request waited.
SATURATED_FOR = 1.0
#: History pages feed every other request; map/mode names block no match.
URGENT, NORMAL, BACKGROUND = 0, 1, 2

Clock = Callable[[], float]


def configured_rps(explicit: float | None = None) -> float | None:
    """The explicit fixed budget (value given, else `$LEVELUP_HALO_RPS`); None: adaptive."""
    return _positive(explicit, RPS_ENV, None)


def configured_ceiling(explicit: float | None = None) -> float:
    """Per-service ceiling of the adaptive budgets (value, `$LEVELUP_HALO_MAX_RPS`, 4 x 5)."""
    return _positive(explicit, MAX_RPS_ENV, START_RPS * CEILING_FACTOR) or 0.0


def _positive(explicit: float | None, env: str, default: float | None) -> float | None:
    raw = os.environ.get(env, "").strip() if explicit is None else explicit
    if raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{env} must be a number of requests/s, got {raw!r}.") from None
    if value <= 0:
        raise ValueError(f"The Halo request rate must be positive, got {value} ({env}).")
    return value


def service_of(host: str) -> str:
    """The service of a Halo host name: its first label (`gamecms-hacs` -> `gamecms`)."""
    label = (host or "").split(".", 1)[0].lower()
    return "gamecms" if label.startswith("gamecms") else label


class Budget:
    """One token bucket whose rate adapts to 429s (AIMD that settles under the limit)."""

    def __init__(
        self,
        name: str,
        start: float,
        ceiling: float,
        *,
        burst: float | None = None,
        min_rate: float = MIN_RPS,
        clock: Clock = time.monotonic,
    ) -> None:
        self.name = name
        self.start = float(start)
        self.ceiling = max(float(ceiling), self.start)
        self.rate = self.start
        self.fixed_burst = burst  # None: one second's worth of the current rate
        self.min_rate = min(float(min_rate), self.start)
        self.limit: float | None = None  # requests/s the API allowed when its last 429 came
        self.throttled = 0
        self.paused_until = 0.0  # clock instant before which nothing may be sent
        self._clock = clock
        self._tokens = self.burst
        self._last = clock()
        self._sent: deque[float] = deque()  # send times of the last two seconds
        self._cut_at = -1e18
        self._waited_at = -1e18
        self._settled_since: float | None = None
        self._queue: list[list] = []  # [priority, arrival, Event] heap of waiting requests
        self._seq = itertools.count()

    @property
    def burst(self) -> float:
        """One second's worth of the rate until a 429, then the room left under the limit."""
        if self.fixed_burst is not None:
            return self.fixed_burst
        if self.limit is not None:
            return max(2.0, self.limit - self.rate)
        return max(1.0, self.rate)

    def _refill(self, now: float) -> None:
        if now > self._last:
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
            self._last = now

    def try_take(self, now: float) -> float:
        """Take a token if one is there (returns 0), else the seconds to wait before retrying."""
        if now < self.paused_until:
            self._waited_at = now
            return self.paused_until - now
        self._refill(now)
        if self.limit is not None:
            # Never more than the limit in any window the API may count (1 s plus jitter).
            horizon = now - 1.0 - WINDOW_SLACK
            recent = [t for t in self._sent if t > horizon]
            if len(recent) >= max(1, math.floor(self.limit + 1e-9)):
                self._waited_at = now
                return max(1e-6, recent[0] - horizon)
        if self._tokens >= 1.0 - 1e-9:  # rounding must never leave a waiter spinning
            self._tokens = max(0.0, self._tokens - 1.0)
            self._sent.append(now)
            while self._sent[0] < now - 2.0:
                self._sent.popleft()
            return 0.0
        self._waited_at = now
        return max(1e-6, (1.0 - self._tokens) / self.rate)

    async def acquire(self, priority: int = NORMAL) -> float:
        """Wait for a token (by priority, then arrival; only the head polls); returns when."""
        entry: list = [priority, next(self._seq), asyncio.Event()]
        heapq.heappush(self._queue, entry)
        try:
            while True:
                if self._queue[0] is not entry:
                    entry[2].clear()
                    await entry[2].wait()
                    continue
                wait = self.try_take(self._clock())
                if wait <= 0:
                    heapq.heappop(self._queue)
                    if self._queue:
                        self._queue[0][2].set()
                    return self._clock()
                await asyncio.sleep(wait)
        except BaseException:
            if any(e is entry for e in self._queue):
                self._queue = [e for e in self._queue if e is not entry]
                heapq.heapify(self._queue)
                if self._queue:
                    self._queue[0][2].set()
            raise

    def pause(self, seconds: float) -> None:
        """Send nothing for `seconds` (a 429's Retry-After), then restart with an empty bucket."""
        now = self._clock()
        until = now + max(0.0, seconds)
        if until > self.paused_until:
            self._refill(now)
            self.paused_until = until
            self._tokens = 0.0
            self._last = until

    def _set_rate(self, rate: float, now: float) -> None:
        self._refill(now)
        self.rate = min(self.ceiling, max(self.min_rate, rate))
        self._tokens = min(self._tokens, self.burst)

    def on_throttled(self, sent_at: float, retry_after: float | None = None) -> None:
        """A 429: what went through in the second before is the limit; cut the rate, pause."""
        self.throttled += 1
        now = self._clock()
        if retry_after is not None:
            self.pause(retry_after)
        with contextlib.suppress(ValueError):
            self._sent.remove(sent_at)  # rejected: not in the API's window
        since = sent_at - 1.0 - WINDOW_SLACK
        went_through = float(sum(1 for t in self._sent if since <= t <= sent_at))
        if sent_at < self._cut_at and self.limit is not None:
            if went_through < self.limit:
                self.limit = max(self.min_rate, went_through, self.limit * CUT)
                self._set_rate(min(self.rate, self.limit * CUT), now)
            return
        self._cut_at = now
        self.limit = max(self.min_rate, min(self.rate, max(went_through, self.rate * CUT)))
        self._settled_since = None
        self._set_rate(self.limit * CUT, now)

    def on_success(self, sent_at: float) -> None:
        """A request went through: raise the rate if the budget held a request back lately."""
        del sent_at  # same signature as on_throttled; the clock decides
        now = self._clock()
        if now - self._waited_at > SATURATED_FOR or self.rate >= self.ceiling:
            return
        if self.limit is None:  # no 429 yet: + RAMP x START_RPS per second of held-back traffic
            self._set_rate(self.rate + RAMP * self.start / self.rate, now)
            return
        target = self.limit * SETTLE
        if self.rate < target:  # back to just under the limit within ~1 s of traffic
            step = (SETTLE - CUT) * self.limit / self.rate
            self._set_rate(min(target, self.rate + step), now)
            return
        if self._settled_since is None:
            self._settled_since = now
        elif now - self._settled_since >= PROBE_AFTER:  # the limit may have been raised
            self._settled_since = now
            self.limit = min(self.ceiling, self.limit * PROBE_STEP)
            self._set_rate(self.limit * SETTLE, now)

    def describe(self) -> str:
        """`name rate req/s` (plus the remembered limit), for logs and benchmarks."""
        limit = f" (429 at {self.limit:.1f})" if self.limit is not None else ""
        return f"{self.name} {self.rate:.1f} req/s{limit}"


class HaloRateLimiter:
    """One `Budget` per service (adaptive) or one for all (fixed), and an in-flight bound."""

    def __init__(
        self,
        fixed_rate: float | None = None,
        *,
        ceiling: float | None = None,
        burst: int = DEFAULT_BURST,
        max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
        clock: Clock = time.monotonic,
    ) -> None:
        self.fixed_rate = fixed_rate
        self.ceiling = configured_ceiling(ceiling)
        self._clock = clock
        self._budgets: dict[str, Budget] = {}
        self._shared = (
            Budget("all services", fixed_rate, fixed_rate, burst=burst, clock=clock)
            if fixed_rate is not None
            else None
        )
        self._in_flight = asyncio.Semaphore(max_in_flight)

    def budget(self, host: str) -> Budget:
        """The budget that requests to `host` draw from."""
        if self._shared is not None:
            return self._shared
        name = service_of(host)
        if name not in self._budgets:
            self._budgets[name] = Budget(name, START_RPS, self.ceiling, clock=self._clock)
        return self._budgets[name]

    @contextlib.asynccontextmanager
    async def slot(self, budget: Budget, priority: int = NORMAL) -> AsyncIterator[float]:
        """A token of `budget`, then an in-flight slot; yields when the token was taken."""
        sent_at = await budget.acquire(priority)
        async with self._in_flight:
            yield sent_at

    def describe(self) -> str:
        """One line: the mode and each budget's current rate."""
        if self._shared is not None:
            return f"fixed {self.fixed_rate:g} req/s for all services"
        return (
            f"adaptive per service, {START_RPS:g} req/s to start, up to {self.ceiling:g}"
            + "".join(f"; {b.describe()}" for b in self._budgets.values())
        )
