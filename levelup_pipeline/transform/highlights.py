"""Film highlight events (spnkr HighlightEvent dicts) -> highlight_events rows."""

from __future__ import annotations

import re
from typing import Any

from levelup_pipeline.transform._common import as_bool, as_int, normalize_xuid

HIGHLIGHT_EVENTS_COLUMNS: tuple[str, ...] = (
    "match_id",
    "event_index",
    "event_type",
    "time_ms",
    "xuid",
    "gamertag",
    "type_hint",
    "is_medal",
    "medal_value",
    "medal_name",
)
EVENT_TYPES = frozenset({"kill", "death", "medal", "mode"})
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")


def clean_gamertag(value: Any) -> str | None:
    """Film gamertags are fixed-width byte fields: cut at the first NUL, drop control chars."""
    if not isinstance(value, str):
        return None
    text = _CONTROL_RE.sub("", value.split("\x00", 1)[0]).strip()
    return text or None


def known_event_type(value: Any) -> str | None:
    """The event type, or None for one LevelUp does not know (or not a string at all)."""
    return value if isinstance(value, str) and value in EVENT_TYPES else None


def medal_name_of(value: Any) -> str | None:
    """A medal name, or None for a missing or empty one."""
    return value if isinstance(value, str) and value else None


def _event(event: Any) -> dict[str, Any] | None:
    if isinstance(event, dict):
        return event
    if hasattr(event, "_asdict"):  # a HighlightEvent NamedTuple straight from spnkr
        return event._asdict()
    return None


def highlight_event_rows(match_id: str, events: list[Any] | None) -> list[dict[str, Any]]:
    """One row per event; event_index is the position in the film (stable primary key)."""
    if not match_id or not isinstance(events, list):
        return []
    rows = []
    for index, raw in enumerate(events):
        event = _event(raw)
        if event is None:
            continue
        rows.append(
            {
                "match_id": match_id,
                "event_index": index,
                "event_type": known_event_type(event.get("event_type")),
                "time_ms": as_int(event.get("time_ms")),
                "xuid": normalize_xuid(event.get("xuid")),
                "gamertag": clean_gamertag(event.get("gamertag")),
                "type_hint": as_int(event.get("type_hint")),
                "is_medal": as_bool(event.get("is_medal")),
                "medal_value": as_int(event.get("medal_value")),
                "medal_name": medal_name_of(event.get("medal_name")),
            }
        )
    return rows
