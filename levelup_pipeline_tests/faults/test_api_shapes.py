"""API JSON that is not what the code was written for - unknown enum values and medal ids,
missing optional fields, extra fields, nulls, hostile strings: stored raw byte for byte,
transformed with NULLs, never a crash, every SQL statement parameterised."""

from __future__ import annotations

import copy
import json
import random
import uuid
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from levelup_pipeline.cli.runner import run_job
from levelup_pipeline.store import invariants
from levelup_pipeline.store.player_store import PlayerStore
from levelup_pipeline.store.raw_codec import decode_bytes
from levelup_pipeline.store.raw_writes import RawMatch
from levelup_pipeline.transform._common import normalize_xuid
from levelup_pipeline_tests.captures import MODE_STATS_CAPTURES
from levelup_pipeline_tests.faults.helpers import CORE_ASSETS, halo_config, integrity_problems
from levelup_pipeline_tests.harness import isolated_pipeline, sync_config

pytestmark = pytest.mark.faults

INJECTION = "x'; DROP TABLE match_stats; --"
UNICODE_NAME = "Ünïcødé 🎮 名前"
UNKNOWN_MEDAL = 4242424242


def _me(body: dict, xuid: int) -> dict:
    return next(p for p in body["Players"] if p["PlayerId"] == f"xuid({xuid})")


def _core(player: dict) -> dict:
    return player["PlayerTeamStats"][0]["Stats"]["CoreStats"]


def _serve(world, match_id: str, body: dict) -> dict:
    """Make the simulator answer `body` (as raw bytes) for this match's stats."""
    world.raw_matches[match_id] = json.dumps(body).encode()
    return body


def test_unusual_api_json_is_stored_raw_and_modelled_with_nulls(tmp_path: Path):
    with isolated_pipeline(tmp_path, seed=31, players=1, matches=8) as pipeline:
        world = pipeline.sim.world
        gamertag = pipeline.gamertags()[0]
        xuid = world.find_player(gamertag)
        ids = world.match_ids_of(xuid)
        served: dict[str, dict] = {}

        body = copy.deepcopy(world.matches[ids[0]])  # enum values from a future season
        body["MatchInfo"].update(GameVariantCategory=999, PlaylistExperience=77)
        _me(body, xuid)["PlayerType"] = 1
        served["enums"] = _serve(world, ids[0], body)

        body = copy.deepcopy(world.matches[ids[1]])  # a medal nobody has metadata for
        _core(_me(body, xuid)).setdefault("Medals", []).append(
            {"NameId": UNKNOWN_MEDAL, "Count": 2, "TotalPersonalScoreAwarded": 0}
        )
        served["medal"] = _serve(world, ids[1], body)

        body = copy.deepcopy(world.matches[ids[2]])  # optional fields missing
        for key in ("Playlist", "PlaylistMapModePair", "PlaylistExperience"):
            body["MatchInfo"].pop(key, None)
        _core(_me(body, xuid)).pop("Accuracy")
        for team in body.get("Teams", []):
            team.pop("Stats", None)
        served["missing"] = _serve(world, ids[2], body)

        body = copy.deepcopy(world.matches[ids[3]])  # fields the code has never seen
        body["FutureField"] = {"nested": [1, {"deeper": None}]}
        body["MatchInfo"]["NewThing"] = [1, 2, 3]
        _me(body, xuid)["Cosmetics"] = {"Armor": "Mark VII"}
        served["extra"] = _serve(world, ids[3], body)

        body = copy.deepcopy(world.matches[ids[4]])  # nulls where values used to be
        body["MatchInfo"]["MapVariant"] = None
        body["MatchInfo"]["Duration"] = None
        _me(body, xuid)["Rank"] = None
        _core(_me(body, xuid))["Kills"] = None
        served["nulls"] = _serve(world, ids[4], body)

        # Other players named with SQL and unicode: they come back through profiles and films.
        others = [
            int(p["PlayerId"][5:-1])
            for p in world.matches[ids[5]]["Players"]
            if p["PlayerId"].startswith("xuid(") and p["PlayerId"] != f"xuid({xuid})"
        ]
        world.gamertags[others[0]] = INJECTION
        world.gamertags[others[1]] = UNICODE_NAME

        outcome = run_job(
            pipeline.instance,
            "full_sync",
            gamertag,
            run_config={**halo_config(), **sync_config("full_sync", match_type="all")},
            asset_selection=CORE_ASSETS,
        )
        assert outcome.success, outcome.error
        store = pipeline.store(gamertag)
        assert not any(integrity_problems(store).values())
        with store.reader() as con:
            raw = {
                match_id: decode_bytes(frame).decode()
                for match_id, frame in con.execute(
                    "SELECT match_id, stats_json_zst FROM raw_match_json"
                ).fetchall()
            }
            rows = {
                r[0]: r[1:]
                for r in con.execute(
                    "SELECT match_id, game_variant_category, accuracy, playlist_id, map_id, kills,"
                    " rank, duration_seconds FROM match_stats"
                ).fetchall()
            }
            medal = con.execute(
                "SELECT name FROM medals WHERE match_id = ? AND name_id = ?",
                [ids[1], UNKNOWN_MEDAL],
            ).fetchall()
            aliases = {r[0] for r in con.execute("SELECT gamertag FROM xuid_aliases").fetchall()}
        assert set(rows) == set(ids), "every match is modelled, unusual or not"
        for match_id, body in zip(ids[:5], served.values(), strict=True):
            assert json.loads(raw[match_id]) == body, "the raw layer must keep the body verbatim"
        assert rows[ids[0]][0] == 999
        assert rows[ids[2]][1] is None and rows[ids[2]][2] is None  # accuracy, playlist
        assert rows[ids[4]][3:] == (None, None, None, None)  # map, kills, rank, duration
        assert medal == [(None,)]
        assert INJECTION in aliases and UNICODE_NAME in aliases


