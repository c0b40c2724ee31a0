"""The player report, read from the aggregates; a plot is redrawn only when its rows change."""

from __future__ import annotations

import base64
import hashlib
import html
import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from levelup_pipeline.atomic_file import write_atomic

if TYPE_CHECKING:  # pandas is imported by DuckDB's .df(), only when a report is built
    import pandas as pd

REPORT_DIRNAME = "report"
FINGERPRINTS_FILE = "plots.json"
RENDER_VERSION = 1  # bump when a plot's drawing code changes: stored PNGs are redrawn once

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
#: ReportData field -> its query (aggregates only, but for the per-match performance series)
QUERIES = {
    "performance": "SELECT start_time, performance_score FROM match_stats"
    " WHERE performance_score IS NOT NULL AND start_time IS NOT NULL ORDER BY start_time, match_id",
    "maps": "SELECT coalesce(map_name, map_id, '?') AS name, matches, kd, win_rate"
    " FROM mv_map_stats ORDER BY matches DESC, 1",
    "modes": "SELECT coalesce(mode_category, 'Other') AS category, matches, wins, win_rate"
    " FROM mv_mode_category_stats ORDER BY matches DESC, 1",
    "sessions": "SELECT session_id, start_time, matches, wins, kd FROM mv_session_stats"
    " WHERE session_id IS NOT NULL ORDER BY session_id",
}


@dataclass
class ReportData:
    """The totals of mv_global_stats and the rows each plot draws."""

    totals: dict[str, Any]
    performance: pd.DataFrame
    maps: pd.DataFrame
    modes: pd.DataFrame
    sessions: pd.DataFrame

    @property
    def matches(self) -> int:
        return int(self.totals.get("matches") or 0)


def load_report_data(conn: Any) -> ReportData:
    """Read the report's inputs from an open (read-only) DuckDB connection."""
    cursor = conn.execute("SELECT * FROM mv_global_stats")
    row = cursor.fetchone()
    totals = dict(zip([d[0] for d in cursor.description], row, strict=True)) if row else {}
    meta = conn.execute("SELECT value FROM sync_meta WHERE key = 'last_sync_time'").fetchone()
    if meta and meta[0]:
        totals["last_sync"] = meta[0]
    return ReportData(totals, **{name: conn.execute(sql).df() for name, sql in QUERIES.items()})


def _num(value: Any, fmt: str = "{:.2f}", scale: float = 1.0, suffix: str = "") -> str:
    return "-" if value is None else fmt.format(float(value) * scale) + suffix


def _when(value: Any) -> str:
    if value is None or value == "":
        return "never"
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    return value.strftime("%Y-%m-%d %H:%M UTC") if value.tzinfo else value.isoformat(" ")


def summary_rows(totals: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, value) pairs of the summary, in display order."""
    matches = int(totals.get("matches") or 0)
    record = (
        f"{totals.get('wins') or 0} W / {totals.get('losses') or 0} L / "
        f"{totals.get('ties') or 0} T / {totals.get('left_early') or 0} left"
    )
    return [
        ("Matches", str(matches)),
        ("Record", record),
        ("Win rate", _num(totals.get("win_rate"), "{:.1f}", 100.0, " %")),
        ("K/D", _num(totals.get("kd"))),
        ("KDA (avg, K + A/3 - D)", _num(totals.get("avg_kda"))),
        ("Accuracy", _num(totals.get("accuracy"), "{:.1f}", suffix=" %")),
        ("Performance score (avg)", _num(totals.get("avg_performance_score"), "{:.1f}")),
        ("Hours played", _num(totals.get("hours_played"), "{:.1f}")),
        ("Sessions", str(totals.get("sessions") or 0)),
        ("First match", _when(totals.get("first_match")) if matches else "-"),
        ("Last match", _when(totals.get("last_match")) if matches else "-"),
        ("Last sync", _when(totals.get("last_sync"))),
    ]


def summary_markdown(gamertag: str, totals: dict[str, Any]) -> str:
    """A two-column markdown table headed by the gamertag."""
    lines = [f"### {gamertag}", "", "| | |", "| --- | --- |"]
    lines += [f"| **{label}** | {value} |" for label, value in summary_rows(totals)]
    return "\n".join(lines)


def status_line(totals: dict[str, Any], new_matches: int | None = None) -> str:
    """The line a player reads first; `new_matches` None: no previous report to compare with."""
    matches = int(totals.get("matches") or 0)
    parts = [f"Last sync {_when(totals.get('last_sync'))}", f"{matches} matches"]
    if new_matches is not None:
        parts.append(f"{new_matches} new since the previous report")
    return " · ".join(parts)


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
        parts = [f"# LevelUp report: {self.gamertag}", "", self.status, "", self.summary]
        for name, (title, _rows, _fn) in PLOTS.items():
            parts += ["", f"## {title}", "", f"![{title}]({name}.png)"]
        return "\n".join(parts) + "\n"

    def file_html(self, version: str, summary: list[tuple[str, str]]) -> str:
        """index.html: the same page for a browser (plots one scroll away, nothing to click)."""
        esc = html.escape
        rows = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in summary)
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


def update_report(
    gamertag: str, data: ReportData, player_folder: Path, new_matches: int | None = None
) -> tuple[PlayerReport, dict[str, Path]]:
    """Write the report and return it with each file's path; fingerprints go last, so an
    interrupted update redraws next time."""
    folder = Path(player_folder) / REPORT_DIRNAME
    folder.mkdir(parents=True, exist_ok=True)
    paths = {name: folder / f"{name}.png" for name in PLOTS}
    try:
        stored = json.loads((folder / FINGERPRINTS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        stored = {}
    fingerprints = {  # exactly what each plot draws: its rows, in order, and the render version
        name: hashlib.sha256(
            f"{RENDER_VERSION}\n{name}\n{getattr(data, rows).to_csv(index=False)}".encode()
        ).hexdigest()
        for name, (_title, rows, _fn) in PLOTS.items()
    }
    summary = summary_markdown(gamertag, data.totals)
    report = PlayerReport(gamertag, summary, status_line(data.totals, new_matches))
    for name, path in paths.items():
        if isinstance(stored, dict) and stored.get(name) == fingerprints[name] and path.exists():
            report.images[name] = path.read_bytes()
            continue
        from levelup_pipeline.report import plots  # matplotlib only when a plot changed

        _title, rows, function = PLOTS[name]
        report.images[name] = getattr(plots, function)(getattr(data, rows))
        report.rendered.append(name)
        write_atomic(path, report.images[name])
    if report.rendered:
        write_atomic(folder / FINGERPRINTS_FILE, json.dumps(fingerprints).encode("utf-8"))
    # A short id of the plots' content in image URLs: browsers never show stale images.
    version = hashlib.sha256("".join(sorted(fingerprints.values())).encode()).hexdigest()[:12]
    texts = {
        "summary": ("summary.md", report.summary + "\n"),
        "report": ("report.md", report.file_markdown()),
        "html": ("index.html", report.file_html(version, summary_rows(data.totals))),
    }
    for key, (filename, text) in texts.items():
        paths[key] = folder / filename
        write_atomic(paths[key], text.encode("utf-8"))
    return report, paths
