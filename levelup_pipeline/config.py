"""Where things live (data directory, Dagster home), overridable by the environment."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
#: The API resource's secret fields and their variables (wired as EnvVar: the UI shows names).
SECRET_ENV = {
    "spartan_token": "HALO_SPARTAN_TOKEN",
    "clearance_token": "HALO_CLEARANCE_TOKEN",
    "client_id": "SPNKR_CLIENT_ID",
    "client_secret": "SPNKR_CLIENT_SECRET",
    "redirect_uri": "SPNKR_REDIRECT_URI",
}
#: What tests and benchmarks clear so a developer's real setup never leaks into them.
INSTALLATION_ENV = (
    "LEVELUP_HALO_ENDPOINT",
    "LEVELUP_HALO_RPS",
    "LEVELUP_DATA_DIR",
    "LEVELUP_TOKEN_FILE",
    "DAGSTER_HOME",
    *SECRET_ENV.values(),
)


def data_dir() -> Path:
    """The root of all player databases (`LEVELUP_DATA_DIR`, default the repo's `data/`)."""
    return Path(os.environ.get("LEVELUP_DATA_DIR") or PROJECT_ROOT / "data").resolve()


def dagster_home() -> Path:
    """The Dagster instance folder (`DAGSTER_HOME`, default the repo's `.dagster_home/`)."""
    return Path(os.environ.get("DAGSTER_HOME") or PROJECT_ROOT / ".dagster_home").resolve()
