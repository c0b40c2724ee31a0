"""Halo API tokens: given, reused while valid, or refreshed from the stored refresh token
(docs/api-layer.md); no token ever reaches a log, an exception or a repr."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import aiohttp

from levelup_pipeline.atomic_file import write_atomic
from levelup_pipeline.config import SECRET_ENV
from levelup_pipeline.halo.endpoint import configured_endpoint, create_session
from levelup_pipeline.halo.errors import AuthenticationFailed, HaloApiUnavailable, InsecureTokenFile

if TYPE_CHECKING:  # spnkr is imported only to sign in or refresh (halo/spnkr_light.py says why)
    from spnkr.auth.halo import ClearanceToken, SpartanToken

TOKEN_FILE_ENV = "LEVELUP_TOKEN_FILE"
SPARTAN_ENV, CLEARANCE_ENV, CLIENT_ID_ENV, CLIENT_SECRET_ENV, REDIRECT_URI_ENV = SECRET_ENV.values()


class AzureApp(NamedTuple):
    """spnkr's AzureApp fields, so that reading credentials does not import spnkr."""

    client_id: str
    client_secret: str
    redirect_uri: str = "https://localhost"

    def for_spnkr(self) -> Any:
        """spnkr's own AzureApp, for its sign-in calls (imports spnkr)."""
        from spnkr.auth import AzureApp as SpnkrApp

        return SpnkrApp(*self)


SIM_APP = AzureApp("sim-client-id", "sim-client-secret", "https://localhost")
SIM_REFRESH_TOKEN = "sim-refresh-token"
#: Refresh this long before ExpiresUtc (capped at 10% of the token's lifetime).
EXPIRY_MARGIN = dt.timedelta(minutes=5)
#: The process's tokens per (Azure app, token file, endpoint): a pre-check and its run share them.
_TOKENS: dict[tuple[str, str, str], Tokens] = {}


def default_token_file() -> Path:
    """`$LEVELUP_TOKEN_FILE`, else `~/.config/levelup/refresh_token.json`."""
    env = os.environ.get(TOKEN_FILE_ENV, "").strip()
    return Path(env).expanduser() if env else Path.home() / ".config/levelup/refresh_token.json"


def read_token_file(path: Path) -> dict | None:
    """The token file's content, None if it is absent; refuse a non-private file."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise InsecureTokenFile(
            f"Refusing to read the refresh-token file {path}: it is accessible by group/others "
            f"(mode {stat.S_IMODE(mode):04o}); run 'chmod 600 {path}' or 'levelup auth'."
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = None
    if not isinstance(data, dict):
        raise AuthenticationFailed(f"the refresh-token file {path} is unreadable")
    return data


def read_refresh_token(path: Path) -> str | None:
    """The stored refresh token, None if the file is absent; refuse a non-private file."""
    data = read_token_file(path)
    token = None if data is None else data.get("refresh_token")
    if data is not None and (not isinstance(token, str) or not token):
        raise AuthenticationFailed(f"the refresh-token file {path} holds no token")
    return token


def write_refresh_token(
    path: Path, token: str, tokens: Tokens | None = None, endpoint: str = ""
) -> None:
    """Atomically write the refresh token (and the token pair) to a 0600 file in a 0700 folder."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    content: dict = {"refresh_token": token, "updated_utc": dt.datetime.now(dt.UTC).isoformat()}
    if tokens is not None and tokens.expires_at and tokens.refresh_at:  # lifetime known
        content["spartan"] = {
            "endpoint": endpoint,
            "spartan_token": tokens.spartan,
            "clearance_token": tokens.clearance,
            "expires_utc": tokens.expires_at.isoformat(),
            "refresh_utc": tokens.refresh_at.isoformat(),
        }
    write_atomic(path, json.dumps(content).encode("utf-8"), mode=0o600, durable=True)


@dataclass
class Credentials:
    """What the caller configured; secret fields are excluded from repr."""

    spartan_token: str | None = field(default=None, repr=False)
    clearance_token: str | None = field(default=None, repr=False)
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    redirect_uri: str | None = None
    token_file: Path | None = None

    @classmethod
    def from_env(cls, *, token_file: str | Path | None = None, **given: str | None) -> Credentials:
        """Values given win; missing ones come from the documented env variables."""
        values = {
            name: (given.pop(name, None) or os.environ.get(env, "")).strip() or None
            for name, env in SECRET_ENV.items()
        }
        path = Path(token_file).expanduser() if token_file else None
        return cls(**given, **values, token_file=path)


