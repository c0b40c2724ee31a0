"""Bodies the API should never send, each found by a probe to be lost or stored wrong silently
(issue 21, items 3-7): a stats body without the player, glitched values, skill bodies
without the player's result, JSON nested 1,200 levels deep, a film chunk inflating without
bound. Each is now recorded and reported, and the rest of the sync is stored."""

from __future__ import annotations

import copy
import json
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from levelup_pipeline.cli.runner import RunOutcome
from levelup_pipeline.cli.sync_cmd import sync_command
from levelup_pipeline.ingest.engine import NO_PLAYER_ROW
from levelup_pipeline.store import backfill as gaps
from levelup_pipeline.store import invariants
from levelup_pipeline.transform.film_events import MAX_HIGHLIGHT_CHUNK_BYTES
from levelup_pipeline_tests.faults.conftest import FaultBed
from levelup_pipeline_tests.faults.helpers import integrity_problems, reset_knobs

pytestmark = pytest.mark.faults

MATCHMADE = 3


def _player_entry(body: dict, xuid: int) -> dict:
    return next(p for p in body["Players"] if p["PlayerId"] == f"xuid({xuid})")


def _core(body: dict, xuid: int) -> dict:
    return _player_entry(body, xuid)["PlayerTeamStats"][0]["Stats"]["CoreStats"]


def _serve(bed: FaultBed, match_id: str, body: dict) -> None:
    bed.sim.world.raw_matches[match_id] = json.dumps(body).encode()


def _serve_deep(bed: FaultBed, match_id: str, levels: int) -> None:
    """The match's stats with an extra key nested `levels` deep (~14 bytes a level: 1,200
    levels is the probe's 17 KB), written by hand: json.dumps itself gives up near 1,000."""
    text = json.dumps(bed.sim.world.matches[match_id])
    deep = '{"Nested":' * (levels - 1) + "[1]" + "}" * (levels - 1)
    bed.sim.world.raw_matches[match_id] = f'{text[:-1]}, "Deep": {deep}}}'.encode()


@dataclass
class BadData:
    bed: FaultBed
    xuid: int
    no_player: str
    skill_bodies: dict[str, str]
    oversize_film: str
    glitched: str
    negative: str
    outcome: RunOutcome


@pytest.fixture(scope="module")
def bad_data(fault_bed: FaultBed, tmp_path_factory: pytest.TempPathFactory) -> BadData:
    bed = fault_bed
    world = bed.sim.world
    xuid = world.find_player(bed.gamertag)
    ids = bed.match_ids()
    matchmade = [m for m in ids if world.matches[m]["MatchInfo"].get("LifecycleMode") == MATCHMADE]
    others = [m for m in ids if m not in matchmade[:3]]
    no_player, oversize_film, glitched, negative = others[:4]
    reset_knobs(bed.sim.knobs)
    saved_raw, saved_skill = dict(world.raw_matches), dict(world.raw_skill)
    try:
        body = copy.deepcopy(world.matches[no_player])
        body["Players"] = [p for p in body["Players"] if p["PlayerId"] != f"xuid({xuid})"]
        _serve(bed, no_player, body)

        body = copy.deepcopy(world.matches[glitched])
        _core(body, xuid).update(Accuracy=1e308, Kills=16.5)
        _serve(bed, glitched, body)
        body = copy.deepcopy(world.matches[negative])
        _core(body, xuid).update(Deaths=-3)
        _serve(bed, negative, body)

        stranger = {"Id": "xuid(2533274800000001)", "ResultCode": 0, "Result": {"TeamId": 0}}
        skill_bodies = dict(zip(("null", "empty", "other player"), matchmade[:3], strict=True))
        for value, match_id in zip((None, [], [stranger]), matchmade[:3], strict=True):
            world.raw_skill[match_id] = {"Value": value}

        # 17 MB of zeros: ~17 KB on the wire, past the 16 MB bound once inflated.
        chunk = zlib.compress(bytes(MAX_HIGHLIGHT_CHUNK_BYTES + 2**20))
        bed.sim._server.state.chunks[oversize_film] = chunk  # noqa: SLF001 - no public knob
        bed.use_data_dir(Path(tmp_path_factory.mktemp("bad_data")) / "data")
        outcome = bed.sync()
    finally:
        world.raw_matches.clear()
        world.raw_matches.update(saved_raw)
        world.raw_skill.clear()
        world.raw_skill.update(saved_skill)
        bed.sim._server.state.chunks.pop(oversize_film, None)  # noqa: SLF001
    return BadData(bed, xuid, no_player, skill_bodies, oversize_film, glitched, negative, outcome)


