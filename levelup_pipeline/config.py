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
