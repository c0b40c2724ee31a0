"""Declarative automation: materializing raw_match_json alone (e.g. from its asset page)
brings the model, the aggregates and the report of that player up to date."""

from __future__ import annotations

from dagster import AssetKey, AssetMaterialization, evaluate_automation_conditions
from dagster._core.test_utils import instance_for_test

from levelup_pipeline.definitions import defs
from levelup_pipeline.defs.assets_aggregates import AGGREGATES
from levelup_pipeline.defs.assets_model import MODEL_TABLES

DERIVED = {*MODEL_TABLES, *AGGREGATES, "player_report"}


def _requested(result) -> dict[str, set[str]]:
    """Asset name -> partition keys the evaluation asked to materialize."""
    out: dict[str, set[str]] = {}
    for res in result.results:
        if res.true_subset.size:
            keys = res.true_subset.expensively_compute_asset_partitions()
            for asset_partition in keys:
                name = asset_partition.asset_key.to_user_string()
                out.setdefault(name, set()).add(asset_partition.partition_key)
    return out


def test_materializing_raw_requests_everything_downstream_for_that_player():
    with instance_for_test() as instance:
        instance.add_dynamic_partitions("players", ["Chief117", "Cortana"])
        first = evaluate_automation_conditions(defs=defs, instance=instance)
        assert first.total_requested == 0  # nothing stored yet: nothing to model

        instance.report_runless_asset_event(
            AssetMaterialization(asset_key="raw_match_json", partition="Chief117")
        )
        result = evaluate_automation_conditions(defs=defs, instance=instance, cursor=first.cursor)
        requested = _requested(result)
        assert set(requested) == DERIVED
        assert all(partitions == {"Chief117"} for partitions in requested.values())

        # Once the run that was asked for has materialized them, nothing more is asked.
        for name in DERIVED:
            instance.report_runless_asset_event(
                AssetMaterialization(asset_key=AssetKey(name), partition="Chief117")
            )
        again = evaluate_automation_conditions(defs=defs, instance=instance, cursor=result.cursor)
        assert again.total_requested == 0
