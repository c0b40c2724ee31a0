"""The highlight-events encoder round-trips through spnkr's own film parser."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from spnkr.film import highlight_events

from levelup_pipeline.simulator.film import MEDAL_FILM_CODES, encode_highlight_events

VERSIONS = (34, 39, 40, 41)
# Realistic inputs: Xbox XUIDs (2533274... / 2535...) and gamertags of ASCII letters, digits
# and spaces - what the simulator generates. spnkr's reader searches its markers bit by bit,
# so arbitrary binary-looking gamertags can fool the reader itself, whatever the encoder does.
_event = st.fixed_dictionaries(
    {
        "xuid": st.integers(2533274790000000, 2535999999999999),
        "gamertag": st.text(
            st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 "),
            min_size=1,
            max_size=15,
        ).filter(lambda s: s.strip() == s),
        "type": st.sampled_from(["kill", "death", "medal", "mode"]),
        "time_ms": st.integers(0, 2**32 - 1),
        "name_id": st.sampled_from(sorted(MEDAL_FILM_CODES)),
    }
)


def _roundtrip(events: list[dict], version: int) -> list:
    for event in events:
        if "name_id" in event:
            event["medal_value"] = MEDAL_FILM_CODES[event["name_id"]]
    return list(highlight_events.read(encode_highlight_events(events, version), version))


@pytest.mark.parametrize("version", VERSIONS)
def test_known_events_roundtrip(version: int) -> None:
    """Kills, deaths and medals come back with their xuid, gamertag, time and medal name."""
    events = [
        {"xuid": 2533274790000001, "gamertag": "LevelUp Leader", "type": "kill", "time_ms": 1000},
        {"xuid": 2533274790000002, "gamertag": "Nina", "type": "death", "time_ms": 1000},
        {
            "xuid": 2533274790000001,
            "gamertag": "LevelUp Leader",
            "type": "medal",
            "time_ms": 2000,
            "name_id": 622331684,
        },
    ]
    parsed = _roundtrip(events, version)
    assert [(e.xuid, e.gamertag, e.event_type, e.time_ms) for e in parsed] == [
        (e["xuid"], e["gamertag"], e["type"], e["time_ms"]) for e in events
    ]
    assert parsed[2].medal_name == "Double Kill"


@settings(max_examples=300, deadline=None)
@given(st.lists(_event, max_size=30), st.sampled_from(VERSIONS))
def test_random_events_roundtrip(events: list[dict], version: int) -> None:
    """Any event list parses back exactly (no accidental marker matches in our payload)."""
    parsed = _roundtrip(events, version)
    assert [(e.xuid, e.gamertag, e.event_type, e.time_ms) for e in parsed] == [
        (e["xuid"], e["gamertag"], e["type"], e["time_ms"]) for e in events
    ]
    medals = [(e.medal_value, e.is_medal) for e in parsed if e.event_type == "medal"]
    assert medals == [
        (MEDAL_FILM_CODES[e["name_id"]], True) for e in events if e["type"] == "medal"
    ]


def test_real_capture_still_parses(halo_fixtures) -> None:
    """Sanity: spnkr reads the real highlight chunk the README pairs with match_stats.json."""
    data = (halo_fixtures / "film" / "highlight_events.gzip").read_bytes()
    assert list(highlight_events.read(data, 41))
