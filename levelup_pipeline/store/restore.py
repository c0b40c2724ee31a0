"""`levelup restore`, all or nothing even when killed: a staged copy, then a journal commits the
swap (renames, each done only if still to do); `levelup db check` finishes a killed one."""

from __future__ import annotations

import json
import logging
import os
import shutil
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from levelup_pipeline.atomic_file import write_atomic
from levelup_pipeline.store import raw_damage
from levelup_pipeline.store.archive import ARCHIVE_DIRNAME, archive_root, refresh_archive_views
from levelup_pipeline.store.errors import MaintenanceError, StoreNotFound, one_line
from levelup_pipeline.store.maintenance import (
    REPLACED_PREFIX,
    _stamp,
    copy_store,
    list_backups,
    set_aside,
    store_backups,
)
from levelup_pipeline.store.migrate import current_version, latest_version
from levelup_pipeline.store.paths import DB_FILENAME, restore_journal, wal
from levelup_pipeline.store.player_store import PlayerStore, forget_state
from levelup_pipeline.store.views import get_meta, read_every_block

log = logging.getLogger(__name__)
STAGING_PREFIX = ".restore-"


@dataclass
class RestoreReport:
    """What was restored, and where the replaced files were kept."""

    source: Path
    counts: dict[str, int]
    set_aside: Path | None

    @classmethod
    def of(cls, entry: dict) -> RestoreReport:
        """The report of a journal entry."""
        aside = Path(entry["aside"])
        counts = dict(entry.get("counts") or {})
        return cls(Path(entry.get("source", "")), counts, aside if aside.exists() else None)


def _validate_backup(db: Path, gamertag: str) -> tuple[dict[str, int], str | None]:
    """Row counts and player XUID of a backup, every block read; refuse what is unusable."""
    try:
        with duckdb.connect(str(db), read_only=True) as con:
            sums = read_every_block(con)  # damaged blocks fail here
            if "sync_meta" not in sums or "raw_match_json" not in sums:
                raise MaintenanceError(
                    f"{db} is a DuckDB file but not a LevelUp player database; nothing restored."
                )
            version = current_version(con)
            xuid = get_meta(con, "player_xuid")
    except duckdb.Error as exc:
        raise MaintenanceError(
            f"The backup {db} cannot be opened ({one_line(exc)}); pick another one with "
            f"`levelup restore --player {gamertag} --from PATH`."
        ) from exc
    if version > latest_version():
        raise MaintenanceError(
            f"The backup {db} has schema version {version}, newer than this LevelUp "
            f"({latest_version()}); upgrade LevelUp to restore it."
        )
    return {t: n for t, (n, _) in sums.items()}, xuid


def _apply(store: PlayerStore, entry: dict) -> None:
    """The swap; each step is done only if still to do."""
    staging, aside = Path(entry["staging"]), Path(entry["aside"])
    live_archive = archive_root(store.path)
    staged_db, staged_archive = staging / DB_FILENAME, staging / ARCHIVE_DIRNAME
    if staged_db.exists():
        forget_state(store.path)
        set_aside(aside, store.path, wal(store.path))
        os.replace(staged_db, store.path)
    if staged_archive.exists():
        set_aside(aside, live_archive)
        os.replace(staged_archive, live_archive)
    with duckdb.connect(str(store.path)) as con:  # views hold absolute paths
        refresh_archive_views(con, store.path)
    restore_journal(store.path).unlink()
    shutil.rmtree(staging, ignore_errors=True)


def _drop_uncommitted(store: PlayerStore, keep: Path | None = None) -> None:
    """Staging folders no journal points to: a restore killed before its commit."""
    for path in store.path.parent.glob(f"{STAGING_PREFIX}*"):
        if path != keep and path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
    restore_journal(store.path).with_suffix(".json.tmp").unlink(missing_ok=True)


