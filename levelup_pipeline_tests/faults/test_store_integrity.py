"""Issue 21, storage side: a damaged raw body is isolated and fetched again, damage in the middle
of the file is found before anything is written, the advice given for a truncated file works,
and a full disk during `levelup archive` is called a full disk."""

from __future__ import annotations

import hashlib
import shlex
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from levelup_pipeline.cli.main import cli
from levelup_pipeline.ingest import engine
from levelup_pipeline_tests.faults.helpers import (
    assert_same_as,
    cli_command,
    cli_env,
    one_line_error,
    unshare_available,
)
from levelup_pipeline_tests.faults.test_storage_faults import NO_NAMESPACES, _in_namespace

pytestmark = pytest.mark.faults


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _truncate_blob(path: Path, column: str, match_id: str) -> None:
    """Cut a stored zstd frame in half (what a bad sector or a bad copy leaves)."""
    with duckdb.connect(str(path)) as con:
        con.execute(
            f"UPDATE raw_match_json SET {column} = {column}[1:octet_length({column}) // 2]"
            " WHERE match_id = ?",
            [match_id],
        )


def _cli(*args: str):
    return CliRunner().invoke(cli, list(args))


def test_a_damaged_film_is_isolated_not_emptying_the_tables_then_refetched(bed):
    path = bed.synced()
    victim = bed.match_ids()[3]
    with duckdb.connect(str(path), read_only=True) as con:
        before = con.execute("SELECT count(*) FROM match_stats").fetchone()[0]
    _truncate_blob(path, "highlights_json_zst", victim)

    check = _cli("db", "check", "--player", bed.gamertag)  # it said "intact"
    assert check.exit_code == 1, check.output
    line = one_line_error(check.output)
    assert victim in line and "levelup sync --with-backfill" in line, line

    # the rebuild deleted every derived row then failed on a ZstdError (and every sync after)
    rebuilt = _cli("sync", "--player", bed.gamertag, "--rebuild-cache", "--match-type", "all")
    assert rebuilt.exit_code == 0, rebuilt.output
    with bed.store().reader() as con:
        assert con.execute("SELECT count(*) FROM match_stats").fetchone()[0] == before
        assert con.execute(
            "SELECT film_status, highlights_json_zst IS NULL FROM raw_match_json"
            " WHERE match_id = ?",
            [victim],
        ).fetchall() == [("damaged", True)]
        assert not con.execute(
            "SELECT count(*) FROM highlight_events WHERE match_id = ?", [victim]
        ).fetchone()[0]

    filled = _cli("sync", "--player", bed.gamertag, "--with-backfill", "--match-type", "all")
    assert filled.exit_code == 0, filled.output
    assert_same_as(bed.store(), bed.baseline())
    check = _cli("db", "check", "--player", bed.gamertag)
    assert check.exit_code == 0 and "database intact" in check.output, check.output


def test_a_damaged_stats_body_is_recorded_and_fetched_again_by_the_next_sync(bed):
    path = bed.synced()
    victim = bed.match_ids()[5]  # in the middle of the history: a delta stops above it
    _truncate_blob(path, "stats_json_zst", victim)
    with duckdb.connect(str(path)) as con:  # make it pending, as a refetch or backfill does
        con.execute("DELETE FROM transformed_matches WHERE match_id = ?", [victim])

    synced = _cli("sync", "--player", bed.gamertag, "--match-type", "all", "--force-run")
    assert synced.exit_code == 0, synced.output
    with bed.store().reader() as con:  # skipped with nothing recorded before
        assert (
            victim
            in con.execute(
                "SELECT value FROM sync_meta WHERE key = 'damaged_raw_matches'"
            ).fetchone()[0]
        )
    check = _cli("db", "check", "--player", bed.gamertag)
    assert check.exit_code == 1 and victim in one_line_error(check.output), check.output

    again = _cli("sync", "--player", bed.gamertag, "--match-type", "all")
    assert again.exit_code == 0, again.output
    assert_same_as(bed.store(), bed.baseline())
    assert engine.CURSOR_KEY + ":" == "resume_cursor:"  # the key store/raw_damage.py lowers
    check = _cli("db", "check", "--player", bed.gamertag)
    assert check.exit_code == 0 and "database intact" in check.output, check.output


def test_damage_in_the_middle_of_the_file_is_found_before_the_sync_writes(bed):
    path = bed.synced()
    data = bytearray(path.read_bytes())
    third = len(data) // 3
    data[third : 2 * third] = bytes(third)
    path.write_bytes(bytes(data))
    before = _digest(path)
    result = _cli("sync", "--player", bed.gamertag, "--match-type", "all", "--force-run")
    assert result.exit_code == 1, result.output
    line = one_line_error(result.output)
    assert "_duckdb" not in line and "is damaged" in line, line
    assert f"levelup restore --player {bed.gamertag}" in line, line
    assert _digest(path) == before, "the sync wrote into the damaged file"


def test_the_full_sync_recommended_for_a_truncated_file_rebuilds_it(bed):
    path = bed.synced()
    good = path.read_bytes()
    path.write_bytes(good[: len(good) // 2])
    damaged = _digest(path)
    stats = _cli("stats", "--player", bed.gamertag)
    advice = f"levelup sync --full --player {bed.gamertag}"
    assert advice in one_line_error(stats.output)

    result = _cli("sync", "--full", "--player", bed.gamertag, "--match-type", "all")
    assert result.exit_code == 0, result.output
    assert "moved to" in result.output
    [aside] = (path.parent.parent.parent / "backups" / bed.gamertag).glob("replaced-*")
    assert _digest(aside / "stats.duckdb") == damaged  # kept, never deleted
    assert_same_as(bed.store(), bed.baseline())


@pytest.mark.skipif(not unshare_available(), reason=NO_NAMESPACES)
def test_a_full_disk_during_archive_is_called_a_full_disk(bed, tmp_path: Path):
    path = bed.synced()
    root = tmp_path / "install"
    (root / "data").mkdir(parents=True)
    env = cli_env(root, bed.sim.endpoint, rps=500)
    source = shlex.quote(str(path.parent.parent.parent))
    data, log = shlex.quote(str(root / "data")), tmp_path / "archive.err"
    db = shlex.quote(str(root / "data" / "players" / bed.gamertag / "stats.duckdb"))
    archive = shlex.join(cli_command("archive", "--player", bed.gamertag, "--older-than-days", "1"))
    size_kb = (path.stat().st_size + 96 * 1024) // 1024  # the file fits, the Parquet does not
    script = (
        f"mount -t tmpfs -o size={size_kb}k tmpfs {data} && cp -a {source}/. {data}/ && "
        f"sha256sum {db} && {{ {archive} 2>{shlex.quote(str(log))}; echo RC1=$?; }} && "
        f"sha256sum {db}"
    )
    result = _in_namespace(script, env)
    assert "RC1=1" in result.stdout, result.stdout + result.stderr + log.read_text()
    line = one_line_error(log.read_text())
    assert "disk is full" in line and "intact" in line, line
    assert "levelup restore" not in line and "damaged" not in line, line
    sums = [s.split()[0] for s in result.stdout.splitlines() if s.endswith("/stats.duckdb")]
    assert len(sums) == 2 and sums[0] == sums[1], result.stdout  # the file is left intact
