"""Benchmark figures: one row per measured number, with its target and PASS/FAIL."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent / "results"


@dataclass
class Figure:
    """One measured number. `passed` is None for context figures that have no target."""

    section: str
    name: str
    value: float | int | str
    unit: str = ""
    target: str = ""
    passed: bool | None = None
    note: str = ""

    @property
    def verdict(self) -> str:
        """PASS / FAIL, or '' for context figures."""
        if self.passed is None:
            return ""
        return "PASS" if self.passed else "FAIL"


@dataclass
class Report:
    """All figures of one `make bench` run, plus the machine they were measured on."""

    figures: list[Figure] = field(default_factory=list)
    machine: dict[str, Any] = field(default_factory=dict)
    started: str = field(default_factory=lambda: dt.datetime.now(dt.UTC).isoformat())
    seconds: float = 0.0

    def add(self, *figures: Figure) -> None:
        """Record figures and echo them at once (a long run shows progress)."""
        for fig in figures:
            self.figures.append(fig)
            print(f"  {fig.name}: {_fmt(fig.value)} {fig.unit} {fig.verdict}".rstrip(), flush=True)

    def table(self) -> str:
        """The figures as a GitHub-style markdown table."""
        lines = [
            "| # | figure | value | target | result |",
            "| --- | --- | --- | --- | --- |",
        ]
        for fig in self.figures:
            value = f"{_fmt(fig.value)} {fig.unit}".strip()
            lines.append(f"| {fig.section} | {fig.name} | {value} | {fig.target} | {fig.verdict} |")
        return "\n".join(lines)

    def write(self, directory: Path = RESULTS_DIR) -> Path:
        """Write the run as timestamped JSON; returns the file."""
        directory.mkdir(parents=True, exist_ok=True)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        path = directory / f"bench-{stamp}.json"
        payload = {
            "started": self.started,
            "seconds": round(self.seconds, 1),
            "machine": self.machine,
            "figures": [asdict(f) | {"verdict": f.verdict} for f in self.figures],
        }
        path.write_text(json.dumps(payload, indent=2), encoding="utf-8")
        return path


def _fmt(value: float | int | str) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def machine_info() -> dict[str, Any]:
    """nproc, CPU model, memory, Python and key library versions."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gb = None
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        memory_gb = round(pages / 2**30, 1)
    except (ValueError, OSError):
        pass
    versions = {}
    for module in ("dagster", "duckdb", "pyarrow", "aiohttp"):
        try:
            versions[module] = __import__(module).__version__
        except Exception:  # noqa: BLE001 - context only
            versions[module] = "?"
    return {
        "date": dt.date.today().isoformat(),
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": memory_gb,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "executable": sys.executable,
        **versions,
    }
