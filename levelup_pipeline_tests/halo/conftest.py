"""Isolate Halo tests from the developer's environment and token file."""

from __future__ import annotations

import pytest

_ENV = (
    "LEVELUP_HALO_ENDPOINT",
    "LEVELUP_HALO_RPS",
    "HALO_SPARTAN_TOKEN",
    "HALO_CLEARANCE_TOKEN",
    "SPNKR_CLIENT_ID",
    "SPNKR_CLIENT_SECRET",
    "SPNKR_REDIRECT_URI",
)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    for name in _ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LEVELUP_TOKEN_FILE", str(tmp_path / "no-such-dir" / "token.json"))
