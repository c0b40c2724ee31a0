"""A film that stays unavailable after its retries leaves a gap, not a failed sync: the match
is kept aside (compressed, in memory) until every other match is stored, then written with
film_status 'failed' for the backfill, in batches like any other."""

from __future__ import annotations

import pytest

from levelup_pipeline.ingest import engine

pytestmark = pytest.mark.faults


def test_matches_whose_film_failed_are_written_last_with_their_gap(bed, monkeypatch):
    monkeypatch.setattr(engine, "BATCH_SIZE", 2)  # the gaps take more than one batch
    bed.sim.knobs.fail_next_n(503, 5, "film")
    outcome = bed.sync(halo={"max_attempts": 1})
    assert outcome.success, outcome.error

    with bed.store().reader() as con:
        rows = con.execute(
            "SELECT match_id, film_status, highlights_json_zst IS NULL, stats_json_zst IS NOT NULL"
            " FROM raw_match_json"
        ).fetchall()
    assert sorted(r[0] for r in rows) == sorted(bed.match_ids())
    gaps = [r for r in rows if r[1] == "failed"]
    assert len(gaps) == 5
    assert all(no_film and has_stats for _, _, no_film, has_stats in gaps)
    assert all(r[1] in ("ok", "missing") for r in rows if r not in gaps)
