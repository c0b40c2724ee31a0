"""Spartan/clearance tokens are reused while valid: in memory (the CLI's pre-check and its
run), and across processes through the user-only token file; never anywhere else."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import stat
from pathlib import Path

from levelup_pipeline.halo.auth import Credentials, forget_tokens
from levelup_pipeline.halo.client import HaloApi, open_halo_api
from levelup_pipeline_tests.halo.fake_halo import FakeHalo
from levelup_pipeline_tests.halo.helpers import make_settings

APP = {"client_id": "app-id", "client_secret": "app-secret"}


def _sessions(
    fake: FakeHalo, credentials: Credentials, runs: int, forget: bool, between=None
) -> list[str]:
    """Open the API `runs` times on one fake (a new process each time when `forget`), calling
    `between(run_index)` before each; the spartan token each session used for its request."""

    async def main() -> list[str]:
        runner = await fake.start()
        used = []
        try:
            for run in range(runs):
                if between is not None:
                    between(run)
                if forget:
                    forget_tokens()
                settings = make_settings(fake, credentials=credentials)
                async with open_halo_api(settings) as api:
                    await api.match_stats("m1")
                    used.append(_spartan(api))
        finally:
            await runner.cleanup()
        return used

    return asyncio.run(main())


def _spartan(api: HaloApi) -> str:
    assert api.tokens.tokens is not None
    return api.tokens.tokens.spartan


def test_one_process_signs_in_once():
    fake = FakeHalo()
    used = _sessions(fake, Credentials(), runs=3, forget=False)
    assert fake.count("login.live.com") == 1
    assert fake.count("settings.svc.halowaypoint.com", "/spartan-token") == 1
    assert len(set(used)) == 1


def test_the_next_process_reuses_the_token_files_tokens(tmp_path: Path):
    token_file = tmp_path / "cfg" / "refresh_token.json"
    fake = FakeHalo()
    creds = Credentials(token_file=token_file, **APP)
    token_file.parent.mkdir(mode=0o700)
    token_file.write_text(json.dumps({"refresh_token": "rt-0"}))
    token_file.chmod(0o600)
    used = _sessions(fake, creds, runs=2, forget=True)
    assert fake.count("login.live.com") == 1  # the second process read the file
    assert used[0] == used[1]
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    stored = json.loads(token_file.read_text())
    assert stored["spartan"]["spartan_token"] == used[0]
    assert stored["refresh_token"]  # the rotated refresh token is kept alongside


def test_expired_or_foreign_cached_tokens_are_not_used(tmp_path: Path):
    token_file = tmp_path / "refresh_token.json"
    token_file.write_text(json.dumps({"refresh_token": "rt-0"}))
    token_file.chmod(0o600)
    fake = FakeHalo()
    creds = Credentials(token_file=token_file, **APP)
    past = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)).isoformat()

    def tamper(run: int) -> None:
        if run == 0:
            return
        stored = json.loads(token_file.read_text())
        cached = stored["spartan"]
        if run == 1:  # past its refresh time
            stored["spartan"] = {**cached, "refresh_utc": past}
        else:  # obtained from another endpoint (another simulator, or the live services)
            stored["spartan"] = {**cached, "endpoint": "127.0.0.1:1"}
        token_file.write_text(json.dumps(stored))

    used = _sessions(fake, creds, runs=3, forget=True, between=tamper)
    assert fake.count("login.live.com") == 3  # each tampered entry meant a new sign-in
    assert len(set(used)) == 3


def test_a_rejected_cached_token_is_refreshed_once():
    fake = FakeHalo()

    def revoke(run: int) -> None:
        if run == 1:
            fake.valid_spartans.clear()  # the service no longer accepts the cached token

    used = _sessions(fake, Credentials(), runs=2, forget=False, between=revoke)
    assert fake.count("login.live.com") == 2
    assert fake.count("halostats", status=401) == 1
    assert used[0] != used[1]
