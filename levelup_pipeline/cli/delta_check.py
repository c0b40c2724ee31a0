"""`levelup sync --delta`'s pre-check: the job's delta rules on one history page (a run costs
seconds, a daily delta usually finds nothing); imports no Dagster, pandas or pyarrow."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import click
import duckdb

from levelup_pipeline.defs import run_lock
from levelup_pipeline.halo import history_handoff
from levelup_pipeline.halo.auth import Credentials
from levelup_pipeline.halo.client import HaloApiSettings, PlayerIdentity, open_halo_api
from levelup_pipeline.halo.endpoint import configured_endpoint
from levelup_pipeline.halo.errors import (
    RUN_ENDING_ERRORS,
    HaloApiUnavailable,
    InsecureTokenFile,
    PlayerNotFound,
)
from levelup_pipeline.ingest.discovery import DiscoveryResult, discover
from levelup_pipeline.ingest.options import SyncOptions
from levelup_pipeline.store.imported import imported_only_match_ids
from levelup_pipeline.store.migrate import latest_version
from levelup_pipeline.store.paths import lock_path, player_db_path, validate_gamertag
from levelup_pipeline.store.shared_lock import shared_lock
from levelup_pipeline.store.views import get_meta

#: `ingest.engine`'s resume cursor key is f"{CURSOR_KEY}:{match_type}" (a test keeps it so).
CURSOR_KEY_PREFIX = "resume_cursor:"
#: API errors the job would stop on too: said once, the same way, instead of running the job.
REPORTED_ERRORS = (*RUN_ENDING_ERRORS, HaloApiUnavailable, InsecureTokenFile, PlayerNotFound)


@dataclass(frozen=True)
class Verdict:
    """What the pre-check decided: one of the first three fields (`state` beside `run_reason`)."""

    up_to_date: str | None = None  # the line to print: no run is needed
    run_reason: str | None = None  # why the job must run
    error: str | None = None  # a user-facing API error, reported like the job reports it
    state: StoredState | None = None  # with run_reason, when read: the run's prefetch uses it


@dataclass(frozen=True)
class StoredState:
    """What the player's database says, read in one short read-only connection."""

    pending: str | None  # why the database needs the job whatever the API says, or None
    xuid: str | None
    cursor: str | None  # a delta's resume cursor
    untransformed: bool  # stored matches not transformed yet
    known_ids: frozenset[str] = frozenset()  # what the job's walk counts as known
    known_ugc: frozenset[tuple[str, str]] = frozenset()  # (asset id, version id) stored
    migrated: bool = True  # False: an older schema, the job migrates it first


#: The state of a player with no database yet: nothing known, nothing pending.
NO_DATABASE = StoredState(None, None, None, False)


