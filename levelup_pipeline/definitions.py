"""The Dagster code location: assets, checks, jobs, schedules, sensors and resources, assembled
per domain (`DOMAINS`) and merged; `levelup_pipeline_tests/defs/test_definitions.py` compares
the result with a committed snapshot and runs `dagster definitions validate` on it."""

from __future__ import annotations

import os

from dagster import Definitions, EnvVar

from levelup_pipeline.defs.assets_aggregates import aggregate_tables
from levelup_pipeline.defs.assets_ingest import raw_match_json
from levelup_pipeline.defs.assets_model import model_tables
from levelup_pipeline.defs.assets_reference import game_assets
from levelup_pipeline.defs.assets_report import player_report
from levelup_pipeline.defs.automation import levelup_automation
from levelup_pipeline.defs.executor import player_run_executor
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


#: One Definitions per domain (one folder of concern each), merged into the code location.
DOMAINS: dict[str, Definitions] = {
    # raw API responses: the only asset that calls the Halo API for match data
    "ingest": Definitions(assets=[raw_match_json]),
    # the tables a player queries, transformed from raw, and their invariants
    "model": Definitions(assets=[model_tables]),  # its checks run in its step (check_specs)
    "aggregates": Definitions(assets=[aggregate_tables]),
    "report": Definitions(assets=[player_report]),
    # game metadata and images (--with-assets)
    "reference": Definitions(assets=[game_assets]),
    # how runs start: jobs (with their run config), cadence schedules, roster/gap sensors
    # Materializing from an asset's page runs the implicit asset job: in process like the sync
    # jobs (the multiprocess executor adds ~10 s of start-up and buys nothing with one writer
    # per player file).
    "orchestration": Definitions(
        jobs=JOBS,
        schedules=SCHEDULES,
        sensors=[*SENSORS, levelup_automation],
        executor=player_run_executor,
    ),
    "resources": Definitions(resources={"halo": halo_resource(), "store": PlayerStoreResource()}),
}

defs = Definitions.merge(*DOMAINS.values())
