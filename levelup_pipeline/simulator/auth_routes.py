"""The sign-in chain: Windows Live OAuth, Xbox user token, XSTS, spartan token, clearance."""

from __future__ import annotations

import datetime as dt
import re
import uuid

from aiohttp import web

from levelup_pipeline.simulator.routes import (
    AUTH,
    LOGIN,
    SETTINGS,
    USER_AUTH,
    XSTS,
    Route,
    Service,
    json_response,
    route,
)


class AuthService(Service):
    """Handlers of the sign-in hosts (never rate limited, no spartan token needed)."""

    def routes(self) -> list[Route]:
        """The chain in the order a client walks it."""
        clearance = r"/oban/flight-configurations/titles/hi/audiences/RETAIL/active"
        return [
            route(LOGIN, r"/oauth20_token\.srf", AUTH, self.oauth, "POST"),
            route(USER_AUTH, r"/user/authenticate", AUTH, self.user_token, "POST"),
            route(XSTS, r"/xsts/authorize", AUTH, self.xsts, "POST"),
            route(SETTINGS, r"/spartan-token", AUTH, self.spartan, "POST"),
            route(SETTINGS, clearance, AUTH, self.clearance),
        ]

    async def oauth(self, request: web.Request, match: re.Match) -> web.Response:
        """Windows Live token endpoint (refresh_token or authorization_code grants)."""
        form = await request.post()
        grant = form.get("grant_type")
        revoked = self.knobs.revoked_refresh_tokens
        if grant == "refresh_token" and form.get("refresh_token") in revoked:
            return json_response(
                {
                    "error": "invalid_grant",
                    "error_description": "The refresh token has been revoked.",
                },
                400,
            )
        if grant not in ("refresh_token", "authorization_code"):
            return json_response({"error": "unsupported_grant_type"}, 400)
        return json_response(
            {
                "token_type": "bearer",
                "expires_in": 3600,
                "scope": "Xboxlive.signin Xboxlive.offline_access",
                "access_token": f"sim-at-{uuid.uuid4().hex}",
                "refresh_token": f"sim-rt-{uuid.uuid4().hex}",
                "user_id": "sim-user-0001",
            }
        )

    def _times(self, hours: float) -> dict[str, str]:
        """IssueInstant / NotAfter pair."""
        now = dt.datetime.now(dt.UTC)
        return {
            "IssueInstant": now.isoformat().replace("+00:00", "Z"),
            "NotAfter": (now + dt.timedelta(hours=hours)).isoformat().replace("+00:00", "Z"),
        }

    async def user_token(self, request: web.Request, match: re.Match) -> web.Response:
        """Xbox Live user token."""
        return json_response(
            {
                **self._times(16),
                "Token": f"sim-ut-{uuid.uuid4().hex}",
                "DisplayClaims": {"xui": [{"uhs": "1234567890123456789"}]},
            }
        )

    async def xsts(self, request: web.Request, match: re.Match) -> web.Response:
        """XSTS token naming the authenticated player (the world's first player)."""
        me = self.world.players[0] if self.world.players else None
        claims = {
            "gtg": me.gamertag if me else "SimUser",
            "xid": str(me.xuid if me else 0),
            "uhs": "1234567890123456789",
            "agg": "Adult",
            "usr": "234",
            "utr": "190",
            "prv": "185 186 187 188 191 192 193 195 196 198 199 200",
        }
        return json_response(
            {
                **self._times(16),
                "Token": f"sim-xsts-{uuid.uuid4().hex}",
                "DisplayClaims": {"xui": [claims]},
            }
        )

    async def spartan(self, request: web.Request, match: re.Match) -> web.Response:
        """Spartan token (4 h), tracked for the TTL knobs."""
        expires = dt.datetime.now(dt.UTC) + dt.timedelta(hours=4)
        return json_response(
            {
                "SpartanToken": self.state.issue_token(),
                "ExpiresUtc": {"ISO8601Date": expires.isoformat().replace("+00:00", "Z")},
                "TokenDuration": "PT4H",
            }
        )

    async def clearance(self, request: web.Request, match: re.Match) -> web.Response:
        """Flight configuration (the clearance token)."""
        return json_response(
            {
                "FlightConfigurationId": "4d2b9ad2-3d1f-4d3e-b0e7-6b5b2a0e9d11",
                "ClearanceId": "4d2b9ad2-3d1f-4d3e-b0e7-6b5b2a0e9d11",
            }
        )
