"""What a sync reports: its numbers (`SyncReport`) and its progress to whoever watches."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


class Progress(Protocol):
    """What the engine tells whoever watches (`halo.metrics.ProgressReporter` fits)."""

    def set_total(self, total: int) -> None: ...

    def advance(self, n: int = 1) -> None: ...

    def close(self) -> None: ...


class NoProgress:
    """Progress nobody watches."""

    def set_total(self, total: int) -> None:
        pass

    def advance(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


@dataclass
class SyncReport:
    """What one sync did: the numbers shown in the run's metadata and on the CLI."""

    gamertag: str
    xuid: str
    mode: str
    history_seen: int = 0
    already_stored: int = 0
    planned: int = 0
    fetched: int = 0
    unavailable: list[str] = field(default_factory=list)
    skill_gaps: int = 0
    film_gaps: int = 0
    capped: bool = False
    cursor: str | None = None
    ugc_assets: int = 0
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        """True when the sync stored anything new."""
        return self.fetched > 0
