"""Gamertag renames: the sync notices the new name (alias + hint), `levelup players rename`
moves the folder and the partition, and the renamed player keeps syncing without refetch."""

from __future__ import annotations

import threading
import time

import pytest
from click.testing import CliRunner

from levelup_pipeline.cli.main import cli
from levelup_pipeline.defs.partitions import registered_players
from levelup_pipeline.ingest.player import RENAMED_TO_KEY
from levelup_pipeline.simulator.world import SimPlayer
from levelup_pipeline_tests.maintenance.helpers import fingerprints, seed_store

pytestmark = pytest.mark.e2e

NEW_NAME = "Freshly Renamed"


def _rename_in_world(world, old: str, new: str) -> int:
    """What Xbox does: the XUID stays, the profile answers with the new gamertag."""
    xuid = world.find_player(old)
    with world.lock:
        world.players = [SimPlayer(new, xuid) if p.xuid == xuid else p for p in world.players]
        world.gamertags[xuid] = new
    return xuid


def _messages(pipeline, run_id: str) -> list[str]:
    return [entry.user_message for entry in pipeline.instance.all_logs(run_id)]


def test_rename_is_detected_then_applied(pipeline):
    old = pipeline.gamertags()[1]
    pipeline.add(old)
    store = pipeline.store(old)
    ids = seed_store(store, pipeline.sim.world, old)
    xuid = _rename_in_world(pipeline.sim.world, old, NEW_NAME)

    pipeline.sim.reset_stats()
    detected = pipeline.sync(old, "delta_sync", match_type="all")
    assert detected.success, detected.error
    assert pipeline.sim.stats()["requests"]["match_stats"] == 0
    hint = f"levelup players rename {old} {NEW_NAME}"
    assert any(hint in m for m in _messages(pipeline, detected.run_id))
    with store.reader() as con:
        aliases = con.execute(
            "SELECT gamertag, source FROM xuid_aliases WHERE xuid = ?", [str(xuid)]
        ).fetchall()
        renamed_to = con.execute(
            "SELECT value FROM sync_meta WHERE key = ?", [RENAMED_TO_KEY]
        ).fetchone()[0]
    assert (NEW_NAME, "profile") in aliases
    assert renamed_to == NEW_NAME

    taken = pipeline.data_dir / "players" / "Someone Else"
    taken.mkdir(parents=True)
    refused = CliRunner().invoke(cli, ["players", "rename", old, "Someone Else"])
    assert refused.exit_code == 1 and "already has a folder" in refused.output, refused.output
    assert store.exists() and old in registered_players(pipeline.instance)
    assert "Someone Else" not in registered_players(pipeline.instance)

    before = fingerprints(store.path)
    result = CliRunner().invoke(cli, ["players", "rename", old, NEW_NAME])
    assert result.exit_code == 0, result.output
    moved = pipeline.store(NEW_NAME)
    assert not store.path.parent.exists() and moved.path.parent.name == NEW_NAME
    players = registered_players(pipeline.instance)
    assert NEW_NAME in players and old not in players
    after = fingerprints(moved.path)
    assert {t: v for t, v in after.items() if t != "sync_meta"} == {
        t: v for t, v in before.items() if t != "sync_meta"
    }

    pipeline.sim.reset_stats()
    synced = pipeline.sync(NEW_NAME, "delta_sync", match_type="all")
    assert synced.success, synced.error
    assert pipeline.sim.stats()["requests"]["match_stats"] == 0
    assert not any("levelup players rename" in m for m in _messages(pipeline, synced.run_id))
    with moved.reader() as con:
        meta = dict(con.execute("SELECT key, value FROM sync_meta").fetchall())
        count = con.execute("SELECT count(*) FROM match_stats").fetchone()[0]
    assert meta["player_gamertag"] == NEW_NAME and meta[RENAMED_TO_KEY] is None
    assert meta["player_xuid"] == str(xuid) and count == len(ids)


def test_rename_refusals_are_one_line(pipeline):
    first, second = pipeline.gamertags()[:2]
    pipeline.add(first)
    pipeline.add(second)
    runner = CliRunner()
    for args, message in [
        (["players", "rename", first, second], "already registered"),
        (["players", "rename", "Ghost Player", "Whoever"], "no folder"),
        (["players", "rename", first, "../etc"], "Invalid gamertag"),
        (["players", "rename", first, first], "already has that name"),
    ]:
        result = runner.invoke(cli, args)
        assert result.exit_code == 1, result.output
        assert message in result.output and "Traceback" not in result.output, result.output
    assert "Whoever" not in registered_players(pipeline.instance)
    assert pipeline.store(first).exists() and pipeline.store(second).exists()


def _run_holding(gamertag: str, release: threading.Event) -> list[float]:
    """A run of the player in progress (another thread holds its run lock, as every run's
    executor does) until `release` is set; returns where the release time is appended."""
    from levelup_pipeline.defs.run_lock import player_run_lock

    held, released_at = threading.Event(), []

    def run() -> None:
        with player_run_lock(gamertag):
            held.set()
            release.wait(60)
            released_at.append(time.monotonic())

    threading.Thread(target=run).start()
    assert held.wait(10)
    return released_at


def test_rename_waits_for_a_running_sync_then_refuses_in_one_sentence(pipeline, monkeypatch):
    """Issue 21 item 8: a rename during a sync moved the folder between two steps of the run.
    It now takes the run guard the syncs take: it waits for the run, or says why it did not
    rename anything."""
    from levelup_pipeline.cli import players_cmd

    old = pipeline.gamertags()[1]
    pipeline.add(old)
    store = pipeline.store(old)
    release = threading.Event()
    finished_at = _run_holding(old.upper(), release)  # any spelling of the player
    monkeypatch.setattr(players_cmd, "RENAME_WAIT_SECONDS", 0.8, raising=False)
    refused = CliRunner().invoke(cli, ["players", "rename", old, NEW_NAME])
    assert refused.exit_code == 1, refused.output
    assert (
        f"Error: A sync of {old} is still running after 0.8 s; nothing was renamed: retry when "
        "it has finished." in refused.output
    ), refused.output
    assert store.exists() and registered_players(pipeline.instance) == [old]

    monkeypatch.setattr(players_cmd, "RENAME_WAIT_SECONDS", 60)
    threading.Timer(1.5, release.set).start()
    waited = CliRunner().invoke(cli, ["players", "rename", old, NEW_NAME])
    assert waited.exit_code == 0, waited.output
    assert "the rename waits for it" in waited.output
    assert finished_at and time.monotonic() > finished_at[0]
    assert pipeline.store(NEW_NAME).exists() and not store.path.parent.exists()
    assert registered_players(pipeline.instance) == [NEW_NAME]


def test_case_only_rename_keeps_one_partition(pipeline):
    old = pipeline.gamertags()[1]
    pipeline.add(old)
    result = CliRunner().invoke(cli, ["players", "rename", old.lower(), old.upper()])
    assert result.exit_code == 0, result.output
    assert registered_players(pipeline.instance) == [old.upper()]
    assert pipeline.store(old.upper()).path.parent.name == old.upper()
