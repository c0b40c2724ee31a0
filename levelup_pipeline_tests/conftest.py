"""Shared test fixtures: the real API captures in ../shared, skipped cleanly when absent."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest

HALO_FIXTURES = Path(__file__).resolve().parent.parent.parent / "shared" / "fixtures" / "halo-api"
RAM_TEMP = Path("/dev/shm")


def pytest_configure(config: pytest.Config) -> None:
    """Put the tests' temp folders (data dirs, DAGSTER_HOMEs) in RAM when the machine has a
    writable /dev/shm: Dagster's SQLite storages commit (fsync) on every event, which made a
    third of an end-to-end file's wall time on a disk. TMPDIR, PYTEST_DEBUG_TEMPROOT and
    --basetemp still win; xdist workers and the CLI subprocesses inherit TMPDIR."""
    if (
        config.option.basetemp
        or os.environ.get("TMPDIR")
        or os.environ.get("PYTEST_DEBUG_TEMPROOT")
    ):
        return
    if RAM_TEMP.is_dir() and os.access(RAM_TEMP, os.W_OK | os.X_OK):
        os.environ["TMPDIR"] = str(RAM_TEMP)
        tempfile.tempdir = None  # re-read TMPDIR on the next gettempdir()


@pytest.fixture(autouse=True)
def _no_tokens_from_earlier_tests():
    """Each test signs in afresh: in-process token reuse (halo/auth.py) would otherwise
    carry tokens from one test's simulator to the next one on the same port."""
    from levelup_pipeline.halo import history_handoff
    from levelup_pipeline.halo.auth import forget_tokens

    forget_tokens()
    history_handoff.drop()  # nor a history page offered by another test's pre-check


@pytest.fixture(scope="session")
def halo_fixtures() -> Path:
    """Folder of real captured Halo API responses (SPNKr's test data); skip if not beside us."""
    if not HALO_FIXTURES.is_dir():
        pytest.skip(f"real API captures not found at {HALO_FIXTURES}")
    return HALO_FIXTURES


@pytest.fixture(scope="session")
def load_capture(halo_fixtures: Path):
    """Load one captured JSON body by file name, e.g. `load_capture("get_match_stats.json")`."""

    def _load(name: str):
        return json.loads((halo_fixtures / name).read_text(encoding="utf-8"))

    return _load


PIPELINE_WORLD = {"seed": 11, "players": 3, "matches": 40}


@pytest.fixture
def pipeline(tmp_path: Path):
    """An isolated installation (temp data dir + DAGSTER_HOME) wired to a fresh simulator with
    3 players and about 40 matches each. Use `pipeline.add(gt)` and `pipeline.sync(gt, ...)`."""
    from levelup_pipeline_tests.harness import isolated_pipeline

    with isolated_pipeline(tmp_path, **PIPELINE_WORLD) as handle:
        yield handle


@pytest.fixture(scope="session")
def synced_installation(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An installation of `pipeline`'s world whose first player is registered and fully synced
    (`full_sync`, every match type), made once per worker and copied by `synced_pipeline`."""
    from levelup_pipeline_tests.harness import isolated_pipeline

    root = tmp_path_factory.mktemp("synced_installation")
    with isolated_pipeline(root, **PIPELINE_WORLD) as handle:
        gamertag = handle.gamertags()[0]
        handle.add(gamertag)
        outcome = handle.sync(gamertag, "full_sync", match_type="all")
        assert outcome.success, outcome.error
        handle.instance.dispose()  # SQLite files closed before they are copied
    return root


@pytest.fixture
def synced_pipeline(synced_installation: Path, tmp_path: Path):
    """`pipeline` whose first player (`gamertags()[0]`) is registered and fully synced: a copy
    of one synced installation (data dir, DAGSTER_HOME with its runs) and a fresh simulator of
    the same world, so a test that needs a synced player starts there instead of syncing."""
    from levelup_pipeline_tests.harness import isolated_pipeline

    shutil.copytree(synced_installation, tmp_path, dirs_exist_ok=True)
    with isolated_pipeline(tmp_path, **PIPELINE_WORLD) as handle:
        yield handle
