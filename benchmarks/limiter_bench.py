"""Figure A: the default limiter (no LEVELUP_HALO_RPS) against an API that limits every
service at L req/s.

The simulator allows L requests in any one-second window per service (429 + Retry-After: 1
over it). A full import runs through the real `SyncEngine` in a child process with default
settings: per-service budgets starting at 5 req/s that must find L themselves. The bound is
the smallest over services of L / (requests per match to that service), i.e. the import
cannot end before its busiest service has sent its requests at L: efficiency =
(max over services of needed requests / L) / wall, where needed requests are the answers
that were not 429s. 429s are counted by the simulator, per service.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from benchmarks.data import history_world, indexed
from benchmarks.procs import sync_worker
from benchmarks.report import Figure, Report
from levelup_pipeline.simulator.knobs import Knobs
from levelup_pipeline.simulator.server import run_simulator

#: L -> matches of the history. At L = 2 a 300-match import takes ~160 s for the same
#: measure: 120 matches (~60 s at the bound, ~500 requests) keep the start-up episode
#: (the first 429s, the first second's burst) a fair share of it, not amortised away.
SIZES = {2: 120, 5: 300, 20: 300}


def _bound_seconds(stats: dict, limit: float) -> tuple[float, str]:
    """Seconds the busiest service needs at `limit` req/s, and its name."""
    needed = {
        name: stats["services"][name] - stats["throttled"][name] for name in stats["services"]
    }
    busiest = max(needed, key=needed.get)
    return needed[busiest] / limit, busiest


def adaptive(
    report: Report,
    sizes: dict[int, int] | None = None,
    latency_ms: float = 50.0,
    jitter_ms: float = 20.0,
) -> None:
    """Figure A for each L: efficiency against the bound, and the share of 429s."""
    for limit, matches in (sizes or SIZES).items():
        world = indexed(history_world(matches))
        gamertag = world.players[0].gamertag
        knobs = Knobs(latency_ms=latency_ms, jitter_ms=jitter_ms, rate_limit_rps={"*": limit})
        with run_simulator(world=world, knobs=knobs) as sim, tempfile.TemporaryDirectory() as t:
            sim.reset_stats()
            res = sync_worker(Path(t), sim.endpoint, gamertag, max_matches=matches, rps=None)
            stats = sim.stats()
        bound, busiest = _bound_seconds(stats, limit)
        efficiency = bound / res["sync_seconds"]
        answered = sum(stats["services"].values())
        throttled = sum(stats["throttled"].values())
        share = throttled / max(answered, 1)
        per_service = ", ".join(f"{k} {v}" for k, v in stats["throttled"].items() if v)
        cond = f"L = {limit} req/s per service, {res['fetched']} matches, {latency_ms:g} ms"
        report.add(
            Figure(
                "A",
                f"default limiter, L = {limit}: wall / bound",
                f"{res['sync_seconds']:.1f} / {bound:.1f} s",
                note=f"{cond}; busiest service {busiest}; {res['limiter']}",
            ),
            Figure(
                "A",
                f"default limiter, L = {limit}: efficiency against the bound",
                efficiency,
                "",
                ">= 0.85",
                efficiency >= 0.85,
                cond,
            ),
            Figure(
                "A",
                f"default limiter, L = {limit}: 429s / requests",
                f"{throttled} / {answered} ({share:.1%})",
                "",
                "<= 2%",
                share <= 0.02,
                f"per service: {per_service or 'none'}",
            ),
        )
