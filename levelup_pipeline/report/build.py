"""Assemble the player report and write it under the player's folder.

Files: `<player folder>/report/{summary.md, report.md, index.html, <plot>.png, plots.json}`.
report.md and index.html link the PNGs relatively, so they read well next to the database.

A plot is re-rendered only when the rows it draws changed: `plots.json` keeps a fingerprint of
each plot's input, and a delta that changes nothing a plot shows costs no matplotlib at all
(not even its import, which is most of the cost of a small render).
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from levelup_pipeline.report.data import ReportData
from levelup_pipeline.report.summary import status_line, summary_markdown

REPORT_DIRNAME = "report"
FINGERPRINTS_FILE = "plots.json"
#: Bump when a plot's drawing code changes, so stored PNGs are redrawn once.
RENDER_VERSION = 1


def _performance(data: ReportData) -> Any:
    return data.performance


def _maps(data: ReportData) -> Any:
    return data.maps


def _modes(data: ReportData) -> Any:
    return data.modes


def _sessions(data: ReportData) -> Any:
    return data.sessions


# metadata key / file stem -> (title, the rows the plot draws, name of its function in plots)
PLOTS: dict[str, tuple[str, Callable[[ReportData], Any], str]] = {
    "performance_score_over_time": (
        "Performance score over time",
        _performance,
        "performance_plot",
    ),
    "kd_per_map": ("K/D per map", _maps, "kd_per_map_plot"),
    "win_rate_per_mode_category": (
        "Win rate per mode category",
        _modes,
        "win_rate_per_mode_plot",
    ),
    "sessions": ("Play sessions", _sessions, "sessions_plot"),
}


def plot_fingerprint(name: str, data: ReportData) -> str:
    """A digest of exactly what plot `name` draws (its rows, in order, and the render version)."""
    rows = PLOTS[name][1](data)
    text = json.dumps([RENDER_VERSION, name, rows], default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def render_plot(name: str, data: ReportData) -> bytes:
    """PNG bytes of one plot (imports matplotlib on first use)."""
    from levelup_pipeline.report import plots

    return getattr(plots, PLOTS[name][2])(PLOTS[name][1](data))


@dataclass
class PlayerReport:
    """The summary markdown and the PNG bytes of every plot."""

    gamertag: str
    summary: str
    images: dict[str, bytes]
    status: str = ""
    rendered: list[str] = field(default_factory=list)

    def image_markdown(self, name: str) -> str:
        """The plot inlined as a data URI (shown by the UI behind "Show Markdown")."""
        data = base64.b64encode(self.images[name]).decode("ascii")
        return f"![{PLOTS[name][0]}](data:image/png;base64,{data})"

    def file_markdown(self) -> str:
        """report.md: the status line, the summary, then every plot, linked relatively."""
        parts = [f"# LevelUp report: {self.gamertag}", "", self.status, "", self.summary]
        for name, (title, _rows, _fn) in PLOTS.items():
            parts += ["", f"## {title}", "", f"![{title}]({name}.png)"]
        return "\n".join(parts) + "\n"

    def file_html(self, version: str = "") -> str:
        """index.html: the same page for a browser (plots one scroll away, nothing to click)."""
        esc = html.escape
        rows = "".join(
            f"<tr><th>{esc(cells[0])}</th><td>{esc(cells[1])}</td></tr>"
            for cells in (
                line.strip("|").split("|")[:2]
                for line in self.summary.splitlines()
                if line.startswith("| **")
            )
        ).replace("**", "")
        images = "".join(
            f'<h2>{esc(title)}</h2><img src="{name}.png?v={version}" alt="{esc(title)}">'
            for name, (title, _rows, _fn) in PLOTS.items()
        )
        return (
            '<!doctype html><html><head><meta charset="utf-8">'
            f"<title>LevelUp report: {esc(self.gamertag)}</title>"
            "<style>body{font-family:sans-serif;max-width:760px;margin:2em auto}"
            "th{text-align:left;padding-right:2em}img{max-width:100%}</style></head><body>"
            f"<h1>{esc(self.gamertag)}</h1><p><b>{esc(self.status)}</b></p>"
            f"<table>{rows}</table>{images}</body></html>\n"
        )


def build_report(gamertag: str, data: ReportData, new_matches: int | None = None) -> PlayerReport:
    """Render the summary and every plot (pure: no file is written)."""
    images = {name: render_plot(name, data) for name in PLOTS}
    return PlayerReport(
        gamertag,
        summary_markdown(gamertag, data.totals),
        images,
        status=status_line(data.totals, new_matches),
        rendered=list(PLOTS),
    )


def _write_atomic(path: Path, content: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _stored_fingerprints(folder: Path) -> dict[str, str]:
    try:
        stored = json.loads((folder / FINGERPRINTS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return stored if isinstance(stored, dict) else {}


def update_report(
    gamertag: str, data: ReportData, player_folder: Path, new_matches: int | None = None
) -> tuple[PlayerReport, dict[str, Path]]:
    """Write the report, redrawing only the plots whose rows changed since the last one.

    The fingerprints file is written after the PNGs, so an interrupted update redraws next time.
    """
    folder = Path(player_folder) / REPORT_DIRNAME
    folder.mkdir(parents=True, exist_ok=True)
    paths = {name: folder / f"{name}.png" for name in PLOTS}
    stored = _stored_fingerprints(folder)
    fingerprints = {name: plot_fingerprint(name, data) for name in PLOTS}
    report = PlayerReport(
        gamertag,
        summary_markdown(gamertag, data.totals),
        {},
        status=status_line(data.totals, new_matches),
    )
    for name, path in paths.items():
        if stored.get(name) == fingerprints[name] and path.exists():
            report.images[name] = path.read_bytes()
            continue
        report.images[name] = render_plot(name, data)
        report.rendered.append(name)
        _write_atomic(path, report.images[name])
    if report.rendered:
        _write_atomic(folder / FINGERPRINTS_FILE, json.dumps(fingerprints).encode("utf-8"))
    _write_texts(report, folder, paths, version=report_version(fingerprints))
    return report, paths


def report_version(fingerprints: dict[str, str]) -> str:
    """A short id of the plots' content, appended to image URLs so browsers never show stale
    images."""
    return hashlib.sha256("".join(sorted(fingerprints.values())).encode()).hexdigest()[:12]


def _write_texts(report: PlayerReport, folder: Path, paths: dict[str, Path], version: str) -> None:
    paths["summary"] = folder / "summary.md"
    _write_atomic(paths["summary"], (report.summary + "\n").encode("utf-8"))
    paths["report"] = folder / "report.md"
    _write_atomic(paths["report"], report.file_markdown().encode("utf-8"))
    paths["html"] = folder / "index.html"
    _write_atomic(paths["html"], report.file_html(version).encode("utf-8"))


def write_report(report: PlayerReport, player_folder: Path) -> dict[str, Path]:
    """Write every file of an already rendered report; returns the path of each file by name."""
    folder = Path(player_folder) / REPORT_DIRNAME
    folder.mkdir(parents=True, exist_ok=True)
    paths = {name: folder / f"{name}.png" for name in report.images}
    for name, content in report.images.items():
        _write_atomic(paths[name], content)
    _write_texts(report, folder, paths, version="")
    return paths
