"""File-level maintenance of a player's database: optimize, backup, restore, rename.

Each operation holds the player's writer lock (stats.duckdb.lock) for its whole duration, so
no sync writes the file while it is copied, compacted or swapped. Files are replaced with
`os.replace` (atomic on one file system) only after the new copy has been opened and checked.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import filelock

from levelup_pipeline.store.archive import archive_root, refresh_archive_views
from levelup_pipeline.store.diagnosis import one_line as _one_line
from levelup_pipeline.store.diagnosis import storage_error
from levelup_pipeline.store.errors import (
    MigrationError,
    StoreBusy,
    StoreError,
    StoreNotFound,
)
from levelup_pipeline.store.file_check import read_every_block
from levelup_pipeline.store.migrate import apply_migrations
from levelup_pipeline.store.paths import DB_FILENAME, player_dir, validate_gamertag
from levelup_pipeline.store.player_store import PlayerStore
from levelup_pipeline.store.restore_journal import restore_journal
from levelup_pipeline.store.views import put_meta

BACKUPS_DIRNAME = "backups"
REPLACED_PREFIX = "replaced-"
WAL_SUFFIX = ".wal"


class MaintenanceError(StoreError):
    """A maintenance command was refused; nothing was changed."""


def _stamp(now: dt.datetime | None = None) -> str:
    """A sortable UTC timestamp for file names (microseconds: two runs never collide)."""
    return (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%S.%fZ")


def db_size(path: Path) -> int:
    """Bytes of the database file plus its write-ahead log."""
    wal = path.with_name(path.name + WAL_SUFFIX)
    return sum(p.stat().st_size for p in (path, wal) if p.is_file())


@contextmanager
def exclusive(store: PlayerStore) -> Iterator[None]:
    """The player's writer lock, without opening the database (for file-level work)."""
    store.path.parent.mkdir(parents=True, exist_ok=True)
    lock = filelock.FileLock(str(store.lock_path), timeout=store.lock_timeout)
    try:
        lock.acquire()
    except filelock.Timeout as exc:
        raise StoreBusy(
            f"Another LevelUp process is writing the database of {store.gamertag} "
            f"(lock {store.lock_path} held for more than {store.lock_timeout:g} s); "
            "retry when it has finished."
        ) from exc
    try:
        if restore_journal(store.path).exists():  # a restore was killed half-way
            from levelup_pipeline.store.restore import finish_interrupted_restore

            finish_interrupted_restore(store)
        yield
    finally:
        lock.release()


def _require(store: PlayerStore) -> None:
    if not store.exists():
        raise StoreNotFound(
            f"No database for {store.gamertag} at {store.path}; run "
            f"`levelup sync --player {store.gamertag}` first."
        )


def _open(store: PlayerStore, migrate: bool = True) -> duckdb.DuckDBPyConnection:
    """A read-write connection (the caller holds the lock); damage becomes CorruptDatabase."""
    con = store._connect(read_only=False)
    try:
        if migrate:
            apply_migrations(con)
        con.execute("SELECT count(*) FROM information_schema.tables").fetchall()
    except (MigrationError, duckdb.Error) as exc:
        con.close()
        cause = exc.__cause__ if isinstance(exc, MigrationError) else exc
        mapped = None if cause is None else storage_error(cause, store.path, store.gamertag)
        if mapped is None:
            raise
        raise mapped from exc
    return con


@contextmanager
def corruption_guard(store: PlayerStore) -> Iterator[None]:
    """Storage errors raised inside the block become the user's error: a full disk or a
    read-only folder as such (the file is intact), damaged storage as CorruptDatabase."""
    try:
        yield
    except (duckdb.Error, OSError) as exc:
        mapped = storage_error(exc, store.path, store.gamertag)
        if mapped is None:
            raise
        raise mapped from exc


def verify(store: PlayerStore) -> dict[str, int]:
    """Read every row of every table (DuckDB checks each block's checksum); rows per table.

    Unlike the cheap checks made at open, this finds damage anywhere in the file.
    """
    _require(store)
    with corruption_guard(store), store.reader() as con:
        return {t: n for t, (n, _) in _checksums(con).items()}


# ---------------------------------------------------------------------------------- optimize
@dataclass
class OptimizeReport:
    """Sizes before and after, and what was run."""

    path: Path
    before_bytes: int
    after_bytes: int
    steps: list[str] = field(default_factory=list)


