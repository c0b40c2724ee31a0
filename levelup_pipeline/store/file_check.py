"""Damage found before a writer writes: every block of a file LevelUp did not leave as it is.

DuckDB checks a block's checksum only when it reads the block, so a file damaged in the
middle opened fine, a sync wrote its first batches into it, and a later step failed on
"Corrupt database file" with no hint. Reading every block at each open costs ~the file's
size in I/O per step, so a writer reads them all only when the file is not the one the last
LevelUp writer closed: that writer records the file's (size, mtime, inode) beside it
(`stats.duckdb.checked`), and any other change - a copy, a restore, a tool, a crash before
the record - makes the next writer check the whole file first.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from levelup_pipeline.store.diagnosis import environment_error, one_line, restore_hint
from levelup_pipeline.store.errors import CorruptDatabase

CHECKED_SUFFIX = ".checked"
CHECK_MEMORY_LIMIT = "64MB"


def checked_path(db_path: Path) -> Path:
    """Where the state of the file the last writer closed is recorded."""
    return db_path.with_name(db_path.name + CHECKED_SUFFIX)


def file_state(db_path: Path) -> str | None:
    """(size, mtime, inode) of the file as text; None when there is no file."""
    try:
        st = db_path.stat()
    except OSError:
        return None
    return f"{st.st_size}:{st.st_mtime_ns}:{st.st_ino}"


def known_state(db_path: Path) -> str | None:
    """The state recorded by the last writer, or None."""
    try:
        return checked_path(db_path).read_text(encoding="ascii").strip() or None
    except (OSError, UnicodeDecodeError):
        return None


def base_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The file's own tables (not views), by name."""
    return [
        r[0]
        for r in con.execute(
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = 'main' AND table_type = 'BASE TABLE' ORDER BY table_name"
        ).fetchall()
    ]


def table_counts(con: duckdb.DuckDBPyConnection, tables: list[str] | None = None) -> dict[str, int]:
    """Row count of these tables (default: every base table of the file)."""
    count = 'SELECT count(*) FROM "{}"'
    tables = base_tables(con) if tables is None else tables
    return {t: con.execute(count.format(t)).fetchall()[0][0] for t in tables}


def read_every_block(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[int, int | None]]:
    """(rows, order-independent hash of every row) per base table: reading every column of
    every row makes DuckDB load, and checksum, every block in use."""
    tables = base_tables(con)
    return {
        t: tuple(con.execute(f'SELECT count(*), bit_xor(hash("{t}")) FROM "{t}"').fetchall()[0])
        for t in tables
    }


def check_unless_known(
    con: duckdb.DuckDBPyConnection, db_path: Path, state: str | None, gamertag: str
) -> None:
    """Read every block unless `state` (taken before the file was opened) is the one the
    last writer recorded; damage becomes CorruptDatabase before anything is written."""
    if state is not None and state == known_state(db_path):
        return
    try:
        # DuckDB would keep every block it reads cached (up to 80% of RAM): a small budget
        # makes it drop them as it goes, so the check costs I/O, not the file's size in RSS.
        con.execute(f"SET memory_limit = '{CHECK_MEMORY_LIMIT}'")
        try:
            read_every_block(con)
        finally:
            con.execute("RESET memory_limit")
    except duckdb.Error as exc:
        mapped = environment_error(exc, gamertag)
        if mapped is not None:
            raise mapped from exc
        raise CorruptDatabase(
            f"The database {db_path} is damaged ({one_line(exc)}); nothing was written to it; "
            f"{restore_hint(gamertag)}."
        ) from exc


def remember_state(db_path: Path) -> None:
    """Record the file as the writer leaves it (closed). Best effort: without the record,
    the next writer only checks the file again."""
    state = file_state(db_path)
    target = checked_path(db_path)
    temp = target.with_name(target.name + ".tmp")
    try:
        if state is None:
            target.unlink(missing_ok=True)
            return
        temp.write_text(state, encoding="ascii")
        os.replace(temp, target)
    except OSError:
        forget_state(db_path)


def forget_state(db_path: Path) -> None:
    """Drop the record (the file is being replaced): the next writer checks the file."""
    for path in (checked_path(db_path), checked_path(db_path).with_suffix(".tmp")):
        try:
            path.unlink(missing_ok=True)
        except OSError:
            pass


__all__ = [
    "CHECKED_SUFFIX",
    "check_unless_known",
    "checked_path",
    "file_state",
    "forget_state",
    "read_every_block",
    "remember_state",
]
