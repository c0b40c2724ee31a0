"""What the sync and the gap filler fetch the same way, and which API errors end their run."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Awaitable, Iterable
from dataclasses import dataclass, field
from typing import Any

from levelup_pipeline.halo.errors import (
    RUN_ENDING_ERRORS,
    FilmUnavailable,
    HaloApiError,
    HaloApiUnavailable,
    MatchNotFound,
    ResourceNotFound,
)
from levelup_pipeline.store import backfill as gaps
from levelup_pipeline.transform.metadata import UgcRef

# API path segment of a UGC asset -> the store's asset_kind label.
STORE_ASSET_KINDS = {
    "maps": "map",
    "ugcGameVariants": "ugc_game_variant",
    "playlists": "playlist",
    "mapModePairs": "map_mode_pair",
}
MEDAL_SPRITES_KEY = "medal_sprite_paths"  # sync_meta: the stored medal metadata's sprite sheets
NOT_FOUND = (ResourceNotFound, MatchNotFound, FilmUnavailable)


def ends_run(exc: BaseException, outage_ends_run: bool = False) -> bool:
    """True when `exc` must stop the run (an outage only with `outage_ends_run`: a sync's)."""
    if not isinstance(exc, HaloApiError):
        return True
    return isinstance(exc, RUN_ENDING_ERRORS) or (
        outage_ends_run and isinstance(exc, HaloApiUnavailable)
    )


async def attempt(
    call: Awaitable[Any], outage_ends_run: bool = False
) -> tuple[Any, HaloApiError | None]:
    """(answer, None), or (None, the API error) when that error does not end the run."""
    try:
        return await call, None
    except HaloApiError as exc:
        if ends_run(exc, outage_ends_run):
            raise
        return None, exc


def now() -> dt.datetime:
    """The time stamp of what is fetched now."""
    return dt.datetime.now(dt.UTC)


async def cancel_all(tasks: Iterable[asyncio.Future]) -> None:
    """Cancel the tasks and wait until they have all stopped."""
    tasks = list(tasks)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def gather_or_cancel(*aws: Awaitable[Any]) -> list[Any]:
    """Run awaitables together; on the first error cancel the others, then re-raise it."""
    tasks = [asyncio.ensure_future(a) for a in aws]
    try:
        return await asyncio.gather(*tasks)
    except BaseException:
        await cancel_all(tasks)
        raise


@dataclass(frozen=True)
class Part:
    """One skill or film answer: found (`body`), not found, or failed after its retries."""

    body: Any = None
    not_found: bool = False
    error: HaloApiError | None = None  # failed: asked again later


async def fetch_part(call: Awaitable[Any]) -> Part:
    """A skill or film request's answer as a Part (an outage leaves the part failed)."""
    body, error = await attempt(call)
    if isinstance(error, NOT_FOUND):
        return Part(not_found=True)
    return Part(body, error=error)


@dataclass
class Profiles:
    """The XUIDs a profile lookup did not resolve, or the error that left it undone."""

    unresolved: list[str] = field(default_factory=list)
    error: HaloApiError | None = None


async def fetch_profiles(
    api: Any, writer: Any, xuids: list[str], outage_ends_run: bool = False
) -> Profiles:
    """Look the XUIDs' gamertags up (batches of 100) and store them as aliases."""
    users, error = await attempt(api.users(xuids), outage_ends_run)
    if error is not None:
        return Profiles(error=error)
    writer.write_profiles(users, now())
    answered = {str(u.get("xuid", "")).removeprefix("xuid(").rstrip(")") for u in users}
    return Profiles(unresolved=[x for x in xuids if x not in answered])


@dataclass
class UgcAnswers:
    """What the UGC requests gave: assets stored, refs the API does not have, failures."""

    stored: int = 0
    absent: list[UgcRef] = field(default_factory=list)
    failed: int = 0


class UgcNames:
    """UGC asset names, each asked for once as soon as a ref is known; `store` collects them."""

    def __init__(self, api: Any) -> None:
        self.api = api
        self.known: set[tuple[str, str]] = set()  # (asset id, version id) stored: never asked
        self._tasks: dict[UgcRef, asyncio.Future] = {}

    def start(self, refs: Iterable[UgcRef]) -> None:
        """Start fetching the refs not stored and not already being fetched."""
        for ref in refs:
            if ref not in self._tasks and (ref[1], ref[2]) not in self.known:
                self._tasks[ref] = asyncio.ensure_future(self.api.ugc_asset(*ref))

    async def cancel(self) -> None:
        await cancel_all(self._tasks.values())

    async def store(self, writer: Any, outage_ends_run: bool = False) -> UgcAnswers:
        """Wait for every request, store the answers; a run-ending error cancels the rest."""
        refs = sorted(self._tasks)
        try:
            results = await asyncio.gather(*(self._tasks[r] for r in refs), return_exceptions=True)
        except BaseException:
            await self.cancel()
            raise
        answers = UgcAnswers()
        by_kind: dict[str, list[dict]] = {}
        for ref, result in zip(refs, results, strict=True):
            if isinstance(result, ResourceNotFound):
                answers.absent.append(ref)
            elif isinstance(result, BaseException):
                if ends_run(result, outage_ends_run):
                    await self.cancel()
                    raise result
                answers.failed += 1
            else:
                by_kind.setdefault(ref[0], []).append(result)
        for kind, bodies in by_kind.items():
            answers.stored += writer.write_ugc_assets(bodies, asset_kind=STORE_ASSET_KINDS[kind])
        return answers


async def fetch_ugc_names(api: Any, writer: Any, refs: Iterable[UgcRef]) -> UgcAnswers:
    """Fetch and store the given UGC assets; remember the ones the API does not have."""
    names = UgcNames(api)
    names.start(refs)
    answers = await names.store(writer)
    gaps.remember(writer, gaps.UNRESOLVED_UGC_KEY, map(gaps.ugc_ref_key, answers.absent))
    return answers


async def fetch_medal_metadata(api: Any, writer: Any, outage_ends_run: bool = False) -> bool:
    """Store the medal metadata, its sprite sheets and the medal ids it lacks; False if not."""
    doc, error = await attempt(api.medal_metadata(), outage_ends_run)
    if error is not None:
        return False
    writer.write_medal_metadata(doc)
    sprites = doc.get("sprites") if isinstance(doc, dict) else None
    paths = [
        s["path"]
        for s in (sprites or {}).values()
        if isinstance(s, dict) and isinstance(s.get("path"), str)
    ]
    writer.set_meta(MEDAL_SPRITES_KEY, json.dumps(sorted(set(paths))))  # set even when empty
    gaps.remember(writer, gaps.UNKNOWN_MEDALS_KEY, gaps.unknown_medal_ids(writer))
    return True
