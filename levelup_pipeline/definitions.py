"""The Dagster code location: assets, checks, jobs, schedules, sensors and resources."""

from __future__ import annotations

import os

from dagster import Definitions, EnvVar, in_process_executor

from levelup_pipeline.defs.assets_aggregates import aggregate_tables
from levelup_pipeline.defs.assets_backfill import BACKFILL_ASSETS, fed_by_backfill
from levelup_pipeline.defs.assets_ingest import raw_match_json
from levelup_pipeline.defs.assets_model import model_tables
from levelup_pipeline.defs.assets_report import player_report
from levelup_pipeline.defs.checks import CHECKS
from levelup_pipeline.defs.jobs import JOBS
from levelup_pipeline.defs.resources import PlayerStoreResource
from levelup_pipeline.defs.schedules import SCHEDULES
from levelup_pipeline.defs.sensors import SENSORS
from levelup_pipeline.halo.resource import HaloApiResource

# Secrets are wired as EnvVar (the UI shows the variable's name, never its value); a variable
# that is not set is simply left out, and the resource falls back to the token file.
SECRET_ENV = {
    "spartan_token": "HALO_SPARTAN_TOKEN",
    "clearance_token": "HALO_CLEARANCE_TOKEN",
    "client_id": "SPNKR_CLIENT_ID",
    "client_secret": "SPNKR_CLIENT_SECRET",
    "redirect_uri": "SPNKR_REDIRECT_URI",
}


def halo_resource() -> HaloApiResource:
    """The API resource, with every secret that is set passed by reference (EnvVar)."""
    secrets = {field: EnvVar(var) for field, var in SECRET_ENV.items() if os.environ.get(var)}
    return HaloApiResource(**secrets)


defs = Definitions(
    assets=[
        raw_match_json,
        fed_by_backfill(model_tables),
        aggregate_tables,
        player_report,
        *BACKFILL_ASSETS,
    ],
    asset_checks=CHECKS,
    jobs=JOBS,
    schedules=SCHEDULES,
    sensors=SENSORS,
    resources={"halo": halo_resource(), "store": PlayerStoreResource()},
    # Materializing from an asset's page runs the implicit asset job: in process like the sync
    # jobs (the multiprocess executor adds ~10 s of start-up and buys nothing with one writer
    # per player file).
    executor=in_process_executor,
)
