"""Binary highlight-events film chunks that spnkr's film parser reads back exactly."""

from __future__ import annotations

import json
import random
import struct
import zlib
from importlib import resources
from typing import Any

from spnkr.models.refdata import MedalNameId

from levelup_pipeline.simulator.world import unwrap

MODE, DEATH, KILL = 10, 20, 50
_MARKER = b"\x00\x00\x2e\xe0"
_XUID_TAIL = b"\x2d\xc0"
_SKIP3 = b"\xff\xff\xff"
MEDAL_SORTING_WEIGHTS = (
    50,
    51,
    52,
    100,
    101,
    150,
    200,
    205,
    210,
    220,
    225,
    230,
    235,
    240,
    245,
    250,
)
"""Sorting weights spnkr accepts as a medal type hint (its `_MEDAL_SORTING_WEIGHTS`)."""


def _load_codes() -> dict[int, int]:
    """Medal NameId -> the byte the film stores, matched through the medal display name."""
    raw = (resources.files("spnkr.film") / "medal_codes.json").read_bytes()
    by_name = {name: int(code) for code, name in json.loads(raw).items()}
    out = {}
    for medal in MedalNameId:
        code = by_name.get(medal.display_name)
        if code is not None and code < 256:
            out[int(medal)] = code
    return out


MEDAL_FILM_CODES: dict[int, int] = _load_codes()
"""Medal NameId -> film medal byte, for every medal the film format can name."""


def sorting_weight(name_id: int) -> int:
    """A stable, parser-accepted sorting weight for a medal (also used in the medal metadata)."""
    return MEDAL_SORTING_WEIGHTS[name_id % len(MEDAL_SORTING_WEIGHTS)]


def _block(event: dict[str, Any], version: int) -> bytes:
    """The 60 bytes spnkr unpacks before each end marker, in the layout of `version`."""
    gamertag = event["gamertag"].encode("utf-16le")[:32].ljust(32, b"\x00")
    is_medal = event["type"] == "medal"
    hint = {"kill": KILL, "death": DEATH, "mode": MODE}.get(event["type"])
    if is_medal:
        hint = sorting_weight(event["name_id"]) if "name_id" in event else 100
    medal = event.get("medal_value", 0) if is_medal else 0
    # Bytes the parser skips are 0xFF, not 0x00: zero runs next to small timestamps could
    # otherwise spell the end marker at an unaligned bit offset (spnkr searches bit by bit).
    tail = struct.pack(">BI3sB3sB", hint, event["time_ms"], _SKIP3, int(is_medal), _SKIP3, medal)
    if 39 <= version <= 40:
        return b"\xff" * 12 + gamertag + _SKIP3 + tail
    return gamertag + b"\xff" * 15 + tail


def encode_highlight_events(events: list[dict[str, Any]], version: int) -> bytes:
    """Zlib-compressed highlight chunk: per event `xuid(le64) 2d c0 <60-byte block> 00 00 2e e0`.

    Each event is a dict with xuid, gamertag, type (kill/death/medal/mode), time_ms and, for
    medals, medal_value (film byte) and name_id; the layout follows spnkr's reader for `version`.
    """
    out = bytearray(b"\x00" * 16)
    for event in events:
        out += struct.pack("<Q", event["xuid"]) + _XUID_TAIL + _block(event, version) + _MARKER
        out += b"\x00" * 8
    return zlib.compress(bytes(out))


def events_for_match(
    body: dict[str, Any], gamertags: dict[int, str] | None = None, seed: int = 0
) -> list[dict[str, Any]]:
    """Kill, death and medal events of every human in a match, agreeing with its stats.

    As in real films, killing AI (firefight) leaves no kill event, so kills there are PvP only.
    """
    rng = random.Random(f"{body['MatchId']}:{seed}")
    info = body["MatchInfo"]
    length_ms = max(60_000, int(_seconds(info.get("PlayableDuration") or "PT10M") * 1000))
    events: list[dict[str, Any]] = []
    for player in body["Players"]:
        xuid = unwrap(player["PlayerId"])
        if xuid is None or player["PlayerType"] != 1:
            continue
        gamertag = (gamertags or {}).get(xuid) or f"Player{xuid % 10000}"
        for team_stats in player["PlayerTeamStats"]:
            stats = team_stats["Stats"]
            core = stats["CoreStats"]
            kills = stats.get("PvpStats", {}).get("Kills", core["Kills"])
            if info["GameVariantCategory"] == 42:
                kills = stats.get("PvpStats", {}).get("Kills", 0)
            kinds = [("kill", None)] * kills + [("death", None)] * core["Deaths"]
            for medal in core["Medals"]:
                kinds += [("medal", medal["NameId"])] * medal["Count"]
            for kind, name_id in kinds:
                event = {
                    "xuid": xuid,
                    "gamertag": gamertag,
                    "type": kind,
                    "time_ms": rng.randrange(1000, length_ms),
                }
                if name_id is not None:
                    event["name_id"] = name_id
                    event["medal_value"] = MEDAL_FILM_CODES.get(name_id, 0)
                events.append(event)
    events.sort(key=lambda e: e["time_ms"])
    return events


def _seconds(duration: str) -> float:
    """Seconds of an ISO-8601 duration like 'PT9M9.42S' or 'P1DT2H'."""
    total, number = 0.0, ""
    units = {"D": 86400, "H": 3600, "M": 60, "S": 1}
    for char in duration.replace("P", "").replace("T", ""):
        if char in units:
            total += float(number or 0) * units[char]
            number = ""
        else:
            number += char
    return total