@dataclass(frozen=True)
class Tokens:
    """One spartan + clearance pair; repr hides the values."""

    spartan: str = field(repr=False)
    clearance: str = field(repr=False)
    expires_at: dt.datetime | None = None
    refresh_at: dt.datetime | None = None

    def headers(self) -> dict[str, str]:
        """The request headers spnkr's HaloInfiniteClient sets."""
        return {
            "Accept": "application/json",
            "x-343-authorization-spartan": self.spartan,
            "343-clearance": self.clearance,
        }

    def fresh(self) -> bool:
        """Usable until their refresh time (always, when it is unknown)."""
        return self.refresh_at is None or dt.datetime.now(dt.UTC) < self.refresh_at


def forget_tokens() -> None:
    """Drop the process's reused tokens (tests; a new sign-in)."""
    _TOKENS.clear()


class TokenManager:
    """Obtains, caches and refreshes the tokens of one run."""

    def __init__(self, credentials: Credentials, endpoint: str | None = None) -> None:
        self.credentials = creds = credentials
        self.endpoint = endpoint or ""  # "" = the live services
        self.tokens: Tokens | None = None
        self.refresh_count = 0
        self._lock = asyncio.Lock()
        self._refresh_token: str | None = None
        self._token_file: Path | None = None
        self._app: AzureApp | None = None
        if creds.client_id and creds.client_secret:
            redirect = creds.redirect_uri or "https://localhost"
            self._app = AzureApp(creds.client_id, creds.client_secret, redirect)
            self._token_file = creds.token_file or default_token_file()
        elif endpoint and not creds.spartan_token:  # a simulator: its fake app
            self._app = SIM_APP
            self._token_file = creds.token_file  # the fake token stays in memory unless set

    async def start(self, session: aiohttp.ClientSession) -> Tokens:
        """Get the first pair of tokens (static ones, cached ones, or via the refresh flow)."""
        creds = self.credentials
        if creds.spartan_token:
            if not creds.clearance_token:
                raise AuthenticationFailed(f"{SPARTAN_ENV} is set but {CLEARANCE_ENV} is not")
            self.tokens = Tokens(creds.spartan_token, creds.clearance_token)
            return self.tokens
        if self._app is None:
            raise AuthenticationFailed(
                f"no Halo credentials: set {CLIENT_ID_ENV}/{CLIENT_SECRET_ENV} or "
                f"{SPARTAN_ENV}/{CLEARANCE_ENV}"
            )
        cached = self._recall()
        if cached is not None:
            self.tokens = cached
            return cached
        async with self._lock:
            return await self._refresh_locked(session)

    def _cache_key(self) -> tuple[str, str, str]:
        assert self._app is not None
        return self._app.client_id, str(self._token_file or ""), self.endpoint

    def _recall(self) -> Tokens | None:
        """This account's valid tokens: from memory, else from the token file."""
        tokens = _TOKENS.get(self._cache_key())
        if tokens is not None and tokens.fresh():
            return tokens
        stored = read_token_file(self._token_file) if self._token_file else None
        cached = (stored or {}).get("spartan")
        if not isinstance(cached, dict) or cached.get("endpoint") != self.endpoint:
            return None
        try:
            tokens = Tokens(
                cached["spartan_token"],
                cached["clearance_token"],
                dt.datetime.fromisoformat(cached["expires_utc"]),
                dt.datetime.fromisoformat(cached["refresh_utc"]),
            )
        except (KeyError, TypeError, ValueError):
            return None
        if not (tokens.spartan and tokens.clearance and tokens.fresh()):
            return None
        _TOKENS[self._cache_key()] = tokens
        return tokens

    def _needs_refresh(self) -> bool:
        return self.tokens is None or (self._app is not None and not self.tokens.fresh())

    async def ensure_fresh(self, session: aiohttp.ClientSession) -> Tokens:
        """Current tokens, refreshed first if they are within their expiry margin."""
        if self._needs_refresh():
            current = self.tokens
            async with self._lock:
                if self.tokens is current and self._needs_refresh():
                    await self._refresh_locked(session)
        assert self.tokens is not None
        return self.tokens

    async def refresh_after_401(self, session: aiohttp.ClientSession, used: Tokens) -> Tokens:
        """Refresh once after a 401 (unless another request already did)."""
        async with self._lock:
            if self.tokens is not None and self.tokens is not used:
                return self.tokens
            if self._app is None:
                raise AuthenticationFailed("the Halo API rejected the configured spartan token")
            return await self._refresh_locked(session)

    async def _refresh_locked(self, session: aiohttp.ClientSession) -> Tokens:
        """spnkr's `refresh_player_tokens`, unrolled to keep the rotated refresh token."""
        assert self._app is not None
        refresh_token = self._refresh_token
        if not refresh_token and self._token_file:
            refresh_token = read_refresh_token(self._token_file)
        if not refresh_token and self._app is SIM_APP:
            refresh_token = SIM_REFRESH_TOKEN
        if not refresh_token:
            raise AuthenticationFailed(f"no refresh token stored in {self._token_file}")
        from spnkr.auth import halo as spnkr_halo
        from spnkr.auth import oauth as spnkr_oauth
        from spnkr.auth import xbox as spnkr_xbox
        from spnkr.auth.core import XSTS_V3_HALO_AUDIENCE, XSTS_V3_XBOX_AUDIENCE

        try:
            app = self._app.for_spnkr()
            oauth = await spnkr_oauth.refresh_oauth_token(session, refresh_token, app)
            user = await spnkr_xbox.request_user_token(session, oauth.access_token)
            # The Xbox-audience XSTS token is part of spnkr's flow (player identity).
            await spnkr_xbox.request_xsts_token(session, user.token, XSTS_V3_XBOX_AUDIENCE)
            xsts = await spnkr_xbox.request_xsts_token(session, user.token, XSTS_V3_HALO_AUDIENCE)
            spartan = await spnkr_halo.request_spartan_token(session, xsts.token)
            clearance = await spnkr_halo.request_clearance_token(session, spartan.token)
            new_refresh = oauth.refresh_token
            tokens = self._make_tokens(spartan, clearance)
        except (TimeoutError, aiohttp.ClientConnectionError) as exc:
            raise HaloApiUnavailable(
                "The Halo sign-in services could not be reached while refreshing tokens "
                f"({type(exc).__name__})."
            ) from None
        except Exception as exc:  # noqa: BLE001 - spnkr raises KeyError/OAuth2Error/...
            raise AuthenticationFailed(f"token refresh failed: {type(exc).__name__}") from None
        self._refresh_token = new_refresh or refresh_token
        if self._token_file is not None:
            write_refresh_token(self._token_file, self._refresh_token, tokens, self.endpoint)
        _TOKENS[self._cache_key()] = tokens
        self.tokens = tokens
        self.refresh_count += 1
        return tokens

    def _make_tokens(self, spartan: SpartanToken, clearance: ClearanceToken) -> Tokens:
        if not spartan.token or not clearance.token:  # KeyError on an error body
            raise ValueError("empty token")
        try:
            expires_at = spartan.expires_at
        except (KeyError, TypeError, ValueError):
            return Tokens(spartan.token, clearance.token)
        if expires_at.tzinfo is None:
            expires_at = expires_at.replace(tzinfo=dt.UTC)
        lifetime = max(expires_at - dt.datetime.now(dt.UTC), dt.timedelta(0))
        refresh_at = expires_at - min(EXPIRY_MARGIN, lifetime / 10)
        return Tokens(spartan.token, clearance.token, expires_at, refresh_at)


async def interactive_login(app: AzureApp, token_file: Path | None = None) -> Path:
    """`levelup auth`: spnkr's sign-in prompt, then the refresh token stored (0600)."""
    from spnkr.auth import authenticate_player

    path = Path(token_file) if token_file else default_token_file()
    async with create_session(configured_endpoint()) as session:
        try:
            refresh_token = await authenticate_player(session, app.for_spnkr())
        except (TimeoutError, aiohttp.ClientConnectionError) as exc:
            raise HaloApiUnavailable(
                f"login.live.com could not be reached ({type(exc).__name__})."
            ) from None
        except Exception as exc:  # noqa: BLE001
            raise AuthenticationFailed(f"sign-in failed: {type(exc).__name__}") from None
    write_refresh_token(path, refresh_token)
    return path
