"""The report's markdown summary: the numbers a player checks first."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def _num(value: Any, fmt: str = "{:.2f}", scale: float = 1.0, suffix: str = "") -> str:
    if value is None:
        return "-"
    return fmt.format(float(value) * scale) + suffix


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
    """The one line a player reads first: when the last sync was, how many matches, how many
    arrived since the previous report (None: no previous report to compare with)."""
    matches = int(totals.get("matches") or 0)
    parts = [f"Last sync {_when(totals.get('last_sync'))}", f"{matches} matches"]
    if new_matches is not None:
        parts.append(f"{new_matches} new since the previous report")
    return " · ".join(parts)
