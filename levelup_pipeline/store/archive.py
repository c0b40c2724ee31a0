"""Old matches to Parquet (`archive_season.py`): staged, then one transaction: nothing lost."""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from levelup_pipeline.store.errors import MaintenanceError
from levelup_pipeline.store.player_store import PlayerStore
from levelup_pipeline.store.raw_codec import register_sql_function
from levelup_pipeline.store.raw_writes import UNMARK_TRANSFORMED
from levelup_pipeline.store.views import registered, sql_path, table_counts
from levelup_pipeline.store.writer import StoreWriter

ARCHIVE_DIRNAME = "archive"
PENDING_DIRNAME = ".pending"
# bookkeeping with a match_id column, not copied to Parquet
NOT_ARCHIVED = frozenset({"archived_matches", "unavailable_matches", "transformed_matches"})


@dataclass
class ArchiveReport:
    """What one archive run moved, and the proof that nothing was lost."""

    cutoff: dt.datetime
    matches: int = 0
    total_before: dict[str, int] = field(default_factory=dict)
    live_after: dict[str, int] = field(default_factory=dict)
    archived_after: dict[str, int] = field(default_factory=dict)


def archive_root(db_path: Path) -> Path:
    return db_path.parent / ARCHIVE_DIRNAME


def _parquet(path: Path) -> str:
    return f"read_parquet({sql_path(path)}, union_by_name = true)"


def per_match_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Base tables holding a match's rows (a match_id column), raw_match_json first."""
    rows = con.execute(
        "SELECT DISTINCT c.table_name FROM information_schema.columns c"
        " JOIN information_schema.tables t USING (table_schema, table_name)"
        " WHERE c.table_schema = 'main' AND c.column_name = 'match_id'"
        " AND t.table_type = 'BASE TABLE'"
    ).fetchall()
    names = [r[0] for r in rows if r[0] not in NOT_ARCHIVED]
    return sorted(names, key=lambda n: (n != "raw_match_json", n))


def _has_files(root: Path, table: str) -> bool:
    return any((root / table).glob("*.parquet"))


def archived_counts(
    con: duckdb.DuckDBPyConnection, root: Path, tables: list[str]
) -> dict[str, int]:
    return {
        t: con.execute(f"SELECT count(*) FROM {_parquet(root / t / '*.parquet')}").fetchall()[0][0]
        if _has_files(root, t)
        else 0
        for t in tables
    }


def refresh_archive_views(con: duckdb.DuckDBPyConnection, db_path: Path) -> None:
    """`<table>_all` = live UNION ALL archived rows; absolute paths: each move refreshes them."""
    known = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'archived_matches'"
    ).fetchall()[0][0]
    root = archive_root(db_path)
    for table in per_match_tables(con) if known else ():
        body = f'SELECT * FROM "{table}"'
        if _has_files(root, table):
            body += f" UNION ALL BY NAME SELECT * FROM {_parquet(root / table / '*.parquet')}"
        con.execute(f'CREATE OR REPLACE VIEW "{table}_all" AS {body}')


def _finish_pending(con: duckdb.DuckDBPyConnection, root: Path) -> None:
    """Complete the file moves of a committed batch; drop the files of an uncommitted one."""
    pending = root / PENDING_DIRNAME
    if not pending.is_dir():
        return
    for batch_dir in sorted(p for p in pending.iterdir() if p.is_dir()):
        committed = con.execute(
            "SELECT count(*) FROM archived_matches WHERE batch = ?", [batch_dir.name]
        ).fetchall()[0][0]
        if committed:
            _move_batch(batch_dir, root)
        else:
            shutil.rmtree(batch_dir)
    if not any(pending.iterdir()):
        pending.rmdir()


def _move_batch(batch_dir: Path, root: Path) -> None:
    for file in sorted(batch_dir.glob("*.parquet")):
        target = root / file.stem / f"{batch_dir.name}.parquet"
        target.parent.mkdir(parents=True, exist_ok=True)
        file.replace(target)
    batch_dir.rmdir()


def _old_match_ids(
    con: duckdb.DuckDBPyConnection, cutoff: dt.datetime
) -> list[tuple[str, dt.datetime | None]]:
    """Live matches that started before the cutoff (match_stats' start, else the raw JSON's)."""
    register_sql_function(con)
    return con.execute(
        """
        SELECT * FROM (
            SELECT r.match_id, coalesce(m.start_time, TRY_CAST(json_extract_string(
                raw_json(r.stats_json_zst), '$.MatchInfo.StartTime') AS TIMESTAMPTZ)) AS start_time
            FROM raw_match_json r LEFT JOIN match_stats m USING (match_id)
        ) WHERE start_time < ? ORDER BY start_time, match_id
        """,
        [cutoff],
    ).fetchall()


