"""Tokens: file permissions, rotation, refresh on expiry / 401, and no secret leaks."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import stat
from pathlib import Path

import dagster as dg
import pytest
from aiohttp import web

from levelup_pipeline.halo.auth import (
    Credentials,
    read_refresh_token,
    write_refresh_token,
)
from levelup_pipeline.halo.client import HaloApi
from levelup_pipeline.halo.errors import AuthenticationFailed, HaloApiError, InsecureTokenFile
from levelup_pipeline.halo.resource import HaloApiResource
from levelup_pipeline_tests.halo.fake_halo import FakeHalo
from levelup_pipeline_tests.halo.helpers import with_api

SPARTAN = "SECRET-SPARTAN-7f3a9c"
CLEARANCE = "SECRET-CLEARANCE-51be02"
CLIENT_SECRET = "SECRET-CLIENT-d00d"
REFRESH = "SECRET-REFRESH-0b5e"


def test_token_file_is_written_0600_and_a_0644_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "cfg" / "refresh_token.json"
    write_refresh_token(path, "rt-1")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert read_refresh_token(path) == "rt-1"
    os.chmod(path, 0o644)
    with pytest.raises(InsecureTokenFile) as err:
        read_refresh_token(path)
    assert "chmod 600" in str(err.value) and "0644" in str(err.value)
    assert "rt-1" not in str(err.value)
    assert read_refresh_token(tmp_path / "absent.json") is None


def test_token_expiry_mid_run_triggers_one_refresh_and_the_run_completes() -> None:
    fake = FakeHalo(token_ttl_requests=10)

    async def run(api: HaloApi) -> tuple[list[dict], int]:
        results = await asyncio.gather(*(api.match_stats(f"m{i}") for i in range(15)))
        return results, api.tokens.refresh_count

    results, refreshes = asyncio.run(with_api(fake, run, rps=50.0, max_in_flight=4))
    assert len(results) == 15
    assert refreshes == 2  # the initial sign-in + exactly one refresh after the 401s
    assert fake.count("login.live.com") == 2


def test_spartan_token_is_refreshed_before_it_expires() -> None:
    fake = FakeHalo(token_ttl_seconds=1.0)

    async def run(api: HaloApi) -> int:
        for i in range(12):
            await api.match_stats(f"m{i}")
            await asyncio.sleep(0.1)
        return api.tokens.refresh_count

    refreshes = asyncio.run(with_api(fake, run))
    assert refreshes >= 2
    assert fake.count("halostats", status=401) == 0


def test_revoked_refresh_token_raises_authentication_failed() -> None:
    fake = FakeHalo(revoked_refresh_tokens={"sim-refresh-token"})
    with pytest.raises(AuthenticationFailed) as err:
        asyncio.run(with_api(fake, lambda api: api.match_stats("m1")))
    assert str(err.value).startswith("Authentication failed: run 'levelup auth'")
    assert "\n" not in str(err.value)


def test_rotated_refresh_token_is_stored_back_0600(tmp_path: Path) -> None:
    path = tmp_path / "token.json"
    write_refresh_token(path, REFRESH)
    fake = FakeHalo()
    creds = Credentials(client_id="app", client_secret=CLIENT_SECRET, token_file=path)
    asyncio.run(with_api(fake, lambda api: api.match_stats("m1"), credentials=creds))
    assert json.loads(path.read_text())["refresh_token"].startswith("refresh-")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def _chain(exc: BaseException) -> str:
    parts = []
    seen: BaseException | None = exc
    while seen is not None:
        parts += [str(seen), repr(seen), repr(getattr(seen, "args", ""))]
        seen = seen.__cause__ or seen.__context__
    return "\n".join(parts)


def test_secrets_never_reach_logs_or_exceptions(
    caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    """Static tokens rejected (401, no refresh possible) and a refresh failure: no leaks."""
    caplog.set_level(logging.DEBUG)
    fake = FakeHalo()  # does not know SPARTAN -> 401
    creds = Credentials(spartan_token=SPARTAN, clearance_token=CLEARANCE)
    errors: list[BaseException] = []
    try:
        asyncio.run(
            with_api(fake, lambda api: api.match_stats("m1"), credentials=creds, verbose=True)
        )
    except HaloApiError as exc:
        errors.append(exc)

    path = tmp_path / "token.json"
    write_refresh_token(path, REFRESH)
    fake2 = FakeHalo(revoked_refresh_tokens={REFRESH})
    creds2 = Credentials(client_id="app", client_secret=CLIENT_SECRET, token_file=path)
    try:
        asyncio.run(with_api(fake2, lambda api: api.match_stats("m1"), credentials=creds2))
    except HaloApiError as exc:
        errors.append(exc)

    assert len(errors) == 2 and all(isinstance(e, AuthenticationFailed) for e in errors)
    text = caplog.text + "\n".join(_chain(e) for e in errors) + repr(creds) + repr(creds2)
    for secret in (SPARTAN, CLEARANCE, CLIENT_SECRET, REFRESH):
        assert secret not in text
    assert "halostats.svc.halowaypoint.com/hi/matches/m1/stats -> 401" in caplog.text


def test_resource_shows_env_var_names_not_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HALO_SPARTAN_TOKEN", SPARTAN)
    monkeypatch.setenv("HALO_CLEARANCE_TOKEN", CLEARANCE)
    resource = HaloApiResource(
        spartan_token=dg.EnvVar("HALO_SPARTAN_TOKEN"),
        clearance_token=dg.EnvVar("HALO_CLEARANCE_TOKEN"),
    )
    assert SPARTAN not in repr(resource)
    settings = resource.settings()
    assert SPARTAN not in repr(settings)
    assert settings.credentials.spartan_token == SPARTAN  # resolved at run time only


def test_resource_open_against_fake_in_simulator_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeHalo()

    async def main() -> str:
        runner = await fake.start()
        try:
            monkeypatch.setenv("LEVELUP_HALO_ENDPOINT", fake.endpoint)
            resource = HaloApiResource(max_attempts=2, retry_base_delay_seconds=0.01)
            async with resource.open() as api:
                return (await api.resolve_player("Sim Player")).xuid
        finally:
            await runner.cleanup()

    assert asyncio.run(main()) == "2533274800000001"
    assert fake.count("login.live.com") == 1


def test_tokens_travel_with_api_requests_only() -> None:
    """Every API request carries the tokens and spnkr's Accept header; the sign-in hosts of a
    refresh after a 401 never see the spartan token."""
    accepts: list[str | None] = []

    def script(request: web.Request) -> None:
        if "halostats" in request.host:
            accepts.append(request.headers.get("Accept"))

    fake = FakeHalo(script=script, token_ttl_requests=3)

    async def run(api: HaloApi) -> None:
        for i in range(6):
            await api.match_stats(f"m{i}")

    asyncio.run(with_api(fake, run))
    assert fake.count("login.live.com") >= 2  # the sign-in and at least one refresh
    stats = [h for h in fake.hits if "halostats" in h.host]
    assert stats and all(h.spartan for h in stats) and set(accepts) == {"application/json"}
    sign_in = [h for h in fake.hits if "login.live.com" in h.host or "xboxlive.com" in h.host]
    assert sign_in and not any(h.spartan for h in sign_in)
