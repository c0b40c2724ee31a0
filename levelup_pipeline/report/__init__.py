"""The player report: a markdown summary and matplotlib plots built from the aggregates."""

from levelup_pipeline.report.build import (
    PLOTS,
    PlayerReport,
    ReportData,
    load_report_data,
    update_report,
)

__all__ = ["PLOTS", "PlayerReport", "ReportData", "load_report_data", "update_report"]
