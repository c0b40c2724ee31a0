"""Pure units: Retry-After parsing, the adaptive limiter, progress reporting."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from levelup_pipeline.halo.metrics import ApiMetrics, ProgressReporter
from levelup_pipeline.halo.ratelimit import configured_rps
from levelup_pipeline.halo.retry import RetryPolicy, backoff_delay, parse_retry_after


def test_parse_retry_after_seconds_and_http_date() -> None:
    now = dt.datetime(2024, 5, 1, 12, 0, 0, tzinfo=dt.UTC)
    assert parse_retry_after("7", now) == 7.0
    assert parse_retry_after(" 1.5 ", now) == 1.5
    assert parse_retry_after("Wed, 01 May 2024 12:00:30 GMT", now) == 30.0
    assert parse_retry_after("Wed, 01 May 2024 11:00:00 GMT", now) == 0.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None


def test_backoff_grows_exponentially_with_jitter_and_is_capped() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=8.0)
    for attempt, ceiling in [(1, 1), (2, 2), (3, 4), (4, 8), (9, 8)]:
        d = backoff_delay(policy, attempt)
        assert ceiling / 2 <= d <= ceiling


def test_configured_rps_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LEVELUP_HALO_RPS", raising=False)
    assert configured_rps() is None  # adaptive per-service budgets
    monkeypatch.setenv("LEVELUP_HALO_RPS", "3.5")
    assert configured_rps() == 3.5
    assert configured_rps(2) == 2.0
    monkeypatch.setenv("LEVELUP_HALO_RPS", "fast")
    with pytest.raises(ValueError):
        configured_rps()


def test_progress_reporter_logs_counts_rate_and_eta(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    metrics = ApiMetrics()
    metrics.record(200)
    metrics.record(429)
    metrics.retries = 1
    logger = logging.getLogger("test.progress")
    progress = ProgressReporter(
        logger, metrics, "sync", total=10, interval_seconds=0, use_tqdm=False
    )
    progress.advance(4)
    progress.close()
    lines = [r.getMessage() for r in caplog.records if r.name == "test.progress"]
    assert lines and "4/10 matches" in lines[0] and "1 retries" in lines[0]
    assert "1 throttled" in lines[0] and "ETA 0m00s" in lines[0] and len(lines) == 2
    assert metrics.requests == 2 and metrics.throttled == 1
