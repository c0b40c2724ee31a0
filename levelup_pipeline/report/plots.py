"""The report's plots: pure functions from aggregated rows to PNG bytes.

Figures are built with matplotlib's object API (no pyplot global state), so they are safe in
Dagster's worker threads and never open a window. Every plot renders something readable, even
for a player with no match yet.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime

import matplotlib

matplotlib.use("Agg")  # before any other matplotlib import: never look for a display

from matplotlib.figure import Figure  # noqa: E402

from levelup_pipeline.report.data import MapRow, ModeRow, SessionRow  # noqa: E402

DPI = 80
SIZE = (8.0, 4.0)
MAX_BARS = 15
MAX_SESSIONS = 30
ROLLING = 10
MAX_DATE_TICKS = 6
BLUE, GREEN, GREY, ORANGE = "#2b6cb0", "#2f855a", "#a0aec0", "#dd6b20"


def _figure(title: str) -> tuple[Figure, object]:
    fig = Figure(figsize=SIZE, dpi=DPI)
    fig.subplots_adjust(left=0.2, right=0.92, top=0.9, bottom=0.16)
    ax = fig.add_subplot()
    ax.set_title(title, loc="left", fontsize=12, fontweight="bold")
    ax.grid(axis="both", alpha=0.25)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return fig, ax


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    # No "Software" stamp: the same rows give the same bytes.
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


def _empty(ax, message: str) -> None:
    ax.text(
        0.5,
        0.5,
        message,
        ha="center",
        va="center",
        fontsize=12,
        color="#4a5568",
        transform=ax.transAxes,
    )
    ax.set_xticks([])
    ax.set_yticks([])


def rolling_mean(values: Sequence[float], window: int = ROLLING) -> list[float]:
    """Trailing mean over up to `window` values (shorter at the start)."""
    out: list[float] = []
    total = 0.0
    for i, value in enumerate(values):
        total += value
        if i >= window:
            total -= values[i - window]
        out.append(total / min(i + 1, window))
    return out


def performance_plot(points: Sequence[tuple[datetime, float]]) -> bytes:
    """Performance score (0-100) of each match, oldest to newest, with a 10-match mean.

    The x axis is the match's rank rather than its date, so weeks without play do not squash
    the busy days; a few ticks carry the date.
    """
    fig, ax = _figure("Performance score over time")
    if not points:
        _empty(ax, "No performance score yet (needs 10 earlier matches)")
        return _png(fig)
    xs = list(range(1, len(points) + 1))
    scores = [s for _, s in points]
    ax.scatter(xs, scores, s=14, color=GREY, label="match", zorder=2)
    ax.plot(
        xs, rolling_mean(scores), color=BLUE, linewidth=2, label=f"mean of last {ROLLING}", zorder=3
    )
    ax.axhline(50, color=ORANGE, linewidth=1, linestyle="--", label="your usual level (50)")
    ax.set_ylim(0, 100)
    ax.set_ylabel("score (0-100)")
    step = -(-len(xs) // MAX_DATE_TICKS)  # ceil: at most MAX_DATE_TICKS labels
    ticks = xs[::step]
    ax.set_xticks(ticks, [points[i - 1][0].strftime("%Y-%m-%d") for i in ticks], fontsize=8)
    ax.set_xlabel("matches, oldest to newest")
    ax.legend(loc="lower left", fontsize=8, frameon=False, ncols=3)
    return _png(fig)


def _hbars(ax, labels: list[str], values: list[float], notes: list[str], color: str) -> None:
    positions = list(range(len(labels)))[::-1]  # biggest group at the top
    ax.barh(positions, values, color=color, zorder=2)
    ax.set_yticks(positions, labels, fontsize=9)
    ax.grid(axis="y", visible=False)
    top = max(values + [0.0])
    for y, value, note in zip(positions, values, notes, strict=True):
        ax.text(value + top * 0.01, y, note, va="center", fontsize=8, color="#4a5568")
    ax.set_xlim(0, top * 1.25 or 1)


def kd_per_map_plot(maps: Sequence[MapRow]) -> bytes:
    """K/D per map for the most played maps; the dashed line is K/D = 1."""
    fig, ax = _figure("K/D per map (most played)")
    rows = [m for m in maps if m.kd is not None][:MAX_BARS]
    if not rows:
        _empty(ax, "No match yet")
        return _png(fig)
    _hbars(
        ax,
        [m.name for m in rows],
        [float(m.kd) for m in rows],
        [f"{m.kd:.2f}  ({m.matches} matches)" for m in rows],
        BLUE,
    )
    ax.axvline(1.0, color=ORANGE, linewidth=1, linestyle="--")
    ax.set_xlabel("kills / deaths")
    return _png(fig)


def win_rate_per_mode_plot(modes: Sequence[ModeRow]) -> bytes:
    """Win rate (%) per mode category; the dashed line is 50 %."""
    fig, ax = _figure("Win rate per mode category")
    rows = [m for m in modes if m.win_rate is not None][:MAX_BARS]
    if not rows:
        _empty(ax, "No match yet")
        return _png(fig)
    _hbars(
        ax,
        [m.category for m in rows],
        [100.0 * m.win_rate for m in rows],
        [f"{100 * m.win_rate:.0f}%  ({m.wins}/{m.matches})" for m in rows],
        GREEN,
    )
    ax.axvline(50.0, color=ORANGE, linewidth=1, linestyle="--")
    ax.set_xlim(0, 125)
    ax.set_xlabel("win rate (%)")
    return _png(fig)


def sessions_plot(sessions: Sequence[SessionRow]) -> bytes:
    """The last play sessions: matches (wins in green) and K/D per session."""
    fig, ax = _figure(f"Play sessions (last {MAX_SESSIONS})")
    rows = list(sessions)[-MAX_SESSIONS:]
    if not rows:
        _empty(ax, "No session yet")
        return _png(fig)
    xs = list(range(len(rows)))
    ax.bar(xs, [r.matches for r in rows], color=GREY, label="matches", zorder=2)
    ax.bar(xs, [r.wins for r in rows], color=GREEN, label="wins", zorder=3)
    ax.set_ylabel("matches")
    labels = [r.start_time.strftime("%b %d") if r.start_time else str(r.session_id) for r in rows]
    step = -(-len(rows) // (2 * MAX_DATE_TICKS))
    ax.set_xticks(xs[::step], labels[::step], fontsize=8)
    kd_ax = ax.twinx()
    kd_ax.plot(
        xs,
        [r.kd if r.kd is not None else float("nan") for r in rows],
        color=BLUE,
        marker="o",
        markersize=3,
        linewidth=1.5,
        label="K/D",
    )
    kd_ax.set_ylabel("K/D", color=BLUE)
    kd_ax.spines["top"].set_visible(False)
    handles = ax.get_legend_handles_labels()
    kd_handles = kd_ax.get_legend_handles_labels()
    ax.legend(
        handles[0] + kd_handles[0],
        handles[1] + kd_handles[1],
        loc="upper left",
        fontsize=8,
        frameon=False,
        ncols=3,
    )
    return _png(fig)
