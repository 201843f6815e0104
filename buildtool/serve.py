"""A local static server for dist/ with the MIME types Pyodide needs (`build.py serve`);
the end-to-end tests and benchmarks serve their copies of dist/ with make_server()."""
from __future__ import annotations

import functools
import http.server
import os
import signal
from pathlib import Path

from .common import DIST
from .dist import build

MIME_TYPES = {
    ".wasm": "application/wasm",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".json": "application/json",
    ".zip": "application/zip",
    ".gz": "application/gzip",
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".md": "text/markdown; charset=utf-8",
    ".csv": "text/csv; charset=utf-8",
    ".map": "application/json",
    ".webmanifest": "application/manifest+json",
}


class Handler(http.server.SimpleHTTPRequestHandler):
    """Static files with the MIME types Pyodide needs (wasm streaming compile)."""

    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, **MIME_TYPES}
    quiet = False

    def guess_type(self, path):  # noqa: D401 - suffix first: ".csv.gz" is a gzip file
        suffix = os.path.splitext(str(path))[1].lower()
        return MIME_TYPES.get(suffix) or super().guess_type(path)

    def end_headers(self):
        # Revalidate every time (304 when unchanged) so a rebuilt dist/ is picked up.
        self.send_header("Cache-Control", "no-cache")
        self.send_header("X-Content-Type-Options", "nosniff")
        super().end_headers()

    def log_message(self, format, *args):  # noqa: A002 - signature from the base class
        if not self.quiet:
            super().log_message(format, *args)

    def handle(self):
        try:
            super().handle()
        except (BrokenPipeError, ConnectionResetError):
            pass


def make_server(directory: Path = DIST, host: str = "127.0.0.1", port: int = 0, quiet: bool = False):
    """A ThreadingHTTPServer serving `directory` (port 0: any free port)."""
    handler = functools.partial(type("QuietHandler" if quiet else "DistHandler", (Handler,), {"quiet": quiet}),
                                directory=str(directory))
    server = http.server.ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


def serve(host: str, port: int) -> None:
    build()
    server = make_server(DIST, host, port)
    h, p = server.server_address[:2]
    print(f"Descent Lab at http://{h}:{p}/  (Ctrl-C to stop)", flush=True)

    def stop(signum, frame):
        raise KeyboardInterrupt

    # Ctrl-C even when started in the background (which ignores SIGINT); SIGTERM alike.
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("\nstopped")
    finally:
        server.server_close()
