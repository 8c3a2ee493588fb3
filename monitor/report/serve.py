"""`wikimon serve`: the report's pages rendered live from the database, on 127.0.0.1.

The same pages as the static report (the same paths, so links work the same), plus
``?at=DATE|REVID`` on an article's ``as-of/index.html`` (which has a form for it here). Each
request reads the database afresh, so revisions stored by the daemon appear without
regenerating anything. Only requests for 127.0.0.1:PORT or localhost:PORT are answered.

Each connection has a thread of its own and a time limit (to send its request, and for each
read and write), so a client that sends nothing, half a request or a slow body holds up
nobody but itself, and not for long; at most MAX_CONNECTIONS are served at once, the next
ones are told to come back (503).
"""

from __future__ import annotations

import contextlib
import logging
import signal
import socket
import threading
from collections.abc import Iterable
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from storage import Store, StoreError
from storage.integrity import diagnose

from ..config import Config
from ..wording import escape
from . import DEFAULT_TIMEOUT
from .feeds import CONTENT_TYPE as FEED_TYPE
from .pages import ASSETS, HistoryCache, NotFound, Report, asset_bytes

MAX_CONNECTIONS = 64  # served at once (each is a thread); more are answered 503

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
        store = None
        try:
            store = Store(db_path, readonly=True)
            at = (query.get("at") or [None])[0]
            self_url = f"http://{environ['HTTP_HOST']}/{path}"  # a checked local host
            html = Report(store, config, cache=cache, live=True).render(path, at, self_url)
        except NotFound:
            body = b"<!DOCTYPE html><title>Not found</title><p>No such page. <a href='/'>Index</a>"
            return respond("404 Not Found", "text/html; charset=utf-8", body)
        except Exception as error:
            # a damaged (or replaced, or upgraded) database: one line, and serving goes on
            problem = error if isinstance(error, StoreError) else diagnose(Path(db_path), error)
            if problem is None:
                raise  # a bug: wsgiref answers 500 and logs the traceback
            log.error("GET /%s: %s", escape(path), escape(str(problem)))
            body = f"wikimon cannot read the database: {problem}\n".encode()
            return respond("500 Internal Server Error", "text/plain; charset=utf-8", body)
        finally:
            if store is not None:
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
    server: _ReportServer

    def setup(self) -> None:
        self.request.settimeout(self.server.client_timeout)  # each read and write
        super().setup()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        log.info("%s %s", self.address_string(), escape(format % args))

    def parse_request(self) -> bool:
        # the request line and headers are in: the time limit to send them is over
        self.server.arrived(self.connection)
        return super().parse_request()


class _ReportServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True  # Ctrl-C does not wait for a client
    block_on_close = False
    request_queue_size = 128  # a burst of connections waits to be answered (or refused)

    def __init__(self, address: tuple[str, int], timeout: float, max_connections: int):
        super().__init__(address, _QuietHandler)
        self.client_timeout = timeout
        self._slots = threading.BoundedSemaphore(max_connections)
        self._deadlines: dict[socket.socket, threading.Timer] = {}
        self._lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            # every thread is busy: say so at once rather than queue behind them
            body = b"Too many connections; try again in a moment.\n"
            try:
                request.settimeout(1)
                request.sendall(
                    b"HTTP/1.0 503 Service Unavailable\r\nRetry-After: 1\r\n"
                    b"Content-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
                )
            except OSError:
                pass
            self.shutdown_request(request)
            return
        # the whole request (line and headers) within the time limit, however slowly sent
        timer = threading.Timer(self.client_timeout, _hang_up, [request])
        timer.daemon = True
        with self._lock:
            self._deadlines[request] = timer
        timer.start()
        super().process_request(request, client_address)

    def arrived(self, request: socket.socket) -> None:
        with self._lock:
            timer = self._deadlines.pop(request, None)
        if timer is not None:
            timer.cancel()

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.arrived(request)
            self._slots.release()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that timed out or went away: one line (with -v), not a traceback."""
        log.info("%s: connection dropped", client_address[0])

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


def _hang_up(request: socket.socket) -> None:
    """The client did not send its request in time: its blocked read ends, and so does
    its thread."""
    with contextlib.suppress(OSError):  # gone already
        request.shutdown(socket.SHUT_RDWR)


def make_report_server(
    db_path: str,
    config: Config,
    port: int,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    max_connections: int = MAX_CONNECTIONS,
) -> WSGIServer:
    """A server on 127.0.0.1 only: the report is for the person running wikimon."""
    server = _ReportServer(("127.0.0.1", port), timeout, max_connections)
    server.set_app(make_app(db_path, config))
    return server
