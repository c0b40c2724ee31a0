"""Figures 1, 2 and 6b: sync throughput against the rate limit, the sequential baseline, and
the peak memory of a 10,000-match full sync.

The simulator serves from a background thread of this process; every sync runs in a child
process (benchmarks.sync_worker), so client and simulator never share a GIL.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from benchmarks.data import history_world, indexed
from benchmarks.procs import sync_worker
from benchmarks.report import Figure, Report
from levelup_pipeline.simulator.knobs import Knobs
from levelup_pipeline.simulator.server import run_simulator


def _api_requests(stats: dict) -> int:
    """Requests the simulator answered, sign-in excluded."""
    return sum(n for name, n in stats["requests"].items() if name != "auth")


def throughput(
    report: Report,
    matches: int = 1000,
    sequential_matches: int = 150,
    rps: float = 100.0,
    latency_ms: float = 50.0,
    jitter_ms: float = 20.0,
) -> None:
    """Full sync of a `matches` history at `rps`, then the sequential baseline (same API)."""
    world = indexed(history_world(matches))
    gamertag = world.players[0].gamertag
    knobs = Knobs(latency_ms=latency_ms, jitter_ms=jitter_ms)
    with run_simulator(world=world, knobs=knobs) as sim, tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        sim.reset_stats()
        conc = sync_worker(
            root / "c", sim.endpoint, gamertag, max_matches=matches, rps=rps, transform=True
        )
        served = _api_requests(sim.stats())
        sim.reset_stats()
        seq = sync_worker(
            root / "s",
            sim.endpoint,
            gamertag,
            max_matches=sequential_matches,
            rps=rps,
            style="sequential",
        )
    wall, requests, fetched = conc["sync_seconds"], conc["requests"], conc["fetched"]
    efficiency = (requests / rps) / wall
    # Both ends compared with the matches in their tables: the concurrent sync plus its bulk
    # transform, against the ancestor's fetch-then-insert-row-by-row (writes included).
    per_match = (wall + conc["transform_seconds"]) / max(fetched, 1)
    seq_per_match = seq["sync_seconds"] / max(seq["fetched"], 1)
    speedup = seq_per_match / per_match
    latency = (latency_ms + jitter_ms / 2) / 1000
    bound = latency * rps
    cond = f"{latency_ms:g} ms + 0-{jitter_ms:g} ms jitter, R = {rps:g} req/s"
    report.add(
        Figure("1", "full sync: matches fetched", fetched, "", note=cond),
        Figure("1", "full sync: API requests (client / simulator)", f"{requests} / {served}"),
        Figure("1", "full sync: k, requests per match", requests / max(fetched, 1)),
        Figure("1", "full sync: wall time", wall, "s"),
        Figure("1", "full sync: matches per second", fetched / wall, "match/s"),
        Figure(
            "1",
            "full sync: efficiency (requests/R)/wall",
            efficiency,
            "",
            ">= 0.90",
            efficiency >= 0.90,
            cond,
        ),
        Figure("1", "full sync: peak RSS (1k, + transform)", conc["peak_rss_mb"], "MB"),
        Figure(
            "2",
            "concurrent: seconds per match, sync + bulk transform",
            per_match,
            "s",
            note=f"transform + aggregates {conc['transform_seconds']:.2f} s",
        ),
        Figure(
            "2",
            f"sequential baseline: wall for {seq['fetched']} matches",
            seq["sync_seconds"],
            "s",
            note="one match at a time, stats -> skill -> film, rows inserted one by one",
        ),
        Figure("2", "sequential baseline: seconds per match", seq_per_match, "s"),
        Figure(
            "2",
            "speed-up over sequential (per match)",
            speedup,
            "x",
            ">= 10x",
            speedup >= 10,
            f"fetch alone is bound by latency x R = {latency:.3f} s x {rps:g}/s = {bound:.1f}x;"
            " the rest is the ancestor's row-by-row writes",
        ),
    )


def _full_sync(matches: int, rps: float) -> dict:
    """A full sync (+ transform) of a `matches` history in its own process; its measurements."""
    world = indexed(history_world(matches))
    gamertag = world.players[0].gamertag
    with run_simulator(world=world) as sim, tempfile.TemporaryDirectory() as tmp:
        return sync_worker(
            Path(tmp),
            sim.endpoint,
            gamertag,
            max_matches=matches,
            rps=rps,
            transform=True,
        )


def memory(
    report: Report, matches: int = 10_000, rps: float = 100_000.0, short: int | None = None
) -> None:
    """Peak RSS of a full sync of a `matches` history (unthrottled, then transform), next to
    the same for a history ten times shorter: memory must not grow with history length."""
    res = _full_sync(matches, rps)
    small = _full_sync(short or max(matches // 10, 1), rps)
    report.add(
        Figure(
            "6",
            f"peak RSS of a {res['fetched']:,}-match full sync (+ transform)",
            res["peak_rss_mb"],
            "MB",
            "<= 600 MB",
            res["peak_rss_mb"] <= 600,
            f"process at start {res['rss_before_mb']:.0f} MB",
        ),
        Figure(
            "6",
            "  of which: peak at the end of the sync, before the transform",
            res["sync_peak_rss_mb"],
            "MB",
        ),
        Figure(
            "6",
            f"  the same for {small['fetched']:,} matches: sync / sync + transform",
            f"{small['sync_peak_rss_mb']:.0f} / {small['peak_rss_mb']:.0f} MB",
            note="growth with history length: compare with the two lines above",
        ),
        Figure(
            "6",
            f"{res['fetched']:,}-match full sync: matches per second (unthrottled)",
            res["fetched"] / res["sync_seconds"],
            "match/s",
        ),
    )
