"""Where things live: the data directory and the project-local Dagster home.

Everything is overridable by environment variables so that tests, the demo and a real
installation can point the same code at different folders.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    """The root of all player databases (`LEVELUP_DATA_DIR`, default the repo's `data/`)."""
    return Path(os.environ.get("LEVELUP_DATA_DIR") or PROJECT_ROOT / "data").resolve()


def dagster_home() -> Path:
    """The Dagster instance folder (`DAGSTER_HOME`, default the repo's `.dagster_home/`)."""
    return Path(os.environ.get("DAGSTER_HOME") or PROJECT_ROOT / ".dagster_home").resolve()


#: Every environment variable that points LevelUp at an installation, an API or credentials:
#: what tests and benchmarks must clear so a developer's real setup never leaks into them.
INSTALLATION_ENV = (
    "LEVELUP_HALO_ENDPOINT",
    "LEVELUP_HALO_RPS",
    "LEVELUP_DATA_DIR",
    "LEVELUP_TOKEN_FILE",
    "DAGSTER_HOME",
    "HALO_SPARTAN_TOKEN",
    "HALO_CLEARANCE_TOKEN",
    "SPNKR_CLIENT_ID",
    "SPNKR_CLIENT_SECRET",
    "SPNKR_REDIRECT_URI",
)
