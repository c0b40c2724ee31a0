"""Helpers (durations, timestamps, xuids) and the mode category table."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from levelup_pipeline.transform import modes
from levelup_pipeline.transform._common import (
    as_float,
    as_int,
    dig,
    normalize_xuid,
    parse_duration,
    parse_timestamp,
)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("PT9M9.4211615S", 549.4211615),
        ("PT35.6S", 35.6),
        ("PT1H2M3S", 3723.0),
        ("P1DT1S", 86401.0),
        ("PT0S", 0.0),
        ("", None),
        ("PT", None),
        ("9 minutes", None),
        (None, None),
        (12, None),
    ],
)
def test_parse_duration(text, seconds) -> None:
    result = parse_duration(text)
    assert result == (pytest.approx(seconds) if seconds is not None else None)


def test_parse_timestamp() -> None:
    assert parse_timestamp("2025-01-29T04:07:25.964Z") == datetime(
        2025, 1, 29, 4, 7, 25, 964000, tzinfo=UTC
    )
    assert parse_timestamp("2025-01-29T04:07:25.1234567Z").microsecond == 123456
    assert parse_timestamp("2025-01-29T05:07:25+01:00") == datetime(
        2025, 1, 29, 4, 7, 25, tzinfo=UTC
    )
    assert parse_timestamp("yesterday") is None
    assert parse_timestamp(None) is None


def test_normalize_xuid() -> None:
    assert normalize_xuid("xuid(2535445291321133)") == "2535445291321133"
    assert normalize_xuid("2535445291321133") == "2535445291321133"
    assert normalize_xuid(2535445291321133) == "2535445291321133"
    assert normalize_xuid("bid(58.0)") is None
    assert normalize_xuid("xuid(١٢٣)") is None  # non-ASCII digits
    assert normalize_xuid(True) is None and normalize_xuid(0) is None


def test_scalars_and_dig() -> None:
    assert as_int(True) is None and as_int("7") == 7 and as_int(float("inf")) is None
    assert as_float("1.5") == 1.5 and as_float(float("nan")) is None and as_float([]) is None
    assert dig({"a": {"b": 1}}, "a", "b") == 1
    assert dig({"a": {"c": 1}}, "a", "b") is None
    assert dig({"a": "str"}, "a", "b") is None


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((6, 3, True), "Slayer"),
        ((6, 3, False), "FFA"),
        ((9, 3, True), "Slayer"),  # Fiesta
        ((15, 3, True), "CTF"),
        ((18, 3, True), "Oddball"),
        ((11, 3, True), "Strongholds"),
        ((13, 3, True), "KOTH"),
        ((14, 3, True), "Total Control"),
        ((17, 3, True), "Extraction"),
        ((8, 3, True), "Elimination"),
        ((7, 3, True), "Elimination"),  # Attrition
        ((19, 3, True), "Stockpile"),
        ((22, 3, True), "Infection"),
        ((42, 3, True), "Firefight"),
        ((6, 1, True), "Custom"),
        ((6, 7, True), "Custom"),
        ((27, 3, True, "Arena:VIP"), "VIP"),
        ((13, 3, True, "Firefight:King of the Hill"), "Firefight"),
        ((27, 3, True, "Prototype Zones"), "Strongholds"),
        ((27, 3, False, "Quick Slayer"), "FFA"),
        ((None, None, None), "Other"),
        ((12345, 3, True), "Other"),
    ],
)
def test_mode_category(args, expected) -> None:
    assert modes.mode_category(*args) == expected


def test_pve_interaction_is_firefight() -> None:
    assert modes.mode_category(13, 3, True, gameplay_interaction=2) == "Firefight"


def test_lifecycle_label() -> None:
    assert [modes.lifecycle_label(v) for v in (1, 3, 7, 5, None)] == [
        "custom",
        "matchmaking",
        "local",
        None,
        None,
    ]
