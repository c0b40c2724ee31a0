"""`levelup sync`'s prefetch: the sync's requests start on a background loop while Dagster
loads (1.5-2.5 s); the raw step claims its session and each call it made is answered once from
it. It writes nothing: every row is written by the run."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import inspect
import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from levelup_pipeline.halo import history_handoff
from levelup_pipeline.halo.client import HaloApi, HaloApiSettings, open_halo_api
from levelup_pipeline.ingest.discovery import PlannedMatch, discover
from levelup_pipeline.ingest.options import SyncOptions
from levelup_pipeline.transform.match_stats import find_player
from levelup_pipeline.transform.metadata import human_xuids, ugc_refs
from levelup_pipeline.transform.modes import is_matchmade

#: The calls a sync makes that the prefetch makes first (the rest always go out from the run).
PREFETCHED = (
    "resolve_player",
    "users",
    "match_history",
    "match_stats",
    "match_skill",
    "highlight_events",
    "ugc_asset",
)
WORKERS = 32  # matches in flight, as the engine's workers (the limiter sets the pace)
OPEN_TIMEOUT_SECONDS = 60.0
#: A prefetch older than this when its run starts is dropped: its history pages would be stale.
MAX_AGE_SECONDS = 30.0

_current: Prefetch | None = None


def _freeze(value: Any) -> Any:
    if isinstance(value, list | tuple | set | frozenset):
        return tuple(_freeze(v) for v in value)
    return value


def _call_key(method: Callable, name: str, args: tuple, kwargs: dict) -> tuple:
    """One key per request whatever the spelling (positional, keyword, defaults)."""
    bound = inspect.signature(method).bind(*args, **kwargs)
    bound.apply_defaults()
    return (name, *((k, _freeze(v)) for k, v in bound.arguments.items()))


class _Claimed(Exception):
    """The run took over: the prefetch starts no new request."""


class _Recorder:
    """The prefetch's view of the API: each call goes out and is kept under its key."""

    def __init__(self, api: HaloApi, prefetch: Prefetch) -> None:
        self._api = api
        self._prefetch = prefetch

    def __getattr__(self, name: str) -> Callable[..., Coroutine]:
        method = getattr(self._api, name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            if self._prefetch.claimed:
                raise _Claimed
            key = _call_key(method, name, args, kwargs)
            task = self._prefetch.calls.get(key)
            if task is None:  # the same request twice (e.g. one profile) goes out once
                task = asyncio.ensure_future(method(*args, **kwargs))
                self._prefetch.calls[key] = task
            return await task

        return call


class _Replay:
    """The run's view of the API: a call the prefetch made is answered from it, once."""

    def __init__(self, api: HaloApi, prefetch: Prefetch) -> None:
        self._api = api
        self._prefetch = prefetch

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._api, name)
        if name not in PREFETCHED:
            return attr

        async def call(*args: Any, **kwargs: Any) -> Any:
            task = self._prefetch.calls.pop(_call_key(attr, name, args, kwargs), None)
            if task is None:
                return await attr(*args, **kwargs)
            self._prefetch.served += 1
            return await task

        return call


@dataclass(frozen=True)
class PrefetchPlan:
    """What the prefetch walks: the stored state the run will find (read just before)."""

    gamertag: str
    options: SyncOptions
    xuid: str | None  # None: not resolved yet, the prefetch resolves it as the run would
    known_ids: frozenset[str]
    cursor: str | None
    known_ugc: frozenset[tuple[str, str]] = frozenset()  # (asset id, version id) stored
    pending: bool = False  # stored matches not transformed yet: their players join the run's


