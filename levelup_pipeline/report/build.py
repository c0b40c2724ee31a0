"""Assemble the player report and write it under the player's folder.

Files: `<player folder>/report/{summary.md, report.md, <plot>.png}`. report.md links the PNGs
relatively, so it reads well in any markdown viewer next to the database.
"""

from __future__ import annotations

import base64
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from levelup_pipeline.report import plots
from levelup_pipeline.report.data import ReportData
from levelup_pipeline.report.summary import summary_markdown

REPORT_DIRNAME = "report"

# metadata key / file stem -> (title, plot function of ReportData)
PLOTS: dict[str, tuple[str, Callable[[ReportData], bytes]]] = {
    "performance_score_over_time": (
        "Performance score over time",
        lambda d: plots.performance_plot(d.performance),
    ),
    "kd_per_map": ("K/D per map", lambda d: plots.kd_per_map_plot(d.maps)),
    "win_rate_per_mode_category": (
        "Win rate per mode category",
        lambda d: plots.win_rate_per_mode_plot(d.modes),
    ),
    "sessions": ("Play sessions", lambda d: plots.sessions_plot(d.sessions)),
}


@dataclass
class PlayerReport:
    """The summary markdown and the PNG bytes of every plot."""

    gamertag: str
    summary: str
    images: dict[str, bytes]

    def image_markdown(self, name: str) -> str:
        """The plot inlined as a data URI, which the Dagster UI's markdown renders."""
        data = base64.b64encode(self.images[name]).decode("ascii")
        return f"![{PLOTS[name][0]}](data:image/png;base64,{data})"

    def file_markdown(self) -> str:
        """report.md: the summary then every plot, linked relatively."""
        parts = [f"# LevelUp report: {self.gamertag}", "", self.summary]
        for name, (title, _fn) in PLOTS.items():
            parts += ["", f"## {title}", "", f"![{title}]({name}.png)"]
        return "\n".join(parts) + "\n"


def build_report(gamertag: str, data: ReportData) -> PlayerReport:
    """Render the summary and every plot (pure: no file is written)."""
    images = {name: fn(data) for name, (_title, fn) in PLOTS.items()}
    return PlayerReport(gamertag, summary_markdown(gamertag, data.totals), images)


def _write_atomic(path: Path, content: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_report(report: PlayerReport, player_folder: Path) -> dict[str, Path]:
    """Write report.md, summary.md and the PNGs; returns the path of each file by name."""
    folder = Path(player_folder) / REPORT_DIRNAME
    folder.mkdir(parents=True, exist_ok=True)
    paths = {name: folder / f"{name}.png" for name in report.images}
    for name, content in report.images.items():
        _write_atomic(paths[name], content)
    paths["summary"] = folder / "summary.md"
    _write_atomic(paths["summary"], (report.summary + "\n").encode("utf-8"))
    paths["report"] = folder / "report.md"
    _write_atomic(paths["report"], report.file_markdown().encode("utf-8"))
    return paths
