"""Token storage and refresh for the Halo API.

Where tokens come from, in order:
1. `HALO_SPARTAN_TOKEN` + `HALO_CLEARANCE_TOKEN` (or the resource fields): used as given.
2. An Azure app (`SPNKR_CLIENT_ID`, `SPNKR_CLIENT_SECRET`, `SPNKR_REDIRECT_URI`) and the
   refresh token stored by `levelup auth` in `$LEVELUP_TOKEN_FILE` or
   `~/.config/levelup/refresh_token.json` (mode 0600; a group/world readable file is refused).
3. Simulator mode (an endpoint is set) with no credentials at all: a fixed fake Azure app and
   the refresh token `sim-refresh-token`, so spnkr's real token flow runs end to end.

The refresh follows spnkr's `refresh_player_tokens` step by step (OAuth refresh -> Xbox user
token -> XSTS for Xbox and for Halo -> spartan token -> clearance). It is unrolled here only
because spnkr's helper drops the *rotated* OAuth refresh token, which must be stored back.
Tokens are refreshed before the spartan token expires (ExpiresUtc minus a margin) and once
after a 401; a failed refresh raises `AuthenticationFailed`. No token ever reaches a log
line or an exception message.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from spnkr.auth import halo as spnkr_halo
from spnkr.auth import oauth as spnkr_oauth
from spnkr.auth import xbox as spnkr_xbox
from spnkr.auth.app import AzureApp
from spnkr.auth.core import XSTS_V3_HALO_AUDIENCE, XSTS_V3_XBOX_AUDIENCE

from levelup_pipeline.halo import token_cache
from levelup_pipeline.halo.errors import (
    AuthenticationFailed,
    HaloApiUnavailable,
    InsecureTokenFile,
)

TOKEN_FILE_ENV = "LEVELUP_TOKEN_FILE"
SPARTAN_ENV = "HALO_SPARTAN_TOKEN"
CLEARANCE_ENV = "HALO_CLEARANCE_TOKEN"
CLIENT_ID_ENV = "SPNKR_CLIENT_ID"
CLIENT_SECRET_ENV = "SPNKR_CLIENT_SECRET"
REDIRECT_URI_ENV = "SPNKR_REDIRECT_URI"

SIM_APP = AzureApp("sim-client-id", "sim-client-secret", "https://localhost")
SIM_REFRESH_TOKEN = "sim-refresh-token"
#: Refresh this long before ExpiresUtc (capped at 10% of the token's lifetime).
DEFAULT_EXPIRY_MARGIN = dt.timedelta(minutes=5)


def default_token_file() -> Path:
    """`$LEVELUP_TOKEN_FILE`, else `~/.config/levelup/refresh_token.json`."""
    env = os.environ.get(TOKEN_FILE_ENV, "").strip()
    if env:
        return Path(env).expanduser()
    return Path.home() / ".config" / "levelup" / "refresh_token.json"


def read_token_file(path: Path) -> dict | None:
    """The token file's content, None if it is absent; refuse a non-private file."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise InsecureTokenFile(
            f"Refusing to read the refresh-token file {path}: it is accessible by group/others "
            f"(mode {stat.S_IMODE(st.st_mode):04o}); run 'chmod 600 {path}' or 'levelup auth'."
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise AuthenticationFailed(f"the refresh-token file {path} is unreadable") from None
    if not isinstance(data, dict):
        raise AuthenticationFailed(f"the refresh-token file {path} is unreadable")
    return data


def read_refresh_token(path: Path) -> str | None:
    """The stored refresh token, None if the file is absent; refuse a non-private file."""
    data = read_token_file(path)
    if data is None:
        return None
    token = data.get("refresh_token")
    if not isinstance(token, str) or not token:
        raise AuthenticationFailed(f"the refresh-token file {path} holds no token")
    return token


