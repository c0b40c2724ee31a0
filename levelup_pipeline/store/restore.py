"""`levelup restore`: swap a checked backup in, all or nothing, even when the process is killed.

1. The backup is checked (every block read) before anything is touched.
2. Under the writer lock, its database and archive are copied into a staging folder inside
   the player's folder (`.restore-<stamp>/`): the swap that follows is renames only.
3. The journal (`stats.duckdb.restore.json`, written atomically) records the staging folder
   and where the replaced files go. From here on the restore is committed.
4. The live database, its WAL and its archive move to `backups/<gamertag>/replaced-<stamp>/`,
   the staged ones take their place, the archive views are pointed at them.
5. The journal and the staging folder are deleted.

Killed before 3, the live files were never touched and the next restore, writer or
`levelup db check` deletes the staging folder. Killed after 3, the next one of those finishes
steps 4 and 5 (each step is done only if it is still to do), so the player never ends with
the backup's database next to the old archive, or with no database at all.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from levelup_pipeline.store.archive import ARCHIVE_DIRNAME, archive_root, refresh_archive_views
from levelup_pipeline.store.diagnosis import one_line
from levelup_pipeline.store.errors import StoreNotFound
from levelup_pipeline.store.file_check import forget_state, read_every_block
from levelup_pipeline.store.maintenance import (
    REPLACED_PREFIX,
    WAL_SUFFIX,
    MaintenanceError,
    _stamp,
    copy_archive,
    corruption_guard,
    exclusive,
    list_backups,
    store_backups,
)
from levelup_pipeline.store.migrate import current_version, latest_version
from levelup_pipeline.store.paths import DB_FILENAME
from levelup_pipeline.store.player_store import PlayerStore
from levelup_pipeline.store.restore_journal import STAGING_PREFIX, restore_journal

log = logging.getLogger(__name__)


@dataclass
class RestoreReport:
    """What was restored, and where the replaced files were kept."""

    source: Path
    counts: dict[str, int]
    set_aside: Path | None
    archive_files: int = 0


def _validate_backup(db: Path, gamertag: str) -> tuple[dict[str, int], str | None]:
    """Row counts and player XUID of a backup; refuse what is unusable."""
    try:
        with duckdb.connect(str(db), read_only=True) as con:
            sums = read_every_block(con)  # damaged blocks fail here
            if "sync_meta" not in sums or "raw_match_json" not in sums:
                raise MaintenanceError(
                    f"{db} is a DuckDB file but not a LevelUp player database; nothing restored."
                )
            version = current_version(con)
            row = con.execute("SELECT value FROM sync_meta WHERE key = 'player_xuid'").fetchall()
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
    return {t: n for t, (n, _) in sums.items()}, (row[0][0] if row else None)


def _current_xuid(store: PlayerStore) -> str | None:
    """The XUID recorded in the live file, or None when it is missing or unreadable."""
    if not store.exists():
        return None
    try:
        with duckdb.connect(str(store.path), read_only=True) as con:
            row = con.execute("SELECT value FROM sync_meta WHERE key = 'player_xuid'").fetchall()
    except duckdb.Error:
        return None
    return row[0][0] if row else None


def resolve_backup(store: PlayerStore, source: Path | None) -> Path:
    """The backup folder or file to restore: `source`, else the latest backup."""
    if source is None:
        found = list_backups(store)
        if not found:
            raise StoreNotFound(
                f"No backup of {store.gamertag} under {store_backups(store)}; run "
                f"`levelup backup --player {store.gamertag}` first or pass --from PATH."
            )
        return found[-1]
    source = Path(source).expanduser()
    if not source.exists():
        raise StoreNotFound(f"No backup at {source}; check the path given to --from.")
    return source


def _stage(db: Path, archive_src: Path | None, staging: Path) -> int:
    """Copy the backup's database and archive files (never its .pending area) into the
    staging folder; returns the archive files copied. The staged archive always exists
    (empty when the backup has none), so the live one is always replaced."""
    staging.mkdir(parents=True)
    shutil.copy2(db, staging / DB_FILENAME)
    target = staging / ARCHIVE_DIRNAME
    target.mkdir()
    if archive_src is None or not archive_src.is_dir():
        return 0
    return copy_archive(archive_src, target)


def _write_journal(store: PlayerStore, entry: dict) -> None:
    journal = restore_journal(store.path)
    temp = journal.with_name(journal.name + ".tmp")
    with open(temp, "w", encoding="utf-8") as out:
        json.dump(entry, out)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temp, journal)  # the commit point


def _set_aside(path: Path, aside: Path) -> None:
    """Move a live file or folder into `aside` (replacing a partial copy a kill left there:
    while the source exists, it is the complete one)."""
    if not path.exists():
        return
    aside.mkdir(parents=True, exist_ok=True)
    target = aside / path.name
    if target.is_dir():
        shutil.rmtree(target)
    elif target.exists():
        target.unlink()
    shutil.move(str(path), target)


def _apply(store: PlayerStore, entry: dict) -> None:
    """Steps 4 and 5 of the module docstring; each is done only if still to do."""
    staging, aside = Path(entry["staging"]), Path(entry["aside"])
    live_archive = archive_root(store.path)
    staged_db, staged_archive = staging / DB_FILENAME, staging / ARCHIVE_DIRNAME
    if staged_db.exists():
        forget_state(store.path)
        for path in (store.path, store.path.with_name(store.path.name + WAL_SUFFIX)):
            _set_aside(path, aside)
        os.replace(staged_db, store.path)
    if staged_archive.exists():
        _set_aside(live_archive, aside)
        os.replace(staged_archive, live_archive)
    with duckdb.connect(str(store.path)) as con:  # views hold absolute paths: point them here
        has_archive = con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'archived_matches'"
        ).fetchall()[0][0]
        if has_archive:
            refresh_archive_views(con, store.path)
    restore_journal(store.path).unlink()
    shutil.rmtree(staging, ignore_errors=True)


def _drop_uncommitted(store: PlayerStore, keep: Path | None = None) -> None:
    """Staging folders no journal points to: a restore killed before its commit."""
    for path in store.path.parent.glob(f"{STAGING_PREFIX}*"):
        if path != keep and path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
    restore_journal(store.path).with_suffix(".json.tmp").unlink(missing_ok=True)


def finish_interrupted_restore(store: PlayerStore) -> RestoreReport | None:
    """Finish a committed restore that was killed half-way, or drop an uncommitted one's
    staging files; the caller holds the writer lock. The report of a finished one, or None."""
    journal = restore_journal(store.path)
    if not journal.exists():
        _drop_uncommitted(store)
        return None
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
    return RestoreReport(
        Path(entry.get("source", "")),
        dict(entry.get("counts") or {}),
        Path(entry["aside"]) if Path(entry["aside"]).exists() else None,
        int(entry.get("archive_files", 0)),
    )


def restore(store: PlayerStore, source: Path | None = None) -> RestoreReport:
    """Swap a checked backup in (see the module docstring); the replaced database and archive
    are kept aside. `source` is a backup folder (stats.duckdb + archive/) or a .duckdb file;
    default the latest backup. Works when the live file is damaged: it is moved, never opened.
    """
    source = resolve_backup(store, source)
    db = source / DB_FILENAME if source.is_dir() else source
    if not db.is_file():
        raise StoreNotFound(f"{source} holds no {DB_FILENAME}; pass a backup folder or file.")
    if db.with_name(db.name + WAL_SUFFIX).exists():
        raise MaintenanceError(
            f"{db} has a pending write-ahead log ({db.name}{WAL_SUFFIX}); open it once with "
            "DuckDB to checkpoint it, then restore again."
        )
    counts, xuid = _validate_backup(db, store.gamertag)
    archive_src = db.parent / ARCHIVE_DIRNAME if source.is_dir() else None
    with exclusive(store), corruption_guard(store):  # exclusive finishes a killed restore
        _drop_uncommitted(store)  # and this drops the staging files of an uncommitted one
        live_xuid = _current_xuid(store)
        if xuid and live_xuid and xuid != live_xuid:
            raise MaintenanceError(
                f"The backup {db} belongs to XUID {xuid}, not to {store.gamertag} (XUID "
                f"{live_xuid}); nothing restored."
            )
        stamp = _stamp()
        staging = store.path.parent / f"{STAGING_PREFIX}{stamp}"
        try:
            files = _stage(db, archive_src, staging)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        aside = store_backups(store) / f"{REPLACED_PREFIX}{stamp}"
        entry = {
            "staging": str(staging),
            "aside": str(aside),
            "source": str(source),
            "counts": counts,
            "archive_files": files,
        }
        _write_journal(store, entry)
        _apply(store, entry)
    report = RestoreReport(source, counts, aside if aside.exists() else None, files)
    archived = counts.get("archived_matches", 0)
    if archived and not files:
        report.counts = {**counts, "archive_files_missing": archived}
    return report


__all__ = ["RestoreReport", "finish_interrupted_restore", "resolve_backup", "restore"]
