"""`HaloApi`: the raw-JSON client (spnkr's URLs, never its models: new seasons add values they
reject); every call goes through `_request` (tokens, limiter, retries, typed errors, metrics)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import urllib.parse
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import aiohttp

from levelup_pipeline.halo.auth import Credentials, TokenManager
from levelup_pipeline.halo.endpoint import configured_endpoint, create_session
from levelup_pipeline.halo.errors import (
    AuthenticationFailed,
    FilmUnavailable,
    HaloApiError,
    MalformedResponse,
    MatchNotFound,
    PlayerNotFound,
    ResourceNotFound,
)
from levelup_pipeline.halo.metrics import ApiMetrics, LoggerLike
from levelup_pipeline.halo.ratelimit import (
    BACKGROUND,
    DEFAULT_MAX_IN_FLIGHT,
    NORMAL,
    URGENT,
    HaloRateLimiter,
    configured_rps,
)
from levelup_pipeline.halo.retry import (
    RetryableStatus,
    RetryPolicy,
    call_with_retries,
    describe_failure,
    parse_retry_after,
)
from levelup_pipeline.halo.spnkr_light import (
    DISCOVERY_HOST,
    GAMECMS_HOST,
    MATCH_TYPES,
    PROFILE_HOST,
    SKILL_HOST,
    STATS_HOST,
    InvalidXuid,
    unwrap_xuid,
    wrap_xuid_or_gamertag,
)
from levelup_pipeline.transform.film_events import read_highlight_events
from levelup_pipeline.transform.skill import skill_result_for

UGC_KINDS = ("maps", "ugcGameVariants", "playlists", "mapModePairs")
TRUSTED_HOST_SUFFIX = ".halowaypoint.com"
USERS_BATCH = 100
HIGHLIGHT_EVENTS_CHUNK = 3
#: Several per request: with many in flight, a fresh token can expire before this one resends.
MAX_REFRESHES_PER_REQUEST = 3

_log = logging.getLogger("levelup_pipeline.halo")
NotFound = Callable[[], HaloApiError] | None


class UntrustedImageUrl(HaloApiError):
    """An image URL outside the Halo services: refused so that tokens never leave them."""


class PlayerIdentity(NamedTuple):
    """A resolved player: 16-digit XUID (digits only) and current gamertag."""

    xuid: str
    gamertag: str


@dataclass
class HaloApiSettings:
    """Everything needed to open a `HaloApi` (the resource builds one of these)."""

    endpoint: str | None = None
    requests_per_second: float | None = None  # None: adaptive per-service budgets
    max_requests_per_second: float | None = None  # their ceiling (None: LEVELUP_HALO_MAX_RPS)
    max_in_flight: int = DEFAULT_MAX_IN_FLIGHT
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    credentials: Credentials = field(default_factory=Credentials)
    request_timeout_seconds: float = 60.0
    verbose: bool = False


@dataclass(eq=False)
class HaloApi:
    """Async Halo Infinite API client returning raw JSON; open it with `open_halo_api`."""

    session: aiohttp.ClientSession
    tokens: TokenManager
    limiter: HaloRateLimiter
    retry: RetryPolicy
    logger: LoggerLike = _log
    verbose: bool = False
    metrics: ApiMetrics = field(default_factory=ApiMetrics)

    async def _request(
        self, url: str, not_found: NotFound = None, priority: int = NORMAL, **kw: Any
    ) -> bytes:
        """GET one resource with limiter, auth, retries and typed errors."""
        parts = urllib.parse.urlsplit(url)
        what = f"GET {parts.hostname}{parts.path}"
        budget = self.limiter.budget(parts.hostname or "")
        refreshes = 0
        first_sent: list[float] = []

        async def attempt() -> bytes:
            nonlocal refreshes
            while True:
                tokens = await self.tokens.ensure_fresh(self.session)
                status: int | None = None
                async with self.limiter.slot(budget, priority) as sent_at:
                    started = time.monotonic()
                    first_sent.append(started)
                    try:
                        async with self.session.get(url, headers=tokens.headers(), **kw) as resp:
                            status = resp.status
                            retry_after = resp.headers.get("Retry-After")
                            body = await resp.read()
                    finally:
                        self.metrics.record(status)
                        if self.verbose:
                            ms = (time.monotonic() - started) * 1000
                            self.logger.info(f"{what} -> {status or 'no response'} {ms:.0f} ms")
                if status == 401:
                    if refreshes >= MAX_REFRESHES_PER_REQUEST:
                        raise AuthenticationFailed("the Halo API rejected refreshed tokens")
                    refreshes += 1
                    await self.tokens.refresh_after_401(self.session, tokens)
                    continue
                if status == 429:
                    wait = parse_retry_after(retry_after)
                    budget.on_throttled(sent_at, wait)
                    raise RetryableStatus(429, wait)
                if status == 408 or status >= 500:
                    raise RetryableStatus(status)
                if status in (404, 410) and not_found is not None:
                    raise not_found()
                if status >= 400:
                    raise HaloApiError(f"The Halo API answered HTTP {status} to {what}.")
                budget.on_success(sent_at)
                return body

        def on_retry(exc: BaseException, sleep: float) -> None:
            self.metrics.retries += 1
            self.logger.warning(f"Retrying {what} in {sleep:.1f}s ({describe_failure(exc)}).")

        try:
            return await call_with_retries(
                attempt,
                policy=self.retry,
                limiter=budget,
                what=what,
                on_retry=on_retry,
                first_sent=lambda: first_sent[0] if first_sent else None,
            )
        except HaloApiError:
            self.metrics.errors += 1
            raise

    async def _get_json(self, url: str, not_found: NotFound = None, **kw: Any) -> Any:
        body = await self._request(url, not_found, **kw)
        try:
            return json.loads(body)
        except (ValueError, RecursionError):  # RecursionError: nested ~1,000 levels deep
            self.metrics.errors += 1
            parts = urllib.parse.urlsplit(url)
            raise MalformedResponse(
                f"The Halo API answered GET {parts.hostname}{parts.path} with a body that is not "
                "valid JSON."
            ) from None

    async def resolve_player(self, player: str) -> PlayerIdentity:
        """Gamertag, XUID or `xuid(N)` -> PlayerIdentity (404 -> PlayerNotFound)."""
        text = str(player).strip()
        if not text:
            raise PlayerNotFound(player)
        try:
            ref = f"xuid({unwrap_xuid(text)})"
        except InvalidXuid:
            ref = f"gt({text})"
        url = f"{PROFILE_HOST}/users/{urllib.parse.quote(ref, safe='()')}"
        data = await self._get_json(url, lambda: PlayerNotFound(text))
        try:
            return PlayerIdentity(str(unwrap_xuid(str(data["xuid"]))), str(data["gamertag"]))
        except (KeyError, TypeError, InvalidXuid):
            raise MalformedResponse(
                f"The Halo profile service answered for {text!r} without xuid/gamertag."
            ) from None

    async def users(self, xuids: Iterable[str]) -> list[dict]:
        """Profiles of many XUIDs, fetched in batches of 100."""
        ids = [str(unwrap_xuid(x)) for x in xuids]
        out: list[dict] = []
        for i in range(0, len(ids), USERS_BATCH):
            params = [("xuids", x) for x in ids[i : i + USERS_BATCH]]
            data = await self._get_json(f"{PROFILE_HOST}/users", params=params)
            if not isinstance(data, list):
                raise MalformedResponse("The Halo profile service answered /users with a non-list.")
            out.extend(data)
        return out

    async def match_history(
        self, player: str, start: int, count: int = 25, match_type: str = "matchmaking"
    ) -> dict:
        """One page of a player's match history (newest first)."""
        if match_type not in MATCH_TYPES:
            raise ValueError(f"match_type must be one of {MATCH_TYPES}, got {match_type!r}")
        path = urllib.parse.quote(wrap_xuid_or_gamertag(player), safe="()")  # spaces, '#'
        return await self._get_json(
            f"{STATS_HOST}/hi/players/{path}/matches",
            lambda: PlayerNotFound(str(player)),
            params={"start": str(start), "count": str(count), "type": match_type},
            priority=URGENT,  # pages feed every other request: never behind match requests
        )

    async def match_stats(self, match_id: str) -> dict:
        """One match's stats (404/410 -> MatchNotFound, bad body -> MalformedResponse)."""
        url = f"{STATS_HOST}/hi/matches/{match_id}/stats"
        data = await self._get_json(url, lambda: MatchNotFound(match_id))
        if not isinstance(data, dict):
            raise MalformedResponse(f"The match stats of {match_id} are not a JSON object.")
        return data

    async def match_skill(self, match_id: str, xuids: Iterable[str]) -> dict:
        """Skill (CSR/MMR) results of the given players in a match (404 -> ResourceNotFound)."""
        wanted = [str(unwrap_xuid(x)) for x in xuids]
        data = await self._get_json(
            f"{SKILL_HOST}/hi/matches/{match_id}/skill",
            lambda: ResourceNotFound(f"No skill data for match {match_id}."),
            params=[("players", f"xuid({x})") for x in wanted],
        )
        # A body without the requested player's result is a gap to fill later, not their skill.
        if any(skill_result_for(data, x) is None for x in wanted):
            self.metrics.errors += 1
            raise MalformedResponse(
                f"The skill answer for match {match_id} holds no result for the player."
            )
        return data

    async def highlight_events(self, match_id: str) -> list[dict]:
        """Highlight events (kills, deaths, medals) from the match film's last type-3 chunk."""

        def unavailable(reason: str) -> FilmUnavailable:
            return FilmUnavailable(f"Match {match_id} has no readable film: {reason}.")

        film = await self._get_json(
            f"{DISCOVERY_HOST}/hi/films/matches/{match_id}/spectate",
            lambda: unavailable("no film metadata (HTTP 404)"),
        )
        try:
            custom = film["CustomData"]
            chunks = sorted(custom["Chunks"], key=lambda c: int(c["Index"]))
            version = int(custom["FilmMajorVersion"])
            prefix = str(film["BlobStoragePathPrefix"])
        except (KeyError, TypeError, ValueError):
            raise unavailable("malformed film metadata") from None
        highlight = [c for c in chunks if c.get("ChunkType") == HIGHLIGHT_EVENTS_CHUNK]
        if not highlight:
            raise unavailable("no highlight-events chunk")
        data = await self._request(
            urllib.parse.urljoin(prefix, str(highlight[-1]["FileRelativePath"]).lstrip("/")),
            lambda: unavailable("highlight-events chunk missing (HTTP 404)"),
        )
        try:
            # spnkr's events at ~1/5 of the CPU: its bitstring walk starved the event loop.
            return read_highlight_events(data, version)
        except Exception as exc:  # noqa: BLE001 - zlib/FilmReadError/UnicodeDecodeError/...
            raise unavailable(f"unreadable highlight-events chunk ({type(exc).__name__})") from None

    async def ugc_asset(self, kind: str, asset_id: str, version_id: str) -> dict:
        """A map, game variant, playlist or map-mode pair version (404 -> ResourceNotFound)."""
        if kind not in UGC_KINDS:
            raise ValueError(f"kind must be one of {UGC_KINDS}, got {kind!r}")
        return await self._get_json(
            f"{DISCOVERY_HOST}/hi/{kind}/{asset_id}/versions/{version_id}",
            lambda: ResourceNotFound(
                f"UGC asset {kind}/{asset_id} version {version_id} was not found."
            ),
            priority=BACKGROUND,  # names block no match: films first
        )

    async def medal_metadata(self) -> dict:
        """Names, descriptions and difficulty of every medal."""
        return await self._get_json(
            f"{GAMECMS_HOST}/hi/Waypoint/file/medals/metadata.json",
            lambda: ResourceNotFound("The medal metadata file was not found."),
        )


