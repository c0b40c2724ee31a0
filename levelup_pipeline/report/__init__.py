"""The player report: a markdown summary and matplotlib plots built from the aggregates.

`data` reads a player's database (read-only), `plots` and `summary` are pure (rows -> PNG bytes
/ markdown), `build` writes the files, redrawing only the plots whose rows changed; `serve`
shows them to the Dagster UI.
"""

from levelup_pipeline.report.build import PLOTS, PlayerReport, update_report
from levelup_pipeline.report.data import ReportData, load_report_data

__all__ = ["PLOTS", "PlayerReport", "ReportData", "load_report_data", "update_report"]
