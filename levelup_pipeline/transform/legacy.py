"""The original LevelUp's rows -> imported_* rows: (row, None) or (None, why), nothing guessed."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from typing import Any

from levelup_pipeline.transform._common import (
    as_float,
    as_int,
    normalize_xuid,
    parse_timestamp,
)
from levelup_pipeline.transform.highlights import clean_gamertag, known_event_type, medal_name_of
from levelup_pipeline.transform.match_stats import parse_json  # stored JSON; None if it is not

Row = dict[str, Any]
Converted = tuple[Row | None, str | None]
Columns = dict[str, tuple[Callable[[Any], Any], tuple[str, ...]]]

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


def match_id_of(value: Any) -> str | None:
    """A match id (a GUID, lower-cased as the API writes it), or None."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if not isinstance(value, str):
        return None
    text = value.strip().strip("{}").lower()
    return text if _MATCH_ID_RE.match(text) else None


def legacy_bool(value: Any) -> bool | None:
    """SQLite keeps booleans as 0/1 or text; NULL stays NULL."""
    if isinstance(value, str):
        value = {"0": False, "1": True, "false": False, "true": True}.get(value.strip().lower())
    return bool(value) if isinstance(value, int | float) else None


def legacy_time(value: Any) -> dt.datetime | None:
    """A timestamp as the original stored it (naive = UTC, or ISO text) -> aware UTC."""
    if isinstance(value, str):
        value = parse_timestamp(value.strip().replace(" ", "T", 1))
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return None