def test_a_body_without_the_player_is_recorded_unavailable_and_reported(bad_data: BadData):
    assert bad_data.outcome.success, bad_data.outcome.error
    store = bad_data.bed.store()
    with store.reader() as con:
        reason = con.execute(
            "SELECT reason FROM unavailable_matches WHERE match_id = ?", [bad_data.no_player]
        ).fetchall()
        raw = con.execute(
            "SELECT count(*) FROM raw_match_json WHERE match_id = ?", [bad_data.no_player]
        ).fetchone()[0]
    assert reason == [(NO_PLAYER_ROW,)]
    assert raw == 0, "a body that gives the player no row is not counted as stored"
    meta = bad_data.outcome.metadata["raw_match_json"]
    assert bad_data.no_player in meta["unavailable_matches"]
    assert not any(integrity_problems(store).values()), integrity_problems(store)


def test_the_player_row_check_catches_a_raw_body_that_produced_no_row(bad_data: BadData):
    """A body stored by an older version (or damaged since) and transformed into nothing."""
    store = bad_data.bed.store()
    with store.writer() as writer:
        writer.connection.execute("DELETE FROM match_stats WHERE match_id = ?", [bad_data.glitched])
    try:
        with store.reader() as con:
            problems, detail = invariants.orphan_matches(con)
        assert problems == 1 and detail["raw_without_row"] == 1, detail
    finally:
        with store.writer() as writer:
            writer.transform_pending(str(bad_data.xuid), rebuild=True)


def test_implausible_values_are_nulled_recorded_and_kept_out_of_the_totals(bad_data: BadData):
    store = bad_data.bed.store()
    with store.reader() as con:
        rows = {
            r[0]: r[1:]
            for r in con.execute(
                "SELECT match_id, kills, accuracy, deaths, kd_ratio FROM match_stats"
                " WHERE match_id IN (?, ?)",
                [bad_data.glitched, bad_data.negative],
            ).fetchall()
        }
        suspect = dict(con.execute("SELECT match_id, reasons FROM suspect_matches").fetchall())
        own_row = con.execute(
            "SELECT kills, accuracy FROM match_players WHERE match_id = ? AND xuid = ?",
            [bad_data.glitched, str(bad_data.xuid)],
        ).fetchall()
        stored_bad = invariants.implausible_values(con)[0]
        total = con.execute("SELECT sum(kills), max(accuracy) FROM match_stats").fetchone()
        global_kills = con.execute("SELECT sum(kills) FROM mv_global_stats").fetchone()[0]
    assert rows[bad_data.glitched][:2] == (None, None), "kills 16.5 and accuracy 1e308"
    assert own_row == [(None, None)], "the player's match_players row agrees"
    assert rows[bad_data.negative][2] is None and rows[bad_data.negative][3] is None
    assert set(suspect) == {bad_data.glitched, bad_data.negative}
    assert "kills 16.5" in suspect[bad_data.glitched]
    assert "accuracy 1e+308" in suspect[bad_data.glitched]
    assert "deaths -3" in suspect[bad_data.negative]
    assert stored_bad == 0 and total[1] <= 100 and global_kills == total[0]


@pytest.mark.parametrize("kind", ["null", "empty", "other player"])
def test_a_skill_body_without_the_player_is_a_gap_the_gap_filling_retries(
    bad_data: BadData, kind: str
):
    match_id = bad_data.skill_bodies[kind]
    store = bad_data.bed.store()
    with store.reader() as con:
        status, body_missing = con.execute(
            "SELECT skill_status, skill_json_zst IS NULL FROM raw_match_json WHERE match_id = ?",
            [match_id],
        ).fetchone()
    assert status != "ok" and body_missing
    with store.writer() as writer:
        assert match_id in gaps.skill_candidates(writer)


