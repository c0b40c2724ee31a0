"""`levelup sync --delta`'s pre-check: one history request and no Dagster run when nothing is
new; the job as before whenever anything is new, pending, forced or failing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from levelup_pipeline.cli import delta_check
from levelup_pipeline.cli.main import cli
from levelup_pipeline.defs import run_lock
from levelup_pipeline.defs.partitions import registered_players
from levelup_pipeline.halo.auth import SIM_REFRESH_TOKEN, forget_tokens
from levelup_pipeline.ingest import engine
from levelup_pipeline.ingest.options import SyncOptions
from levelup_pipeline_tests.faults.helpers import one_line_error

pytestmark = pytest.mark.e2e

DELTA = ["sync", "--delta", "--match-type", "all", "--player"]
API_ENDPOINTS = ("match_history", "match_stats", "match_skill", "film", "users", "ugc")


def _invoke(pipeline, args: list[str]):
    """Run the CLI; returns (result, API requests per endpoint, Dagster runs started)."""
    runs_before = len(pipeline.instance.get_runs())
    pipeline.sim.reset_stats()
    forget_tokens()  # a new `levelup` process starts with no tokens in memory
    result = CliRunner().invoke(cli, args)
    requests = pipeline.sim.stats()["requests"]
    return result, requests, len(pipeline.instance.get_runs()) - runs_before


def _delta(pipeline, gamertag: str, *extra: str):
    """`levelup sync --delta --match-type all --player GT ...` through `_invoke`."""
    return _invoke(pipeline, [*DELTA, gamertag, *extra])


def test_nothing_new_is_one_history_request_and_no_run(synced_pipeline):
    pipeline = synced_pipeline
    gamertag = pipeline.gamertags()[0]  # registered, whole history stored
    result, requests, runs = _delta(pipeline, gamertag)
    assert result.exit_code == 0, result.output
    assert runs == 0
    assert {name: requests[name] for name in API_ENDPOINTS} == {
        name: int(name == "match_history") for name in API_ENDPOINTS
    }
    assert f"{gamertag}: up to date - no new match since " in result.output
    assert "(1 API request); no run started" in result.output


def test_a_new_match_runs_the_job_and_stores_it(synced_pipeline):
    pipeline = synced_pipeline
    gamertag = pipeline.gamertags()[0]  # registered, whole history stored
    (new_id,) = pipeline.sim.add_matches(1, gamertag)
    result, requests, runs = _delta(pipeline, gamertag)
    assert result.exit_code == 0, result.output
    assert runs == 1
    assert f"{gamertag}: 1 new match(es)" in result.output
    assert requests["match_stats"] == 1
    # the job starts from the page the pre-check read (halo/history_handoff.py)
    assert requests["match_history"] == 1
    with pipeline.store(gamertag).reader() as con:
        stored = con.execute(
            "SELECT count(*) FROM match_stats WHERE match_id = ?", [new_id]
        ).fetchall()
    assert stored == [(1,)]


def test_every_registered_player_is_checked_and_only_news_start_a_run(synced_pipeline):
    pipeline = synced_pipeline
    quiet = pipeline.gamertags()[0]  # registered, whole history stored
    busy = pipeline.gamertags()[1]
    pipeline.add(busy)
    assert pipeline.sync(busy, "full_sync", match_type="all").success
    pipeline.sim.add_matches(1, busy)
    result, requests, runs = _invoke(pipeline, ["sync", "--match-type", "all"])
    assert result.exit_code == 0, result.output
    assert f"{quiet}: up to date - no new match" in result.output
    assert f"{busy}: 1 new match(es)" in result.output
    assert runs == 1
    # one pre-check page per player; the job starts from the page its pre-check read
    assert requests["match_history"] == 2


def _set_cursor(con) -> None:
    con.execute(
        "INSERT OR REPLACE INTO sync_meta (key, value) VALUES ('resume_cursor:all', "
        "'2000-01-01T00:00:00Z')"
    )


def _untransform_one(con) -> None:
    con.execute(
        "DELETE FROM transformed_matches"
        " WHERE match_id = (SELECT min(match_id) FROM raw_match_json)"
    )


def _drop_aggregates(con) -> None:
    con.execute("DELETE FROM mv_global_stats")


@pytest.mark.parametrize("make_pending", [_set_cursor, _untransform_one, _drop_aggregates])
def test_pending_work_runs_the_job_then_the_next_delta_is_skipped(synced_pipeline, make_pending):
    pipeline = synced_pipeline
    gamertag = pipeline.gamertags()[0]  # registered, whole history stored
    with pipeline.store(gamertag).writer() as writer:
        make_pending(writer.connection)
    result, _requests, runs = _delta(pipeline, gamertag)
    assert result.exit_code == 0, result.output
    assert runs == 1 and f"{gamertag}: delta_sync" in result.output
    again, _requests, runs = _delta(pipeline, gamertag)
    assert runs == 0 and "no run started" in again.output, again.output


@pytest.mark.parametrize("option", ["--force-run", "--backfill-performance-scores"])
def test_force_run_and_maintenance_options_start_the_job(synced_pipeline, option):
    pipeline = synced_pipeline
    gamertag = pipeline.gamertags()[0]  # registered, whole history stored
    result, _requests, runs = _delta(pipeline, gamertag, option)
    assert result.exit_code == 0, result.output
    assert runs >= 1 and f"{gamertag}: 0 new match(es)" in result.output


def test_an_unregistered_player_is_resolved_and_registered_before_the_precheck(synced_pipeline):
    """`--player` of a player not registered: one profile lookup registers it first (issue 21
    item 12: never register an unknown name), then the pre-check sees nothing new."""
    pipeline = synced_pipeline
    gamertag = pipeline.gamertags()[0]  # registered, whole history stored
    removed = CliRunner().invoke(cli, ["players", "remove", gamertag.upper()])
    assert removed.exit_code == 0, removed.output
    result, requests, runs = _delta(pipeline, gamertag.lower())
    assert result.exit_code == 0, result.output
    assert runs == 0 and "no run started" in result.output
    assert requests["users"] == 1 and requests["match_history"] == 1
    assert registered_players(pipeline.instance) == [gamertag]  # the profile's spelling


def test_a_revoked_token_is_the_jobs_one_sentence_and_no_run(synced_pipeline):
    pipeline = synced_pipeline
    gamertag = pipeline.gamertags()[0]  # registered, whole history stored
    pipeline.sim.knobs.strict_tokens = True
    pipeline.sim.knobs.revoked_refresh_tokens = {SIM_REFRESH_TOKEN}
    result, requests, runs = _delta(pipeline, gamertag)
    assert result.exit_code == 1
    line = one_line_error(result.output)
    assert line.startswith(f"Error: {gamertag}: Authentication failed: run 'levelup auth'")
    assert runs == 0 and requests["match_history"] == 0
    forced, _requests, runs = _delta(pipeline, gamertag, "--force-run")
    assert runs == 1
    assert one_line_error(forced.output) == line  # the job says it the same way


def test_the_precheck_path_imports_no_dagster_pandas_or_pyarrow(synced_pipeline):
    out = _no_dagster_delta(synced_pipeline.gamertags()[0])  # registered, history stored
    assert "no run started" in out
    assert "heavy: []" in out, out


def test_the_precheck_uses_the_jobs_api_settings(monkeypatch):
    from levelup_pipeline.definitions import halo_resource

    for name, value in {
        "LEVELUP_HALO_ENDPOINT": "127.0.0.1:4443",
        "SPNKR_CLIENT_ID": "id",
        "SPNKR_CLIENT_SECRET": "secret",
        "HALO_SPARTAN_TOKEN": "spartan",
        "HALO_CLEARANCE_TOKEN": "clearance",
    }.items():
        monkeypatch.setenv(name, value)
    assert delta_check.api_settings(True) == halo_resource().settings(True)
    monkeypatch.delenv("LEVELUP_HALO_ENDPOINT")
    monkeypatch.delenv("HALO_SPARTAN_TOKEN")
    assert delta_check.api_settings(False) == halo_resource().settings(False)


def test_the_precheck_reads_the_jobs_cursor():
    for match_type in ("all", "matchmaking", "custom", "local"):
        key = engine._cursor_key(SyncOptions(match_type=match_type))
        assert key == delta_check.CURSOR_KEY_PREFIX + match_type


def _no_dagster_delta(gamertag: str, *args: str) -> str:
    """`levelup sync --delta ...` in a fresh process; its output ends with the heavy modules
    it imported."""
    code = (
        "import sys\n"
        "from levelup_pipeline.cli.main import cli\n"
        "try:\n"
        f"    cli({[*DELTA, gamertag, *args]!r}, prog_name='levelup')\n"
        "finally:\n"
        "    heavy = ('dagster', 'pandas', 'pyarrow', 'matplotlib')\n"
        "    print('heavy:', sorted(m for m in heavy if m in sys.modules))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], env=dict(os.environ), capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_the_precheck_reads_our_records_after_add_remove_and_a_failed_run(
    synced_pipeline, monkeypatch
):
    """No reading of Dagster's tables: the players come from LevelUp's mirror (rewritten by
    players add/remove) and the last run's end from the run lock's record."""
    from levelup_pipeline.store.model_writes import ModelWrites

    pipeline = synced_pipeline
    first, second = pipeline.gamertags()[:2]
    pipeline.add(second)
    assert run_lock.registered_players() == registered_players(pipeline.instance)
    assert run_lock.registered_players() == [first, second]
    removed = CliRunner().invoke(cli, ["players", "remove", second])
    assert removed.exit_code == 0, removed.output
    assert run_lock.registered_players() == [first]
    assert "heavy: []" in _no_dagster_delta(first)
    pipeline.instance.add_dynamic_partitions("players", [second])  # as the UI adds one
    assert run_lock.registered_players() == [first]
    assert pipeline.sync(second, "full_sync").success  # its first run mirrors it
    assert run_lock.registered_players() == [first, second]

    def broken(*_args, **_kwargs):
        raise RuntimeError("aggregates broke")

    monkeypatch.setattr(ModelWrites, "refresh_aggregates", broken)
    failed, _requests, runs = _delta(pipeline, first, "--force-run")
    assert failed.exit_code == 1 and runs == 1
    assert run_lock.last_run_status(first) == "FAILURE"
    monkeypatch.undo()
    rerun, _requests, runs = _delta(pipeline, first, "--verbose")  # not "up to date"
    assert rerun.exit_code == 0 and runs == 1, rerun.output
    assert "the last run of this player did not succeed (FAILURE)" in rerun.output
    assert run_lock.last_run_status(first) == "SUCCESS"
    assert "no run started" in _no_dagster_delta(first)


def test_an_older_schema_means_the_job_migrates_it(tmp_path: Path):
    """A file from before migration 005 has no pending_matches view: the pre-check reads its
    version and hands it to the job instead of failing on the missing view."""
    import duckdb

    from levelup_pipeline_tests.store.test_highlight_events_heap import _migrate_to

    path = tmp_path / "stats.duckdb"
    con = duckdb.connect(str(path))
    _migrate_to(con, 4)
    con.close()
    assert delta_check.read_state(path, "all").pending == "the database schema needs a migration"


def test_a_handed_page_is_used_once_fresh_and_for_its_player_only(monkeypatch):
    from levelup_pipeline.halo import history_handoff as handoff

    page = {"Results": [{"MatchId": "m1"}]}
    handoff.offer("1", "all", 25, page)
    assert handoff.take("2", 0, 25, "all") is None  # another player: dropped, not kept
    assert handoff.take("1", 0, 25, "all") is None
    handoff.offer("1", "all", 25, page)
    assert handoff.take("1", 25, 25, "all") is None  # a later page is never handed
    assert handoff.take("1", 0, 25, "matchmaking") is None
    handoff.offer("1", "all", 25, page)
    assert handoff.take("1", 0, 25, "all") is page
    assert handoff.take("1", 0, 25, "all") is None  # once
    handoff.offer("1", "all", 25, page)
    now = handoff.time.monotonic()
    monkeypatch.setattr(handoff.time, "monotonic", lambda: now + handoff.MAX_AGE_SECONDS + 1)
    assert handoff.take("1", 0, 25, "all") is None  # stale


def test_a_forced_run_after_an_up_to_date_check_asks_for_its_own_page(synced_pipeline):
    pipeline = synced_pipeline
    gamertag = pipeline.gamertags()[0]
    quiet, _requests, runs = _delta(pipeline, gamertag)
    assert runs == 0, quiet.output
    (new_id,) = pipeline.sim.add_matches(1, gamertag)
    forced, requests, runs = _delta(pipeline, gamertag, "--force-run")
    assert forced.exit_code == 0 and runs == 1, forced.output
    assert requests["match_history"] == 1  # its own, fresh: the new match is found
    with pipeline.store(gamertag).reader() as con:
        assert con.execute(
            "SELECT count(*) FROM match_stats WHERE match_id = ?", [new_id]
        ).fetchall() == [(1,)]
