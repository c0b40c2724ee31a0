"""File-level maintenance under the writers' lock; a copy replaces a file only once checked."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from levelup_pipeline.store.archive import (
    ARCHIVE_DIRNAME,
    PENDING_DIRNAME,
    archive_root,
    refresh_archive_views,
)
from levelup_pipeline.store.errors import (
    CorruptDatabase,
    MaintenanceError,
    StoreNotFound,
    is_corruption,
    one_line,
)
from levelup_pipeline.store.paths import DB_FILENAME, player_dir, validate_gamertag, wal
from levelup_pipeline.store.player_store import PlayerStore, forget_state
from levelup_pipeline.store.views import put_meta, read_every_block, sql_path

REPLACED_PREFIX = "replaced-"


def _stamp() -> str:
    """A sortable UTC timestamp for file names (microseconds: two runs never collide)."""
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S.%fZ")


def db_size(path: Path) -> int:
    return sum(p.stat().st_size for p in (path, wal(path)) if p.is_file())


@dataclass
class OptimizeReport:
    path: Path
    before_bytes: int
    after_bytes: int
    steps: list[str] = field(default_factory=list)


def optimize(store: PlayerStore, compact: bool = True) -> OptimizeReport:
    """ANALYZE, CHECKPOINT, then a compacted copy swapped in: VACUUM does not shrink the file."""
    store.require()
    with store.locked(), store.guard():
        report = OptimizeReport(store.path, db_size(store.path), 0)
        fresh = store.path.with_name(store.path.name + ".compact")
        for leftover in (fresh, wal(fresh)):
            leftover.unlink(missing_ok=True)
        with store.connect() as con:
            refresh_archive_views(con, store.path)  # re-point them if the folder moved
            for step in ("ANALYZE", "CHECKPOINT"):
                con.execute(step)
                report.steps.append(step)
            if compact:
                sums = read_every_block(con)
                name = con.execute("SELECT current_database()").fetchall()[0][0]
                try:
                    con.execute(f"ATTACH {sql_path(fresh)} AS levelup_compact")
                    try:
                        con.execute(f'COPY FROM DATABASE "{name}" TO levelup_compact')
                    finally:
                        con.execute("DETACH levelup_compact")
                except duckdb.Error as exc:
                    fresh.unlink(missing_ok=True)
                    raise MaintenanceError(
                        f"Compacting {store.gamertag}'s database failed ({one_line(exc)}); "
                        "the original file is unchanged."
                    ) from exc
        if compact:
            if wal(store.path).exists():
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


def _check_copy(path: Path, expected: dict, store: PlayerStore) -> None:
    """Compare every table's checksum of a copy; delete it if one differs."""
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            got = read_every_block(con)
    except duckdb.Error as exc:
        path.unlink(missing_ok=True)
        raise MaintenanceError(
            f"The copy of {store.gamertag}'s database could not be opened ({one_line(exc)}); "
            "the original file is unchanged."
        ) from exc
    if got != expected:
        path.unlink(missing_ok=True)
        differ = sorted(t for t in set(got) | set(expected) if got.get(t) != expected.get(t))
        raise MaintenanceError(
            f"The copy of {store.gamertag}'s database differs from the original in "
            f"{', '.join(differ)}; the original file is unchanged."
        )


def store_backups(store: PlayerStore) -> Path:
    """`<data dir>/backups/<player folder>/`, or under `$LEVELUP_BACKUP_DIR`."""
    folder = store.path.parent
    configured = os.environ.get("LEVELUP_BACKUP_DIR")
    root = Path(configured).resolve() if configured else folder.parent.parent / "backups"
    return root / validate_gamertag(folder.name)


@dataclass
class BackupReport:
    path: Path
    size_bytes: int
    counts: dict[str, int]
    archive_files: int = 0


def copy_store(db: Path, archive: Path | None, staging: Path) -> int:
    """A new folder with the database and its archive (not .pending), or none; archive files."""
    staging.mkdir(parents=True)
    try:
        shutil.copy2(db, staging / DB_FILENAME)
        (staging / ARCHIVE_DIRNAME).mkdir()  # always there: a restore replaces the live one
        files = 0
        for file in archive.rglob("*.parquet") if archive else ():
            part = file.relative_to(archive)
            if PENDING_DIRNAME not in part.parts:
                (staging / ARCHIVE_DIRNAME / part).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(file, staging / ARCHIVE_DIRNAME / part)
                files += 1
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return files


def backup(store: PlayerStore) -> BackupReport:
    """A checked copy of the database and its archive in a timestamped folder."""
    store.require()
    folder = store_backups(store)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = _stamp()
    staging, final = folder / f".tmp-{stamp}", folder / stamp
    with store.locked(), store.guard():
        with store.connect(migrate=False) as con:
            con.execute("CHECKPOINT")
            sums = read_every_block(con)
        files = copy_store(store.path, archive_root(store.path), staging)
        try:
            _check_copy(staging / DB_FILENAME, sums, store)
            staging.rename(final)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    counts = {t: n for t, (n, _) in sums.items()}
    return BackupReport(final, db_size(final / DB_FILENAME), counts, files)


def list_backups(store: PlayerStore) -> list[Path]:
    """Backups made by `levelup backup`, oldest first."""
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


@dataclass
class RenameReport:
    old_path: Path
    new_path: Path


def rename_player(old: str, new: str, data_dir: Path | None = None) -> RenameReport:
    """Move the player's folder to the new gamertag, refused when another player has it."""
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
    with source.locked(), source.guard():
        if final_dir.exists() and not same_folder:  # appeared while waiting
            raise MaintenanceError(f"{new} already has a folder ({final_dir}); nothing moved.")
        if source.exists():
            with source.connect(migrate=False) as con:
                put_meta(con, {"player_gamertag": new})
        if same_folder:  # case-only change: go through a temporary name
            temp = source.path.parent.with_name(f".rename-{_stamp()}")
            source.path.parent.rename(temp)
            temp.rename(final_dir)
        else:
            source.path.parent.rename(final_dir)
        moved = PlayerStore(new, data_dir)
        if moved.exists():
            with moved.connect(migrate=False) as con:
                refresh_archive_views(con, moved.path)
    return RenameReport(source.path.parent, final_dir)


def set_aside(aside: Path, *paths: Path) -> None:
    """Move files or folders into `aside`, replacing a partial copy a kill left."""
    for path in filter(Path.exists, paths):
        aside.mkdir(parents=True, exist_ok=True)
        target = aside / path.name
        if target.is_dir():
            shutil.rmtree(target)
        target.unlink(missing_ok=True)
        shutil.move(str(path), target)


def set_aside_if_damaged(store: PlayerStore) -> Path | None:
    """Before `sync --full`: a damaged database moves to `backups/GT/replaced-<stamp>/`."""
    if not store.exists():
        return None
    with store.locked():
        if not store.exists():
            return None
        try:
            with store._connect(read_only=True) as con:
                read_every_block(con)
            return None
        except CorruptDatabase:
            pass
        except duckdb.Error as exc:
            if not is_corruption(exc):
                return None
        aside = store_backups(store) / f"{REPLACED_PREFIX}{_stamp()}"
        forget_state(store.path)
        set_aside(aside, store.path, wal(store.path), archive_root(store.path))
        return aside
