"""The rules on film highlight event values, shared by the film stage and legacy imports."""

from __future__ import annotations

import re
from typing import Any

from levelup_pipeline.transform._common import as_str

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


medal_name_of = as_str  # a missing or empty medal name is None
