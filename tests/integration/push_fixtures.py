"""Real servers for the alerts and the stream, standard library only, on 127.0.0.1:

* ``EventStreamServer``: Wikimedia's EventStreams as far as wikimon sees it: server-sent
  events of the ``recentchange`` stream in the real format (``id:`` a JSON list of Kafka
  topic/partition/offset, ``data:`` the event with its ``meta``), resuming after the
  ``Last-Event-ID`` a client sends, able to drop a connection in the middle. Its events are
  recorded ones (tests/data/eventstreams) and those the local MediaWiki writes as it is
  edited (its $wgRCFeeds file), in the order they come.
* ``WebhookReceiver``: a webhook endpoint that checks each POST's HMAC signature, answers
  the statuses it is told to (500 then 200, 410…) and can hold a request unanswered.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

RECORDED = Path(__file__).resolve().parent.parent / "data" / "eventstreams" / "recentchange.jsonl"
TOPIC = "eqiad.mediawiki.recentchange"


def recorded_events() -> list[dict[str, Any]]:
    return [json.loads(line) for line in RECORDED.read_text(encoding="utf-8").splitlines()]


class EventStreamServer:
    """``url``: http://127.0.0.1:PORT/v2/stream/recentchange."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []  # the stream, in order; offset = index
        self.connections: list[dict[str, str | None]] = []  # headers of each connection
        self.drop_after: int | None = None  # close the next connection after this many events
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self._tails: list[tuple[Path, int]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                if self.path.split("?")[0] != "/v2/stream/recentchange":
                    self.send_error(404)
                    return
                last = self.headers.get("Last-Event-ID")
                with server.lock:
                    server.connections.append(
                        {"last_event_id": last, "user_agent": self.headers.get("User-Agent")}
                    )
                    drop, server.drop_after = server.drop_after, None
                position = server.resume_after(last)
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream; charset=utf-8")
                self.send_header("Cache-Control", "no-cache")
                self.send_header("Transfer-Encoding", "chunked")  # as EventStreams (node.js)
                self.end_headers()
                sent = 0

                def chunk(data: bytes) -> None:
                    self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                    self.wfile.flush()

                try:
                    chunk(b":ok\n\n")
                    while not server.stopping.is_set():
                        server.read_tails()
                        if position >= len(server.events):
                            time.sleep(0.02)
                            continue
                        if drop is not None and sent >= drop:
                            return  # the connection drops in the middle of the stream
                        chunk(server.frame(position))
                        position += 1
                        sent += 1
                except (BrokenPipeError, ConnectionResetError):
                    return
                finally:
                    self.close_connection = True

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/v2/stream/recentchange"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def add(self, event: dict[str, Any]) -> None:
        """Append an event (its meta is completed as EventStreams would)."""
        with self.lock:
            offset = len(self.events)
            meta = dict(event.get("meta") or {})
            meta.setdefault("id", str(uuid.uuid4()))
            meta.setdefault("dt", datetime.fromtimestamp(event.get("timestamp", 0), UTC)
                            .strftime("%Y-%m-%dT%H:%M:%SZ"))  # fmt: skip
            meta.setdefault("domain", event.get("server_name", ""))
            meta.setdefault("uri", event.get("title_url", ""))
            meta.update(stream="mediawiki.recentchange", topic=TOPIC, partition=0, offset=offset)
            self.events.append({"$schema": "/mediawiki/recentchange/1.0.0", **event, "meta": meta})

    def tail(self, path: Path) -> None:
        """Stream every line the wiki appends to ``path`` from now on."""
        size = path.stat().st_size if path.exists() else 0
        with self.lock:
            self._tails.append((path, size))

    def read_tails(self) -> None:
        with self.lock:
            tails = list(self._tails)
        for index, (path, position) in enumerate(tails):
            if not path.exists() or path.stat().st_size <= position:
                continue
            with open(path, "rb") as file:
                file.seek(position)
                data = file.read()
            complete = data[: data.rfind(b"\n") + 1]
            for line in complete.decode("utf-8").splitlines():
                self.add(json.loads(line))
            with self.lock:
                self._tails[index] = (path, position + len(complete))

    def frame(self, offset: int) -> bytes:
        event_id = json.dumps([{"topic": TOPIC, "partition": 0, "offset": offset}])
        data = json.dumps(self.events[offset], ensure_ascii=False)
        return f"event: message\nid: {event_id}\ndata: {data}\n\n".encode()

    def resume_after(self, last_event_id: str | None) -> int:
        """The offset after the one named by Last-Event-ID (EventStreams' format: a JSON
        list of topic/partition/offset); without one, from the events still to come."""
        if not last_event_id:
            return len(self.events)
        for position in json.loads(last_event_id):
            if position.get("topic") == TOPIC:
                return int(position["offset"]) + 1
        return len(self.events)


@pytest.fixture
def event_stream():
    server = EventStreamServer()
    server.start()
    yield server
    server.stop()


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    signed: bool  # the signature matched the body and the secret
    status: int  # what the receiver answered

    @property
    def records(self) -> Any:
        return json.loads(self.body)


@dataclass
class WebhookReceiver:
    secret: bytes = b"s3cr3t-for-tests"
    statuses: list[int] = field(default_factory=list)  # answers, in order; then 200
    received: list[Received] = field(default_factory=list)
    holding: bool = False  # hold each request, then answer 503
    held: int = 0

    def __post_init__(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                expected = "sha256=" + hmac.new(receiver.secret, body, hashlib.sha256).hexdigest()
                signed = hmac.compare_digest(
                    self.headers.get("X-Wikimon-Signature-256", ""), expected
                )
                if receiver.holding:
                    receiver.held += 1
                    while receiver.holding:
                        time.sleep(0.02)
                    status = 503
                else:
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                receiver.received.append(Received(dict(self.headers), body, signed, status))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/hooks/wikimon"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def accepted(self) -> list[Received]:
        return [r for r in self.received if 200 <= r.status < 300]

    def wait_for(self, count: int, timeout: float = 60.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.accepted()) < count:
            assert time.monotonic() < deadline, f"{len(self.accepted())} accepted, not {count}"
            time.sleep(0.05)
        return self.accepted()

    def stop(self) -> None:
        self.holding = False
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def webhook():
    receiver = WebhookReceiver()
    yield receiver
    receiver.stop()


class JsonCatcher:
    """apprise's json:// target: the JSON bodies it POSTs."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        catcher = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                catcher.bodies.append(json.loads(body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_port
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def json_catcher():
    catcher = JsonCatcher()
    yield catcher
    catcher.stop()
