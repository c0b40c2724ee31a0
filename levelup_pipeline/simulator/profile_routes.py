"""The profile service: batch lookups by XUID and single lookups (me, gamertag, XUID)."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from levelup_pipeline.simulator.routes import (
    PROFILE,
    Route,
    Service,
    json_response,
    not_found,
    route,
)
from levelup_pipeline.simulator.world import unwrap


class ProfileService(Service):
    """Handlers of profile.svc."""

    def routes(self) -> list[Route]:
        """`/users?xuids=...` then `/users/{spec}`."""
        return [
            route(PROFILE, r"/users", "users", self.users),
            route(PROFILE, r"/users/(?P<spec>[^/]+)", "users", self.user),
        ]

    def _profile(self, xuid: int) -> dict[str, Any] | None:
        """A user body like get_user.json, or None when the XUID has no known gamertag."""
        gamertag = self.world.gamertag_of(xuid)
        if gamertag is None:
            return None
        base = f"https://images-eds-ssl.xboxlive.com/image?url=sim{xuid}&format=png"
        return {
            "xuid": str(xuid),
            "gamertag": gamertag,
            "gamerpic": {
                "small": f"{base}&w=64&h=64",
                "medium": f"{base}&w=208&h=208",
                "large": f"{base}&w=424&h=424",
                "xlarge": base,
            },
        }

    async def users(self, request: web.Request, match: re.Match) -> web.Response:
        """Batch lookup by XUID; unknown ids are left out."""
        out = []
        for raw in request.query.getall("xuids", []):
            text = raw.strip()
            xuid = unwrap(text) if text.startswith("xuid(") else None
            if text.isdigit():
                xuid = int(text)
            profile = self._profile(xuid) if xuid is not None else None
            if profile:
                out.append(profile)
        return json_response(out)

    async def user(self, request: web.Request, match: re.Match) -> web.Response:
        """`/users/me`, `/users/gt(X)`, `/users/xuid(N)`."""
        spec = match["spec"]
        xuid: int | None = None
        if spec == "me":
            xuid = self.world.players[0].xuid if self.world.players else None
        elif spec.startswith("gt(") and spec.endswith(")"):
            found = self.world.find_player(spec[3:-1])
            xuid = found
        elif spec.startswith("xuid("):
            xuid = unwrap(spec)
        profile = self._profile(xuid) if xuid is not None else None
        return json_response(profile) if profile else not_found()
