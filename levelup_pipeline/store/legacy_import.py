"""Import one player's file of the original LevelUp all or nothing, through a staged copy."""

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

import duckdb

from levelup_pipeline.store.errors import MaintenanceError
from levelup_pipeline.store.legacy_read import (
    UGC_TABLES,
    Source,
    TableReport,
    batches,
    check_layout,
    human_xuids,
    match_bodies,
    not_imported,
    open_source,
    skill_bodies,
)
from levelup_pipeline.store.paths import wal
from levelup_pipeline.store.player_store import PlayerStore
from levelup_pipeline.store.raw_writes import RawMatch
from levelup_pipeline.store.views import meta_json, put_meta, registered, table_counts
from levelup_pipeline.store.writer import StoreWriter
from levelup_pipeline.transform.legacy import parse_json

IMPORT_META_KEY = "legacy_import"
STAGING_DIR = ".import-staging"
MODEL_TABLES = ("match_stats", "player_match_stats", "medals", "highlight_events", "xuid_aliases")


@dataclass
class LegacyReport:
    """What an import (or a dry run) read, imported, kept and skipped."""

    source: Path
    layout: str
    gamertag: str
    dry_run: bool
    tables: dict[str, TableReport] = field(default_factory=dict)
    not_imported: list[tuple[str, int, str]] = field(default_factory=list)
    workshop: Counter[str] | None = None
    model: dict[str, int] = field(default_factory=dict)


@contextmanager
def staged(store: PlayerStore, commit: bool) -> Iterator[PlayerStore]:
    """A copy of the player's database, under its writers' lock, swapped in when `commit`."""
    root = store.path.parent / STAGING_DIR
    created = not store.path.parent.exists()  # a dry run or a failure leaves no empty folder
    try:
        with store.locked():
            shutil.rmtree(root, ignore_errors=True)
            stage = PlayerStore(store.gamertag, data_dir=root)
            stage.path.parent.mkdir(parents=True, exist_ok=True)
            try:
                if store.exists():
                    if wal(store.path).exists():  # the copy must be the whole database
                        with store.connect(migrate=False) as con:  # damage: one sentence
                            con.execute("CHECKPOINT")
                    shutil.copy2(store.path, stage.path)
                yield stage
                if commit:
                    if wal(stage.path).exists():  # the file alone must be whole
                        duckdb.connect(str(stage.path)).close()
                    os.replace(stage.path, store.path)
                    created = False
            finally:
                shutil.rmtree(root, ignore_errors=True)
    finally:
        if created:
            shutil.rmtree(store.path.parent, ignore_errors=True)


def import_legacy(
    store: PlayerStore,
    path: Path,
    xuid: str,
    dry_run: bool = False,
    now: dt.datetime | None = None,
) -> LegacyReport:
    """Import `path` (v4 DuckDB or legacy SQLite) for the store's player."""
    now = now or dt.datetime.now(dt.UTC)
    with open_source(path) as source:
        check_layout(source, path)
        report = LegacyReport(path, source.layout, store.gamertag, dry_run)
        report.not_imported = not_imported(source)
        with staged(store, commit=not dry_run) as stage, stage.writer() as writer:
            known = writer.get_meta("player_xuid")
            if known and known != xuid:
                raise MaintenanceError(
                    f"The database of {store.gamertag} belongs to XUID {known}, not {xuid}; "
                    "nothing imported."
                )
            with writer._transaction() as con:  # every imported row, one transaction
                for entry, rows in batches(source, xuid, report.tables):
                    _write(con, writer, entry, rows, report, now)
                put_meta(con, {"player_xuid": xuid, "player_gamertag": store.gamertag})
            if source.has("MatchStats", "ResponseBody"):  # Workshop's raw API JSON
                report.workshop = _workshop(writer, source, xuid, now)
            found = sum(t.imported + t.kept for t in report.tables.values())
            ws = report.workshop or Counter()
            if not (found or ws["imported"] or ws["already_archived"]):
                raise MaintenanceError(
                    f"{path} holds nothing to import for {store.gamertag} (its tables are "
                    "empty or unusable, see --dry-run); nothing imported."
                )
            writer.transform_pending(xuid)  # folds the imported rows into the model
            writer.refresh_aggregates()
            writer.set_meta(IMPORT_META_KEY, _record(writer, report, now))
            report.model = table_counts(writer.connection, list(MODEL_TABLES))
    return report


