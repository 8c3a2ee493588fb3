"""Plain records passed between the sources (API, XML export) and the store."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"  # how times are stored: ISO 8601, UTC, to the second


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
