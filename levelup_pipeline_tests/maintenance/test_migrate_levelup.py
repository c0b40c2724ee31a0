"""`levelup migrate --from-levelup / --from-sqlite`: the original LevelUp's files (both layouts,
every defect of ../shared/legacy/LEVELUP_LAYOUTS.md) imported row for row, re-imported as a
no-op, dry-run counted, refused in one sentence; then a sync with gap filling completes them
until the database equals a fresh full sync of the same history."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner
from dagster import AssetKey

from levelup_pipeline.cli.main import cli
from levelup_pipeline.cli.runner import run_job
from levelup_pipeline.store import invariants
from levelup_pipeline_tests.harness import isolated_pipeline
from levelup_pipeline_tests.maintenance.helpers import build_workshop_sqlite, fingerprints
from levelup_pipeline_tests.maintenance.legacy_files import INT32, build_sqlite, build_v4

pytestmark = pytest.mark.e2e

#: Model tables and the columns the API supplies (session ids and performance scores are
#: computed here from the whole history: equal once the histories are).
COMPARED = {
    "match_stats": "*",
    "match_players": "*",
    "medals": "*",
    "personal_scores": "*",
    "player_match_stats": "*",
    "highlight_events": "*",
}


WORLD = {"seed": 19, "players": 2, "matches": 24}
REFERENCE = "reference.duckdb"


@pytest.fixture(scope="module")
def referenced_installation(tmp_path_factory) -> Path:
    """An installation whose first player is registered, fully synced with gap filling, that
    database copied aside as REFERENCE and the player's files removed (made once, copied)."""
    root = tmp_path_factory.mktemp("migrate_reference")
    with isolated_pipeline(root, **WORLD) as handle:
        _build_reference(handle, root, handle.gamertags()[0])
        handle.instance.dispose()  # SQLite files closed before they are copied
    return root


@pytest.fixture
def pipeline(referenced_installation: Path, tmp_path: Path):
    """A copy of `referenced_installation`, with a fresh simulator of the same world."""
    shutil.copytree(referenced_installation, tmp_path, dirs_exist_ok=True)
    with isolated_pipeline(tmp_path, **WORLD) as handle:
        yield handle


def _reference(pipeline, tmp_path: Path, gamertag: str) -> Path:
    """The fresh full sync with gap filling of `gamertag` (the first player) copied aside by
    `referenced_installation`; the player is registered and has no file."""
    assert gamertag == pipeline.gamertags()[0]
    assert not pipeline.store(gamertag).exists()
    return tmp_path / REFERENCE


def _build_reference(pipeline, root: Path, gamertag: str) -> Path:
    """A fresh full sync with gap filling, copied aside; the player's files then removed."""
    pipeline.add(gamertag)
    _sync_then_fill_gaps(pipeline, gamertag)
    store = pipeline.store(gamertag)
    reference = root / REFERENCE
    with duckdb.connect(str(store.path)) as con:
        con.execute("CHECKPOINT")
    shutil.copy2(store.path, reference)
    for path in store.path.parent.iterdir():
        if path.is_file():
            path.unlink()
    return reference


