"""Who a player is (issue 21 items 12-14): a mistyped gamertag leaves nothing behind, the case
variants of a gamertag are one player, and non-ASCII gamertags and 16-digit XUIDs work."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from click.testing import CliRunner

from levelup_pipeline.cli.main import cli
from levelup_pipeline.defs.partitions import register_player, registered_players
from levelup_pipeline.defs.run_lock import ROSTER_FILE, PlayerBusy, player_run_lock
from levelup_pipeline.simulator.world import SimPlayer
from levelup_pipeline.store.player_store import PlayerStore
from levelup_pipeline_tests.faults.helpers import one_line_error
from levelup_pipeline_tests.harness import isolated_pipeline

pytestmark = pytest.mark.faults

TYPO = "NoSuchPlayer2"
SYNC_ALL = ["sync", "--delta", "--match-type", "all"]


@pytest.fixture
def tiny(tmp_path: Path):
    """A fresh installation (its own partitions) on a small world: 3 players, ~6 matches."""
    with isolated_pipeline(tmp_path, seed=5, players=3, matches=6) as pipeline:
        yield pipeline


def _files(root: Path) -> set[Path]:
    return set(root.rglob("*")) if root.exists() else set()


def _invoke(*args: str):
    return CliRunner().invoke(cli, list(args))


def _match_count(store: PlayerStore) -> int:
    with store.reader() as con:
        return con.execute("SELECT count(*) FROM match_stats").fetchone()[0]


# ------------------------------------------------------------------------------- item 12
def test_a_mistyped_player_is_refused_before_anything_is_created(tiny):
    before = _files(tiny.data_dir)
    for args in (["sync", "--player", TYPO], ["players", "add", TYPO]):
        result = _invoke(*args)
        assert result.exit_code == 1, result.output
        line = one_line_error(result.output)
        assert f"Player '{TYPO}' was not found by the Halo profile service" in line, line
    assert _files(tiny.data_dir) == before, "a mistyped player created a file"
    assert registered_players(tiny.instance) == []
    assert tiny.instance.get_runs() == []


def test_a_bad_registration_of_an_older_version_does_not_fail_every_delta(tiny):
    """What older versions left after a typo: a partition and an empty database. Every later
    `levelup sync --delta` exited 1; now the player is skipped with one line and the other
    players sync."""
    real = tiny.gamertags()[0]
    tiny.add(real)
    assert tiny.sync(real, "full_sync", match_type="all").success
    register_player(tiny.instance, TYPO)
    with tiny.store(TYPO).writer():
        pass
    (tiny.root / "dagster_home" / ROSTER_FILE).unlink()  # older versions kept no mirror
    tiny.sim.add_matches(1, real)  # something new for the real player
    result = _invoke(*SYNC_ALL)
    assert result.exit_code == 0, result.output
    assert (
        f"{TYPO}: skipped - no Xbox player is called {TYPO} and nothing was ever synced for it"
        in result.output
    )
    assert f"levelup players remove {TYPO}" in result.output
    assert f"{real}: " in result.output and "FAILED" not in result.output
    assert "Traceback" not in result.output


# ------------------------------------------------------------------------------- item 13
def test_case_variants_of_a_gamertag_are_one_player(tiny):
    gamertag = tiny.gamertags()[0]
    for spelling in (gamertag.upper(), gamertag.swapcase()):
        result = _invoke("sync", "--full", "--match-type", "all", "--player", spelling)
        assert result.exit_code == 0, result.output
    assert registered_players(tiny.instance) == [gamertag]  # the profile service's spelling
    assert [p.name for p in (tiny.data_dir / "players").iterdir()] == [gamertag]
    runs = tiny.instance.get_runs()
    assert runs and {r.tags["dagster/partition"] for r in runs} == {gamertag}
    xuid = tiny.sim.world.find_player(gamertag)
    assert _match_count(tiny.store(gamertag)) == len(tiny.sim.world.match_ids_of(xuid))


def test_variants_registered_by_older_versions_sync_once_and_wait_for_each_other(tiny):
    gamertag = tiny.gamertags()[0]
    tiny.add(gamertag)
    tiny.instance.add_dynamic_partitions("players", [gamertag.upper()])  # an older version's
    assert not register_player(tiny.instance, gamertag.lower())
    result = _invoke(*SYNC_ALL)
    assert result.exit_code == 0, result.output
    assert len([r for r in tiny.instance.get_runs() if r.job_name == "delta_sync"]) == 1

    # A run of one spelling is going: a run of another spelling waits for it.
    with player_run_lock(gamertag.upper()):
        with pytest.raises(PlayerBusy):
            with player_run_lock(gamertag.lower(), timeout=0.6):
                pass


# ------------------------------------------------------------------------------- item 14
ACCENTED = "Élodie Dupré"
CJK = "李小龍"


def _rename_in_world(world, index: int, gamertag: str) -> int:
    player = world.players[index]
    with world.lock:
        world.players[index] = SimPlayer(gamertag, player.xuid)
        world.gamertags[player.xuid] = gamertag
    return player.xuid


def test_non_ascii_gamertags_and_16_digit_xuids(tiny):
    accented_xuid = _rename_in_world(tiny.sim.world, 1, ACCENTED)
    cjk_xuid = _rename_in_world(tiny.sim.world, 2, CJK)

    added = _invoke("players", "add", str(accented_xuid))  # refused by a 15-character rule
    assert added.exit_code == 0, added.output
    assert f"{ACCENTED} (xuid {accented_xuid}) registered" in added.output
    decomposed = unicodedata.normalize("NFD", ACCENTED.lower())  # as some keyboards type it
    synced = _invoke("sync", "--full", "--match-type", "all", "--player", decomposed)
    assert synced.exit_code == 0, synced.output
    by_xuid = _invoke("sync", "--full", "--match-type", "all", "--player", f"xuid({cjk_xuid})")
    assert by_xuid.exit_code == 0, by_xuid.output

    assert registered_players(tiny.instance) == [ACCENTED, CJK]
    folders = sorted(p.name for p in (tiny.data_dir / "players").iterdir())
    assert folders == sorted([ACCENTED, CJK])
    for gamertag, xuid in ((ACCENTED, accented_xuid), (CJK, cjk_xuid)):
        expected = len(tiny.sim.world.match_ids_of(xuid))
        assert expected and _match_count(tiny.store(gamertag)) == expected
    stats = _invoke("stats", "--player", CJK)
    assert stats.exit_code == 0 and CJK in stats.output, stats.output
