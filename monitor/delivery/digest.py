"""What a digest says: the net change of each article's facts over a window of time.

The net change of a window is the semantic diff between the infobox as it stood when the
window opened and as it stood when it closed, so a value vandalised and reverted inside
the window is no change at all; the change log of the window says who made each change
that survived, and which edits were undone. Reads the store, writes nothing.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from storage import ChangeRow, Page, Store, format_time, parse_time, up_to
from storage import changes as changelog

from ..attribution import Credit, window_blame
from ..config import ChangeFilter, Config, DigestConfig
from ..core.diff import diff_facts
from ..core.facts import Change, Facts
from ..fields import field_order
from ..links import diff_url, page_url, report_url
from ..wording import describe, one_line, plural


@dataclass
class Edit:
    """A revision that made a change, as a digest cites it."""

    revid: int
    parent_revid: int | None
    timestamp: str
    user: str | None  # None: hidden
    comment: str | None
    url: str  # the diff on the wiki


@dataclass
class NetChange:
    field: str
    kind: str
    text: str  # "killed: 208 → 220 (+12) (…)"
    record: Change  # the net change (old, new, item, numbers…)
    delta: int | None = None  # figures: new − old
    # the edits that made it, oldest first (dataclasses.field: ``field`` is a name here)
    edits: list[Edit] = dataclasses.field(default_factory=list)

    @property
    def by(self) -> Edit | None:
        """The edit that made it what it is now."""
        return self.edits[-1] if self.edits else None

    @property
    def editors(self) -> list[str]:
        return list(dict.fromkeys(e.user if e.user is not None else "(hidden)" for e in self.edits))


@dataclass
class FieldSummary:
    name: str
    changes: list[NetChange]
    reverted_edits: int = 0  # edits to this field in the window that were reverted
    edits: int = 0  # edits to this field in the window
    other_edits: int = 0  # of those, neither reverted nor reverts (changed, then changed back)

    @property
    def no_net_change(self) -> bool:
        return not self.changes


@dataclass
class ArticleSummary:
    page: Page
    page_url: str
    report_url: str | None
    fields: list[FieldSummary]
    edits: int  # revisions saved in the window
    editors: int
    reverts: int
    created: bool  # the page's first revision is in the window
    net_diff_url: str | None  # the wiki's diff from the window's start to its end


@dataclass
class Digest:
    name: str
    window_start: str
    window_end: str
    articles: list[ArticleSummary]

    @property
    def empty(self) -> bool:
        return not self.articles

    def subject(self) -> str:
        """``wikimon: 2 articles changed — casualties2 220 (+12)``: one line, no control
        characters, whatever the wiki said."""
        changed = [a for a in self.articles if any(f.changes for f in a.fields)]
        if not self.articles:
            return f"wikimon: no changes in the facts ({_day(self.window_start)} – " + (
                f"{_day(self.window_end)})"
            )
        if not changed:
            reverted = sum(f.reverted_edits for a in self.articles for f in a.fields)
            return (
                f"wikimon: no net change, {plural(reverted, 'reverted edit')} in "
                f"{plural(len(self.articles), 'article')}"
            )
        changes = [c for a in changed for f in a.fields for c in f.changes]
        figures = [c for c in changes if c.delta]
        if figures:
            top = max(figures, key=lambda c: abs(c.delta or 0))
            headline = f"{top.field} {top.record.new_number or 0:,} ({top.delta:+,})"
        else:
            top = changes[0]
            headline = f"{top.field}: {top.text}"
        subject = f"wikimon: {plural(len(changed), 'article')} changed — {headline}"
        return one_line(subject, 150)


def build_digest(
    store: Store,
    config: Config,
    digest: DigestConfig,
    pages: list[Page],
    window_start: str,
    window_end: str,
) -> Digest:
    """The digest of ``pages`` for [window_start, window_end); the change logs must be up
    to date (the caller analyses first)."""
    articles = []
    for page in pages:
        summary = summarize_article(store, config, digest, page, window_start, window_end)
        if summary is not None:
            articles.append(summary)
    return Digest(digest.name, window_start, window_end, articles)


def summarize_article(
    store: Store,
    config: Config,
    digest: ChangeFilter,
    page: Page,
    window_start: str,
    window_end: str,
) -> ArticleSummary | None:
    """The article's net change in the window; None when there is nothing to say."""
    infobox = config.infobox_for(page.wiki, page.title)
    first = store.earliest_revision(page)
    # The page was created in the window only if its first stored revision has no parent;
    # otherwise tracking began with it, and what it said then is the baseline, not news.
    created = (
        first is not None and not first.parent_revid
        and window_start <= first.timestamp < window_end
    )  # fmt: skip
    before = store.visible_revision_at(page, _just_before(window_start))
    if before is None and first is not None and not created:
        before = store.visible_revision_at(page, first.key)
    window = window_blame(store, page, infobox, before, _just_before(window_end))
    after = window.after
    if after is None or (before is not None and after.revid == before.revid):
        net: list[Change] = []
    else:
        net = [
            record
            for change in diff_facts(window.old, window.new)
            for record in _item_by_item(change, window.old, window.new)
        ]
    rows = [
        _as_of(row, store, page, window_end)
        for row in changelog.changes(store, page, since=window_start, until=window_end)
    ]
    wiki = config.wikis.get(page.wiki)
    known = store.wiki(page.wiki)
    api_url = wiki.api_url if wiki else known.api_url if known else None
    fields: dict[str, FieldSummary] = {}
    for record in net:
        if not digest.wants_field(record.field):
            continue
        if record.kind == "figure_changed" and not any(
            digest.wants_figure_change(old, new) for old, new in _figure_ends(record)
        ):
            continue  # below the thresholds (at both ends of a range)
        summary = fields.setdefault(record.field, FieldSummary(record.field, []))
        summary.changes.append(_net_change(record, window.blame.credit(record), api_url))
    changed_fields = {record.field for record in net}
    for row in rows:
        # edited in the window, yet as it was: reverted, or changed and changed back
        if row.field not in changed_fields and digest.wants_field(row.field):
            fields.setdefault(row.field, FieldSummary(row.field, []))
    for summary in fields.values():
        touched = [r for r in rows if r.field == summary.name]
        summary.edits = len({r.revid for r in touched})
        summary.reverted_edits = len({r.revid for r in touched if r.reverted_by})
        summary.other_edits = len({r.revid for r in touched if not r.reverted_by and not r.revert})
    if not fields:
        return None
    edits, editors = store.activity(page, window_start, window_end)
    reverts = changelog.revert_count(store, page, window_start, window_end)
    net_diff = None
    if api_url and after is not None and before is not None and before.revid != after.revid:
        net_diff = diff_url(api_url, after.revid, before.revid)
    return ArticleSummary(
        page=page,
        page_url=page_url(api_url, page) if api_url else "",
        report_url=report_url(config.report_url, page),
        fields=sorted(fields.values(), key=lambda f: field_order(f.name)),
        edits=edits,
        editors=editors,
        reverts=reverts,
        created=created,
        net_diff_url=net_diff,
    )


