"""The original LevelUp's files read-only as imported_* rows; a missing table reads as empty."""

from __future__ import annotations

import functools
import json
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from levelup_pipeline.store.errors import MaintenanceError
from levelup_pipeline.transform import legacy as t_legacy
from levelup_pipeline.transform._common import normalize_xuid
from levelup_pipeline.transform.legacy import Converted, Row

LAYOUT_V4 = "duckdb-v4"
LAYOUT_SQLITE = "sqlite"
PROFILES_FILE = "db_profiles.json"
CHUNK = 5000
_SQLITE_MAGIC = b"SQLite format 3\x00"
_DUCKDB_MAGIC = b"DUCK"  # bytes 8-11 of a DuckDB file

NOT_IMPORTED: dict[str, str] = {
    "sessions": "derived: sessions are recomputed here from the match times (each match's "
    "original session id is kept in imported_match_stats.legacy_session_id)",
    "skill_history": "derived: CSR comes with each match's skill, which the gap filling refetches",
    "sync_meta": "the original's sync bookkeeping, meaningless here",
    **{
        f"mv_{name}": "derived aggregate, recomputed here"
        for name in ("map_stats", "mode_category_stats", "session_stats", "global_stats")
    },
}
_UNKNOWN = "not a table of the original LevelUp's layouts"
UGC_TABLES = {
    "Maps": "map",
    "GameVariants": "ugc_game_variant",
    "Playlists": "playlist",
    "PlaylistMapModePairs": "map_mode_pair",
}
ROWS = {
    "medals_earned": ("imported_medals", t_legacy.medal_row),
    "personal_score_awards": ("imported_personal_scores", t_legacy.personal_score_row),
}
ALIAS_TABLES = (
    *("xuid_aliases", "XuidAliases", "Players"),
    *("teammates_aggregate", "TeammatesAggregate", "antagonists"),
)
IMPORTED_FROM = {
    *("match_stats", "MatchCache", "player_match_stats", "highlight_events", "HighlightEvents"),
    *ROWS,
    *ALIAS_TABLES,
    *("MatchStats", "PlayerMatchStats", *UGC_TABLES),  # Workshop's
}


@dataclass
class TableReport:
    """One legacy table: rows read, imported, kept (already there), skipped by reason."""

    table: str
    target: str = ""
    read: int = 0
    imported: int = 0
    kept: int = 0
    skipped: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True)
class Profile:
    gamertag: str
    path: Path
    xuid: str | None = None


class Source:
    """A legacy file opened read-only (DuckDB or SQLite), rows as dicts."""

    def __init__(self, path: Path, con: duckdb.DuckDBPyConnection | sqlite3.Connection) -> None:
        self.path = path
        self.con = con
        self.layout = LAYOUT_V4 if isinstance(con, duckdb.DuckDBPyConnection) else LAYOUT_SQLITE
        query = "SELECT name FROM sqlite_master WHERE type = 'table'"  # DuckDB has it too
        self.tables = {r[0] for r in con.execute(query).fetchall()}

    def rows(self, sql: str, params: Sequence[Any] = (), size: int = CHUNK) -> Iterator[list[Row]]:
        if isinstance(self.con, duckdb.DuckDBPyConnection):
            for batch in self.con.cursor().sql(sql, params=params).to_arrow_reader(size):
                yield batch.to_pylist()
            return
        cursor = self.con.execute(sql, params)
        names = [d[0] for d in cursor.description]
        while chunk := cursor.fetchmany(size):
            yield [dict(zip(names, row, strict=True)) for row in chunk]

    def table(self, table: str) -> Iterator[list[Row]]:
        return self.rows(f'SELECT * FROM "{table}"') if table in self.tables else iter(())

    def has(self, table: str, *columns: str) -> bool:
        if table not in self.tables:
            return False
        found = self.con.cursor().execute(f'SELECT * FROM "{table}" LIMIT 0').description
        return set(columns) <= {d[0] for d in found}


def profiles(path: Path, gamertag: str | None) -> list[Profile]:
    """The players a path names: a file's (`gamertag`), or an install folder's (all or one)."""
    path = Path(path).expanduser()
    if not path.is_dir():
        if not path.is_file():
            raise MaintenanceError(f"Nothing at {path}: check the path given to the import.")
        if gamertag is None:
            raise MaintenanceError(f"Pass the player whose file {path} is with --gamertag.")
        return [Profile(gamertag, path)]
    listing = path / PROFILES_FILE
    if not listing.is_file():
        raise MaintenanceError(
            f"{path} is a folder without {PROFILES_FILE}: pass the original LevelUp's "
            "install folder, or a player's stats.duckdb file."
        )
    try:
        found = [
            Profile(str(name), (path / str(entry["db_path"])).resolve(), _xuid(entry))
            for name, entry in json.loads(listing.read_text(encoding="utf-8"))["profiles"].items()
        ]
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise MaintenanceError(
            f"{listing} is not a readable profile list ({type(exc).__name__}: {exc}); "
            'expected {"profiles": {"<gamertag>": {"db_path": ..., "xuid": ...}}}.'
        ) from None
    picked = [p for p in found if gamertag is None or p.gamertag.lower() == gamertag.lower()]
    if gamertag and not picked:
        names = ", ".join(sorted(p.gamertag for p in found)) or "none"
        raise MaintenanceError(f"{gamertag} is not a profile of {listing} (profiles: {names}).")
    return picked


