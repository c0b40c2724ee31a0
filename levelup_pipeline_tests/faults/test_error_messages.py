"""Whatever goes wrong, a command ends with one `Error:` sentence and a non-zero exit code:
known errors are worded for the user, unknown ones point at LEVELUP_DEBUG, and Dagster's
stack traces stay in the event log instead of the console."""

from __future__ import annotations

import errno
import logging

import click
import pytest
from click.testing import CliRunner

from levelup_pipeline.cli.errors import friendly
from levelup_pipeline.cli.runner import NoTracebacks
from levelup_pipeline_tests.faults.helpers import one_line_error

pytestmark = pytest.mark.faults


def _command(exc: BaseException) -> click.Command:
    @click.command()
    @friendly
    def boom() -> None:
        raise exc

    return boom


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (OSError(errno.ENOSPC, "No space left on device", "/data/x"), "The disk is full (/data/x)"),
        (PermissionError(errno.EACCES, "Permission denied", "/data"), "cannot write (/data)"),
        (RuntimeError("boom\nsecond line"), "Unexpected error (RuntimeError: boom second line)"),
        (KeyError("missing"), "run again with LEVELUP_DEBUG=1"),
    ],
)
def test_errors_end_in_one_sentence(exc, expected, monkeypatch):
    monkeypatch.delenv("LEVELUP_DEBUG", raising=False)
    result = CliRunner().invoke(_command(exc))
    assert result.exit_code == 1
    assert expected in one_line_error(result.output)


def test_levelup_debug_shows_the_real_exception(monkeypatch):
    monkeypatch.setenv("LEVELUP_DEBUG", "1")
    result = CliRunner().invoke(_command(RuntimeError("boom")))
    assert isinstance(result.exception, RuntimeError)


class _Event:
    def __init__(self, kind: str) -> None:
        self.event_type_value = kind


def _record(message: str, event: str | None = None) -> logging.LogRecord:
    record = logging.LogRecord("dagster", logging.ERROR, __file__, 1, message, None, None)
    if event:
        record.dagster_event = _Event(event)
    return record


def test_console_drops_failure_echoes_and_cuts_stack_traces():
    keep = NoTracebacks()
    assert not keep.filter(_record("Execution of step failed.\n\nStack Trace: ...", "STEP_FAILURE"))
    assert not keep.filter(_record("Dependencies for step x failed: ['y']. Not executing."))
    retry = _record(
        'Execution of step "raw" failed and has requested a retry in 10 seconds.\n\n'
        "OSError: x\n\nStack Trace:\n  File ...",
        "STEP_UP_FOR_RETRY",
    )
    assert keep.filter(retry) and retry.getMessage().endswith("retry in 10 seconds.")
    progress = _record("LevelUp Leader: 17/17 matches")
    assert keep.filter(progress) and progress.getMessage() == "LevelUp Leader: 17/17 matches"
