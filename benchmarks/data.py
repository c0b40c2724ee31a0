"""Benchmark data: long synthetic histories, made fast.

The synthetic generator (`simulator/synthetic.py`) plays a few hundred distinct matches; older
copies of them (new match id, start/end shifted back in time) extend one player's history to
any length in a second or two. Raw rows for the store are built straight from the world (the
stats body, the skill answer the simulator would send, the highlight events its film would
decode to), so ingestion benchmarks make zero API calls.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from spnkr.film.medals import MEDALS

from levelup_pipeline.simulator import film
from levelup_pipeline.simulator.api_formats import iso_time
from levelup_pipeline.simulator.synthetic import build_synthetic_world
from levelup_pipeline.simulator.world import World, parse_time, wrap
from levelup_pipeline.store.raw_writes import RawMatch

DISTINCT_MATCHES = 400
_CLONE_NS = uuid.UUID("0f6c3c4e-5d4b-4b8e-9a51-6c1f1d2e3b7a")
_HINTS = {"kill": film.KILL, "death": film.DEATH, "mode": film.MODE}


def history_world(matches: int, seed: int = 7, distinct: int = DISTINCT_MATCHES) -> World:
    """A world whose first player has exactly `matches` matches (all lifecycle types)."""
    world = build_synthetic_world(seed=seed, players=1, matches=min(matches, distinct))
    xuid = world.players[0].xuid
    base = world.match_ids_of(xuid)  # newest first
    if len(base) >= matches:
        for match_id in base[matches:]:
            _forget(world, xuid, match_id)
        return world
    starts = [parse_time(world.matches[m]["MatchInfo"]["StartTime"]) for m in base]
    span = max(starts) - min(starts) + dt.timedelta(days=1)
    needed = matches - len(base)
    replica = 0
    while needed > 0:
        replica += 1
        shift = span * replica
        for match_id in base[:needed]:
            _clone(world, match_id, replica, shift)
        needed -= min(needed, len(base))
    return world


def _forget(world: World, xuid: int, match_id: str) -> None:
    """Drop a match from a player's history (keeps the world's other indexes simple)."""
    with world.lock:
        world._index[xuid] = [e for e in world._index[xuid] if e[1] != match_id]
        world.matches.pop(match_id, None)


def _clone(world: World, match_id: str, replica: int, shift: dt.timedelta) -> str:
    """An older copy of a match: new id, same players and stats, times moved back by `shift`."""
    body = world.matches[match_id]
    info = body["MatchInfo"]
    new_id = str(uuid.uuid5(_CLONE_NS, f"{match_id}:{replica}"))
    moved = {
        **info,
        "StartTime": iso_time(parse_time(info["StartTime"]) - shift),
        "EndTime": iso_time(parse_time(info["EndTime"]) - shift),
    }
    world.add_match({**body, "MatchId": new_id, "MatchInfo": moved})
    world.film_versions[new_id] = world.film_versions[match_id]
    if match_id in world.skill:
        world.skill[new_id] = world.skill[match_id]
    return new_id


def highlight_dicts(world: World, match_id: str) -> list[dict[str, Any]]:
    """The events the client would store for a match (spnkr HighlightEvent fields)."""
    names = dict(world.gamertags)
    names.update({p.xuid: p.gamertag for p in world.players})
    out = []
    for event in film.events_for_match(world.matches[match_id], names):
        is_medal = event["type"] == "medal"
        value = event.get("medal_value", 0) if is_medal else 0
        out.append(
            {
                "xuid": event["xuid"],
                "gamertag": event["gamertag"][:16],
                "type_hint": film.sorting_weight(event["name_id"])
                if is_medal and "name_id" in event
                else _HINTS.get(event["type"], 100),
                "is_medal": is_medal,
                "event_type": event["type"],
                "time_ms": event["time_ms"],
                "medal_value": value,
                "medal_name": MEDALS.get(value) if is_medal else None,
            }
        )
    return out


def skill_body(world: World, match_id: str, xuid: int) -> dict[str, Any] | None:
    """The skill answer the simulator sends for one player, or None (custom games)."""
    results = world.skill.get(match_id)
    if not results or xuid not in results:
        return None
    return {"Value": [{"Id": wrap(xuid), "ResultCode": 0, "Result": results[xuid]}]}


def raw_matches(world: World, xuid: int, limit: int | None = None) -> list[RawMatch]:
    """Raw rows for every match of a player (newest first), as a full sync would store them."""
    fetched = dt.datetime.now(dt.UTC)
    out = []
    for match_id in world.match_ids_of(xuid)[:limit]:
        skill = skill_body(world, match_id, xuid)
        out.append(
            RawMatch(
                match_id=match_id,
                stats=world.matches[match_id],
                skill=skill,
                highlights=highlight_dicts(world, match_id),
                skill_status="ok" if skill is not None else "missing",
                film_status="ok",
                fetched_at=fetched,
            )
        )
    return out


class IndexedHistoryWorld(World):
    """A World whose history pages are served from a cached list (invalidated on writes).

    The simulator rebuilds a player's whole history for every 25-result page, which is
    O(history) per page and would make a 10,000-match sync measure the simulator, not LevelUp.
    """

    _history_cache: dict[tuple[int, str], list[dict[str, Any]]]

    def history(self, player_xuid: int, match_type: str = "all") -> list[dict[str, Any]]:
        """Same results as World.history, computed once per (player, type)."""
        cache = self.__dict__.setdefault("_history_cache", {})
        key = (player_xuid, match_type.lower())
        if key not in cache:
            cache[key] = super().history(player_xuid, match_type)
        return cache[key]

    def add_match(self, body: dict[str, Any], raw: bytes | None = None) -> str:
        """Register a match and forget the cached pages."""
        self.__dict__.pop("_history_cache", None)
        return super().add_match(body, raw)


def indexed(world: World) -> IndexedHistoryWorld:
    """The same world object, with cached history pages."""
    world.__class__ = IndexedHistoryWorld
    return world  # type: ignore[return-value]
