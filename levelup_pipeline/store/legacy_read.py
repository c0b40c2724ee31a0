"""Read the original LevelUp's files, read-only: a v4 `stats.duckdb`, a legacy SQLite file, or
the install folder whose `db_profiles.json` lists every player's file.

What each legacy table becomes is in `batches()`: rows of the imported_* tables (through the
pure converters of transform/legacy.py), with the rows that cannot be trusted counted per
reason, and the tables not worth importing named with why. Any table or column may be
missing (the layouts file says so): a missing one reads as empty / NULL.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import duckdb

from levelup_pipeline.store.errors import StoreError
from levelup_pipeline.transform import legacy as t_legacy
from levelup_pipeline.transform._common import normalize_xuid

LAYOUT_V4 = "duckdb-v4"
LAYOUT_SQLITE = "sqlite"
PROFILES_FILE = "db_profiles.json"
CHUNK = 5000
_SQLITE_MAGIC = b"SQLite format 3\x00"
_DUCKDB_MAGIC = b"DUCK"  # bytes 8-11 of a DuckDB file

#: Legacy tables not imported, and why (shown by --dry-run).
NOT_IMPORTED: dict[str, str] = {
    "sessions": "derived: sessions are recomputed here from the match times (each match's "
    "original session id is kept in imported_match_stats.legacy_session_id)",
    "skill_history": "derived: CSR comes with each match's skill, which the gap filling refetches",
    "sync_meta": "the original's sync bookkeeping, meaningless here",
    "mv_map_stats": "derived aggregate, recomputed here",
    "mv_mode_category_stats": "derived aggregate, recomputed here",
    "mv_session_stats": "derived aggregate, recomputed here",
    "mv_global_stats": "derived aggregate, recomputed here",
}
#: Workshop's tables in a legacy SQLite file: imported by store/sqlite_import.py (raw JSON).
WORKSHOP_TABLES = ("MatchStats", "PlayerMatchStats", "Maps", "GameVariants", "Playlists")


class LegacyImportError(StoreError):
    """A legacy file or folder cannot be imported; the message is one sentence."""


@dataclass
class Batch:
    """Rows of one imported_* table read from one legacy table, and what was skipped."""

    legacy_table: str
    target: str
    rows: list[dict[str, Any]]
    read: int = 0
    skipped: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True)
class Profile:
    """One player of an original install: its gamertag, file and XUID (when listed)."""

    gamertag: str | None
    path: Path
    xuid: str | None = None


class Source(Protocol):
    """A read-only legacy file: its tables, columns and rows (dicts), chunk by chunk."""

    layout: str

    def tables(self) -> set[str]: ...

    def count(self, table: str) -> int: ...

    def rows(self, table: str, order: str = "") -> Iterator[list[dict[str, Any]]]: ...


# ------------------------------------------------------------------ finding and opening
def profiles(path: Path) -> list[Profile]:
    """The files an import path names: an install folder's profiles, or one file."""
    path = Path(path).expanduser()
    if path.is_dir():
        listing = path / PROFILES_FILE
        if not listing.is_file():
            raise LegacyImportError(
                f"{path} is a folder without {PROFILES_FILE}: pass the original LevelUp's "
                "install folder, or a player's stats.duckdb file."
            )
        try:
            entries = json.loads(listing.read_text(encoding="utf-8"))["profiles"]
            return [
                Profile(
                    gamertag=str(name),
                    path=(path / str(entry["db_path"])).resolve(),
                    xuid=normalize_xuid(str(entry.get("xuid") or "")),
                )
                for name, entry in entries.items()
            ]
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise LegacyImportError(
                f"{listing} is not a readable profile list ({type(exc).__name__}: {exc}); "
                'expected {"profiles": {"<gamertag>": {"db_path": ..., "xuid": ...}}}.'
            ) from None
    if not path.is_file():
        raise LegacyImportError(f"Nothing at {path}: check the path given to the import.")
    return [Profile(gamertag=None, path=path)]


