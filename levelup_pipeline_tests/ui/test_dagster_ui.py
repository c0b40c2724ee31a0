"""The Dagster UI as a user sees it: lineage, a player partition, a sync launched from the UI,
and the player report in the asset's metadata. Headless Debian Chromium via Playwright."""

from __future__ import annotations

import re
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from dagster import DagsterRunStatus, RunsFilter

from levelup_pipeline.report.build import PLOTS
from levelup_pipeline_tests.ui.conftest import Webserver
from levelup_pipeline_tests.ui.graph_dom import (
    READ_GRAPH_JS,
    asset_boxes,
    drawn_edges,
    group_labels,
)

pytestmark = [pytest.mark.browser, pytest.mark.e2e]
BUDGET_SECONDS = 120
VIEWPORT = {"width": 1600, "height": 1000}
GRAPH_SIZE_JS = """
() => {
  const svg = document.querySelector('svg foreignObject').ownerSVGElement;
  return [+svg.getAttribute('width'), +svg.getAttribute('height')];
}
"""


def expected_graph() -> tuple[set[str], set[tuple[str, str]], set[str]]:
    """Assets, edges and groups of the code location, as Dagster resolves them."""
    from levelup_pipeline.definitions import defs

    graph = defs.resolve_asset_graph()
    nodes = {k.to_user_string(): graph.get(k) for k in graph.get_all_asset_keys()}
    edges = {(p.to_user_string(), name) for name, n in nodes.items() for p in n.parent_keys}
    groups = {n.group_name for n in nodes.values()}
    return set(nodes), edges, groups


def _shot(page, artifacts: Path, name: str, jpeg: bool = False) -> None:
    if jpeg:  # the whole lineage is a very large page
        page.screenshot(path=str(artifacts / f"{name}.jpg"), type="jpeg", quality=60)
    else:
        page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)


def check_asset_graph(page, server: Webserver, artifacts: Path) -> None:
    """Lineage with every group expanded: every asset, group and edge of the code location."""
    names, edges, groups = expected_graph()
    page.goto(f"{server.url}/asset-groups")
    page.wait_for_selector("svg foreignObject")
    page.locator("button:has([aria-label='settings'])").last.click()
    page.get_by_role("menuitem", name=re.compile("Expand all groups")).click()
    page.keyboard.press("Escape")
    page.wait_for_url(re.compile(r"expanded="))
    # The graph only draws nodes inside the viewport: make the window as big as the layout
    # (the expanded groups are kept in the URL) and reload so it is drawn whole.
    width, height = page.evaluate(GRAPH_SIZE_JS)
    page.set_viewport_size({"width": int(width) + 700, "height": int(height) + 300})
    page.reload()
    page.wait_for_function(
        "n => [...document.querySelectorAll('svg foreignObject:not(.group)')]"
        ".filter(fo => fo.querySelector('[class*=assetName]')).length >= n",
        arg=len(names),
    )
    page.wait_for_timeout(500)  # let the edges settle before reading coordinates
    _shot(page, artifacts, "01-asset-graph", jpeg=True)
    raw = page.evaluate(READ_GRAPH_JS)
    page.set_viewport_size(VIEWPORT)
    boxes = asset_boxes(raw, names)
    assert set(boxes) == names, f"assets missing from the graph: {names - set(boxes)}"
    assert group_labels(raw) == groups
    drawn = drawn_edges(raw, boxes)
    assert drawn == edges, f"missing: {edges - drawn}; unexpected: {drawn - edges}"


def check_asset_docs(page, server: Webserver, artifacts: Path) -> None:
    """An asset's overview documents it: description and the columns with their meaning."""
    from levelup_pipeline.defs.assets_model import MODEL_TABLES
    from levelup_pipeline.defs.table_schemas import COLUMNS

    page.goto(f"{server.url}/assets/match_stats")
    kda = next(text for name, _t, text in COLUMNS["match_stats"] if name == "kda")
    page.get_by_text(kda).first.wait_for()
    description = MODEL_TABLES["match_stats"][0]
    page.get_by_text(description[:40]).first.wait_for()
    _shot(page, artifacts, "01b-match-stats-columns")


def open_partition(page, server: Webserver, asset: str) -> None:
    """The asset's partitions tab with the player's partition selected."""
    page.goto(f"{server.url}/assets/{asset}?view=partitions")
    page.get_by_text(server.gamertag, exact=True).first.click()
    page.wait_for_url(re.compile(r"partition="))
    page.get_by_text(server.gamertag).first.wait_for()


