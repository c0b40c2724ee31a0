"""In-memory data model of the simulated Halo world: players, matches and what hangs off them."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

LIFECYCLE_BY_TYPE: dict[str, int | None] = {
    "all": None,
    "matchmaking": 3,
    "custom": 1,
    "local": 7,
}
"""History `type` parameter -> MatchInfo.LifecycleMode (None = every mode)."""

UGC_KINDS = ("maps", "ugcGameVariants", "playlists", "mapModePairs")


@dataclass(frozen=True)
class SimPlayer:
    """A human player the simulator knows by name (has a profile and a history)."""

    gamertag: str
    xuid: int


def parse_time(value: str) -> dt.datetime:
    """Parse the API's ISO-8601 'Z' timestamps (used to order histories)."""
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def wrap(xuid: int) -> str:
    """Render an XUID the way the stats API names players: `xuid(N)`."""
    return f"xuid({xuid})"


def unwrap(player_id: str) -> int | None:
    """Extract the XUID of a `xuid(N)` player id; None for bots (`bid(..)`)."""
    if player_id.startswith("xuid(") and player_id.endswith(")"):
        return int(player_id[5:-1])
    return None


MatchGenerator = Callable[["World", int, "SimPlayer | None", "dt.datetime | None"], list[str]]


@dataclass
class World:
    """Everything the simulator serves; mutated at runtime by the admin endpoint (locked)."""

    players: list[SimPlayer] = field(default_factory=list)
    matches: dict[str, dict[str, Any]] = field(default_factory=dict)
    raw_matches: dict[str, bytes] = field(default_factory=dict)
    skill: dict[str, dict[int, dict[str, Any]]] = field(default_factory=dict)
    raw_skill: dict[str, dict[str, Any]] = field(default_factory=dict)
    highlight_events: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    film_versions: dict[str, int] = field(default_factory=dict)
    ugc: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)
    medal_metadata: dict[str, Any] | None = None
    playlist_csr: dict[str, dict[int, dict[str, Any]]] = field(default_factory=dict)
    gamertags: dict[int, str] = field(default_factory=dict)
    match_generator: MatchGenerator | None = None
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    _index: dict[int, list[tuple[dt.datetime, str]]] = field(default_factory=dict, repr=False)

    def add_match(self, body: dict[str, Any], raw: bytes | None = None) -> str:
        """Register one match stats body and index it under every human player's XUID."""
        with self.lock:
            match_id = str(body["MatchId"])
            self.matches[match_id] = body
            if raw is not None:
                self.raw_matches[match_id] = raw
            start = parse_time(body["MatchInfo"]["StartTime"])
            for player in body["Players"]:
                xuid = unwrap(player["PlayerId"])
                if xuid is not None:
                    entries = self._index.setdefault(xuid, [])
                    entries.append((start, match_id))
                    entries.sort(reverse=True)
            return match_id

    def find_player(self, gamertag_or_xuid: str | int) -> int | None:
        """Resolve a gamertag (case-insensitive), `xuid(N)` or bare XUID to a known XUID."""
        text = str(gamertag_or_xuid).strip()
        if text.lower().startswith("xuid(") and text.endswith(")"):
            text = text[5:-1]
        with self.lock:
            if text.isdigit():
                xuid = int(text)
                known = xuid in self._index or xuid in self.gamertags
                return xuid if known or any(p.xuid == xuid for p in self.players) else None
            lowered = text.lower()
            for player in self.players:
                if player.gamertag.lower() == lowered:
                    return player.xuid
            for xuid, gamertag in self.gamertags.items():
                if gamertag.lower() == lowered:
                    return xuid
        return None

    def gamertag_of(self, xuid: int) -> str | None:
        """Known gamertag of an XUID (named players first, then lobby members)."""
        for player in self.players:
            if player.xuid == xuid:
                return player.gamertag
        return self.gamertags.get(xuid)

    def match_ids_of(self, xuid: int) -> list[str]:
        """Every match id of a player, newest first."""
        with self.lock:
            return [match_id for _, match_id in self._index.get(xuid, [])]

    def history(self, player_xuid: int, match_type: str = "all") -> list[dict[str, Any]]:
        """History results of a player, newest first, as the stats API pages them."""
        lifecycle = LIFECYCLE_BY_TYPE.get(match_type.lower())
        out = []
        for match_id in self.match_ids_of(player_xuid):
            body = self.matches[match_id]
            info = body["MatchInfo"]
            if lifecycle is not None and info.get("LifecycleMode") != lifecycle:
                continue
            entry = next(p for p in body["Players"] if unwrap(p["PlayerId"]) == player_xuid)
            out.append(
                {
                    "MatchId": body["MatchId"],
                    "MatchInfo": info,
                    "LastTeamId": entry["LastTeamId"],
                    "Outcome": entry["Outcome"],
                    "Rank": entry["Rank"],
                    "PresentAtEndOfMatch": entry["ParticipationInfo"]["PresentAtCompletion"],
                }
            )
        return out

    def latest_start(self) -> dt.datetime | None:
        """Start time of the newest match, so new matches can be placed after it."""
        with self.lock:
            starts = [parse_time(m["MatchInfo"]["StartTime"]) for m in self.matches.values()]
        return max(starts) if starts else None

    def add_matches(
        self, n: int, gamertag: str | None = None, now: dt.datetime | None = None
    ) -> list[str]:
        """Play `n` new matches, newer than everything, so a delta sync has work to find."""
        if self.match_generator is None:
            raise RuntimeError("this world cannot generate matches (replayed from a directory)")
        player = None
        if gamertag is not None:
            xuid = self.find_player(gamertag)
            player = next((p for p in self.players if p.xuid == xuid), None)
            if player is None:
                raise KeyError(f"unknown player {gamertag!r}")
        with self.lock:
            return self.match_generator(self, n, player, now)
