"""transform.film_events reads highlight chunks exactly like spnkr's reader (its reference)."""

from __future__ import annotations

import random
import tracemalloc
import zlib

import pytest
from spnkr.film import highlight_events as spnkr_reader

from levelup_pipeline.simulator import film
from levelup_pipeline.simulator.synthetic import build_synthetic_world
from levelup_pipeline.transform.film_events import (
    FilmReadError,
    inflate_chunk,
    read_highlight_events,
)

VERSIONS = (34, 38, 39, 40, 41, 45)


def reference(data: bytes, version: int) -> list[dict] | str:
    """spnkr's result, or 'error' when it raises (the client treats any error alike)."""
    try:
        return [e._asdict() for e in spnkr_reader.read(data, version)]
    except Exception:  # noqa: BLE001 - any failure means "unreadable film"
        return "error"


def ours(data: bytes, version: int) -> list[dict] | str:
    try:
        return read_highlight_events(data, version)
    except Exception:  # noqa: BLE001
        return "error"


@pytest.fixture(scope="module")
def synthetic_chunks() -> list[tuple[bytes, int]]:
    world = build_synthetic_world(seed=5, players=2, matches=12)
    names = {p.xuid: p.gamertag for p in world.players} | dict(world.gamertags)
    return [
        (film.encode_highlight_events(film.events_for_match(body, names), version), version)
        for match_id, body in world.matches.items()
        for version in {world.film_versions[match_id], 39, 41}
    ]


def test_real_captured_chunks_of_every_layout(halo_fixtures) -> None:
    chunks = sorted((halo_fixtures / "film").glob("*.gzip"))
    assert chunks
    for path in chunks:
        data = path.read_bytes()
        for version in VERSIONS:
            expected = reference(data, version)
            assert ours(data, version) == expected, (path.name, version)
    real = read_highlight_events(
        (halo_fixtures / "film" / "highlight_events.gzip").read_bytes(), 41
    )
    assert real and {e["event_type"] for e in real} <= {"kill", "death", "medal", "mode"}


def test_synthetic_chunks_match_spnkr(synthetic_chunks) -> None:
    total = 0
    for data, version in synthetic_chunks:
        expected = reference(data, version)
        assert ours(data, version) == expected
        total += len(expected) if isinstance(expected, list) else 0
    assert total > 100


def test_damaged_chunks_fail_or_succeed_exactly_like_spnkr(synthetic_chunks) -> None:
    rng = random.Random(20261125)
    outcomes = {"error": 0, "events": 0}
    for data, _version in synthetic_chunks[:30]:
        raw = zlib.decompress(data)
        for _ in range(8):
            damaged = bytearray(raw)
            for _ in range(rng.randint(1, 20)):
                damaged[rng.randrange(len(damaged))] = rng.randrange(256)
            if rng.random() < 0.3:
                damaged = damaged[: rng.randrange(len(damaged))]
            if rng.random() < 0.3:  # shift everything by a few bits' worth of junk bytes
                damaged = bytearray(rng.randbytes(rng.randrange(1, 60))) + damaged
            chunk, version = zlib.compress(bytes(damaged)), rng.choice(VERSIONS)
            expected = reference(chunk, version)
            assert ours(chunk, version) == expected
            outcomes["error" if expected == "error" else "events"] += 1
    assert outcomes["error"] > 0 and outcomes["events"] > 0  # both paths were exercised


def test_not_zlib_raises() -> None:
    with pytest.raises(zlib.error):
        read_highlight_events(b"not a film", 41)


def test_a_chunk_inflating_past_the_bound_is_refused_without_inflating_it_whole() -> None:
    """1 MB of zlib can inflate to 1 GB: the reader stops at the bound (issue 21, item 7)."""
    limit = 2**20
    bomb = zlib.compress(bytes(16 * limit), 9)  # ~16 KB that inflate to 16 MB
    tracemalloc.start()
    try:
        with pytest.raises(FilmReadError, match="inflates beyond"):
            inflate_chunk(bomb, limit)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * limit, f"{peak} bytes allocated for a chunk refused at {limit}"
    exact = zlib.compress(bytes(limit))
    assert inflate_chunk(exact, limit) == bytes(limit)  # the bound itself is allowed
    with pytest.raises(zlib.error):
        inflate_chunk(exact[:-8], limit)  # truncated: an error, as zlib.decompress gives
