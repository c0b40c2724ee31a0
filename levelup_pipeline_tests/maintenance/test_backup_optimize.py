"""`levelup db optimize`, `levelup db check`, `levelup backup` / `restore`, and a damaged
database met by every command: one sentence that points to restore or a full resync."""

from __future__ import annotations

import duckdb
import pytest
from click.testing import CliRunner

from levelup_pipeline.cli.main import cli
from levelup_pipeline.cli.maintenance_cmd import human_size
from levelup_pipeline.store.maintenance import list_backups, store_backups
from levelup_pipeline_tests.maintenance.helpers import fingerprints, seed_store

pytestmark = pytest.mark.e2e


def _schema(path) -> tuple:
    with duckdb.connect(str(path), read_only=True) as con:
        return (
            sorted(con.execute("SELECT index_name, sql FROM duckdb_indexes()").fetchall()),
            sorted(
                con.execute(
                    "SELECT table_name, constraint_type, constraint_text FROM duckdb_constraints()"
                ).fetchall()
            ),
            con.execute("SELECT value FROM sync_meta WHERE key = 'schema_version'").fetchall(),
        )


def _registered_seeded_player(pipeline, index: int = 0) -> tuple[str, list[str]]:
    """A registered player whose database holds the simulator's matches (no HTTP paging)."""
    gamertag = pipeline.gamertags()[index]
    pipeline.add(gamertag)
    return gamertag, seed_store(pipeline.store(gamertag), pipeline.sim.world, gamertag)


def test_optimize_compacts_and_changes_no_row(pipeline):
    gamertag, _ids = _registered_seeded_player(pipeline)
    store = pipeline.store(gamertag)
    with duckdb.connect(str(store.path)) as con:  # free blocks in the middle of the file
        con.execute(
            "CREATE TABLE waste AS SELECT range AS i, repeat('x', 64) AS s FROM range(300000)"
        )
        con.execute("CHECKPOINT")
        con.execute("CREATE TABLE tail AS SELECT 1 AS one")
        con.execute("CHECKPOINT")
        con.execute("DROP TABLE waste")
        con.execute("CHECKPOINT")
    before_rows, before_schema = fingerprints(store.path), _schema(store.path)
    size_before = store.path.stat().st_size

    result = CliRunner().invoke(cli, ["db", "optimize", "--player", gamertag])
    assert result.exit_code == 0, result.output
    size_after = store.path.stat().st_size
    assert size_after < size_before
    assert f"{human_size(size_before)} -> {human_size(size_after)}" in result.output
    assert "ANALYZE" in result.output and "CHECKPOINT" in result.output
    assert fingerprints(store.path) == before_rows
    assert _schema(store.path) == before_schema
    assert any(name == "match_stats_start_time" for name, _ in before_schema[0])
    with store.writer() as writer:  # still a healthy store
        assert writer.table_counts()["match_stats"] == before_rows["match_stats"][0]

    check = CliRunner().invoke(cli, ["db", "check", "--player", gamertag])
    assert check.exit_code == 0 and "database intact" in check.output, check.output


def _one_error_line(result, gamertag: str) -> str:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, result.output
    assert f"levelup restore --player {gamertag}" in errors[0], result.output
    assert f"levelup sync --full --player {gamertag}" in errors[0], result.output
    return errors[0]


def test_backup_damage_restore(pipeline):
    gamertag, ids = _registered_seeded_player(pipeline, 1)
    store = pipeline.store(gamertag)
    runner = CliRunner()

    result = runner.invoke(cli, ["backup", "--player", gamertag])
    assert result.exit_code == 0, result.output
    [backup_dir] = list_backups(store)
    assert backup_dir.parent == pipeline.data_dir / "backups" / gamertag
    assert f"{len(ids)} matches" in result.output and str(backup_dir) in result.output
    assert fingerprints(backup_dir / "stats.duckdb") == fingerprints(store.path)
    backed_up = fingerprints(store.path)

    damaged = b"not a duckdb file " * 4096
    store.path.write_bytes(damaged)
    commands = [
        ["stats", "--player", gamertag],
        ["sync", "--player", gamertag, "--match-type", "all"],
        ["db", "optimize", "--player", gamertag],
        ["db", "check", "--player", gamertag],
        ["backup", "--player", gamertag],
        ["archive", "--player", gamertag, "--older-than-days", "30"],
        ["players", "add", gamertag],
        ["players", "rename", gamertag, "Other Name"],
    ]
    for args in commands:
        _one_error_line(runner.invoke(cli, args), gamertag)

    result = runner.invoke(cli, ["restore", "--player", gamertag])
    assert result.exit_code == 0, result.output
    assert str(backup_dir) in result.output
    assert fingerprints(store.path) == backed_up
    [aside] = [p for p in store_backups(store).iterdir() if p.name.startswith("replaced-")]
    assert (aside / "stats.duckdb").read_bytes() == damaged  # the replaced file is kept
    assert list_backups(store) == [backup_dir]  # and is not taken for a backup

    check = runner.invoke(cli, ["db", "check", "--player", gamertag])
    assert check.exit_code == 0 and f"{len(ids)} matches" in check.output, check.output


def test_damage_inside_the_file_is_found_by_check_and_backup(pipeline):
    gamertag, _ids = _registered_seeded_player(pipeline, 2)
    store = pipeline.store(gamertag)
    data = bytearray(store.path.read_bytes())
    third = len(data) // 3
    data[third : 2 * third] = bytes(third)  # zeroed blocks: the header still opens
    store.path.write_bytes(bytes(data))
    runner = CliRunner()
    line = _one_error_line(runner.invoke(cli, ["db", "check", "--player", gamertag]), gamertag)
    assert "damaged" in line
    _one_error_line(runner.invoke(cli, ["backup", "--player", gamertag]), gamertag)
    assert list_backups(store) == []  # nothing half-copied is left behind


def test_restore_refuses_unusable_backups(pipeline, tmp_path):
    gamertag, _ids = _registered_seeded_player(pipeline)
    store = pipeline.store(gamertag)
    before = fingerprints(store.path)
    runner = CliRunner()

    none_yet = runner.invoke(cli, ["restore", "--player", gamertag])
    assert none_yet.exit_code == 1 and f"levelup backup --player {gamertag}" in none_yet.output

    garbage = tmp_path / "garbage.duckdb"
    garbage.write_bytes(b"\x00" * 10000)
    foreign = tmp_path / "foreign.duckdb"
    with duckdb.connect(str(foreign)) as con:
        con.execute("CREATE TABLE something (x INTEGER)")
    other_gamertag = pipeline.gamertags()[1]
    other = pipeline.store(other_gamertag)
    seed_store(other, pipeline.sim.world, other_gamertag)
    for source, message in [
        (garbage, "cannot be opened"),
        (foreign, "not a LevelUp player database"),
        (other.path, "belongs to XUID"),
        (tmp_path / "missing.duckdb", "No backup at"),
    ]:
        result = runner.invoke(cli, ["restore", "--player", gamertag, "--from", str(source)])
        assert result.exit_code == 1, result.output
        assert message in result.output and "Traceback" not in result.output
    assert fingerprints(store.path) == before