def write_refresh_token(
    path: Path, token: str, tokens: Tokens | None = None, endpoint: str = ""
) -> None:
    """Atomically write the refresh token (and the current spartan/clearance pair, see
    `token_cache`) to a user-only (0600) file in a 0700 folder."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    content: dict = {"refresh_token": token, "updated_utc": dt.datetime.now(dt.UTC).isoformat()}
    cached = token_cache.file_entry(tokens, endpoint)
    if cached:
        content["spartan"] = cached
    payload = json.dumps(content)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, payload.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


@dataclass
class Credentials:
    """What the caller configured; secret fields are excluded from repr."""

    spartan_token: str | None = field(default=None, repr=False)
    clearance_token: str | None = field(default=None, repr=False)
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    redirect_uri: str | None = None
    token_file: Path | None = None
    simulator: bool = False

    @classmethod
    def from_env(
        cls,
        *,
        spartan_token: str | None = None,
        clearance_token: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        redirect_uri: str | None = None,
        token_file: str | Path | None = None,
        simulator: bool = False,
    ) -> Credentials:
        """Explicit values win; missing ones come from the documented env variables."""

        def pick(value: str | None, env: str) -> str | None:
            value = value if value else os.environ.get(env, "")
            return value.strip() or None

        return cls(
            spartan_token=pick(spartan_token, SPARTAN_ENV),
            clearance_token=pick(clearance_token, CLEARANCE_ENV),
            client_id=pick(client_id, CLIENT_ID_ENV),
            client_secret=pick(client_secret, CLIENT_SECRET_ENV),
            redirect_uri=pick(redirect_uri, REDIRECT_URI_ENV),
            token_file=Path(token_file).expanduser() if token_file else None,
            simulator=simulator,
        )


@dataclass(frozen=True)
class Tokens:
    """One spartan + clearance pair; repr hides the values."""

    spartan: str = field(repr=False)
    clearance: str = field(repr=False)
    expires_at: dt.datetime | None = None
    refresh_at: dt.datetime | None = None

    def headers(self) -> dict[str, str]:
        """The request headers spnkr's HaloInfiniteClient would set."""
        return {"x-343-authorization-spartan": self.spartan, "343-clearance": self.clearance}


