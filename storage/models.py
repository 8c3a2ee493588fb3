"""Plain records passed between the sources (API, XML export) and the store."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
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


_TIME_SHAPE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")


def parse_time(moment: str) -> datetime:
    # The stored shape: fromisoformat is 10 × strptime. (Newer Pythons read 24:00 as the
    # next midnight, which strptime refuses.)
    if _TIME_SHAPE.fullmatch(moment) and moment[11:13] != "24":
        return datetime.fromisoformat(moment[:-1]).replace(tzinfo=UTC)
    return datetime.strptime(moment, TIME_FORMAT).replace(tzinfo=UTC)  # raises ValueError


EARLIEST_TIME = "1995-01-01T00:00:00Z"  # no wiki is older (WikiWikiWeb went online in 1995)
FUTURE_SLACK = timedelta(days=1)  # clocks differ; a day ahead of ours is impossible


def time_problem(moment: str, now: datetime | None = None) -> str | None:
    """Why ``moment`` cannot be when a revision was saved, or None when it can: it must be
    YYYY-MM-DDThh:mm:ssZ, a real time (no 30 February, 24:00 or leap second), not before
    the first wiki and, given ``now``, not more than a day after it. The one rule for
    times from exports, from the API and from the database."""
    if not _TIME_SHAPE.fullmatch(moment):
        return "not a time written YYYY-MM-DDThh:mm:ssZ"
    try:
        when = parse_time(moment)
    except ValueError:  # "day is out of range for month", "hour must be in 0..23"…
        return "not a real date and time"
    if moment < EARLIEST_TIME:
        return f"before {EARLIEST_TIME[:4]}, when the first wiki went online"
    if now is not None and when > now + FUTURE_SLACK:
        return f"in the future (it is {format_time(now)} now)"
    return None


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


_HEX_SHA1 = re.compile(r"[0-9a-f]{40}")


def sha1_to_column(value: str | None) -> bytes | str | None:
    """How a hex SHA-1 is stored: its 20 bytes (one that is not 40 hex digits, as is).
    Rows written before migration 0005 hold the hex text; both read back as hex."""
    return bytes.fromhex(value) if value is not None and _HEX_SHA1.fullmatch(value) else value


def sha1_from_column(value: bytes | str | None) -> str | None:
    return value.hex() if isinstance(value, bytes) else value


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
    "old_low", "old_high", "new_low", "new_high",
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
    @property
    def old_low(self) -> int | None: ...
    @property
    def old_high(self) -> int | None: ...
    @property
    def new_low(self) -> int | None: ...
    @property
    def new_high(self) -> int | None: ...


FACT_COLUMNS = (
    "field", "value", "position", "item", "side", "group", "category", "number", "low",
    "high", "approximate", "plus",
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
    def group(self) -> str | None: ...
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
    old_low: int | None = None  # a figure's ends (a range's; else both the number)
    old_high: int | None = None
    new_low: int | None = None
    new_high: int | None = None
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


@dataclass(frozen=True)
class ArticleActivity:
    """How active an article is, as the report's index lists it (without reading its
    history)."""

    page: int  # local page id
    changes: int  # semantic change records
    last_change: str | None  # when its facts last changed
    last_edit: str | None  # its newest stored revision
    recent: tuple[tuple[str, bool], ...]  # (timestamp, identity revert?) of recent revisions


@dataclass(frozen=True)
class AlertRow:
    """A recorded alert window of a rule for a page; ``title`` None: nothing to say."""

    id: int
    rule: str
    page: int  # local page id
    window_start: str
    window_end: str
    from_revid: int | None
    to_revid: int | None
    title: str | None
    body: str | None
    records: str  # JSON text, as `wikimon changes --json` prints the records
    created_at: str


@dataclass(frozen=True)
class AlertDeliveryRow:
    """One channel's delivery of an alert."""

    id: int
    alert: AlertRow
    channel: str  # the channel's key
    label: str
    idempotency_key: str
    created_at: str
    sent_at: str | None
    failed_at: str | None
    attempts: int
    last_error: str | None
    next_attempt: str | None


@dataclass(frozen=True)
class StreamPosition:
    url: str
    last_event_id: str | None
    event_time: str | None
    updated_at: str
