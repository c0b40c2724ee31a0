"""Import an OpenSpartan Workshop SQLite database: the guide's `migrate_all_to_duckdb.py`.

OpenSpartan Workshop keeps the raw Halo API responses in a `ResponseBody` TEXT column:

- `MatchStats(ResponseBody)`: one match stats body per row (required);
- `PlayerMatchStats(MatchId, ResponseBody)`: the match skill body (`{"Value": [...]}`);
- `Maps`, `GameVariants`, `Playlists`, `PlaylistMapModePairs` `(ResponseBody)`: UGC assets
  (names of maps, modes, playlists).

Other tables are ignored. Bodies go through exactly the path of a sync: raw rows first
(`write_raw_matches`), then `transform_pending` and `refresh_aggregates`, so an imported match
is indistinguishable from a fetched one (film highlights excepted: Workshop does not keep
them; a later backfill can fetch them). Rows are streamed in chunks, never all in memory.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from levelup_pipeline.store.errors import StoreError
from levelup_pipeline.store.player_store import PlayerStore
from levelup_pipeline.store.raw_writes import RawMatch
from levelup_pipeline.transform._common import normalize_xuid

CHUNK = 200
MATCHES_TABLE = "MatchStats"
SKILL_TABLE = "PlayerMatchStats"
# Workshop table -> the store's asset_kind label (see ingest.fetch_core.STORE_ASSET_KINDS).
UGC_TABLES = {
    "Maps": "map",
    "GameVariants": "ugc_game_variant",
    "Playlists": "playlist",
    "PlaylistMapModePairs": "map_mode_pair",
}
IMPORT_META_KEY = "sqlite_import"


class SqliteImportError(StoreError):
    """The SQLite file cannot be imported (unreadable, or not in the Workshop layout)."""


@dataclass
class ImportReport:
    """What an import read, stored and skipped."""

    source: Path
    xuid: str
    matches_read: int = 0
    imported: int = 0
    with_skill: int = 0
    not_the_player: int = 0
    already_archived: int = 0
    unreadable: int = 0
    ugc_assets: int = 0
    transformed: dict[str, int] = field(default_factory=dict)
    aggregates: dict[str, int] = field(default_factory=dict)


def open_workshop_db(path: Path) -> sqlite3.Connection:
    """Open read-only and check the layout; SqliteImportError with one sentence otherwise."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise SqliteImportError(f"No SQLite file at {path}; check the path given to --from-sqlite.")
    try:
        con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.Error as exc:
        raise SqliteImportError(f"{path} is not a readable SQLite database ({exc}).") from exc
    if MATCHES_TABLE not in tables or "ResponseBody" not in _columns(con, MATCHES_TABLE):
        con.close()
        raise SqliteImportError(
            f"{path} has no {MATCHES_TABLE}(ResponseBody) table nor any table of the original "
            "LevelUp (MatchCache, HighlightEvents, XuidAliases...): it is not an OpenSpartan "
            "Workshop database nor a LevelUp one."
        )
    return con


def _columns(con: sqlite3.Connection, table: str) -> set[str]:
    # table_xinfo also lists generated columns (Workshop's MatchId is one)
    return {r[1] for r in con.execute(f'PRAGMA table_xinfo("{table}")')}


