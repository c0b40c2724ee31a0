"""Rows of the original LevelUp's files -> rows of this project's imported_* tables (pure).

The original wrote two layouts (../shared/legacy/LEVELUP_LAYOUTS.md): per-player DuckDB "v4"
files and, before them, SQLite files with its own tables beside OpenSpartan Workshop's. Both
name the same facts differently (`avg_life_seconds` / `average_life_seconds`, `team_id` /
`last_team_id`, `EventType` / `event_type`...), and both carry the original's defects. Each
function here takes one legacy row (a dict, column name -> value) and returns the imported
row, or a reason why the row cannot be trusted; NULL stays NULL (the gap filling completes
what the API still serves), nothing is guessed.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from levelup_pipeline.transform._common import as_float, as_int, normalize_xuid, parse_timestamp
from levelup_pipeline.transform.highlights import clean_gamertag, known_event_type, medal_name_of

#: The original's medal ids were 32-bit signed integers: ids above this never made it in,
#: and a negative id is one that wrapped around - cut, so it cannot be trusted.
INT32_MAX = 2**31 - 1
_MATCH_ID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

# Skip reasons (shown by --dry-run).
NO_MATCH_ID = "no valid match id"
NO_XUID = "no valid XUID"
NO_GAMERTAG = "no readable gamertag"
CUT_MEDAL_ID = "medal id cut at 32 bits (negative: it wrapped), cannot be trusted"
NO_MEDAL_ID = "no medal id"
NO_AWARD_NAME = "no award name"
UNREADABLE_EVENTS = "unreadable events JSON"

# imported_match_stats column -> the legacy column names that hold it (v4 first, then SQLite).
MATCH_COLUMNS: dict[str, tuple[str, ...]] = {
    "playlist_id": ("playlist_id",),
    "playlist_name": ("playlist_name",),
    "map_id": ("map_id",),
    "map_name": ("map_name",),
    "map_mode_pair_id": ("pair_id",),
    "map_mode_pair_name": ("pair_name",),
    "game_variant_id": ("game_variant_id",),
    "game_variant_name": ("game_variant_name",),
    "legacy_session_id": ("session_id",),
    "legacy_session_label": ("session_label",),
}
INT_COLUMNS: dict[str, tuple[str, ...]] = {
    "team_id": ("team_id", "last_team_id"),
    "rank": ("rank",),
    "outcome": ("outcome",),
    "kills": ("kills",),
    "deaths": ("deaths",),
    "assists": ("assists",),
    "shots_fired": ("shots_fired",),
    "shots_hit": ("shots_hit",),
    "damage_dealt": ("damage_dealt",),
    "damage_taken": ("damage_taken",),
    "headshot_kills": ("headshot_kills",),
    "melee_kills": ("melee_kills",),
    "grenade_kills": ("grenade_kills",),
    "power_weapon_kills": ("power_weapon_kills",),
    "max_killing_spree": ("max_killing_spree",),
    "score": ("score",),
    "personal_score": ("personal_score",),
    "team_score": ("my_team_score",),
    "enemy_team_score": ("enemy_team_score",),
}
FLOAT_COLUMNS: dict[str, tuple[str, ...]] = {
    "accuracy": ("accuracy",),
    "time_played_seconds": ("time_played_seconds",),
    "average_life_seconds": ("avg_life_seconds", "average_life_seconds"),
}
BOOL_COLUMNS: dict[str, tuple[str, ...]] = {
    "is_ranked": ("is_ranked",),
    "left_early": ("left_early",),
}
# Every variant of a highlight event's keys the original's writers used.
EVENT_KEYS: dict[str, tuple[str, ...]] = {
    "event_type": ("event_type", "EventType"),
    "time_ms": ("time_ms", "TimestampMs", "TimeMs"),
    "xuid": ("xuid", "Xuid"),
    "gamertag": ("gamertag", "Gamertag"),
    "type_hint": ("type_hint", "TypeHint"),
    "is_medal": ("is_medal", "IsMedal"),
    "medal_value": ("medal_value", "MedalValue"),
    "medal_name": ("medal_name", "MedalName"),
}


def _first(row: dict[str, Any], names: tuple[str, ...]) -> Any:
    for name in names:
        if row.get(name) is not None:
            return row[name]
    return None


def match_id_of(value: Any) -> str | None:
    """A match id (a GUID, lower-cased as the API writes it), or None."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if not isinstance(value, str):
        return None
    text = value.strip().strip("{}").lower()
    return text if _MATCH_ID_RE.match(text) else None