def _xuid(entry: dict[str, Any]) -> str | None:
    return normalize_xuid(str(entry.get("xuid") or ""))


@contextmanager
def open_source(path: Path) -> Iterator[Source]:
    """The file opened read-only, its layout from its header; one sentence if it cannot be."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(16)
    except OSError as exc:
        raise MaintenanceError(f"{path} cannot be read ({exc.strerror}).") from None
    if not head.startswith(_SQLITE_MAGIC) and head[8:12] != _DUCKDB_MAGIC:
        raise MaintenanceError(
            f"{path} is neither a DuckDB nor a SQLite file: it is not one of the original "
            "LevelUp's databases (see docs/migration.md for the files it wrote)."
        )
    try:
        if head.startswith(_SQLITE_MAGIC):
            con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        else:
            con = duckdb.connect(str(path), read_only=True)
        with closing(con):
            yield Source(path, con)
    except (duckdb.Error, sqlite3.Error) as exc:
        text = " ".join(str(exc).split())[:200]
        if "lock" in text.lower():
            raise MaintenanceError(
                f"{path} is locked by another program (the original LevelUp still running?); "
                "close it and run the import again."
            ) from None
        raise MaintenanceError(
            f"{path} is damaged and cannot be read ({text}); nothing was imported."
        ) from None


def check_layout(source: Source, path: Path) -> None:
    if "raw_match_json" in source.tables:
        raise MaintenanceError(
            f"{path} is a database of this LevelUp, not of the original one: bring it back "
            f"with `levelup restore --player GAMERTAG --from {path}` instead."
        )
    if source.tables & IMPORTED_FROM:
        return
    what = (
        "a v4 stats.duckdb of the original LevelUp"
        if source.layout == LAYOUT_V4
        else "an OpenSpartan Workshop database nor a LevelUp one"
    )
    raise MaintenanceError(
        f"{path} has none of the tables the original LevelUp wrote (match_stats, MatchCache, "
        f"HighlightEvents, MatchStats...): it is not {what}; nothing imported."
    )


def not_imported(source: Source) -> list[tuple[str, int, str]]:
    """(table, rows, why) of the file's tables that are not imported, for --dry-run."""
    out = []
    for table in sorted(source.tables - IMPORTED_FROM):
        count = source.con.execute(f'SELECT count(*) FROM "{table}"').fetchall()[0][0]
        out.append((table, count, NOT_IMPORTED.get(table, _UNKNOWN)))
    return out


def file_xuids(path: Path, gamertag: str) -> list[str]:
    """XUIDs the file names for its player, likeliest first."""
    with open_source(path) as source:
        counts: Counter[str] = Counter()
        for chunk in source.table("player_match_stats"):
            counts.update(x for r in chunk if (x := normalize_xuid(r.get("xuid"))))
        if counts:
            return [x for x, _ in counts.most_common()]
        found: dict[str, None] = {}
        for table in ("Players", "xuid_aliases", "XuidAliases"):
            for chunk in source.table(table):
                for alias in filter(None, (t_legacy.alias_row(r, table)[0] for r in chunk)):
                    if alias["gamertag"].lower() == gamertag.lower():
                        found[alias["xuid"]] = None
        if found or not source.has("MatchStats", "ResponseBody"):
            return list(found)
        common: set[str] | None = None
        for chunk in match_bodies(source):
            for body in filter(None, chunk):
                common = human_xuids(body) if common is None else common & human_xuids(body)
        return sorted(common or ())


def match_bodies(source: Source, size: int = 200) -> Iterator[list[dict[str, Any] | None]]:
    """Workshop's MatchStats bodies in file order (None: unreadable)."""
    for chunk in source.rows('SELECT ResponseBody FROM "MatchStats" ORDER BY rowid', size=size):
        bodies = [t_legacy.parse_json(r["ResponseBody"]) for r in chunk]
        yield [b if isinstance(b, dict) and b.get("MatchId") else None for b in bodies]


def human_xuids(body: dict[str, Any]) -> set[str]:
    """Bare XUIDs of a match body's players (robust to non-dict entries, unlike metadata's)."""
    players = [p for p in body.get("Players") or [] if isinstance(p, dict)]
    return {x for p in players if (x := normalize_xuid(p.get("PlayerId")))}


def skill_bodies(source: Source, match_ids: list[str]) -> dict[str, dict[str, Any]]:
    """The last skill body of each match by lower id: Workshop may keep duplicates."""
    if not match_ids or not source.has("PlayerMatchStats", "MatchId", "ResponseBody"):
        return {}
    marks = ",".join("?" for _ in match_ids)
    sql = (
        'SELECT lower(MatchId) AS id, ResponseBody FROM "PlayerMatchStats"'
        f" WHERE lower(MatchId) IN ({marks}) ORDER BY rowid"
    )
    out = {}
    for chunk in source.rows(sql, [m.lower() for m in match_ids]):
        for row in chunk:
            body = t_legacy.parse_json(row["ResponseBody"])
            if isinstance(body, dict) and isinstance(body.get("Value"), list):
                out[row["id"]] = body
    return out


