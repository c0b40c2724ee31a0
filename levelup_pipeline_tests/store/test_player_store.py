"""PlayerStore: migrations, locking, corruption, idempotent writes, transform and aggregates."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path

import duckdb
import filelock
import pytest

from levelup_pipeline.store import player_store as player_store_module
from levelup_pipeline.store.errors import (
    CorruptDatabase,
    InvalidGamertag,
    StoreBusy,
    StoreNotFound,
)
from levelup_pipeline.store.migrate import apply_migrations, current_version, latest_version
from levelup_pipeline.store.player_store import PlayerStore
from levelup_pipeline.store.raw_writes import RawMatch, RawParts
from levelup_pipeline_tests.captures import MATCH_STATS_CAPTURES
from levelup_pipeline_tests.store.conftest import PLAYER_XUID, T0, decode_json, synthetic_match

CAPTURES = MATCH_STATS_CAPTURES
DERIVED = (
    "match_stats",
    "match_players",
    "medals",
    "personal_scores",
    "player_match_stats",
    "highlight_events",
    "xuid_aliases",
)


def _real_raws(load_capture, halo_fixtures) -> list[RawMatch]:
    from spnkr.film import highlight_events

    film = [
        e._asdict()
        for e in highlight_events.read(
            (halo_fixtures / "film" / "highlight_events.gzip").read_bytes(), 41
        )
    ]
    raws = []
    for name in CAPTURES:
        stats = load_capture(name)
        raws.append(
            RawMatch(
                stats["MatchId"],
                stats,
                skill=load_capture("get_match_skill.json")
                if name == "get_match_stats.json"
                else None,
                highlights=film if name == "film/match_stats.json" else None,
                skill_status="ok",
                film_status="ok" if name == "film/match_stats.json" else "missing",
            )
        )
    return raws


def _dump(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple]:
    cols = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
    keep = ", ".join(c for c in cols if c not in ("transformed_at",))
    return sorted(con.execute(f"SELECT {keep} FROM {table}").fetchall(), key=repr)


def test_migrations_apply_once(store: PlayerStore) -> None:
    assert not store.exists()
    with store.writer() as w:
        assert w.get_meta("schema_version") == str(latest_version())
        con = w.connection
        assert current_version(con) == latest_version()
        assert apply_migrations(con) == []  # idempotent
        tables = set(w.table_counts())
    assert store.exists()
    assert {
        "raw_match_json",
        "match_stats",
        "sync_meta",
        "mv_global_stats",
        "xuid_aliases",
        "unavailable_matches",
        "ugc_assets",
        "medal_metadata",
    } <= tables
    with store.writer() as w:  # reopening does not re-apply
        assert w.get_meta("schema_version") == str(latest_version())


def test_meta_roundtrip(store: PlayerStore) -> None:
    with store.writer() as w:
        w.set_meta("cursor", "abc")
        w.set_meta("cursor", "def")
        assert w.get_meta("cursor") == "def" and w.get_meta("nope") is None


def test_reader_errors(store: PlayerStore) -> None:
    with pytest.raises(StoreNotFound), store.reader():
        pass
    with store.writer():
        pass
    with store.reader() as con:
        assert con.execute("SELECT count(*) FROM match_stats").fetchall() == [(0,)]
        with pytest.raises(duckdb.Error):
            con.execute("DELETE FROM match_stats")  # read-only


def test_busy_when_lock_held(store: PlayerStore) -> None:
    store.path.parent.mkdir(parents=True)
    other = filelock.FileLock(str(store.lock_path))
    with other:
        with pytest.raises(StoreBusy, match="Another LevelUp process"):
            with store.writer():
                pass
    with store.writer():
        pass


def test_busy_when_other_process_holds_lock(store: PlayerStore) -> None:
    store.path.parent.mkdir(parents=True)
    script = textwrap.dedent(f"""
        import sys, time, filelock
        with filelock.FileLock({str(store.lock_path)!r}):
            print("locked", flush=True)
            sys.stdin.readline()
    """)
    proc = subprocess.Popen(
        [sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout.readline().strip() == "locked"
        with pytest.raises(StoreBusy):
            with store.writer():
                pass
    finally:
        proc.communicate("\n", timeout=10)
    with store.writer():
        pass


@pytest.mark.parametrize("content", [b"garbage" * 1000, b"", b"DUCK" + b"\x00" * 10])
def test_corrupt_file(store: PlayerStore, content: bytes) -> None:
    store.path.parent.mkdir(parents=True)
    store.path.write_bytes(content)
    for open_it in (lambda: store.writer().__enter__(), lambda: store.reader().__enter__()):
        with pytest.raises(CorruptDatabase) as info:
            open_it()
        message = str(info.value)
        assert "levelup restore --player Test Player" in message
        assert "levelup sync --full --player Test Player" in message


def test_truncated_file(store: PlayerStore, load_capture, halo_fixtures) -> None:
    with store.writer() as w:
        w.write_raw_matches(_real_raws(load_capture, halo_fixtures))
        w.transform_pending(PLAYER_XUID)
    data = store.path.read_bytes()
    store.path.write_bytes(data[: len(data) // 3])
    with pytest.raises(CorruptDatabase):
        with store.writer() as w:
            w.transform_pending(PLAYER_XUID, rebuild=True)


def test_a_failed_size_check_closes_its_connection(
    store: PlayerStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The connection opened before the truncation check is closed when the check fails:
    left open, it would keep the file open read-only and refuse the writer below."""
    with store.writer():
        pass

    def failing(con: duckdb.DuckDBPyConnection, path: Path) -> int:
        raise duckdb.IOException("IO Error: could not read the header")

    monkeypatch.setattr(player_store_module, "_missing_bytes", failing)
    with pytest.raises(CorruptDatabase) as raised, store.reader():
        pass
    monkeypatch.undo()
    assert raised.value.__cause__ is not None  # the traceback (and its frames) kept alive
    with store.writer() as w:
        assert w.get_meta("schema_version")


