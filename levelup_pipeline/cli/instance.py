"""The Dagster instance the CLI shares with the UI: the same DAGSTER_HOME, so CLI runs show up
in the UI's run history and asset catalog."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from dagster import DagsterInstance

from levelup_pipeline.config import PROJECT_ROOT, dagster_home

SHIPPED_DAGSTER_YAML = PROJECT_ROOT / ".dagster_home" / "dagster.yaml"


def ensure_dagster_home() -> Path:
    """Point DAGSTER_HOME at the project-local folder (unless set) and create it."""
    home = dagster_home()
    home.mkdir(parents=True, exist_ok=True)
    target = home / "dagster.yaml"
    if not target.exists() and SHIPPED_DAGSTER_YAML.exists() and target != SHIPPED_DAGSTER_YAML:
        shutil.copyfile(SHIPPED_DAGSTER_YAML, target)
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def get_instance() -> DagsterInstance:
    """The persistent instance under DAGSTER_HOME."""
    ensure_dagster_home()
    return DagsterInstance.get()
