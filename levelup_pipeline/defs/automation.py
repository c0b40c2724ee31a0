"""The automation sensor: evaluates the assets' `AutomationCondition`s while the daemon runs.

Model tables, aggregates and the report are `eager()`: when raw_match_json (or anything
upstream) of a player is materialized - a sync job, its asset page in the UI - the next
evaluation requests what is now out of date for that player. Dagster would add a default
automation sensor, but stopped; this one is on by default so `make dev` needs no click.
"""

from dagster import AssetSelection, AutomationConditionSensorDefinition, DefaultSensorStatus

levelup_automation = AutomationConditionSensorDefinition(
    "levelup_automation",
    target=AssetSelection.all(),
    default_status=DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    description="Brings a player's model, aggregates and report up to date after raw_match_json "
    "changed (AutomationCondition.eager on those assets).",
)
