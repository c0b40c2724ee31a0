"""Which matches a sync must fetch: the history newest-first under the delta/full rules of
docs/operations.md (a delta's resume cursor skips the stored matches above a gap)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

from levelup_pipeline.ingest.options import SyncOptions

PAGE_SIZE = 25


@dataclass(frozen=True)
class PlannedMatch:
    """A history entry that must be fetched."""

    match_id: str
    start_time: str


@dataclass
class DiscoveryResult:
    """The plan of a sync, and how the walk ended."""

    planned: list[PlannedMatch] = field(default_factory=list)
    seen: int = 0
    already_stored: int = 0
    capped: bool = False
    reached_end: bool = False


StoredFilter = Callable[[Iterable[str]], set[str]]


async def discover(
    fetch_page: Callable[[int, int], Awaitable[dict]],
    stored: StoredFilter,
    options: SyncOptions,
    cursor: str | None,
    on_page: Callable[[list[PlannedMatch]], Awaitable[None]] | None = None,
) -> DiscoveryResult:
    """The matches to fetch, newest first; `on_page` gets each page's as soon as it is read."""
    result = DiscoveryResult()
    start = 0
    while True:
        page = await fetch_page(start, PAGE_SIZE)
        entries = [e for e in (page.get("Results") or []) if e.get("MatchId")]
        first_new = len(result.planned)
        done = _walk_page(result, entries, stored, options, cursor)
        if on_page is not None and len(result.planned) > first_new:
            await on_page(result.planned[first_new:])
        if done:
            return result
        if len(entries) < PAGE_SIZE:
            result.reached_end = True
            return result
        start += len(entries)


def _walk_page(
    result: DiscoveryResult,
    entries: list[dict],
    stored: StoredFilter,
    options: SyncOptions,
    cursor: str | None,
) -> bool:
    """Apply the delta/full rules to one page; True when the walk must stop here."""
    known = stored(e["MatchId"] for e in entries)
    for entry in entries:
        match_id = str(entry["MatchId"])
        start_time = str((entry.get("MatchInfo") or {}).get("StartTime") or "")
        result.seen += 1
        if match_id in known:
            result.already_stored += 1
            if options.mode == "delta" and not (cursor and start_time >= cursor):
                return True
        else:
            result.planned.append(PlannedMatch(match_id, start_time))
            if options.mode == "delta" and len(result.planned) >= options.max_matches:
                result.capped = True
                return True
        if options.mode == "full" and result.seen >= options.max_matches:
            result.capped = True
            return True
    return False


def cursor_during_fetch(previous: str | None, planned: list[PlannedMatch]) -> str | None:
    """The cursor to persist before fetching `planned` (a crash then leaves no silent gap)."""
    if not planned:
        return previous
    oldest = min(p.start_time for p in planned)
    return min(previous, oldest) if previous else oldest


def cursor_after_success(
    previous: str | None, plan: DiscoveryResult, options: SyncOptions
) -> str | None:
    """The cursor once every planned match is stored (or recorded as unavailable)."""
    if options.mode == "full":
        return None if plan.reached_end else previous
    if plan.capped:
        # the OLDEST gap: gaps left by earlier capped runs are never forgotten
        return cursor_during_fetch(previous, plan.planned)
    return None