def _figure_ends(record: Change) -> list[tuple[int | None, int | None]]:
    """The (old, new) pairs a figure change moves: its value, and a range's upper end
    ("60–70 → 60–80" moves by 10 though its low end stays)."""
    ends = [(record.old_number, record.new_number)]
    if record.old_high is not None and record.new_high is not None:
        ends.append((record.old_high, record.new_high))
    return ends


def _item_by_item(record: Change, old: Facts, new: Facts) -> list[Change]:
    """A list field that appeared or vanished is said item by item: "+ Hezbollah", not one
    line of every combatant run together."""
    kind = record.kind
    facts, item_kind = (new, "item_added") if kind == "field_added" else (old, "item_removed")
    field_facts = (
        facts.fields.get(record.field) if kind in ("field_added", "field_removed") else None
    )
    if field_facts is None or len(field_facts.items) < 2:
        return [record]
    if kind == "field_added":
        return [replace(record, kind=item_kind, item=i.text, new=i.text) for i in field_facts.items]
    return [replace(record, kind=item_kind, item=i.text, old=i.text) for i in field_facts.items]


def _as_of(row: ChangeRow, store: Store, page: Page, window_end: str) -> ChangeRow:
    """The change record as the window saw it: undone only by a revert made before the
    window closed (a later revert belongs to a later digest)."""
    if row.reverted_by is None:
        return row
    revert = store.revision(page, row.reverted_by)
    if revert is not None and revert.timestamp < window_end:
        return row
    return replace(row, reverted_by=None)


