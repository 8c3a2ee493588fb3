"""An article's facts through time, as the report shows them: each field's successive
values and who set them, the infobox as of any moment, figure series and item presence.

Built by one sequential pass over the stored texts (each delta decoded once, unchanged
infobox fields cost a cache lookup). Reads the store, writes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from storage import Page, RevisionRow, Store
from storage import changes as changelog

from ..attribution import standing_reverts
from ..core.blame import Blame
from ..core.extract import extract_facts
from ..core.facts import FieldFacts


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
    value: int | None  # None: the figure went away here
    reverted: bool


@dataclass
class FigureSeries:
    """One number of a field through time: a side's killed, wounded…"""

    side: str | None
    category: str | None
    occurrence: int  # 0; 1 for a second figure of the same side and category…
    points: list[SeriesPoint] = field(default_factory=list)

    @property
    def name(self) -> str:
        name = " · ".join(p for p in (self.side, self.category or "figure") if p)
        return f"{name} ({self.occurrence + 1})" if self.occurrence else name


@dataclass
class ArticleHistory:
    page: Page
    revisions: list[Revision]
    versions: dict[str, list[Version]]  # field -> its versions, oldest first
    infobox: str | None  # the template read, as of the newest visible revision
    attribution: Blame[Revision]  # who put each value, item and figure there

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
            if kept and _shown(kept[-1].fact) == _shown(version.fact):
                continue  # a revert restoring the value is not a new version
            kept.append(version)
        return kept

    def blame(self, name: str) -> Revision | None:
        """The revision that introduced the field's current value (a vandalism reverted
        since does not count as a change): the attribution model's answer."""
        lineage = self.attribution.value(name)
        return lineage.introduced_by if lineage is not None and lineage.present else None

    def item_blame(self, name: str) -> list[tuple[str, Revision | None]]:
        """(text, the revision that put it there as it reads now) of each current item of
        the field, in order."""
        return [
            (lineage.current.text or "", lineage.introduced_by)
            for lineage in self.attribution.items(name)
        ]

    def figure_series(self, name: str) -> list[FigureSeries]:
        """Every figure series of a field, with a point each time its number changed and
        an end point (value None) when it went away; numbers set by reverted revisions are
        points marked ``reverted``. A series is a side × category; a second figure of the
        same side and category in the field is a series of its own."""
        series: dict[tuple[str | None, str | None, int], FigureSeries] = {}
        shown: dict[tuple[str | None, str | None, int], int | None] = {}
        for version in self.versions.get(name, []):
            reverted = version.revision.reverted_by is not None
            numbers = _figure_numbers(version.fact)
            for key, number in numbers.items():
                line = series.setdefault(key, FigureSeries(*key))
                if shown.get(key) != number:
                    line.points.append(SeriesPoint(version.revision, number, reverted))
                if not reverted:
                    shown[key] = number
            if reverted:
                continue
            for key in [k for k, v in shown.items() if v is not None and k not in numbers]:
                series[key].points.append(SeriesPoint(version.revision, None, False))
                shown[key] = None  # it went away: its return is a new point
        return [
            s
            for s in series.values()
            if any(not p.reverted and p.value is not None for p in s.points)
        ]

    def presence(self, name: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
        """For a list field: each item (its latest text) and the times it was present,
        [from, to) with to None for still there; reverted versions ignored."""
        texts: dict[tuple[str, int], str] = {}
        spans: dict[tuple[str, int], list[tuple[str, str | None]]] = defaultdict(list)
        present: dict[tuple[str, int], str] = {}
        for version in self.kept_versions(name):
            when = version.revision.timestamp
            items = _stable_items(version.fact)
            for key in list(present):
                if key not in items:
                    spans[key].append((present.pop(key), when))
            for key, text in items.items():
                texts[key] = text
                present.setdefault(key, when)
        for key, since in present.items():
            spans[key].append((since, None))
        return [(texts[key], spans[key]) for key in texts]


def _figure_numbers(fact: FieldFacts | None) -> dict[tuple[str | None, str | None, int], int]:
    """The numbers of a field's figures by (side, category, occurrence): keys that stay
    the same when other items come and go, or when an item is reworded."""
    numbers: dict[tuple[str | None, str | None, int], int] = {}
    seen: dict[tuple[str | None, str | None], int] = defaultdict(int)
    for item in fact.items if fact else ():
        for figure in item.figures:
            if figure.number is None:
                continue
            kind = (figure.side, figure.category)
            numbers[(*kind, seen[kind])] = figure.number
            seen[kind] += 1
    return numbers


def _stable_items(fact: FieldFacts | None) -> dict[tuple[str, int], str]:
    """A field's items by (base key, occurrence) → text. Item.identity adds a qualifier
    only while another item shares the base key, so it changes when neighbours come and
    go; this key does not."""
    items: dict[tuple[str, int], str] = {}
    seen: dict[str, int] = defaultdict(int)
    for item in fact.items if fact else ():
        base = item.base_key or item.key
        items[(base, seen[base])] = item.text
        seen[base] += 1
    return items


def _last_at(versions: list[Version], at: tuple[str, int] | None) -> Version | None:
    found = None
    for version in versions:
        if at is not None and (version.revision.timestamp, version.revision.revid) > at:
            break
        found = version
    return found


def load_history(store: Store, page: Page, infobox: str | None = None) -> ArticleHistory:
    """The article's history from the store, in one pass over its revisions."""
    reverted_by = standing_reverts(changelog.reverted_by(store, page))
    reverts_to = changelog.reverts_to(store, page)
    revisions: list[Revision] = []
    versions: dict[str, list[Version]] = {}
    attribution: Blame[Revision] = Blame()
    previous: dict[str, FieldFacts] = {}
    name = None
    for meta, text in store.texts(page):
        if not store.plausible(meta.timestamp):
            continue  # an impossible time (an old database): `wikimon check` names it
        revision = _revision(meta, text is not None, reverted_by, reverts_to)
        revisions.append(revision)
        if text is None:
            continue  # revision-deleted: the next visible one is compared with the last
        facts = extract_facts(text.decode("utf-8", "replace"), infobox)
        name = facts.infobox
        if revision.reverted_by is None:  # what reverted edits did counts for nobody
            attribution.add(revision, facts)
        for field_name in [*facts.fields, *(f for f in previous if f not in facts.fields)]:
            new = facts.fields.get(field_name)
            if _shown(previous.get(field_name)) != _shown(new):  # a change a reader sees
                versions.setdefault(field_name, []).append(Version(revision, new))
        previous = facts.fields
    # fields in the current infobox order, then those removed since
    order = {f: i for i, f in enumerate(previous)}
    ordered = dict(sorted(versions.items(), key=lambda kv: order.get(kv[0], len(order))))
    return ArticleHistory(page, revisions, ordered, name, attribution)


def _shown(fact: FieldFacts | None) -> str | None:
    """What a reader sees of a field: its display text (a new link target behind the
    same words is not a new value)."""
    return None if fact is None else fact.value


def _revision(
    meta: RevisionRow, visible: bool, reverted_by: dict[int, int], reverts_to: dict[int, int]
) -> Revision:
    return Revision(
        revid=meta.revid,
        timestamp=meta.timestamp,
        user=meta.user,
        comment=meta.comment,
        parent_revid=meta.parent_revid,
        visible=visible,
        reverted_by=reverted_by.get(meta.revid),
        reverts_to=reverts_to.get(meta.revid),
    )