def finish_interrupted_restore(store: PlayerStore) -> RestoreReport:
    """Finish a committed restore killed half-way (its journal exists)."""
    journal = restore_journal(store.path)
    try:
        entry = json.loads(journal.read_text(encoding="utf-8"))
        staging = Path(entry["staging"])
    except (ValueError, KeyError, TypeError) as exc:
        raise MaintenanceError(
            f"The journal of an interrupted restore ({journal}) is unreadable ({one_line(exc)}); "
            f"move it away and run `levelup restore --player {store.gamertag}` again."
        ) from exc
    _drop_uncommitted(store, keep=staging)
    _apply(store, entry)
    log.warning(
        "Finished the restore of %s's database from %s that was interrupted; the replaced "
        "files are in %s.",
        store.gamertag,
        entry.get("source"),
        entry["aside"],
    )
    return RestoreReport.of(entry)


def restore(store: PlayerStore, source: Path | None = None) -> RestoreReport:
    """Swap a checked backup in, the replaced files kept aside; works on a damaged live file."""
    if source is None:
        found = list_backups(store)
        if not found:
            raise StoreNotFound(
                f"No backup of {store.gamertag} under {store_backups(store)}; run "
                f"`levelup backup --player {store.gamertag}` first or pass --from PATH."
            )
        source = found[-1]
    source = Path(source).expanduser()
    if not source.exists():
        raise StoreNotFound(f"No backup at {source}; check the path given to --from.")
    db = source / DB_FILENAME if source.is_dir() else source
    if not db.is_file():
        raise StoreNotFound(f"{source} holds no {DB_FILENAME}; pass a backup folder or file.")
    if wal(db).exists():
        raise MaintenanceError(
            f"{db} has a pending write-ahead log ({wal(db).name}); open it once with "
            "DuckDB to checkpoint it, then restore again."
        )
    counts, xuid = _validate_backup(db, store.gamertag)
    with store.locked(), store.guard():  # locked() finishes a killed restore
        _drop_uncommitted(store)  # and this drops the staging files of an uncommitted one
        live_xuid = None
        if store.exists():  # an unreadable live file is moved, never opened for more
            with suppress(duckdb.Error), duckdb.connect(str(store.path), read_only=True) as con:
                live_xuid = get_meta(con, "player_xuid")
        if xuid and live_xuid and xuid != live_xuid:
            raise MaintenanceError(
                f"The backup {db} belongs to XUID {xuid}, not to {store.gamertag} (XUID "
                f"{live_xuid}); nothing restored."
            )
        stamp = _stamp()
        staging = store.path.parent / f"{STAGING_PREFIX}{stamp}"
        files = copy_store(db, db.parent / ARCHIVE_DIRNAME if source.is_dir() else None, staging)
        entry = {
            "staging": str(staging),
            "aside": str(store_backups(store) / f"{REPLACED_PREFIX}{stamp}"),
            "source": str(source),
            "counts": counts,
        }
        journal = restore_journal(store.path)
        write_atomic(journal, json.dumps(entry).encode("utf-8"), durable=True)  # commit point
        _apply(store, entry)
    report = RestoreReport.of(entry)
    if counts.get("archived_matches") and not files:
        report.counts["archive_files_missing"] = counts["archived_matches"]
    return report


@dataclass
class CheckReport:
    """What `levelup db check` found, and did."""

    counts: dict[str, int]
    restore_finished: RestoreReport | None = None
    found: raw_damage.DamagedRaw = field(default_factory=raw_damage.DamagedRaw)
    awaiting: raw_damage.DamagedRaw = field(default_factory=raw_damage.DamagedRaw)


def check_database(store: PlayerStore) -> CheckReport:
    """Finish a killed restore, read every block, isolate damaged bodies."""
    finished = None
    if store.path.parent.is_dir():
        with store.locked() as finished:  # finishes a restore killed after its commit
            _drop_uncommitted(store)  # or drops the staging files of an uncommitted one
    with store.guard(), store.reader() as con:  # every block read: damage anywhere fails
        report = CheckReport({t: n for t, (n, _) in read_every_block(con).items()}, finished)
    with store.writer() as writer:
        report.found = raw_damage.scan(writer.connection)
        if report.found:
            with writer._transaction() as tx:
                raw_damage.isolate(tx, report.found)
        report.awaiting = raw_damage.awaiting_refetch(writer.connection)
    return report