def detect_layout(path: Path) -> str:
    """LAYOUT_V4 or LAYOUT_SQLITE from the file's header; one sentence for anything else."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(16)
    except OSError as exc:
        raise LegacyImportError(f"{path} cannot be read ({exc.strerror}).") from None
    if head.startswith(_SQLITE_MAGIC):
        return LAYOUT_SQLITE
    if head[8:12] == _DUCKDB_MAGIC:
        return LAYOUT_V4
    raise LegacyImportError(
        f"{path} is neither a DuckDB nor a SQLite file: it is not one of the original "
        "LevelUp's databases (see docs/migration.md for the files it wrote)."
    )


@contextmanager
def open_source(path: Path) -> Iterator[Source]:
    """The file opened read-only, whatever its layout; damaged or locked: one sentence."""
    layout = detect_layout(path)
    source: _DuckSource | _SqliteSource
    try:
        if layout == LAYOUT_V4:
            source = _DuckSource(duckdb.connect(str(path), read_only=True))
        else:
            source = _SqliteSource(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True))
        source.tables()  # the first read: a damaged or locked file fails here
    except (duckdb.Error, sqlite3.Error) as exc:
        raise LegacyImportError(_unreadable(path, exc)) from None
    try:
        yield source
    except (duckdb.Error, sqlite3.Error) as exc:
        raise LegacyImportError(_unreadable(path, exc)) from None
    finally:
        source.close()


def _unreadable(path: Path, exc: BaseException) -> str:
    text = " ".join(str(exc).split())[:200]
    if "lock" in text.lower():
        return (
            f"{path} is locked by another program (the original LevelUp still running?); "
            "close it and run the import again."
        )
    return f"{path} is damaged and cannot be read ({text}); nothing was imported."


class _DuckSource:
    layout = LAYOUT_V4

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con

    def tables(self) -> set[str]:
        rows = self._con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
        ).fetchall()
        return {r[0] for r in rows}

    def count(self, table: str) -> int:
        return int(self._con.execute(f'SELECT count(*) FROM "{table}"').fetchall()[0][0])

    def rows(self, table: str, order: str = "") -> Iterator[list[dict[str, Any]]]:
        by = f" ORDER BY {order}" if order else ""
        reader = self._con.sql(f'SELECT * FROM "{table}"{by}').to_arrow_reader(CHUNK)
        for batch in reader:
            yield batch.to_pylist()

    def close(self) -> None:
        self._con.close()


class _SqliteSource:
    layout = LAYOUT_SQLITE

    def __init__(self, con: sqlite3.Connection) -> None:
        con.row_factory = sqlite3.Row
        self._con = con

    def tables(self) -> set[str]:
        rows = self._con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        return {r[0] for r in rows}

    def count(self, table: str) -> int:
        return int(self._con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0])

    def rows(self, table: str, order: str = "") -> Iterator[list[dict[str, Any]]]:
        by = f" ORDER BY {order}" if order else ""
        cursor = self._con.execute(f'SELECT * FROM "{table}"{by}')
        while chunk := cursor.fetchmany(CHUNK):
            yield [dict(r) for r in chunk]

    def close(self) -> None:
        self._con.close()


def check_layout(source: Source, path: Path) -> None:
    """Refuse, in one sentence, a file with none of the tables this import knows."""
    tables = source.tables()
    if "raw_match_json" in tables:
        raise LegacyImportError(
            f"{path} is a database of this LevelUp, not of the original one: bring it back "
            f"with `levelup restore --player GAMERTAG --from {path}` instead."
        )
    known = {*IMPORTED_FROM, *ALIAS_TABLES, *WORKSHOP_TABLES}
    if tables & known:
        return
    what = (
        "a v4 stats.duckdb of the original LevelUp"
        if source.layout == LAYOUT_V4
        else "an OpenSpartan Workshop database nor a LevelUp one"
    )
    raise LegacyImportError(
        f"{path} has none of the tables the original LevelUp wrote (match_stats, MatchCache, "
        f"HighlightEvents, MatchStats...): it is not {what}; nothing imported."
    )


# ------------------------------------------------------------------ the file's player
def file_xuids(source: Source, gamertag: str) -> list[str]:
    """XUIDs the file itself names for its player: the v4 skill rows' xuid (most common
    first), else the alias / Players rows of this gamertag."""
    tables = source.tables()
    counts: Counter[str] = Counter()
    if "player_match_stats" in tables:
        for chunk in source.rows("player_match_stats"):
            counts.update(x for r in chunk if (x := normalize_xuid(r.get("xuid"))))
    if counts:
        return [x for x, _ in counts.most_common()]
    wanted = gamertag.lower()
    found: list[str] = []
    for table in ("Players", "xuid_aliases", "XuidAliases"):
        if table in tables:
            for chunk in source.rows(table):
                for row in chunk:
                    name = t_legacy.decode_gamertag(row.get("gamertag"))
                    xuid = normalize_xuid(row.get("xuid"))
                    if xuid and name and name.lower() == wanted and xuid not in found:
                        found.append(xuid)
    return found


# ------------------------------------------------------------------ what each table becomes
def batches(source: Source, player_xuid: str) -> Iterator[Batch]:
    """Every legacy table's rows as imported_* rows, table by table (order matters: matches
    first, so a later table's match rows find them; aliases last)."""
    tables = source.tables()
    v4 = source.layout == LAYOUT_V4
    matches_table = "match_stats" if v4 else "MatchCache"
    skill: dict[tuple[str, str], dict[str, Any]] = {}
    if matches_table in tables:
        yield from _matches(source, matches_table, player_xuid, skill)
    if v4 and "player_match_stats" in tables:
        yield from _skill(source, player_xuid, skill)
    if skill:  # MMR of match rows and skill rows together, one row per (match, xuid)
        rows = [r for r in skill.values() if t_legacy.has_skill(r)]
        name = "player_match_stats" if v4 else f"{matches_table} (MMR)"
        yield Batch(name, "imported_player_match_stats", rows)
    if v4:
        yield from _simple(source, "medals_earned", "imported_medals", t_legacy.medal_row)
        yield from _simple(
            source, "personal_score_awards", "imported_personal_scores", t_legacy.personal_score_row
        )
    events_table = "highlight_events" if v4 else "HighlightEvents"
    film_aliases: set[tuple[str, str]] = set()
    if events_table in tables:
        yield from _events(source, events_table, film_aliases)
    yield from _aliases(source, tables, film_aliases)