def _tables(con: sqlite3.Connection) -> set[str]:
    return {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def _parse(text: Any) -> dict[str, Any] | None:
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    try:
        body = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def iter_match_bodies(con: sqlite3.Connection) -> Iterator[dict[str, Any] | None]:
    """Every MatchStats body (None for an unreadable one), in file order."""
    cursor = con.execute(f'SELECT ResponseBody FROM "{MATCHES_TABLE}" ORDER BY rowid')
    while rows := cursor.fetchmany(CHUNK):
        for (text,) in rows:
            body = _parse(text)
            yield body if body and body.get("MatchId") else None


def human_xuids(body: dict[str, Any]) -> set[str]:
    """Bare XUIDs of the human players of a match body."""
    out = set()
    for player in body.get("Players") or []:
        if isinstance(player, dict):
            xuid = normalize_xuid(player.get("PlayerId"))
            if xuid:
                out.add(xuid)
    return out


def common_players(con: sqlite3.Connection) -> set[str]:
    """XUIDs present in every readable match: the database owner when exactly one."""
    common: set[str] | None = None
    for body in iter_match_bodies(con):
        if body is None:
            continue
        players = human_xuids(body)
        common = players if common is None else common & players
        if not common:
            return set()
    return common or set()


def _skill_bodies(con: sqlite3.Connection, match_ids: list[str]) -> dict[str, dict[str, Any]]:
    """The last stored skill body of each match (Workshop may keep duplicates)."""
    if SKILL_TABLE not in _tables(con) or not {"MatchId", "ResponseBody"} <= _columns(
        con, SKILL_TABLE
    ):
        return {}
    marks = ",".join("?" for _ in match_ids)
    rows = con.execute(
        f'SELECT lower(MatchId), ResponseBody FROM "{SKILL_TABLE}"'
        f" WHERE lower(MatchId) IN ({marks}) ORDER BY rowid",
        [m.lower() for m in match_ids],
    ).fetchall()
    out = {}
    for match_id, text in rows:
        body = _parse(text)
        if body is not None and isinstance(body.get("Value"), list):
            out[match_id] = body
    return out


def _ugc_bodies(con: sqlite3.Connection) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    tables = _tables(con)
    for table, kind in UGC_TABLES.items():
        if table not in tables or "ResponseBody" not in _columns(con, table):
            continue
        bodies = [_parse(r[0]) for r in con.execute(f'SELECT ResponseBody FROM "{table}"')]
        out[kind] = [b for b in bodies if b and b.get("AssetId")]
    return out


def import_workshop_db(
    store: PlayerStore,
    con: sqlite3.Connection,
    source: Path,
    xuid: str,
    gamertag: str | None = None,
) -> ImportReport:
    """Store the player's matches of a Workshop database, then model and aggregate them.

    Matches the player is not part of are skipped (counted), and so are matches already
    archived to Parquet (they stay in the archive). Re-importing is idempotent. A file whose
    MatchStats has matches but none of this player's is refused.
    """
    wanted = normalize_xuid(xuid)
    if wanted is None:
        raise ValueError(f"Not a player XUID: {xuid!r}.")
    report = ImportReport(source=source, xuid=wanted)
    now = dt.datetime.now(dt.UTC)
    with store.writer() as writer:
        known = writer.get_meta("player_xuid")
        if known and known != wanted:
            raise SqliteImportError(
                f"The database of {store.gamertag} belongs to XUID {known}, not {wanted}; "
                "nothing imported."
            )
        archived = {
            r[0]
            for r in writer.connection.execute("SELECT match_id FROM archived_matches").fetchall()
        }
        chunk: list[dict[str, Any]] = []
        for body in iter_match_bodies(con):
            report.matches_read += 1
            if body is None:
                report.unreadable += 1
                continue
            if wanted not in human_xuids(body):
                report.not_the_player += 1
                continue
            if str(body["MatchId"]) in archived:
                report.already_archived += 1
                continue
            chunk.append(body)
            if len(chunk) >= CHUNK:
                _write_chunk(writer, con, chunk, now, report)
                chunk = []
        if chunk:
            _write_chunk(writer, con, chunk, now, report)
        if report.matches_read and report.imported == 0 and report.already_archived == 0:
            raise SqliteImportError(
                f"None of the {report.matches_read} matches in {source} includes XUID {wanted}; "
                "pass the right player with --xuid."
            )
        for kind, bodies in _ugc_bodies(con).items():
            report.ugc_assets += writer.write_ugc_assets(bodies, asset_kind=kind, fetched_at=now)
        if not known:
            writer.set_meta("player_xuid", wanted)
            if gamertag:
                writer.set_meta("player_gamertag", gamertag)
        report.transformed = writer.transform_pending(wanted)
        report.aggregates = writer.refresh_aggregates()
        writer.set_meta(
            IMPORT_META_KEY,
            json.dumps(
                {"source": str(source), "at": now.isoformat(), "matches": report.imported},
                separators=(",", ":"),
            ),
        )
    return report


def _write_chunk(
    writer: Any,
    con: sqlite3.Connection,
    bodies: list[dict[str, Any]],
    now: dt.datetime,
    report: ImportReport,
) -> None:
    """Raw rows of one chunk of matches (with their skill bodies), one transaction."""
    skills = _skill_bodies(con, [str(b["MatchId"]) for b in bodies])
    rows = []
    for body in bodies:
        match_id = str(body["MatchId"])
        skill = skills.get(match_id.lower())
        report.with_skill += int(skill is not None)
        rows.append(
            RawMatch(
                match_id=match_id,
                stats=body,
                skill=skill,
                skill_status="ok" if skill is not None else None,
                fetched_at=now,
            )
        )
    report.imported += writer.write_raw_matches(rows)


__all__ = [
    "ImportReport",
    "SqliteImportError",
    "common_players",
    "import_workshop_db",
    "open_workshop_db",
]
