"""The Dagster code location: one Definitions per domain, merged (snapshot: defs/ tests)."""

from __future__ import annotations

import os

from levelup_pipeline.defs import startup_gc  # isort: skip  (first: it pauses the cyclic GC)

from dagster import Definitions, EnvVar

from levelup_pipeline.config import SECRET_ENV
from levelup_pipeline.defs.assets_aggregates import aggregate_tables
from levelup_pipeline.defs.assets_ingest import game_assets, raw_match_json
from levelup_pipeline.defs.assets_model import model_tables
from levelup_pipeline.defs.assets_report import player_report
from levelup_pipeline.defs.executor import player_run_executor
from levelup_pipeline.defs.jobs import JOBS
from levelup_pipeline.defs.resources import PlayerStoreResource
from levelup_pipeline.defs.schedules import SCHEDULES
from levelup_pipeline.defs.sensors import SENSORS
from levelup_pipeline.halo.resource import HaloApiResource


def halo_resource() -> HaloApiResource:
    """The API resource, each secret that is set passed as an EnvVar (unset: the token file)."""
    secrets = {field: EnvVar(var) for field, var in SECRET_ENV.items() if os.environ.get(var)}
    return HaloApiResource(**secrets)


DOMAINS: dict[str, Definitions] = {
    "ingest": Definitions(assets=[raw_match_json]),
    "model": Definitions(assets=[model_tables]),
    "aggregates": Definitions(assets=[aggregate_tables]),
    "report": Definitions(assets=[player_report]),
    "reference": Definitions(assets=[game_assets]),
    # In process: the multiprocess executor costs ~10 s and one writer per file gains nothing.
    "orchestration": Definitions(
        jobs=JOBS, schedules=SCHEDULES, sensors=SENSORS, executor=player_run_executor
    ),
    "resources": Definitions(resources={"halo": halo_resource(), "store": PlayerStoreResource()}),
}

defs = Definitions.merge(*DOMAINS.values())
startup_gc.resume()