class Prefetch:
    """A background event loop with one open API session, walking the sync until claimed."""

    def __init__(self, plan: PrefetchPlan, settings: HaloApiSettings, logger: Any = None) -> None:
        self.plan = plan
        self.settings = settings
        self.logger = logger
        self.calls: dict[tuple, asyncio.Future] = {}
        self.claimed = False
        self.served = 0
        self.started_at = time.monotonic()
        self.api: HaloApi | None = None
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="levelup-prefetch", daemon=True
        )
        self._opened = threading.Event()
        self.walked = threading.Event()  # the walk ended (all planned, or claimed, or an error)
        self._spawned: set[asyncio.Future] = set()
        self._met: set[str] = set()  # human players of the planned matches (their profiles)
        self._names: set[tuple[str, str, str]] = set()  # UGC refs asked for
        self._closing = asyncio.Event()  # bound to the loop at first use (3.10+)
        self._session: concurrent.futures.Future | None = None

    def start(self) -> Prefetch:
        self._thread.start()
        self._session = asyncio.run_coroutine_threadsafe(self._serve(), self._loop)
        return self

    async def _serve(self) -> None:
        """Open the session, walk, then keep the session open for the run until close()."""
        try:
            async with open_halo_api(self.settings, logger=self.logger) as api:
                self.api = api
                self._opened.set()
                walk = asyncio.ensure_future(self._walk(_Recorder(api, self)))
                await self._closing.wait()
                pending = [walk, *self._spawned, *self.calls.values()]
                for task in pending:
                    task.cancel()
                await asyncio.gather(*pending, return_exceptions=True)
        finally:
            self._opened.set()  # a failed sign-in: the run signs in and reports it itself

    async def _walk(self, api: _Recorder) -> None:
        """The engine's walk without its writes: identity, pages, then each planned match."""
        try:
            await self._walk_planned(api)
        finally:
            self.walked.set()

    async def _walk_planned(self, api: _Recorder) -> None:
        plan, options = self.plan, self.plan.options
        with contextlib.suppress(Exception):
            xuid = plan.xuid or (await api.resolve_player(plan.gamertag)).xuid
            if plan.xuid:
                self._spawn(api.users([xuid]))  # the run's gamertag check
            slots = asyncio.Semaphore(WORKERS)

            async def page(start: int, count: int) -> dict:
                handed = history_handoff.take(xuid, start, count, options.match_type)
                if handed is None:
                    return await api.match_history(
                        xuid, start=start, count=count, match_type=options.match_type
                    )
                done = self._loop.create_future()
                done.set_result(handed)
                key = (xuid, start, count, options.match_type)
                method = self.api.match_history  # type: ignore[union-attr]
                self.calls[_call_key(method, "match_history", key, {})] = done
                return handed

            async def on_page(items: list[PlannedMatch]) -> None:
                for item in items:
                    self._spawn(self._match(api, slots, item.match_id, xuid))

            await discover(page, plan.known_ids.intersection, options, plan.cursor, on_page)
            await asyncio.gather(*self._spawned, return_exceptions=True)
            if self._met and not plan.pending:  # the engine's one profile lookup, last
                await api.users(sorted(self._met))

    def _spawn(self, call: Coroutine) -> None:
        async def quietly() -> None:
            with contextlib.suppress(Exception):
                await call

        task = asyncio.ensure_future(quietly())
        self._spawned.add(task)
        task.add_done_callback(self._spawned.discard)

    async def _match(self, api: _Recorder, slots: asyncio.Semaphore, match_id: str, xuid: str):
        """Stats, then skill and film, under the engine's rules for which parts it asks."""
        async with slots:
            stats = await api.match_stats(match_id)
            if find_player(stats, xuid) is None:
                return
            for ref in ugc_refs(stats) - self._names:
                if (ref[1], ref[2]) not in self.plan.known_ugc:
                    self._names.add(ref)
                    self._spawn(api.ugc_asset(*ref))
            self._met.update(human_xuids(stats))
            parts = [api.highlight_events(match_id)]
            if is_matchmade(stats):
                parts.append(api.match_skill(match_id, [xuid]))
            await asyncio.gather(*parts, return_exceptions=True)

    def matches(self, gamertag: str, options: SyncOptions) -> bool:
        return self.plan.gamertag == gamertag and self.plan.options == options

    def run(self, sync: Callable[[Any], Coroutine], logger: Any = None) -> Any:
        """Run `sync(api)` on the prefetch's loop and session (the claim): blocks until done."""

        async def claimed() -> Any:
            if logger is not None:
                self.api.logger = logger  # type: ignore[union-attr]
            return await sync(_Replay(self.api, self))  # type: ignore[arg-type]

        future = asyncio.run_coroutine_threadsafe(claimed(), self._loop)
        try:
            return future.result()
        except BaseException:
            future.cancel()
            raise

    def close(self) -> None:
        """Close the session (unclaimed calls are dropped) and stop the loop."""
        self._loop.call_soon_threadsafe(self._closing.set)
        if self._session is not None:
            with contextlib.suppress(BaseException):
                self._session.result(timeout=30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)
        self._loop.close()


def start(plan: PrefetchPlan, settings: HaloApiSettings, logger: Any = None) -> Prefetch:
    """Start the prefetch of one sync; the next matching `claim` in this process takes it."""
    global _current
    drop()
    _current = Prefetch(plan, settings, logger).start()
    return _current


def claim(gamertag: str, options: SyncOptions) -> Prefetch | None:
    """The prefetch of this sync, once, its session open; None if none or its sign-in failed."""
    prefetch = _current
    if prefetch is None or prefetch.claimed or not prefetch.matches(gamertag, options):
        return None
    if time.monotonic() - prefetch.started_at > MAX_AGE_SECONDS:
        drop()
        return None
    prefetch.claimed = True  # from now on the prefetch starts nothing new
    prefetch._opened.wait(OPEN_TIMEOUT_SECONDS)
    return prefetch if prefetch.api is not None else None


def drop() -> None:
    """Close the current prefetch, claimed or not."""
    global _current
    prefetch, _current = _current, None
    if prefetch is not None:
        prefetch.close()
