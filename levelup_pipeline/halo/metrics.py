"""Request metrics and progress reporting for long syncs.

`ApiMetrics` is filled by `HaloApi._request`; `ProgressReporter` turns it (plus the sync
engine's item counts) into periodic log lines for Dagster's `context.log` or a std logger,
and a tqdm bar when attached to a TTY (the CLI). Nothing here ever sees headers or tokens.
"""

from __future__ import annotations

import logging
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Protocol


class LoggerLike(Protocol):
    """Anything with `info`/`warning`/`debug` (std logging.Logger, Dagster's context.log)."""

    def info(self, msg: str, *args: Any, **kwargs: Any) -> Any: ...  # noqa: D102

    def warning(self, msg: str, *args: Any, **kwargs: Any) -> Any: ...  # noqa: D102

    def debug(self, msg: str, *args: Any, **kwargs: Any) -> Any: ...  # noqa: D102


@dataclass
class ApiMetrics:
    """Counters of one client's traffic; cheap to update, snapshot for reports."""

    requests: int = 0
    per_endpoint: Counter[str] = field(default_factory=Counter)
    per_status: Counter[int] = field(default_factory=Counter)
    retries: int = 0
    throttled: int = 0
    errors: int = 0
    token_refreshes: int = 0
    started: float = field(default_factory=time.monotonic)

    def record(self, endpoint: str, status: int | None) -> None:
        """Count one request sent (status None: no response, e.g. a reset)."""
        self.requests += 1
        self.per_endpoint[endpoint] += 1
        if status is not None:
            self.per_status[status] += 1
            if status == 429:
                self.throttled += 1

    @property
    def elapsed(self) -> float:
        """Seconds since the metrics were created."""
        return max(1e-9, time.monotonic() - self.started)

    @property
    def rps(self) -> float:
        """Average requests per second so far."""
        return self.requests / self.elapsed

    def snapshot(self) -> dict[str, Any]:
        """A plain dict (for Dagster metadata or JSON)."""
        return {
            "requests": self.requests,
            "per_endpoint": dict(self.per_endpoint),
            "per_status": {str(k): v for k, v in self.per_status.items()},
            "retries": self.retries,
            "throttled": self.throttled,
            "errors": self.errors,
            "token_refreshes": self.token_refreshes,
            "elapsed_seconds": round(self.elapsed, 3),
            "rps": round(self.rps, 3),
        }


def _fmt_duration(seconds: float) -> str:
    seconds = int(max(0, seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m{secs:02d}s" if hours else f"{minutes}m{secs:02d}s"


class ProgressReporter:
    """Periodic progress lines (done/total, req/s, retries, ETA) and a tqdm bar on a TTY.

    Use: `with ProgressReporter(total, logger, metrics=api.metrics) as p: ... p.advance()`.
    """

    def __init__(
        self,
        total: int | None = None,
        logger: LoggerLike | None = None,
        *,
        metrics: ApiMetrics | None = None,
        interval_seconds: float = 30.0,
        unit: str = "matches",
        description: str = "sync",
        use_tqdm: bool | None = None,
    ) -> None:
        self.total = total
        self.done = 0
        self.logger = logger or logging.getLogger("levelup_pipeline.halo")
        self.metrics = metrics
        self.interval_seconds = interval_seconds
        self.unit = unit
        self.description = description
        self.started = time.monotonic()
        self._last_log = self.started
        if use_tqdm is None:
            use_tqdm = sys.stderr.isatty()
        self._bar = None
        if use_tqdm:
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=description, unit=unit[:-1] or unit)

    def set_total(self, total: int) -> None:
        """Set or correct the number of items expected."""
        self.total = total
        if self._bar is not None:
            self._bar.total = total
            self._bar.refresh()

    def advance(self, n: int = 1) -> None:
        """Mark `n` more items done; logs a line when the interval has passed."""
        self.done += n
        if self._bar is not None:
            self._bar.update(n)
        if time.monotonic() - self._last_log >= self.interval_seconds:
            self.log_now()

    def eta_seconds(self) -> float | None:
        """Estimated seconds left, from the item rate so far."""
        if not self.total or self.done <= 0:
            return None
        rate = self.done / max(1e-9, time.monotonic() - self.started)
        return max(0, self.total - self.done) / rate

    def line(self) -> str:
        """The progress line (no secrets: only counts and rates)."""
        total = "?" if self.total is None else str(self.total)
        parts = [f"{self.description}: {self.done}/{total} {self.unit}"]
        if self.metrics is not None:
            m = self.metrics
            parts.append(
                f"{m.requests} requests ({m.rps:.1f} req/s), {m.retries} retries, "
                f"{m.throttled} throttled, {m.errors} errors"
            )
        eta = self.eta_seconds()
        parts.append(f"ETA {_fmt_duration(eta)}" if eta is not None else "ETA ?")
        return ", ".join(parts)

    def log_now(self) -> None:
        """Log the progress line immediately."""
        self._last_log = time.monotonic()
        self.logger.info(self.line())

    def close(self) -> None:
        """Final line and close the bar."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        self.log_now()

    def __enter__(self) -> ProgressReporter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