def _rows(path: Path, table: str, where: str = "") -> set[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return set(con.execute(f"SELECT * FROM {table} {where}").fetchall())


def _migrate(*args: str):
    return CliRunner().invoke(cli, ["migrate", *args])


def test_v4_file_imported_then_completed_to_a_fresh_sync(pipeline, tmp_path):
    gamertag = pipeline.gamertags()[0]
    world = pipeline.sim.world
    xuid = str(world.find_player(gamertag))
    reference = _reference(pipeline, tmp_path, gamertag)
    ids = sorted(r[0] for r in _rows(reference, "match_stats"))
    newest = {r[0] for r in _rows(reference, "match_stats", "ORDER BY start_time DESC LIMIT 4")}
    legacy_ids = [m for m in ids if m not in newest]  # the newest ones: only the API has them
    mate = next(iter(_rows(reference, "match_players", f"WHERE xuid <> '{xuid}' AND is_human")))
    old_alias = (mate[1], "OldName42")
    legacy = build_v4(tmp_path / "stats.duckdb", reference, legacy_ids, old_alias)
    store = pipeline.store(gamertag)

    # --dry-run: the counts, nothing written
    dry = _migrate(
        "--from-levelup", str(legacy), "--gamertag", gamertag, "--xuid", xuid, "--dry-run"
    )
    assert dry.exit_code == 0, dry.output
    n_events = len(_rows(reference, "highlight_events", f"WHERE match_id IN {tuple(legacy_ids)}"))
    medals = _rows(reference, "medals", f"WHERE match_id IN {tuple(legacy_ids)}")
    cut = sum(1 for m in medals if m[1] > INT32 and m[1] % 2 == 0)
    n = len(legacy_ids)
    assert f"match_stats -> imported_match_stats: {n} read, {n} would import" in dry.output
    assert (
        f"highlight_events -> imported_highlight_events: {n_events} read, {n_events} would import"
        in dry.output
    ), dry.output
    assert f"{cut} medal id cut at 32 bits" in dry.output
    assert "sessions: 1 row(s) not imported - derived" in dry.output
    assert "antagonists -> imported_aliases: 1 read, 0 would import" in dry.output
    assert "nothing was written (dry run)" in dry.output
    assert not store.exists()

    result = _migrate("--from-levelup", str(legacy), "--gamertag", gamertag)
    assert result.exit_code == 0, result.output
    assert f"XUID {xuid} (named by the file)" in result.output

    # row for row: what the file had, defects repaired or left NULL, never wrong
    where = f"WHERE match_id IN {tuple(legacy_ids)}"
    ref_events = _rows(reference, "highlight_events", where)
    assert _rows(store.path, "highlight_events") == ref_events  # control chars, xuid(...) cleaned
    valid = {(m[0], m[1], m[3]) for m in medals if m[1] <= INT32}
    assert {(m[0], m[1], m[3]) for m in _rows(store.path, "medals")} == valid
    with duckdb.connect(str(store.path), read_only=True) as con:
        got = con.execute(
            "SELECT match_id, kills, deaths, assists, outcome, team_id, start_time, map_name,"
            " playlist_name FROM match_stats ORDER BY 1"
        ).fetchall()
        skill = con.execute(
            "SELECT match_id, team_mmr, enemy_mmr, expected_kills FROM player_match_stats"
        ).fetchall()
        aliases = set(con.execute("SELECT xuid, gamertag, source FROM xuid_aliases").fetchall())
        kept = con.execute("SELECT count(*) FROM imported_personal_scores").fetchone()[0]
    with duckdb.connect(str(reference), read_only=True) as con:
        want = con.execute(
            "SELECT match_id, kills, deaths, assists, outcome, team_id, start_time, NULL, NULL"
            f" FROM match_stats {where} ORDER BY 1"
        ).fetchall()
        ref_skill = {
            r[0]: r for r in con.execute(
                "SELECT match_id, team_mmr, enemy_mmr, expected_kills FROM player_match_stats"
            ).fetchall()
        }  # fmt: skip
    assert got == want  # names NULL in the file stay NULL until the gap filling
    assert len(skill) == len([m for m in legacy_ids if m in ref_skill])
    for match_id, team_mmr, enemy_mmr, expected in skill:
        assert enemy_mmr is None  # NULL in the file: NULL here, never 0
        assert team_mmr == pytest.approx(ref_skill[match_id][1], rel=1e-6)
        assert expected == pytest.approx(ref_skill[match_id][3], rel=1e-6)
    assert (old_alias[0], "OldName42", "import") in aliases
    assert kept == 3
    with duckdb.connect(str(store.path), read_only=True) as con:
        assert invariants.orphan_matches(con)[0] == 0  # imported matches have their source

    # a second import changes nothing
    before = fingerprints(store.path)
    again = _migrate("--from-levelup", str(legacy), "--gamertag", gamertag)
    assert again.exit_code == 0, again.output
    assert f"{len(legacy_ids)} read, 0 imported, {len(legacy_ids)} kept" in again.output
    after = fingerprints(store.path)
    before.pop("sync_meta"), after.pop("sync_meta")
    assert after == before

    # films of two imported matches are no longer served: their imported events must stay
    gone = legacy_ids[:2]
    pipeline.sim.knobs.films_without_highlights = set(gone)
    pipeline.sim.reset_stats()
    run = _sync_then_fill_gaps(pipeline, gamertag)
    assert run.metadata["raw_match_json"]["gap_fill"]["matches"]["missing"] == len(legacy_ids)
    requests = pipeline.sim.stats()["requests"]
    assert requests["match_stats"] == len(ids)  # the new ones by the sync, the rest refetched
    for table in COMPARED:
        assert _rows(store.path, table) == _rows(reference, table), table
    ref_aliases = {(r[0], r[1]) for r in _rows(reference, "xuid_aliases")}
    got_aliases = {(r[0], r[1]) for r in _rows(store.path, "xuid_aliases")}
    assert ref_aliases <= got_aliases and (old_alias[0], "OldName42") in got_aliases
    assert _rows(store.path, "highlight_events", f"WHERE match_id IN {tuple(gone)}")

    # a rebuild from raw keeps the imported events of the matches whose film is gone
    from levelup_pipeline.store.player_store import PlayerStore

    with PlayerStore(gamertag, data_dir=pipeline.data_dir).writer() as writer:
        writer.transform_pending(xuid, rebuild=True)
    assert _rows(store.path, "highlight_events") == _rows(reference, "highlight_events")


def test_sqlite_layout_every_key_variant_and_encoding(pipeline, tmp_path):
    gamertag = pipeline.gamertags()[0]
    world = pipeline.sim.world
    xuid = str(world.find_player(gamertag))
    reference = _reference(pipeline, tmp_path, gamertag)
    ids = sorted(r[0] for r in _rows(reference, "match_stats"))[:9]
    fake = "00000000-0000-4000-8000-000000000019"  # a match the API never heard of
    extra = {fake: [{"EventType": "kill", "TimeMs": 1000, "Xuid": xuid, "Gamertag": gamertag}]}
    legacy = build_sqlite(tmp_path / "legacy.db", reference, ids, (xuid, gamertag), extra)
    raw_ids = ids[:2]  # Workshop's raw JSON of two of them in the same file: it wins
    build_workshop_sqlite(legacy, world, raw_ids)
    store = pipeline.store(gamertag)
    result = _migrate("--from-sqlite", str(legacy), "--gamertag", gamertag)
    assert result.exit_code == 0, result.output
    assert f"XUID {xuid} (named by the file)" in result.output
    assert "MatchCache -> imported_match_stats: 11 read, 9 imported" in result.output
    assert "2 skipped (2 no valid match id)" in result.output
    assert "1 unreadable events JSON" in result.output
    assert "Notes: 0 row(s) not imported" in result.output
    assert f"MatchStats (Workshop, raw API JSON): {len(raw_ids)} read, {len(raw_ids)} imported" in (
        result.output
    )
    where = f"WHERE match_id IN {tuple(ids)}"
    assert _rows(store.path, "highlight_events", where) == _rows(
        reference, "highlight_events", where
    )
    aliases = {(r[0], r[1]) for r in _rows(store.path, "xuid_aliases")}
    ref_aliases = {(r[0], r[1]) for r in _rows(reference, "xuid_aliases")}
    assert (xuid, gamertag) in aliases
    assert aliases - ref_aliases == set()  # every gamertag decoded to the real one
    with duckdb.connect(str(store.path), read_only=True) as con:
        named = con.execute(
            "SELECT match_id FROM match_stats WHERE duration_seconds IS NOT NULL"
        ).fetchall()
    assert sorted(r[0] for r in named) == sorted(raw_ids)  # modelled from raw, the rest imported
    # the fake match has events but no match row: nothing orphaned in the model
    assert not _rows(store.path, "highlight_events", f"WHERE match_id = '{fake}'")

    pipeline.sim.reset_stats()
    run = _sync_then_fill_gaps(pipeline, gamertag)
    assert run.metadata["raw_match_json"]["gap_fill"]["matches"]["absent"] == 1  # the fake one
    for table in COMPARED:
        assert _rows(store.path, table) == _rows(reference, table), table
    with duckdb.connect(str(store.path), read_only=True) as con:
        reason = con.execute(
            "SELECT reason FROM unavailable_matches WHERE match_id = ?", [fake]
        ).fetchall()
    assert reason  # asked once, remembered: never asked again
    pipeline.sim.reset_stats()
    _sync_then_fill_gaps(pipeline, gamertag)
    assert pipeline.sim.stats()["requests"]["match_stats"] == 0


def test_refusals_leave_the_player_untouched(pipeline, tmp_path):
    gamertag = pipeline.gamertags()[0]
    reference = _reference(pipeline, tmp_path, gamertag)
    ids = sorted(r[0] for r in _rows(reference, "match_stats"))[:4]
    good = build_v4(tmp_path / "good.duckdb", reference, ids, ("2533274800000001", "Someone"))
    store = pipeline.store(gamertag)
    assert _migrate("--from-levelup", str(good), "--gamertag", gamertag).exit_code == 0
    before = fingerprints(store.path)

    damaged = tmp_path / "damaged.duckdb"
    damaged.write_bytes(good.read_bytes()[:20000] + b"\0" * 100)
    unknown = tmp_path / "notes.txt"
    unknown.write_text("hello")
    ours = tmp_path / "ours.duckdb"
    shutil.copy2(reference, ours)
    empty_sqlite = tmp_path / "empty.db"
    import sqlite3

    sqlite3.connect(empty_sqlite).execute("CREATE TABLE Other (x)").connection.commit()
    folder = tmp_path / "install"
    folder.mkdir()
    (folder / "db_profiles.json").write_text("{not json")
    cases = [
        (["--from-levelup", str(damaged)], "is damaged and cannot be read"),
        (["--from-levelup", str(unknown)], "is neither a DuckDB nor a SQLite file"),
        (["--from-levelup", str(ours)], "is a database of this LevelUp"),
        (["--from-sqlite", str(empty_sqlite)], "not an OpenSpartan Workshop database"),
        (["--from-levelup", str(folder)], "is not a readable profile list"),
        (["--from-levelup", str(tmp_path / "none.duckdb")], "Nothing at"),
        (["--from-levelup", str(good), "--xuid", "2533274800000099"], "belongs to XUID"),
    ]
    for args, message in cases:
        result = _migrate(*args, "--gamertag", gamertag)
        assert result.exit_code == 1, (args, result.output)
        assert message in result.output and "Traceback" not in result.output, result.output
        assert len(result.output.strip().splitlines()[-1].split(". ")) <= 2, result.output
    # locked: the original still has the file open for writing
    holder = duckdb.connect(str(good))
    try:
        import subprocess
        import sys

        proc = subprocess.run(
            [sys.executable, "-m", "levelup_pipeline.cli.main", "migrate", "--from-levelup",
             str(good), "--gamertag", gamertag],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
    finally:
        holder.close()
    assert proc.returncode == 1 and "is locked by another program" in proc.stderr, proc.stderr
    assert fingerprints(store.path) == before


def test_install_folder_imports_every_profile(pipeline, tmp_path):
    first, second = pipeline.gamertags()[:2]
    world = pipeline.sim.world
    reference = _reference(pipeline, tmp_path, first)
    ids = sorted(r[0] for r in _rows(reference, "match_stats"))[:3]
    folder = tmp_path / "LevelUp"
    profiles = {}
    for gamertag in (first, second):
        db = folder / "data" / "players" / gamertag / "stats.duckdb"
        db.parent.mkdir(parents=True)
        build_v4(db, reference, ids, ("2533274800000001", "Someone"))
        profiles[gamertag] = {
            "db_path": f"data/players/{gamertag}/stats.duckdb",
            "xuid": str(world.find_player(first)),  # the same matches: the same owner
            "waypoint_player": gamertag,
        }
    (folder / "db_profiles.json").write_text(json.dumps({"profiles": profiles}))
    one = _migrate("--from-levelup", str(folder), "--gamertag", first.upper(), "--dry-run")
    assert one.exit_code == 0, one.output
    assert f"{first}: XUID" in one.output and f"{second}: XUID" not in one.output
    both = _migrate("--from-levelup", str(folder))
    assert both.exit_code == 0, both.output
    for gamertag in (first, second):
        assert len(_rows(pipeline.store(gamertag).path, "match_stats")) == len(ids)
    from levelup_pipeline.defs.partitions import registered_players

    assert {first, second} <= set(registered_players(pipeline.instance))
    records = pipeline.instance.fetch_materializations(AssetKey("highlight_events"), limit=20)
    imported = {
        r.asset_materialization.partition
        for r in records.records
        if "original LevelUp" in (r.asset_materialization.description or "")
    }
    assert imported == {first, second}  # the UI's history shows the import


def test_the_guides_forms(pipeline, tmp_path, monkeypatch):
    """migrate_all_to_duckdb.py --gamertag X (run in the original's folder), then
    sync.py --player X --stats (no sync), archive/backup with --gamertag."""
    gamertag = pipeline.gamertags()[0]
    reference = _reference(pipeline, tmp_path, gamertag)
    ids = sorted(r[0] for r in _rows(reference, "match_stats"))[:3]
    folder = tmp_path / "LevelUp"
    db = folder / "data" / "players" / gamertag / "stats.duckdb"
    db.parent.mkdir(parents=True)
    build_v4(db, reference, ids, ("2533274800000001", "Someone"))
    monkeypatch.chdir(folder)  # no db_profiles.json: the player's file under data/players/
    result = _migrate("--gamertag", gamertag)
    assert result.exit_code == 0, result.output
    monkeypatch.chdir(tmp_path)
    nowhere = _migrate("--gamertag", gamertag)
    assert nowhere.exit_code == 1 and "Nothing to import from" in nowhere.output

    pipeline.sim.reset_stats()
    runs_before = len(pipeline.instance.get_run_records())
    stats = CliRunner().invoke(cli, ["sync", "--player", gamertag, "--stats"])
    assert stats.exit_code == 0, stats.output
    assert f"Player {gamertag}:" in stats.output and "new match" not in stats.output
    assert not any(pipeline.sim.stats()["requests"].values())
    assert len(pipeline.instance.get_run_records()) == runs_before  # no sync run

    backup = CliRunner().invoke(cli, ["backup", "--gamertag", gamertag])
    assert backup.exit_code == 0, backup.output
    archive = CliRunner().invoke(
        cli, ["archive", "--gamertag", gamertag, "--older-than-days", "1", "--dry-run"]
    )
    assert archive.exit_code == 0, archive.output


def test_a_failure_midway_leaves_the_player_untouched(pipeline, tmp_path, monkeypatch):
    """Imported rows written, then the transform fails: the player's database is as before."""
    from levelup_pipeline.store.legacy_import import import_legacy
    from levelup_pipeline.store.writer import StoreWriter

    gamertag = pipeline.gamertags()[0]
    xuid = str(pipeline.sim.world.find_player(gamertag))
    reference = _reference(pipeline, tmp_path, gamertag)
    ids = sorted(r[0] for r in _rows(reference, "match_stats"))
    store = pipeline.store(gamertag)
    first = build_v4(tmp_path / "a.duckdb", reference, ids[:3], ("2533274800000001", "Someone"))
    import_legacy(store, first, xuid)
    before = fingerprints(store.path)
    second = build_v4(tmp_path / "b.duckdb", reference, ids[3:8], ("2533274800000002", "Other"))

    def broken(self, *args, **kwargs):
        raise RuntimeError("disk pulled out")

    monkeypatch.setattr(StoreWriter, "refresh_aggregates", broken)
    with pytest.raises(RuntimeError):
        import_legacy(store, second, xuid)
    assert fingerprints(store.path) == before
    assert not (store.path.parent / ".import-staging").exists()


def _sync_then_fill_gaps(pipeline, gamertag: str):
    """`levelup sync --full --match-type all --with-backfill`: the sync, then the fill_gaps
    run; returns the fill_gaps outcome."""
    sync = pipeline.sync(gamertag, "full_sync", match_type="all")
    assert sync.success, sync.error
    run = run_job(pipeline.instance, "fill_gaps", gamertag)
    assert run.success, run.error
    return run
