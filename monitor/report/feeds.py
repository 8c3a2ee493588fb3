"""Atom 1.0 feeds of an article's semantic changes: one entry per revision that changed
its facts (newest first), with who, when, every change record's text, the diff link, and
reverted changes marked. For all fields, a field group (casualties, combatants…) or a
glob of field names.

Ids are stable tag URIs made of the wiki, the page id and the revision id (a feed's id
names its filter too), so a reader never sees an entry twice; ``updated`` is the
revision's time. Everything from the wiki is escaped by the XML writer, and the
characters XML 1.0 cannot carry (control characters) are dropped first.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from html import escape
from urllib.parse import quote
from xml.etree import ElementTree as ET

from storage import ChangeRow, Page, Store
from storage import changes as changelog

from .. import __version__
from ..config import Config
from ..fields import GROUPS, field_group
from ..links import diff_url, page_url, revision_url
from ..wording import describe, one_line

ATOM = "http://www.w3.org/2005/Atom"
CONTENT_TYPE = "application/atom+xml; charset=utf-8"
DEFAULT_LIMIT = 100
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_EPOCH = "1970-01-01T00:00:00Z"


@dataclass(frozen=True)
class FeedFilter:
    """Which fields a feed follows: all, a field group, or glob patterns of names."""

    group: str | None = None
    glob: str | None = None

    def wants(self, name: str) -> bool:
        if self.group is not None:
            return field_group(name) == self.group
        return self.glob is None or fnmatch.fnmatchcase(name, self.glob)

    @property
    def key(self) -> str:
        """Its part of the feed's id."""
        if self.group is not None:
            return f"/group/{self.group}"
        return f"/fields/{quote(self.glob, safe='*?[]')}" if self.glob else ""

    @property
    def label(self) -> str:
        if self.group is not None:
            return GROUPS[self.group].lower()
        return self.glob or ""


def feed_file(group: str | None = None) -> str:
    """The feed's file in the article's directory of the report: feed.atom, or
    feed-casualties.atom for a field group."""
    return f"feed-{group}.atom" if group else "feed.atom"


def _text(value: str | None, width: int = 2000) -> str:
    """One line of wiki text that XML can carry."""
    return one_line(_NOT_XML.sub("", value or ""), width)


def _tag(page: Page, rest: str = "") -> str:
    return f"tag:wikimon,2024:{quote(page.wiki)}/{int(page.page_id)}{rest}"


def _entries(rows: list[ChangeRow], wanted: FeedFilter, limit: int) -> list[list[ChangeRow]]:
    """The records of each revision that changed a wanted field, newest revision first."""
    by_revision: dict[int, list[ChangeRow]] = {}
    for row in rows:
        if wanted.wants(row.field):
            by_revision.setdefault(row.revid, []).append(row)
    return list(reversed(by_revision.values()))[:limit]


def build_feed(
    store: Store,
    config: Config,
    page: Page,
    wanted: FeedFilter | None = None,
    *,
    limit: int = DEFAULT_LIMIT,
    self_url: str | None = None,
    report_url: str | None = None,
) -> str:
    """The Atom document of ``page``'s changes (of the ``wanted`` fields), at most
    ``limit`` entries. ``self_url``: where the feed is served; ``report_url``: the
    article's page of the report."""
    wanted = wanted or FeedFilter()
    wiki = config.wikis.get(page.wiki)
    api_url = wiki.api_url if wiki else None
    rows = changelog.changes(store, page)
    entries = _entries(rows, wanted, limit)
    latest = store.latest_revision(page)
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    _add(feed, "id", _tag(page, wanted.key))
    title = f"{page.title} — {wanted.label}" if wanted.label else page.title
    _add(feed, "title", f"wikimon: {_text(title)}")
    _add(feed, "subtitle", f"Changes in the infobox facts of {_text(page.title)} ({page.wiki})")
    updated = entries[0][0].timestamp if entries else latest.timestamp if latest else _EPOCH
    _add(feed, "updated", updated)
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    _add(author, "name", "wikimon")
    generator = _add(feed, "generator", "wikimon")
    generator.set("version", __version__)
    if self_url:
        _link(feed, "self", self_url, "application/atom+xml")
    if report_url:
        _link(feed, "alternate", report_url, "text/html")
    elif api_url:
        _link(feed, "alternate", page_url(api_url, page), "text/html")
    for records in entries:
        feed.append(_entry(page, wanted, records, api_url))
    ET.indent(feed)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="unicode") + "\n"


def _entry(
    page: Page, wanted: FeedFilter, records: list[ChangeRow], api_url: str | None
) -> ET.Element:
    first = records[0]
    undone = first.reverted_by is not None
    entry = ET.Element(f"{{{ATOM}}}entry")
    _add(entry, "id", _tag(page, f"{wanted.key}/revision/{int(first.revid)}"))
    headline = f"{_text(first.field, 100)}: {_text(describe(first), 200)}"
    more = f" (and {len(records) - 1} more)" if len(records) > 1 else ""
    _add(entry, "title", ("[reverted] " if undone else "") + headline + more)
    _add(entry, "updated", first.timestamp)
    _add(entry, "published", first.timestamp)
    author = ET.SubElement(entry, f"{{{ATOM}}}author")
    _add(author, "name", _text(first.user, 200) if first.user is not None else "(hidden)")
    if api_url:
        url = (
            diff_url(api_url, first.revid, first.parent_revid)
            if first.parent_revid
            else revision_url(api_url, first.revid)
        )
        _link(entry, "alternate", url, "text/html")
    for name in dict.fromkeys(r.field for r in records):
        category = ET.SubElement(entry, f"{{{ATOM}}}category")
        category.set("term", _text(name, 200))
    # the content is HTML made here (every string from the wiki escaped), escaped again
    # by the XML writer as Atom's type="html" wants
    user = _text(first.user, 200) if first.user is not None else "(hidden)"
    comment = "(summary hidden)" if first.comment is None else _text(first.comment, 500)
    lines = []
    for record in records:
        marks = []
        if record.reverted_by is not None:
            marks.append(f"reverted by {record.reverted_by}")
        if record.revert is not None:
            marks.append(f"reverts to {record.revert.reverted_to}")
        text = f"{_text(record.field, 100)}: {_text(describe(record), 500)}"
        line = escape(text) + (f" <em>[{escape('; '.join(marks))}]</em>" if marks else "")
        lines.append(f"<li>{f'<del>{line}</del>' if record.reverted_by else line}</li>")
    content = _add(
        entry,
        "content",
        f"<p>Revision {int(first.revid)} by {escape(user)}, {escape(first.timestamp)}: "
        f"{escape(comment)}</p><ul>{''.join(lines)}</ul>",
    )
    content.set("type", "html")
    return entry


def _add(parent: ET.Element, name: str, text: str | None) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{name}")
    element.text = text
    return element


def _link(parent: ET.Element, rel: str, href: str, kind: str) -> None:
    link = ET.SubElement(parent, f"{{{ATOM}}}link")
    link.set("rel", rel)
    link.set("type", kind)
    link.set("href", href)
