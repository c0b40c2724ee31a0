"""The UI as a player's dashboard, the way a new user meets it: `make demo`, then `make dev` with
no Halo account, then a sync of one player from the UI in three clicks (the fetch; the model,
aggregates and report follow by automation), the new matches in match_stats' row count, the
plots on the report page; then a sync that fails (the account's sign-in is refused) and leaves
every check and asset it did not touch green.

One installation serves both tests (module fixture): the demo and `make dev` start-up are most
of the time. The automation sensor evaluates every 5 s here instead of 30 s
(LEVELUP_AUTOMATION_INTERVAL_SECONDS). Headless Debian Chromium via Playwright, like the other
UI tests.
"""

from __future__ import annotations

import json
import os
import re
import signal
import ssl
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from dagster import AssetCheckKey, AssetKey, DagsterInstance, DagsterRunStatus, RunsFilter

from levelup_pipeline.cli.demo import DEMO_MATCHES_ENV
from levelup_pipeline.cli.dev import DEV_NEW_MATCHES
from levelup_pipeline.config import INSTALLATION_ENV, PROJECT_ROOT
from levelup_pipeline.defs.partitions import registered_players
from levelup_pipeline.defs.sensors import INTERVAL_ENV
from levelup_pipeline.report.build import PLOTS
from levelup_pipeline.store.player_store import PlayerStore
from levelup_pipeline_tests.ui.conftest import _stop, _wait_until_up, free_port

pytestmark = [pytest.mark.browser, pytest.mark.e2e]
DEMO_MATCHES = 12  # per player: a small history keeps the demo a few seconds long
RUN_TIMEOUT_SECONDS = 120
AUTOMATION_INTERVAL_SECONDS = 5  # instead of 30: the test waits for the automation's run
RAW = AssetKey("raw_match_json")
MATCH_STATS_CHECKS = (
    "match_ids_unique",
    "outcome_codes_valid",
    "every_match_has_its_player_row",
)


@dataclass
class DevServer:
    """`make dev` running on a demo installation."""

    url: str
    first_line: str
    simulator: str
    home: Path
    data_dir: Path
    players: list[str]
    log: Path

    def instance(self) -> DagsterInstance:
        return DagsterInstance.from_config(str(self.home))

    def store(self, gamertag: str) -> PlayerStore:
        return PlayerStore(gamertag, data_dir=self.data_dir)


def _clean_env(root: Path) -> dict[str, str]:
    """The environment of a machine with no Halo account, pointed at a fresh installation."""
    env = {k: v for k, v in os.environ.items() if k not in INSTALLATION_ENV}
    env.update(
        LEVELUP_DATA_DIR=str(root / "data"),
        DAGSTER_HOME=str(root / "dagster_home"),
        LEVELUP_TOKEN_FILE=str(root / "no-account" / "refresh_token.json"),
        **{DEMO_MATCHES_ENV: str(DEMO_MATCHES), INTERVAL_ENV: str(AUTOMATION_INTERVAL_SECONDS)},
    )
    return env