def launch_delta_sync(page, server: Webserver, artifacts: Path) -> None:
    """Jobs > delta_sync > Materialize all > the player's partition > Launch 1 run."""
    page.goto(f"{server.url}/locations/levelup/jobs/delta_sync")
    page.get_by_role("button", name=re.compile("Materialize all")).click()
    dialog = page.get_by_role("dialog")
    picker = dialog.get_by_text("Select a partition or create one")
    confirm = dialog.get_by_role("button", name="Confirm")
    picker.or_(confirm).first.wait_for()
    if confirm.is_visible():  # "upstream assets not materialized yet": go ahead, as a user does
        _shot(page, artifacts, "03a-confirm-upstream")
        confirm.click()
    picker.click()
    page.keyboard.type(server.gamertag)
    page.locator("label", has_text=server.gamertag).first.click()
    dialog.get_by_text("Partition selection").click()  # closes the picker
    _shot(page, artifacts, "03-launch-dialog")
    dialog.get_by_role("button", name="Launch 1 run").click()


def materialize_report(page, server: Webserver, artifacts: Path) -> None:
    """The report is not part of a sync job (no daemon runs here to follow by automation):
    player_report > the player's partition > Materialize > Launch 1 run."""
    open_partition(page, server, "player_report")
    page.get_by_role("button", name=re.compile("Materialize")).first.click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text(server.gamertag, exact=True).first.wait_for()  # preselected
    _shot(page, artifacts, "04b-launch-report")
    dialog.get_by_role("button", name="Launch 1 run").click()


def wait_for_run(server: Webserver, deadline: float, known: frozenset[str] = frozenset()):
    """The newest run launched for the player's partition (not in `known`), once finished."""
    instance = server.pipeline.instance
    flt = RunsFilter(tags={"dagster/partition": server.gamertag})
    while time.monotonic() < deadline:
        runs = [r for r in instance.get_runs(filters=flt) if r.run_id not in known]
        if runs and runs[0].is_finished:
            return runs[0]
        time.sleep(0.5)
    raise AssertionError(f"no finished run in time:\n{server.log.read_text()[-3000:]}")


def test_dagster_ui_lineage_sync_and_report(chromium, webserver: Webserver, artifacts, tmp_path):
    from levelup_pipeline_tests.ui.browser import chromium_page

    deadline = time.monotonic() + BUDGET_SECONDS - 15
    server = webserver
    with chromium_page(chromium, tmp_path / "chromium-profile") as page:
        page.set_default_timeout(30_000)
        try:
            run_user_story(page, server, artifacts, deadline)
        except BaseException:
            _shot(page, artifacts, "99-failure")
            raise


def run_user_story(page, server: Webserver, artifacts: Path, deadline: float) -> None:
    """Lineage, a partition, a sync launched from the UI, then the player's report."""
    check_asset_graph(page, server, artifacts)
    check_asset_docs(page, server, artifacts)

    open_partition(page, server, "player_report")
    _shot(page, artifacts, "02-player-partition-before-sync")

    launch_delta_sync(page, server, artifacts)
    run = wait_for_run(server, deadline)
    page.goto(f"{server.url}/runs/{run.run_id}")
    page.get_by_text("Success").first.wait_for()
    page.get_by_text("Loading run logs").wait_for(state="hidden")
    _shot(page, artifacts, "04-run")
    assert run.job_name == "delta_sync"
    assert run.status == DagsterRunStatus.SUCCESS, server.log.read_text()[-3000:]

    with server.pipeline.store(server.gamertag).reader() as conn:
        matches = conn.execute("SELECT count(*) FROM match_stats").fetchone()[0]
    assert matches > 0

    materialize_report(page, server, artifacts)
    report_run = wait_for_run(server, deadline, frozenset({run.run_id}))
    assert report_run.status == DagsterRunStatus.SUCCESS, server.log.read_text()[-3000:]
    check_report_metadata(page, server, artifacts, matches)


def check_report_metadata(page, server: Webserver, artifacts: Path, matches: int) -> None:
    """The partition's report: summary inline (numbers from the database), every plot one
    click away and rendering as an image, PNG files beside the database."""
    page.goto(
        f"{server.url}/assets/player_report?view=partitions&partition={quote(server.gamertag)}"
    )
    summary = page.locator("tr", has=page.get_by_text("summary", exact=True)).first
    summary.get_by_text("Last sync").wait_for()
    _shot(page, artifacts, "05-player-report")
    text = summary.inner_text()
    assert re.search(r"Matches\s+(\d+)", text).group(1) == str(matches)
    assert "never" not in text
    for name in PLOTS:
        assert page.locator("tr", has=page.get_by_text(name, exact=True)).count() == 1, name
    row = page.locator("tr", has=page.get_by_text("performance_score_over_time", exact=True))
    row.get_by_text("[Show Markdown]").click()
    image = page.get_by_role("dialog").get_by_role("img", name="Performance score over time")
    image.wait_for()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
    )
    page.wait_for_timeout(400)  # the dialog fades in
    _shot(page, artifacts, "06-performance-plot")
    folder = server.pipeline.store(server.gamertag).path.parent / "report"
    for name in PLOTS:
        assert (folder / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
