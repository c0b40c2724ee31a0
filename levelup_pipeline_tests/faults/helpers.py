"""Shared tools of the fault-injection suite: compare a database to a fault-free sync, check
its invariants, reset the simulator's knobs, and run the real CLI in a subprocess."""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dagster import AssetKey

from levelup_pipeline.defs.assets_aggregates import AGGREGATES
from levelup_pipeline.defs.assets_model import MODEL_TABLES
from levelup_pipeline.simulator.knobs import Knobs
from levelup_pipeline.store import invariants
from levelup_pipeline.store.player_store import PlayerStore
from levelup_pipeline_tests.harness import ISOLATED_ENV

#: What the in-process fault tests run of the sync job: ingest, model and aggregates. The
#: backfill bookkeeping, the report and the asset checks (verified here by
#: `integrity_problems`) add seconds per sync and nothing a fault could break; the subprocess
#: scenarios (SIGKILL, concurrency, disk, secrets) run the whole job.
CORE_ASSETS = [AssetKey("raw_match_json")] + [AssetKey(k) for k in (*MODEL_TABLES, *AGGREGATES)]
#: Small retry waits so a test spends milliseconds, not minutes, in backoff.
FAST_RETRIES: dict[str, Any] = {
    "retry_base_delay_seconds": 0.02,
    "retry_max_delay_seconds": 0.2,
    "max_total_wait_seconds": 30.0,
    "max_attempts": 6,
}
DERIVED_TABLES = (
    "match_players",
    "medals",
    "personal_scores",
    "player_match_stats",
    "highlight_events",
)
COMPARED_TABLES = (
    "raw_match_json",
    "match_stats",
    *DERIVED_TABLES,
    "mv_map_stats",
    "mv_mode_category_stats",
    "mv_session_stats",
    "mv_global_stats",
)


def halo_config(**fields: Any) -> dict:
    """Run config giving the Halo resource FAST_RETRIES (overridden by `fields`)."""
    return {"resources": {"halo": {"config": {**FAST_RETRIES, **fields}}}}


def _plain(value: Any) -> Any:
    """NaN-safe, comparable cell value."""
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    return value


@dataclass(frozen=True)
class Snapshot:
    """What 'the final database equals a fault-free sync' compares."""

    match_ids: frozenset[str]
    match_stats: dict[str, tuple]
    counts: dict[str, int]


def snapshot(store: PlayerStore) -> Snapshot:
    """Match ids, every match_stats row (by id) and the row counts of the data tables."""
    with store.reader() as con:
        cur = con.execute("SELECT * FROM match_stats ORDER BY match_id")
        rows = {r[0]: tuple(_plain(v) for v in r) for r in cur.fetchall()}
        counts = {
            t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in COMPARED_TABLES
        }
    return Snapshot(frozenset(rows), rows, counts)


def integrity_problems(store: PlayerStore) -> dict[str, int]:
    """Every invariant a crash or a fault could break; all values must be 0."""
    with store.reader() as con:
        problems = {
            "duplicate_match_ids": invariants.duplicate_match_ids(con)[0],
            "duplicate_highlight_events": invariants.duplicate_highlight_events(con)[0],
            "matches_without_player_row_or_raw": invariants.orphan_matches(con)[0],
            "aggregates_differ_from_recount": invariants.aggregate_mismatches(con)[0],
        }
        for table in DERIVED_TABLES:
            problems[f"orphan_{table}"] = con.execute(
                f"SELECT count(*) FROM {table} t WHERE NOT EXISTS "
                "(SELECT 1 FROM match_stats m WHERE m.match_id = t.match_id)"
            ).fetchone()[0]
        problems["raw_not_modelled"] = con.execute(
            "SELECT count(*) FROM raw_match_json r WHERE NOT EXISTS "
            "(SELECT 1 FROM match_stats m WHERE m.match_id = r.match_id)"
        ).fetchone()[0]
    return problems


def assert_same_as(store: PlayerStore, expected: Snapshot) -> None:
    """The database holds exactly the fault-free sync's matches and rows, and is consistent."""
    problems = integrity_problems(store)
    assert not any(problems.values()), problems
    got = snapshot(store)
    assert got.match_ids == expected.match_ids, (
        f"missing {sorted(expected.match_ids - got.match_ids)[:5]}, "
        f"extra {sorted(got.match_ids - expected.match_ids)[:5]}"
    )
    differing = [m for m in expected.match_ids if got.match_stats[m] != expected.match_stats[m]]
    assert not differing, f"{len(differing)} match_stats rows differ, e.g. {differing[:3]}"
    assert got.counts == expected.counts


def reset_knobs(knobs: Knobs) -> None:
    """Every knob back to its default, queued failures dropped."""
    knobs.update(Knobs().as_dict())
    knobs._bursts.clear()  # noqa: SLF001 - no public way to drop queued failures


def one_line_error(output: str) -> str:
    """The CLI's single error line; fails if the output holds a traceback or several errors."""
    assert "Traceback" not in output and 'File "' not in output, output
    errors = [line for line in output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, output
    return errors[0]


def cli_env(root: Path, endpoint: str, rps: float, **extra: str) -> dict[str, str]:
    """Environment of a CLI subprocess on the installation under `root`."""
    env = {k: v for k, v in os.environ.items() if k not in ISOLATED_ENV}
    env.update(
        LEVELUP_DATA_DIR=str(root / "data"),
        DAGSTER_HOME=str(root / "dagster_home"),
        LEVELUP_TOKEN_FILE=str(root / "token" / "refresh_token.json"),
        LEVELUP_HALO_ENDPOINT=endpoint,
        LEVELUP_HALO_RPS=str(rps),
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def cli_command(*args: str) -> list[str]:
    """`levelup ARGS` as the console script runs it."""
    return [sys.executable, "-m", "levelup_pipeline.cli.main", *args]


def run_cli(
    args: list[str], env: dict[str, str], timeout: float = 90
) -> subprocess.CompletedProcess:
    """Run the CLI to completion (a hang fails the test after `timeout` seconds)."""
    return subprocess.run(
        cli_command(*args), env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def unshare_available() -> bool:
    """Whether we can make a private mount namespace (tmpfs, read-only bind) without sudo."""
    if not sys.platform.startswith("linux") or shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", "true"],
        capture_output=True,
        check=False,
    )
    return probe.returncode == 0