@pytest.fixture(scope="module")
def dev_server(tmp_path_factory) -> Iterator[DevServer]:
    """`make demo` then `make dev` (the same commands, as processes) in a temp installation."""
    root = tmp_path_factory.mktemp("dashboard")
    env = _clean_env(root)
    demo = subprocess.run(
        [sys.executable, "-m", "levelup_pipeline.cli.demo"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert demo.returncode == 0, demo.stdout[-2000:] + demo.stderr[-2000:]
    home = Path(env["DAGSTER_HOME"])
    with DagsterInstance.from_config(str(home)) as instance:
        players = registered_players(instance)  # what the demo registered, not its wording
    assert len(players) >= 2, demo.stdout[-2000:]
    (home / ".nux").mkdir(parents=True, exist_ok=True)
    (home / ".nux" / "nux.yaml").write_text("seen: 1\n")  # no "join the community" pop-up
    port = free_port()
    log = root / "dev.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "levelup_pipeline.cli.dev", "--port", str(port)],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # dg dev, webserver, daemon and runs share its group
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, proc, log)
        first_line = log.read_text().splitlines()[0]
        simulator = re.search(r"simulator on (127\.0\.0\.1:\d+)", first_line)
        yield DevServer(
            url=url,
            first_line=first_line,
            simulator=simulator.group(1) if simulator else "",
            home=home,
            data_dir=Path(env["LEVELUP_DATA_DIR"]),
            players=players,
            log=log,
        )
    finally:
        _stop_dev(proc)


def _stop_dev(proc: subprocess.Popen) -> None:
    """Ctrl-C, as in a terminal (dagster dev stops cleanly on SIGINT only), then force."""
    try:
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        pass
    _stop(proc)


@pytest.fixture
def page(chromium, tmp_path):
    from levelup_pipeline_tests.ui.browser import chromium_page

    with chromium_page(chromium, tmp_path / "chromium-profile") as page:
        page.set_default_timeout(30_000)
        yield page


def _shot(page, artifacts: Path, name: str) -> None:
    page.screenshot(path=str(artifacts / f"{name}.png"))


def _count(server: DevServer, gamertag: str) -> int:
    with server.store(gamertag).reader() as conn:
        return conn.execute("SELECT count(*) FROM match_stats").fetchone()[0]


def wait_for_new_run(server: DevServer, gamertag: str, known: set[str], what: str = "run"):
    """The player's oldest run not in `known`, once it has finished."""
    deadline = time.monotonic() + RUN_TIMEOUT_SECONDS
    with server.instance() as instance:
        flt = RunsFilter(tags={"dagster/partition": gamertag})
        while time.monotonic() < deadline:
            runs = [r for r in instance.get_runs(filters=flt) if r.run_id not in known]
            if runs and runs[-1].is_finished:
                return runs[-1]
            time.sleep(0.5)
    raise AssertionError(f"no finished {what} in time:\n{server.log.read_text()[-3000:]}")


def run_ids(server: DevServer, gamertag: str) -> set[str]:
    with server.instance() as instance:
        runs = instance.get_runs(filters=RunsFilter(tags={"dagster/partition": gamertag}))
        return {r.run_id for r in runs}


def test_dev_after_demo_syncs_a_player_from_the_ui(dev_server: DevServer, page, artifacts):
    server = dev_server
    assert server.first_line.startswith("No Halo account configured"), server.first_line
    assert server.simulator, server.first_line
    gamertag = server.players[0]
    before = _count(server, gamertag)
    known = run_ids(server, gamertag)

    # The player's sync, counted from the player's own page (its report): three clicks.
    report_page = f"{server.url}/assets/player_report?view=partitions&partition={quote(gamertag)}"
    page.goto(report_page)
    clicks = 0
    link = page.get_by_role("link", name=f"Sync {gamertag} now")
    if link.get_attribute("target") == "_blank":
        with page.context.expect_page() as opened:
            link.click()
        page = opened.value
    else:
        link.click()
    clicks += 1
    page.get_by_role("button", name=re.compile("Materialize")).first.click()
    clicks += 1
    dialog = page.get_by_role("dialog")
    dialog.get_by_text(gamertag, exact=True).first.wait_for()  # the partition is preselected
    _shot(page, artifacts, "10-dev-launch-sync")
    dialog.get_by_role("button", name="Launch 1 run").click()
    clicks += 1
    assert clicks <= 3

    # The click fetches (raw_match_json alone); the automation sensor then asks for the rest.
    fetch = wait_for_run_ok(server, gamertag, known, "sync run")
    assert fetch.asset_selection == {RAW}, fetch.asset_selection
    derived = wait_for_run_ok(server, gamertag, known | {fetch.run_id}, "automation run")
    assert {AssetKey("match_stats"), AssetKey("player_report")} <= derived.asset_selection
    assert RAW not in derived.asset_selection
    after = _count(server, gamertag)
    assert after > before, "the sync from the UI found none of the new matches"
    assert after - before <= DEV_NEW_MATCHES

    # match_stats shows the new row count for the player's partition.
    page.goto(f"{server.url}/assets/match_stats?view=partitions&partition={quote(gamertag)}")
    row = page.locator("tr", has=page.get_by_text("dagster/row_count", exact=True)).first
    row.get_by_text(str(after), exact=True).wait_for()
    _shot(page, artifacts, "11-dev-match-stats-row-count")

    # The report: status line on top, every plot drawn inline (no click), served by make dev.
    page.goto(report_page)
    status = page.locator("tr", has=page.get_by_text("status", exact=True)).first
    status.get_by_text(re.compile(rf"{after} matches")).wait_for()
    assert "new since the previous report" in status.inner_text()
    for name, (title, _rows, _fn) in PLOTS.items():
        image = page.get_by_role("img", name=title).first
        image.wait_for()
        page.wait_for_function(
            "img => img.complete && img.naturalWidth > 300", arg=image.element_handle()
        )
        assert image.get_attribute("src").startswith("http://127.0.0.1:"), name
    assert "[Show Markdown]" not in page.locator("table").first.inner_text()
    _shot(page, artifacts, "12-dev-player-report")
    # The description names the report folder (the placeholder survives markdown).
    page.goto(f"{server.url}/assets/player_report")
    page.get_by_text("data/players/<gamertag>/report/").first.wait_for()


def wait_for_run_ok(server: DevServer, gamertag: str, known: set[str], what: str = "run"):
    run = wait_for_new_run(server, gamertag, known, what)
    assert run.status == DagsterRunStatus.SUCCESS, server.log.read_text()[-3000:]
    return run


def _revoke_simulator_sign_in(endpoint: str) -> None:
    """The account's refresh token is refused from now on: every sign-in fails."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the simulator's own self-signed certificate
    request = urllib.request.Request(
        f"https://{endpoint}/_sim/knobs",
        data=json.dumps({"revoked_refresh_tokens": ["sim-refresh-token"]}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, context=context, timeout=10):
        pass


def latest_check_runs(server: DevServer) -> dict[str, tuple[str, str]]:
    """(run id, status) of the latest execution of each match_stats check."""
    out = {}
    with server.instance() as instance:
        for name in MATCH_STATS_CHECKS:
            key = AssetCheckKey(AssetKey("match_stats"), name)
            record = instance.event_log_storage.get_asset_check_execution_history(key, limit=1)[0]
            out[name] = (record.run_id, record.status.value)
    return out


def test_failed_sync_leaves_untouched_checks_green(dev_server: DevServer, page, artifacts):
    server = dev_server
    gamertag = server.players[-1]
    checks_before = latest_check_runs(server)
    assert all(status == "SUCCEEDED" for _run, status in checks_before.values()), checks_before
    known = run_ids(server, gamertag)
    _revoke_simulator_sign_in(server.simulator)

    # The player's raw asset page: Materialize, Launch (the partition comes from the URL).
    page.goto(f"{server.url}/assets/raw_match_json?view=partitions&partition={quote(gamertag)}")
    page.get_by_role("button", name=re.compile("Materialize")).first.click()
    page.get_by_role("dialog").get_by_role("button", name="Launch 1 run").click()
    run = wait_for_new_run(server, gamertag, known, "failed sync run")
    assert run.status == DagsterRunStatus.FAILURE
    assert run.asset_selection == {RAW}

    # The run page shows the one sentence on load, without a click or a scroll.
    page.goto(f"{server.url}/runs/{run.run_id}")
    sentence = page.get_by_text(re.compile(r"Authentication failed: run 'levelup auth'")).last
    sentence.wait_for()
    assert sentence.is_visible()
    _shot(page, artifacts, "13-dev-failed-run")

    # Nothing it did not touch turned red: the checks keep their last (passing) execution...
    assert latest_check_runs(server) == checks_before
    page.goto(f"{server.url}/assets/match_stats?view=checks")
    page.get_by_text("match_ids_unique").first.wait_for()
    assert page.get_by_text("Execution failed").count() == 0
    _shot(page, artifacts, "14-dev-checks-still-green")
    # ...and the report of that player is not marked failed.
    page.goto(f"{server.url}/assets/player_report?view=partitions&partition={quote(gamertag)}")
    page.locator("tr", has=page.get_by_text("status", exact=True)).first.wait_for()
    assert page.get_by_text("did not materialize this asset").count() == 0