def _text(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _name(value: Any) -> str | None:
    return (value.strip() or None) if isinstance(value, str) else None


def decode_gamertag(value: Any) -> str | None:
    """A gamertag however the original stored it (control characters, UTF-16 of any form)."""
    if isinstance(value, list) and all(isinstance(b, int) and 0 <= b < 256 for b in value):
        value = bytes(value)
    if isinstance(value, str) and _utf16_read_as_text(value):
        value = value.encode("latin-1")
    if isinstance(value, bytes | bytearray | memoryview):
        value = _decode_bytes(bytes(value))
    if not isinstance(value, str):
        return None
    return clean_gamertag(value.replace("\ufeff", ""))


def _decode_bytes(data: bytes) -> str:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16", errors="replace")
    if len(data) >= 2 and data[1::2].strip(b"\x00") == b"" and data[0::2].strip(b"\x00"):
        return data.decode("utf-16-le", errors="replace")
    if len(data) >= 2 and data[0::2].strip(b"\x00") == b"" and data[1::2].strip(b"\x00"):
        return data.decode("utf-16-be", errors="replace")
    return data.decode("utf-8", errors="replace")


def _utf16_read_as_text(text: str) -> bool:
    if not all(ord(c) < 256 for c in text):
        return False
    low, high = text[0::2].rstrip("\x00"), text[1::2].rstrip("\x00")
    alternating = high == "" and "\x00" not in low or low == "" and "\x00" not in high
    return text[:2] in ("\xff\xfe", "\xfe\xff") or len(text.rstrip("\x00")) >= 3 and alternating


def _columns(*groups: tuple[Callable[[Any], Any], str]) -> Columns:
    """(converter, "column column=legacy,other_legacy ...") -> {column: (converter, names)}."""
    out: Columns = {}
    for convert, spec in groups:
        for item in spec.split():
            column, _, names = item.partition("=")
            out[column] = (convert, tuple((names or column).split(",")))
    return out


MATCH_COLUMNS = _columns(
    (legacy_time, "start_time"),
    (_text, "playlist_id playlist_name map_id map_name game_variant_id game_variant_name"),
    (_text, "map_mode_pair_id=pair_id map_mode_pair_name=pair_name"),
    (_text, "legacy_session_id=session_id legacy_session_label=session_label"),
    (as_int, "team_id=team_id,last_team_id team_score=my_team_score rank outcome kills deaths"),
    (as_int, "assists shots_fired shots_hit damage_dealt damage_taken headshot_kills"),
    (as_int, "melee_kills grenade_kills power_weapon_kills max_killing_spree score"),
    (as_int, "personal_score enemy_team_score"),
    (as_float, "accuracy time_played_seconds"),
    (as_float, "average_life_seconds=avg_life_seconds,average_life_seconds"),
    (legacy_bool, "is_ranked left_early"),
)
SKILL_COLUMNS = _columns(
    (as_int, "team_id=team_id,last_team_id"),
    (as_float, "team_mmr enemy_mmr expected_kills=kills_expected stddev_kills=kills_stddev"),
    (as_float, "expected_deaths=deaths_expected stddev_deaths=deaths_stddev"),
)
MEDAL_COLUMNS = _columns((as_int, "name_id=medal_name_id count"))
SCORE_COLUMNS = _columns(
    (_name, "award_name"),
    (_text, "award_category"),
    (as_int, "count=award_count points=award_score"),
)
ALIAS_COLUMNS = _columns(
    (normalize_xuid, "xuid=xuid,teammate_xuid,opponent_xuid"),
    (decode_gamertag, "gamertag=gamertag,teammate_gamertag,opponent_gamertag"),
    (legacy_time, "last_seen=last_seen,last_played,last_encounter"),
)
EVENT_COLUMNS = _columns(
    (known_event_type, "event_type=event_type,EventType"),
    (as_int, "time_ms=time_ms,TimestampMs,TimeMs type_hint=type_hint,TypeHint"),
    (normalize_xuid, "xuid=xuid,Xuid"),
    (decode_gamertag, "gamertag=gamertag,Gamertag"),
    (legacy_bool, "is_medal=is_medal,IsMedal"),
    (as_int, "medal_value=medal_value,MedalValue"),
    (medal_name_of, "medal_name=medal_name,MedalName"),
)


def _convert(row: Row, columns: Columns) -> Row:
    out = {}
    for column, (convert, names) in columns.items():
        value = next((row[n] for n in names if row.get(n) is not None), None)
        out[column] = convert(value)
    return out


def _legacy_json(row: Row) -> str:
    return json.dumps(row, default=_json_default, separators=(",", ":"), ensure_ascii=False)


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    return str(value)


def _of_match(row: Row, columns: Columns) -> Converted:
    match_id = match_id_of(row.get("match_id"))
    if match_id is None:
        return None, NO_MATCH_ID
    return {"match_id": match_id, **_convert(row, columns), "legacy_row": _legacy_json(row)}, None


def match_row(row: Row) -> Converted:
    return _of_match(row, MATCH_COLUMNS)


def skill_row(row: Row, player_xuid: str) -> Converted:
    out, reason = _of_match(row, SKILL_COLUMNS)
    if out is not None:
        out["xuid"] = normalize_xuid(row.get("xuid")) or player_xuid
    return out, reason


def has_skill(row: Row) -> bool:
    """False for a row with only keys and a team id: it imports nothing."""
    return any(row[k] is not None for k in SKILL_COLUMNS if k != "team_id")


def medal_row(row: Row) -> Converted:
    """A medal id beyond 32 bits wrapped in the original: refused."""
    out, reason = _of_match(row, MEDAL_COLUMNS)
    if out is not None and not out["name_id"]:
        return None, NO_MEDAL_ID
    if out is not None and not 0 < out["name_id"] <= INT32_MAX:
        return None, CUT_MEDAL_ID
    return out, reason


def personal_score_row(row: Row) -> Converted:
    out, reason = _of_match(row, SCORE_COLUMNS)
    if out is not None and out["award_name"] is None:
        return None, NO_AWARD_NAME
    return out, reason


def event_row(match_id: str, index: int, event: Row, text: str) -> Row:
    return {
        "match_id": match_id,
        "event_index": index,
        **_convert(event, EVENT_COLUMNS),
        "legacy_row": text,
    }


def v4_event(row: Row) -> tuple[Row, str]:
    """(event, JSON text): the typed columns win over raw_json, which may hold more."""
    text = row.get("raw_json")
    extra = parse_json(text)
    typed = {k: row.get(k) for k in ("event_type", "time_ms", "xuid", "gamertag", "type_hint")}
    merged = dict(extra) if isinstance(extra, dict) else {}
    merged.update({k: v for k, v in typed.items() if v is not None})
    return merged, text if isinstance(text, str) else _legacy_json(row)


def sqlite_events(body: Any) -> list[Row] | None:
    """A HighlightEvents.ResponseBody: a JSON list of events, or one event object."""
    parsed = parse_json(body)
    if isinstance(parsed, dict):
        lists = [parsed.get(k) for k in ("events", "Events", "HighlightEvents", "Value")]
        parsed = next((v for v in lists if isinstance(v, list)), [parsed])
    if not isinstance(parsed, list):
        return None
    return [e for e in parsed if isinstance(e, dict)]


def alias_row(row: Row, table: str) -> Converted:
    out = {**_convert(row, ALIAS_COLUMNS), "legacy_table": table}
    if out["xuid"] is None:
        return None, NO_XUID
    return (None, NO_GAMERTAG) if out["gamertag"] is None else (out, None)
