"""PlayerStore: one DuckDB file per player, and the guarded connections to it.

Writers are serialised by a file lock beside the database (stats.duckdb.lock), so a Dagster
run, the CLI and a backup never write the same file at once; a writer checks the file's blocks
at open (store/file_check.py) and applies the migrations before the first write. Readers are
read-only and hold the shared side of that lock (store/shared_lock.py). What a writer writes is
in store/writer.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import duckdb
import filelock

from levelup_pipeline.store.diagnosis import environment_error, restore_hint, storage_error
from levelup_pipeline.store.diagnosis import is_lock_error as _is_lock_error
from levelup_pipeline.store.diagnosis import missing_bytes as _missing_bytes
from levelup_pipeline.store.errors import (
    CorruptDatabase,
    MigrationError,
    StoreBusy,
    StoreError,
    StoreNotFound,
)
from levelup_pipeline.store.file_check import (
    check_unless_known,
    file_state,
    forget_state,
    remember_state,
    table_counts,
)
from levelup_pipeline.store.migrate import apply_migrations
from levelup_pipeline.store.paths import lock_path, player_db_path, validate_gamertag
from levelup_pipeline.store.restore_journal import restore_journal
from levelup_pipeline.store.shared_lock import READ, WRITE, held_here, mark_held, shared_lock
from levelup_pipeline.store.writer import StoreWriter


def _close(con: duckdb.DuckDBPyConnection, gamertag: str, failing: bool) -> None:
    """Close a writer's connection (this checkpoints the WAL: the disk may be full by now).
    While an error is already on its way out, a failing close must not replace it."""
    try:
        con.close()
    except duckdb.Error as exc:
        if failing:
            return
        mapped = environment_error(exc, gamertag)
        if mapped is None:
            raise
        raise mapped from exc


class _Reader:
    """A read-only connection that keeps its shared lock until closed (`with` closes it)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, turn: ExitStack) -> None:
        self._con, self._turn = con, turn

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._con, name)

    def __enter__(self) -> duckdb.DuckDBPyConnection:
        return self._con

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection, then release the lock."""
        try:
            self._con.close()
        finally:
            self._turn.close()

    def __del__(self) -> None:
        if "_turn" in self.__dict__:
            self.close()


def connection_config(read_only: bool) -> dict[str, Any]:
    """The DuckDB config of every connection to a player's file, plain or through Dagster.

    One config for both: in one process DuckDB refuses a second connection to a file with
    another config, and `DuckDBResource` adds its own user agent unless told one. Read-only
    is an access mode because `DuckDBResource` always connects with read_only=False."""
    config: dict[str, Any] = {"custom_user_agent": "levelup"}
    if read_only:
        config["access_mode"] = "READ_ONLY"
    return config


#: read_only -> an object whose get_connection() is a context manager yielding a connection:
#: dagster_duckdb.DuckDBResource for one player file (`defs/resources.py`).
DuckDBSource = Callable[[bool], Any]


class PlayerStore:
    """A player's database: <data_dir>/<gamertag>/stats.duckdb (+ .lock for writers).

    `duckdb` (Dagster's resource gives one) makes the guarded writer and readers take their
    connection from dagster-duckdb's `DuckDBResource`; without it (the CLI's paths that must
    not import Dagster) they use plain duckdb, with the same config."""

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
        """True once a writer has created the database file."""
        return self.path.is_file()

    def _connect(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        """A plain connection, damage and lock conflicts said in one sentence at once."""
        try:
            con = duckdb.connect(str(self.path), config=connection_config(read_only))
            try:
                missing = _missing_bytes(con, self.path)
            except BaseException:
                con.close()  # not left to the garbage collector: it holds the file
                raise
        except duckdb.Error as exc:
            if _is_lock_error(exc):
                raise StoreBusy(
                    f"The database of {self.gamertag} is open for writing by another process; "
                    "retry when it has finished."
                ) from exc
            if isinstance(exc, duckdb.ConnectionException):
                raise StoreBusy(
                    f"The database of {self.gamertag} is already open in this process with "
                    "another mode; close the writer before opening a reader."
                ) from exc
            mapped = environment_error(exc, self.gamertag)
            if mapped is not None:
                raise mapped from exc
            raise CorruptDatabase(
                f"The database {self.path} is damaged and cannot be opened; "
                f"{restore_hint(self.gamertag)}."
            ) from exc
        if missing:
            con.close()
            raise CorruptDatabase(
                f"The database {self.path} is damaged: it is {missing:,} bytes shorter than its "
                f"header says (a truncated copy?); {restore_hint(self.gamertag)}."
            )
        return con

    def _open(self, read_only: bool, stack: ExitStack) -> duckdb.DuckDBPyConnection:
        """The guarded connection: `_connect` first, then, with a `duckdb` source, the
        DuckDBResource's connection to the same (already open) database, exited by `stack`.

        Why both: DuckDBResource retries an IOException for ~100 s (it expects lock contention,
        which the file lock already rules out), and a damaged file raises IOException; opened
        first, the file fails at once with the user's sentence, and the resource's connect
        only joins the database DuckDB already holds."""
        con = self._connect(read_only)
        if self.duckdb is None:
            return con
        try:
            return stack.enter_context(self.duckdb(read_only).get_connection())
        finally:
            con.close()

    @contextmanager
    def writer(self) -> Iterator[StoreWriter]:
        """Exclusive write access: file lock, read-write connection, migrations applied."""
        lock = filelock.FileLock(str(self.lock_path), timeout=self.lock_timeout)
        if held_here(self.lock_path, READ):  # waiting would wait for ourselves
            raise StoreBusy(
                f"The database of {self.gamertag} is open for reading in this process; close "
                "the reader before opening a writer."
            )
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            lock.acquire()
        except filelock.Timeout as exc:  # a TimeoutError, so an OSError: caught first
            raise StoreBusy(self._busy()) from exc
        except OSError as exc:  # read-only folder, full disk
            mapped = environment_error(exc, self.gamertag)
            if mapped is None:
                raise
            raise mapped from exc
        mark_held(self.lock_path, WRITE)
        opened = ExitStack()  # the DuckDBResource's connection, when there is one
        try:
            if restore_journal(self.path).exists():  # a restore was killed half-way
                from levelup_pipeline.store.restore import finish_interrupted_restore

                finish_interrupted_restore(self)
            state = file_state(self.path)
            con = self._open(read_only=False, stack=opened)
            try:
                check_unless_known(con, self.path, state, self.gamertag)
                self._migrate(con)
                try:
                    yield StoreWriter(con, self.gamertag)
                except duckdb.Error as exc:  # reads outside a transaction hit damage too
                    mapped = storage_error(exc, self.path, self.gamertag)
                    if mapped is None:
                        raise
                    raise mapped from exc
            except BaseException:
                _close(con, self.gamertag, failing=True)
                forget_state(self.path)
                raise
            _close(con, self.gamertag, failing=False)
            remember_state(self.path)
        finally:
            opened.close()
            mark_held(self.lock_path, WRITE, held=False)
            lock.release()

    def _migrate(self, con: duckdb.DuckDBPyConnection) -> None:
        """Apply pending migrations; storage failures become the user's error."""
        try:
            apply_migrations(con)
        except MigrationError as exc:
            mapped = environment_error(exc.__cause__ or exc, self.gamertag)
            if mapped is not None:
                raise mapped from exc
            if isinstance(exc.__cause__, duckdb.IOException | duckdb.InternalException):
                raise CorruptDatabase(
                    f"The database {self.path} is damaged ({exc.__cause__}); "
                    f"{restore_hint(self.gamertag)}."
                ) from exc
            raise
        except duckdb.Error as exc:
            raise CorruptDatabase(
                f"The database {self.path} cannot be read ({exc}); {restore_hint(self.gamertag)}."
            ) from exc

    def reader(self) -> duckdb.DuckDBPyConnection:
        """A read-only connection, used as a context manager (`with store.reader() as con`);
        StoreNotFound if no file yet. It holds the shared side of the writers' lock until it
        is closed (`store.shared_lock`): a writer of another process waits for it instead of
        failing, and it waits for a writer up to `lock_timeout` seconds."""
        if restore_journal(self.path).exists():
            raise StoreError(
                f"A restore of {self.gamertag}'s database was interrupted; run "
                f"`levelup db check --player {self.gamertag}` to finish it."
            )
        if not self.exists():
            raise StoreNotFound(
                f"No database for {self.gamertag} at {self.path}; run "
                f"`levelup sync --player {self.gamertag}` first."
            )
        turn = ExitStack()
        turn.enter_context(shared_lock(self.lock_path, self.lock_timeout, self._busy()))
        try:
            con = self._open(read_only=True, stack=turn)
        except BaseException:
            turn.close()
            raise
        try:
            con.execute("SELECT count(*) FROM information_schema.tables").fetchall()
        except duckdb.Error as exc:
            con.close()
            turn.close()
            raise CorruptDatabase(
                f"The database {self.path} cannot be read ({exc}); {restore_hint(self.gamertag)}."
            ) from exc
        return _Reader(con, turn)  # type: ignore[return-value] - behaves as the connection

    def _busy(self) -> str:
        """The sentence of a lock wait that ran out (writer or reader)."""
        return (
            f"Another LevelUp process is writing the database of {self.gamertag} "
            f"(lock {self.lock_path} held for more than {self.lock_timeout:g} s); "
            "retry when it has finished."
        )

    def table_counts(self) -> dict[str, int]:
        """Row counts through a short-lived reader."""
        with self.reader() as con:
            return table_counts(con)