def optimize(store: PlayerStore, compact: bool = True) -> OptimizeReport:
    """ANALYZE, CHECKPOINT, then (compact) copy into a fresh file and swap it in atomically.

    DuckDB's VACUUM does not shrink the file and CHECKPOINT only reuses free blocks; a copy
    with `COPY FROM DATABASE` rewrites every table, index, constraint and view densely.
    """
    _require(store)
    with exclusive(store), corruption_guard(store):
        before = db_size(store.path)
        report = OptimizeReport(store.path, before, before)
        fresh = store.path.with_name(store.path.name + ".compact")
        for leftover in (fresh, fresh.with_name(fresh.name + WAL_SUFFIX)):
            leftover.unlink(missing_ok=True)
        con = _open(store)
        try:
            refresh_archive_views(con, store.path)  # re-point them if the folder moved
            con.execute("ANALYZE")
            report.steps.append("ANALYZE")
            con.execute("CHECKPOINT")
            report.steps.append("CHECKPOINT")
            if compact:
                sums = _checksums(con)
                name = con.execute("SELECT current_database()").fetchall()[0][0]
                try:
                    con.execute(f"ATTACH '{_quote(fresh)}' AS levelup_compact")
                    try:
                        con.execute(f'COPY FROM DATABASE "{name}" TO levelup_compact')
                    finally:
                        con.execute("DETACH levelup_compact")
                except duckdb.Error as exc:
                    fresh.unlink(missing_ok=True)
                    raise MaintenanceError(
                        f"Compacting {store.gamertag}'s database failed ({_one_line(exc)}); "
                        "the original file is unchanged."
                    ) from exc
        finally:
            con.close()
        if compact:
            if store.path.with_name(store.path.name + WAL_SUFFIX).exists():
                fresh.unlink(missing_ok=True)
                raise MaintenanceError(
                    f"{store.gamertag}'s database kept a write-ahead log after its checkpoint; "
                    "the file was not compacted (the optimization steps did run)."
                )
            _check_copy(fresh, sums, store)
            os.replace(fresh, store.path)
            report.steps.append("COPY FROM DATABASE (compaction)")
        report.after_bytes = db_size(store.path)
    return report


def _quote(path: Path) -> str:
    return str(path).replace("'", "''")


_checksums = read_every_block  # (rows, hash of every row) per table


def _check_copy(path: Path, expected: dict, store: PlayerStore) -> None:
    """Open a copy read-only and compare every table's checksum; delete it if one differs."""
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            got = _checksums(con)
    except duckdb.Error as exc:
        path.unlink(missing_ok=True)
        raise MaintenanceError(
            f"The copy of {store.gamertag}'s database could not be opened ({_one_line(exc)}); "
            "the original file is unchanged."
        ) from exc
    if got != expected:
        path.unlink(missing_ok=True)
        differ = sorted(t for t in set(got) | set(expected) if got.get(t) != expected.get(t))
        raise MaintenanceError(
            f"The copy of {store.gamertag}'s database differs from the original in "
            f"{', '.join(differ)}; the original file is unchanged."
        )


# ---------------------------------------------------------------------------------- backup
def backups_root(data_dir: Path | None = None) -> Path:
    """`<data dir>/backups` (or LEVELUP_BACKUP_DIR)."""
    configured = os.environ.get("LEVELUP_BACKUP_DIR")
    if configured:
        return Path(configured).resolve()
    if data_dir is None:
        from levelup_pipeline.config import data_dir as default_data_dir

        data_dir = default_data_dir()
    return Path(data_dir) / BACKUPS_DIRNAME


def player_backups(gamertag: str, data_dir: Path | None = None) -> Path:
    """The folder of a player's backups: `<data dir>/backups/<gamertag>/`."""
    return backups_root(data_dir) / validate_gamertag(gamertag)


def store_backups(store: PlayerStore) -> Path:
    """Backups of this store: `<data dir>/backups/<player folder name>/` (the data dir being
    the one that holds `players/<gamertag>/stats.duckdb`)."""
    folder = store.path.parent
    return player_backups(folder.name, folder.parent.parent)


