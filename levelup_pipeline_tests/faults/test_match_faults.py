"""Single matches go wrong: one 404s, one answers a malformed body, one film has no highlight
chunk, one skill call keeps failing. The sync succeeds; the first two are skipped, recorded
and reported; the last two are kept with their gap recorded for backfill."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from levelup_pipeline.cli.runner import RunOutcome
from levelup_pipeline_tests.faults.conftest import FaultBed
from levelup_pipeline_tests.faults.helpers import integrity_problems, reset_knobs, snapshot

pytestmark = pytest.mark.faults


@dataclass
class Faulted:
    """One faulted full sync, and a second sync of the same database without new faults."""

    bed: FaultBed
    missing: str
    malformed: str
    filmless: str
    skill_failing: str
    first: RunOutcome
    rerun: RunOutcome
    rerun_requests: dict


@pytest.fixture(scope="module")
def faulted(fault_bed: FaultBed, tmp_path_factory: pytest.TempPathFactory) -> Faulted:
    bed = fault_bed
    bed.baseline()
    ids = bed.match_ids()
    missing, malformed, filmless, skill_failing = ids[2], ids[5], ids[8], ids[11]
    reset_knobs(bed.sim.knobs)
    knobs = bed.sim.knobs
    knobs.missing_matches = {missing}
    knobs.malformed_matches = {malformed}
    knobs.films_without_highlights = {filmless}
    knobs.skill_failures = {skill_failing}
    bed.use_data_dir(Path(tmp_path_factory.mktemp("faulted")) / "data")
    first = bed.sync()
    bed.sim.reset_stats()
    rerun = bed.sync()
    requests = bed.sim.stats()["requests"]
    reset_knobs(knobs)
    return Faulted(bed, missing, malformed, filmless, skill_failing, first, rerun, requests)


def _raw(faulted: Faulted, match_id: str) -> tuple | None:
    with faulted.bed.store().reader() as con:
        return con.execute(
            "SELECT skill_status, film_status, skill_json_zst IS NULL, highlights_json_zst IS NULL "
            "FROM raw_match_json WHERE match_id = ?",
            [match_id],
        ).fetchone()


def _count(faulted: Faulted, table: str, match_id: str) -> int:
    with faulted.bed.store().reader() as con:
        return con.execute(
            f"SELECT count(*) FROM {table} WHERE match_id = ?", [match_id]
        ).fetchone()[0]


def _unavailable(faulted: Faulted) -> dict[str, str]:
    with faulted.bed.store().reader() as con:
        return dict(con.execute("SELECT match_id, reason FROM unavailable_matches").fetchall())


def _differing_columns(faulted: Faulted, match_id: str) -> set[str]:
    """Columns of the match's match_stats row that differ from the fault-free sync's row."""
    with faulted.bed.store().reader() as con:
        names = [d[0] for d in con.execute("SELECT * FROM match_stats LIMIT 0").description]
    got = snapshot(faulted.bed.store()).match_stats[match_id]
    want = faulted.bed.baseline().match_stats[match_id]
    return {n for n, a, b in zip(names, got, want, strict=True) if a != b}


def test_sync_with_faulty_matches_succeeds_and_stays_consistent(faulted):
    assert faulted.first.success, faulted.first.error
    assert faulted.rerun.success, faulted.rerun.error
    assert not any(integrity_problems(faulted.bed.store()).values())
    expected = faulted.bed.baseline().match_ids - {faulted.missing, faulted.malformed}
    got = snapshot(faulted.bed.store())
    assert got.match_ids == expected
    untouched = expected - {faulted.filmless, faulted.skill_failing}
    differing = {c for m in untouched for c in _differing_columns(faulted, m)}
    # The performance score rates a match against the player's other matches (two fewer).
    assert differing <= {"performance_score"}, differing


def test_match_404_is_recorded_skipped_reported_and_not_retried(faulted):
    meta = faulted.first.metadata["raw_match_json"]
    assert faulted.missing in meta["unavailable_matches"]
    assert "not found" in _unavailable(faulted)[faulted.missing]
    assert _raw(faulted, faulted.missing) is None
    # The next sync does not ask for it again: the history walk skips recorded matches.
    assert faulted.rerun.metadata["raw_match_json"]["new_matches"] == 0
    assert faulted.rerun_requests["match_stats"] == 0


def test_malformed_json_body_is_recorded_skipped_and_reported(faulted):
    assert faulted.malformed in faulted.first.metadata["raw_match_json"]["unavailable_matches"]
    assert "malformed" in _unavailable(faulted)[faulted.malformed]
    assert _raw(faulted, faulted.malformed) is None
    assert _count(faulted, "match_stats", faulted.malformed) == 0


def test_film_without_highlight_chunk_keeps_the_match_with_a_gap(faulted):
    assert faulted.first.metadata["raw_match_json"]["film_gaps"] == 1
    assert _raw(faulted, faulted.filmless) == ("ok", "missing", False, True)
    assert _count(faulted, "highlight_events", faulted.filmless) == 0
    assert _differing_columns(faulted, faulted.filmless) <= {"performance_score"}


def test_failing_skill_call_keeps_the_match_with_a_gap_for_backfill(faulted):
    assert faulted.first.metadata["raw_match_json"]["skill_gaps"] == 1
    assert _raw(faulted, faulted.skill_failing) == ("failed", "ok", True, False)
    assert _count(faulted, "player_match_stats", faulted.skill_failing) == 0
    # Only what comes from the skill endpoint is missing from the match's row.
    assert _differing_columns(faulted, faulted.skill_failing) <= {"is_ranked", "performance_score"}
