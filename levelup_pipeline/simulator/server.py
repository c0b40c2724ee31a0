"""aiohttp TLS server answering on the real Halo hosts and paths, from a `World`."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
import json
import random
import re
import socket
import ssl
import struct
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import trustme
from aiohttp import web

from levelup_pipeline.simulator import film, records
from levelup_pipeline.simulator.knobs import (
    BLOBS_SVC,
    DISCOVERY_SVC,
    GAMECMS_SVC,
    HALOSTATS,
    PROFILE_SVC,
    RESET,
    SERVICES,
    SKILL_SVC,
    STALL,
    Knobs,
)
from levelup_pipeline.simulator.world import World, unwrap, wrap

STATS = "halostats.svc.halowaypoint.com"
SKILL = "skill.svc.halowaypoint.com"
PROFILE = "profile.svc.halowaypoint.com"
UGC = "discovery-infiniteugc.svc.halowaypoint.com"
BLOBS = "blobs-infiniteugc.svc.halowaypoint.com"
GAMECMS = "gamecms-hacs.svc.halowaypoint.com"
LOGIN = "login.live.com"
USER_AUTH = "user.auth.xboxlive.com"
XSTS = "xsts.auth.xboxlive.com"
SETTINGS = "settings.svc.halowaypoint.com"
ENDPOINTS = [
    "match_history",
    "match_stats",
    "match_skill",
    "film",
    "film_chunk",
    "users",
    "ugc",
    "auth",
    "medals",
    "match_count",
    "service_record",
    "playlist_csr",
    "images",
]
STATUSES = ["200", "429", "401", "404", "500"]
_FILM_NS = uuid.UUID("6d1b5c3e-8d9a-4f0e-9c57-5b1f1c0e4a11")
STATE_KEY: web.AppKey[SimState] = web.AppKey("state")
Handler = Callable[[web.Request, re.Match], Awaitable[web.StreamResponse]]


def _json(data: Any, status: int = 200) -> web.Response:
    """JSON response with the API's content type."""
    return web.Response(text=json.dumps(data), status=status, content_type="application/json")


def _reset_connection(request: web.Request) -> web.Response:
    """Abort the TCP connection with an RST: the client sees 'connection reset by peer'.

    The returned response is never sent; its status (499) only feeds the counters.
    """
    transport = request.transport
    if transport is not None:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    return web.Response(status=499)


