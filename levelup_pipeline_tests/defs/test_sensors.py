"""Sensors: roster file -> partitions + first full sync; gaps -> fill_gaps.

Materializations are reported on a test instance the way the jobs record them (same asset
keys, partitions and metadata), so each tick's decisions are checked without running a sync.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from dagster import (
    AssetKey,
    AssetMaterialization,
    DagsterRunStatus,
    SensorResult,
    SkipReason,
    build_sensor_context,
)
from dagster._core.events import DagsterEvent, DagsterEventType, StepMaterializationData
from dagster._core.events.log import EventLogEntry
from dagster._core.test_utils import create_run_for_test, instance_for_test

from levelup_pipeline.defs import run_lock
from levelup_pipeline.defs.config import RosterError, read_roster
from levelup_pipeline.defs.partitions import register_player, registered_players
from levelup_pipeline.defs.resources import PlayerStoreResource
from levelup_pipeline.defs.sensors import gap_fill_sensor, roster_sensor


@pytest.fixture
def instance():
    with instance_for_test() as test_instance:
        yield test_instance


def _tick(sensor, instance, cursor=None, data_dir=None):
    resources = {"store": PlayerStoreResource(data_dir=str(data_dir))} if data_dir else None
    context = build_sensor_context(instance=instance, cursor=cursor, resources=resources)
    return sensor(context)


def _materialize(instance, key, gamertag, run_id=None, **metadata):
    """Record a materialization like a run does (runless when run_id is None); returns its
    storage id."""
    materialization = AssetMaterialization(asset_key=key, partition=gamertag, metadata=metadata)
    if run_id is None:
        instance.report_runless_asset_event(materialization)
    else:
        event = DagsterEvent(
            event_type_value=DagsterEventType.ASSET_MATERIALIZATION.value,
            job_name="delta_sync",
            event_specific_data=StepMaterializationData(materialization),
        )
        instance.store_event(
            EventLogEntry(
                error_info=None,
                level="debug",
                user_message="",
                run_id=run_id,
                timestamp=time.time(),
                dagster_event=event,
            )
        )
    return instance.fetch_materializations(AssetKey(key), limit=1).records[0].storage_id


# ---------------------------------------------------------------------------- roster
def test_roster_yaml_registers_new_players_and_requests_one_first_full_sync(tmp_path, instance):
    assert isinstance(_tick(roster_sensor, instance, data_dir=tmp_path), SkipReason)
    (tmp_path / "players.yaml").write_text(
        "players:\n"
        "  - Chief117\n"
        "  - gamertag: Arbiter Prime\n"
        "    match_type: all\n"
        "    max_matches: 300\n"
        "  - Chief117\n",
        encoding="utf-8",
    )
    register_player(instance, "Cortana")
    result = _tick(roster_sensor, instance, data_dir=tmp_path)
    assert isinstance(result, SensorResult)
    (add,) = result.dynamic_partitions_requests
    assert add.partitions_def_name == "players"
    assert list(add.partition_keys) == ["Chief117", "Arbiter Prime"]
    by_player = {r.partition_key: r for r in result.run_requests}
    assert set(by_player) == {"Chief117", "Arbiter Prime"}
    # The run fetches; the model, aggregates and report follow by automation.
    assert all(list(r.asset_selection) == [AssetKey("raw_match_json")] for r in by_player.values())
    chief = by_player["Chief117"]
    assert chief.job_name == "full_sync"
    assert chief.run_key == "first_full_sync:Chief117"
    raw = "raw_match_json"
    assert chief.run_config["ops"][raw]["config"] == {"mode": "full", "max_matches": 1000}
    arbiter = by_player["Arbiter Prime"]
    assert arbiter.run_config["ops"][raw]["config"] == {
        "mode": "full",
        "max_matches": 300,
        "match_type": "all",
    }

    # Once the daemon has applied the adds, the next tick has nothing to do.
    instance.add_dynamic_partitions("players", list(add.partition_keys))
    assert isinstance(_tick(roster_sensor, instance, data_dir=tmp_path), SkipReason)
    assert registered_players(instance) == ["Cortana", "Chief117", "Arbiter Prime"]


def test_each_tick_mirrors_the_registered_players_for_the_cli(tmp_path, instance):
    """`levelup sync` without --player reads the mirror: a player added or deleted in the UI
    reaches it at the next tick, roster file or not."""
    home = Path(instance.root_directory)
    register_player(instance, "Cortana")
    run_lock.mirror_players(["Cortana"], home)
    instance.add_dynamic_partitions("players", ["Added In UI"])  # the UI's "Add partition"
    assert run_lock.registered_players(home) == ["Cortana"]
    assert isinstance(_tick(roster_sensor, instance, data_dir=tmp_path), SkipReason)
    assert run_lock.registered_players(home) == ["Cortana", "Added In UI"]
    instance.delete_dynamic_partition("players", "Cortana")
    _tick(roster_sensor, instance, data_dir=tmp_path)
    assert run_lock.registered_players(home) == ["Added In UI"]


def test_roster_matches_players_case_insensitively(tmp_path, instance):
    """Gamertags are case-insensitive (issue 21 item 13): a roster spelling of a registered
    player, or two spellings of one player, never make a second partition."""
    (tmp_path / "players.yaml").write_text(
        "players:\n  - CHIEF117\n  - élodie\n  - ÉLODIE\n  - E\u0301lodie\n  - 李小龍\n",
        encoding="utf-8",
    )
    register_player(instance, "Chief117")
    result = _tick(roster_sensor, instance, data_dir=tmp_path)
    assert [r.partition_key for r in result.run_requests] == ["élodie", "李小龍"]
    instance.add_dynamic_partitions("players", ["élodie", "李小龍"])
    assert isinstance(_tick(roster_sensor, instance, data_dir=tmp_path), SkipReason)
    assert not register_player(instance, "CHIEF117")  # a case variant is the same partition
    assert registered_players(instance) == ["Chief117", "élodie", "李小龍"]


def test_roster_toml_and_bad_files(tmp_path, instance):
    (tmp_path / "players.toml").write_text('players = ["Chief117"]\n', encoding="utf-8")
    result = _tick(roster_sensor, instance, data_dir=tmp_path)
    assert [r.partition_key for r in result.run_requests] == ["Chief117"]

    table = tmp_path / "table.toml"
    table.write_text('[[players]]\ngamertag = "Arbiter"\nmax_matches = 50\n', encoding="utf-8")
    assert read_roster(table)[0].max_matches == 50
    for text, expected in (
        ("players: [\n", "could not be read"),
        ("players:\n  - gamertag: ../etc\n", "etc"),
        ("players:\n  - gamertag: Chief\n    max_matches: 0\n", "max_matches"),
        ("players:\n  - gamertag: Chief\n    colour: red\n", "unknown key"),
        ("players: Chief\n", "must be a list"),
    ):
        bad = tmp_path / "bad.yaml"
        bad.write_text(text, encoding="utf-8")
        with pytest.raises(RosterError, match=expected):
            read_roster(bad)
    # A broken roster makes the sensor skip with the sentence, not crash the daemon.
    (tmp_path / "players.toml").unlink()
    (tmp_path / "players.yaml").write_text("players: [\n", encoding="utf-8")
    skipped = _tick(roster_sensor, instance, data_dir=tmp_path)
    assert isinstance(skipped, SkipReason) and "fix the file" in skipped.skip_message


# ---------------------------------------------------------------------------- gaps
def test_gap_sensor_requests_one_gap_fill_per_player_with_gaps(instance):
    first = _tick(gap_fill_sensor, instance)
    assert not first.run_requests and first.skip_reason  # history before the sensor is ignored
    start = first.cursor
    _materialize(instance, "raw_match_json", "Chief117", skill_gaps=0, film_gaps=0)
    _materialize(instance, "raw_match_json", "Chief117", skill_gaps=2, film_gaps=0)
    last = _materialize(instance, "raw_match_json", "Chief117", skill_gaps=0, film_gaps=1)
    _materialize(instance, "raw_match_json", "Cortana", skill_gaps=0, film_gaps=0)
    result = _tick(gap_fill_sensor, instance, cursor=start)
    assert [r.partition_key for r in result.run_requests] == ["Chief117"]
    (request,) = result.run_requests
    assert request.run_key.startswith("gaps:Chief117:")
    assert request.run_config["ops"]["raw_match_json"]["config"] == {"mode": "fill_gaps"}
    assert list(request.asset_selection) == [AssetKey("raw_match_json")]
    assert int(result.cursor) > last
    # The cursor moved past those events: the next tick asks for nothing.
    again = _tick(gap_fill_sensor, instance, cursor=result.cursor)
    assert not again.run_requests


def test_gap_sensor_waits_for_the_sync_run_to_finish(instance):
    start = _tick(gap_fill_sensor, instance).cursor
    run = create_run_for_test(instance, job_name="delta_sync", status=DagsterRunStatus.STARTED)
    _materialize(instance, "raw_match_json", "Chief117", run_id=run.run_id, film_gaps=3)
    waiting = _tick(gap_fill_sensor, instance, cursor=start)
    assert not waiting.run_requests and waiting.cursor == start
    instance.report_run_failed(run)  # finished (how it ended does not matter)
    done = _tick(gap_fill_sensor, instance, cursor=start)
    assert [r.partition_key for r in done.run_requests] == ["Chief117"]