def _just_before(moment: str) -> tuple[str, int]:
    """The (timestamp, revid) bound of revisions saved before ``moment``."""
    return up_to(format_time(parse_time(moment) - timedelta(seconds=1)))


def _net_change(record: Change, credits: list[Credit], api_url: str | None) -> NetChange:
    """The net change as the digest says it, credited to the edits that made it (the
    attribution model's answer, :meth:`monitor.core.blame.Blame.credit`)."""
    old, new = record.old_number, record.new_number
    delta = (
        new - old
        if record.kind == "figure_changed" and old is not None and new is not None
        else None
    )
    edits = [
        Edit(
            revid=credit.revid,
            parent_revid=credit.compared_with,
            timestamp=credit.timestamp,
            user=credit.user,
            comment=credit.comment,
            url=diff_url(api_url, credit.revid, credit.compared_with) if api_url else "",
        )
        for credit in credits
    ]
    return NetChange(
        field=record.field,
        kind=record.kind,
        text=describe(record),
        record=record,
        delta=delta or None,
        edits=edits,
    )


def _day(moment: str) -> str:
    return moment[:10]


# -- windows -----------------------------------------------------------------------------------


def previous_fire_time(digest: DigestConfig, end: datetime) -> datetime:
    """When the schedule last fired before ``end``: a first digest covers one period of its
    schedule (a day for a daily digest), not the whole stored history. Strictly before: a
    run at the fire time itself covers the period ending then, not the empty [end, end)."""
    if digest.every is not None:
        return end - timedelta(seconds=digest.every)
    trigger = digest.trigger()
    for lookback in (timedelta(hours=1), timedelta(days=1), timedelta(days=8),
                     timedelta(days=32), timedelta(days=367)):  # fmt: skip
        fire = trigger.get_next_fire_time(None, end - lookback)
        if fire is None or fire >= end:
            continue
        while True:
            following = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
            if following is None or following >= end:
                return fire.astimezone(UTC)
            fire = following
    return end - timedelta(days=1)


def first_start(digest: DigestConfig, end: str, data_start: str | None) -> str:
    """Where the first window of a digest ending at ``end`` starts: one period of its
    schedule back, or earlier where the data it can see starts (``data_start``), so that
    nothing polled before the daemon started is left out."""
    start = format_time(previous_fire_time(digest, parse_time(end)))
    return min(start, data_start) if data_start else start


def scheduled_window(
    digest: DigestConfig,
    last_end: str | None,
    now: datetime,
    horizon: str | None,
    data_start: str | None = None,
) -> tuple[str, str] | None:
    """The next window of a scheduled digest: from where the last one ended (the first
    one: see :func:`first_start`) to now — but not past ``horizon``, the oldest successful
    poll of its articles, so that no revision saved before the end can arrive after the
    window closed. None when there is no new time to cover."""
    end = format_time(now)
    if horizon is not None and horizon < end:
        end = horizon
    start = last_end or first_start(digest, end, data_start)
    if start >= end:
        return None
    return start, end