# --------------------------------------------------------------------- property test (store)
CAPTURES = MODE_STATS_CAPTURES
CAPTURE_PLAYER = "xuid(2535445291321133)"
ODD_VALUES: list[Any] = [None, 9999, -1, "", "ÜnknownValue", INJECTION, 1.5e300, [], {}, True]


def _paths(obj: Any, prefix: tuple = ()) -> list[tuple]:
    out = []
    items = (
        obj.items()
        if isinstance(obj, dict)
        else enumerate(obj[:3])
        if isinstance(obj, list)
        else []
    )
    for key, value in items:
        out.append((*prefix, key))
        out.extend(_paths(value, (*prefix, key)))
    return out


def _mutate(doc: dict, rng: random.Random, n: int) -> dict:
    """Drop keys, null or replace values (unknown enums, hostile strings), add extra keys."""
    doc = copy.deepcopy(doc)
    paths = [p for p in _paths(doc) if p[0] != "MatchId"]
    for path in rng.sample(paths, min(n, len(paths))):
        parent = doc
        try:
            for key in path[:-1]:
                parent = parent[key]
            op = rng.random()
            if isinstance(parent, dict) and op < 0.3:
                parent.pop(path[-1], None)
            elif isinstance(parent, dict) and op < 0.45:
                parent[f"Extra{rng.randrange(100)}"] = copy.deepcopy(rng.choice(ODD_VALUES))
            else:
                parent[path[-1]] = copy.deepcopy(rng.choice(ODD_VALUES))
        except (KeyError, IndexError, TypeError):
            continue
    return doc


@pytest.fixture(scope="module")
def shapes_store(tmp_path_factory: pytest.TempPathFactory) -> PlayerStore:
    return PlayerStore("Shape Tester", data_dir=tmp_path_factory.mktemp("shapes"))


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(capture=st.sampled_from(CAPTURES), seed=st.integers(0, 2**32), n=st.integers(1, 40))
def test_mutated_real_captures_are_stored_raw_and_never_crash_the_model(
    load_capture, shapes_store: PlayerStore, capture: str, seed: int, n: int
):
    body = _mutate(load_capture(capture), random.Random(seed), n)
    match_id = str(uuid.UUID(int=random.Random(seed).getrandbits(128)))
    body["MatchId"] = match_id
    with shapes_store.writer() as writer:
        writer.write_raw_matches([RawMatch(match_id=match_id, stats=body)])
        writer.transform_pending(normalize_xuid(CAPTURE_PLAYER))
        writer.refresh_aggregates()
        con = writer.connection
        stored = con.execute(
            "SELECT stats_json_zst FROM raw_match_json WHERE match_id = ?", [match_id]
        ).fetchall()
        assert json.loads(decode_bytes(stored[0][0])) == json.loads(json.dumps(body))
        modelled = con.execute(
            "SELECT count(*) FROM match_stats WHERE match_id = ?", [match_id]
        ).fetchall()[0][0]
        assert modelled <= 1
        assert invariants.duplicate_match_ids(con)[0] == 0
        assert invariants.aggregate_mismatches(con)[0] == 0
        assert (
            con.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_name = 'match_stats'"
            ).fetchall()[0][0]
            == 1
        )
