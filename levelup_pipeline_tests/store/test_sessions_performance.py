"""Sessions and performance scores against a small case computed here in plain Python."""

from __future__ import annotations

from datetime import timedelta

import pytest

from levelup_pipeline.store.player_store import PlayerStore
from levelup_pipeline.store.raw_writes import RawMatch
from levelup_pipeline_tests.store.conftest import PLAYER_XUID, T0, synthetic_match

# (start offset in minutes, kills, deaths, assists, accuracy); every match lasts 10 minutes.
MATCHES = [
    (0, 10, 5, 2, 40.0),
    (15, 12, 8, 4, 45.0),
    (30, 8, 8, 1, 50.0),
    (100, 15, 3, 6, 55.0),  # 60 min gap -> session 2
    (115, 10, 5, 2, 40.0),  # ties with match 0 on every metric
    (170, 5, 10, 0, 35.0),  # gap exactly 45 min -> not below the threshold -> session 3
    (185, 20, 6, 3, 60.0),
    (300, 9, 9, 9, 48.0),  # session 4
    (315, 11, 7, 2, 52.0),
    (330, 7, 4, 5, 41.0),
    (345, 10, 5, 2, 45.0),  # 11th match: first one with 10 earlier matches
    (360, 14, 8, 3, 40.0),
]
EXPECTED_SESSIONS = [1, 1, 1, 2, 2, 3, 3, 4, 4, 4, 4, 4]


def _pct(value: float, earlier: list[float]) -> float:
    """Fraction of earlier values strictly lower, plus half the ties."""
    lower = sum(1 for e in earlier if e < value)
    ties = sum(1 for e in earlier if e == value)
    return (lower + 0.5 * ties) / len(earlier)


def _expected_scores() -> list[float | None]:
    metrics = []
    for _, k, d, a, acc in MATCHES:
        minutes = 10.0
        metrics.append((k / minutes, d / minutes, a / minutes, k + a / 3 - d, acc))
    scores: list[float | None] = []
    for i, (kpm, dpm, apm, kda, acc) in enumerate(metrics):
        earlier = metrics[:i]
        if len(earlier) < 10:
            scores.append(None)
            continue
        col = list(zip(*earlier, strict=True))
        score = (
            0.30 * _pct(kpm, list(col[0]))
            + 0.25 * (1 - _pct(dpm, list(col[1])))
            + 0.15 * _pct(apm, list(col[2]))
            + 0.20 * _pct(kda, list(col[3]))
            + 0.10 * _pct(acc, list(col[4]))
        )
        scores.append(100 * score)
    return scores


@pytest.fixture
def loaded(store: PlayerStore) -> PlayerStore:
    raws = []
    # inserted in reverse order: ordering must come from start_time, not insertion
    for i, (offset, k, d, a, acc) in reversed(list(enumerate(MATCHES))):
        stats = synthetic_match(f"m{i:02d}", T0 + timedelta(minutes=offset), 10, k, d, a, acc)
        raws.append(RawMatch(stats["MatchId"], stats))
    with store.writer() as w:
        w.write_raw_matches(raws)
        w.transform_pending(PLAYER_XUID)
    return store


def _column(store: PlayerStore, column: str) -> list:
    with store.reader() as con:
        return [
            r[0]
            for r in con.execute(f"SELECT {column} FROM match_stats ORDER BY start_time").fetchall()
        ]


def test_sessions(loaded: PlayerStore) -> None:
    assert _column(loaded, "session_id") == EXPECTED_SESSIONS


def test_performance_scores(loaded: PlayerStore) -> None:
    expected = _expected_scores()
    assert expected[:10] == [None] * 10 and expected[10] is not None
    got = _column(loaded, "performance_score")
    assert got[:10] == [None] * 10
    assert got[10:] == pytest.approx(expected[10:])
    assert all(0 <= s <= 100 for s in got[10:])


def test_late_old_match_shifts_later_scores(loaded: PlayerStore) -> None:
    """A backfilled match older than all others becomes 'earlier' for every later match."""
    stats = synthetic_match("m-old", T0 - timedelta(days=1), 10, 0, 20, 0, 10.0)
    with loaded.writer() as w:
        w.write_raw_matches([RawMatch("m-old", stats)])
        w.transform_pending(PLAYER_XUID)
    got = _column(loaded, "performance_score")
    assert got[:10] == [None] * 10 and None not in got[10:]
    assert _column(loaded, "session_id")[0] == 1 and _column(loaded, "session_id")[1] == 2
