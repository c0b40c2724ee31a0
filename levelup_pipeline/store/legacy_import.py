"""Import one player's file of the original LevelUp into this project's store.

All or nothing: the import runs against a staged copy of the player's database, made under
the player's writer lock, and the copy replaces the database only once everything went
through. A failed or refused import - or a `--dry-run`, which runs the very same steps -
leaves the player's database untouched. Imported rows go to the imported_* tables (migration
008) with their provenance, then the transform folds them into the model where raw API JSON
has nothing (store/imported.py). Keys make a second import of the same file change nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from levelup_pipeline.store.legacy_read import (
    LAYOUT_SQLITE,
    WORKSHOP_TABLES,
    Batch,
    LegacyImportError,
    batches,
    check_layout,
    not_imported,
    open_source,
)
from levelup_pipeline.store.maintenance import exclusive
from levelup_pipeline.store.player_store import PlayerStore
from levelup_pipeline.store.views import registered
from levelup_pipeline.store.writer import StoreWriter

IMPORT_META_KEY = "legacy_import"
STAGING_DIR = ".import-staging"
_PROVENANCE = ("source", "layout", "imported_at")
# imported_highlight_events: a match's events come from one film, imported whole or not at all
_MATCH_LEVEL = {"imported_highlight_events"}


@dataclass
class TableReport:
    """One legacy table: rows read, imported (new), kept (already there), skipped by reason."""

    table: str
    target: str = ""
    read: int = 0
    imported: int = 0
    kept: int = 0
    skipped: Counter[str] = field(default_factory=Counter)


@dataclass
class LegacyReport:
    """What an import (or a dry run) read, imported, kept and skipped."""

    source: Path
    layout: str
    gamertag: str
    xuid: str
    dry_run: bool
    tables: dict[str, TableReport] = field(default_factory=dict)
    not_imported: list[tuple[str, int, str]] = field(default_factory=list)
    workshop: Any = None  # sqlite_import.ImportReport of a file with Workshop tables
    model: dict[str, int] = field(default_factory=dict)  # model rows after the import


@contextmanager
def staged(store: PlayerStore, commit: bool) -> Iterator[PlayerStore]:
    """A copy of the player's database to work on, under the player's writer lock; it
    replaces the database on exit when `commit`, and is deleted in every case."""
    root = store.path.parent / STAGING_DIR
    created = not store.path.parent.exists()
    committed = False
    try:
        with exclusive(store):
            shutil.rmtree(root, ignore_errors=True)
            stage = PlayerStore(store.gamertag, data_dir=root)
            stage.path.parent.mkdir(parents=True, exist_ok=True)
            try:
                if store.exists():
                    _checkpoint(store)
                    shutil.copy2(store.path, stage.path)
                yield stage
                if commit:
                    if Path(f"{stage.path}.wal").exists():  # the file alone must be whole
                        duckdb.connect(str(stage.path)).close()
                    os.replace(stage.path, store.path)
                    committed = True
            finally:
                shutil.rmtree(root, ignore_errors=True)
    finally:
        if created and not committed:  # a dry run (or a failure) leaves no empty player folder
            shutil.rmtree(store.path.parent, ignore_errors=True)


def _checkpoint(store: PlayerStore) -> None:
    """Fold the player's WAL into the file, so the file alone is the whole database."""
    if not Path(f"{store.path}.wal").exists():
        return
    with store.reader():  # a damaged file fails here, in one sentence
        pass
    con = duckdb.connect(str(store.path))
    try:
        con.execute("CHECKPOINT")
    finally:
        con.close()


def import_legacy(
    store: PlayerStore,
    path: Path,
    xuid: str,
    dry_run: bool = False,
    now: dt.datetime | None = None,
) -> LegacyReport:
    """Import `path` (v4 DuckDB or legacy SQLite) for the store's player; see module doc."""
    now = now or dt.datetime.now(dt.UTC)
    with open_source(path) as source:
        check_layout(source, path)
        report = LegacyReport(path, source.layout, store.gamertag, xuid, dry_run)
        report.not_imported = not_imported(source)
        has_workshop = source.layout == LAYOUT_SQLITE and bool(
            set(WORKSHOP_TABLES[:1]) & source.tables()
        )
        with staged(store, commit=not dry_run) as stage:
            with stage.writer() as writer:
                _check_owner(writer, store.gamertag, xuid)
                with writer._transaction() as con:  # every imported row, one transaction
                    for batch in batches(source, xuid):
                        _write(con, writer, batch, report, path, now)
                writer.set_meta("player_xuid", xuid)
                writer.set_meta("player_gamertag", store.gamertag)
            if has_workshop:
                report.workshop = _workshop(stage, path, xuid)
            _check_something(report)
            with stage.writer() as writer:
                writer.transform_pending(xuid)  # folds the imported rows into the model
                writer.refresh_aggregates()
                writer.set_meta(IMPORT_META_KEY, _record(writer, report, now))
                report.model = {
                    t: writer.connection.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]
                    for t in ("match_stats", "player_match_stats", "medals",
                              "highlight_events", "xuid_aliases")
                }  # fmt: skip
    return report