_PNG = base64.b64decode(  # 1x1 pixel: every simulated image
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


def _not_found() -> web.Response:
    """Empty 404, as the real services answer unknown players and matches."""
    return web.Response(status=404)


class SimState:
    """Request counters, issued tokens and caches shared by all handlers (thread-safe)."""

    def __init__(self, world: World, knobs: Knobs) -> None:
        """Fresh counters over `world` and `knobs`."""
        self.world = world
        self.knobs = knobs
        self.lock = threading.Lock()
        self.requests: Counter[str] = Counter()
        self.responses: Counter[str] = Counter()
        self.throttled: Counter[str] = Counter()  # 429s answered by the rate limit, per service
        self.per_service: Counter[str] = Counter()  # answered requests (429s included)
        self.request_log: list[tuple[float, str, int]] = []
        self.tokens: dict[str, list[float]] = {}  # token -> [issued monotonic, uses]
        self.windows: dict[str, deque[float]] = {}
        self.film_assets: dict[str, str] = {}
        self.chunks: dict[str, bytes] = {}
        self.jitter = random.Random(7)

    def stats(self) -> dict[str, Any]:
        """Counters as served by /_sim/stats."""
        with self.lock:
            requests = {name: self.requests.get(name, 0) for name in ENDPOINTS}
            responses = {code: self.responses.get(code, 0) for code in STATUSES}
            responses.update({k: v for k, v in self.responses.items() if k not in responses})
            throttled = {name: self.throttled.get(name, 0) for name in SERVICES}
            services = {name: self.per_service.get(name, 0) for name in SERVICES}
        return {
            "requests": requests,
            "responses": responses,
            "services": services,
            "throttled": throttled,
        }

    def reset_stats(self) -> None:
        """Zero the counters and the request log (tests measure one phase at a time)."""
        with self.lock:
            self.requests.clear()
            self.responses.clear()
            self.throttled.clear()
            self.per_service.clear()
            self.request_log.clear()

    def record(self, endpoint: str, status: int, service: str = "") -> None:
        """Count one answered request."""
        with self.lock:
            self.requests[endpoint] += 1
            self.per_service[service] += 1
            self.responses[str(status)] += 1
            self.request_log.append((time.monotonic(), endpoint, status))

    def issue_token(self) -> str:
        """A new spartan token tracked for TTL checks."""
        token = f"sim-st-{uuid.uuid4().hex}"
        with self.lock:
            self.tokens[token] = [time.monotonic(), 0]
        return token

    def token_ok(self, token: str | None) -> bool:
        """Whether a spartan token is known (or a dev token) and still within its TTL."""
        if not token:
            return False
        with self.lock:
            entry = self.tokens.get(token)
            if entry is None:
                if self.knobs.strict_tokens or not token.startswith("sim-dev-"):
                    return False
                entry = self.tokens.setdefault(token, [time.monotonic(), 0])
            entry[1] += 1
            ttl_n, ttl_s = self.knobs.token_ttl_requests, self.knobs.token_ttl_seconds
            if ttl_n is not None and entry[1] > ttl_n:
                return False
            return ttl_s is None or time.monotonic() - entry[0] <= ttl_s

    def over_limit(self, service: str) -> bool:
        """Sliding one-second window per service against `rate_limit_rps` (counted in
        /_sim/stats' `throttled`). The sign-in chain is never limited."""
        limit = self.knobs.service_limit(service)
        if not limit:
            return False
        now = time.monotonic()
        with self.lock:
            window = self.windows.setdefault(service, deque())
            while window and now - window[0] > 1.0:
                window.popleft()
            if len(window) >= limit:
                self.throttled[service] += 1
                return True
            window.append(now)
        return False

    def film_asset(self, match_id: str) -> str:
        """Stable film asset id of a match (and remember the reverse mapping for blobs)."""
        asset = str(uuid.uuid5(_FILM_NS, match_id))
        self.film_assets[asset] = match_id
        return asset

    def highlight_chunk(self, match_id: str) -> bytes:
        """Encoded highlight events of a match (cached; events derived from its stats)."""
        if match_id not in self.chunks:
            events = self.world.highlight_events.get(match_id)
            if events is None:
                body = self.world.matches[match_id]
                names = dict(self.world.gamertags)
                names.update({p.xuid: p.gamertag for p in self.world.players})
                events = film.events_for_match(body, names)
            version = self.world.film_versions[match_id]
            self.chunks[match_id] = film.encode_highlight_events(events, version)
        return self.chunks[match_id]


@dataclass
class Route:
    """One (method, host, path pattern) the simulator answers."""

    method: str
    host: str
    pattern: re.Pattern
    endpoint: str
    service: str
    handler: Handler
    auth: bool = True


class Api:
    """Handlers for every simulated endpoint."""

    def __init__(self, state: SimState) -> None:
        """Bind the handlers to shared state."""
        self.state = state
        self.world = state.world
        self.knobs = state.knobs
        P = r"(?P<player>[^/]+)"  # noqa: N806
        ID = r"(?P<id>[^/]+)"  # noqa: N806
        spec = [
            ("GET", STATS, rf"/hi/players/{P}/matches", "match_history", HALOSTATS, self.history),
            ("GET", STATS, rf"/hi/players/{P}/matches/count", "match_count", HALOSTATS, self.count),
            (
                "GET",
                STATS,
                rf"/hi/players/{P}/(?P<kind>matchmade|custom|local)/servicerecord",
                "service_record",
                HALOSTATS,
                self.service_record,
            ),
            ("GET", STATS, rf"/hi/matches/{ID}/stats", "match_stats", HALOSTATS, self.match_stats),
            ("GET", SKILL, rf"/hi/matches/{ID}/skill", "match_skill", SKILL_SVC, self.skill),
            ("GET", SKILL, rf"/hi/playlist/{ID}/csrs", "playlist_csr", SKILL_SVC, self.csr),
            ("GET", PROFILE, r"/users", "users", PROFILE_SVC, self.users),
            ("GET", PROFILE, r"/users/(?P<spec>[^/]+)", "users", PROFILE_SVC, self.user),
            (
                "GET",
                UGC,
                r"/hi/films/matches/(?P<id>[^/]+)/spectate",
                "film",
                DISCOVERY_SVC,
                self.film,
            ),
            (
                "GET",
                UGC,
                r"/hi/(?P<kind>maps|ugcGameVariants|playlists|mapModePairs)/"
                r"(?P<asset>[^/]+)/versions/(?P<version>[^/]+)",
                "ugc",
                DISCOVERY_SVC,
                self.ugc,
            ),
            (
                "GET",
                BLOBS,
                r"/ugcstorage/film/(?P<asset>[^/]+)/(?P<version>[^/]+)/"
                r"filmChunk(?P<n>\d+)",
                "film_chunk",
                BLOBS_SVC,
                self.chunk,
            ),
            (
                "GET",
                GAMECMS,
                r"/hi/Waypoint/file/medals/metadata\.json",
                "medals",
                GAMECMS_SVC,
                self.medals,
            ),
            (
                "GET",
                BLOBS,
                r"/ugcstorage/[a-z]+/(?P<asset>[^/]+)/(?P<version>[^/]+)/(?P<file>images/[^/]+)",
                "images",
                BLOBS_SVC,
                self.image,
            ),
            (
                "GET",
                GAMECMS,
                r"/hi/Waypoint/file/(?P<file>medals/images/[^/]+)",
                "images",
                GAMECMS_SVC,
                self.image,
            ),
        ]
        self.routes = [
            Route(m, h, re.compile(p + "$", re.I if h == GAMECMS else 0), e, s, f)
            for m, h, p, e, s, f in spec
        ]
        auth = [
            ("POST", LOGIN, r"/oauth20_token\.srf", self.oauth),
            ("POST", USER_AUTH, r"/user/authenticate", self.user_token),
            ("POST", XSTS, r"/xsts/authorize", self.xsts),
            ("POST", SETTINGS, r"/spartan-token", self.spartan),
            (
                "GET",
                SETTINGS,
                r"/oban/flight-configurations/titles/hi/audiences/RETAIL/active",
                self.clearance,
            ),
        ]
        self.routes += [
            Route(m, h, re.compile(p + "$"), "auth", "auth", f, auth=False) for m, h, p, f in auth
        ]
        for route in self.routes:
            if route.host == BLOBS:
                route.auth = False

    # ---- dispatch -----------------------------------------------------------------------
    async def dispatch(self, request: web.Request) -> web.StreamResponse:
        """Route on Host (port stripped) + path, then apply knobs in the real API's order."""
        host = (request.host or "").split(":")[0].lower()
        for route in self.routes:
            if route.method != request.method or route.host != host:
                continue
            match = route.pattern.match(request.path)
            if match:
                response = await self._guarded(route, request, match)
                self.state.record(route.endpoint, response.status, route.service)
                return response
        return web.Response(status=404, text="no such simulated endpoint")

    async def _guarded(
        self, route: Route, request: web.Request, match: re.Match
    ) -> web.StreamResponse:
        """Latency, rate limit, auth, injected failures, then the handler."""
        knobs = self.knobs
        delay = knobs.latency_ms + (
            self.state.jitter.uniform(0, knobs.jitter_ms) if knobs.jitter_ms else 0
        )
        if delay > 0:
            await asyncio.sleep(delay / 1000)
        if self.state.over_limit(route.service):
            return web.Response(status=429, headers=self._retry_after())
        token = request.headers.get("x-343-authorization-spartan")
        if route.auth and not self.state.token_ok(token):
            return web.Response(status=401)
        if route.service != "auth":
            burst = knobs.take_burst(route.endpoint)
            if burst == RESET:
                return _reset_connection(request)
            if burst == STALL:
                await asyncio.sleep(knobs.stall_seconds)
            elif burst is not None:
                headers = self._retry_after() if burst == 429 else {}
                return web.Response(status=int(burst), headers=headers)
            if knobs.roll_5xx():
                return web.Response(status=500)
        return await route.handler(request, match)

    def _retry_after(self) -> dict[str, str]:
        """The 429 header, unless `retry_after_seconds` is None (a 429 without Retry-After)."""
        seconds = self.knobs.retry_after_seconds
        return {} if seconds is None else {"Retry-After": str(seconds)}

    def _player(self, match: re.Match) -> int | None:
        """XUID of the `{player}` path segment (gamertag or xuid(N))."""
        return self.world.find_player(match["player"])

    # ---- stats --------------------------------------------------------------------------
    async def history(self, request: web.Request, match: re.Match) -> web.Response:
        """A page of at most 25 results, newest first."""
        xuid = self._player(match)
        if xuid is None:
            return _not_found()
        try:
            start = max(0, int(request.query.get("start", 0)))
            count = min(25, max(0, int(request.query.get("count", 25))))
        except ValueError:
            return web.Response(status=400)
        kind = request.query.get("type", "all")
        results = self.world.history(xuid, kind)[start : start + count]
        return _json(
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
        return _not_found() if xuid is None else _json(records.match_count(self.world, xuid))

    async def service_record(self, request: web.Request, match: re.Match) -> web.Response:
        """Aggregated service record of a player."""
        xuid = self._player(match)
        if xuid is None:
            return _not_found()
        return _json(records.service_record(self.world, xuid, match["kind"]))

    async def match_stats(self, request: web.Request, match: re.Match) -> web.Response:
        """Match stats body (raw file bytes for replayed worlds)."""
        match_id = match["id"].lower()
        if match_id in self.knobs.missing_matches or match_id not in self.world.matches:
            return _not_found()
        if match_id in self.knobs.malformed_matches:
            return web.Response(
                text='{"MatchId": "' + match_id + '", "MatchInfo": {"Sta',
                content_type="application/json",
            )
        raw = self.world.raw_matches.get(match_id)
        if raw is not None:
            return web.Response(body=raw, content_type="application/json")
        return _json(self.world.matches[match_id])

    # ---- skill --------------------------------------------------------------------------
    async def skill(self, request: web.Request, match: re.Match) -> web.Response:
        """Skill results of the requested players present in the match."""
        match_id = match["id"].lower()
        if match_id in self.knobs.skill_failures:
            return web.Response(status=500)
        results = self.world.skill.get(match_id)
        raw = self.world.raw_skill.get(match_id)
        if match_id in self.knobs.missing_matches or (results is None and raw is None):
            return _not_found()
        if raw is not None or results is None:
            return _json(raw)
        wanted = [unwrap(p) for p in request.query.getall("players", [])]
        value = [
            {"Id": wrap(x), "ResultCode": 0, "Result": results[x]} for x in wanted if x in results
        ]
        return _json({"Value": value})

    async def csr(self, request: web.Request, match: re.Match) -> web.Response:
        """Current / season max / all-time max CSR of players in a playlist."""
        known = self.world.playlist_csr.get(match["id"].lower(), {})
        value = []
        from levelup_pipeline.simulator.synthetic import csr_block

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
        return _json({"Value": value})

    # ---- profile ------------------------------------------------------------------------
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
        return _json(out)

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
        return _json(profile) if profile else _not_found()

    # ---- discovery / film ---------------------------------------------------------------
    async def ugc(self, request: web.Request, match: re.Match) -> web.Response:
        """A map, game variant, playlist or map-mode pair version."""
        body = self.world.ugc.get((match["kind"], match["asset"].lower(), match["version"].lower()))
        return _json(body) if body else _not_found()

    async def film(self, request: web.Request, match: re.Match) -> web.Response:
        """Film metadata whose last chunk (type 3) is the highlight events."""
        match_id = match["id"].lower()
        version = self.world.film_versions.get(match_id)
        if version is None or match_id in self.knobs.missing_matches:
            return _not_found()
        info = self.world.matches[match_id]["MatchInfo"]
        length = int(film._seconds(info.get("PlayableDuration") or "PT10M") * 1000)
        asset = self.state.film_asset(match_id)
        asset_version = str(uuid.uuid5(_FILM_NS, asset))
        chunks = [
            {
                "Index": 0,
                "ChunkStartTimeOffsetMilliseconds": 0,
                "DurationMilliseconds": 10,
                "ChunkSize": 64,
                "FileRelativePath": "/filmChunk0",
                "ChunkType": 1,
            }
        ]
        offset, index = 0, 1
        while offset < length:
            span = min(20_000, length - offset)
            chunks.append(
                {
                    "Index": index,
                    "ChunkStartTimeOffsetMilliseconds": offset,
                    "DurationMilliseconds": span,
                    "ChunkSize": 64,
                    "FileRelativePath": f"/filmChunk{index}",
                    "ChunkType": 2,
                }
            )
            offset += span
            index += 1
        if match_id not in self.knobs.films_without_highlights:
            chunks.append(
                {
                    "Index": index,
                    "ChunkStartTimeOffsetMilliseconds": 0,
                    "DurationMilliseconds": 0,
                    "ChunkSize": len(self.state.highlight_chunk(match_id)),
                    "FileRelativePath": f"/filmChunk{index}",
                    "ChunkType": 3,
                }
            )
        return _json(
            {
                "FilmStatusBond": 1,
                "CustomData": {
                    "FilmLength": length,
                    "Chunks": chunks,
                    "HasGameEnded": True,
                    "ManifestRefreshSeconds": 30,
                    "MatchId": match_id,
                    "FilmMajorVersion": version,
                },
                "BlobStoragePathPrefix": f"https://{BLOBS}/ugcstorage/film/{asset}/{asset_version}/",
                "AssetId": asset,
            }
        )

    async def chunk(self, request: web.Request, match: re.Match) -> web.Response:
        """Film chunk bytes: the real encoded highlight chunk last, small dummies before."""
        match_id = self.state.film_assets.get(match["asset"].lower())
        if match_id is None:
            for candidate in list(self.world.film_versions):
                self.state.film_asset(candidate)
            match_id = self.state.film_assets.get(match["asset"].lower())
        if match_id is None or match_id in self.knobs.missing_matches:
            return _not_found()
        info = self.world.matches[match_id]["MatchInfo"]
        length = int(film._seconds(info.get("PlayableDuration") or "PT10M") * 1000)
        last = 1 + -(-length // 20_000)
        n = int(match["n"])
        if n == last and match_id not in self.knobs.films_without_highlights:
            body = self.state.highlight_chunk(match_id)
        elif n < last:
            body = bytes(64)
        else:
            return _not_found()
        return web.Response(body=body, content_type="application/octet-stream")

    async def medals(self, request: web.Request, match: re.Match) -> web.Response:
        """Medal metadata."""
        data = self.world.medal_metadata
        return _json(data) if data else _not_found()

    async def image(self, request: web.Request, match: re.Match) -> web.Response:
        """A UGC asset's image or a medal sprite sheet (a tiny PNG) when the world names it."""
        groups = match.groupdict()
        if "asset" in groups:
            body = next(
                (
                    b
                    for (_k, a, v), b in self.world.ugc.items()
                    if a == groups["asset"].lower() and v == groups["version"].lower()
                ),
                None,
            )
            files = ((body or {}).get("Files") or {}).get("FileRelativePaths") or []
        else:
            sprites = (self.world.medal_metadata or {}).get("sprites") or {}
            files = [s.get("path") for s in sprites.values()]
        if groups["file"] not in files:
            return _not_found()
        return web.Response(body=_PNG, content_type="image/png")

    # ---- auth chain ---------------------------------------------------------------------
    async def oauth(self, request: web.Request, match: re.Match) -> web.Response:
        """Windows Live token endpoint (refresh_token or authorization_code grants)."""
        form = await request.post()
        grant = form.get("grant_type")
        revoked = self.knobs.revoked_refresh_tokens
        if grant == "refresh_token" and form.get("refresh_token") in revoked:
            return _json(
                {
                    "error": "invalid_grant",
                    "error_description": "The refresh token has been revoked.",
                },
                400,
            )
        if grant not in ("refresh_token", "authorization_code"):
            return _json({"error": "unsupported_grant_type"}, 400)
        return _json(
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
        return _json(
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
        return _json(
            {
                **self._times(16),
                "Token": f"sim-xsts-{uuid.uuid4().hex}",
                "DisplayClaims": {"xui": [claims]},
            }
        )

    async def spartan(self, request: web.Request, match: re.Match) -> web.Response:
        """Spartan token (4 h), tracked for the TTL knobs."""
        expires = dt.datetime.now(dt.UTC) + dt.timedelta(hours=4)
        return _json(
            {
                "SpartanToken": self.state.issue_token(),
                "ExpiresUtc": {"ISO8601Date": expires.isoformat().replace("+00:00", "Z")},
                "TokenDuration": "PT4H",
            }
        )

    async def clearance(self, request: web.Request, match: re.Match) -> web.Response:
        """Flight configuration (the clearance token)."""
        return _json(
            {
                "FlightConfigurationId": "4d2b9ad2-3d1f-4d3e-b0e7-6b5b2a0e9d11",
                "ClearanceId": "4d2b9ad2-3d1f-4d3e-b0e7-6b5b2a0e9d11",
            }
        )


def create_app(
    world: World, knobs: Knobs | None = None, state: SimState | None = None
) -> web.Application:
    """The aiohttp application: admin routes under /_sim on any host, the API elsewhere."""
    state = state or SimState(world, knobs or Knobs())
    api = Api(state)
    app = web.Application()
    app[STATE_KEY] = state

    async def sim_stats(request: web.Request) -> web.Response:
        return _json(state.stats())

    async def sim_players(request: web.Request) -> web.Response:
        return _json(
            [
                {
                    "gamertag": p.gamertag,
                    "xuid": str(p.xuid),
                    "matches": len(world.match_ids_of(p.xuid)),
                }
                for p in world.players
            ]
        )

    async def sim_add(request: web.Request) -> web.Response:
        data = await request.json() if request.can_read_body else {}
        try:
            ids = world.add_matches(int(data.get("count", 1)), data.get("gamertag"))
        except (KeyError, RuntimeError) as exc:
            return _json({"error": str(exc)}, 400)
        return _json({"added": ids})

    async def sim_reset(request: web.Request) -> web.Response:
        state.reset_stats()
        return _json({"ok": True})

    async def sim_knobs(request: web.Request) -> web.Response:
        if request.method == "POST":
            try:
                state.knobs.update(await request.json())
            except KeyError as exc:
                return _json({"error": str(exc)}, 400)
        return _json(state.knobs.as_dict())

    app.router.add_get("/_sim/stats", sim_stats)
    app.router.add_get("/_sim/players", sim_players)
    app.router.add_post("/_sim/add-matches", sim_add)
    app.router.add_post("/_sim/reset-stats", sim_reset)
    app.router.add_route("*", "/_sim/knobs", sim_knobs)
    app.router.add_route("*", "/{tail:.*}", api.dispatch)
    return app


def make_tls() -> tuple[ssl.SSLContext, trustme.CA]:
    """Server TLS context with a fresh self-signed CA covering the Halo/Xbox host names."""
    ca = trustme.CA()
    cert = ca.issue_cert(
        "127.0.0.1",
        "localhost",
        "*.halowaypoint.com",
        "*.svc.halowaypoint.com",
        "login.live.com",
        "*.xboxlive.com",
        "*.auth.xboxlive.com",
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    return context, ca


class SimulatorServer:
    """The simulator as an asyncio service: `await start()` then `await stop()`."""

    def __init__(self, world: World, knobs: Knobs | None = None) -> None:
        """Wrap a world and knobs; nothing listens until `start`."""
        self.world = world
        self.knobs = knobs or Knobs()
        self.state = SimState(world, self.knobs)
        self.app = create_app(world, self.knobs, self.state)
        self.host = "127.0.0.1"
        self.port = 0
        self.ca: trustme.CA | None = None
        self._runner: web.AppRunner | None = None

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Listen with TLS on host:port (0 = any free port); returns the bound port."""
        context, self.ca = make_tls()
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port, ssl_context=context)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        self.host = host
        self.port = sockets[0].getsockname()[1] if sockets else port
        return self.port

    async def stop(self) -> None:
        """Close the listener and pending connections."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


class RunningSimulator:
    """Handle on a simulator served from a background thread (see `run_simulator`)."""

    def __init__(self, server: SimulatorServer, loop: asyncio.AbstractEventLoop) -> None:
        """Wrap the started server and its loop."""
        self._server = server
        self._loop = loop

    @property
    def host(self) -> str:
        """Bound host."""
        return self._server.host

    @property
    def port(self) -> int:
        """Bound port."""
        return self._server.port

    @property
    def endpoint(self) -> str:
        """`host:port`, what the client-side resolver needs."""
        return f"{self.host}:{self.port}"

    @property
    def world(self) -> World:
        """The served world (mutations are visible to the next request)."""
        return self._server.world

    @property
    def knobs(self) -> Knobs:
        """Live knobs."""
        return self._server.knobs

    @property
    def ca(self) -> trustme.CA | None:
        """The CA that signed the server certificate (for clients that verify)."""
        return self._server.ca

    @property
    def request_log(self) -> list[tuple[float, str, int]]:
        """(monotonic time, endpoint name, status) of every answered API request."""
        return self._server.state.request_log

    def stats(self) -> dict[str, Any]:
        """Same as GET /_sim/stats."""
        return self._server.state.stats()

    def reset_stats(self) -> None:
        """Same as POST /_sim/reset-stats."""
        self._server.state.reset_stats()

    def add_matches(self, n: int, gamertag: str | None = None) -> list[str]:
        """Play `n` new matches (newest of all) for a player or a random one."""
        return self.world.add_matches(n, gamertag)


@contextlib.contextmanager
def run_simulator(
    world: World | None = None,
    knobs: Knobs | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    **synthetic_kwargs: Any,
) -> Iterator[RunningSimulator]:
    """Serve a world (synthetic by default) from a background thread for the `with` block."""
    if world is None:
        from levelup_pipeline.simulator.synthetic import build_synthetic_world

        world = build_synthetic_world(**synthetic_kwargs)
    server = SimulatorServer(world, knobs)
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    errors: list[BaseException] = []

    def serve() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(server.start(host, port))
        except BaseException as exc:  # noqa: BLE001 - surfaced to the caller below
            errors.append(exc)
            ready.set()
            return
        ready.set()
        loop.run_forever()
        loop.run_until_complete(server.stop())
        loop.close()

    thread = threading.Thread(target=serve, name="halo-simulator", daemon=True)
    thread.start()
    ready.wait(30)
    if errors:
        raise errors[0]
    try:
        yield RunningSimulator(server, loop)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
