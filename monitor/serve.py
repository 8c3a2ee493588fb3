"""`wikimon serve`: the report's pages rendered live from the database, on 127.0.0.1.

The same pages as the static report (the same paths, so links work the same), plus
``?at=DATE|REVID`` on an article's ``as-of/index.html``. Each request reads the database
afresh, so revisions stored by the daemon appear without regenerating anything.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from storage import Store

from .config import Config
from .report import ASSETS, NotFound, Report, asset_bytes

log = logging.getLogger("wikimon")

# The pages need nothing but themselves: no third-party requests, no framing, no sniffing.
HEADERS = [
    (
        "Content-Security-Policy",
        "default-src 'none'; style-src 'self' 'unsafe-inline'; script-src 'self'; "
        "img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    ),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
]
TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}


def make_app(db_path: str, config: Config) -> Callable[..., Iterable[bytes]]:
    cache: dict[int, Any] = {}

    def app(environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "/").lstrip("/")
        if path == "" or path.endswith("/"):
            path += "index.html"
        query = parse_qs(environ.get("QUERY_STRING", ""))
        if environ.get("REQUEST_METHOD", "GET") not in ("GET", "HEAD"):
            return _respond(start_response, "405 Method Not Allowed", "text/plain", b"GET only")
        if path in ASSETS:
            kind = TYPES[path[path.rindex(".") :]]
            return _respond(start_response, "200 OK", kind, asset_bytes(path))
        store = Store(db_path)
        try:
            at = (query.get("at") or [None])[0]
            html = Report(store, config, cache=cache).render(path, at=at)
        except NotFound:
            body = b"<!DOCTYPE html><title>Not found</title><p>No such page. <a href='/'>Index</a>"
            return _respond(start_response, "404 Not Found", "text/html; charset=utf-8", body)
        finally:
            store.close()
        return _respond(start_response, "200 OK", "text/html; charset=utf-8", html.encode())

    return app


def _respond(start_response: Callable, status: str, kind: str, body: bytes) -> list[bytes]:
    start_response(status, [("Content-Type", kind), ("Content-Length", str(len(body))), *HEADERS])
    return [body]


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        log.info("%s %s", self.address_string(), format % args)


class _ReportServer(WSGIServer):
    def serve_forever(self, poll_interval: float = 0.5) -> None:
        """Until SIGINT (Ctrl-C) or SIGTERM, which end the loop once the current request is
        answered. Not a KeyboardInterrupt: wsgiref catches whatever a request raises, that
        too, answers 500 and serves on, so a Ctrl-C during a request was lost."""
        if threading.current_thread() is not threading.main_thread():
            super().serve_forever(poll_interval)  # signals are the main thread's business
            return

        def stop(signum: int, frame: Any) -> None:
            threading.Thread(target=self.shutdown, daemon=True).start()  # it waits for the loop

        previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            super().serve_forever(poll_interval)
        finally:
            for number, handler in previous.items():
                signal.signal(number, handler)


def make_report_server(db_path: str, config: Config, port: int) -> WSGIServer:
    """A server on 127.0.0.1 only: the report is for the person running wikimon."""
    return make_server(
        "127.0.0.1",
        port,
        make_app(db_path, config),
        server_class=_ReportServer,
        handler_class=_QuietHandler,
    )
