"""One DuckDB file per player: one locked writer, shared-locked readers, damage found at open."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path
from typing import Any

import duckdb
import filelock

from levelup_pipeline.atomic_file import write_atomic
from levelup_pipeline.store.errors import (
    MigrationError,
    StoreBusy,
    StoreError,
    StoreNotFound,
    damaged,
    one_line,
    raise_storage_error,
)
from levelup_pipeline.store.migrate import apply_migrations
from levelup_pipeline.store.paths import (
    lock_path,
    player_db_path,
    restore_journal,
    validate_gamertag,
    wal,
)
from levelup_pipeline.store.shared_lock import READ, WRITE, held_here, holding, shared_lock
from levelup_pipeline.store.views import read_every_block, table_counts
from levelup_pipeline.store.writer import StoreWriter

CHECK_MEMORY_LIMIT = "64MB"  # a small budget makes DuckDB drop the blocks the check reads
# read_only -> a DuckDBResource of the player's file (defs/resources.py)
DuckDBSource = Callable[[bool], Any]


def connection_config(read_only: bool) -> dict[str, Any]:
    """One config for every connection: one process refuses two configs for one file."""
    config: dict[str, Any] = {"custom_user_agent": "levelup"}
    if read_only:
        config["access_mode"] = "READ_ONLY"
    return config


def _missing_bytes(con: duckdb.DuckDBPyConnection, path: Path) -> int:
    """Bytes a truncated file lacks (DuckDB opens it while the first blocks are there)."""
    if wal(path).exists():
        return 0
    rows = con.execute(
        "SELECT block_size * used_blocks FROM pragma_database_size()"
        " WHERE database_name = current_database()"
    ).fetchall()
    expected = int(rows[0][0]) if rows and rows[0][0] is not None else 0
    return max(0, expected - path.stat().st_size)


def _checked(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".checked")


def file_state(db_path: Path) -> str | None:
    """size:mtime:inode of the file, recorded by the last writer; None without a file."""
    try:
        st = db_path.stat()
    except OSError:
        return None
    return f"{st.st_size}:{st.st_mtime_ns}:{st.st_ino}"


def forget_state(db_path: Path) -> None:
    """Drop the record of a file being replaced: the next writer checks every block."""
    with suppress(OSError):
        _checked(db_path).unlink(missing_ok=True)


class PlayerStore:
    """A player's database; connections from `duckdb` (Dagster's resource) or plain duckdb."""

    def __init__(
        self,
        gamertag: str,
        data_dir: Path | None = None,
        lock_timeout: float = 30.0,
        duckdb: DuckDBSource | None = None,
    ) -> None:
        self.gamertag = validate_gamertag(gamertag)
        self.path: Path = player_db_path(self.gamertag, data_dir)
        self.lock_path: Path = lock_path(self.path)
        self.lock_timeout = lock_timeout
        self.duckdb = duckdb

    def exists(self) -> bool:
        return self.path.is_file()

    def require(self) -> None:
        if not self.exists():
            raise StoreNotFound(
                f"No database for {self.gamertag} at {self.path}; run "
                f"`levelup sync --player {self.gamertag}` first."
            )

    def _connect(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        """A plain connection; damage and lock conflicts said in one sentence at once."""
        try:
            con = duckdb.connect(str(self.path), config=connection_config(read_only))
            try:
                if missing := _missing_bytes(con, self.path):
                    why = f"{missing:,} bytes shorter than its header says: a truncated copy?"
                    raise damaged(self.path, self.gamertag, why)
            except BaseException:
                con.close()  # not left to the garbage collector: it holds the file
                raise
        except duckdb.Error as exc:
            text = str(exc).lower()
            if "lock" in text and ("could not set" in text or "conflicting" in text):
                raise StoreBusy(
                    f"The database of {self.gamertag} is open for writing by another process; "
                    "retry when it has finished."
                ) from exc
            if isinstance(exc, duckdb.ConnectionException):
                raise StoreBusy(
                    f"The database of {self.gamertag} is already open in this process with "
                    "another mode; close the writer before opening a reader."
                ) from exc
            raise_storage_error(exc, self.path, self.gamertag, True, "it cannot be opened")
        return con

    def _prepare(self, con: duckdb.DuckDBPyConnection, migrate: bool = True) -> None:
        """Apply pending migrations and read the catalogue."""
        try:
            if migrate:
                apply_migrations(con)
            con.execute("SELECT count(*) FROM information_schema.tables").fetchall()
        except MigrationError as exc:
            raise_storage_error(exc.__cause__ or exc, self.path, self.gamertag)
        except duckdb.Error as exc:
            raise_storage_error(exc, self.path, self.gamertag, corrupt=True)

    def connect(self, migrate: bool = True) -> duckdb.DuckDBPyConnection:
        """A plain read-write connection for file-level work under `locked()`."""
        con = self._connect(read_only=False)
        try:
            self._prepare(con, migrate)
        except BaseException:
            con.close()
            raise
        return con

    def _open(self, read_only: bool, stack: ExitStack) -> duckdb.DuckDBPyConnection:
        """`_connect` first: DuckDBResource retries a damaged file's IOException for ~100 s."""
        con = self._connect(read_only)
        if self.duckdb is None:
            return con
        try:
            return stack.enter_context(self.duckdb(read_only).get_connection())
        finally:
            con.close()

    @contextmanager
    def locked(self) -> Iterator[Any]:
        """The writers' file lock; a restore killed half-way is finished first (its report)."""
        if held_here(self.lock_path, READ):  # waiting would wait for ourselves
            raise StoreBusy(
                f"The database of {self.gamertag} is open for reading in this process; close "
                "the reader before opening a writer."
            )
        lock = filelock.FileLock(str(self.lock_path), timeout=self.lock_timeout)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            lock.acquire()
        except filelock.Timeout as exc:  # a TimeoutError, so an OSError: caught first
            raise StoreBusy(self._busy()) from exc
        except OSError as exc:  # read-only folder, full disk
            raise_storage_error(exc, self.path, self.gamertag, corrupt=False)
        try:
            with holding(self.lock_path, WRITE):
                finished = None
                if restore_journal(self.path).exists():
                    from levelup_pipeline.store.restore import finish_interrupted_restore

                    finished = finish_interrupted_restore(self)
                yield finished
        finally:
            lock.release()

    @contextmanager
    def guard(self) -> Iterator[None]:
        """Storage errors inside the block become the user's error."""
        try:
            yield
        except (duckdb.Error, OSError) as exc:
            raise_storage_error(exc, self.path, self.gamertag)

    @contextmanager
    def writer(self) -> Iterator[StoreWriter]:
        """Exclusive write access: file lock, blocks checked, migrations applied."""
        with self.locked(), ExitStack() as opened:
            state = file_state(self.path)
            con = self._open(read_only=False, stack=opened)
            try:
                self._check_blocks(con, state)
                self._prepare(con)
                yield StoreWriter(con, self.gamertag)
            except BaseException as exc:
                with suppress(duckdb.Error):  # a failing close must not replace the error
                    con.close()
                forget_state(self.path)
                if isinstance(exc, duckdb.Error):  # reads outside a transaction hit damage too
                    raise_storage_error(exc, self.path, self.gamertag)
                raise
            try:
                con.close()  # checkpoints the WAL: the disk may be full by now
            except duckdb.Error as exc:
                raise_storage_error(exc, self.path, self.gamertag, corrupt=False)
            self._remember_state()

    def _check_blocks(self, con: duckdb.DuckDBPyConnection, state: str | None) -> None:
        """Read every block unless `state`, taken before opening, is the last writer's record."""
        try:
            known = _checked(self.path).read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError):
            known = None
        if state is not None and state == known:
            return
        try:
            con.execute(f"SET memory_limit = '{CHECK_MEMORY_LIMIT}'")
            try:
                read_every_block(con)
            finally:
                con.execute("RESET memory_limit")
        except duckdb.Error as exc:
            why = f"{one_line(exc)}; nothing was written to it"
            raise_storage_error(exc, self.path, self.gamertag, True, why)

    def _remember_state(self) -> None:
        """Record the file as this writer leaves it (best effort)."""
        try:
            write_atomic(_checked(self.path), (file_state(self.path) or "").encode("ascii"))
        except OSError:
            forget_state(self.path)

    @contextmanager
    def reader(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection holding the shared side of the writers' lock."""
        if restore_journal(self.path).exists():
            raise StoreError(
                f"A restore of {self.gamertag}'s database was interrupted; run "
                f"`levelup db check --player {self.gamertag}` to finish it."
            )
        self.require()
        with shared_lock(self.lock_path, self.lock_timeout, self._busy()), ExitStack() as stack:
            con = self._open(read_only=True, stack=stack)
            try:
                self._prepare(con, migrate=False)
                yield con
            finally:
                con.close()

    def _busy(self) -> str:
        return (
            f"Another LevelUp process is writing the database of {self.gamertag} "
            f"(lock {self.lock_path} held for more than {self.lock_timeout:g} s); "
            "retry when it has finished."
        )

    def table_counts(self) -> dict[str, int]:
        with self.reader() as con:
            return table_counts(con)