@contextlib.asynccontextmanager
async def open_halo_api(
    settings: HaloApiSettings | None = None, *, logger: LoggerLike | None = None
) -> AsyncIterator[HaloApi]:
    """Create the one session, obtain tokens, yield a ready `HaloApi`, close the session."""
    settings = settings or HaloApiSettings()
    endpoint = configured_endpoint(settings.endpoint)
    limiter = HaloRateLimiter(
        configured_rps(settings.requests_per_second),
        ceiling=settings.max_requests_per_second,
        max_in_flight=settings.max_in_flight,
    )
    connections = max(settings.max_in_flight, 1) * 2
    session = create_session(endpoint, limit=connections, timeout=settings.request_timeout_seconds)
    try:
        tokens = TokenManager(settings.credentials, endpoint)
        await tokens.start(session)
        api = HaloApi(session, tokens, limiter, settings.retry, logger or _log, settings.verbose)
        api.logger.info(
            f"Halo API ready ({'endpoint ' + endpoint if endpoint else 'live services'}, "
            f"{limiter.describe()}, {settings.max_in_flight} in flight)."
        )
        yield api
    finally:
        await session.close()
        await asyncio.sleep(0)


def medal_sprite_url(path: str) -> str:
    """Absolute URL of a sprite sheet named in the medal metadata (`medals/images/...png`)."""
    return urllib.parse.urljoin(f"{GAMECMS_HOST}/hi/Waypoint/file/", path.lstrip("/"))


async def download_image(api: HaloApi, url: str) -> bytes:
    """One image's bytes, from https://*.halowaypoint.com only (requests carry the tokens)."""
    parts = urllib.parse.urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme != "https" or not host.endswith(TRUSTED_HOST_SUFFIX):
        raise UntrustedImageUrl(
            f"Refusing to download {parts.scheme}://{host}{parts.path}: images are only "
            f"fetched from https://*{TRUSTED_HOST_SUFFIX}."
        )
    not_found = ResourceNotFound(f"The image {parts.path} was not found.")
    return await api._request(url, lambda: not_found)
