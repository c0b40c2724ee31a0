"""Shared test fixtures: the real API captures in ../shared, skipped cleanly when absent."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

HALO_FIXTURES = Path(__file__).resolve().parent.parent.parent / "shared" / "fixtures" / "halo-api"


@pytest.fixture(autouse=True)
def _no_tokens_from_earlier_tests():
    """Each test signs in afresh: in-process token reuse (halo/token_cache.py) would otherwise
    carry tokens from one test's simulator to the next one on the same port."""
    from levelup_pipeline.halo import token_cache

    token_cache.forget_all()


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


@pytest.fixture
def pipeline(tmp_path: Path):
    """An isolated installation (temp data dir + DAGSTER_HOME) wired to a fresh simulator with
    3 players and about 40 matches each. Use `pipeline.add(gt)` and `pipeline.sync(gt, ...)`."""
    from levelup_pipeline_tests.harness import isolated_pipeline

    with isolated_pipeline(tmp_path, seed=11, players=3, matches=40) as handle:
        yield handle
