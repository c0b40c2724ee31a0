"""The real captured API responses, replayed by the simulator (--from-dir), sync end to end."""

from __future__ import annotations

import json
import shutil

import pytest

from levelup_pipeline.simulator.replay import load_replay_world
from levelup_pipeline.transform._common import parse_duration
from levelup_pipeline_tests.harness import isolated_pipeline

pytestmark = pytest.mark.e2e
CAPTURE_XUID = "2535445291321133"
CAPTURE_GAMERTAG = "CaptureHero"


@pytest.fixture
def replay_dir(halo_fixtures, tmp_path):
    """A --from-dir folder built at test time from ../shared (never copied into the repo)."""
    root = tmp_path / "replay"
    (root / "matches").mkdir(parents=True)
    (root / "skill").mkdir()
    for path in sorted(halo_fixtures.glob("get_match_stats*.json")):
        shutil.copy(path, root / "matches" / path.name)
    shutil.copy(halo_fixtures / "film" / "match_stats.json", root / "matches" / "film.json")
    skill = json.loads((halo_fixtures / "get_match_skill.json").read_text())
    ranked = json.loads((halo_fixtures / "get_match_stats.json").read_text())["MatchId"]
    (root / "skill" / f"{ranked}.json").write_text(json.dumps(skill))
    users = [{"xuid": CAPTURE_XUID, "gamertag": CAPTURE_GAMERTAG}]
    (root / "users.json").write_text(json.dumps(users))
    return root


def test_real_captures_sync_and_match_the_source(replay_dir, tmp_path):
    world = load_replay_world(replay_dir)
    with isolated_pipeline(tmp_path / "install", world=world) as pipeline:
        pipeline.add(CAPTURE_GAMERTAG)
        out = pipeline.sync(CAPTURE_GAMERTAG, "full_sync", match_type="all")
        assert out.success, out.error
        with pipeline.store(CAPTURE_GAMERTAG).reader() as conn:
            cur = conn.execute("SELECT * FROM match_stats")
            cols = [d[0] for d in cur.description]
            rows = {r[0]: dict(zip(cols, r, strict=True)) for r in cur.fetchall()}
            skill = conn.execute("SELECT match_id, team_mmr FROM player_match_stats").fetchall()
            unavailable = conn.execute("SELECT count(*) FROM unavailable_matches").fetchone()[0]
    assert set(rows) == set(world.matches)  # all 7 captures, customs included
    assert unavailable == 0
    for match_id, row in rows.items():
        body = world.matches[match_id]
        me = next(p for p in body["Players"] if p["PlayerId"] == f"xuid({CAPTURE_XUID})")
        core = me["PlayerTeamStats"][0]["Stats"]["CoreStats"]
        assert (row["kills"], row["deaths"], row["assists"]) == (
            core["Kills"],
            core["Deaths"],
            core["Assists"],
        )
        assert row["kda"] == pytest.approx(core["KDA"])  # the API's K + A/3 - D
        assert row["accuracy"] == pytest.approx(core["Accuracy"])
        assert row["outcome"] == me["Outcome"]
        assert row["time_played_seconds"] == pytest.approx(
            parse_duration(me["ParticipationInfo"]["TimePlayed"])
        )
    assert len(skill) == 1 and skill[0][1] == pytest.approx(1349.069330274021)
