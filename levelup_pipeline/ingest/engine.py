"""The sync engine: matches fetched concurrently, written whole in batches, the resume cursor
persisted before the first fetch so that an interruption never leaves a gap."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from levelup_pipeline.halo import history_handoff
from levelup_pipeline.halo.errors import MalformedResponse, MatchNotFound
from levelup_pipeline.halo.metrics import ProgressReporter
from levelup_pipeline.ingest import fetch_core as core
from levelup_pipeline.ingest.discovery import (
    DiscoveryResult,
    PlannedMatch,
    cursor_after_success,
    cursor_during_fetch,
    discover,
)
from levelup_pipeline.ingest.options import SyncOptions
from levelup_pipeline.ingest.sync_writes import SyncWrites
from levelup_pipeline.store.raw_writes import RawMatch
from levelup_pipeline.transform.match_stats import find_player
from levelup_pipeline.transform.metadata import human_xuids, ugc_refs
from levelup_pipeline.transform.modes import is_matchmade

log = logging.getLogger(__name__)

CURSOR_KEY = "resume_cursor"
# unavailable_matches reasons of stats bodies the sync cannot store.
NO_PLAYER_ROW = "player not in the match stats"
TOO_DEEP = "malformed response (nested too deeply)"
BATCH_SIZE = 50
WORKERS = 32


def _cursor_key(options: SyncOptions) -> str:
    return f"{CURSOR_KEY}:{options.match_type}"


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


class SyncEngine:
    """Runs one sync of one player against one API session and one store writer."""

    def __init__(
        self,
        api: Any,
        writer: Any,
        gamertag: str,
        xuid: str,
        options: SyncOptions,
        progress: ProgressReporter | None = None,
        on_log: Callable[[str], None] | None = None,
    ) -> None:
        self.api = api
        self.writer = writer
        self.options = options
        self.progress = progress
        self.log = on_log or log.info
        self.report = SyncReport(gamertag=gamertag, xuid=xuid, mode=options.mode)
        self.writes = SyncWrites(writer, BATCH_SIZE)
        self._new_xuids: set[str] = set()
        self.names = core.UgcNames(api)

    async def run(self) -> SyncReport:
        """Discover, fetch, store; return the report."""
        started = time.monotonic()
        opts = self.options
        key = _cursor_key(opts)
        previous_cursor = self.writer.get_meta(key)
        self.names.known = self.writer.known_ugc_refs()  # read now: no batch write is running
        for stats in self.writer.pending_stats():
            # Stored by an interrupted run that never got to their names and profiles:
            self._new_xuids.update(human_xuids(stats))
            self.names.start(ugc_refs(stats))
        plan = await self._fetch_then_reference(self._discover_and_fetch(previous_cursor, key))
        if opts.with_assets and not self.writer.has_medal_metadata():
            await core.fetch_medal_metadata(self.api, self.writer, outage_ends_run=True)
        await self._write_kept()
        new_cursor = cursor_after_success(previous_cursor, plan, opts)
        self.writer.set_meta(key, new_cursor or "")
        self.report.cursor = new_cursor
        self.report.seconds = time.monotonic() - started
        self._record_sync_meta()
        return self.report

    async def fetch_matches(self, match_ids: list[str]) -> SyncReport:
        """Fetch matches whole as a sync does (the gap filling's, of matches only imported)."""
        self.names.known = self.writer.known_ugc_refs()  # read now: no batch write is running
        queue: asyncio.Queue[str | None] = asyncio.Queue()
        for match_id in match_ids:
            queue.put_nowait(match_id)
        await self._fetch_then_reference(
            self._fetch_queued(queue, min(WORKERS, len(match_ids)), _nothing())
        )
        await self._write_kept()
        return self.report

    async def _fetch_then_reference(self, fetch: Awaitable[Any]) -> Any:
        """The matches, then the profiles of everyone met and the UGC names still missing."""
        try:
            result = await fetch
            await self.writes.flush()
            self.report.fetched = self.writes.written
            if self._new_xuids:
                await self._fetch_profiles()
            answers = await self.names.store(self.writer, outage_ends_run=True)
        except BaseException:
            await self.names.cancel()
            raise
        self.report.ugc_assets += answers.stored
        return result

    async def _write_kept(self) -> None:
        """Write the matches kept aside for a failed skill/film part, once the run got through."""
        await self.writes.write_kept()
        self.report.fetched = self.writes.written

    async def _fetch_queued(self, queue: asyncio.Queue, workers: int, feed: Awaitable[Any]) -> Any:
        """Fetch `queue`'s ids with `workers` tasks while `feed` fills it; an error cancels all."""

        async def worker() -> None:
            while (match_id := await queue.get()) is not None:
                await self._fetch_one(match_id)
                if self.progress is not None:
                    self.progress.advance()

        async def feeder() -> Any:
            result = await feed
            for _ in range(workers):
                queue.put_nowait(None)
            return result

        results = await core.gather_or_cancel(feeder(), *(worker() for _ in range(workers)))
        return results[0]

    async def _discover(self, cursor: str | None, on_page: Any = None) -> DiscoveryResult:
        async def page(start: int, count: int) -> dict:
            xuid, match_type = self.report.xuid, self.options.match_type
            handed = history_handoff.take(xuid, start, count, match_type)  # the pre-check's
            if handed is not None:
                return handed
            return await self.api.match_history(
                xuid, start=start, count=count, match_type=match_type
            )

        # What is stored, read once before any fetch (this run's writes are never a floor);
        # matches known only from an import count as stored (the gap filling fetches them).
        known = (
            self.writer.stored_match_ids()
            | self.writer.unavailable_match_ids()
            | self.writer.imported_only_match_ids()
        )

        def stored(ids) -> set[str]:
            return known.intersection(ids)

        return await discover(page, stored, self.options, cursor or None, on_page)

    async def _discover_and_fetch(self, cursor: str | None, key: str) -> DiscoveryResult:
        """Page the history and fetch as it goes; a page is queued once the cursor covers it."""
        queue: asyncio.Queue[str | None] = asyncio.Queue()
        planned: list[PlannedMatch] = []
        saved: list[str | None] = []  # the cursor last persisted by this run

        async def on_page(items: list[PlannedMatch]) -> None:
            planned.extend(items)
            current = saved[-1] if saved else cursor
            needed = cursor_during_fetch(current, items)
            if not saved or needed != current:
                await self.writes.call(self.writer.set_meta, key, needed or "")
                saved.append(needed)
            if self.progress is not None:
                self.progress.set_total(len(planned))
            for item in items:
                queue.put_nowait(item.match_id)

        try:
            plan = await self._fetch_queued(queue, WORKERS, self._discover(cursor, on_page))
        finally:
            if self.progress is not None:
                self.progress.close()
        report = self.report
        report.history_seen, report.already_stored = plan.seen, plan.already_stored
        report.planned, report.capped = len(plan.planned), plan.capped
        self.log(
            f"{report.gamertag}: {len(plan.planned)} match(es) fetched or recorded "
            f"({plan.seen} seen in history, {plan.already_stored} already stored)"
        )
        return plan

    async def _unavailable(self, match_id: str, reason: str, message: str) -> None:
        """Record a match the sync cannot store (not asked for again) and say why."""
        self.log(message)
        await self.writes.call(self.writer.record_unavailable, match_id, reason)
        self.report.unavailable.append(match_id)

    async def _fetch_one(self, match_id: str) -> None:
        try:
            stats = await self.api.match_stats(match_id)
        except MatchNotFound as exc:
            return await self._unavailable(match_id, "not found (404)", str(exc))
        except MalformedResponse:
            return await self._unavailable(
                match_id,
                "malformed response",
                f"Match {match_id}: the API answered an unreadable body; recorded, skipped.",
            )
        if find_player(stats, self.report.xuid) is None:
            return await self._unavailable(
                match_id,
                NO_PLAYER_ROW,
                f"Match {match_id}: the API's stats do not list the player; recorded, skipped.",
            )
        self.names.start(ugc_refs(stats))  # names go out while skill and film are fetched
        matchmade = is_matchmade(stats)  # only they have skill: no request, no gap
        skill, film = await asyncio.gather(
            core.fetch_part(self.api.match_skill(match_id, [self.report.xuid]))
            if matchmade
            else _nothing(),
            core.fetch_part(self.api.highlight_events(match_id)),
        )
        skill_status = _status(skill) if matchmade else "absent"
        film_status = _status(film)
        self.report.skill_gaps += skill_status in ("missing", "failed")
        self.report.film_gaps += film_status in ("missing", "failed")
        raw = RawMatch(
            match_id=match_id,
            stats=stats,
            skill=skill.body if matchmade else None,
            highlights=film.body,
            skill_status=skill_status,
            film_status=film_status,
            fetched_at=core.now(),
        )
        self._new_xuids.update(human_xuids(stats))
        if skill_status != "failed" and film_status != "failed":
            return await self.writes.add(raw)
        # A failed skill/film part leaves a gap only if the sync completes: during an outage
        # the run stops before this match is written, and the next run fetches it whole.
        try:
            self.writes.keep_for_last(raw)
        except RecursionError:  # a body nested hundreds of levels deep: one lost match
            await self._unavailable(
                match_id,
                TOO_DEEP,
                f"Match {match_id}: the API answered a body nested too deeply; skipped.",
            )

    async def _fetch_profiles(self) -> None:
        """The gamertags of everyone met in the new matches (aliases)."""
        answer = await core.fetch_profiles(
            self.api, self.writer, sorted(self._new_xuids), outage_ends_run=True
        )
        if answer.error is not None:
            self.log(
                f"Profiles could not be fetched ({answer.error}); aliases come from films only."
            )

    def _record_sync_meta(self) -> None:
        r = self.report
        now = core.now().isoformat()
        for key, value in {
            "last_sync_time": now,
            "last_sync_mode": r.mode,
            "last_sync_new_matches": str(r.fetched),
            f"last_{r.mode}_sync_time": now,
        }.items():
            self.writer.set_meta(key, value)


def _status(part: core.Part) -> str:
    """The raw status of a fetched skill or film part ('missing' and 'failed' are gaps)."""
    return "missing" if part.not_found else "failed" if part.error is not None else "ok"


async def _nothing() -> Any:
    return None
