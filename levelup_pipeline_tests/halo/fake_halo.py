"""A tiny TLS Halo API stand-in for unit tests (the real simulator is tested separately).

Answers on every host (dispatching on the Host header, like the simulator), runs spnkr's
whole auth chain, checks spartan tokens, and lets a test script statuses per request.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import trustme
from aiohttp import web

_CA = trustme.CA()
_CERT = _CA.issue_cert("127.0.0.1", "localhost", "*.halowaypoint.com", "*.xboxlive.com")

Script = Callable[[web.Request], web.StreamResponse | None]


@dataclass
class Hit:
    """One request as the server saw it."""

    t: float
    host: str
    path: str
    status: int
    spartan: str | None


@dataclass
class FakeHalo:
    """Scriptable server state; `script` may answer a request before the default routes."""

    script: Script | None = None
    token_ttl_requests: int | None = None
    token_ttl_seconds: float = 4 * 3600
    revoked_refresh_tokens: set[str] = field(default_factory=set)
    rotate_refresh_tokens: bool = True
    hits: list[Hit] = field(default_factory=list)
    valid_spartans: dict[str, int] = field(default_factory=dict)
    port: int = 0
    _counter: itertools.count = field(default_factory=lambda: itertools.count(1))

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    def count(self, host_part: str = "", path_part: str = "", status: int | None = None) -> int:
        return sum(
            1
            for h in self.hits
            if host_part in h.host
            and path_part in h.path
            and (status is None or h.status == status)
        )

    async def start(self) -> web.AppRunner:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        _CERT.configure_cert(ctx)
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ctx)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return runner

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        host = (request.host or "").split(":")[0]
        spartan = request.headers.get("x-343-authorization-spartan")
        resp = await self._answer(request, host, spartan)
        self.hits.append(Hit(time.monotonic(), host, request.path, resp.status, spartan))
        return resp

    async def _answer(
        self, request: web.Request, host: str, spartan: str | None
    ) -> web.StreamResponse:
        if host == "login.live.com":
            form = await request.post()
            token = str(form.get("refresh_token", ""))
            if token in self.revoked_refresh_tokens or form.get("client_secret") is None:
                return web.json_response({"error": "invalid_grant"}, status=400)
            n = next(self._counter)
            new = f"refresh-{n}" if self.rotate_refresh_tokens else token
            return web.json_response({"access_token": f"access-{n}", "refresh_token": new})
        if host == "user.auth.xboxlive.com":
            return web.json_response({"Token": "user-token"})
        if host == "xsts.auth.xboxlive.com":
            claims = {"xui": [{"xid": "2533274800000001", "uhs": "123", "gtg": "Sim Player"}]}
            return web.json_response({"Token": "xsts-token", "DisplayClaims": claims})
        if host == "settings.svc.halowaypoint.com":
            if request.path == "/spartan-token":
                n = next(self._counter)
                token = f"sim-spartan-{n}"
                self.valid_spartans[token] = 0
                expires = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=self.token_ttl_seconds)
                return web.json_response(
                    {
                        "SpartanToken": token,
                        "ExpiresUtc": {"ISO8601Date": expires.isoformat()},
                        "TokenDuration": "PT4H",
                    }
                )
            return web.json_response({"FlightConfigurationId": "clearance-1"})
        # Halo service: token check first, then the test's script, then defaults.
        if spartan not in self.valid_spartans:
            return web.Response(status=401)
        used = self.valid_spartans[spartan] + 1
        self.valid_spartans[spartan] = used
        if self.token_ttl_requests is not None and used > self.token_ttl_requests:
            return web.Response(status=401)
        if self.script is not None:
            scripted = self.script(request)
            if scripted is not None:
                return scripted
        return self._default(request, host)

    def _default(self, request: web.Request, host: str) -> web.StreamResponse:
        path = request.path
        if host == "profile.svc.halowaypoint.com":
            if path == "/users":
                xuids = request.query.getall("xuids", [])
                return web.json_response([{"xuid": x, "gamertag": f"gt{x[-3:]}"} for x in xuids])
            ref = path.rsplit("/", 1)[-1]
            if "Nobody" in ref:
                return web.Response(status=404)
            if ref.startswith("xuid("):
                return web.json_response({"xuid": ref[5:-1], "gamertag": "Sim Player"})
            return web.json_response({"xuid": "2533274800000001", "gamertag": ref[3:-1]})
        if host == "halostats.svc.halowaypoint.com" and path.endswith("/stats"):
            return web.json_response({"MatchId": path.split("/")[3], "Players": []})
        if host == "halostats.svc.halowaypoint.com":
            return web.json_response(
                {"Start": int(request.query.get("start", 0)), "Results": [], "ResultCount": 0}
            )
        return web.json_response({"host": host, "path": path, "query": dict(request.query)})


def json_body(data: object, status: int = 200, **headers: str) -> web.Response:
    return web.Response(
        body=json.dumps(data), status=status, headers=headers, content_type="application/json"
    )
