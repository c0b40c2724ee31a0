"""Hostile or mistaken input at the front doors (CLI arguments, run tags): rejected with one
sentence that says what is valid, before any path, SQL statement or API request is made."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from levelup_pipeline.cli.main import cli
from levelup_pipeline.cli.runner import run_job
from levelup_pipeline.defs.partitions import registered_players
from levelup_pipeline_tests.faults.helpers import one_line_error
from levelup_pipeline_tests.harness import sync_config

pytestmark = pytest.mark.faults

INJECTION = "x'; DROP TABLE match_stats; --"
BAD_GAMERTAGS = [
    "../evil",
    "a/b",
    "a\\b",
    "..",
    ".",
    "nul\x00byte",
    "x" * 5000,
    "Ｌevel Up",  # fullwidth L
    "Lеvel Up",  # Cyrillic e
    "Level\u200bUp",  # zero-width space
    INJECTION,
    "",
    "   ",
    "tab\there",
    "%2e%2e%2f",
]
COMMANDS = [
    ["sync", "--player", "{}"],
    ["stats", "--player", "{}"],
    ["players", "add", "{}"],
    ["players", "rename", "{}", "Good Name"],
    ["backup", "--player", "{}"],
    ["restore", "--player", "{}"],
    ["archive", "--player", "{}", "--older-than-days", "30"],
    ["db", "check", "--player", "{}"],
]


def _files(root: Path) -> set[Path]:
    return set(root.rglob("*")) if root.exists() else set()


@pytest.fixture
def synced(bed):
    """The bed with its player synced: the database a hostile argument must not touch."""
    outcome = bed.sync()
    assert outcome.success, outcome.error
    bed.sim.reset_stats()
    return bed


def test_bad_gamertags_are_rejected_before_any_path_sql_or_request(synced, tmp_path: Path):
    bed = synced
    data = bed.store().path.parents[2]
    before, players = _files(data), registered_players(bed.instance)
    with bed.store().reader() as con:
        matches = con.execute("SELECT count(*) FROM match_stats").fetchone()[0]
    runner = CliRunner()
    for command in COMMANDS:
        for bad in BAD_GAMERTAGS:
            args = [bad if part == "{}" else part for part in command]
            result = runner.invoke(cli, args)
            assert result.exit_code == 1, (args, result.output)
            line = one_line_error(result.output)
            assert "Invalid gamertag" in line, (args, line)
            assert "1 to 15 letters of one alphabet" in line, (args, line)
            assert len(line) < 400, "the message must not echo a huge argument"
    assert _files(data) == before, "a rejected gamertag created or removed a file"
    assert registered_players(bed.instance) == players
    assert not any(bed.sim.stats()["requests"].values()), "a rejected gamertag reached the API"
    with bed.store().reader() as con:
        assert con.execute("SELECT count(*) FROM match_stats").fetchone()[0] == matches


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--max-matches", "-5"], "between 1 and 100000"),
        (["--max-matches", "0"], "between 1 and 100000"),
        (["--max-matches", "1000000000"], "between 1 and 100000"),
        (["--max-matches", "many"], "is not a valid integer"),
        (["--match-type", "ranked"], "'all', 'matchmaking', 'custom', 'local'"),
        (["--bogus"], "No such option '--bogus'"),
        (["--rps", "0"], "must be a positive number"),
        (["--rps", "-3"], "must be a positive number"),
    ],
)
def test_bad_sync_options_say_what_is_valid(bed, args, expected):
    result = CliRunner().invoke(cli, ["sync", "--player", bed.gamertag, *args])
    assert result.exit_code in (1, 2), result.output
    assert expected in one_line_error(result.output)
    assert not any(bed.sim.stats()["requests"].values())


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({"max_matches": -1}, "between 1 and 100000"),
        ({"max_matches": "lots"}, 'max_matches. Value "lots"'),
        ({"match_type": "ranked"}, "use one of all, matchmaking, custom, local"),
        ({"with_assets": "maybe"}, 'expected type "Bool"'),
    ],
)
def test_bad_run_config_fails_the_run_with_the_valid_values(bed, tags, expected):
    """What `dagster job execute --config` / the UI launchpad users type as run config."""
    outcome = bed.sync(**tags)
    assert not outcome.success
    assert expected in outcome.error and "\n" not in outcome.error, outcome.error
    assert bed.sim.stats()["requests"]["match_history"] == 0


def test_an_unset_environment_variable_in_run_config_is_one_sentence(bed, monkeypatch):
    """A launchpad / `dagster job execute` config naming an unset EnvVar: no Dagster stack."""
    monkeypatch.delenv("LEVELUP_TEST_UNSET_SECRET", raising=False)
    config = {
        "resources": {"halo": {"config": {"client_id": {"env": "LEVELUP_TEST_UNSET_SECRET"}}}},
        **sync_config("delta_sync"),
    }
    outcome = run_job(bed.instance, "delta_sync", bed.gamertag, run_config=config)
    assert not outcome.success
    assert "LEVELUP_TEST_UNSET_SECRET, which is not set" in outcome.error, outcome.error
    assert "\n" not in outcome.error and "Stack Trace" not in outcome.error
    assert 'File "' not in outcome.error, outcome.error
