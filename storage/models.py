"""Plain records passed between the sources (API, XML export) and the store."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"  # how times are stored: ISO 8601, UTC, to the second


Clock = Callable[[], datetime]
"""What code that needs "now" is given: a function returning an aware datetime. Tests
pass their own; nothing reads the system clock behind their back."""


def system_clock() -> datetime:
    return datetime.now(UTC)


MAX_REVID = 2**63 - 1  # above every revision id (SQLite's largest INTEGER)


def up_to(moment: str) -> tuple[str, int]:
    """The (timestamp, revid) bound of every revision saved at or before ``moment`` (an
    ISO time, or a bare YYYY-MM-DD meaning the end of that day)."""
    if len(moment) == 10:
        moment += "T23:59:59Z"
    return (moment, MAX_REVID)


def format_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(TIME_FORMAT)


def parse_time(moment: str) -> datetime:
    return datetime.strptime(moment, TIME_FORMAT).replace(tzinfo=UTC)


@dataclass
class Revision:
    """One revision as a source saw it. ``text`` is None when the text is hidden."""

    revid: int
    timestamp: str  # ISO 8601 UTC: 2024-11-27T05:40:00Z
    parent_revid: int | None = None
    user: str | None = None
    user_id: int | None = None
    anon: bool = False
    comment: str | None = None
    minor: bool = False
    size: int | None = None
    sha1: str | None = None  # hex
    text: str | None = None
    texthidden: bool = False
    userhidden: bool = False
    commenthidden: bool = False
    suppressed: bool = False


@dataclass(frozen=True)
class Page:
    id: int  # local key
    wiki: str
    page_id: int  # the wiki's page id
    ns: int
    title: str
    tracked: bool
    redirect_to: str | None = None
    deleted_at: str | None = None


def sha1_hex(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


def sha1_base36_to_hex(value: str) -> str:
    """XML exports give the SHA-1 in base 36 (31 digits); the API gives hex (40 digits)."""
    return format(int(value, 36), "040x")


# -- rows read from the store ---------------------------------------------------------------
# Built once, here, from SQLite rows: flags are booleans, JSON columns decoded, and what a
# revision hides (its user, its comment) is None, whatever the row holds.


@dataclass(frozen=True)
class RevisionRow:
    """A stored revision's metadata."""

    revid: int
    parent_revid: int | None
    timestamp: str
    user: str | None  # None: hidden (or unknown)
    user_id: int | None
    anon: bool
    comment: str | None  # None: hidden (or none given)
    minor: bool
    size: int | None
    sha1: str | None  # hex
    texthidden: bool
    userhidden: bool
    commenthidden: bool
    suppressed: bool
    sha1_mismatch: bool

    @property
    def key(self) -> tuple[str, int]:
        """Its place in the page's history: (timestamp, revid)."""
        return (self.timestamp, self.revid)


@dataclass(frozen=True)
class WikiRow:
    name: str
    api_url: str | None
    base_url: str | None
    dbname: str | None
    case_sensitive: bool
    namespaces: list[str] | None  # namespace names (prefixes), when known


@dataclass(frozen=True)
class SyncState:
    """How far the store is in step with the wiki, for one page."""

    last_poll: str | None = None
    last_error: str | None = None
    backfill_cursor: int | None = None  # last revid stored by an unfinished backfill
    backfill_stop: int | None = None
    backfill_since: str | None = None
    history_complete: bool = False


@dataclass(frozen=True)
class StatusRow:
    """One stored page, summarised (the `wikimon status` rows)."""

    wiki: str
    page_id: int
    title: str
    tracked: bool
    deleted_at: str | None
    revisions: int
    first_revid: int | None
    last_revid: int | None
    first_timestamp: str | None
    last_timestamp: str | None
    last_poll: str | None
    storage_bytes: int


@dataclass(frozen=True)
class Revert:
    """An identity revert: the revision restored ``reverted_to``'s text, undoing
    ``reverted``."""

    reverted_to: int
    reverted: tuple[int, ...]


