"""The sync engine: discover, fetch concurrently, write in transactional batches.

Every match is fetched with its stats, skill and film highlights in flight together (and many
matches at once): the API layer's single limiter is what bounds the pace. A match is written
complete or not at all; a batch is one transaction; the resume cursor is persisted before the
first fetch so an interrupted run never leaves a silent gap.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import pickle
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from levelup_pipeline.halo.errors import (
    RUN_ENDING_ERRORS,
    FilmUnavailable,
    HaloApiError,
    HaloApiUnavailable,
    MatchNotFound,
    ResourceNotFound,
)
from levelup_pipeline.ingest.discovery import (
    DiscoveryResult,
    PlannedMatch,
    cursor_after_success,
    discover,
)
from levelup_pipeline.ingest.options import SyncOptions
from levelup_pipeline.store.raw_writes import RawMatch
from levelup_pipeline.transform.match_stats import find_player

log = logging.getLogger(__name__)

CURSOR_KEY = "resume_cursor"
MATCHMADE = 3  # MatchInfo.LifecycleMode of matchmade games (1 custom, 7 local)
# API path segment -> the store's asset_kind label.
STORE_ASSET_KINDS = {
    "maps": "map",
    "ugcGameVariants": "ugc_game_variant",
    "playlists": "playlist",
    "mapModePairs": "map_mode_pair",
}
#: unavailable_matches reasons of stats bodies the sync cannot store.
NO_PLAYER_ROW = "player not in the match stats"
TOO_DEEP = "malformed response (nested too deeply)"
BATCH_SIZE = 50
WORKERS = 32


class Progress(Protocol):
    """What the engine tells whoever watches (`halo.metrics.ProgressReporter` fits)."""

    def set_total(self, total: int) -> None: ...

    def advance(self, n: int = 1) -> None: ...

    def close(self) -> None: ...


class _NoProgress:
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
    profiles: int = 0
    ugc_assets: int = 0
    requests: int = 0
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        """True when the sync stored anything new."""
        return self.fetched > 0


def _cursor_key(options: SyncOptions) -> str:
    return f"{CURSOR_KEY}:{options.match_type}"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def human_xuids(stats: dict) -> list[str]:
    """XUIDs of the human players of a match stats body (bots have no profile)."""
    out = []
    for player in stats.get("Players") or []:
        pid = str(player.get("PlayerId") or "")
        if pid.startswith("xuid(") and player.get("PlayerType", 1) == 1:
            out.append(pid[5:-1])
    return out


def ugc_refs(stats: dict) -> set[tuple[str, str, str]]:
    """(kind, asset id, version id) of the map, mode, playlist and map-mode pair of a match."""
    info = stats.get("MatchInfo") or {}
    refs = set()
    for key, kind in (
        ("MapVariant", "maps"),
        ("UgcGameVariant", "ugcGameVariants"),
        ("Playlist", "playlists"),
        ("PlaylistMapModePair", "mapModePairs"),
    ):
        ref = info.get(key) or {}
        if ref.get("AssetId") and ref.get("VersionId"):
            refs.add((kind, str(ref["AssetId"]), str(ref["VersionId"])))
    return refs


class SyncEngine:
    """Runs one sync of one player against one API session and one store writer."""

    def __init__(
        self,
        api: Any,
        writer: Any,
        gamertag: str,
        xuid: str,
        options: SyncOptions,
        progress: Progress | None = None,
        on_log: Callable[[str], None] | None = None,
    ) -> None:
        self.api = api
        self.writer = writer
        self.options = options
        self.progress = progress or _NoProgress()
        self.log = on_log or log.info
        self.report = SyncReport(gamertag=gamertag, xuid=xuid, mode=options.mode)
        self._write_lock = asyncio.Lock()
        self._buffer: list[RawMatch] = []
        # Written last, once the whole sync got through; kept compressed (~10 KB a match), as a
        # failing film or skill endpoint can leave every match of a long history here.
        self._with_gaps: list[bytes] = []
        self._new_xuids: set[str] = set()
        self._new_refs: set[tuple[str, str, str]] = set()
        # Names of maps, modes and playlists are fetched as soon as a match names them, while
        # the other matches are fetched: the discovery service's budget then serves film and
        # UGC requests together instead of a tail of UGC requests after the last match.
        self._known_ugc: set[tuple[str, str]] = set()
        self._ugc_tasks: dict[tuple[str, str, str], asyncio.Task] = {}

    async def run(self) -> SyncReport:
        """Discover, fetch, store; return the report."""
        started = time.monotonic()
        opts = self.options
        key = _cursor_key(opts)
        previous_cursor = self.writer.get_meta(key)
        for stats in self.writer.pending_stats():
            # Stored by an interrupted run that never got to their names and profiles.
            self._new_xuids.update(human_xuids(stats))
            self._new_refs.update(ugc_refs(stats))
        self._known_ugc = self.writer.known_ugc_refs()  # read now: no batch write is running
        try:
            plan = await self._fetch_everything(previous_cursor, key)
        except BaseException:
            await self._cancel_ugc()
            raise
        if opts.with_assets:
            await self._fetch_medal_metadata()
        await self._write_gaps()
        new_cursor = cursor_after_success(previous_cursor, plan, opts)
        self.writer.set_meta(key, new_cursor or "")
        self.report.cursor = new_cursor
        self.report.seconds = time.monotonic() - started
        self._record_sync_meta()
        return self.report

    async def _fetch_everything(self, previous_cursor: str | None, key: str) -> DiscoveryResult:
        """The matches (with the UGC names they mention, started as they come), then the
        profiles of everyone met and the UGC names still missing."""
        plan = await self._discover_and_fetch(previous_cursor, key)
        self.report.history_seen = plan.seen
        self.report.already_stored = plan.already_stored
        self.report.planned = len(plan.planned)
        self.report.capped = plan.capped
        self.log(
            f"{self.report.gamertag}: {len(plan.planned)} match(es) fetched or recorded "
            f"({plan.seen} seen in history, {plan.already_stored} already stored)"
        )
        await self._fetch_profiles()
        await self._fetch_ugc()
        return plan

    async def fetch_matches(self, match_ids: list[str]) -> SyncReport:
        """Fetch given matches whole (stats, skill, film) as a sync does, with the profiles and
        names they bring: the gap filling's refetch of matches known only from an import."""
        self._known_ugc = self.writer.known_ugc_refs()  # read now: no batch write is running
        queue: asyncio.Queue[str | None] = asyncio.Queue()
        for match_id in match_ids:
            queue.put_nowait(match_id)

        async def worker() -> None:
            while (match_id := await queue.get()) is not None:
                await self._fetch_one(match_id)

        workers = [asyncio.create_task(worker()) for _ in range(min(WORKERS, len(match_ids)))]
        for _ in workers:
            queue.put_nowait(None)
        try:
            await asyncio.gather(*workers)
        except BaseException:
            for task in workers:
                task.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            await self._cancel_ugc()
            raise
        await self._flush()
        await self._fetch_profiles()
        await self._fetch_ugc()
        await self._write_gaps()
        return self.report

    async def _write_gaps(self) -> None:
        """Write the matches kept aside for a failed skill/film part, once the run got through."""
        gaps, self._with_gaps = self._with_gaps, []
        for start in range(0, len(gaps), BATCH_SIZE):
            self._buffer.extend(
                pickle.loads(zlib.decompress(g)) for g in gaps[start : start + BATCH_SIZE]
            )
            await self._flush()

    async def _discover(self, cursor: str | None, on_page: Any = None) -> DiscoveryResult:
        async def page(start: int, count: int) -> dict:
            return await self.api.match_history(
                self.report.xuid, start=start, count=count, match_type=self.options.match_type
            )

        # One snapshot of what is stored, taken before any fetch: the walk then never reads
        # the database while batches are being written, and it sees the store as it was when
        # the sync started (this run's own writes are never mistaken for a stored floor).
        # Matches known only from an import of the original LevelUp count as stored too: the
        # gap filling fetches them (ingest/backfill.py), a delta stops at them as it would
        # have in the original tool.
        known = (
            self.writer.stored_match_ids()
            | self.writer.unavailable_match_ids()
            | self.writer.imported_only_match_ids()
        )

        def stored(ids) -> set[str]:
            return known.intersection(ids)

        return await discover(page, stored, self.options, cursor or None, on_page)

    async def _discover_and_fetch(self, cursor: str | None, key: str) -> DiscoveryResult:
        """Page the history and fetch what it plans at the same time.

        Each page's planned matches are queued as soon as the page is read, once the resume
        cursor persisted in sync_meta covers them (cursor_during_fetch, page by page): an
        interruption at any point leaves no silent gap, and the history pages cost no wall
        time of their own.
        """
        queue: asyncio.Queue[PlannedMatch | None] = asyncio.Queue()
        planned: list[PlannedMatch] = []
        saved: list[str | None] = []  # the cursor last persisted by this run

        async def on_page(items: list[PlannedMatch]) -> None:
            planned.extend(items)
            lowest = min(p.start_time for p in items)
            current = saved[-1] if saved else cursor
            needed = min(current, lowest) if current else lowest
            if not saved or needed != current:
                await self._serialized(self.writer.set_meta, key, needed or "")
                saved.append(needed)
            self.progress.set_total(len(planned))
            for item in items:
                queue.put_nowait(item)

        async def worker() -> None:
            while (item := await queue.get()) is not None:
                await self._fetch_one(item.match_id)
                self.progress.advance()

        workers = [asyncio.create_task(worker()) for _ in range(WORKERS)]
        try:
            plan = await self._discover(cursor, on_page)
            for _ in workers:
                queue.put_nowait(None)
            await asyncio.gather(*workers)
        except BaseException:
            for task in workers:
                task.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            raise
        finally:
            self.progress.close()
        await self._flush()
        return plan

    async def _fetch_one(self, match_id: str) -> None:
        try:
            stats = await self.api.match_stats(match_id)
        except MatchNotFound as exc:
            self.log(str(exc))
            await self._serialized(self.writer.record_unavailable, match_id, "not found (404)")
            self.report.unavailable.append(match_id)
            return
        except HaloApiError as exc:
            if type(exc).__name__ != "MalformedResponse":
                raise
            self.log(f"Match {match_id}: the API answered an unreadable body; recorded, skipped.")
            await self._serialized(self.writer.record_unavailable, match_id, "malformed response")
            self.report.unavailable.append(match_id)
            return
        if find_player(stats, self.report.xuid) is None:
            # No row of the player to build: stored, it would vanish from every table unseen.
            self.log(
                f"Match {match_id}: the API's stats do not list the player; recorded, skipped."
            )
            await self._serialized(self.writer.record_unavailable, match_id, NO_PLAYER_ROW)
            self.report.unavailable.append(match_id)
            return
        self._start_ugc(ugc_refs(stats))  # names go out while skill and film are fetched
        skill, highlights = await asyncio.gather(
            self._skill(match_id, stats), self._highlights(match_id)
        )
        skill_body, skill_status = skill
        events, film_status = highlights
        raw = RawMatch(
            match_id=match_id,
            stats=stats,
            skill=skill_body,
            highlights=events,
            skill_status=skill_status,
            film_status=film_status,
            fetched_at=_now(),
        )
        self._new_xuids.update(human_xuids(stats))
        if "failed" in (skill_status, film_status):
            # A skill/film call that failed after its retries leaves a gap for backfill, but
            # only if the sync then completes: during an outage the run stops before this
            # match is written, and the next run fetches it whole.
            try:
                self._with_gaps.append(zlib.compress(pickle.dumps(raw), 1))
            except RecursionError:  # a body nested hundreds of levels deep: one lost match
                self.log(f"Match {match_id}: the API answered a body nested too deeply; skipped.")
                await self._serialized(self.writer.record_unavailable, match_id, TOO_DEEP)
                self.report.unavailable.append(match_id)
            return
        self._buffer.append(raw)
        if len(self._buffer) >= BATCH_SIZE:
            await self._flush()

    async def _skill(self, match_id: str, stats: dict) -> tuple[dict | None, str]:
        lifecycle = (stats.get("MatchInfo") or {}).get("LifecycleMode")
        if lifecycle is not None and lifecycle != MATCHMADE:
            # Skill (MMR, CSR, expectations) exists for matchmade games only: no request, no gap.
            return None, "absent"
        try:
            return await self.api.match_skill(match_id, [self.report.xuid]), "ok"
        except (ResourceNotFound, MatchNotFound):
            self.report.skill_gaps += 1
            return None, "missing"
        except HaloApiError as exc:
            if _is_fatal_for_part(exc):
                raise
            self.report.skill_gaps += 1
            return None, "failed"

    async def _highlights(self, match_id: str) -> tuple[list[dict] | None, str]:
        try:
            return await self.api.highlight_events(match_id), "ok"
        except FilmUnavailable:
            self.report.film_gaps += 1
            return None, "missing"
        except HaloApiError as exc:
            if _is_fatal_for_part(exc):
                raise
            self.report.film_gaps += 1
            return None, "failed"

    async def _serialized(self, write: Callable[..., Any], *args: Any) -> Any:
        """Run one store write off the event loop, never two at once: a DuckDB connection is
        not safe for concurrent use, and a batch flush may be running in a worker thread."""
        async with self._write_lock:
            return await _finish_even_if_cancelled(write, *args)

    async def _flush(self) -> None:
        async with self._write_lock:
            batch, self._buffer = self._buffer, []
            if batch:
                await _finish_even_if_cancelled(self.writer.write_raw_matches, batch)
                self.report.fetched += len(batch)

    async def _fetch_profiles(self) -> None:
        """Batch-resolve the gamertags of everyone met in the new matches (aliases)."""
        if not self._new_xuids:
            return
        try:
            users = await self.api.users(sorted(self._new_xuids))
        except HaloApiError as exc:
            if _is_fatal(exc):
                raise
            self.log(f"Profiles could not be fetched ({exc}); aliases come from films only.")
            return
        self.writer.write_profiles(users, _now())
        self.report.profiles = len(users)

    def _start_ugc(self, refs: set[tuple[str, str, str]]) -> None:
        """Start fetching the UGC names of `refs` not stored and not already being fetched."""
        self._new_refs.update(refs)
        for ref in refs:
            if ref not in self._ugc_tasks and (ref[1], ref[2]) not in self._known_ugc:
                self._ugc_tasks[ref] = asyncio.ensure_future(self.api.ugc_asset(*ref))

    async def _cancel_ugc(self) -> None:
        tasks = list(self._ugc_tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _fetch_ugc(self) -> None:
        """Store the names of maps, modes and playlists not seen before (cached across
        matches); most were fetched while the matches were."""
        self._start_ugc(set(self._new_refs))
        refs = sorted(self._ugc_tasks)
        try:
            results = await asyncio.gather(
                *(self._ugc_tasks[ref] for ref in refs), return_exceptions=True
            )
        except BaseException:
            await self._cancel_ugc()
            raise
        by_kind: dict[str, list[dict]] = {}
        for (kind, _aid, _vid), res in zip(refs, results, strict=True):
            if isinstance(res, BaseException):
                if isinstance(res, HaloApiError) and not _is_fatal(res):
                    continue
                await self._cancel_ugc()
                raise res
            by_kind.setdefault(kind, []).append(res)
        for kind, bodies in by_kind.items():
            self.report.ugc_assets += self.writer.write_ugc_assets(
                bodies, asset_kind=STORE_ASSET_KINDS[kind]
            )

    async def _fetch_medal_metadata(self) -> None:
        if self.writer.has_medal_metadata():
            return
        self.writer.write_medal_metadata(await self.api.medal_metadata())

    def _record_sync_meta(self) -> None:
        r = self.report
        now = _now().isoformat()
        for key, value in {
            "last_sync_time": now,
            "last_sync_mode": r.mode,
            "last_sync_new_matches": str(r.fetched),
            f"last_{r.mode}_sync_time": now,
        }.items():
            self.writer.set_meta(key, value)


def _is_fatal(exc: HaloApiError) -> bool:
    """Errors that must stop the whole sync (auth, exhausted budgets), not just skip a part."""
    return isinstance(exc, (*RUN_ENDING_ERRORS, HaloApiUnavailable))


async def _finish_even_if_cancelled(write: Callable[..., Any], *args: Any) -> Any:
    """Run a store write in a thread. If the caller is cancelled (another worker failed), the
    thread cannot be stopped: wait for it before unwinding, so that the write lock is never
    released - and the connection never closed - under a write still running."""
    task = asyncio.ensure_future(asyncio.to_thread(write, *args))
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        await asyncio.wait([task])
        raise


def _is_fatal_for_part(exc: HaloApiError) -> bool:
    """Errors of a skill or film call that stop the sync. A skill/film call that stays
    unavailable after its retries only leaves a gap (status 'failed', kept for backfill): the
    match stats are what matter, and an outage of the whole API fails the stats calls anyway."""
    return isinstance(exc, RUN_ENDING_ERRORS)
