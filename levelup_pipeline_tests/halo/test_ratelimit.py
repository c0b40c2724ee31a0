"""The per-service limiter, deterministically: a fake clock for the policy, and a discrete-event
simulation (virtual time, no sleeping) of saturating traffic against a server that allows L
requests in any one-second window, as the simulator and the Halo API do."""

from __future__ import annotations

import asyncio
import heapq
from collections import deque
from dataclasses import dataclass

import pytest

from levelup_pipeline.halo.ratelimit import (
    CUT,
    PROBE_AFTER,
    RAMP,
    SETTLE,
    START_RPS,
    Budget,
    HaloRateLimiter,
    configured_ceiling,
    configured_rps,
    service_of,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_services_are_the_first_label_of_the_host() -> None:
    assert service_of("halostats.svc.halowaypoint.com") == "halostats"
    assert service_of("discovery-infiniteugc.svc.halowaypoint.com") == "discovery-infiniteugc"
    assert service_of("blobs-infiniteugc.svc.halowaypoint.com") == "blobs-infiniteugc"
    assert service_of("gamecms-hacs.svc.halowaypoint.com") == "gamecms"


def test_settings_default_to_adaptive_with_a_4x_ceiling(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LEVELUP_HALO_RPS", raising=False)
    monkeypatch.delenv("LEVELUP_HALO_MAX_RPS", raising=False)
    assert configured_rps() is None
    assert configured_ceiling() == 4 * START_RPS == 20
    monkeypatch.setenv("LEVELUP_HALO_RPS", "3.5")
    monkeypatch.setenv("LEVELUP_HALO_MAX_RPS", "40")
    assert configured_rps() == 3.5 and configured_rps(2) == 2.0
    assert configured_ceiling() == 40
    monkeypatch.setenv("LEVELUP_HALO_MAX_RPS", "fast")
    with pytest.raises(ValueError, match="LEVELUP_HALO_MAX_RPS"):
        configured_ceiling()


def test_each_service_has_its_own_budget_unless_a_rate_is_fixed() -> None:
    adaptive = HaloRateLimiter()
    stats = adaptive.budget("halostats.svc.halowaypoint.com")
    assert stats is adaptive.budget("halostats.svc.halowaypoint.com")
    assert stats is not adaptive.budget("skill.svc.halowaypoint.com")
    assert stats.rate == START_RPS and stats.burst == START_RPS
    fixed = HaloRateLimiter(100.0)
    one = fixed.budget("halostats.svc.halowaypoint.com")
    assert one is fixed.budget("skill.svc.halowaypoint.com") and one.rate == 100.0
    assert one.burst == 2 and one.ceiling == 100.0


def test_burst_of_one_second_then_the_rate() -> None:
    clock = FakeClock()
    budget = Budget("halostats", 5, 20, clock=clock)
    assert [budget.try_take(clock.now) for _ in range(5)] == [0.0] * 5
    assert budget.try_take(clock.now) == pytest.approx(0.2)


def test_rate_rises_only_while_the_budget_holds_the_service_back() -> None:
    clock = FakeClock()
    budget = Budget("skill", 5, 20, clock=clock)
    for _ in range(50):  # light traffic: tokens always there, no wait
        clock.now += 1.0
        assert budget.try_take(clock.now) == 0.0
        budget.on_success(clock.now)
    assert budget.rate == 5
    budget.try_take(clock.now)  # the bucket is not empty yet...
    while budget.try_take(clock.now) == 0.0:
        pass  # ...now a request waits: held back
    budget.on_success(clock.now)
    # + RAMP x START_RPS per second of traffic: one success of the five a second brings 2 x 1
    assert budget.rate == pytest.approx(5 + RAMP * START_RPS / 5)
    for _ in range(200):
        budget.try_take(clock.now)
        budget.on_success(clock.now)
    assert budget.rate == 20  # the ceiling


def test_429_remembers_the_rate_it_came_at_cuts_pauses_and_settles_just_under() -> None:
    clock = FakeClock()
    budget = Budget("halostats", 5, 20, clock=clock)
    budget.rate = 12.0
    for _ in range(10):  # ten sent in the second before the 429
        clock.now += 0.1
        budget._sent.append(clock.now)
    clock.now += 0.05
    sent_at = clock.now
    budget.on_throttled(sent_at, retry_after=1.0)
    # ten went through in the second before it, at a bucket rate of 12 (a burst): limit 10
    assert budget.limit == 10 and budget.rate == pytest.approx(10 * CUT)
    assert budget.paused_until == pytest.approx(clock.now + 1.0)
    assert budget.try_take(clock.now) == pytest.approx(1.0)
    budget.on_throttled(sent_at - 0.01, retry_after=1.0)  # sent before the cut: same episode
    assert budget.rate == pytest.approx(10 * CUT) and budget.throttled == 2
    assert budget.limit == 10  # sent_at - 0.01 was never recorded as sent: nothing refined
    clock.now += 1.0
    for _ in range(100):
        budget.try_take(clock.now)
        budget.on_success(clock.now)
    assert budget.rate == pytest.approx(10 * SETTLE)  # not back to 12, not above the limit
    assert budget.burst == 2  # enough to catch up after a late wake-up...
    clock.now += 5.0  # ...but after an idle spell, never more than the limit in a window
    taken = []
    while clock.now < 1060:
        wait = budget.try_take(clock.now)
        if wait == 0:
            taken.append(clock.now)
        clock.now += max(wait, 0.001)
    assert max(sum(1 for t in taken if s - 1.1 < t <= s) for s in taken) <= 10
    budget.on_success(clock.now)  # held back at the settled rate: the quiet spell starts
    clock.now += PROBE_AFTER + 1
    while budget.try_take(clock.now) == 0.0:
        pass  # held back again
    budget.on_success(clock.now)
    assert budget.limit == pytest.approx(10.5)  # probing above after a long quiet spell


def test_pause_blocks_every_acquirer() -> None:
    async def main() -> float:
        budget = Budget("halostats", 100, 100, burst=5)
        budget.pause(0.3)
        loop = asyncio.get_running_loop()
        start = loop.time()
        await asyncio.gather(*(budget.acquire() for _ in range(3)))
        return loop.time() - start

    assert asyncio.run(main()) >= 0.29


@dataclass
class Outcome:
    sent: int
    ok: int
    throttled: int
    seconds: float

    @property
    def share_of_limit(self) -> float:
        return self.ok / self.seconds


def simulate(
    budget: Budget,
    clock: FakeClock,
    limit: float,
    seconds: float,
    *,
    workers: int = 16,
    latency: float = 0.05,
    retry_after: float = 1.0,
) -> Outcome:
    """Saturating traffic through `budget` to a server allowing `limit` requests in any
    one-second window (counted on arrival, like the simulator), in virtual time."""
    t0 = clock.now
    events: list[tuple[float, int, str, float]] = [(t0, 0, "poll", 0.0)]
    seq = 1
    idle, window = workers, deque()
    polling = True
    sent = ok = throttled = 0

    def push(at: float, kind: str, payload: float = 0.0) -> None:
        nonlocal seq
        heapq.heappush(events, (at, seq, kind, payload))
        seq += 1

    while events:
        t, _, kind, payload = heapq.heappop(events)
        if t > t0 + seconds:
            break
        clock.now = t
        if kind == "poll":
            wait = budget.try_take(t)
            if wait > 0:
                push(t + wait, "poll")
                continue
            idle -= 1
            sent += 1
            push(t + latency, "arrive", t)
            if idle:
                push(t, "poll")
            else:
                polling = False
        elif kind == "arrive":
            while window and t - window[0] > 1.0:
                window.popleft()
            if len(window) >= limit:
                push(t + latency, "429", payload)
            else:
                window.append(t)
                push(t + latency, "200", payload)
        else:
            if kind == "429":
                throttled += 1
                budget.on_throttled(payload, retry_after)
            else:
                ok += 1
                budget.on_success(payload)
            idle += 1
            if not polling:
                polling = True
                push(t, "poll")
    return Outcome(sent, ok, throttled, seconds)


@pytest.mark.parametrize(("limit", "seconds"), [(2, 300), (5, 120), (20, 60)])
def test_adaptive_budget_finds_the_limit_with_few_429s(limit: int, seconds: float) -> None:
    clock = FakeClock()
    budget = Budget("halostats", START_RPS, 4 * START_RPS, clock=clock)
    out = simulate(budget, clock, limit, seconds)
    assert out.share_of_limit >= 0.85 * limit, out
    assert out.throttled <= 0.02 * out.sent, out


def test_unlimited_service_climbs_to_the_ceiling_and_stays() -> None:
    clock = FakeClock()
    budget = Budget("halostats", START_RPS, 20, clock=clock)
    out = simulate(budget, clock, 1000, 30)
    assert budget.rate == 20 and out.throttled == 0
    assert out.share_of_limit >= 0.85 * 20


def test_fixed_budget_never_exceeds_its_rate() -> None:
    clock = FakeClock()
    budget = HaloRateLimiter(10.0, clock=clock).budget("halostats.svc.halowaypoint.com")
    out = simulate(budget, clock, 1000, 30)
    assert 9.5 <= out.share_of_limit <= 10.2 and budget.rate == 10.0


def test_a_bursts_429s_refine_the_limit_to_what_went_through() -> None:
    clock = FakeClock()
    budget = Budget("halostats", 5, 20, clock=clock)
    sent = [budget.try_take(clock.now) == 0.0 and clock.now for _ in range(5)]
    clock.now += 0.1
    for sent_at in sent[2:]:  # the API let 2 of the 5 through
        budget.on_throttled(sent_at, retry_after=1.0)
    # 4 went through before the first 429 (limit 4), then 3, then 2 - each 429 lowering the
    # limit by at most CUT: 4 -> 3 -> 2.1; the rate follows, under the limit.
    assert budget.limit == pytest.approx(3 * CUT) and budget.rate == pytest.approx(3 * CUT * CUT)
    assert budget.throttled == 3