CHANGE_COLUMNS = (
    "field", "kind", "old", "new", "item", "category", "side", "old_number", "new_number",
)  # fmt: skip


class ChangeRecord(Protocol):
    """A change record by its :data:`CHANGE_COLUMNS`: a core Change (what
    :func:`storage.changes.record_changes` stores) or a stored ChangeRow."""

    @property
    def field(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def old(self) -> str | None: ...
    @property
    def new(self) -> str | None: ...
    @property
    def item(self) -> str | None: ...
    @property
    def category(self) -> str | None: ...
    @property
    def side(self) -> str | None: ...
    @property
    def old_number(self) -> int | None: ...
    @property
    def new_number(self) -> int | None: ...


FACT_COLUMNS = (
    "field", "value", "position", "item", "side", "category", "number", "low", "high",
    "approximate", "plus",
)  # fmt: skip


class FactRecord(Protocol):
    """One value of a field, flat, by its :data:`FACT_COLUMNS` (the core's FactRow)."""

    @property
    def field(self) -> str: ...
    @property
    def value(self) -> str: ...
    @property
    def position(self) -> int | None: ...
    @property
    def item(self) -> str | None: ...
    @property
    def side(self) -> str | None: ...
    @property
    def category(self) -> str | None: ...
    @property
    def number(self) -> int | None: ...
    @property
    def low(self) -> int | None: ...
    @property
    def high(self) -> int | None: ...
    @property
    def approximate(self) -> bool | None: ...
    @property
    def plus(self) -> bool | None: ...


@dataclass(frozen=True)
class ChangeRow:
    """A stored change record with its revision's user and comment and its revert marks."""

    revid: int
    parent_revid: int | None  # the visible revision it was compared with
    timestamp: str
    user: str | None  # None: hidden
    comment: str | None  # None: hidden
    field: str
    kind: str
    old: str | None
    new: str | None
    item: str | None
    category: str | None
    side: str | None
    old_number: int | None
    new_number: int | None
    revert: Revert | None = None  # this revision is an identity revert
    reverted_by: int | None = None  # a later identity revert undid this revision
    minor: bool = False  # the revision is marked minor
    infobox: str | None = None  # the template the record is about (None: not recorded)

    def to_json(self, page: Page) -> dict[str, object]:
        """The record as `wikimon changes --json` prints it (and webhooks and exports
        carry it)."""
        record: dict[str, object] = {
            "revid": self.revid,
            "parent_revid": self.parent_revid,
            "page_id": page.page_id,
            "title": page.title,
            "timestamp": self.timestamp,
            "user": self.user,
            "comment": self.comment,
        }
        record.update({name: getattr(self, name) for name in CHANGE_COLUMNS})
        record["revert"] = (
            {"reverted_to": self.revert.reverted_to, "reverted": list(self.revert.reverted)}
            if self.revert
            else None
        )
        record["reverted_by"] = self.reverted_by
        return record


@dataclass(frozen=True)
class AnalysisState:
    """How far a page's change log goes, and what made it."""

    version: str  # the analysis version (wikimon version + core digest)
    infobox: str | None  # configured infobox template, if any
    analyzed: int  # how many revisions were analysed
    last_revid: int | None
    last_timestamp: str | None
    last_visible_revid: int | None  # the newest analysed revision with text

    @property
    def last_key(self) -> tuple[str, int] | None:
        if self.last_timestamp is None or self.last_revid is None:
            return None
        return (self.last_timestamp, self.last_revid)


@dataclass(frozen=True)
class DigestRow:
    """A recorded digest window and its delivery."""

    id: int
    name: str  # '' for ad hoc digests
    scheduled: bool
    window_start: str
    window_end: str
    recipients: list[str]
    delivery: str  # smtp | outbox | none
    subject: str | None
    message_id: str | None
    message: bytes | None
    created_at: str
    sent_at: str | None
    failed_at: str | None
    attempts: int
    last_error: str | None
    next_attempt: str | None
