"""Delta/full discovery rules over a fake history: nothing is ever skipped silently."""

from __future__ import annotations

import asyncio

import pytest

from levelup_pipeline.ingest.discovery import (
    cursor_after_success,
    cursor_during_fetch,
    discover,
)
from levelup_pipeline.ingest.options import InvalidSyncOption, SyncOptions, options_from


class FakeHistory:
    """A newest-first history of `n` matches; match i started at day i (higher = newer)."""

    def __init__(self, n: int) -> None:
        self.entries = [self.entry(i) for i in range(n - 1, -1, -1)]
        self.pages = 0

    @staticmethod
    def entry(i: int) -> dict:
        return {"MatchId": f"m{i:05d}", "MatchInfo": {"StartTime": f"2025-01-01T00:00:{i:05d}Z"}}

    def add_newer(self, k: int) -> None:
        n = len(self.entries)
        self.entries = [self.entry(i) for i in range(n + k - 1, n - 1, -1)] + self.entries

    async def page(self, start: int, count: int) -> dict:
        self.pages += 1
        results = self.entries[start : start + count]
        return {"Start": start, "Count": count, "ResultCount": len(results), "Results": results}


def run_sync(history: FakeHistory, stored: set[str], meta: dict, options: SyncOptions) -> list:
    """One sync as the engine does it: plan, persist cursor, 'fetch' (store) all, finish."""
    previous = meta.get("cursor")
    plan = asyncio.run(
        discover(history.page, lambda ids: {i for i in ids if i in stored}, options, previous)
    )
    meta["cursor"] = cursor_during_fetch(previous, plan.planned)
    stored.update(p.match_id for p in plan.planned)
    meta["cursor"] = cursor_after_success(previous, plan, options)
    return plan.planned


def test_delta_on_empty_store_fetches_up_to_cap_then_resumes_below():
    history, stored, meta = FakeHistory(130), set(), {}
    delta = SyncOptions(mode="delta", max_matches=50)
    first = run_sync(history, stored, meta, delta)
    assert len(first) == 50 and meta["cursor"]
    history.add_newer(7)
    second = run_sync(history, stored, meta, delta)
    # the 7 new ones first, then continue below the gap
    assert [p.match_id for p in second[:7]] == [f"m{i:05d}" for i in range(136, 129, -1)]
    assert len(second) == 50
    third = run_sync(history, stored, meta, delta)
    assert len(third) == 37 and meta["cursor"] is None
    assert stored == {e["MatchId"] for e in history.entries}
    assert run_sync(history, stored, meta, delta) == []


def test_delta_stops_at_first_stored_match():
    history, stored, meta = FakeHistory(60), set(), {}
    run_sync(history, stored, meta, SyncOptions(mode="full", max_matches=1000))
    history.add_newer(3)
    history.pages = 0
    planned = run_sync(history, stored, meta, SyncOptions(mode="delta", max_matches=200))
    assert len(planned) == 3 and history.pages == 1


def test_capped_delta_over_older_gap_keeps_oldest_cursor():
    history, stored, meta = FakeHistory(100), set(), {}
    delta = SyncOptions(mode="delta", max_matches=30)
    run_sync(history, stored, meta, delta)  # m99..m70 stored, gap below
    history.add_newer(40)  # m100..m139 new above
    run_sync(history, stored, meta, delta)  # fetches m139..m110, capped again
    for _ in range(10):
        if not run_sync(history, stored, meta, delta):
            break
    assert stored == {e["MatchId"] for e in history.entries}


def test_interrupted_fetch_leaves_cursor_so_next_delta_fills_the_gap():
    history, stored, meta = FakeHistory(80), set(), {}
    delta = SyncOptions(mode="delta", max_matches=200)
    plan = asyncio.run(discover(history.page, lambda ids: set(), delta, None))
    meta["cursor"] = cursor_during_fetch(None, plan.planned)
    stored.update(p.match_id for p in plan.planned[:10])  # crash after the 10 newest
    run_sync(history, stored, meta, delta)
    assert stored == {e["MatchId"] for e in history.entries}


def test_full_skips_stored_and_walks_to_max():
    history, stored, meta = FakeHistory(90), {"m00089", "m00085"}, {}
    planned = run_sync(history, stored, meta, SyncOptions(mode="full", max_matches=40))
    assert len(planned) == 38
    assert "m00089" not in {p.match_id for p in planned}


@pytest.mark.parametrize(
    "mode,config,message",
    [
        ("delta", {"max_matches": -3}, "between 1 and"),
        ("delta", {"max_matches": 10**9}, "between 1 and"),
        ("delta", {"match_type": "ranked"}, "all, matchmaking, custom, local"),
        ("sideways", {}, "'delta' or 'full'"),
        ("full", {"max_matches": "many"}, "whole number"),
    ],
)
def test_bad_options_have_clear_messages(mode, config, message):
    with pytest.raises(InvalidSyncOption, match=message):
        options_from(mode, config)


def test_config_overrides_defaults_and_defaults_follow_mode():
    assert options_from("full").max_matches == 1000
    assert options_from("delta").max_matches == 200
    opts = options_from("delta", {"max_matches": 25, "match_type": None})
    assert opts.max_matches == 25 and opts.match_type == "matchmaking"
