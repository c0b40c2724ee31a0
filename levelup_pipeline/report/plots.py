"""The report's plots, DataFrames to PNG bytes; no pyplot state: safe in Dagster's threads."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")  # before any other matplotlib import: never look for a display

import pandas as pd  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

DPI = 80
SIZE = (8.0, 4.0)
MAX_BARS = 15
MAX_SESSIONS = 30
ROLLING = 10
MAX_DATE_TICKS = 6
BLUE, GREEN, GREY, ORANGE = "#2b6cb0", "#2f855a", "#a0aec0", "#dd6b20"
MESSAGE = {"ha": "center", "va": "center", "fontsize": 12, "color": "#4a5568"}


def _figure(title: str) -> tuple[Figure, Axes]:
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


def _empty(fig: Figure, ax: Axes, message: str) -> bytes:
    ax.text(0.5, 0.5, message, transform=ax.transAxes, **MESSAGE)
    ax.set_xticks([])
    ax.set_yticks([])
    return _png(fig)


def performance_plot(points: pd.DataFrame) -> bytes:
    """Score of each match and a 10-match mean; x is the match's rank: idle weeks take no room."""
    fig, ax = _figure("Performance score over time")
    if points.empty:
        return _empty(fig, ax, "No performance score yet (needs 10 earlier matches)")
    xs = list(range(1, len(points) + 1))
    scores = points["performance_score"].astype(float)
    ax.scatter(xs, scores, s=14, color=GREY, label="match", zorder=2)
    mean = scores.rolling(ROLLING, min_periods=1).mean()
    ax.plot(xs, mean, color=BLUE, linewidth=2, label=f"mean of last {ROLLING}", zorder=3)
    ax.axhline(50, color=ORANGE, linewidth=1, linestyle="--", label="your usual level (50)")
    ax.set_ylim(0, 100)
    ax.set_ylabel("score (0-100)")
    ticks = xs[:: -(-len(xs) // MAX_DATE_TICKS)]  # ceil: at most MAX_DATE_TICKS labels
    dates = [points["start_time"].iloc[i - 1].strftime("%Y-%m-%d") for i in ticks]
    ax.set_xticks(ticks, dates, fontsize=8)
    ax.set_xlabel("matches, oldest to newest")
    ax.legend(loc="lower left", fontsize=8, frameon=False, ncols=3)
    return _png(fig)


def _hbars(ax: Axes, labels: pd.Series, values: pd.Series, notes: list[str], color: str) -> None:
    positions = list(range(len(labels)))[::-1]  # biggest group at the top
    ax.barh(positions, values, color=color, zorder=2)
    ax.set_yticks(positions, list(labels), fontsize=9)
    ax.grid(axis="y", visible=False)
    top = max([*values, 0.0])
    for y, value, note in zip(positions, values, notes, strict=True):
        ax.text(value + top * 0.01, y, note, va="center", fontsize=8, color="#4a5568")
    ax.set_xlim(0, top * 1.25 or 1)


def kd_per_map_plot(maps: pd.DataFrame) -> bytes:
    """K/D per map for the most played maps; the dashed line is K/D = 1."""
    fig, ax = _figure("K/D per map (most played)")
    rows = maps.dropna(subset=["kd"]).head(MAX_BARS)
    if rows.empty:
        return _empty(fig, ax, "No match yet")
    notes = [f"{r.kd:.2f}  ({r.matches} matches)" for r in rows.itertuples()]
    _hbars(ax, rows["name"], rows["kd"], notes, BLUE)
    ax.axvline(1.0, color=ORANGE, linewidth=1, linestyle="--")
    ax.set_xlabel("kills / deaths")
    return _png(fig)


def win_rate_per_mode_plot(modes: pd.DataFrame) -> bytes:
    """Win rate (%) per mode category; the dashed line is 50 %."""
    fig, ax = _figure("Win rate per mode category")
    rows = modes.dropna(subset=["win_rate"]).head(MAX_BARS)
    if rows.empty:
        return _empty(fig, ax, "No match yet")
    notes = [f"{100 * r.win_rate:.0f}%  ({r.wins}/{r.matches})" for r in rows.itertuples()]
    _hbars(ax, rows["category"], 100.0 * rows["win_rate"], notes, GREEN)
    ax.axvline(50.0, color=ORANGE, linewidth=1, linestyle="--")
    ax.set_xlim(0, 125)
    ax.set_xlabel("win rate (%)")
    return _png(fig)


def sessions_plot(sessions: pd.DataFrame) -> bytes:
    """The last play sessions: matches (wins in green) and K/D per session."""
    fig, ax = _figure(f"Play sessions (last {MAX_SESSIONS})")
    rows = sessions.tail(MAX_SESSIONS)
    if rows.empty:
        return _empty(fig, ax, "No session yet")
    xs = list(range(len(rows)))
    ax.bar(xs, rows["matches"], color=GREY, label="matches", zorder=2)
    ax.bar(xs, rows["wins"], color=GREEN, label="wins", zorder=3)
    ax.set_ylabel("matches")
    labels = [
        t.strftime("%b %d") if pd.notna(t) else str(s)
        for t, s in zip(rows["start_time"], rows["session_id"], strict=True)
    ]
    step = -(-len(rows) // (2 * MAX_DATE_TICKS))
    ax.set_xticks(xs[::step], labels[::step], fontsize=8)
    kd_ax = ax.twinx()
    kd = rows["kd"].astype(float)
    kd_ax.plot(xs, kd, color=BLUE, marker="o", markersize=3, linewidth=1.5, label="K/D")
    kd_ax.set_ylabel("K/D", color=BLUE)
    kd_ax.spines["top"].set_visible(False)
    handles, names = ax.get_legend_handles_labels()
    kd_handles, kd_names = kd_ax.get_legend_handles_labels()
    ax.legend(
        handles + kd_handles, names + kd_names, loc="upper left", fontsize=8, frameon=False, ncols=3
    )
    return _png(fig)