@contextmanager
def _read_only(db_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """`PlayerStore.reader()`'s shared lock without its imports; StoreBusy at once if written."""
    with shared_lock(lock_path(db_path), 0, f"{db_path} is being written by another process"):
        with duckdb.connect(str(db_path), read_only=True) as con:
            yield con


def read_state(db_path: Path, match_type: str) -> StoredState:
    """What the database says; duckdb.Error for a bad file, StoreBusy while it is written."""
    with _read_only(db_path) as con:
        keys = ["schema_version", "player_xuid", CURSOR_KEY_PREFIX + match_type]
        meta = dict(
            con.execute("SELECT key, value FROM sync_meta WHERE key IN (?, ?, ?)", keys).fetchall()
        )
        if int(meta.get("schema_version") or 0) != latest_version():  # the job migrates first
            reason = "the database schema needs a migration"
            return StoredState(reason, None, None, False, migrated=False)
        untransformed, stats_rows, global_rows, global_matches = con.execute(
            "SELECT (SELECT count(*) FROM pending_matches), (SELECT count(*) FROM match_stats),"
            " (SELECT count(*) FROM mv_global_stats), (SELECT max(matches) FROM mv_global_stats)"
        ).fetchall()[0]
        ids = con.execute(
            "SELECT match_id FROM raw_match_json UNION SELECT match_id FROM archived_matches"
            " UNION SELECT match_id FROM unavailable_matches"
        ).fetchall() + [(i,) for i in imported_only_match_ids(con)]
        ugc = con.execute("SELECT asset_id, version_id FROM ugc_assets").fetchall()
    xuid, cursor = meta.get("player_xuid") or None, meta.get(keys[2]) or None
    reason = None
    if not xuid:
        reason = "the player's XUID is not resolved yet"
    elif cursor:
        reason = f"a previous delta left a gap to resume (cursor {cursor})"
    elif untransformed:
        reason = f"{untransformed} stored match(es) are not transformed yet"
    elif not (global_rows == 1 and global_matches == stats_rows):
        reason = "the aggregate tables are not up to date"
    return StoredState(
        reason,
        xuid,
        cursor,
        untransformed > 0,
        frozenset(r[0] for r in ids),
        frozenset((str(a), str(v)) for a, v in ugc),
    )


def run_blocker(gamertag: str) -> str | None:
    """Why the Dagster side needs the job, from LevelUp's own records (`defs/run_lock.py`)."""
    players = run_lock.registered_players()
    if players is None:
        return "the registered players are not mirrored yet"
    if gamertag not in players:
        return "the player is not registered yet"
    status = run_lock.last_run_status(gamertag)
    if status != "SUCCESS":
        return f"the last run of this player did not succeed ({status or 'none recorded'})"
    return None


def api_settings(verbose: bool = False) -> HaloApiSettings:
    """The settings `HaloApiResource()` resolves at run time, without Dagster."""
    endpoint = configured_endpoint()
    return HaloApiSettings(endpoint=endpoint, credentials=Credentials.from_env(), verbose=verbose)


class _MoreThanOnePage(Exception):
    """The walk asked for a second page: the whole first page is new."""


class EchoLogger:
    """`--verbose` request lines on stderr, like the job's console log."""

    def info(self, msg: str, *args: object, **kwargs: object) -> None:
        click.echo(msg, err=True)

    warning = debug = info


async def first_page_plan(
    xuid: str, known: frozenset[str], options: SyncOptions
) -> tuple[DiscoveryResult | None, str, int]:
    """(the plan, None if the whole page is new; the newest start time; requests made)."""
    newest = ""
    logger = EchoLogger() if options.verbose else None
    async with open_halo_api(api_settings(options.verbose), logger=logger) as api:

        async def page(start: int, count: int) -> dict:
            nonlocal newest
            if start:
                raise _MoreThanOnePage
            body = await api.match_history(
                xuid, start=0, count=count, match_type=options.match_type
            )
            history_handoff.offer(xuid, options.match_type, count, body)
            entries = [e for e in (body.get("Results") or []) if e.get("MatchId")]
            if entries:
                newest = str((entries[0].get("MatchInfo") or {}).get("StartTime") or "")
            return body

        try:
            plan = await discover(page, known.intersection, options, None)
        except _MoreThanOnePage:
            plan = None
        return plan, newest, api.metrics.requests


def up_to_date_line(gamertag: str, newest: str, requests: int) -> str:
    """The one line printed instead of a run."""
    try:
        moment = dt.datetime.fromisoformat(newest.replace("Z", "+00:00"))
        since = f"since {moment.astimezone(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}"
    except ValueError:
        since = f"since {newest}" if newest else "in the history yet"
    plural = "" if requests == 1 else "s"
    return (
        f"{gamertag}: up to date - no new match {since} ({requests} API request{plural}); "
        "no run started"
    )


def check_player(gamertag: str, options: SyncOptions) -> Verdict:
    """Whether a delta of `gamertag` needs the job; never raises: the job reports the unexpected."""
    if options.mode != "delta" or options.with_assets:
        return Verdict(run_reason="only a plain delta sync can be skipped")
    try:
        gamertag = validate_gamertag(gamertag)
        db_path = player_db_path(gamertag)
        if not db_path.is_file():
            return Verdict(run_reason="the player has no database yet")
        with run_lock.player_run_lock(gamertag, timeout=0):  # held: a run is going
            reason = run_blocker(gamertag)
            if reason:
                return Verdict(run_reason=reason)
            state = read_state(db_path, options.match_type)
            if state.pending:
                return Verdict(run_reason=state.pending)
            plan, newest, requests = asyncio.run(
                first_page_plan(state.xuid or "", state.known_ids, options)
            )
        if plan is None or plan.planned:
            return Verdict(run_reason="the history has new matches", state=state)
        return Verdict(up_to_date=up_to_date_line(gamertag, newest, requests))
    except run_lock.PlayerBusy:
        return Verdict(run_reason="another run of this player is going")
    except Exception as exc:  # noqa: BLE001 - the job path handles and reports every error
        if isinstance(exc, REPORTED_ERRORS):
            return Verdict(error=str(exc))
        return Verdict(run_reason=f"the pre-check failed ({type(exc).__name__})")


def skip_unknown(gamertag: str) -> bool:
    """Skip, in one line, a registered player never resolved and unknown to the API (a typo)."""
    try:
        db_path = player_db_path(gamertag)
        if db_path.is_file():
            with _read_only(db_path) as con:
                if get_meta(con, "player_xuid"):
                    return False
        resolve_player(gamertag)
    except PlayerNotFound:
        click.echo(
            f"{gamertag}: skipped - no Xbox player is called {gamertag} and nothing was ever "
            "synced for it (a mistyped registration?); remove it with `levelup players remove "
            f"{gamertag}`.",
            err=True,
        )
        return True
    except Exception:  # noqa: BLE001 - anything else: the job runs and reports it
        pass
    return False


def resolve_player(player: str) -> PlayerIdentity:
    """A gamertag's or XUID's identity from the profile API, without Dagster (PlayerNotFound)."""

    async def resolve() -> PlayerIdentity:
        async with open_halo_api(api_settings()) as api:
            return await api.resolve_player(player)

    return asyncio.run(resolve())
