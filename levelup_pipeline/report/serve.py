"""A loopback HTTP server for `<player>/report/*` only: the UI draws linked plots inline."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from levelup_pipeline.report.build import REPORT_DIRNAME
from levelup_pipeline.store.paths import player_dir

REPORT_URL_ENV = "LEVELUP_REPORT_URL"


def report_base_url() -> str | None:
    """The report server's URL when one serves this installation (`$LEVELUP_REPORT_URL`)."""
    return os.environ.get(REPORT_URL_ENV, "").strip().rstrip("/") or None


def report_file_url(base: str, gamertag: str, filename: str, version: str = "") -> str:
    """URL of one report file; `version` follows the content: browsers never show a stale image."""
    query = f"?v={version}" if version else ""
    return f"{base}/{quote(gamertag)}/{quote(filename)}{query}"


class ReportHandler(SimpleHTTPRequestHandler):
    """GET/HEAD of `/<gamertag>/<file>` from that player's report folder; 404 otherwise."""

    def __init__(self, *args, data_dir: Path | None = None, **kwargs) -> None:
        self.data_dir = data_dir
        super().__init__(*args, **kwargs)

    def translate_path(self, path: str) -> str:
        """Map the URL to a file of a report folder; anything else to a path that is absent."""
        parts = unquote(urlsplit(path).path).strip("/").split("/")
        if len(parts) != 2 or parts[1].startswith(".") or "\\" in parts[1]:
            return "/nonexistent"
        try:
            folder = player_dir(parts[0], self.data_dir) / REPORT_DIRNAME
        except ValueError:
            return "/nonexistent"
        return str(folder / parts[1])

    def list_directory(self, path):  # noqa: ANN001 - no listings
        self.send_error(404)
        return None

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - quiet
        return None


@contextlib.contextmanager
def serve_reports(
    data_dir: Path | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    any_port_if_taken: bool = False,
) -> Iterator[str]:
    """Serve the report folders from a thread; yields the base URL (a stable port keeps older
    materializations' links working)."""
    handler = partial(ReportHandler, data_dir=data_dir)
    try:
        server = ThreadingHTTPServer((host, port), handler)
    except OSError:
        if not any_port_if_taken:
            raise
        server = ThreadingHTTPServer((host, 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="report-files", daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