def _write(
    con: duckdb.DuckDBPyConnection,
    writer: StoreWriter,
    entry: TableReport,
    rows: list[dict],
    report: LegacyReport,
    now: dt.datetime,
) -> None:
    """Insert one batch, keys already present kept as they are (a re-import is a no-op)."""
    if not entry.target:
        return
    key = con.execute(
        "SELECT constraint_column_names FROM duckdb_constraints()"
        " WHERE table_name = ? AND constraint_type = 'PRIMARY KEY'",
        [entry.target],
    ).fetchall()[0][0]
    unique: dict[tuple, dict] = {}
    for row in rows:
        unique.setdefault(tuple(row[k] for k in key), row)
    if duplicates := len(rows) - len(unique):
        entry.skipped["the same key twice in the file (first row kept)"] += duplicates
    if not unique:
        return
    rows = list(unique.values())
    columns = [c for c in writer._schema(entry.target).names if c in rows[0]]
    names = ", ".join(columns)
    whole = ""  # a match's events come from one film: imported whole or not at all
    if entry.target == "imported_highlight_events":
        whole = " WHERE match_id NOT IN (SELECT match_id FROM imported_highlight_events)"
    with registered(con, "_legacy_in", writer._arrow(entry.target, rows, columns)):
        inserted = con.execute(
            f"INSERT OR IGNORE INTO {entry.target} ({names}, source, layout, imported_at)"
            f" SELECT {names}, ?, ?, ? FROM _legacy_in{whole}",
            [str(report.source), report.layout, now],
        ).fetchall()[0][0]
    entry.imported += inserted
    entry.kept += len(rows) - inserted


def _workshop(writer: StoreWriter, source: Source, xuid: str, now: dt.datetime) -> Counter[str]:
    """Workshop's bodies of the player stored as a sync's raw JSON; archived matches stay so."""
    counts: Counter[str] = Counter()
    archived_ids = writer.connection.execute("SELECT match_id FROM archived_matches").fetchall()
    archived = {r[0] for r in archived_ids}
    for chunk in match_bodies(source):
        counts["read"] += len(chunk)
        mine = []
        for body in chunk:
            if body is None:
                counts["unreadable"] += 1
            elif xuid not in human_xuids(body):
                counts["not_the_player"] += 1
            elif str(body["MatchId"]) in archived:
                counts["already_archived"] += 1
            else:
                mine.append(body)
        skills = skill_bodies(source, [str(b["MatchId"]) for b in mine])
        rows = []
        for body in mine:
            skill = skills.get(str(body["MatchId"]).lower())
            status = "ok" if skill is not None else None
            rows.append(RawMatch(str(body["MatchId"]), body, skill, None, status, None, now))
            counts["with_skill"] += skill is not None
        counts["imported"] += writer.write_raw_matches(rows)
    if counts["read"] and not counts["imported"] and not counts["already_archived"]:
        raise MaintenanceError(
            f"None of the {counts['read']} matches in {source.path} includes XUID {xuid}; "
            "pass the right player with --xuid."
        )
    for table, kind in UGC_TABLES.items():
        if source.has(table, "ResponseBody"):
            bodies = [parse_json(r["ResponseBody"]) for c in source.table(table) for r in c]
            assets = [b for b in bodies if isinstance(b, dict) and b.get("AssetId")]
            counts["ugc"] += writer.write_ugc_assets(assets, asset_kind=kind, fetched_at=now)
    return counts


def _record(writer: StoreWriter, report: LegacyReport, now: dt.datetime) -> str:
    past = meta_json(writer.connection, IMPORT_META_KEY)
    past = past if isinstance(past, dict) else {}
    imported = {t.table: t.imported for t in report.tables.values() if t.target}
    if report.workshop is not None:
        imported["MatchStats"] = report.workshop["imported"]
    past[str(report.source)] = {
        "layout": report.layout,
        "at": now.isoformat(),
        "imported": imported,
    }
    return json.dumps(past, separators=(",", ":"), sort_keys=True)