def _check_owner(writer: StoreWriter, gamertag: str, xuid: str) -> None:
    known = writer.get_meta("player_xuid")
    if known and known != xuid:
        raise LegacyImportError(
            f"The database of {gamertag} belongs to XUID {known}, not {xuid}; nothing imported."
        )


def _check_something(report: LegacyReport) -> None:
    """An import that finds nothing at all is refused: an empty file is no history."""
    found = sum(t.imported + t.kept for t in report.tables.values())
    ws = report.workshop
    if found or (ws is not None and (ws.imported or ws.already_archived)):
        return
    raise LegacyImportError(
        f"{report.source} holds nothing to import for {report.gamertag} (its tables are empty "
        "or unusable, see --dry-run); nothing imported."
    )


def _workshop(stage: PlayerStore, path: Path, xuid: str) -> Any:
    """Workshop's MatchStats/PlayerMatchStats bodies of the same SQLite file, as raw JSON."""
    from levelup_pipeline.store.sqlite_import import import_workshop_db, open_workshop_db

    con = open_workshop_db(path)
    try:
        return import_workshop_db(stage, con, path, xuid, stage.gamertag)
    finally:
        con.close()


def _write(
    con: duckdb.DuckDBPyConnection,
    writer: StoreWriter,
    batch: Batch,
    report: LegacyReport,
    path: Path,
    now: dt.datetime,
) -> None:
    """Insert one batch (keys already present are kept as they are) and count it."""
    entry = report.tables.setdefault(batch.legacy_table, TableReport(batch.legacy_table))
    entry.read += batch.read
    entry.skipped.update(batch.skipped)
    if not batch.target:
        return
    entry.target = batch.target
    rows = _dedupe(batch, entry)
    if not rows:
        return
    schema = writer._schema(batch.target)
    columns = [c for c in schema.names if c not in _PROVENANCE and c in rows[0]]
    data = writer._arrow(batch.target, rows, columns)
    data = data.append_column("source", pa.array([str(path)] * data.num_rows, pa.string()))
    data = data.append_column("layout", pa.array([report.layout] * data.num_rows, pa.string()))
    data = data.append_column(
        "imported_at", pa.array([now] * data.num_rows, pa.timestamp("us", tz="UTC"))
    )
    names = ", ".join(data.column_names)
    with registered(con, "_legacy_in", data):
        if batch.target in _MATCH_LEVEL:
            sql = (
                f"INSERT INTO {batch.target} ({names}) SELECT {names} FROM _legacy_in"
                f" WHERE match_id NOT IN (SELECT match_id FROM {batch.target})"
            )
        else:
            sql = f"INSERT OR IGNORE INTO {batch.target} ({names}) SELECT {names} FROM _legacy_in"
        inserted = int(con.execute(sql).fetchall()[0][0])
    entry.imported += inserted
    entry.kept += len(rows) - inserted


_KEYS = {
    "imported_match_stats": ("match_id",),
    "imported_player_match_stats": ("match_id", "xuid"),
    "imported_medals": ("match_id", "name_id"),
    "imported_personal_scores": ("match_id", "award_name"),
    "imported_highlight_events": ("match_id", "event_index"),
    "imported_aliases": ("xuid", "gamertag"),
}


def _dedupe(batch: Batch, entry: TableReport) -> list[dict[str, Any]]:
    """One row per key within the batch (the first); the others are counted as skipped."""
    key = _KEYS[batch.target]
    unique: dict[tuple, dict[str, Any]] = {}
    for row in batch.rows:
        unique.setdefault(tuple(row[k] for k in key), row)
    duplicates = len(batch.rows) - len(unique)
    if duplicates:
        entry.skipped["the same key twice in the file (first row kept)"] += duplicates
    return list(unique.values())


def _record(writer: StoreWriter, report: LegacyReport, now: dt.datetime) -> str:
    """sync_meta record of the imports (the last one per source file)."""
    try:
        past = json.loads(writer.get_meta(IMPORT_META_KEY) or "{}")
    except ValueError:
        past = {}
    if not isinstance(past, dict):
        past = {}
    past[str(report.source)] = {
        "layout": report.layout,
        "at": now.isoformat(),
        "imported": {t.table: t.imported for t in report.tables.values() if t.target},
    }
    return json.dumps(past, separators=(",", ":"), sort_keys=True)


__all__ = ["LegacyImportError", "LegacyReport", "TableReport", "import_legacy", "staged"]
