"""`wikimon run` with ``stream: true``: a thread per event stream that fetches a tracked
article's new revisions as soon as an event names it (through the same poll as the
schedule: prop=info and prop=revisions), then sends the alerts that are due at once.

The last event id is stored in SQLite after each event that named a tracked article (and
every few seconds otherwise), so a restart resumes there; a lost connection is resumed
with Last-Event-ID by requests-sse, and one that cannot be made is tried again with
backoff (1 s, 2 s, 4 s… up to 5 minutes). Events are processed one at a time with the
daemon's jobs (its ``busy`` lock), so SIGTERM lets the one in progress finish.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from storage import Page
from storage import alerts as positions

from ..config import WikiConfig
from ..context import Context
from ..errors import ConfigError, WikimonError
from ..sources.stream import EventStream, RecentChange, Skipped, StreamError
from ..wording import plural
from .alerts import log_pass, run_pass
from .jobs import poll_wiki

log = logging.getLogger("wikimon")

MAX_BACKOFF = 300.0  # seconds between attempts to reconnect, at most
SAVE_EVERY = 5.0  # seconds: the position after events of other articles is saved this often
FETCH_TRIES = 4  # the revision an event names may not be on the API's replica yet
FETCH_WAIT = 0.5  # seconds before the second fetch; doubles


class StreamListener:
    def __init__(
        self,
        url: str,
        wikis: list[WikiConfig],
        contact: str,
        make_context: Callable[[], Context],
        busy: threading.Lock,
        stopping: threading.Event,
    ):
        self.url = url
        self.wikis = wikis
        self.stream = EventStream(url, wikis, contact)
        self.make_context = make_context
        self.busy = busy
        self.stopping = stopping
        self.thread = threading.Thread(target=self.run, name=f"stream {url}", daemon=True)
        self._saved_at = 0.0

    @property
    def names(self) -> str:
        return ", ".join(w.name for w in self.wikis)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stream.close()

    def run(self) -> None:
        context = self.make_context()  # its own connection, in its own thread
        failures = 0
        try:
            while not self.stopping.is_set():
                position = positions.stream_position(context.store(), self.url)
                last_id = position.last_event_id if position else None
                try:
                    for item in self.stream.events(last_id, on_open=self._opened(last_id)):
                        if self.stopping.is_set():
                            return
                        failures = 0
                        self.handle(context, item)
                except StreamError as error:
                    if self.stopping.is_set():
                        return
                    failures += 1
                    delay = min(2.0 ** (failures - 1), MAX_BACKOFF)
                    log.warning("stream %s: %s; attempt %d, next in %.0f s",
                                self.names, error, failures, delay)  # fmt: skip
                    self.stopping.wait(delay)
        finally:
            context.close()

    def _opened(self, last_id: str | None) -> Callable[[], None]:
        calls: list[int] = []

        def opened() -> None:
            if calls:  # requests-sse reconnected after a drop, with Last-Event-ID
                log.info("stream %s: reconnected, resuming after the last event", self.names)
                return
            calls.append(1)
            resumed = f", resuming after event {last_id}" if last_id else ", from now on"
            log.info("stream %s: connected to %s%s", self.names, self.url, resumed)

        return opened

    def handle(self, context: Context, item: RecentChange | Skipped) -> None:
        if isinstance(item, Skipped):
            if item.problem:
                log.warning("stream %s: event %s skipped: %s", self.names, item.event_id,
                            item.problem)  # fmt: skip
            self._save(context, item.event_id, item.when, at_once=False)
            return
        with self.busy:
            if self.stopping.is_set():
                return  # not processed: not saved, the next start sees it again
            store = context.store()
            pages = [p for p in store.find_pages(item.title, item.wiki) if p.tracked]
            pages = [p for p in pages if item.page_id is None or p.page_id == item.page_id]
            wanted = [p for p in pages if item.revid is None or not _stored(context, p, item)]
            if wanted:
                try:
                    self.fetch(context, item, wanted)
                except ConfigError:
                    raise
                except WikimonError as error:
                    log.error("stream %s: %s", item.wiki, error)
            self._save(context, item.event_id, item.when, at_once=bool(pages))

    def fetch(self, context: Context, item: RecentChange, pages: list[Page]) -> None:
        """Poll the pages at once; again a few times while the API's replica does not have
        the revision the event names yet."""
        for tries in range(1, FETCH_TRIES + 1):
            outcome = poll_wiki(context, item.wiki, pages, via="stream")
            if outcome.error is not None:
                raise outcome.error
            if item.revid is None or all(_stored(context, p, item) for p in pages):
                break
            if tries < FETCH_TRIES:
                self.stopping.wait(FETCH_WAIT * 2 ** (tries - 1))
        else:
            log.warning("stream %s: revision %d of %r is not available from the API yet; "
                        "the next poll fetches it", item.wiki, item.revid, item.title)  # fmt: skip
        for problem in outcome.problems:
            log.warning("%s", problem)
        log.info(
            "stream %s: %r %s: %s, %s", item.wiki, item.title,
            f"revision {item.revid}" if item.revid else f"{item.kind} {item.log_type or ''}",
            plural(outcome.new_revisions, "new revision"), plural(outcome.changes, "change"),
        )  # fmt: skip
        if context.config.alerts and outcome.new_revisions:
            log_pass(run_pass(context, pages={p.id for p in pages}))

    def _save(self, context: Context, event_id: str, when: str | None, *, at_once: bool) -> None:
        if not event_id:
            return
        now = time.monotonic()
        if at_once or now - self._saved_at >= SAVE_EVERY:
            positions.save_stream_position(context.store(), self.url, event_id, when)
            self._saved_at = now


def _stored(context: Context, page: Page, item: RecentChange) -> bool:
    return item.revid is not None and context.store().revision(page, item.revid) is not None


def listeners(
    context_factory: Callable[[], Context],
    wikis: list[WikiConfig],
    contact: str,
    busy: threading.Lock,
    stopping: threading.Event,
) -> list[StreamListener]:
    """One listener per stream URL, for the wikis that stream from it."""
    by_url: dict[str, list[WikiConfig]] = {}
    for wiki in wikis:
        if wiki.stream:
            by_url.setdefault(wiki.stream_url, []).append(wiki)
    return [
        StreamListener(url, group, contact, context_factory, busy, stopping)
        for url, group in by_url.items()
    ]
