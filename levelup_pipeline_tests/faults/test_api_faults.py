"""The API misbehaves (429 storms, 5xx bursts, stalls, resets, a lasting outage): the sync
retries within its budget and ends with exactly the database of a fault-free sync, or fails
in one sentence with nothing half-written and resumes on the next run."""

from __future__ import annotations

import threading
import time

import pytest

from levelup_pipeline.ingest import engine
from levelup_pipeline.simulator.knobs import RESET, STALL
from levelup_pipeline_tests.faults.helpers import assert_same_as

pytestmark = pytest.mark.faults


def _data_times(bed, status: int) -> list[float]:
    """Arrival times of API (non-auth) requests answered with `status`."""
    return [t for t, endpoint, s in bed.sim.request_log if endpoint != "auth" and s == status]


def _watch(bed, endpoint: str, count: int, action) -> threading.Thread:
    """Run `action()` once the simulator has answered `count` requests of `endpoint`."""

    def watch() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if bed.sim.stats()["requests"][endpoint] >= count:
                action()
                return
            time.sleep(0.002)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def _storm(bed, retry_after: float | None, seconds: float = 0.6) -> threading.Thread:
    """From the first match fetch on, the server refuses (429) nearly everything for
    `seconds`: one request per service and second gets through."""
    knobs = bed.sim.knobs
    knobs.retry_after_seconds = retry_after

    def storm() -> None:
        knobs.rate_limit_rps = {"*": 0.001}
        time.sleep(seconds)
        knobs.rate_limit_rps = {}

    return _watch(bed, "match_stats", 1, storm)


def test_429_storm_with_retry_after_pauses_then_completes(bed):
    storm = _storm(bed, retry_after=0.3)
    outcome = bed.sync()
    storm.join()
    assert outcome.success, outcome.error
    assert bed.sim.stats()["responses"]["429"] >= 2
    first_429 = min(_data_times(bed, 429))
    first_ok_after = min(t for t in _data_times(bed, 200) if t > first_429 + 0.01)
    # Retry-After pauses the whole client: nothing else is sent before it has elapsed.
    assert first_ok_after - first_429 >= 0.3 * 0.9
    assert_same_as(bed.store(), bed.baseline())


def test_429_storm_without_retry_after_backs_off_then_completes(bed):
    storm = _storm(bed, retry_after=None)
    # Exponential backoff with jitter must outlast the storm within the attempt budget.
    halo = {"max_attempts": 8, "retry_base_delay_seconds": 0.1, "retry_max_delay_seconds": 0.5}
    outcome = bed.sync(halo=halo)
    storm.join()
    assert outcome.success, outcome.error
    assert bed.sim.stats()["responses"]["429"] >= 3
    assert_same_as(bed.store(), bed.baseline())


def test_5xx_bursts_and_random_errors_are_retried(bed):
    knobs = bed.sim.knobs
    knobs.fail_next_n(500, 4)  # hits the first, sequential requests (player lookup)
    knobs.fail_next_n(503, 6, "match_stats")
    knobs.fail_next_n(502, 4, "film_chunk")
    knobs.error_rate_5xx = 0.1
    outcome = bed.sync()
    assert outcome.success, outcome.error
    responses = bed.sim.stats()["responses"]
    assert responses["503"] == 6 and responses["502"] == 4 and responses["500"] >= 4
    assert_same_as(bed.store(), bed.baseline())


def test_latency_spikes_and_timeouts_are_retried(bed):
    knobs = bed.sim.knobs
    knobs.jitter_ms = 40  # every request gets up to 40 ms of extra latency
    knobs.stall_seconds = 2.5  # ...and a few hang longer than the client's timeout
    knobs.fail_next_n(STALL, 5, "match_stats")
    knobs.fail_next_n(STALL, 3, "film")
    started = time.monotonic()
    outcome = bed.sync(halo={"request_timeout_seconds": 1.0})
    assert outcome.success, outcome.error
    assert time.monotonic() - started >= 1.0  # at least one request did time out
    assert_same_as(bed.store(), bed.baseline())


def test_connection_resets_are_retried(bed):
    bed.sim.knobs.fail_next_n(RESET, 10)
    bed.sim.knobs.fail_next_n(RESET, 4, "film_chunk")
    outcome = bed.sync()
    assert outcome.success, outcome.error
    assert bed.sim.stats()["responses"]["499"] == 14  # the simulator's count of dropped ones
    assert_same_as(bed.store(), bed.baseline())


def test_permanent_outage_fails_clearly_keeps_whole_matches_and_resumes(bed, monkeypatch):
    monkeypatch.setattr(engine, "BATCH_SIZE", 3)  # several committed batches before the outage
    # The outage starts once 8 matches had their last request (film chunk) answered.
    watcher = _watch(bed, "film_chunk", 8, lambda: setattr(bed.sim.knobs, "error_rate_5xx", 1.0))
    outcome = bed.sync(halo={"max_attempts": 3})
    watcher.join()
    assert not outcome.success
    assert "\n" not in outcome.error
    assert outcome.error.startswith("The Halo API is unavailable"), outcome.error
    assert "after 3 attempt(s)" in outcome.error
    assert outcome.error.endswith("the next sync resumes where this one stopped.")

    with bed.store().reader() as con:
        kept = con.execute("SELECT count(*) FROM raw_match_json").fetchone()[0]
        partial = con.execute(
            "SELECT match_id, skill_status, film_status FROM raw_match_json"
            " WHERE 'failed' IN (skill_status, film_status)"
            " OR (skill_status = 'ok' AND skill_json_zst IS NULL)"
            " OR (film_status = 'ok' AND highlights_json_zst IS NULL)"
        ).fetchall()
    assert not partial, f"matches stored with a gap left by the outage: {partial}"
    assert 0 < kept < len(bed.match_ids())

    bed.sim.knobs.error_rate_5xx = 0.0
    bed.sim.reset_stats()
    outcome = bed.sync()
    assert outcome.success, outcome.error
    assert outcome.metadata["raw_match_json"]["already_stored"] == kept
    assert bed.sim.stats()["requests"]["match_stats"] == len(bed.match_ids()) - kept
    assert_same_as(bed.store(), bed.baseline())