def test_injection_gamertag_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidGamertag):
        PlayerStore("x'; DROP TABLE match_stats; --", data_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_sql_values_are_parameters(store: PlayerStore) -> None:
    evil = "x'); DROP TABLE match_stats; --"
    with store.writer() as w:
        w.set_meta(evil, evil)
        w.record_unavailable(evil, evil)
        assert w.get_meta(evil) == evil
        assert w.stored_match_ids() == set()
        assert "match_stats" in w.table_counts()


def test_real_captures_end_to_end(store: PlayerStore, load_capture, halo_fixtures) -> None:
    raws = _real_raws(load_capture, halo_fixtures)
    with store.writer() as w:
        assert w.write_raw_matches(raws) == len(raws)
        counts = w.transform_pending(f"xuid({PLAYER_XUID})")
        assert counts["match_stats"] == len(CAPTURES) and counts["skipped_matches"] == 0
        assert counts["player_match_stats"] == 1 and counts["highlight_events"] > 0
        assert counts["xuid_aliases"] >= 1
        first = {t: _dump(w.connection, t) for t in DERIVED}
        # again: nothing pending, nothing duplicated
        assert w.transform_pending(PLAYER_XUID)["match_stats"] == 0
        w.write_raw_matches(raws)  # re-fetch of the same matches
        w.transform_pending(PLAYER_XUID)
        assert {t: _dump(w.connection, t) for t in DERIVED} == first
        assert w.stored_match_ids() == {r.match_id for r in raws}

        # names arrive later: stored raw, then put on the matches by the model step (in SQL,
        # mode category and is_ranked refined); the raw step writes no model table
        modelled = {t: _dump(w.connection, t) for t in DERIVED}
        assets = [
            load_capture(n)
            for n in (
                "get_map.json",
                "get_playlist.json",
                "get_ugc_game_variant.json",
                "get_map_mode_pair.json",
            )
        ]
        assert w.write_ugc_assets(assets) == 4
        w.write_ugc_assets(assets)
        assert w.write_medal_metadata(load_capture("get_medal_metadata.json")) > 100
        assert w.write_profiles(load_capture("get_users.json")) == 1
        con = w.connection
        assert {t: _dump(con, t) for t in DERIVED} == modelled
        w.transform_pending(PLAYER_XUID)
        names = con.execute(
            "SELECT count(*) FROM match_stats WHERE playlist_name = 'Ranked Arena' AND is_ranked"
        ).fetchall()[0][0]
        assert names >= 3
        assert con.execute("SELECT count(*) FROM medals WHERE name IS NULL").fetchall()[0][0] == 0
        aliases = "SELECT source, first_seen FROM xuid_aliases WHERE gamertag = 'GAMERTAG'"
        ((source, seen),) = con.execute(aliases).fetchall()
        assert source == "profile"
        w.write_profiles(load_capture("get_users.json"), seen + timedelta(days=1))
        w.transform_pending(PLAYER_XUID)
        assert con.execute(aliases).fetchall() == [("profile", seen)]  # last_seen widened
        assert con.execute(
            "SELECT last_seen - first_seen FROM xuid_aliases WHERE gamertag = 'GAMERTAG'"
        ).fetchall() == [(timedelta(days=1),)]
        incremental = {t: _dump(con, t) for t in DERIVED}
        w.transform_pending(PLAYER_XUID, rebuild=True)
        assert {t: _dump(con, t) for t in DERIVED} == incremental
        counts = w.table_counts()
        assert counts["raw_ugc_json"] == 4 and counts["ugc_assets"] == 4


def test_reference_batches_with_nothing_usable_write_nothing(store: PlayerStore) -> None:
    """An answer with no usable asset or medal is a no-op, not an error."""
    with store.writer() as w:
        assert w.write_ugc_assets([], "maps") == 0
        assert w.write_ugc_assets([{"PublicName": "no AssetId"}], "maps") == 0
        assert w.write_medal_metadata({}) == 0
        assert w.table_counts()["ugc_assets"] == w.table_counts()["medal_metadata"] == 0


def test_raw_upsert_keeps_skill_and_film(store: PlayerStore) -> None:
    stats = synthetic_match("m1", T0)
    with store.writer() as w:
        w.write_raw_matches([RawMatch("m1", stats, {"Value": []}, [{"xuid": 1}], "ok", "ok")])
        w.write_raw_matches([RawMatch("m1", stats, None, None, "failed", "failed")])
        row = w.connection.execute(
            "SELECT skill_json_zst, highlights_json_zst, skill_status, film_status"
            " FROM raw_match_json"
        ).fetchall()[0]
        assert decode_json(row[0]) == {"Value": []} and row[2:] == ("ok", "ok")
        assert decode_json(row[1]) == [{"xuid": 1}]
        assert w.table_counts()["raw_match_json"] == 1


def test_backfill_retransforms(store: PlayerStore, load_capture) -> None:
    stats = load_capture("get_match_stats.json")
    with store.writer() as w:
        w.write_raw_matches([RawMatch(stats["MatchId"], stats, None, None, "failed", None)])
        w.transform_pending(PLAYER_XUID)
        assert w.table_counts()["player_match_stats"] == 0
        updated = w.update_raw_parts(
            [
                RawParts(
                    stats["MatchId"], skill=load_capture("get_match_skill.json"), skill_status="ok"
                ),
                RawParts("unknown-match", skill_status="ok"),
            ]
        )
        assert updated == 1
        counts = w.transform_pending(PLAYER_XUID)
        assert counts["player_match_stats"] == 1 and counts["match_stats"] == 1
        assert w.table_counts()["match_stats"] == 1
        status = w.connection.execute("SELECT skill_status FROM raw_match_json").fetchall()
        assert status == [("ok",)]


def _raw_blocks(con: duckdb.DuckDBPyConnection) -> list[int]:
    return sorted(
        r[0]
        for r in con.execute(
            "SELECT DISTINCT block_id FROM pragma_storage_info('raw_match_json')"
            " WHERE block_id IS NOT NULL"
        ).fetchall()
    )


def test_transform_leaves_the_raw_table_alone(store: PlayerStore) -> None:
    """Marking matches transformed writes transformed_matches, never raw_match_json: an
    update there made the next checkpoint rewrite every raw block (migration 005)."""
    raws = [RawMatch(f"m{i}", synthetic_match(f"m{i}", T0 + timedelta(hours=i))) for i in range(3)]
    with store.writer() as w:
        w.write_raw_matches(raws)
        con = w.connection
        con.execute("CHECKPOINT")
        before = _raw_blocks(con)
        assert before  # on disk, so a rewrite would change the block ids
        assert w.transform_pending(PLAYER_XUID)["match_stats"] == 3
        con.execute("CHECKPOINT")
        assert _raw_blocks(con) == before
        assert con.execute("SELECT count(*) FROM pending_matches").fetchall() == [(0,)]
        w.write_raw_matches(raws[1:2])  # a re-fetch is transformed again, alone
        assert con.execute("SELECT match_id FROM pending_matches").fetchall() == [("m1",)]
        assert w.transform_pending(PLAYER_XUID)["match_stats"] == 1
        assert w.table_counts()["match_stats"] == 3


def test_unavailable_and_skipped(store: PlayerStore) -> None:
    with store.writer() as w:
        w.record_unavailable("gone", "404")
        w.record_unavailable("gone", "410")
        assert w.unavailable_match_ids() == {"gone"}
        other = synthetic_match("m-other", T0)
        other["Players"][0]["PlayerId"] = "xuid(42)"
        w.write_raw_matches([RawMatch("m-other", other)])
        counts = w.transform_pending(PLAYER_XUID)
        assert counts["skipped_matches"] == 1 and counts["match_stats"] == 0
        assert w.transform_pending(PLAYER_XUID)["skipped_matches"] == 0  # not retried
        assert w.connection.execute("SELECT reason FROM unavailable_matches").fetchall() == [
            ("410",)
        ]


def test_aggregates_equal_recounts(store: PlayerStore) -> None:
    raws = []
    for i in range(30):
        stats = synthetic_match(
            f"m{i:02d}",
            T0 + timedelta(minutes=20 * i + (600 if i >= 15 else 0)),
            kills=i % 7,
            deaths=(i * 3) % 5,
            outcome=(2, 3, 1, 4)[i % 4],
            map_id=("map-a", "map-b", "map-c")[i % 3],
            category=(6, 15)[i % 2],
        )
        raws.append(RawMatch(stats["MatchId"], stats))
    with store.writer() as w:
        w.write_raw_matches(raws)
        w.transform_pending(PLAYER_XUID)
        w.set_meta("last_sync_time", "2025-01-02T00:00:00+00:00")  # as the engine writes it
        counts = w.refresh_aggregates()
        assert counts == {
            "mv_map_stats": 3,
            "mv_mode_category_stats": 2,
            "mv_session_stats": 2,
            "mv_global_stats": 1,
        }
        con = w.connection

        def one(sql: str):
            return con.execute(sql).fetchall()[0]

        for table in ("mv_map_stats", "mv_mode_category_stats", "mv_session_stats"):
            assert one(
                f"SELECT sum(matches), sum(wins), sum(kills), sum(deaths) FROM {table}"
            ) == one(
                "SELECT count(*), count(*) FILTER (WHERE outcome = 2), sum(kills),"
                " sum(deaths) FROM match_stats"
            )
        g = one(
            "SELECT matches, wins, losses, ties, kills, deaths, kd, hours_played, sessions,"
            " last_sync IS NOT NULL FROM mv_global_stats"
        )
        k = sum(i % 7 for i in range(30))
        d = sum((i * 3) % 5 for i in range(30))
        assert g[:6] == (30, 8, 8, 7, k, d)
        assert g[6] == pytest.approx(k / d) and g[7] == pytest.approx(30 * 10 / 60)
        assert g[8:] == (2, True)
        assert one("SELECT matches FROM mv_session_stats WHERE session_id = 1") == (15,)
        # a shorter gap splits every match into its own session, and is remembered
        w.refresh_aggregates(session_gap_minutes=5)
        assert w.get_meta("session_gap_minutes") == "5"
        assert one("SELECT count(*) FROM mv_session_stats") == (30,)
