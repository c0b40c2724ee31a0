"""One sync in its own process: `python -m benchmarks.sync_worker ...` prints one JSON line.

Running the client apart from the simulator (which serves from a thread of the benchmark
process) keeps the two from sharing one GIL, and gives the sync's own peak RSS.
The `sequential` style is the ancestor's way, kept here as the baseline: one match at a time,
stats -> skill -> film, then its rows written one INSERT at a time (benchmarks/ancestor.py).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import time
from pathlib import Path
from typing import Any

from benchmarks import ancestor
from levelup_pipeline.halo.client import HaloApiSettings, open_halo_api
from levelup_pipeline.halo.errors import HaloApiError, MatchNotFound
from levelup_pipeline.ingest.discovery import discover
from levelup_pipeline.ingest.engine import SyncEngine
from levelup_pipeline.ingest.fetch_core import STORE_ASSET_KINDS
from levelup_pipeline.ingest.options import SyncOptions
from levelup_pipeline.store.player_store import PlayerStore
from levelup_pipeline.store.raw_writes import RawMatch
from levelup_pipeline.store.writer import StoreWriter
from levelup_pipeline.transform.metadata import human_xuids, ugc_refs


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MB.

    VmHWM (Linux) is the high-water mark of this program's own memory; getrusage's maxrss is
    the fallback elsewhere, but on Linux it carries the parent's peak over fork + exec.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def sequential_sync(api: Any, writer: StoreWriter, xuid: str, options: SyncOptions) -> int:
    """The baseline: same discovery, then every request awaited before the next one, and
    each match written as it arrives: its raw JSON, then its table rows one by one."""

    async def page(start: int, count: int) -> dict:
        return await api.match_history(
            xuid, start=start, count=count, match_type=options.match_type
        )

    plan = await discover(page, writer.stored_match_ids().intersection, options, None)
    people: set[str] = set()
    refs: set[tuple[str, str, str]] = set()
    fetched = 0
    for item in plan.planned:
        try:
            stats = await api.match_stats(item.match_id)
        except MatchNotFound:
            writer.record_unavailable(item.match_id, "not found (404)")
            continue
        skill, skill_status = None, "missing"
        try:
            skill, skill_status = await api.match_skill(item.match_id, [xuid]), "ok"
        except HaloApiError:
            pass
        events, film_status = None, "missing"
        try:
            events, film_status = await api.highlight_events(item.match_id), "ok"
        except HaloApiError:
            pass
        writer.write_raw_matches(
            [RawMatch(item.match_id, stats, skill, events, skill_status, film_status)]
        )
        rows = ancestor.empty_rows()  # ...and its table rows, one INSERT per row
        if ancestor.add_match_rows(rows, item.match_id, stats, skill, events, xuid):
            con = writer.connection
            con.execute("BEGIN TRANSACTION")
            ancestor.insert_row_by_row(con, rows)
            con.execute("COMMIT")
        people.update(human_xuids(stats))
        refs.update(ugc_refs(stats))
        fetched += 1
    if people:
        writer.write_profiles(await api.users(sorted(people)))
    known = writer.known_ugc_refs()
    for kind, asset_id, version_id in sorted(refs):
        if (asset_id, version_id) in known:
            continue
        try:
            body = await api.ugc_asset(kind, asset_id, version_id)
        except HaloApiError:
            continue
        writer.write_ugc_assets([body], asset_kind=STORE_ASSET_KINDS[kind])
    return fetched


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Open the store, sync through the API, then transform; return the measurements.

    The API session is closed before the transform starts, as in the pipeline (the
    raw_match_json asset ends before the table assets run), so that figure 6's peak is the
    pipeline's and not the sum of an open HTTP session and a transform.
    """
    options = SyncOptions(mode=args.mode, max_matches=args.max_matches, match_type="all")
    out: dict[str, Any] = {"rss_before_mb": peak_rss_mb()}
    settings = HaloApiSettings(requests_per_second=args.rps)
    store = PlayerStore(args.gamertag, data_dir=Path(args.data_dir))
    with store.writer() as writer:
        async with open_halo_api(settings) as api:
            identity = await api.resolve_player(args.gamertag)
            writer.set_meta("player_xuid", identity.xuid)
            before = api.metrics.requests
            started = time.perf_counter()
            if args.style == "sequential":
                fetched = await sequential_sync(api, writer, identity.xuid, options)
            else:
                engine = SyncEngine(api, writer, args.gamertag, identity.xuid, options)
                fetched = (await engine.run()).fetched
            out["sync_seconds"] = time.perf_counter() - started
            out["requests"] = api.metrics.requests - before
            out["fetched"] = fetched
            out["sync_peak_rss_mb"] = peak_rss_mb()
            out["throttled"] = api.metrics.throttled
            out["limiter"] = api.limiter.describe()
        if args.transform:
            started = time.perf_counter()
            writer.transform_pending(identity.xuid)
            writer.refresh_aggregates()
            out["transform_seconds"] = time.perf_counter() - started
    out["peak_rss_mb"] = peak_rss_mb()
    return out


def main() -> None:
    """Parse arguments, run, print the JSON line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--gamertag", required=True)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--mode", choices=("full", "delta"), default="full")
    parser.add_argument("--max-matches", type=int, default=1000)
    parser.add_argument("--style", choices=("concurrent", "sequential"), default="concurrent")
    parser.add_argument("--rps", type=float, default=None)
    parser.add_argument("--transform", action="store_true")
    print(json.dumps(asyncio.run(run(parser.parse_args()))), flush=True)


if __name__ == "__main__":
    main()