def test_a_skill_body_stored_ok_without_the_player_row_is_retried(bad_data: BadData):
    """A database filled before the client refused such bodies: status 'ok', no row."""
    store = bad_data.bed.store()
    match_id = bad_data.glitched
    with store.writer() as writer:
        writer.connection.execute("DELETE FROM player_match_stats WHERE match_id = ?", [match_id])
        try:
            lifecycle = bad_data.bed.sim.world.matches[match_id]["MatchInfo"]["LifecycleMode"]
            assert (match_id in gaps.skill_candidates(writer)) == (lifecycle == MATCHMADE)
        finally:
            writer.transform_pending(str(bad_data.xuid), rebuild=True)


def test_an_oversize_film_chunk_is_a_film_gap(bad_data: BadData):
    with bad_data.bed.store().reader() as con:
        status, events_missing = con.execute(
            "SELECT film_status, highlights_json_zst IS NULL FROM raw_match_json"
            " WHERE match_id = ?",
            [bad_data.oversize_film],
        ).fetchone()
    assert status != "ok" and events_missing
    assert bad_data.outcome.metadata["raw_match_json"]["film_gaps"] >= 1


def test_json_nested_1200_levels_is_one_unavailable_match(bed: FaultBed):
    ids = bed.match_ids()
    deep = ids[4]
    _serve_deep(bed, deep, 1200)
    try:
        outcome = bed.sync()
    finally:
        bed.sim.world.raw_matches.pop(deep, None)
    assert outcome.success, outcome.error
    with bed.store().reader() as con:
        reasons = dict(con.execute("SELECT match_id, reason FROM unavailable_matches").fetchall())
        stored = {r[0] for r in con.execute("SELECT match_id FROM match_stats").fetchall()}
    assert list(reasons) == [deep] and "malformed" in reasons[deep]
    assert stored == set(ids) - {deep}


def test_a_body_too_deep_to_keep_for_later_is_one_unavailable_match(bed: FaultBed):
    """600 levels decode, but a match whose skill call failed is kept (pickled) until the
    sync completes, and pickle gives up near 500 levels."""
    ids = bed.match_ids()
    deep = ids[6]
    _serve_deep(bed, deep, 600)
    bed.sim.knobs.skill_failures = {deep}
    bed.sim.knobs.films_without_highlights = {deep}
    try:
        outcome = bed.sync()
    finally:
        bed.sim.world.raw_matches.pop(deep, None)
    assert outcome.success, outcome.error
    with bed.store().reader() as con:
        stored = {r[0] for r in con.execute("SELECT match_id FROM match_stats").fetchall()}
        unavailable = con.execute("SELECT match_id FROM unavailable_matches").fetchall()
    assert unavailable == [(deep,)] and stored == set(ids) - {deep}


def test_failed_checks_reach_the_user_of_levelup_sync(bed: FaultBed):
    """An ERROR check (outcome 99) fails the command with one sentence naming the check and
    the player; a WARN check (a suspect match) is one warning line, exit status unchanged."""
    world = bed.sim.world
    xuid = world.find_player(bed.gamertag)
    bad_outcome, glitched = bed.match_ids()[2:4]
    body = copy.deepcopy(world.matches[bad_outcome])
    _player_entry(body, xuid)["Outcome"] = 99
    _serve(bed, bad_outcome, body)
    body = copy.deepcopy(world.matches[glitched])
    _core(body, xuid)["Accuracy"] = 1e308
    _serve(bed, glitched, body)
    try:
        result = CliRunner().invoke(
            sync_command,
            ["--player", bed.gamertag, "--full", "--match-type", "all", "--max-matches", "50"],
        )
    finally:
        world.raw_matches.pop(bad_outcome, None)
        world.raw_matches.pop(glitched, None)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.output
    assert "outcome_codes_valid" in errors[0] and bed.gamertag in errors[0], errors[0]
    warnings = [line for line in result.output.splitlines() if "warning:" in line]
    assert len(warnings) == 1 and "no_suspect_matches" in warnings[0], result.output
    assert bed.gamertag in warnings[0]
