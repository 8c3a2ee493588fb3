"""An article's facts through time, as the report shows them: each field's successive
values and who set them, the infobox as of any moment, figure series and item presence.

Built by one sequential pass over the stored texts (each delta decoded once, unchanged
infobox fields cost a cache lookup). Reads the store, writes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from storage import Page, Store

from .digest import format_time, parse_time
from .extract import extract_facts
from .facts import FieldFacts

# The report's field groups: what readers filter a timeline by.
GROUPS = {
    "casualties": "Casualties",
    "combatants": "Combatants",
    "commanders": "Commanders",
    "outcome": "Result, date, place",
    "other": "Other",
}
_GROUP_PREFIXES = (
    ("casualties", ("casualties", "casualty", "notes", "deaths", "killed", "injuries")),
    ("combatants", ("combatant", "belligerent", "side")),
    ("commanders", ("commander", "leader")),
    ("outcome", ("result", "date", "place", "location", "status", "territory", "outcome")),
)


def field_group(name: str) -> str:
    """casualties2 → casualties; combatant1 → combatants; result → outcome…"""
    for group, prefixes in _GROUP_PREFIXES:
        if name.startswith(prefixes):
            return group
    return "other"


@dataclass(frozen=True)
class Revision:
    revid: int
    timestamp: str
    user: str | None  # None: hidden
    comment: str | None
    parent_revid: int | None
    visible: bool  # its text is stored (not revision-deleted)
    reverted_by: int | None = None  # a later identity revert undid it
    reverts_to: int | None = None  # it restored this revision's text


@dataclass(frozen=True)
class Version:
    """A field's value from one revision on, until its next version."""

    revision: Revision
    fact: FieldFacts | None  # None: the field was removed or emptied


@dataclass(frozen=True)
class SeriesPoint:
    revision: Revision
    value: int
    reverted: bool


@dataclass
class FigureSeries:
    """One number of a field through time: a side's killed, wounded…"""

    side: str | None
    category: str | None
    item: str  # the item's identity, to tell apart two figures of the same side and kind
    points: list[SeriesPoint] = field(default_factory=list)

    @property
    def name(self) -> str:
        return " · ".join(p for p in (self.side, self.category or "figure") if p)


