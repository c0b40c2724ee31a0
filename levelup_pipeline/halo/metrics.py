"""Request counters and progress lines of long syncs (counts and rates only, never a token)."""

from __future__ import annotations

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


@dataclass
class ProgressReporter:
    """Progress lines (done/total, req/s, retries, ETA) to a logger; a tqdm bar on a terminal."""

    logger: LoggerLike
    metrics: ApiMetrics
    description: str
    total: int | None = None
    interval_seconds: float = 30.0
    use_tqdm: bool | None = None  # None: when stderr is a terminal
    done: int = 0
    started: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self._last_log = self.started
        self._bar = None
        if sys.stderr.isatty() if self.use_tqdm is None else self.use_tqdm:
            from tqdm import tqdm

            self._bar = tqdm(total=self.total, desc=self.description, unit="match")

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

    def _log(self) -> None:
        self._last_log = time.monotonic()
        total = "?" if self.total is None else str(self.total)
        parts = [f"{self.description}: {self.done}/{total} matches"]
        m = self.metrics
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
        self.logger.info(", ".join([*parts, f"ETA {eta}"]))

    def close(self) -> None:
        """Final line and close the bar."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        self._log()