Batches = Iterator[tuple[TableReport, list[Row]]]


def batches(source: Source, player_xuid: str, tables: dict[str, TableReport]) -> Batches:
    """(entry, imported_* rows) by chunk: matches first (MMR joins skill), aliases last (films')."""
    v4 = source.layout == LAYOUT_V4
    skill: dict[tuple[str, str], Row] = {}

    def merge_skill(converted: Converted) -> Converted:
        row, reason = converted
        if row is not None:
            known = skill.setdefault((row["match_id"], row["xuid"]), row)
            known.update({k: v for k, v in row.items() if known[k] is None})
        return None, reason

    def match(row: Row) -> Converted:
        out, reason = t_legacy.match_row(row)
        if out is not None:
            mmr = {k: row.get(k) for k in ("team_mmr", "enemy_mmr", "team_id", "last_team_id")}
            mmr_row = {"match_id": out["match_id"], "xuid": player_xuid, **mmr}
            merge_skill(t_legacy.skill_row(mmr_row, player_xuid))
        return out, reason

    def skill_of(row: Row) -> Converted:
        return merge_skill(t_legacy.skill_row(row, player_xuid))

    matches = "match_stats" if v4 else "MatchCache"
    yield from _convert(source, tables, matches, "imported_match_stats", match)
    if v4:
        yield from _convert(source, tables, "player_match_stats", "", skill_of)
    if skill:
        name = "player_match_stats" if v4 else f"{matches} (MMR)"
        rows = [r for r in skill.values() if t_legacy.has_skill(r)]
        yield _entry(tables, name, "imported_player_match_stats"), rows
    for table, (target, convert) in ROWS.items():
        yield from _convert(source, tables, table, target, convert)
    film_aliases: set[tuple[str, str]] = set()
    for entry, rows in _events(source, tables):
        film_aliases.update((r["xuid"], r["gamertag"]) for r in rows)
        yield entry, rows
    for table in ALIAS_TABLES:
        alias = functools.partial(t_legacy.alias_row, table=table)
        yield from _convert(source, tables, table, "imported_aliases", alias)
    rows = [
        {"xuid": x, "gamertag": g, "last_seen": None, "legacy_table": "highlight_events"}
        for x, g in sorted(a for a in film_aliases if all(a))
    ]
    if rows:
        entry = _entry(tables, "highlight events (gamertags)", "imported_aliases")
        entry.read += len(rows)
        yield entry, rows


def _entry(tables: dict[str, TableReport], table: str, target: str) -> TableReport:
    entry = tables.setdefault(table, TableReport(table))
    entry.target = target or entry.target
    return entry


def _convert(
    source: Source,
    tables: dict[str, TableReport],
    table: str,
    target: str,
    convert: Callable[[Row], Converted],
) -> Batches:
    for chunk in source.table(table):
        entry = _entry(tables, table, target)
        entry.read += len(chunk)
        rows = []
        for out, reason in map(convert, chunk):
            if out is not None:
                rows.append(out)
            elif reason:
                entry.skipped[reason] += 1
        yield entry, rows


def _events(source: Source, tables: dict[str, TableReport]) -> Batches:
    """One row per match, so that its events are imported whole or not at all."""
    v4 = source.layout == LAYOUT_V4
    table = "highlight_events" if v4 else "HighlightEvents"
    if table not in source.tables:
        return
    sql = (
        "SELECT match_id, list(h ORDER BY id) AS events FROM highlight_events h"
        " GROUP BY match_id ORDER BY match_id"
        if v4
        else 'SELECT MatchId AS match_id, ResponseBody AS events FROM "HighlightEvents"'
        " ORDER BY rowid"
    )
    seen: set[str] = set()
    for chunk in source.rows(sql):
        entry = _entry(tables, table, "imported_highlight_events")
        rows: list[Row] = []
        for row in chunk:
            match_id = t_legacy.match_id_of(row["match_id"])
            if v4:
                events = [t_legacy.v4_event(e) for e in row["events"]]
            else:
                parsed = t_legacy.sqlite_events(row["events"])
                events = parsed and [(e, json.dumps(e, ensure_ascii=False)) for e in parsed]
            count = len(events) if events else 1
            entry.read += count
            if match_id is None:
                entry.skipped[t_legacy.NO_MATCH_ID] += count
            elif events is None:
                entry.skipped[t_legacy.UNREADABLE_EVENTS] += 1
            elif match_id in seen:
                entry.skipped["another body of a match already read"] += count
            else:
                seen.add(match_id)
                rows.extend(
                    t_legacy.event_row(match_id, i, event, text)
                    for i, (event, text) in enumerate(events)
                )
        yield entry, rows
