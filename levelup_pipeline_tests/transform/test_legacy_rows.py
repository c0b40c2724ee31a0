"""The original LevelUp's rows -> imported rows: every defect of LEVELUP_LAYOUTS.md."""

from __future__ import annotations

import datetime as dt

import pytest

from levelup_pipeline.transform import legacy

MATCH = "0a4605d9-0a05-44ae-b8a9-4be2bbb15ffa"


@pytest.mark.parametrize(
    "stored",
    [
        "Spartan Kid",
        "Spartan Kid\x07",
        "\x1bSpartan Kid\x00\x00junk",
        "Spartan Kid".encode("utf-16-le"),  # a BLOB
        "\ufeffSpartan Kid".encode("utf-16"),  # with its byte-order mark
        "Spartan Kid".encode("utf-16-be"),
        "Spartan Kid".encode("utf-16-le").decode("latin-1"),  # the bytes read as text
        ("\ufeffSpartan Kid".encode("utf-16-le")).decode("latin-1"),
        list("Spartan Kid".encode("utf-16-le")),  # a JSON list of byte values
        b"Spartan Kid",
    ],
)
def test_gamertags_are_decoded_and_cleaned(stored):
    assert legacy.decode_gamertag(stored) == "Spartan Kid"


@pytest.mark.parametrize("stored", [None, "", "\x00\x00", "\x01\x02", 12, []])
def test_unreadable_gamertags_are_none(stored):
    assert legacy.decode_gamertag(stored) is None


def test_non_ascii_gamertag_kept():
    assert legacy.decode_gamertag("Éclair\x00") == "Éclair"
    assert legacy.decode_gamertag("Éclair".encode("utf-16")) == "Éclair"


@pytest.mark.parametrize(
    "medal_id,expected",
    [
        (622331684, (622331684, None)),
        (2**31 - 1, (2**31 - 1, None)),
        (3334154676 - 2**32, (None, legacy.CUT_MEDAL_ID)),  # wrapped: cannot be trusted
        (-1, (None, legacy.CUT_MEDAL_ID)),
        (0, (None, legacy.NO_MEDAL_ID)),
        (None, (None, legacy.NO_MEDAL_ID)),
    ],
)
def test_medal_ids_cut_at_32_bits_are_refused(medal_id, expected):
    row, reason = legacy.medal_row({"match_id": MATCH, "medal_name_id": medal_id, "count": 2})
    assert ((row or {}).get("name_id"), reason) == expected


@pytest.mark.parametrize(
    "event",
    [
        {"event_type": "kill", "time_ms": 1500, "xuid": "2533274800000001", "gamertag": "A B",
         "type_hint": 50},
        {"EventType": "kill", "TimestampMs": 1500, "Xuid": "xuid(2533274800000001)",
         "Gamertag": "A B\x01", "TypeHint": 50},
        {"EventType": "kill", "TimeMs": 1500, "Xuid": 2533274800000001,
         "Gamertag": "A B".encode("utf-16-le").decode("latin-1"), "TypeHint": "50"},
    ],
)  # fmt: skip
def test_every_event_key_variant(event):
    row = legacy.event_row(MATCH, 3, event, "{}")
    assert (row["event_type"], row["time_ms"], row["xuid"], row["gamertag"], row["type_hint"]) == (
        "kill",
        1500,
        "2533274800000001",
        "A B",
        50,
    )


def test_events_body_list_or_one_object_or_garbage():
    one = {"EventType": "death", "TimeMs": 5}
    assert legacy.sqlite_events('[{"event_type": "kill"}, 3]') == [{"event_type": "kill"}]
    assert legacy.sqlite_events('{"EventType": "death", "TimeMs": 5}') == [one]
    assert legacy.sqlite_events("{not json") is None
    assert legacy.sqlite_events(None) is None
    assert legacy.sqlite_events("[" * 100_000 + "]" * 100_000) is None  # too deep: unreadable


def test_match_rows_keep_null_and_map_both_layouts():
    v4, _ = legacy.match_row(
        {"match_id": MATCH.upper(), "start_time": dt.datetime(2024, 1, 2, 3, 4, 5),
         "team_id": 1, "avg_life_seconds": 12.5, "map_name": None, "team_mmr": None,
         "is_ranked": True, "pair_id": "p"}
    )  # fmt: skip
    sqlite, _ = legacy.match_row(
        {"match_id": MATCH, "start_time": "2024-01-02 03:04:05", "last_team_id": 1,
         "average_life_seconds": 12.5, "is_ranked": 1, "pair_id": "p"}
    )  # fmt: skip
    for row in (v4, sqlite):
        assert row["match_id"] == MATCH
        assert row["start_time"] == dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
        assert (row["team_id"], row["average_life_seconds"], row["is_ranked"]) == (1, 12.5, True)
        assert row["map_name"] is None and row["kills"] is None  # NULL stays NULL
        assert row["map_mode_pair_id"] == "p"
    assert legacy.match_row({"match_id": "garbage"}) == (None, legacy.NO_MATCH_ID)


def test_skill_rows_without_a_skill_value_import_nothing():
    row, _ = legacy.skill_row({"match_id": MATCH, "team_id": 1, "team_mmr": None}, "25")
    assert row["xuid"] == "25" and not legacy.has_skill(row)
    row, _ = legacy.skill_row({"match_id": MATCH, "enemy_mmr": 1400.5, "xuid": "xuid(7)"}, "25")
    assert row["xuid"] == "7" and legacy.has_skill(row) and row["team_mmr"] is None
