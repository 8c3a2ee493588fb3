"""`wikimon serve`: the report's pages rendered live from the database, on 127.0.0.1.

The same pages as the static report (the same paths, so links work the same), plus
``?at=DATE|REVID`` on an article's ``as-of/index.html`` (which has a form for it here). Each
request reads the database afresh, so revisions stored by the daemon appear without
regenerating anything. Only requests for 127.0.0.1:PORT or localhost:PORT are answered.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from storage import Store

from ..config import Config
from .feeds import CONTENT_TYPE as FEED_TYPE
from .pages import ASSETS, HistoryCache, NotFound, Report, asset_bytes

log = logging.getLogger("wikimon")

# The pages need nothing but themselves: no third-party requests, no framing, no sniffing.
HEADERS = [
    (
        "Content-Security-Policy",
        "default-src 'none'; style-src 'self'; script-src 'self'; "
        "img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    ),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
]
TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}


def make_app(db_path: str, config: Config) -> WSGIApplication:
    cache: HistoryCache = {}

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        head = method == "HEAD"  # the headers a GET would get, no body

        def respond(status: str, kind: str, body: bytes) -> list[bytes]:
            return _respond(start_response, status, kind, body, head=head)

        if not _local_host(environ):
            # a page of another site whose name was made to resolve to 127.0.0.1 (DNS
            # rebinding) would reach the report as if it were that site: not answered
            return respond("400 Bad Request", "text/plain", b"Host must be 127.0.0.1 or localhost")
        path = environ.get("PATH_INFO", "/").lstrip("/")
        if path == "" or path.endswith("/"):
            path += "index.html"
        query = parse_qs(environ.get("QUERY_STRING", ""))
        if method not in ("GET", "HEAD"):
            return respond("405 Method Not Allowed", "text/plain", b"GET only")
        if path in ASSETS:
            return respond("200 OK", TYPES[path[path.rindex(".") :]], asset_bytes(path))
        store = Store(db_path, readonly=True)
        try:
            at = (query.get("at") or [None])[0]
            self_url = f"http://{environ['HTTP_HOST']}/{path}"  # a checked local host
            html = Report(store, config, cache=cache, live=True).render(path, at, self_url)
        except NotFound:
            body = b"<!DOCTYPE html><title>Not found</title><p>No such page. <a href='/'>Index</a>"
            return respond("404 Not Found", "text/html; charset=utf-8", body)
        finally:
            store.close()
        kind = FEED_TYPE if path.endswith(".atom") else "text/html; charset=utf-8"
        return respond("200 OK", kind, html.encode())

    return app


def _local_host(environ: WSGIEnvironment) -> bool:
    """The request's Host is this server by its loopback name: 127.0.0.1:PORT or
    localhost:PORT (no Host at all, or any other name, is refused)."""
    port = environ.get("SERVER_PORT", "")
    host = environ.get("HTTP_HOST", "").lower()
    return bool(port) and host in (f"127.0.0.1:{port}", f"localhost:{port}")


def _respond(
    start_response: StartResponse, status: str, kind: str, body: bytes, *, head: bool = False
) -> list[bytes]:
    start_response(status, [("Content-Type", kind), ("Content-Length", str(len(body))), *HEADERS])
    return [] if head else [body]


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
