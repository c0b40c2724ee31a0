"""The machine misbehaves: a damaged database file, a full disk, a read-only data folder.
The user gets one sentence (no traceback), the file is never overwritten or deleted, and once
the cause is gone the next sync completes as if nothing had happened."""

from __future__ import annotations

import hashlib
import os
import re
import shlex
import stat
import subprocess
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from levelup_pipeline.cli.main import cli
from levelup_pipeline.ingest import engine
from levelup_pipeline.store.writer import StoreWriter
from levelup_pipeline_tests.faults.helpers import (
    assert_same_as,
    cli_command,
    cli_env,
    one_line_error,
    unshare_available,
)

pytestmark = pytest.mark.faults

NO_NAMESPACES = "needs `unshare --user --mount` (unprivileged user namespaces)"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _damage(kind: str, good: bytes) -> bytes:
    if kind == "truncated":
        return good[: len(good) // 2]
    if kind == "zeroed header":
        return bytes(8192) + good[8192:]
    if kind == "garbage":
        return bytes((i * 131 + 7) % 256 for i in range(len(good)))
    return b""  # empty


def test_damaged_database_gives_one_line_and_is_left_untouched(bed):
    path = bed.synced()
    good = path.read_bytes()
    runner = CliRunner()
    for kind in ("truncated", "zeroed header", "garbage", "empty"):
        path.write_bytes(_damage(kind, good))
        before = _digest(path)
        commands = [["stats", "--player", bed.gamertag]]
        if kind == "truncated":
            commands.append(["sync", "--player", bed.gamertag, "--match-type", "all"])
        for args in commands:
            result = runner.invoke(cli, args)
            assert result.exit_code == 1, (kind, args, result.output)
            line = one_line_error(result.output)
            assert re.search(r"damaged|could not be read|cannot be read", line), line
            assert "levelup sync --full" in line or "restore" in line, line
            assert _digest(path) == before, f"{kind}: LevelUp modified the damaged file"
    path.write_bytes(good)
    assert runner.invoke(cli, ["stats", "--player", bed.gamertag]).exit_code == 0


def test_full_disk_during_a_write_is_one_line_and_the_rerun_completes(bed, monkeypatch):
    """Simulated: the second batch write fails the way DuckDB reports ENOSPC on commit."""
    monkeypatch.setattr(engine, "BATCH_SIZE", 4)
    original = StoreWriter.write_raw_matches
    calls: list[int] = []

    def disk_fills_up(self: StoreWriter, rows):
        calls.append(len(rows))
        if len(calls) == 2:
            with self._transaction():  # noqa: SLF001 - fail inside a real transaction
                raise duckdb.TransactionException(
                    "TransactionContext Error: Failed to commit: Could not write file "
                    '"stats.duckdb.wal": No space left on device'
                )
        return original(self, rows)

    monkeypatch.setattr(StoreWriter, "write_raw_matches", disk_fills_up)
    outcome = bed.sync()
    assert not outcome.success
    assert outcome.error.startswith("The disk is full"), outcome.error
    with bed.store().reader() as con:
        stored = con.execute("SELECT count(*) FROM raw_match_json").fetchone()[0]
    assert stored == sum(calls) - calls[1]  # every batch but the failed one is kept
    monkeypatch.setattr(StoreWriter, "write_raw_matches", original)
    outcome = bed.sync()
    assert outcome.success, outcome.error
    assert_same_as(bed.store(), bed.baseline())


def _in_namespace(script: str, env: dict, timeout: float = 180) -> subprocess.CompletedProcess:
    """Run a shell script as root of a private user + mount namespace (no real privileges)."""
    return subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _statuses(stdout: str) -> dict[str, int]:
    return {k: int(v) for k, v in re.findall(r"^(RC\d)=(\d+)$", stdout, re.M)}


@pytest.mark.skipif(not unshare_available(), reason=NO_NAMESPACES)
def test_real_full_disk_fails_clearly_then_resumes(bed, tmp_path: Path):
    """`levelup sync` on a 2 MB tmpfs fails on ENOSPC in one sentence; the folder, moved to a
    disk with room, then syncs to exactly the fault-free result."""
    root, moved = tmp_path / "install", tmp_path / "moved"
    (root / "data").mkdir(parents=True)
    moved.mkdir()
    env = cli_env(root, bed.sim.endpoint, rps=500)
    sync = shlex.join(
        cli_command("sync", "--full", "--player", bed.gamertag, "--match-type", "all")
    )
    data, log = shlex.quote(str(root / "data")), tmp_path / "sync.err"
    script = (
        f"mount -t tmpfs -o size=2m tmpfs {data} && "
        f"{{ {sync} 2>{shlex.quote(str(log))}; echo RC1=$?; }} && "
        f"cp -a {data}/. {shlex.quote(str(moved))}/"
    )
    result = _in_namespace(script, env)
    assert _statuses(result.stdout).get("RC1") == 1, result.stdout + result.stderr
    line = one_line_error(log.read_text())
    assert "The disk is full" in line and "free some space" in line, line
    bed.use_data_dir(moved)
    outcome = bed.sync()
    assert outcome.success, outcome.error
    assert_same_as(bed.store(), bed.baseline())


def _read_only_cli(bed, data: Path, root: Path) -> tuple[dict[str, int], str, str]:
    """`levelup sync` then `levelup stats` with `data` read-only; (exit codes, out, err)."""
    env = cli_env(root, bed.sim.endpoint, rps=500, LEVELUP_DATA_DIR=str(data))
    sync = shlex.join(cli_command("sync", "--player", bed.gamertag, "--match-type", "all"))
    stats = shlex.join(cli_command("stats", "--player", bed.gamertag))
    if unshare_available():
        quoted = shlex.quote(str(data))
        script = (
            f"mount --bind -o ro {quoted} {quoted} && {{ {sync}; echo RC1=$? >&2; }} && "
            f"{{ {stats}; echo RC2=$? >&2; }}"
        )
        result = _in_namespace(script, env)
        return _statuses(result.stderr), result.stdout, result.stderr
    if os.geteuid() == 0:
        pytest.skip(f"root ignores file modes and {NO_NAMESPACES}")
    modes = {}
    for path in [data, *data.rglob("*")]:
        modes[path] = path.stat().st_mode
        path.chmod(stat.S_IMODE(modes[path]) & ~0o222)
    try:
        first = subprocess.run(
            cli_command("sync", "--player", bed.gamertag, "--match-type", "all"),
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        second = subprocess.run(
            cli_command("stats", "--player", bed.gamertag),
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        for path, mode in sorted(modes.items(), key=lambda item: len(item[0].parts)):
            path.chmod(stat.S_IMODE(mode))
    codes = {"RC1": first.returncode, "RC2": second.returncode}
    return codes, first.stdout + second.stdout, first.stderr + second.stderr


def test_read_only_data_folder_refuses_writes_in_one_line_but_reads(bed, tmp_path: Path):
    path = bed.synced()
    data = Path(os.environ["LEVELUP_DATA_DIR"])
    before = {p: _digest(p) for p in path.parent.iterdir() if p.is_file()}
    codes, out, err = _read_only_cli(bed, data, tmp_path / "install")
    assert codes.get("RC1") == 1, out + err[-3000:]
    line = one_line_error(err.split("RC1=")[0])
    assert "read-only" in line and "LEVELUP_DATA_DIR" in line, line
    assert codes.get("RC2") == 0, err[-3000:]
    assert f"Player {bed.gamertag}" in out  # `levelup stats` still reads the database
    assert {p: _digest(p) for p in path.parent.iterdir() if p.is_file()} == before