def legacy_bool(value: Any) -> bool | None:
    """SQLite keeps booleans as 0/1; DuckDB as booleans; NULL stays NULL."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("0", "1", "true", "false"):
        return value.strip().lower() in ("1", "true")
    return None


def legacy_time(value: Any) -> dt.datetime | None:
    """A timestamp as the original stored it (naive = UTC, or ISO text) -> aware UTC."""
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, str):
        parsed = parse_timestamp(value.strip().replace(" ", "T", 1))
        if parsed is not None:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    return None


def decode_gamertag(value: Any) -> str | None:
    """A gamertag however the original stored it: text with control characters, UTF-16
    bytes (a BLOB, a list of byte values, or text whose every other character is NUL, with
    or without a byte-order mark); cleaned like a film's gamertag (cut at the first NUL)."""
    if isinstance(value, list) and all(isinstance(b, int) and 0 <= b < 256 for b in value):
        value = bytes(value)
    if isinstance(value, bytes | bytearray | memoryview):
        value = _decode_bytes(bytes(value))
    if not isinstance(value, str):
        return None
    return clean_gamertag(_utf16_text(value).replace("\ufeff", ""))  # byte-order marks too


def _decode_bytes(data: bytes) -> str:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16", errors="replace")
    if len(data) >= 2 and data[1::2].strip(b"\x00") == b"" and data[0::2].strip(b"\x00"):
        return data.decode("utf-16-le", errors="replace")
    if len(data) >= 2 and data[0::2].strip(b"\x00") == b"" and data[1::2].strip(b"\x00"):
        return data.decode("utf-16-be", errors="replace")
    return data.decode("utf-8", errors="replace")


def _utf16_text(text: str) -> str:
    """UTF-16 bytes that were read as 8-bit text ('G\\x00a\\x00...', 'ÿþG\\x00...') -> text."""
    if text[:2] in ("\xff\xfe", "\xfe\xff"):
        return _decode_bytes(text.encode("latin-1", errors="replace"))
    body = text.rstrip("\x00")
    if len(body) >= 3 and all(ord(c) < 256 for c in text):
        low, high = text[0::2].rstrip("\x00"), text[1::2].rstrip("\x00")
        if high == "" and "\x00" not in low or low == "" and "\x00" not in high:
            return _decode_bytes(text.encode("latin-1"))
    return text


def _legacy_json(row: dict[str, Any]) -> str:
    return json.dumps(row, default=_json_default, separators=(",", ":"), ensure_ascii=False)


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    return str(value)


def match_row(row: dict[str, Any]) -> tuple[dict[str, Any] | None, str | None]:
    """A v4 match_stats / SQLite MatchCache row -> an imported_match_stats row (or a reason)."""
    match_id = match_id_of(row.get("match_id"))
    if match_id is None:
        return None, NO_MATCH_ID
    out: dict[str, Any] = {"match_id": match_id, "start_time": legacy_time(row.get("start_time"))}
    for column, names in MATCH_COLUMNS.items():
        value = _first(row, names)
        out[column] = None if value is None or value == "" else str(value)
    for column, names in INT_COLUMNS.items():
        out[column] = as_int(_first(row, names))
    for column, names in FLOAT_COLUMNS.items():
        out[column] = as_float(_first(row, names))
    for column, names in BOOL_COLUMNS.items():
        out[column] = legacy_bool(_first(row, names))
    out["legacy_row"] = _legacy_json(row)
    return out, None


def skill_row(row: dict[str, Any], player_xuid: str) -> tuple[dict[str, Any] | None, str | None]:
    """A v4 player_match_stats row (or a match row's MMR) -> imported_player_match_stats."""
    match_id = match_id_of(row.get("match_id"))
    if match_id is None:
        return None, NO_MATCH_ID
    out = {
        "match_id": match_id,
        "xuid": normalize_xuid(row.get("xuid")) or player_xuid,
        "team_id": as_int(_first(row, ("team_id", "last_team_id"))),
        "team_mmr": as_float(row.get("team_mmr")),
        "enemy_mmr": as_float(row.get("enemy_mmr")),
        "expected_kills": as_float(row.get("kills_expected")),
        "stddev_kills": as_float(row.get("kills_stddev")),
        "expected_deaths": as_float(row.get("deaths_expected")),
        "stddev_deaths": as_float(row.get("deaths_stddev")),
        "legacy_row": _legacy_json(row),
    }
    return out, None


