"""Headless Chromium for the UI tests: Debian's build, installed by apt when possible.

Playwright never downloads a browser here: it drives the system Chromium through
`executable_path`, with flags that keep it off the network (no updates, sync or QUIC).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from contextlib import contextmanager
from pathlib import Path

CHROMIUM_CANDIDATES = ("chromium", "chromium-browser")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
INSTALL_ENV = "LEVELUP_BROWSER_INSTALL"  # set to 0 to never run apt-get from the tests
APT_TIMEOUT_SECONDS = 600


def find_chromium() -> str | None:
    """Path of the system Chromium, if installed."""
    for name in CHROMIUM_CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


def install_chromium() -> tuple[str | None, str]:
    """Install Debian's chromium with apt-get when we are root; (path, why not) otherwise."""
    if os.environ.get(INSTALL_ENV, "1") == "0":
        return None, f"Chromium is not installed and {INSTALL_ENV}=0 forbids installing it"
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return None, "Chromium is not installed and installing it needs root (apt-get)"
    if not shutil.which("apt-get"):
        return None, "Chromium is not installed and apt-get is not available"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-qq", "chromium"]
    # Try with the package lists we have; on a clean machine they must be fetched first.
    for commands in ([install], [["apt-get", "update", "-qq"], install]):
        for command in commands:
            subprocess.run(
                command, env=env, capture_output=True, timeout=APT_TIMEOUT_SECONDS, check=False
            )
        if find_chromium():
            break
    path = find_chromium()
    return path, "" if path else "apt-get install chromium did not provide a chromium binary"


@contextmanager
def chromium_page(executable: str, profile_dir: Path, width: int = 1600, height: int = 1000):
    """A Playwright page in a fresh headless Chromium profile (closed on exit)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile_dir),
            executable_path=executable,
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": width, "height": height},
        )
        try:
            page = context.pages[0] if context.pages else context.new_page()
            yield page
        finally:
            context.close()
