"""wikimon's Python API, importable as ``wikimon`` (``import wikimon``): a database read
from a notebook or a script, and the pure functions on plain wikitext.

    db = wikimon.open("wikimon.db")
    for change in db.changes("2024 Syrian opposition offensives", fields=["casualties*"]):
        print(change.timestamp, change.field, change.old_number, change.new_number)

The database is opened read-only (no lock: it can be read while ``wikimon run`` writes
it) and everything comes out as typed dataclasses. The CLI's read commands (``status``,
``revisions``, ``wikitext``, ``changes``, ``show``, ``export``) go through this module.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime
from types import TracebackType

from storage import (
    TIME_FORMAT,
    ChangeRow,
    Clock,
    Page,
    RevisionRow,
    StatusRow,
    Store,
    system_clock,
    up_to,
)
from storage import changes as changelog

from .core.facts import Change, Facts
from .errors import InvalidTitle, UnknownTitle, WikimonError
from .sources.titles import normalize_title
from .wording import shell_quote

__all__ = [
    "Database",
    "FactsAt",
    "PageChange",
    "diff",
    "facts",
    "is_revid",
    "moment",
    "open",
]

Moment = str | date | datetime  # 2024-11-29, 2024-11-29T12:00:00Z, or a date/datetime
Titles = str | Page | Iterable[str | Page] | None  # one page or several; None: all


@dataclass(frozen=True)
class PageChange(ChangeRow):
    """A change record (every field of :class:`storage.ChangeRow`) with its page."""

    wiki: str = ""
    page_id: int = 0
    title: str = ""

    @classmethod
    def of(cls, page: Page, row: ChangeRow) -> PageChange:
        values = {f.name: getattr(row, f.name) for f in fields(row)}
        return cls(**values, wiki=page.wiki, page_id=page.page_id, title=page.title)


@dataclass(frozen=True)
class FactsAt:
    """The infobox facts of one revision: the newest with text at the moment asked for."""

    page: Page
    revision: RevisionRow
    facts: Facts  # .infobox (template name), .fields (name → FieldFacts)


def moment(value: Moment | None) -> str | None:
    """A date or time as stored (ISO 8601 UTC, ``2024-11-29T00:00:00Z``). Strings may be
    ``2024-11-29``, ``2024-11-29T12:00:00Z``, ``2024-11-29T12:00:00`` or
    ``2024-11-29 12:00``; naive datetimes are UTC. Raises ValueError otherwise."""
    if value is None:
        return None
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).strftime(TIME_FORMAT)
    if isinstance(value, date):
        return value.strftime("%Y-%m-%dT00:00:00Z")
    for fmt in ("%Y-%m-%d", TIME_FORMAT, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"):
        try:
            return datetime.strptime(value, fmt).strftime(TIME_FORMAT)
        except ValueError:
            continue
    raise ValueError(f"{value!r} is not a date: use 2024-12-01 or 2024-12-01T12:00:00Z")


def is_revid(value: str) -> bool:
    """A revision id rather than a date (``--at 1259801935``)."""
    return re.fullmatch(r"[0-9]{1,18}", value) is not None


class Database:
    """A wikimon database, read-only. Titles are matched as the wiki does (see
    :meth:`page`); ``wiki`` is needed only when a title is stored for several wikis."""

    def __init__(self, store: Store):
        self.store = store

    # -- pages ---------------------------------------------------------------------------------

    def pages(self) -> list[StatusRow]:
        """One summary per stored page (wiki, page_id, title, revisions, first and last
        revision, last poll…), by wiki and title: `wikimon status --json`."""
        return self.store.status()

    def page(self, title: str, wiki: str | None = None) -> Page:
        """A stored page by title, matched by each wiki's title rules (first letter
        case-insensitive unless the wiki is case-sensitive; namespace prefixes; a former
        title finds the page). Raises :class:`monitor.errors.UnknownTitle`."""
        store = self.store
        try:
            wanted = normalize_title(title)
        except InvalidTitle:
            # an export may have stored a title MediaWiki would refuse (a line break…):
            # it is still found by its exact spelling
            exact = store.find_pages(title, wiki)
            if len(exact) == 1:
                return exact[0]
            raise
        found: list[Page] = []
        wiki_rows = store.wikis()
        for row in wiki_rows:
            if wiki is not None and row.name != wiki:
                continue
            key = normalize_title(title, row.namespaces or [], case_sensitive=row.case_sensitive)
            if wiki is not None or len(wiki_rows) == 1:
                wanted = key  # say it as that wiki spells it
            found += store.find_pages(key, row.name)
        if not found:
            # a title stored from an export as MediaWiki would not spell it (two spaces…)
            found = store.find_pages(title, wiki)
        if len(found) == 1:
            return found[0]
        wikis = sorted({p.wiki for p in found})
        if len(wikis) > 1:
            raise UnknownTitle(
                f"{wanted!r} is stored for several wikis ({', '.join(wikis)}): add --wiki"
            )
        if found:
            ids = ", ".join(str(p.page_id) for p in found)
            raise UnknownTitle(f"{wanted!r} names several deleted pages on {wikis[0]} ({ids})")
        raise UnknownTitle(self._unknown_title_message(wanted, wiki))

    def _unknown_title_message(self, wanted: str, wiki: str | None) -> str:
        """Say what is there instead: near misses first, then the tracked articles."""
        stored = self.store.pages(wiki=wiki)
        message = f"no stored article {wanted!r}" + (f" on {wiki}" if wiki else "")
        if not stored:
            return message + ". Nothing is stored yet: `wikimon add TITLE` or `wikimon import FILE`"
        titles = [p.title for p in stored]
        near = [t for t in titles if t.casefold() == wanted.casefold()]
        near += [t for t in difflib.get_close_matches(wanted, titles, n=3) if t not in near]
        message += "."
        if near:
            message += " Did you mean " + " or ".join(repr(t) for t in near[:3]) + "?"
        tracked = [p for p in stored if p.tracked] or stored
        label = "Tracked" if tracked[0].tracked else "Stored"
        listing = "; ".join(f"{p.title!r} ({p.wiki})" for p in tracked[:10])
        more = f" and {len(tracked) - 10} more (see `wikimon status`)" if len(tracked) > 10 else ""
        return f"{message} {label}: {listing}{more}. Track another with `wikimon add TITLE`"

    def pages_of(self, titles: Titles = None, wiki: str | None = None) -> list[Page]:
        """The stored pages of ``titles`` (a title, a Page, or several; None: every
        stored page, or every page of ``wiki``), by wiki and title."""
        if titles is None:
            return self.store.pages(wiki=wiki)
        if isinstance(titles, str | Page):
            titles = [titles]
        return [t if isinstance(t, Page) else self.page(t, wiki) for t in titles]

    # -- revisions -----------------------------------------------------------------------------

    def revisions(self, title: str, wiki: str | None = None) -> Iterator[RevisionRow]:
        """The stored revisions' metadata, oldest first (hidden users and comments are
        None)."""
        return self.store.revisions(self.page(title, wiki))

    def wikitext(self, title: str, revid: int | None = None, wiki: str | None = None) -> bytes:
        """The exact stored text (UTF-8 bytes) of the latest revision or of ``revid``."""
        page = self.page(title, wiki)
        if revid is None:
            latest = self.store.latest_revision(page)
            if latest is None:
                raise WikimonError(f"no revisions of {page.title!r} are stored yet")
            revid = latest.revid
        try:
            text = self.store.text(page, revid)
        except KeyError:
            raise WikimonError(
                f"revision {revid} of {page.title!r} is not stored: `wikimon revisions "
                f"{shell_quote(page.title)}` lists those that are"
            ) from None
        if text is None:
            raise WikimonError(f"revision {revid} of {page.title!r} is revision-deleted: no text")
        return text

    # -- the change log ------------------------------------------------------------------------

    def changes(
        self,
        title: Titles = None,
        since: Moment | None = None,
        until: Moment | None = None,
        fields: Iterable[str] | None = None,
        wiki: str | None = None,
    ) -> Iterator[PageChange]:
        """Change records, oldest first per page (pages by wiki and title): of ``title``
        (one or several titles; None: every stored page), saved at or after ``since`` and
        before ``until``, of ``fields`` (names or glob patterns such as ``casualties*``).
        Streams: one page's records are read at a time."""
        wanted = tuple(fields or ())
        start, end = moment(since), moment(until)
        for page in self.pages_of(title, wiki):
            for row in changelog.iter_changes(
                self.store, page, since=start, until=end, fields=wanted
            ):
                yield PageChange.of(page, row)

    # -- facts ---------------------------------------------------------------------------------

    def facts(
        self,
        title: str | Page,
        at: Moment | int | None = None,
        wiki: str | None = None,
        infobox: str | None = None,
    ) -> FactsAt:
        """The infobox facts now, or as of ``at``: a revision id, or a date (a bare date
        means the end of that day, UTC) or time. A revision-deleted revision gives the
        last visible one before it. ``infobox`` names the template to read [default: the
        one the page's change log was made with, else the first ``{{Infobox …}}``]."""
        from .core.extract import extract_facts  # mwparserfromhell: imported where used

        page = title if isinstance(title, Page) else self.page(title, wiki)
        store = self.store
        limit: tuple[str, int] | None = None
        if isinstance(at, int) or (isinstance(at, str) and is_revid(at)):
            asked = store.revision(page, int(at))
            if asked is None:
                raise WikimonError(f"revision {at} of {page.title!r} is not stored")
            limit = asked.key
        elif at is not None:
            when = moment(at)
            assert when is not None
            bare_day = (isinstance(at, str) and len(at) == 10) or (
                isinstance(at, date) and not isinstance(at, datetime)
            )
            limit = up_to(when[:10] if bare_day else when)
        meta = store.visible_revision_at(page, limit)
        if meta is None:
            where = f" at or before {at}" if at is not None else ""
            raise WikimonError(f"no stored revision of {page.title!r} with text{where}")
        text = store.text(page, meta.revid)
        assert text is not None
        infobox = self._infobox(page) if infobox is None else infobox
        return FactsAt(page, meta, extract_facts(text.decode("utf-8", "replace"), infobox))

    def history(
        self,
        title: str | Page,
        since: Moment | None = None,
        until: Moment | None = None,
        wiki: str | None = None,
        infobox: str | None = None,
    ) -> Iterator[FactsAt]:
        """The facts of every revision with text saved at or after ``since`` and before
        ``until``, oldest first (texts are decoded in one sequential pass)."""
        from .core.extract import extract_facts  # mwparserfromhell: imported where used

        page = title if isinstance(title, Page) else self.page(title, wiki)
        start, end = moment(since), moment(until)
        infobox = self._infobox(page) if infobox is None else infobox
        for meta, text in self.store.texts(page):
            if end is not None and meta.timestamp >= end:
                break
            if text is None or (start is not None and meta.timestamp < start):
                continue
            yield FactsAt(page, meta, extract_facts(text.decode("utf-8", "replace"), infobox))

    def _infobox(self, page: Page) -> str | None:
        """The template the page's change log was made with (None: the first Infobox)."""
        state = changelog.analysis_state(self.store, page)
        return state.infobox if state else None

    # -- closing -------------------------------------------------------------------------------

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Database:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def open(path: str | os.PathLike[str], *, clock: Clock = system_clock) -> Database:
    """Open a wikimon database read-only (no lock; never migrates; raises
    :class:`storage.StoreError` when it is not a wikimon database or was written by an
    older wikimon)."""
    return Database(Store(path, readonly=True, clock=clock))


def facts(wikitext: str, infobox: str | None = None) -> Facts:
    """The facts of a wikitext's infobox (the first ``{{Infobox …}}``, or ``infobox``)."""
    from .core.extract import extract_facts  # mwparserfromhell: imported where used

    return extract_facts(wikitext, infobox)


def diff(old_text: str, new_text: str, infobox: str | None = None) -> list[Change]:
    """The semantic changes between two wikitexts' infoboxes (`wikimon diff`)."""
    from .core.diff import diff_wikitext  # mwparserfromhell: imported where used

    return diff_wikitext(old_text, new_text, infobox)
