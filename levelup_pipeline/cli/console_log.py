"""The console logger of runs started by the CLI: progress lines, never a stack trace.

Dagster's default console logger prints a step failure with the whole Python stack trace, and
one "Not executing" line per downstream step. The CLI prints the failure itself, in one
sentence, so here failure events are left out of the console and any other multi-line message
is cut before its stack trace. The run's event log (and so the UI) keeps everything.
"""

from __future__ import annotations

import logging
import sys

from dagster import Field, InitLoggerContext, logger

_FAILURE_EVENTS = {"STEP_FAILURE", "PIPELINE_FAILURE", "RUN_FAILURE"}
_FORMAT = "%(asctime)s - dagster - %(levelname)s - %(message)s"
_DATE_FORMAT = "%Y-%m-%d %H:%M:%S %z"


class NoTracebacks(logging.Filter):
    """Drop failure events and downstream 'Not executing' lines; cut stack traces."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep the record (rewritten to its first paragraph) unless it is a failure echo."""
        event = getattr(record, "dagster_event", None)
        if getattr(event, "event_type_value", None) in _FAILURE_EVENTS:
            return False
        message = record.getMessage()
        if "Not executing." in message and "Dependencies for step" in message:
            return False
        if "Stack Trace:" in message or "Traceback (most recent call last)" in message:
            record.msg = message.split("\n\n", 1)[0]
            record.args = ()
        record.exc_info = None
        record.exc_text = None
        return True


@logger(
    {"log_level": Field(str, is_required=False, default_value="INFO")},
    description="Console lines of CLI runs: progress and warnings, no stack traces.",
)
def cli_console_logger(init_context: InitLoggerContext) -> logging.Logger:
    """A stderr logger at the configured level, filtered by NoTracebacks."""
    level = logging.getLevelName(str(init_context.logger_config["log_level"]).upper())
    log = logging.Logger("dagster", level=level if isinstance(level, int) else logging.INFO)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(_FORMAT, _DATE_FORMAT))
    log.addHandler(handler)
    log.addFilter(NoTracebacks())
    return log
