"""The player report: data read from the aggregates, pure plots and summary, the asset."""

from __future__ import annotations

import base64
import pickle
import struct
import subprocess
import sys
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from dagster import Failure, build_asset_context, instance_for_test

from levelup_pipeline.cli.runner import run_job
from levelup_pipeline.defs.assets_report import player_report
from levelup_pipeline.defs.resources import PlayerStoreResource
from levelup_pipeline.report.build import (
    PLOTS,
    ReportData,
    load_report_data,
    status_line,
    summary_markdown,
    summary_rows,
    update_report,
)
from levelup_pipeline.report.serve import report_file_url, serve_reports
from levelup_pipeline.store.player_store import PlayerStore

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the PNG's IHDR chunk."""
    assert data[:8] == PNG_SIGNATURE
    return struct.unpack(">II", data[16:24])


def sample_data(n: int = 30) -> ReportData:
    start = datetime(2025, 3, 1, 18, tzinfo=UTC)
    return ReportData(
        totals={
            "matches": n,
            "wins": 16,
            "losses": 12,
            "ties": 1,
            "left_early": 1,
            "win_rate": 16 / n,
            "kd": 1.25,
            "avg_kda": 3.5,
            "accuracy": 48.2,
            "avg_performance_score": 51.0,
            "hours_played": 5.5,
            "sessions": 4,
            "first_match": start,
            "last_match": start + timedelta(days=9),
            "last_sync": "2025-03-10T12:00:00+00:00",
        },
        performance=pd.DataFrame(
            {
                "start_time": [start + timedelta(hours=i) for i in range(n)],
                "performance_score": [float(i * 37 % 100) for i in range(n)],
            }
        ),
        maps=pd.DataFrame(
            [(f"Map {i}", 20 - i, 0.5 + i / 10, 0.5) for i in range(20)],
            columns=["name", "matches", "kd", "win_rate"],
        ),
        modes=modes([("Slayer", 10, 6, 0.6), ("CTF", 5, 1, 0.2)]),
        sessions=pd.DataFrame(
            [(i, start + timedelta(days=i), 3, 1, 1.1) for i in range(1, 5)],
            columns=["session_id", "start_time", "matches", "wins", "kd"],
        ),
    )


def modes(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["category", "matches", "wins", "win_rate"])


def test_summary_shows_the_totals_it_is_given():
    data = sample_data()
    rows = dict(summary_rows(data.totals))
    assert rows["Matches"] == "30"
    assert rows["Win rate"] == f"{100 * 16 / 30:.1f} %"
    assert rows["K/D"] == "1.25"
    assert rows["Accuracy"] == "48.2 %"
    assert rows["Hours played"] == "5.5"
    assert rows["Last sync"] == "2025-03-10 12:00 UTC"
    text = summary_markdown("Some Player", data.totals)
    assert text.startswith("### Some Player")
    assert len(text) < 1000, "the Dagster UI renders markdown inline only under 1000 characters"


def test_summary_of_a_player_without_matches():
    rows = dict(summary_rows({"matches": 0, "last_sync": None}))
    assert rows["Matches"] == "0"
    assert rows["Win rate"] == "-"
    assert rows["Last sync"] == "never"


def test_every_plot_is_a_png_and_rendering_is_deterministic(tmp_path):
    data = sample_data()
    first, _ = update_report("Some Player", data, tmp_path / "one")
    second, _ = update_report("Some Player", data, tmp_path / "two")
    assert set(first.images) == set(first.rendered) == set(PLOTS)
    for name, image in first.images.items():
        width, height = png_size(image)
        assert width > 300 and height > 150, name
        assert image == second.images[name], f"{name} is not deterministic"
        md = first.image_markdown(name)
        assert base64.b64decode(md.split("base64,", 1)[1].rstrip(")")) == image


def test_plots_render_for_an_empty_player(tmp_path):
    store = PlayerStore("Nobody", data_dir=tmp_path)
    with store.writer() as writer:
        writer.refresh_aggregates()
    with store.reader() as conn:
        empty = load_report_data(conn)
    assert empty.matches == 0 and empty.maps.empty and empty.sessions.empty
    report, paths = update_report("Nobody", empty, tmp_path)
    assert sorted(report.rendered) == sorted(PLOTS)
    assert all(png_size(image)[0] > 0 for image in report.images.values())
    assert paths["report"].read_text().count("](") == len(PLOTS)


def test_report_data_agrees_with_the_aggregate_tables(pipeline):
    gamertag = pipeline.gamertags()[0]
    pipeline.add(gamertag)
    outcome = pipeline.sync(gamertag, "full_sync", match_type="all")
    assert outcome.success, outcome.error
    with pipeline.store(gamertag).reader() as conn:
        data = load_report_data(conn)
        glob = conn.execute("SELECT matches, kd, hours_played FROM mv_global_stats").fetchone()
        n_maps = conn.execute("SELECT count(*) FROM mv_map_stats").fetchone()[0]
        n_modes = conn.execute("SELECT count(*) FROM mv_mode_category_stats").fetchone()[0]
        n_scores = conn.execute(
            "SELECT count(performance_score) FROM match_stats WHERE start_time IS NOT NULL"
        ).fetchone()[0]
        last_sync = conn.execute(
            "SELECT value FROM sync_meta WHERE key = 'last_sync_time'"
        ).fetchone()[0]
    assert (data.matches, data.totals["kd"], data.totals["hours_played"]) == glob
    assert data.matches > 0
    assert (len(data.maps), len(data.modes), len(data.performance)) == (n_maps, n_modes, n_scores)
    assert data.totals["last_sync"] == last_sync
    times = list(data.performance["start_time"])
    assert times == sorted(times)

    assert "player_report" not in outcome.metadata  # a sync stores data; the report follows
    report = run_job(pipeline.instance, "refresh_report", gamertag)  # `levelup report`
    assert report.success, report.error
    assert set(report.metadata) == {"player_report"}  # no API call, no other asset
    meta = report.metadata["player_report"]
    assert f"| **Matches** | {glob[0]} |" in meta["summary"]
    assert meta["matches"] == glob[0]
    for name in PLOTS:
        assert meta[name].startswith(f"![{PLOTS[name][0]}](data:image/png;base64,")
        png = pipeline.store(gamertag).path.parent / "report" / f"{name}.png"
        assert png.read_bytes()[:8] == PNG_SIGNATURE