class TokenManager:
    """Obtains, caches and refreshes the tokens of one run."""

    def __init__(
        self,
        credentials: Credentials,
        *,
        expiry_margin: dt.timedelta = DEFAULT_EXPIRY_MARGIN,
        endpoint: str | None = None,
    ) -> None:
        self.credentials = credentials
        self.endpoint = endpoint or ""  # "" = the live services
        self.expiry_margin = expiry_margin
        self.tokens: Tokens | None = None
        self.refresh_count = 0
        self._lock = asyncio.Lock()
        self._refresh_token: str | None = None
        self._token_file: Path | None = None
        self._app: AzureApp | None = None
        self._setup_refresh_source()

    def _setup_refresh_source(self) -> None:
        creds = self.credentials
        if creds.client_id and creds.client_secret:
            self._app = AzureApp(
                creds.client_id, creds.client_secret, creds.redirect_uri or "https://localhost"
            )
            self._token_file = creds.token_file or default_token_file()
        elif creds.simulator and not creds.spartan_token:
            self._app = SIM_APP
            # The fake token stays in memory unless a file was explicitly configured.
            self._token_file = creds.token_file

    @property
    def can_refresh(self) -> bool:
        """Whether a refresh token flow is configured (app credentials or simulator)."""
        return self._app is not None

    async def start(self, session: aiohttp.ClientSession) -> Tokens:
        """Get the first pair of tokens (static ones, or via the refresh flow)."""
        creds = self.credentials
        if creds.spartan_token:
            if not creds.clearance_token:
                raise AuthenticationFailed(f"{SPARTAN_ENV} is set but {CLEARANCE_ENV} is not")
            self.tokens = Tokens(creds.spartan_token, creds.clearance_token)
            return self.tokens
        if not self.can_refresh:
            raise AuthenticationFailed(
                f"no Halo credentials: set {CLIENT_ID_ENV}/{CLIENT_SECRET_ENV} or "
                f"{SPARTAN_ENV}/{CLEARANCE_ENV}"
            )
        token_file = self._token_file
        cached = token_cache.recall(
            self._cache_key(), lambda: read_token_file(token_file) if token_file else None
        )
        if cached is not None:
            self.tokens = cached
            return cached
        return await self._refresh(session)

    def _cache_key(self) -> tuple[str, str]:
        assert self._app is not None
        return token_cache.cache_key(self._app.client_id, self._token_file, self.endpoint)

    def needs_refresh(self) -> bool:
        """True when the spartan token is within its expiry margin."""
        tokens = self.tokens
        if tokens is None or tokens.refresh_at is None or not self.can_refresh:
            return tokens is None
        return dt.datetime.now(dt.UTC) >= tokens.refresh_at

    async def ensure_fresh(self, session: aiohttp.ClientSession) -> Tokens:
        """Current tokens, refreshed first if they are about to expire."""
        if self.needs_refresh():
            current = self.tokens
            async with self._lock:
                if self.tokens is current and self.needs_refresh():
                    await self._refresh_locked(session)
        assert self.tokens is not None
        return self.tokens

    async def refresh_after_401(self, session: aiohttp.ClientSession, used: Tokens) -> Tokens:
        """Refresh once after a 401 (unless another request already did)."""
        async with self._lock:
            if self.tokens is not None and self.tokens is not used:
                return self.tokens
            if not self.can_refresh:
                raise AuthenticationFailed("the Halo API rejected the configured spartan token")
            return await self._refresh_locked(session)

    async def _refresh(self, session: aiohttp.ClientSession) -> Tokens:
        async with self._lock:
            return await self._refresh_locked(session)

    def _load_refresh_token(self) -> str:
        if self._refresh_token:
            return self._refresh_token
        token = read_refresh_token(self._token_file) if self._token_file else None
        if token is None and self._app is SIM_APP:
            token = SIM_REFRESH_TOKEN
        if token is None:
            raise AuthenticationFailed(f"no refresh token stored in {self._token_file}")
        return token

    async def _refresh_locked(self, session: aiohttp.ClientSession) -> Tokens:
        assert self._app is not None
        refresh_token = self._load_refresh_token()
        try:
            oauth = await spnkr_oauth.refresh_oauth_token(session, refresh_token, self._app)
            user = await spnkr_xbox.request_user_token(session, oauth.access_token)
            # The Xbox-audience XSTS token is part of spnkr's flow (player identity).
            await spnkr_xbox.request_xsts_token(session, user.token, XSTS_V3_XBOX_AUDIENCE)
            halo_xsts = await spnkr_xbox.request_xsts_token(
                session, user.token, XSTS_V3_HALO_AUDIENCE
            )
            spartan = await spnkr_halo.request_spartan_token(session, halo_xsts.token)
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
        token_cache.remember(self._cache_key(), tokens)
        self.tokens = tokens
        self.refresh_count += 1
        return tokens

    def _make_tokens(
        self, spartan: spnkr_halo.SpartanToken, clearance: spnkr_halo.ClearanceToken
    ) -> Tokens:
        spartan_value = spartan.token  # KeyError on an error body -> AuthenticationFailed
        clearance_value = clearance.token
        if not spartan_value or not clearance_value:
            raise ValueError("empty token")
        try:
            expires_at = spartan.expires_at
        except (KeyError, TypeError, ValueError):
            return Tokens(spartan_value, clearance_value)
        if expires_at.tzinfo is None:
            expires_at = expires_at.replace(tzinfo=dt.UTC)
        lifetime = expires_at - dt.datetime.now(dt.UTC)
        margin = min(self.expiry_margin, max(lifetime, dt.timedelta(0)) / 10)
        return Tokens(spartan_value, clearance_value, expires_at, expires_at - margin)


async def interactive_login(app: AzureApp, token_file: Path | None = None) -> Path:
    """`levelup auth`: print the sign-in URL, read the code, store the refresh token (0600).

    Uses spnkr's `authenticate_player` (which prints the URL and prompts for the code).
    """
    from spnkr.auth.core import authenticate_player

    from levelup_pipeline.halo.endpoint import configured_endpoint, create_session

    path = Path(token_file) if token_file else default_token_file()
    async with create_session(configured_endpoint()) as session:
        try:
            refresh_token = await authenticate_player(session, app)
        except (TimeoutError, aiohttp.ClientConnectionError) as exc:
            raise HaloApiUnavailable(
                f"login.live.com could not be reached ({type(exc).__name__})."
            ) from None
        except Exception as exc:  # noqa: BLE001
            raise AuthenticationFailed(f"sign-in failed: {type(exc).__name__}") from None
    write_refresh_token(path, refresh_token)
    return path