@dataclass
class ArticleHistory:
    page: Page
    revisions: list[Revision]
    versions: dict[str, list[Version]]  # field -> its versions, oldest first
    infobox: str | None  # the template read, as of the newest visible revision

    @property
    def current(self) -> dict[str, FieldFacts]:
        return self.facts_at(None)

    def facts_at(self, at: tuple[str, int] | None) -> dict[str, FieldFacts]:
        """The fields as of (timestamp, revid) ``at`` (None: now), in infobox order."""
        facts: dict[str, FieldFacts] = {}
        for name, versions in self.versions.items():
            version = _last_at(versions, at)
            if version is not None and version.fact is not None:
                facts[name] = version.fact
        return facts

    def revision_at(self, at: tuple[str, int]) -> Revision | None:
        """The newest visible revision at or before ``at``."""
        found = None
        for revision in self.revisions:
            if (revision.timestamp, revision.revid) > at:
                break
            if revision.visible:
                found = revision
        return found

    def kept_versions(self, name: str) -> list[Version]:
        """The field's versions without those of reverted revisions (vandalism and the
        like): what the article really said, and when."""
        kept: list[Version] = []
        for version in self.versions.get(name, []):
            if version.revision.reverted_by is not None:
                continue
            if kept and kept[-1].fact == version.fact:
                continue  # a revert restoring the value is not a new version
            kept.append(version)
        return kept

    def blame(self, name: str) -> Version | None:
        """The version that introduced the field's current value (a vandalism reverted
        since does not count as a change)."""
        kept = self.kept_versions(name)
        return kept[-1] if kept and kept[-1].fact is not None else None

    def figure_series(self, name: str) -> list[FigureSeries]:
        """Every figure series of a field, with a point each time its number changed;
        numbers set by reverted revisions are points marked ``reverted``."""
        series: dict[tuple[str | None, str | None, str], FigureSeries] = {}
        shown: dict[tuple[str | None, str | None, str], int | None] = {}
        for version in self.versions.get(name, []):
            reverted = version.revision.reverted_by is not None
            seen = set()
            for item in version.fact.items if version.fact else ():
                for figure in item.figures:
                    if figure.number is None:
                        continue
                    key = (figure.side, figure.category, item.identity)
                    if key in seen:
                        continue  # the first figure of its kind in the item
                    seen.add(key)
                    line = series.setdefault(key, FigureSeries(*key))
                    if shown.get(key) != figure.number:
                        line.points.append(SeriesPoint(version.revision, figure.number, reverted))
                    if not reverted:
                        shown[key] = figure.number
            for key in set(shown) - seen:
                if not reverted:
                    shown[key] = None  # the figure went away: its return is a new point
        return [s for s in series.values() if any(not p.reverted for p in s.points)]

    def presence(self, name: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
        """For a list field: each item (its latest text) and the times it was present,
        [from, to) with to None for still there; reverted versions ignored."""
        texts: dict[str, str] = {}
        spans: dict[str, list[tuple[str, str | None]]] = defaultdict(list)
        present: dict[str, str] = {}
        for version in self.kept_versions(name):
            when = version.revision.timestamp
            items = {
                item.identity: item.text for item in (version.fact.items if version.fact else ())
            }
            for key in list(present):
                if key not in items:
                    spans[key].append((present.pop(key), when))
            for key, text in items.items():
                texts[key] = text
                present.setdefault(key, when)
        for key, since in present.items():
            spans[key].append((since, None))
        return [(texts[key], spans[key]) for key in texts]

    def activity(self, days: int, until: str) -> tuple[int, int]:
        """(edits, reverts) in the ``days`` days up to ``until``: (until - days, until], so
        that the newest revision (often ``until`` itself) counts."""
        since = format_time(parse_time(until) - timedelta(days=days))
        window = [r for r in self.revisions if since < r.timestamp <= until]
        return len(window), sum(1 for r in window if r.reverts_to is not None)

    def edits_per_day(self, days: int, until: str) -> list[int]:
        """Edits per UTC day, the ``days`` days up to and including ``until``'s."""
        last = parse_time(until[:10] + "T00:00:00Z")
        counts = dict.fromkeys(
            (format_time(last - timedelta(days=n))[:10] for n in range(days - 1, -1, -1)), 0
        )
        for revision in self.revisions:
            day = revision.timestamp[:10]
            if day in counts:
                counts[day] += 1
        return list(counts.values())


def _last_at(versions: list[Version], at: tuple[str, int] | None) -> Version | None:
    found = None
    for version in versions:
        if at is not None and (version.revision.timestamp, version.revision.revid) > at:
            break
        found = version
    return found


def load_history(store: Store, page: Page, infobox: str | None = None) -> ArticleHistory:
    """The article's history from the store, in one pass over its revisions."""
    reverted_by = dict(
        store.conn.execute("SELECT revid, reverted_by FROM reverted WHERE page = ?", [page.id])
    )
    reverts_to = dict(
        store.conn.execute("SELECT revid, reverted_to FROM reverts WHERE page = ?", [page.id])
    )
    revisions: list[Revision] = []
    versions: dict[str, list[Version]] = {}
    previous: dict[str, FieldFacts] = {}
    name = None
    for meta, text in store.texts(page):
        revision = _revision(meta, text is not None, reverted_by, reverts_to)
        revisions.append(revision)
        if text is None:
            continue  # revision-deleted: the next visible one is compared with the last
        facts = extract_facts(text.decode("utf-8", "replace"), infobox)
        name = facts.infobox
        for field_name in [*facts.fields, *(f for f in previous if f not in facts.fields)]:
            new = facts.fields.get(field_name)
            if previous.get(field_name) != new:
                versions.setdefault(field_name, []).append(Version(revision, new))
        previous = facts.fields
    # fields in the current infobox order, then those removed since
    order = {f: i for i, f in enumerate(previous)}
    ordered = dict(sorted(versions.items(), key=lambda kv: order.get(kv[0], len(order))))
    return ArticleHistory(page, revisions, ordered, name)


def _revision(
    meta: dict[str, Any], visible: bool, reverted_by: dict[int, int], reverts_to: dict[int, int]
) -> Revision:
    return Revision(
        revid=meta["revid"],
        timestamp=meta["timestamp"],
        user=None if meta.get("userhidden") else meta.get("user"),
        comment=None if meta.get("commenthidden") else meta.get("comment"),
        parent_revid=meta.get("parent_revid"),
        visible=visible,
        reverted_by=reverted_by.get(meta["revid"]),
        reverts_to=reverts_to.get(meta["revid"]),
    )
