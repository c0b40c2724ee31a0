"""The player report: data read from the aggregates, pure plots and summary, the asset."""

from __future__ import annotations

import base64
import struct
from datetime import UTC, datetime, timedelta

import pytest
from dagster import Failure, build_asset_context, instance_for_test

from levelup_pipeline.defs.assets_report import player_report
from levelup_pipeline.defs.resources import PlayerStoreResource
from levelup_pipeline.report import PLOTS, build_report, load_report_data, write_report
from levelup_pipeline.report.data import MapRow, ModeRow, ReportData, SessionRow
from levelup_pipeline.report.plots import rolling_mean
from levelup_pipeline.report.summary import summary_markdown, summary_rows
from levelup_pipeline.store import PlayerStore

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
        performance=[(start + timedelta(hours=i), float(i * 37 % 100)) for i in range(n)],
        maps=[MapRow(f"Map {i}", 20 - i, 0.5 + i / 10, 0.5) for i in range(20)],
        modes=[ModeRow("Slayer", 10, 6, 0.6), ModeRow("CTF", 5, 1, 0.2)],
        sessions=[SessionRow(i, start + timedelta(days=i), 3, 1, 1.1, None) for i in range(1, 5)],
    )


def test_rolling_mean_matches_a_naive_window():
    values = [float(v) for v in (5, 80, 13, 42, 99, 0, 61, 7, 33, 50, 21, 76, 4)]
    for window in (1, 3, 10):
        expected = [
            sum(values[max(0, i - window + 1) : i + 1])
            / len(values[max(0, i - window + 1) : i + 1])
            for i in range(len(values))
        ]
        assert rolling_mean(values, window) == pytest.approx(expected)


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


def test_every_plot_is_a_png_and_rendering_is_deterministic():
    data = sample_data()
    first = build_report("Some Player", data)
    second = build_report("Some Player", data)
    assert set(first.images) == set(PLOTS)
    for name, image in first.images.items():
        width, height = png_size(image)
        assert width > 300 and height > 150, name
        assert image == second.images[name], f"{name} is not deterministic"
        md = first.image_markdown(name)
        assert base64.b64decode(md.split("base64,", 1)[1].rstrip(")")) == image


def test_plots_render_for_an_empty_player(tmp_path):
    empty = ReportData(totals={"matches": 0})
    report = build_report("Nobody", empty)
    assert all(png_size(image)[0] > 0 for image in report.images.values())
    paths = write_report(report, tmp_path)
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
    times = [t for t, _ in data.performance]
    assert times == sorted(times)

    meta = outcome.metadata["player_report"]
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