def archive_older_than(
    store: PlayerStore,
    older_than_days: int,
    now: dt.datetime | None = None,
    dry_run: bool = False,
    session_gap_minutes: int | None = None,
) -> ArchiveReport:
    if int(older_than_days) < 1:
        raise ValueError("--older-than-days must be a whole number of days, 1 or more.")
    now = now or dt.datetime.now(dt.UTC)
    report = ArchiveReport(cutoff=now - dt.timedelta(days=int(older_than_days)))
    store.require()
    root = archive_root(store.path)
    with store.guard(), store.writer() as writer:
        con = writer.connection
        _finish_pending(con, root)
        xuid = writer.get_meta("player_xuid")  # pending matches must leave with all their rows
        if xuid and con.execute("SELECT count(*) FROM pending_matches").fetchall()[0][0]:
            writer.transform_pending(xuid)
        tables = per_match_tables(con)
        archived_before = archived_counts(con, root, tables)
        live_before = table_counts(con, tables)
        report.total_before = {t: live_before[t] + archived_before[t] for t in tables}
        old = _old_match_ids(con, report.cutoff)
        report.matches = len(old)
        if old and not dry_run:
            _archive_batch(writer, root, tables, old, now.strftime("%Y%m%dT%H%M%S%fZ"), now)
            _finish_pending(con, root)
        if not dry_run:
            refresh_archive_views(con, store.path)
        report.live_after = table_counts(con, tables)
        report.archived_after = archived_counts(con, root, tables)
        for table in tables if not dry_run else ():
            after = report.live_after[table] + report.archived_after[table]
            if after != report.total_before[table]:
                raise MaintenanceError(
                    f"Archive of {store.gamertag}: {table} had {report.total_before[table]}"
                    f" rows before and {after} after (live + archived); the files under "
                    f"{root} need checking before any new archive run."
                )
        if old and not dry_run:
            writer.refresh_aggregates(session_gap_minutes)
    return report


def _archive_batch(
    writer: StoreWriter,
    root: Path,
    tables: list[str],
    old: list[tuple[str, dt.datetime | None]],
    batch: str,
    now: dt.datetime,
) -> None:
    """Write the batch's Parquet files, then delete the rows in one verified transaction."""
    con = writer.connection
    staging = root / PENDING_DIRNAME / batch
    staging.mkdir(parents=True, exist_ok=False)
    ids = pa.table(
        {
            "match_id": pa.array([m for m, _ in old], pa.string()),
            "start_time": pa.array([s for _, s in old], pa.timestamp("us", tz="UTC")),
        }
    )
    rows = "WHERE match_id IN (SELECT match_id FROM _archive_ids)"
    try:
        with registered(con, "_archive_ids", ids):
            written: dict[str, int] = {}
            for table in tables:
                n = con.execute(f'SELECT count(*) FROM "{table}" {rows}').fetchall()[0][0]
                if n:
                    file = staging / f"{table}.parquet"
                    con.execute(
                        f'COPY (SELECT * FROM "{table}" {rows}) TO {sql_path(file)}'
                        " (FORMAT parquet, COMPRESSION zstd)"
                    )
                    got = con.execute(f"SELECT count(*) FROM {_parquet(file)}").fetchall()[0][0]
                    if got != n:
                        raise MaintenanceError(
                            f"The Parquet file of {table} holds {got} rows instead of {n}; "
                            "nothing was removed from the live database."
                        )
                written[table] = n
            with writer._transaction():
                con.execute(
                    "INSERT OR REPLACE INTO archived_matches"
                    " (match_id, start_time, batch, archived_at)"
                    " SELECT match_id, start_time, ?, ? FROM _archive_ids",
                    [batch, now],
                )
                con.execute(UNMARK_TRANSFORMED.format(source="_archive_ids"))
                for table, n in written.items():
                    deleted = con.execute(f'DELETE FROM "{table}" {rows}').fetchall()[0][0]
                    if deleted != n:
                        raise MaintenanceError(
                            f"{table}: {deleted} rows deleted instead of {n}; rolled back, the "
                            "live database is unchanged."
                        )
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