def _matches(
    source: Source, table: str, player_xuid: str, skill: dict[tuple[str, str], dict[str, Any]]
) -> Iterator[Batch]:
    for chunk in source.rows(table):
        batch = Batch(table, "imported_match_stats", [], read=len(chunk))
        for row in chunk:
            out, reason = t_legacy.match_row(row)
            if out is None:
                batch.skipped[reason or "?"] += 1
                continue
            batch.rows.append(out)
            mmr, _ = t_legacy.skill_row(
                {"match_id": out["match_id"], "xuid": player_xuid, **_mmr(row)}, player_xuid
            )
            if mmr is not None:
                _merge_skill(skill, mmr)
        yield batch


def _mmr(row: dict[str, Any]) -> dict[str, Any]:
    return {k: row.get(k) for k in ("team_mmr", "enemy_mmr", "team_id", "last_team_id")}


def _merge_skill(skill: dict[tuple[str, str], dict[str, Any]], row: dict[str, Any]) -> None:
    """One row per (match, xuid): values of the later row fill the NULLs of the earlier."""
    key = (row["match_id"], row["xuid"])
    known = skill.get(key)
    if known is None:
        skill[key] = row
        return
    for column, value in row.items():
        if known.get(column) is None and value is not None:
            known[column] = value


def _skill(
    source: Source, player_xuid: str, skill: dict[tuple[str, str], dict[str, Any]]
) -> Iterator[Batch]:
    for chunk in source.rows("player_match_stats"):
        batch = Batch("player_match_stats", "", [], read=len(chunk))
        for row in chunk:
            out, reason = t_legacy.skill_row(row, player_xuid)
            if out is None:
                batch.skipped[reason or "?"] += 1
            else:
                _merge_skill(skill, out)
        yield batch


def _simple(source: Source, table: str, target: str, convert: Any) -> Iterator[Batch]:
    if table not in source.tables():
        return
    for chunk in source.rows(table):
        batch = Batch(table, target, [], read=len(chunk))
        for row in chunk:
            out, reason = convert(row)
            if out is None:
                batch.skipped[reason or "?"] += 1
            else:
                batch.rows.append(out)
        yield batch


