"""`levelup restore` killed (SIGKILL) before each of its file operations, one run per step:
`levelup db check` then leaves either the old database and archive untouched or the backup's
database with the backup's archive (never one without the other, never no database), and a
rerun of the restore completes it."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from levelup_pipeline.cli.main import cli
from levelup_pipeline.cli.maintenance_cmd import restore
from levelup_pipeline.simulator.synthetic import build_synthetic_world
from levelup_pipeline.store.archive import archive_older_than, archive_root
from levelup_pipeline.store.maintenance import backup
from levelup_pipeline.store.player_store import PlayerStore
from levelup_pipeline_tests.maintenance.helpers import fingerprints, seed_store

pytestmark = pytest.mark.faults

# Runs `levelup restore`'s function in a child that SIGKILLs itself before its K-th file
# operation (rename, replace, copy): the same for any implementation of the restore.
_CHILD = """
import os, shutil, signal, sys
from pathlib import Path
try:
    from levelup_pipeline.store.restore import restore
except ImportError:  # before store/restore.py (the test must fail there, not error)
    from levelup_pipeline.store.maintenance import restore
from levelup_pipeline.store.player_store import PlayerStore
data_dir, gamertag, kill_at = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
store = PlayerStore(gamertag, data_dir)
done = [0]
def counted(original):
    def call(*args, **kwargs):
        done[0] += 1
        if done[0] == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        return original(*args, **kwargs)
    return call
for module, name in ((os, "replace"), (os, "rename"), (shutil, "copy2")):
    setattr(module, name, counted(getattr(module, name)))
restore(store)
"""


def _state(store: PlayerStore) -> tuple:
    """(fingerprints of the file, archive files, rows in match_stats_all) - what a user sees."""
    files = sorted(
        str(p.relative_to(archive_root(store.path)))
        for p in archive_root(store.path).rglob("*.parquet")
    )
    with duckdb.connect(str(store.path), read_only=True) as con:
        total = con.execute("SELECT count(*) FROM match_stats_all").fetchone()[0]
    return fingerprints(store.path), files, total


@pytest.fixture
def restorable(tmp_path: Path) -> tuple[Path, str, tuple, tuple]:
    """A data folder whose player has a backup (some matches archived) and newer live data
    (everything archived since): (template folder, gamertag, live state, backup state)."""
    world = build_synthetic_world(seed=11, players=1, matches=10)
    gamertag = world.players[0].gamertag
    data = tmp_path / "template"
    store = PlayerStore(gamertag, data)
    seed_store(store, world, gamertag)
    with store.reader() as con:
        starts = sorted(r[0] for r in con.execute("SELECT start_time FROM match_stats").fetchall())
    days = (dt.datetime.now(dt.UTC) - starts[len(starts) // 2]).days
    archive_older_than(store, days)
    backup(store)
    backed_up = _state(store)
    archive_older_than(store, 1)  # the live database moves on after the backup
    live = _state(store)
    assert live != backed_up and backed_up[1] and live[1] != backed_up[1]
    return data, gamertag, live, backed_up


def test_restore_killed_at_every_step_is_finished_or_undone(restorable, tmp_path, monkeypatch):
    template, gamertag, live, backed_up = restorable
    outcomes = []
    for kill_at in range(1, 60):
        data = tmp_path / f"run{kill_at}"
        shutil.copytree(template, data)
        store = PlayerStore(gamertag, data)
        child = subprocess.run(
            [sys.executable, "-c", _CHILD, str(data), gamertag, str(kill_at)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if child.returncode == 0:
            assert _state(store) == backed_up
            break
        assert child.returncode == -signal.SIGKILL, child.stderr
        monkeypatch.setenv("LEVELUP_DATA_DIR", str(data))
        journal = store.path.with_name("stats.duckdb.restore.json").exists()
        if journal:  # committed, unfinished
            stats = CliRunner().invoke(cli, ["stats", "--player", gamertag])
            assert stats.exit_code == 1 and "interrupted" in stats.output, stats.output
            assert f"levelup db check --player {gamertag}" in stats.output, stats.output
            outcomes.append("journal")
        check = CliRunner().invoke(cli, ["db", "check", "--player", gamertag])
        assert check.exit_code == 0, (kill_at, check.output)
        assert ("finished the interrupted restore" in check.output) == journal, check.output
        assert store.exists(), f"killed before operation {kill_at}: no database left"
        state = _state(store)
        assert state in (live, backed_up), f"killed before operation {kill_at}: a mixed state"
        outcomes.append("new" if state == backed_up else "old")
        if state == backed_up:  # the replaced files are kept aside, complete
            [aside] = (data / "backups" / gamertag).glob("replaced-*")
            assert fingerprints(aside / "stats.duckdb") == live[0]
        restore(store)  # what `levelup restore` runs (its CLI also registers the partition)
        assert _state(store) == backed_up
        assert not [p for p in os.listdir(store.path.parent) if p.startswith(".restore")]
    else:
        pytest.fail("the restore never completed")
    # kills before and after the commit, some with the restore's journal left to finish
    assert {"old", "new", "journal"} <= set(outcomes), outcomes
