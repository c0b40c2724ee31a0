"""The Dagster resource that opens a ready `HaloApi`; secrets are EnvVars (the UI shows names)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator

import dagster as dg
from pydantic import Field

from levelup_pipeline.config import SECRET_ENV
from levelup_pipeline.halo.auth import Credentials
from levelup_pipeline.halo.client import HaloApi, HaloApiSettings, open_halo_api
from levelup_pipeline.halo.endpoint import configured_endpoint
from levelup_pipeline.halo.metrics import LoggerLike
from levelup_pipeline.halo.ratelimit import DEFAULT_MAX_IN_FLIGHT
from levelup_pipeline.halo.retry import RetryPolicy


def _value(field_value: str | None) -> str | None:
    """A field's value; an unresolved `EnvVar` (resource used outside a run) is read now."""
    if isinstance(field_value, dg.EnvVar):
        return os.environ.get(field_value.env_var_name) or None
    return field_value


def _secret(env: str) -> str:
    return f'Set with EnvVar("{env}"), never a literal.'


class HaloApiResource(dg.ConfigurableResource):
    """Halo Infinite API access: per-service rate limits, retries, token refresh, typed errors."""

    endpoint: str | None = Field(
        default=None,
        description="127.0.0.1:PORT of a local simulator; unset -> $LEVELUP_HALO_ENDPOINT, "
        "else the live Halo services.",
    )
    requests_per_second: float | None = Field(
        default=None,
        description="Fixed request rate for the whole client; unset -> $LEVELUP_HALO_RPS, else "
        "adaptive per-service budgets (5 req/s each to start, raised while no 429 comes).",
    )
    max_requests_per_second: float | None = Field(
        default=None,
        description="Ceiling of each adaptive per-service budget; unset -> "
        "$LEVELUP_HALO_MAX_RPS, else 20 req/s.",
    )
    max_in_flight: int = Field(default=DEFAULT_MAX_IN_FLIGHT, description="Concurrent requests.")
    max_attempts: int = Field(default=6, description="Attempts per request (429/5xx/timeouts).")
    max_total_wait_seconds: float = Field(
        default=300.0, description="Longest time one request may spend retrying."
    )
    retry_base_delay_seconds: float = Field(
        default=1.0, description="First backoff delay; doubles per attempt (with jitter)."
    )
    retry_max_delay_seconds: float = Field(default=60.0, description="Largest backoff delay.")
    request_timeout_seconds: float = Field(default=60.0, description="Per-request timeout.")
    token_file: str | None = Field(
        default=None,
        description="Refresh-token file; unset -> $LEVELUP_TOKEN_FILE or "
        "~/.config/levelup/refresh_token.json.",
    )
    spartan_token: str | None = Field(default=None, description=_secret("HALO_SPARTAN_TOKEN"))
    clearance_token: str | None = Field(default=None, description=_secret("HALO_CLEARANCE_TOKEN"))
    client_id: str | None = Field(default=None, description="Azure app id ($SPNKR_CLIENT_ID).")
    client_secret: str | None = Field(default=None, description=_secret("SPNKR_CLIENT_SECRET"))
    redirect_uri: str | None = Field(
        default=None, description="Azure app redirect URI ($SPNKR_REDIRECT_URI)."
    )
    verbose: bool = Field(default=False, description="Log every request (no headers/tokens).")

    def settings(self, verbose: bool | None = None) -> HaloApiSettings:
        """The resolved settings (env fallbacks applied now, at run time)."""
        endpoint = configured_endpoint(_value(self.endpoint))
        return HaloApiSettings(
            endpoint=endpoint,
            requests_per_second=self.requests_per_second,
            max_requests_per_second=self.max_requests_per_second,
            max_in_flight=self.max_in_flight,
            retry=RetryPolicy(
                max_attempts=self.max_attempts,
                max_total_wait_seconds=self.max_total_wait_seconds,
                base_delay=self.retry_base_delay_seconds,
                max_delay=self.retry_max_delay_seconds,
            ),
            credentials=Credentials.from_env(
                **{name: _value(getattr(self, name)) for name in SECRET_ENV},
                token_file=self.token_file,
            ),
            request_timeout_seconds=self.request_timeout_seconds,
            verbose=self.verbose if verbose is None else verbose,
        )

    @contextlib.asynccontextmanager
    async def open(
        self, logger: LoggerLike | None = None, verbose: bool | None = None
    ) -> AsyncIterator[HaloApi]:
        """A ready HaloApi; `verbose` overrides the field for this run (`--verbose`)."""
        async with open_halo_api(self.settings(verbose), logger=logger) as api:
            yield api
