"""Gap filling (--with-backfill): fetch only what stored matches lack, into the raw layer;
what the API confirms it does not have is remembered, so a second run fetches nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from levelup_pipeline.halo.errors import HaloApiUnavailable
from levelup_pipeline.ingest import fetch_core as core
from levelup_pipeline.ingest.engine import SyncEngine
from levelup_pipeline.ingest.options import SyncOptions
from levelup_pipeline.store import backfill as gaps
from levelup_pipeline.store.raw_writes import RawParts
from levelup_pipeline.store.writer import StoreWriter

GROWING = ("skill", "highlights")  # measured by rows added, the others by gaps closed
CLOSED_IN_RAW_STEP = ("matches",)  # closed by the raw step itself, the others by the model step
WORKERS = 16
_STATUS_FIELD = {"skill": "skill_status", "highlights": "film_status"}  # RawParts' status fields
UNAVAILABLE_BREAKER = 5  # requests given up on 5xx/timeouts before the API is taken as down


@dataclass
class PartResult:
    """What one part did: the numbers shown in the asset's materialization metadata."""

    missing: int = 0
    requested: int = 0
    absent: int = 0  # the API confirmed it has nothing (never asked again)
    failed: int = 0  # transient failures: the next gap fill asks again
    stored: int = 0
    filled: int = 0


_MISSING: dict[str, Callable[[StoreWriter], Any]] = {
    "matches": lambda writer: sorted(writer.imported_only_match_ids()),
    "skill": gaps.skill_candidates,
    "highlights": gaps.film_candidates,
    "aliases": gaps.xuids_without_alias,
    "names": gaps.missing_ugc_refs,
    "medals": gaps.medal_metadata_needed,
}
PARTS = tuple(_MISSING)  # the gap parts the raw step fills (run config `gap_parts`)


def plan_backfill(writer: StoreWriter, parts: Sequence[str]) -> dict[str, Any]:
    """What each selected part lacks, before any request (no API session for nothing)."""
    return {part: _MISSING[part](writer) for part in parts}


def gaps_closed(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    """What a step filled, from `store.backfill.gap_counts` before and after it."""
    closed = {}
    for part, count in after.items():
        delta = count - before.get(part, 0)
        closed[part] = max(0, delta if part in GROWING else -delta)
    return closed


class Backfiller:
    """Runs one backfill plan (`plan_backfill`) against one API session (or none)."""

    def __init__(
        self,
        writer: StoreWriter,
        xuid: str,
        todo: dict[str, Any],
        api: Any,
        on_log: Callable[[str], None],
    ) -> None:
        self.writer = writer
        self.xuid = xuid
        self.api = api
        self.log = on_log
        self.todo = todo
        self.results = {part: PartResult() for part in todo}
        self._unavailable = 0

    async def run(self) -> dict[str, PartResult]:
        """Fetch and write into the raw layer; returns what each part did."""
        before = gaps.gap_counts(self.writer)
        for part, entries in self.todo.items():
            missing = gaps.unknown_medal_ids(self.writer) if part == "medals" else entries
            self.results[part].missing = len(missing)
        raw_parts: list[RawParts] = []
        try:
            await self._imported_matches()
            await self._raw_parts(raw_parts)
            await self._aliases()
            await self._names()
            await self._medals()
        finally:
            if raw_parts:  # what was fetched is kept, even when a fatal error stops the rest
                self.writer.update_raw_parts(raw_parts)
        closed = gaps_closed(before, gaps.gap_counts(self.writer))
        for part in CLOSED_IN_RAW_STEP:
            if part in self.results:
                self.results[part].filled = closed[part]
        return self.results

    async def _imported_matches(self) -> None:
        """Matches known only from an import, fetched whole by the sync engine."""
        matches = self.todo.get("matches")
        if not matches:
            return
        engine = SyncEngine(self.api, self.writer, "", self.xuid, SyncOptions(), on_log=self.log)
        report = await engine.fetch_matches(matches)
        result = self.results["matches"]
        result.requested = len(matches)
        result.absent = len(report.unavailable)

    async def _raw_parts(self, out: list[RawParts]) -> None:
        """Skill and film answers; the API being down raises after UNAVAILABLE_BREAKER failures."""
        gate = asyncio.Semaphore(WORKERS)
        requests = {
            "skill": lambda match_id: self.api.match_skill(match_id, [self.xuid]),
            "highlights": lambda match_id: self.api.highlight_events(match_id),
        }

        async def fetch(part: str, match_id: str) -> None:
            result = self.results[part]
            result.requested += 1
            async with gate:
                answer = await core.fetch_part(requests[part](match_id))
            if answer.error is None:  # found or confirmed absent (a failure changes no row)
                result.absent += answer.not_found
                result.stored += not answer.not_found
                status = gaps.ABSENT if answer.not_found else "ok"
                out.append(RawParts(match_id, **{part: answer.body, _STATUS_FIELD[part]: status}))
                return
            result.failed += 1
            if isinstance(answer.error, HaloApiUnavailable):
                self._unavailable += 1
                if self._unavailable >= UNAVAILABLE_BREAKER:
                    raise answer.error
            self.log(f"Gap fill {part}: {answer.error} (left for the next gap fill).")

        await core.gather_or_cancel(*(fetch(p, m) for p in GROWING for m in self.todo.get(p, [])))

    async def _aliases(self) -> None:
        xuids = self.todo.get("aliases")
        if not xuids:
            return
        result = self.results["aliases"]
        result.requested = len(xuids)
        answer = await core.fetch_profiles(self.api, self.writer, xuids)
        if answer.error is not None:
            result.failed = len(xuids)
            self.log(f"Gap fill aliases: {answer.error} (left for the next gap fill).")
            return
        result.absent = len(answer.unresolved)
        result.stored = len(xuids) - len(answer.unresolved)
        gaps.remember(self.writer, gaps.UNRESOLVED_XUIDS_KEY, answer.unresolved)

    async def _names(self) -> None:
        refs = self.todo.get("names")
        if refs:
            result = self.results["names"]
            result.requested += len(refs)
            answers = await core.fetch_ugc_names(self.api, self.writer, refs)
            result.absent += len(answers.absent)
            result.failed += answers.failed
            result.stored += answers.stored

    async def _medals(self) -> None:
        if self.todo.get("medals"):
            result = self.results["medals"]
            result.requested += 1
            if await core.fetch_medal_metadata(self.api, self.writer):
                result.stored += 1
            else:
                result.failed += 1
