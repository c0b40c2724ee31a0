"""Writes outside a run, recorded as materializations: archive, restore and rename change a
player's modelled tables without a Dagster run, so they report runless materializations of the
tables they changed (`instance.report_runless_asset_event`) and the UI's history matches the
file. The events carry the new row counts; the automation sensor then refreshes what follows
(aggregates, report) like after any other materialization."""

from __future__ import annotations

from collections.abc import Mapping

from dagster import AssetMaterialization, DagsterInstance

from levelup_pipeline.defs.assets_aggregates import AGGREGATES
from levelup_pipeline.defs.assets_model import MODEL_TABLES

MODELLED_TABLES = ("raw_match_json", *MODEL_TABLES, *AGGREGATES)


def record_table_changes(
    instance: DagsterInstance, gamertag: str, counts: Mapping[str, int], operation: str
) -> list[str]:
    """One runless materialization per modelled table in `counts` (its row count now);
    returns the tables recorded."""
    recorded = []
    for table in MODELLED_TABLES:
        if table not in counts:
            continue
        instance.report_runless_asset_event(
            AssetMaterialization(
                asset_key=table,
                partition=gamertag,
                description=f"levelup {operation} (outside a run)",
                metadata={"dagster/row_count": int(counts[table]), "operation": operation},
            )
        )
        recorded.append(table)
    return recorded
