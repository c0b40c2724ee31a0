"""The benchmark code runs end to end on tiny sizes (a smoke test, not a measurement)."""

from __future__ import annotations

import json

from benchmarks import run
from benchmarks.data import history_world, raw_matches
from benchmarks.report import Figure, Report


def test_quick_ingest_section_reports_every_figure_with_a_verdict() -> None:
    report = run.main(["--quick", "--only", "ingest", "--no-save"])
    sections = {f.section for f in report.figures}
    assert sections == {"3", "4", "6"}
    targets = [f for f in report.figures if f.target]
    assert len(targets) == 4 and all(f.passed is not None for f in targets)
    numbers = [f.value for f in report.figures if isinstance(f.value, int | float)]
    assert numbers and all(v > 0 for v in numbers)


def test_history_world_has_exactly_the_requested_matches() -> None:
    world = history_world(25, distinct=10)
    xuid = world.players[0].xuid
    ids = world.match_ids_of(xuid)
    assert len(ids) == len(set(ids)) == 25
    starts = [world.matches[m]["MatchInfo"]["StartTime"] for m in ids]
    assert starts == sorted(starts, reverse=True)  # clones are older, newest first kept
    rows = raw_matches(world, xuid, limit=3)
    assert [r.match_id for r in rows] == ids[:3] and all(r.highlights for r in rows)


def test_report_table_and_json(tmp_path) -> None:
    report = Report(machine={"nproc": 2})
    report.add(
        Figure("1", "efficiency", 0.95, "", ">= 0.90", True),
        Figure("2", "speed-up", 6.0, "x", ">= 10x", False, "bound 6x"),
        Figure("3", "context", 12, "s"),
    )
    table = report.table()
    assert "| 1 | efficiency | 0.95 | >= 0.90 | PASS |" in table
    assert "FAIL" in table and table.count("\n") == 4
    saved = json.loads(report.write(tmp_path).read_text())
    assert [f["verdict"] for f in saved["figures"]] == ["PASS", "FAIL", ""]
    assert saved["machine"] == {"nproc": 2}