def _run_asset(data_dir, gamertag: str):
    with instance_for_test() as instance:
        instance.add_dynamic_partitions("players", [gamertag])
        context = build_asset_context(
            partition_key=gamertag,
            resources={"store": PlayerStoreResource(data_dir=str(data_dir))},
            instance=instance,
        )
        return player_report(context)


def test_asset_on_a_player_never_synced_fails_with_one_sentence(tmp_path):
    with pytest.raises(Failure) as info:
        _run_asset(tmp_path, "Never Synced")
    assert "levelup sync --player Never Synced" in info.value.description


def test_asset_reports_an_unwritable_report_folder(tmp_path):
    store = PlayerStore("Blocked", data_dir=tmp_path)
    with store.writer() as writer:
        writer.refresh_aggregates()
    (store.path.parent / "report").write_text("a file where the folder should be")
    with pytest.raises(Failure) as info:
        _run_asset(tmp_path, "Blocked")
    assert "Could not write the report of Blocked" in info.value.description
    assert "\n" not in info.value.description


def test_asset_on_an_empty_database_materializes(tmp_path):
    store = PlayerStore("Fresh Player", data_dir=tmp_path)
    with store.writer() as writer:
        writer.refresh_aggregates()
    result = _run_asset(tmp_path, "Fresh Player")
    assert result.metadata["matches"] == 0
    assert set(PLOTS) <= set(result.metadata)


def test_unchanged_rows_redraw_no_plot_and_changed_rows_only_theirs(tmp_path):
    data = sample_data()
    first, paths = update_report("Some Player", data, tmp_path, new_matches=None)
    assert first.rendered == list(PLOTS)
    stamps = {name: paths[name].stat().st_mtime_ns for name in PLOTS}
    again, _ = update_report("Some Player", sample_data(), tmp_path, new_matches=0)
    assert again.rendered == []
    assert again.images == first.images  # read back from the files, byte for byte
    assert {name: paths[name].stat().st_mtime_ns for name in PLOTS} == stamps
    changed = sample_data()
    changed.modes = modes([("Slayer", 11, 7, 7 / 11), ("CTF", 5, 1, 0.2)])
    third, _ = update_report("Some Player", changed, tmp_path, new_matches=1)
    assert third.rendered == ["win_rate_per_mode_category"]
    paths["kd_per_map"].unlink()  # a lost file is redrawn even if its rows did not change
    fourth, _ = update_report("Some Player", changed, tmp_path, new_matches=0)
    assert fourth.rendered == ["kd_per_map"]


def test_an_unchanged_report_does_not_import_matplotlib(tmp_path):
    update_report("Some Player", sample_data(), tmp_path)
    (tmp_path / "data.pickle").write_bytes(pickle.dumps(sample_data()))
    script = (
        "import pickle, sys\n"
        "from levelup_pipeline.report.build import update_report\n"
        f"data = pickle.loads(open({str(tmp_path / 'data.pickle')!r}, 'rb').read())\n"
        f"report, _ = update_report('Some Player', data, {str(tmp_path)!r})\n"
        "assert report.rendered == [], report.rendered\n"
        "assert 'matplotlib' not in sys.modules, 'matplotlib imported'\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]


def test_status_line_says_sync_matches_and_new():
    line = status_line({"matches": 30, "last_sync": "2025-03-10T12:00:00+00:00"}, 3)
    assert line == "Last sync 2025-03-10 12:00 UTC · 30 matches · 3 new since the previous report"
    assert "new" not in status_line({"matches": 0}, None)


def test_report_server_serves_report_files_only(tmp_path):
    folder = tmp_path / "players" / "Some Player"
    report, _ = update_report("Some Player", sample_data(), folder)
    (folder / "stats.duckdb").write_bytes(b"secret rows")
    with serve_reports(data_dir=tmp_path) as base:
        url = report_file_url(base, "Some Player", "kd_per_map.png", "v1")
        with urllib.request.urlopen(url, timeout=10) as response:
            assert response.read() == report.images["kd_per_map"]
        for path in (
            "/Some%20Player/../stats.duckdb",
            "/Some%20Player/%2E%2E%2Fstats.duckdb",
            "/Some%20Player/",
            "/..%2F..%2Fetc/passwd",
            "/Some%20Player/report/kd_per_map.png",
        ):
            with pytest.raises(urllib.error.HTTPError) as info:
                urllib.request.urlopen(base + path, timeout=10)
            assert info.value.code == 404, path