def _events(source: Source, table: str, aliases: set[tuple[str, str]]) -> Iterator[Batch]:
    """v4: one row per event, numbered per match in id order; SQLite: one JSON body per match
    (a list, or one object), the first readable body of a match kept. A match's events are
    never split between two batches (they are imported whole or not at all)."""
    v4 = source.layout == LAYOUT_V4
    seen_bodies: set[str] = set()
    carry: list[dict[str, Any]] = []  # v4: the events of the last match of a chunk
    for chunk in source.rows(table, "match_id, id" if v4 else "rowid"):
        batch = Batch(table, "imported_highlight_events", carry, read=0)
        for row in chunk:
            if v4:
                _v4_event(batch, row)
            else:
                _sqlite_body(batch, row, seen_bodies)
        carry = []
        if v4 and batch.rows:
            last = batch.rows[-1]["match_id"]
            while batch.rows and batch.rows[-1]["match_id"] == last:
                carry.append(batch.rows.pop())
            carry.reverse()
        aliases.update(
            (r["xuid"], r["gamertag"]) for r in batch.rows if r["xuid"] and r["gamertag"]
        )
        yield batch
    if carry:
        aliases.update((r["xuid"], r["gamertag"]) for r in carry if r["xuid"] and r["gamertag"])
        yield Batch(table, "imported_highlight_events", carry)


def _v4_event(batch: Batch, row: dict[str, Any]) -> None:
    batch.read += 1
    match_id = t_legacy.match_id_of(row.get("match_id"))
    if match_id is None:
        batch.skipped[t_legacy.NO_MATCH_ID] += 1
        return
    event, text = t_legacy.v4_event(row)
    previous = batch.rows[-1] if batch.rows else None
    index = previous["event_index"] + 1 if previous and previous["match_id"] == match_id else 0
    batch.rows.append(t_legacy.event_row(match_id, index, event, text))


def _sqlite_body(batch: Batch, row: dict[str, Any], seen: set[str]) -> None:
    match_id = t_legacy.match_id_of(row.get("MatchId"))
    events = t_legacy.sqlite_events(row.get("ResponseBody"))
    count = len(events) if events else 1
    batch.read += count
    if match_id is None:
        batch.skipped[t_legacy.NO_MATCH_ID] += count
    elif events is None:
        batch.skipped[t_legacy.UNREADABLE_EVENTS] += 1
    elif match_id in seen:
        batch.skipped["another body of a match already read"] += count
    else:
        seen.add(match_id)
        batch.rows.extend(
            t_legacy.event_row(match_id, i, e, json.dumps(e, ensure_ascii=False))
            for i, e in enumerate(events)
        )


#: legacy alias tables -> (xuid column, gamertag column, seen column)
ALIAS_TABLES: dict[str, tuple[str, str, str]] = {
    "xuid_aliases": ("xuid", "gamertag", "last_seen"),
    "XuidAliases": ("xuid", "gamertag", "last_seen"),
    "Players": ("xuid", "gamertag", ""),
    "teammates_aggregate": ("teammate_xuid", "teammate_gamertag", "last_played"),
    "TeammatesAggregate": ("teammate_xuid", "teammate_gamertag", "last_played"),
    "antagonists": ("opponent_xuid", "opponent_gamertag", "last_encounter"),
}


def _aliases(
    source: Source, tables: set[str], film_aliases: set[tuple[str, str]]
) -> Iterator[Batch]:
    for table, (xcol, gcol, scol) in ALIAS_TABLES.items():
        if table not in tables:
            continue
        for chunk in source.rows(table):
            batch = Batch(table, "imported_aliases", [], read=len(chunk))
            for row in chunk:
                out, reason = t_legacy.alias_row(
                    row.get(xcol), row.get(gcol), row.get(scol) if scol else None, table
                )
                if out is None:
                    batch.skipped[reason or "?"] += 1
                else:
                    batch.rows.append(out)
            yield batch
    if film_aliases:
        rows = [
            {"xuid": x, "gamertag": g, "last_seen": None, "legacy_table": "highlight_events"}
            for x, g in sorted(film_aliases)
        ]
        yield Batch("highlight events (gamertags)", "imported_aliases", rows, read=len(rows))


#: Legacy tables imported into imported_* tables other than aliases.
IMPORTED_FROM = (
    "match_stats",
    "MatchCache",
    "player_match_stats",
    "medals_earned",
    "personal_score_awards",
    "highlight_events",
    "HighlightEvents",
)


def not_imported(source: Source) -> list[tuple[str, int, str]]:
    """(table, rows, why) of the file's tables that are not imported (Workshop's excepted)."""
    known = {*IMPORTED_FROM, *ALIAS_TABLES, *WORKSHOP_TABLES, "PlaylistMapModePairs"}
    out = []
    for table in sorted(source.tables()):
        if table in known:
            continue
        why = NOT_IMPORTED.get(table, "not a table of the original LevelUp's layouts")
        out.append((table, source.count(table), why))
    return out
