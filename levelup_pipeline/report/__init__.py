"""The player report: a markdown summary and matplotlib plots built from the aggregates.

`data` reads a player's database (read-only), `plots` and `summary` are pure (rows -> PNG
bytes / markdown), `build` puts them together and writes the files under the player's folder,
redrawing only the plots whose rows changed; `serve` shows those files to the Dagster UI.
"""

from levelup_pipeline.report.build import (
    PLOTS,
    PlayerReport,
    build_report,
    update_report,
    write_report,
)
from levelup_pipeline.report.data import ReportData, load_report_data

__all__ = [
    "PLOTS",
    "PlayerReport",
    "ReportData",
    "build_report",
    "load_report_data",
    "update_report",
    "write_report",
]
