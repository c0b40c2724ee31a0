"""The first history page `levelup sync`'s delta pre-check read, handed to the run it starts
in the same process, so the run does not ask for it again.

Asking again costs a round trip and one request of halostats' budget: with the budget's
one-second burst of 5, the history page plus 5 new matches' stats is one request too many,
and the last match waited 0.2 s. The pre-check offers the page it read; the run takes it
once, for the same player, match type and page size, and only within `MAX_AGE_SECONDS`: using
it is the same as starting the sync when the pre-check ran. The CLI drops it once the player's
turn is over, whether a run started or not.
"""

from __future__ import annotations

import time
from typing import Any

MAX_AGE_SECONDS = 30.0

_offered: tuple[tuple[str, str, int], float, dict[str, Any]] | None = None


def offer(xuid: str, match_type: str, count: int, page: dict[str, Any]) -> None:
    """Keep the first page (start 0) of `xuid`'s history for the run about to start."""
    global _offered
    _offered = ((xuid, match_type, count), time.monotonic(), page)


def take(xuid: str, start: int, count: int, match_type: str) -> dict[str, Any] | None:
    """The offered page if it is this one and fresh (once), else None."""
    global _offered
    if start != 0 or _offered is None:
        return None
    (key, at, page), _offered = _offered, None
    if key != (xuid, match_type, count) or time.monotonic() - at > MAX_AGE_SECONDS:
        return None
    return page


def drop() -> None:
    """Forget any offered page."""
    global _offered
    _offered = None
