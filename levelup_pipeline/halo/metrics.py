"""Request counters and progress lines of long syncs (counts and rates only, never a token)."""

from __future__ import annotations

import logging
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Protocol


class LoggerLike(Protocol):
    """Anything with `info`/`warning` (std logging.Logger, Dagster's context.log)."""

    def info(self, msg: str, *args: Any, **kwargs: Any) -> Any: ...  # noqa: D102

    def warning(self, msg: str, *args: Any, **kwargs: Any) -> Any: ...  # noqa: D102


@dataclass
class ApiMetrics:
    """Counters of one client's traffic, filled by `HaloApi._request`."""

    requests: int = 0
    retries: int = 0
    throttled: int = 0
    errors: int = 0
    started: float = field(default_factory=time.monotonic)

    def record(self, status: int | None) -> None:
        """Count one request sent (status None: no response, e.g. a reset)."""
        self.requests += 1
        self.throttled += status == 429

    @property
    def rps(self) -> float:
        """Average requests per second so far."""
        return self.requests / max(1e-9, time.monotonic() - self.started)


class ProgressReporter:
    """Progress lines (done/total, req/s, retries, ETA) every `interval_seconds` to a logger,
    and a tqdm bar on a terminal."""

    def __init__(
        self,
        total: int | None = None,
        logger: LoggerLike | None = None,
        *,
        metrics: ApiMetrics | None = None,
        interval_seconds: float = 30.0,
        description: str = "sync",
        use_tqdm: bool | None = None,
    ) -> None:
        self.total = total
        self.done = 0
        self.logger = logger or logging.getLogger("levelup_pipeline.halo")
        self.metrics = metrics
        self.interval_seconds = interval_seconds
        self.description = description
        self.started = self._last_log = time.monotonic()
        self._bar = None
        use_tqdm = sys.stderr.isatty() if use_tqdm is None else use_tqdm
        if use_tqdm:
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=description, unit="match")

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
            self._log()

    def line(self) -> str:
        """The progress line."""
        total = "?" if self.total is None else str(self.total)
        parts = [f"{self.description}: {self.done}/{total} matches"]
        if (m := self.metrics) is not None:
            parts.append(
                f"{m.requests} requests ({m.rps:.1f} req/s), {m.retries} retries, "
                f"{m.throttled} throttled, {m.errors} errors"
            )
        eta = "?"
        if self.total and self.done > 0:
            left = max(0, self.total - self.done) * (time.monotonic() - self.started) / self.done
            minutes, secs = divmod(int(left), 60)
            hours, minutes = divmod(minutes, 60)
            eta = f"{hours}h{minutes:02d}m{secs:02d}s" if hours else f"{minutes}m{secs:02d}s"
        return ", ".join([*parts, f"ETA {eta}"])

    def _log(self) -> None:
        self._last_log = time.monotonic()
        self.logger.info(self.line())

    def close(self) -> None:
        """Final line and close the bar."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        self._log()
