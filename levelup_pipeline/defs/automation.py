"""The automation sensor: evaluates the assets' `AutomationCondition`s while the daemon runs.

Model tables, aggregates and the report are `eager()`: when raw_match_json (or anything
upstream) of a player is materialized - a sync job, a scheduled or sensor run (which fetch
only), its asset page in the UI - the next evaluation requests what is now out of date for that
player. Dagster would add a default automation sensor, but stopped; this one is on by default
so `make dev` needs no click. It evaluates every 30 s; `LEVELUP_AUTOMATION_INTERVAL_SECONDS`
(read when the definitions load) sets another interval, e.g. 5 in the browser tests.
"""

import os

from dagster import AssetSelection, AutomationConditionSensorDefinition, DefaultSensorStatus

INTERVAL_ENV = "LEVELUP_AUTOMATION_INTERVAL_SECONDS"
DEFAULT_INTERVAL_SECONDS = 30


def automation_interval() -> int:
    """Seconds between two evaluations: the environment's value if it is a positive integer."""
    value = os.environ.get(INTERVAL_ENV, "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else DEFAULT_INTERVAL_SECONDS


levelup_automation = AutomationConditionSensorDefinition(
    "levelup_automation",
    target=AssetSelection.all(),
    default_status=DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=automation_interval(),
    description="Brings a player's model, aggregates and report up to date after raw_match_json "
    "changed (AutomationCondition.eager on those assets).",
)
