"""How `levelup sync` words the asset checks a run failed (cli/runner.py)."""

from __future__ import annotations

from types import SimpleNamespace

from dagster import AssetCheckSeverity, AssetKey, DagsterEventType, MetadataValue
from dagster._core.events import AssetCheckEvaluation

from levelup_pipeline.cli.runner import _check_sentences


def _evaluation(name: str, passed: bool, severity: AssetCheckSeverity, problems: int):
    data = AssetCheckEvaluation(
        asset_key=AssetKey("match_stats"),
        check_name=name,
        passed=passed,
        metadata={"problems": MetadataValue.int(problems), "other_count": MetadataValue.int(0)},
        severity=severity,
        description="Rows whose outcome is not one of 1 tie, 2 win, 3 loss, 4 left.",
    )
    return SimpleNamespace(
        event_type=DagsterEventType.ASSET_CHECK_EVALUATION, event_specific_data=data
    )


def test_failed_checks_become_one_sentence_each_by_severity() -> None:
    result = SimpleNamespace(
        run_id="0123456789abcdef",
        all_events=[
            SimpleNamespace(event_type=DagsterEventType.RUN_SUCCESS),
            _evaluation("fine", True, AssetCheckSeverity.ERROR, 0),
            _evaluation("outcome_codes_valid", False, AssetCheckSeverity.ERROR, 3),
            _evaluation("no_suspect_matches", False, AssetCheckSeverity.WARN, 2),
        ],
    )
    errors, warnings = _check_sentences(result, "Some Player")
    assert errors == [
        "the data check outcome_codes_valid failed (problems: 3): rows whose outcome is not"
        " one of 1 tie, 2 win, 3 loss, 4 left; the synced data is stored, the run 01234567"
        " in the Dagster UI (make dev) has the details."
    ]
    assert len(warnings) == 1
    assert warnings[0].startswith("Some Player: warning: the data check no_suspect_matches")
    assert "(problems: 2)" in warnings[0] and "other count" not in warnings[0]
