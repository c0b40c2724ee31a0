"""Archive, restore and rename change modelled tables outside a run: each is recorded as a
runless materialization of the tables it changed, with their row counts now."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from dagster import AssetKey

from levelup_pipeline.cli.main import cli
from levelup_pipeline_tests.maintenance.test_archive import _days_to_archive_about_half

pytestmark = pytest.mark.e2e


def _latest(pipeline, table: str, gamertag: str):
    records = pipeline.instance.fetch_materializations(AssetKey(table), limit=20).records
    return next(r for r in records if r.partition_key == gamertag)


def test_archive_restore_rename_record_materializations(pipeline):
    gamertag = pipeline.gamertags()[0]
    pipeline.add(gamertag)
    assert pipeline.sync(gamertag, "full_sync", match_type="all").success
    store = pipeline.store(gamertag)
    runner = CliRunner()

    days, _cutoff = _days_to_archive_about_half(store)
    result = runner.invoke(cli, ["archive", "--player", gamertag, "--older-than-days", str(days)])
    assert result.exit_code == 0, result.output
    live = store.table_counts()
    for table in ("raw_match_json", "match_stats", "highlight_events"):
        record = _latest(pipeline, table, gamertag)
        assert record.event_log_entry.run_id == ""  # runless: no run made this write
        meta = record.asset_materialization.metadata
        assert meta["operation"].value == "archive"
        assert meta["dagster/row_count"].value == live[table]

    assert runner.invoke(cli, ["backup", "--player", gamertag]).exit_code == 0
    result = runner.invoke(cli, ["restore", "--player", gamertag])
    assert result.exit_code == 0, result.output
    record = _latest(pipeline, "match_stats", gamertag)
    assert record.asset_materialization.metadata["operation"].value == "restore"

    new = "Renamed Leader"
    result = runner.invoke(cli, ["players", "rename", gamertag, new])
    assert result.exit_code == 0, result.output
    record = _latest(pipeline, "match_stats", new)
    assert record.asset_materialization.metadata["operation"].value == "rename"
    assert record.asset_materialization.metadata["dagster/row_count"].value == live["match_stats"]