def has_skill(row: dict[str, Any]) -> bool:
    """True when a skill row carries a skill value (MMR or expectations): a row of NULLs, or
    with only a team id, imports nothing."""
    return any(row[k] is not None for k in row if k not in _NOT_SKILL)


_NOT_SKILL = ("match_id", "xuid", "team_id", "legacy_row")


def medal_row(row: dict[str, Any]) -> tuple[dict[str, Any] | None, str | None]:
    """A v4 medals_earned row -> imported_medals; a cut (negative) id is refused."""
    match_id = match_id_of(row.get("match_id"))
    if match_id is None:
        return None, NO_MATCH_ID
    name_id = as_int(row.get("medal_name_id"))
    if name_id is None or name_id == 0:
        return None, NO_MEDAL_ID
    if name_id < 0 or name_id > INT32_MAX:
        return None, CUT_MEDAL_ID
    out = {
        "match_id": match_id,
        "name_id": name_id,
        "count": as_int(row.get("count")),
        "legacy_row": _legacy_json(row),
    }
    return out, None


def personal_score_row(row: dict[str, Any]) -> tuple[dict[str, Any] | None, str | None]:
    """A v4 personal_score_awards row -> imported_personal_scores (kept, not folded)."""
    match_id = match_id_of(row.get("match_id"))
    if match_id is None:
        return None, NO_MATCH_ID
    name = row.get("award_name")
    if not isinstance(name, str) or not name.strip():
        return None, NO_AWARD_NAME
    out = {
        "match_id": match_id,
        "award_name": name.strip(),
        "award_category": row.get("award_category"),
        "count": as_int(row.get("award_count")),
        "points": as_int(row.get("award_score")),
        "legacy_row": _legacy_json(row),
    }
    return out, None


def event_row(match_id: str, index: int, event: dict[str, Any], text: str) -> dict[str, Any]:
    """One highlight event (any key variant) -> an imported_highlight_events row."""
    values = {column: _first(event, names) for column, names in EVENT_KEYS.items()}
    return {
        "match_id": match_id,
        "event_index": index,
        "event_type": known_event_type(values["event_type"]),
        "time_ms": as_int(values["time_ms"]),
        "xuid": normalize_xuid(values["xuid"]),
        "gamertag": decode_gamertag(values["gamertag"]),
        "type_hint": as_int(values["type_hint"]),
        "is_medal": legacy_bool(values["is_medal"]),
        "medal_value": as_int(values["medal_value"]),
        "medal_name": medal_name_of(values["medal_name"]),
        "legacy_row": text,
    }


def v4_event(row: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """A v4 highlight_events row -> (the event as a dict, its JSON text). The typed columns
    are what the original parsed; its raw_json may hold more (medal fields), and the typed
    columns win where both have a value."""
    extra: dict[str, Any] = {}
    text = row.get("raw_json")
    if isinstance(text, str):
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            extra = parsed
    typed = {k: row.get(k) for k in ("event_type", "time_ms", "xuid", "gamertag", "type_hint")}
    merged = {**extra, **{k: v for k, v in typed.items() if v is not None}}
    return merged, text if isinstance(text, str) else _legacy_json(row)


def sqlite_events(body: Any) -> list[dict[str, Any]] | None:
    """A HighlightEvents.ResponseBody: a JSON list of events, or one event object."""
    if isinstance(body, bytes):
        body = body.decode("utf-8", errors="replace")
    try:
        parsed = json.loads(body) if isinstance(body, str) else body
    except ValueError:
        return None
    if isinstance(parsed, dict):
        for key in ("events", "Events", "HighlightEvents", "Value"):
            if isinstance(parsed.get(key), list):
                parsed = parsed[key]
                break
        else:
            parsed = [parsed]
    if not isinstance(parsed, list):
        return None
    return [e for e in parsed if isinstance(e, dict)]


def alias_row(
    xuid: Any, gamertag: Any, seen: Any, table: str
) -> tuple[dict[str, Any] | None, str | None]:
    """One (xuid, gamertag) sighting of any legacy table -> an imported_aliases row."""
    bare = normalize_xuid(xuid)
    if bare is None:
        return None, NO_XUID
    name = decode_gamertag(gamertag)
    if name is None:
        return None, NO_GAMERTAG
    return {
        "xuid": bare,
        "gamertag": name,
        "last_seen": legacy_time(seen),
        "legacy_table": table,
    }, None
