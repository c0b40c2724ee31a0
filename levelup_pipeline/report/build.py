"""Write the player report under the player's folder, redrawing only the plots whose rows changed.

Files: `<player folder>/report/{summary.md, report.md, index.html, <plot>.png, plots.json}`;
report.md and index.html link the PNGs relatively. `plots.json` keeps a fingerprint of each
plot's rows: a delta that changes nothing a plot shows costs no matplotlib, not even its import.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from levelup_pipeline.report.data import ReportData
from levelup_pipeline.report.summary import status_line, summary_markdown

REPORT_DIRNAME = "report"
FINGERPRINTS_FILE = "plots.json"
#: Bump when a plot's drawing code changes, so stored PNGs are redrawn once.
RENDER_VERSION = 1

#: metadata key and file stem -> (title, the ReportData field it draws, its function in plots)
PLOTS: dict[str, tuple[str, str, str]] = {
    "performance_score_over_time": (
        "Performance score over time",
        "performance",
        "performance_plot",
    ),
    "kd_per_map": ("K/D per map", "maps", "kd_per_map_plot"),
    "win_rate_per_mode_category": ("Win rate per mode category", "modes", "win_rate_per_mode_plot"),
    "sessions": ("Play sessions", "sessions", "sessions_plot"),
}


def plot_fingerprint(name: str, data: ReportData) -> str:
    """A digest of exactly what plot `name` draws (its rows, in order, and the render version)."""
    rows = getattr(data, PLOTS[name][1]).to_csv(index=False)
    return hashlib.sha256(f"{RENDER_VERSION}\n{name}\n{rows}".encode()).hexdigest()


def render_plot(name: str, data: ReportData) -> bytes:
    """PNG bytes of one plot (imports matplotlib on first use)."""
    from levelup_pipeline.report import plots

    _title, rows, function = PLOTS[name]
    return getattr(plots, function)(getattr(data, rows))


@dataclass
class PlayerReport:
    """The summary markdown and the PNG bytes of every plot."""

    gamertag: str
    summary: str
    status: str
    images: dict[str, bytes] = field(default_factory=dict)
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

    def file_html(self, version: str) -> str:
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


def _write_atomic(path: Path, content: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def update_report(
    gamertag: str, data: ReportData, player_folder: Path, new_matches: int | None = None
) -> tuple[PlayerReport, dict[str, Path]]:
    """Write the report, redrawing only the plots whose rows changed since the last one; returns
    it and the path of each file by name. The fingerprints are written after the PNGs, so an
    interrupted update redraws next time."""
    folder = Path(player_folder) / REPORT_DIRNAME
    folder.mkdir(parents=True, exist_ok=True)
    paths = {name: folder / f"{name}.png" for name in PLOTS}
    try:
        stored = json.loads((folder / FINGERPRINTS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        stored = {}
    fingerprints = {name: plot_fingerprint(name, data) for name in PLOTS}
    summary = summary_markdown(gamertag, data.totals)
    report = PlayerReport(gamertag, summary, status_line(data.totals, new_matches))
    for name, path in paths.items():
        if isinstance(stored, dict) and stored.get(name) == fingerprints[name] and path.exists():
            report.images[name] = path.read_bytes()
            continue
        report.images[name] = render_plot(name, data)
        report.rendered.append(name)
        _write_atomic(path, report.images[name])
    if report.rendered:
        _write_atomic(folder / FINGERPRINTS_FILE, json.dumps(fingerprints).encode("utf-8"))
    # A short id of the plots' content in image URLs: browsers never show stale images.
    version = hashlib.sha256("".join(sorted(fingerprints.values())).encode()).hexdigest()[:12]
    texts = {
        "summary": ("summary.md", report.summary + "\n"),
        "report": ("report.md", report.file_markdown()),
        "html": ("index.html", report.file_html(version)),
    }
    for key, (filename, text) in texts.items():
        paths[key] = folder / filename
        _write_atomic(paths[key], text.encode("utf-8"))
    return report, paths