@dataclass
class BackupReport:
    """Where the backup went and what it holds."""

    path: Path
    size_bytes: int
    counts: dict[str, int]
    archive_files: int = 0


def copy_archive(source: Path, target: Path) -> int:
    """Copy archive/<table>/*.parquet (never the .pending staging area); returns files."""
    files = [p for p in source.rglob("*.parquet") if ".pending" not in p.relative_to(source).parts]
    for file in files:
        dest = target / file.relative_to(source)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(file, dest)
    return len(files)


def backup(store: PlayerStore) -> BackupReport:
    """A consistent, checked copy of the database (and its archive) in a timestamped folder.

    The writer lock is held, the WAL is checkpointed into the file, then the file is copied
    and the copy opened and recounted before it becomes visible under its final name.
    """
    _require(store)
    folder = store_backups(store)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = _stamp()
    staging = folder / f".tmp-{stamp}"
    final = folder / stamp
    with exclusive(store), corruption_guard(store):
        con = _open(store, migrate=False)
        try:
            con.execute("CHECKPOINT")
            sums = _checksums(con)
        finally:
            con.close()
        staging.mkdir()
        try:
            shutil.copy2(store.path, staging / DB_FILENAME)
            archived = archive_root(store.path)
            files = copy_archive(archived, staging / archived.name) if archived.is_dir() else 0
            _check_copy(staging / DB_FILENAME, sums, store)
            staging.rename(final)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    counts = {t: n for t, (n, _) in sums.items()}
    return BackupReport(final, db_size(final / DB_FILENAME), counts, files)


def list_backups(store: PlayerStore) -> list[Path]:
    """Backups made by `levelup backup`, oldest first (replaced files set aside excluded)."""
    folder = store_backups(store)
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_dir()
        and not p.name.startswith((".", REPLACED_PREFIX))
        and (p / DB_FILENAME).is_file()
    )


# ---------------------------------------------------------------------------------- rename
@dataclass
class RenameReport:
    """Old and new folder of a renamed player."""

    old_path: Path
    new_path: Path


def rename_player(old: str, new: str, data_dir: Path | None = None) -> RenameReport:
    """Move the player's folder to the new gamertag under the writer lock.

    Refuses when a folder for the new gamertag already exists (a case-only change of the
    same folder is allowed). The database records the new name (sync_meta player_gamertag)
    and the archive views are re-pointed at the new folder.
    """
    old, new = validate_gamertag(old), validate_gamertag(new)
    source = PlayerStore(old, data_dir)
    if not source.path.parent.is_dir():
        raise StoreNotFound(f"{old} has no folder at {source.path.parent}; nothing to rename.")
    target_dir = player_dir(new, data_dir)
    same_folder = target_dir.resolve() == source.path.parent.resolve()
    if target_dir.exists() and not same_folder:
        raise MaintenanceError(
            f"{new} already has a folder ({target_dir}); remove or rename it first, nothing "
            "was moved."
        )
    final_dir = source.path.parent.with_name(new)
    with exclusive(source), corruption_guard(source):
        if final_dir.exists() and not same_folder:  # appeared while waiting for the lock
            raise MaintenanceError(f"{new} already has a folder ({final_dir}); nothing moved.")
        if source.exists():
            con = _open(source, migrate=False)
            try:
                put_meta(con, {"player_gamertag": new})
            finally:
                con.close()
        if same_folder:  # case-only change: go through a temporary name
            temp = source.path.parent.with_name(f".rename-{_stamp()}")
            source.path.parent.rename(temp)
            temp.rename(final_dir)
        else:
            source.path.parent.rename(final_dir)
        moved = PlayerStore(new, data_dir)
        if moved.exists():
            con = _open(moved, migrate=False)
            try:
                if con.execute(
                    "SELECT count(*) FROM information_schema.tables"
                    " WHERE table_name = 'archived_matches'"
                ).fetchall()[0][0]:
                    refresh_archive_views(con, moved.path)
            finally:
                con.close()
    return RenameReport(source.path.parent, final_dir)


__all__ = [
    "BackupReport",
    "MaintenanceError",
    "OptimizeReport",
    "RenameReport",
    "backup",
    "backups_root",
    "corruption_guard",
    "db_size",
    "exclusive",
    "list_backups",
    "optimize",
    "player_backups",
    "rename_player",
    "store_backups",
    "verify",
]
