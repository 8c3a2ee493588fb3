"""Push: Wikimedia's EventStreams ``recentchange`` stream (server-sent events), read with
requests-sse.

Each event is one recent change of any wiki (schema mediawiki/recentchange/1.0.0: ``meta``
{uri, id, dt, domain, stream…}, ``type``, ``namespace``, ``title``, ``server_url``,
``server_name``, ``wiki``, ``revision`` {old, new}…). The stream is filtered here, client
side: only changes of the configured wikis that stream, matched by their ``server_url``.
requests-sse sends the id of the last event as ``Last-Event-ID`` when it reconnects (and
so does a new connection, given the stored one), so the stream resumes where it stopped.
Everything in an event is untrusted: it is checked before it is used.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import requests
from requests_sse import EventSource

from storage import format_time

from ..config import WikiConfig
from ..errors import WikiError
from .api import user_agent

log = logging.getLogger("wikimon")

READ_TIMEOUT = 120.0  # seconds without a byte before the connection is given up
RECONNECT = timedelta(seconds=0.5)  # requests-sse doubles it before each reconnection
CONNECT_TRIES = 2  # requests-sse's own, per reconnection; then the caller backs off
KINDS = ("edit", "new", "log")  # categorize events name no revision of the page


class StreamError(WikiError):
    """The stream cannot be read (refused, not an event stream, the connection lost)."""


@dataclass(frozen=True)
class RecentChange:
    """One event of a configured wiki."""

    event_id: str  # what to send as Last-Event-ID to resume after it
    wiki: str  # the configured wiki's name
    kind: str  # edit | new | log
    title: str  # with its namespace prefix, as the wiki spells it
    revid: int | None  # the new revision (edits and creations)
    page_id: int | None  # when the event names it
    log_type: str | None  # move, delete… (log events)
    when: str | None  # when it happened (meta.dt), as stored times are written


@dataclass(frozen=True)
class Skipped:
    """An event of another wiki (or a malformed one): only its id matters, to resume."""

    event_id: str
    when: str | None
    problem: str | None = None  # malformed: why


class EventStream:
    """One connection to a recentchange stream, for the configured ``wikis`` it serves."""

    def __init__(self, url: str, wikis: list[WikiConfig], contact: str):
        self.url = url
        self.wikis = {wiki.server_url: wiki for wiki in wikis}
        self.session = requests.Session()
        self.session.headers["User-Agent"] = user_agent(contact)
        self._source: EventSource | None = None
        self._lock = threading.Lock()

    def events(
        self, last_event_id: str | None, on_open: Any = None
    ) -> Iterator[RecentChange | Skipped]:
        """The events after ``last_event_id`` (None: from now on), reconnecting by itself
        (with Last-Event-ID) when the connection drops; StreamError when it cannot."""
        try:
            source = EventSource(
                self.url, session=self.session, timeout=READ_TIMEOUT,
                latest_event_id=last_event_id, reconnection_time=RECONNECT,
                max_connect_retry=CONNECT_TRIES, on_open=on_open,
            )  # fmt: skip
            with self._lock:
                self._source = source
            with source:
                for message in source:
                    if message.type != "message" or not message.data:
                        continue
                    yield self.parse(message.last_event_id, message.data)
        except requests.RequestException as error:
            raise StreamError(f"{self.url}: {_why(error)}") from None
        except ValueError as error:  # the connection was closed under it (close())
            raise StreamError(f"{self.url}: closed ({error})") from None
        finally:
            with self._lock:
                self._source = None

    def close(self) -> None:
        """Stop reading (from another thread): the connection is closed."""
        with self._lock:
            if self._source is not None:
                self._source.close()

    def parse(self, event_id: str, data: str) -> RecentChange | Skipped:
        try:
            event = json.loads(data)
        except ValueError:
            return Skipped(event_id, None, "not JSON")
        if not isinstance(event, dict):
            return Skipped(event_id, None, "not a JSON object")
        meta = _mapping(event.get("meta"))
        when = _when(meta.get("dt"), event.get("timestamp"))
        if meta.get("domain") == "canary":  # Wikimedia's monitoring events
            return Skipped(event_id, when)
        wiki = self._wiki(event)
        if wiki is None:
            return Skipped(event_id, when)
        kind, title = event.get("type"), event.get("title")
        if kind not in KINDS:
            return Skipped(event_id, when)
        if not isinstance(title, str) or not title.strip() or len(title) > 1000:
            return Skipped(event_id, when, "an event without a title")
        revision = _mapping(event.get("revision"))
        revid = revision.get("new")
        page_id = event.get("page_id")
        log_type = event.get("log_type")
        return RecentChange(
            event_id=event_id, wiki=wiki.name, kind=kind, title=title.replace("_", " "),
            revid=revid if _is_int(revid) else None,
            page_id=page_id if _is_int(page_id) else None,
            log_type=log_type if isinstance(log_type, str) else None, when=when,
        )  # fmt: skip

    def _wiki(self, event: dict[str, Any]) -> WikiConfig | None:
        """The configured wiki the event is from: by its server_url (scheme, host and
        port, as the wiki's api: URL has them), or by its server_name when it has none."""
        server_url = event.get("server_url")
        if isinstance(server_url, str):
            return self.wikis.get(server_url.rstrip("/"))
        name = event.get("server_name")
        if not isinstance(name, str):
            return None
        matches = [w for url, w in self.wikis.items() if urlsplit(url).hostname == name]
        return matches[0] if len(matches) == 1 else None


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _when(dt: Any, timestamp: Any) -> str | None:
    if isinstance(dt, str):
        try:
            return format_time(datetime.fromisoformat(dt.replace("Z", "+00:00")))
        except ValueError:
            pass
    if _is_int(timestamp):
        return format_time(datetime.fromtimestamp(timestamp, UTC))
    return None


def _why(error: requests.RequestException) -> str:
    status = getattr(error, "status_code", None)
    if status is not None:
        return f"answered HTTP {status}"
    content_type = getattr(error, "content_type", "")
    if content_type != "" and type(error).__name__ == "InvalidContentTypeError":
        return f"not an event stream (Content-Type {content_type!r})"
    return f"cannot connect ({type(error).__name__})"
