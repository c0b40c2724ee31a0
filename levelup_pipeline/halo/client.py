"""`HaloApi`: the raw-JSON Halo Infinite client a multi-hour sync can rely on.

URLs and parameters are spnkr's (its `_HOST` constants and paths); bodies are read with
`resp.json()`-equivalent decoding and never `.parse()`d, because spnkr's pydantic models
reject unknown enum and medal values that new seasons introduce. Every call goes through
one `_request` path: token freshness -> limiter (in-flight slot + rate token) -> auth header
-> send -> status handling (401 refresh once, 429/5xx retry, 404 typed) -> metrics.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import time
import urllib.parse
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import aiohttp
from spnkr import HaloInfiniteClient
from spnkr.errors import InvalidXuidError
from spnkr.services.discovery_ugc import _HOST as DISCOVERY_HOST
from spnkr.services.gamecms_hacs import _HOST as GAMECMS_HOST
from spnkr.services.profile import _HOST as PROFILE_HOST
from spnkr.services.skill import _HOST as SKILL_HOST
from spnkr.services.stats import _HOST as STATS_HOST
from spnkr.xuid import unwrap_xuid, wrap_xuid_or_gamertag

from levelup_pipeline.halo.auth import DEFAULT_EXPIRY_MARGIN, Credentials, TokenManager, Tokens
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
    DEFAULT_BURST,
    DEFAULT_MAX_IN_FLIGHT,
    NORMAL,
    URGENT,
    HaloRateLimiter,
    configured_rps,
)
from levelup_pipeline.halo.retry import RetryableStatus, RetryPolicy, call_with_retries
from levelup_pipeline.transform.film_events import read_highlight_events
from levelup_pipeline.transform.skill import skill_result_for

MATCH_TYPES = ("all", "matchmaking", "custom", "local")
UGC_KINDS = ("maps", "ugcGameVariants", "playlists", "mapModePairs")
USERS_BATCH = 100
HIGHLIGHT_EVENTS_CHUNK = 3
MAX_REFRESHES_PER_REQUEST = 3
#: spnkr's own per-service limiter would throttle after each response; make it a no-op.
_SPNKR_UNTHROTTLED_RPS = 1_000_000

_log = logging.getLogger("levelup_pipeline.halo")


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
    burst: int = DEFAULT_BURST
    max_in_flight: int = DEFAULT_MAX_IN_FLIGHT
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    credentials: Credentials = field(default_factory=Credentials)
    request_timeout_seconds: float = 60.0
    expiry_margin: dt.timedelta = DEFAULT_EXPIRY_MARGIN
    verbose: bool = False


def _quote_player(player: str) -> str:
    """Path segment for a gamertag or xuid(N) (gamertags may hold spaces or '#')."""
    return urllib.parse.quote(wrap_xuid_or_gamertag(player), safe="()")


class HaloApi:
    """Async Halo Infinite API client returning raw JSON; open it with `open_halo_api`."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        tokens: TokenManager,
        *,
        limiter: HaloRateLimiter,
        retry: RetryPolicy,
        metrics: ApiMetrics | None = None,
        logger: LoggerLike | None = None,
        verbose: bool = False,
    ) -> None:
        self.session = session
        self.tokens = tokens
        self.limiter = limiter
        self.retry = retry
        self.metrics = metrics or ApiMetrics()
        self.logger: LoggerLike = logger or _log
        self.verbose = verbose
        self._spnkr: HaloInfiniteClient | None = None
        self._header_tokens: Tokens | None = None

    # ------------------------------------------------------------------ plumbing
    def _sync_session_headers(self, tokens: Tokens) -> None:
        """Keep spnkr's session-level headers current (for code using the session directly)."""
        if tokens is self._header_tokens:
            return
        if self._spnkr is None:
            self._spnkr = HaloInfiniteClient(
                self.session, tokens.spartan, tokens.clearance, _SPNKR_UNTHROTTLED_RPS
            )
        else:
            self._spnkr.set_tokens(tokens.spartan, tokens.clearance)
        self._header_tokens = tokens

    async def _request(
        self,
        method: str,
        url: str,
        *,
        endpoint: str,
        params: Any = None,
        not_found: Callable[[], HaloApiError] | None = None,
        priority: int = NORMAL,
    ) -> bytes:
        """Send one logical request with limiter, auth, retries and typed errors."""
        parts = urllib.parse.urlsplit(url)
        what = f"{method} {parts.hostname}{parts.path}"
        budget = self.limiter.budget(parts.hostname or "")
        refreshes = 0
        first_sent: list[float] = []

        async def attempt() -> bytes:
            nonlocal refreshes
            while True:
                tokens = await self.tokens.ensure_fresh(self.session)
                self._sync_session_headers(tokens)
                status: int | None = None
                async with self.limiter.slot(budget, priority) as sent_at:
                    started = time.monotonic()
                    if not first_sent:
                        first_sent.append(started)
                    try:
                        async with self.session.request(
                            method, url, params=params, headers=tokens.headers()
                        ) as resp:
                            status = resp.status
                            retry_after = resp.headers.get("Retry-After")
                            body = await resp.read()
                    finally:
                        self.metrics.record(endpoint, status)
                        if self.verbose:
                            ms = (time.monotonic() - started) * 1000
                            self.logger.info(
                                f"{method} {parts.hostname}{parts.path} -> "
                                f"{status if status is not None else 'no response'} {ms:.0f} ms"
                            )
                if status == 401:
                    # Several refreshes per request, not one: with many requests in flight a
                    # fresh token can legitimately expire again before this one is resent.
                    if refreshes >= MAX_REFRESHES_PER_REQUEST:
                        raise AuthenticationFailed("the Halo API rejected refreshed tokens")
                    refreshes += 1
                    await self.tokens.refresh_after_401(self.session, tokens)
                    self.metrics.token_refreshes = self.tokens.refresh_count
                    continue
                if status == 429:
                    from levelup_pipeline.halo.retry import parse_retry_after

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
            self.logger.warning(f"Retrying {what} in {sleep:.1f}s ({_short(exc)}).")

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
        finally:
            self.metrics.token_refreshes = self.tokens.refresh_count

    async def _get_json(
        self,
        url: str,
        *,
        endpoint: str,
        params: Any = None,
        not_found: Callable[[], HaloApiError] | None = None,
        priority: int = NORMAL,
    ) -> Any:
        body = await self._request(
            "GET", url, endpoint=endpoint, params=params, not_found=not_found, priority=priority
        )
        try:
            return json.loads(body)
        except (ValueError, RecursionError):  # RecursionError: nested ~1,000 levels deep
            self.metrics.errors += 1
            host = urllib.parse.urlsplit(url)
            raise MalformedResponse(
                f"The Halo API answered GET {host.hostname}{host.path} with a body that is not "
                "valid JSON."
            ) from None

    # ------------------------------------------------------------------ public API
    async def resolve_player(self, player: str) -> PlayerIdentity:
        """Gamertag, XUID or `xuid(N)` -> PlayerIdentity (404 -> PlayerNotFound)."""
        text = str(player).strip()
        if not text:
            raise PlayerNotFound(player)
        try:
            ref = f"xuid({unwrap_xuid(text)})"
        except InvalidXuidError:
            ref = f"gt({text})"
        url = f"{PROFILE_HOST}/users/{urllib.parse.quote(ref, safe='()')}"
        data = await self._get_json(
            url, endpoint="profile.user", not_found=lambda: PlayerNotFound(text)
        )
        try:
            xuid = str(data["xuid"]).strip()
            gamertag = str(data["gamertag"])
        except (KeyError, TypeError):
            raise MalformedResponse(
                f"The Halo profile service answered for {text!r} without xuid/gamertag."
            ) from None
        if xuid.lower().startswith("xuid("):
            xuid = xuid[5:].rstrip(")")
        return PlayerIdentity(xuid=xuid, gamertag=gamertag)

    async def users(self, xuids: Iterable[str]) -> list[dict]:
        """Profiles of many XUIDs, fetched in batches of 100."""
        ids = [str(unwrap_xuid(x)) for x in xuids]
        out: list[dict] = []
        for i in range(0, len(ids), USERS_BATCH):
            batch = ids[i : i + USERS_BATCH]
            data = await self._get_json(
                f"{PROFILE_HOST}/users",
                endpoint="profile.users",
                params=[("xuids", x) for x in batch],
            )
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
        url = f"{STATS_HOST}/hi/players/{_quote_player(player)}/matches"
        return await self._get_json(
            url,
            endpoint="stats.match_history",
            params={"start": str(start), "count": str(count), "type": match_type},
            not_found=lambda: PlayerNotFound(str(player)),
            priority=URGENT,  # pages feed every other request: never behind match requests
        )

    async def match_count(self, player: str) -> dict:
        """A player's match counts per type."""
        url = f"{STATS_HOST}/hi/players/{_quote_player(player)}/matches/count"
        return await self._get_json(
            url, endpoint="stats.match_count", not_found=lambda: PlayerNotFound(str(player))
        )

    async def match_stats(self, match_id: str) -> dict:
        """One match's stats (404/410 -> MatchNotFound, bad body -> MalformedResponse)."""
        url = f"{STATS_HOST}/hi/matches/{match_id}/stats"
        data = await self._get_json(
            url, endpoint="stats.match_stats", not_found=lambda: MatchNotFound(str(match_id))
        )
        if not isinstance(data, dict):
            raise MalformedResponse(f"The match stats of {match_id} are not a JSON object.")
        return data

    async def match_skill(self, match_id: str, xuids: Iterable[str]) -> dict:
        """Skill (CSR/MMR) results of the given players in a match (404 -> ResourceNotFound)."""
        url = f"{SKILL_HOST}/hi/matches/{match_id}/skill"
        wanted = [str(unwrap_xuid(x)) for x in xuids]
        data = await self._get_json(
            url,
            endpoint="skill.match_skill",
            params=[("players", f"xuid({x})") for x in wanted],
            not_found=lambda: ResourceNotFound(f"No skill data for match {match_id}."),
        )
        # A body without a result for a requested player (null, empty or another player's
        # Value) is no answer: a gap to fill again later, never stored as the player's skill.
        if any(skill_result_for(data, x) is None for x in wanted):
            self.metrics.errors += 1
            raise MalformedResponse(
                f"The skill answer for match {match_id} holds no result for the player."
            )
        return data

    async def highlight_events(self, match_id: str) -> list[dict]:
        """Highlight events (kills, deaths, medals) from the match film's last type-3 chunk."""
        url = f"{DISCOVERY_HOST}/hi/films/matches/{match_id}/spectate"

        def unavailable(reason: str) -> FilmUnavailable:
            return FilmUnavailable(f"Match {match_id} has no readable film: {reason}.")

        film = await self._get_json(
            url,
            endpoint="discovery_ugc.film",
            not_found=lambda: unavailable("no film metadata (HTTP 404)"),
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
        chunk_url = urllib.parse.urljoin(prefix, str(highlight[-1]["FileRelativePath"]).lstrip("/"))
        data = await self._request(
            "GET",
            chunk_url,
            endpoint="film.chunk",
            not_found=lambda: unavailable("highlight-events chunk missing (HTTP 404)"),
        )
        try:
            # Same events as spnkr's reader (parity-tested on every film layout), ~5x less CPU:
            # parsing runs on the event loop, so spnkr's bitstring walk starved the limiter.
            return read_highlight_events(data, version)
        except Exception as exc:  # noqa: BLE001 - zlib/FilmReadError/UnicodeDecodeError/...
            raise unavailable(f"unreadable highlight-events chunk ({type(exc).__name__})") from None

    async def ugc_asset(self, kind: str, asset_id: str, version_id: str) -> dict:
        """A map, game variant, playlist or map-mode pair version (404 -> ResourceNotFound)."""
        if kind not in UGC_KINDS:
            raise ValueError(f"kind must be one of {UGC_KINDS}, got {kind!r}")
        url = f"{DISCOVERY_HOST}/hi/{kind}/{asset_id}/versions/{version_id}"
        return await self._get_json(
            url,
            endpoint=f"discovery_ugc.{kind}",
            not_found=lambda: ResourceNotFound(
                f"UGC asset {kind}/{asset_id} version {version_id} was not found."
            ),
            priority=BACKGROUND,  # names block no match: films first
        )

    async def medal_metadata(self) -> dict:
        """Names, descriptions and difficulty of every medal."""
        return await self._get_json(
            f"{GAMECMS_HOST}/hi/Waypoint/file/medals/metadata.json",
            endpoint="gamecms.medal_metadata",
            not_found=lambda: ResourceNotFound("The medal metadata file was not found."),
        )


def _short(exc: BaseException) -> str:
    from levelup_pipeline.halo.retry import describe_failure

    return describe_failure(exc)


@contextlib.asynccontextmanager
async def open_halo_api(
    settings: HaloApiSettings | None = None,
    *,
    logger: LoggerLike | None = None,
) -> AsyncIterator[HaloApi]:
    """Create the one session, obtain tokens, yield a ready `HaloApi`, close everything."""
    settings = settings or HaloApiSettings()
    endpoint = configured_endpoint(settings.endpoint)
    rps = configured_rps(settings.requests_per_second)
    credentials = settings.credentials
    if endpoint is not None and not credentials.simulator:
        credentials = Credentials(**{**credentials.__dict__, "simulator": True})
    limiter = HaloRateLimiter(
        rps,
        ceiling=settings.max_requests_per_second,
        burst=settings.burst,
        max_in_flight=settings.max_in_flight,
    )
    timeout = aiohttp.ClientTimeout(
        total=settings.request_timeout_seconds,
        sock_connect=min(15.0, settings.request_timeout_seconds),
    )
    session = create_session(endpoint, limit=max(settings.max_in_flight, 1) * 2, timeout=timeout)
    try:
        tokens = TokenManager(credentials, expiry_margin=settings.expiry_margin, endpoint=endpoint)
        await tokens.start(session)
        api = HaloApi(
            session,
            tokens,
            limiter=limiter,
            retry=settings.retry,
            logger=logger,
            verbose=settings.verbose,
        )
        api.metrics.token_refreshes = tokens.refresh_count
        (logger or _log).info(
            f"Halo API ready ({'endpoint ' + endpoint if endpoint else 'live services'}, "
            f"{limiter.describe()}, {settings.max_in_flight} in flight)."
        )
        yield api
    finally:
        await session.close()
        await asyncio.sleep(0)
