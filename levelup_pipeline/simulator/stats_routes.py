"""The stats (halostats) and skill services: match history, counts, service records, match
stats, skill and playlist CSR."""

from __future__ import annotations

import re

from aiohttp import web

from levelup_pipeline.simulator import records
from levelup_pipeline.simulator.api_formats import csr_block
from levelup_pipeline.simulator.routes import (
    SKILL,
    STATS,
    Route,
    Service,
    json_response,
    not_found,
    route,
)
from levelup_pipeline.simulator.world import unwrap, wrap


class StatsService(Service):
    """Handlers of halostats.svc and skill.svc."""

    def routes(self) -> list[Route]:
        """History, counts, service records and stats, then skill and CSR."""
        P = r"(?P<player>[^/]+)"  # noqa: N806
        ID = r"(?P<id>[^/]+)"  # noqa: N806
        kinds = r"(?P<kind>matchmade|custom|local)"
        return [
            route(STATS, rf"/hi/players/{P}/matches", "match_history", self.history),
            route(STATS, rf"/hi/players/{P}/matches/count", "match_count", self.count),
            route(STATS, rf"/hi/players/{P}/{kinds}/servicerecord", "service_record", self.record),
            route(STATS, rf"/hi/matches/{ID}/stats", "match_stats", self.match_stats),
            route(SKILL, rf"/hi/matches/{ID}/skill", "match_skill", self.skill),
            route(SKILL, rf"/hi/playlist/{ID}/csrs", "playlist_csr", self.csr),
        ]

    def _player(self, match: re.Match) -> int | None:
        """XUID of the `{player}` path segment (gamertag or xuid(N))."""
        return self.world.find_player(match["player"])

    # ---- stats --------------------------------------------------------------------------
    async def history(self, request: web.Request, match: re.Match) -> web.Response:
        """A page of at most 25 results, newest first."""
        xuid = self._player(match)
        if xuid is None:
            return not_found()
        try:
            start = max(0, int(request.query.get("start", 0)))
            count = min(25, max(0, int(request.query.get("count", 25))))
        except ValueError:
            return web.Response(status=400)
        kind = request.query.get("type", "all")
        results = self.world.history(xuid, kind)[start : start + count]
        return json_response(
            {
                "Start": start,
                "Count": count,
                "ResultCount": len(results),
                "Results": results,
                "Links": {},
            }
        )

    async def count(self, request: web.Request, match: re.Match) -> web.Response:
        """Match counts per lifecycle."""
        xuid = self._player(match)
        return not_found() if xuid is None else json_response(records.match_count(self.world, xuid))

    async def record(self, request: web.Request, match: re.Match) -> web.Response:
        """Aggregated service record of a player."""
        xuid = self._player(match)
        if xuid is None:
            return not_found()
        return json_response(records.service_record(self.world, xuid, match["kind"]))

    async def match_stats(self, request: web.Request, match: re.Match) -> web.Response:
        """Match stats body (raw file bytes for replayed worlds)."""
        match_id = match["id"].lower()
        if match_id in self.knobs.missing_matches or match_id not in self.world.matches:
            return not_found()
        if match_id in self.knobs.malformed_matches:
            return web.Response(
                text='{"MatchId": "' + match_id + '", "MatchInfo": {"Sta',
                content_type="application/json",
            )
        raw = self.world.raw_matches.get(match_id)
        if raw is not None:
            return web.Response(body=raw, content_type="application/json")
        return json_response(self.world.matches[match_id])

    # ---- skill --------------------------------------------------------------------------
    async def skill(self, request: web.Request, match: re.Match) -> web.Response:
        """Skill results of the requested players present in the match."""
        match_id = match["id"].lower()
        if match_id in self.knobs.skill_failures:
            return web.Response(status=500)
        results = self.world.skill.get(match_id)
        raw = self.world.raw_skill.get(match_id)
        if match_id in self.knobs.missing_matches or (results is None and raw is None):
            return not_found()
        if raw is not None or results is None:
            return json_response(raw)
        wanted = [unwrap(p) for p in request.query.getall("players", [])]
        value = [
            {"Id": wrap(x), "ResultCode": 0, "Result": results[x]} for x in wanted if x in results
        ]
        return json_response({"Value": value})

    async def csr(self, request: web.Request, match: re.Match) -> web.Response:
        """Current / season max / all-time max CSR of players in a playlist."""
        known = self.world.playlist_csr.get(match["id"].lower(), {})
        value = []
        for player in request.query.getall("players", []):
            xuid = unwrap(player)
            if xuid is None:
                continue
            entry = known.get(xuid)
            current = entry["current"] if entry else -1
            best = entry["max"] if entry else -1
            value.append(
                {
                    "Id": wrap(xuid),
                    "ResultCode": 0,
                    "Result": {
                        "Current": csr_block(current),
                        "SeasonMax": csr_block(best),
                        "AllTimeMax": csr_block(best),
                    },
                }
            )
        return json_response({"Value": value})
