"""The browsable history report: one set of pages, written as a static site by
`wikimon report` or served live from the database by `wikimon serve`.

Every page is a path relative to the report's root (``enwiki/123/index.html``) rendered by
:meth:`Report.render`; links between pages are relative too, so the static site works
from ``file://`` and offline (one CSS file, one small optional script, charts as inline
SVG). Everything from the wiki is escaped by the templates' autoescape.
"""

from __future__ import annotations

import bisect
import hashlib
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from storage import TIME_FORMAT, ArticleActivity, Page, Store, format_time, parse_time, up_to
from storage import changes as changelog
from storage.activity import article_activity

from ..config import Config
from ..fields import GROUPS, field_group
from ..links import (
    article_dir,
    article_path,
    as_of_path,
    contested_path,
    diff_url,
    field_file,
    field_path,
    group_path,
    page_url,
    revision_url,
)
from ..templating import TEMPLATES, environment
from ..wording import describe, isolate
from .charts import Point, Series, line_chart, presence_chart, sparkline
from .feeds import FeedFilter, build_feed, feed_file
from .history import ArticleHistory, Revision, load_history

ASSETS = ("report.css", "report.js")
_ARTICLE = re.compile(r"^([A-Za-z0-9_.-]+)/([0-9]{1,18})/(.+)$")  # a page id fits 63 bits
_MOMENT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}:[0-9]{2}Z)?")  # ?at=


# page id -> (what its history was built from, the history): see Report
HistoryCache = dict[int, tuple[tuple[object, ...] | None, ArticleHistory]]


class NotFound(Exception):
    pass


@dataclass
class _Moments:
    """An article's revisions as the as-of pages look them up, from one pass over them: the
    days on which its facts changed (each has a page), each day's last visible revision,
    and the newest visible revision at or before any moment (by bisection, not a pass per
    page)."""

    history: ArticleHistory  # what it was computed from
    keys: list[tuple[str, int]]  # (timestamp, revid) of each revision, oldest first
    shown: list[Revision | None]  # per revision: the newest visible one at or before it
    positions: dict[int, int]  # revid -> its index in history.revisions
    days: list[str]  # the days with a page, oldest first: the first visible revision's,
    # then each day with a change record (a quiet day reads as the day before it)
    day_position: dict[str, int]  # day -> its index in days

    @classmethod
    def of(cls, history: ArticleHistory, changed: list[str]) -> _Moments:
        """``changed``: the days of the article's change records."""
        keys, shown, positions = [], [], {}
        first: Revision | None = None
        last: Revision | None = None
        for index, revision in enumerate(history.revisions):  # oldest first, as stored
            keys.append((revision.timestamp, revision.revid))
            positions[revision.revid] = index
            if revision.visible:
                last = revision
                first = first or revision
            shown.append(last)
        days = sorted({*changed, *([first.timestamp[:10]] if first else [])})
        return cls(history, keys, shown, positions, days, {d: i for i, d in enumerate(days)})

    def end_of(self, day: str) -> Revision | None:
        """The revision whose infobox stood at the end of ``day``."""
        return self.revision_at(up_to(day))

    def revision_at(self, at: tuple[str, int]) -> Revision | None:
        """The newest visible revision at or before (timestamp, revid) ``at``."""
        index = bisect.bisect_right(self.keys, at)
        return self.shown[index - 1] if index else None

    def day_of(self, moment: str) -> str | None:
        """The page that shows the infobox as of ``moment`` (a date or a time): the last
        day with a page on or before it (None: before the first)."""
        index = bisect.bisect_right(self.days, moment[:10])
        return self.days[index - 1] if index else None


class Report:
    """The report of ``pages`` (default: every stored article with revisions). ``cache``
    and ``live`` are for `wikimon serve`: histories kept across requests (checked against
    the database once per request), and the as-of page's form for ``?at=``."""

    def __init__(
        self,
        store: Store,
        config: Config,
        pages: list[Page] | None = None,
        cache: HistoryCache | None = None,
        *,
        live: bool = False,
    ):
        self.store = store
        self.config = config
        self.pages = pages if pages is not None else [
            p for p in store.pages() if store.revision_count(p)
        ]  # fmt: skip
        # page id -> (what the history was built from, the history): `serve` keeps it
        # across requests and rebuilds a history only when its article got revisions; the
        # static report builds each history once and never asks again
        self._histories = cache if cache is not None else {}
        self._shared = cache is not None
        self.live = live  # served by `wikimon serve`: the as-of page has a form for ?at=
        # what this report has looked up once (a Report lives for one run or one request)
        self._checked: set[int] = set()  # page ids whose history is known to be current
        self._until: str | None = None
        self._stats: dict[int, dict[str, changelog.FieldStats]] = {}
        self._moments: dict[int, _Moments] = {}
        self._hidden_comments: dict[int, frozenset[int]] = {}
        self._field_pages: dict[int, dict[str, str]] = {}

    # -- data ------------------------------------------------------------------------------

    def history(self, page: Page) -> ArticleHistory:
        if page.id not in self._checked:
            signature = self._signature(page) if self._shared else None
            cached = self._histories.get(page.id)
            if cached is None or cached[0] != signature:
                infobox = self.config.infobox_for(page.wiki, page.title)
                self._histories[page.id] = (signature, load_history(self.store, page, infobox))
            self._checked.add(page.id)
        return self._histories[page.id][1]

    def _signature(self, page: Page) -> tuple[object, ...]:
        """What a history was built from: when it changes, a kept history is stale."""
        return self.store.history_signature(page)

    def moments(self, page: Page) -> _Moments:
        """The article's revisions as the as-of pages look them up (once per article)."""
        history = self.history(page)
        found = self._moments.get(page.id)
        if found is None or found.history is not history:
            days = changelog.change_days(self.store, page)
            found = self._moments[page.id] = _Moments.of(history, days)
        return found

    def release(self, page: Page) -> None:
        """Forget what was read of the article (the static report, once its pages are
        written: a thousand histories need not stay in memory)."""
        if not self._shared:
            self._histories.pop(page.id, None)
        for cache in (self._moments, self._stats, self._hidden_comments, self._field_pages):
            cache.pop(page.id, None)

    def signature(self, page: Page) -> str:
        """A digest of everything the article's pages are made of (its revisions, its
        change log, its title, how it is read and linked): equal, its pages are equal."""
        parts = (
            self.store.history_signature(page), page, self.api_url(page),
            self.config.infobox_for(page.wiki, page.title),
        )  # fmt: skip
        return hashlib.sha1(repr(parts).encode("utf-8")).hexdigest()

    def end(self, page: Page) -> str:
        """The end of the article's time axis: the end of its newest revision's day. Not
        the last poll: an article's pages change when it does, not every ten minutes."""
        history = self.history(page)
        last = history.revisions[-1].timestamp if history.revisions else "1970-01-01T00:00:00Z"
        return last[:10] + "T23:59:59Z"

    def field_pages(self, page: Page) -> dict[str, str]:
        """The fields with a page of their own, and its path: those the change log says
        changed at least once. A field that never changed (or was always empty) has
        nothing to show beyond the article page's value and "since … by …"."""
        if page.id not in self._field_pages:
            stats = self.field_stats(page)
            self._field_pages[page.id] = {
                name: field_path(page, name)
                for name in self.history(page).versions
                if name in stats and stats[name].changes
            }
        return self._field_pages[page.id]

    def filter_groups(self, page: Page) -> list[str]:
        """The field groups the article's timeline can be filtered by: those with changes,
        when there are two or more (each has a page, so the filters work without JS)."""
        changed = {field_group(name) for name, stats in self.field_stats(page).items()
                   if stats.changes}  # fmt: skip
        return [g for g in GROUPS if g in changed] if len(changed) > 1 else []

    def hidden_comments(self, page: Page) -> frozenset[int]:
        """The revids of the article's revisions whose edit summary is hidden."""
        if page.id not in self._hidden_comments:
            self._hidden_comments[page.id] = self.store.hidden_comment_revids(page)
        return self._hidden_comments[page.id]

    def api_url(self, page: Page) -> str | None:
        """Links go to the configured wiki only: not to whatever a database or an export
        says its wiki is."""
        wiki = self.config.wikis.get(page.wiki)
        return wiki.api_url if wiki else None

    def known_until(self) -> str:
        """The moment up to which the wiki is known: the last poll, or the newest stored
        revision (an imported archive). Activity counts end here. Read once per report."""
        if self._until is None:
            self._until = self.store.known_until() or "1970-01-01T00:00:00Z"
        return self._until

    def field_stats(self, page: Page) -> dict[str, changelog.FieldStats]:
        """Per field: the edits that changed it, how many were reverted, by how many editors,
        and its last change (once per article; do not modify the result)."""
        if page.id not in self._stats:
            self._stats[page.id] = changelog.field_stats(self.store, page)
        return self._stats[page.id]

    def timeline(self, page: Page, group: str | None = None) -> list[dict[str, Any]]:
        """The semantic changes grouped by day, newest first; each day lists its changes
        newest first, the reverted ones apart."""
        api_url = self.api_url(page)
        # the reverts that still stand (a revert undone by another is not one)
        undone = {r.revid: r.reverted_by for r in self.history(page).revisions}
        days: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in changelog.changes(self.store, page):
            row_group = field_group(row.field)
            if group is not None and row_group != group:
                continue
            days[row.timestamp[:10]].append(
                {
                    **asdict(row),
                    "reverted_by": undone.get(row.revid),
                    "group": row_group,
                    "field_href": self.field_pages(page).get(row.field),
                    "text": describe(row),
                    "url": diff_url(api_url, row.revid, row.parent_revid) if api_url else None,
                }
            )
        return [
            {
                "day": day,
                "kept": [r for r in reversed(rows) if r["reverted_by"] is None],
                "reverted": [r for r in reversed(rows) if r["reverted_by"] is not None],
            }
            for day, rows in sorted(days.items(), reverse=True)
        ]

    # -- pages -----------------------------------------------------------------------------

    def paths(self) -> Iterator[str]:
        """Every page of the static report."""
        yield "index.html"
        for page in self.pages:
            yield from self.article_paths(page)

    def article_paths(self, page: Page) -> list[str]:
        """The article's pages: what changed (all of it, and by field group), the contested
        fields, a page per field it has had, and the infobox as of each day its facts
        changed. Their number grows with the changes, not with the days."""
        return [
            article_path(page),
            *(group_path(page, group) for group in self.filter_groups(page)),
            contested_path(page),
            *self.field_pages(page).values(),
            as_of_path(page),
            *(as_of_path(page, day) for day in self.moments(page).days),
            article_dir(page) + feed_file(),
        ]

    def feed(self, page: Page, group: str | None, self_url: str | None = None) -> str:
        """The article's Atom feed (of a field group); ``self_url``: where it is served
        (else the published report's address, if the config gives one)."""
        base = self.config.report_url
        where = article_dir(page) + feed_file(group)
        return build_feed(
            self.store, self.config, page, FeedFilter(group=group),
            self_url=self_url or (base + where if base else None),
            report_url=base + article_path(page) if base else None,
        )  # fmt: skip

    def render(self, path: str, at: str | None = None, self_url: str | None = None) -> str:
        """The page at ``path`` (``at``: a date or revid, for as-of pages when served;
        ``self_url``: the address it is served at, for feeds)."""
        if path in ("", "index.html"):
            return self._render("index.html", path or "index.html", self._index())
        match = _ARTICLE.match(path)
        if not match:
            raise NotFound(path)
        directory, rest = f"{match[1]}/{int(match[2])}/", match[3]
        page = next((p for p in self.pages if article_dir(p) == directory), None)
        if page is None:
            raise NotFound(path)
        if rest == "index.html":
            return self._render("article.html", path, self._article(page, None))
        if feed := re.fullmatch(r"feed(?:-([a-z]+))?\.atom", rest):
            if feed[1] is not None and feed[1] not in GROUPS:
                raise NotFound(path)
            return self.feed(page, feed[1], self_url)
        if (group := re.fullmatch(r"changes-([a-z]+)\.html", rest)) and group[
            1
        ] in self.filter_groups(page):
            return self._render("article.html", path, self._article(page, group[1]))
        if rest == "contested.html":
            return self._render("contested.html", path, self._contested(page))
        if rest.startswith("field/"):
            files = {field_file(name): name for name in self.field_pages(page)}
            name = files.get(rest[len("field/") :])
            if name is not None:
                return self._render("field.html", path, self._field(page, name))
        if rest == "as-of/index.html":
            return self._render("as_of.html", path, self._as_of_index(page, at))
        day = re.fullmatch(r"as-of/([0-9]{4}-[0-9]{2}-[0-9]{2})\.html", rest)
        if day and day[1] in self.moments(page).day_position:
            return self._render("as_of.html", path, self._as_of_day(page, day[1]))
        raise NotFound(path)

    # -- view models -----------------------------------------------------------------------

    def _render(self, template: str, path: str, context: dict[str, Any]) -> str:
        root = "../" * path.count("/")
        return (
            environment()
            .get_template(template)
            .render(root=root, path=path, report=self, groups=GROUPS, **context)
        )

    def _index(self) -> dict[str, Any]:
        """Every article, the most recently changed first: from a few queries over all of
        them, without reading any history (the index is rewritten on every report)."""
        until = self.known_until()
        since = format_time(parse_time(until) - timedelta(days=30))
        activity = article_activity(self.store, since, until)
        rows: list[dict[str, Any]] = []
        for page in self.pages:
            found = activity.get(page.id) or ArticleActivity(page.id, 0, None, None, ())
            per_day = _edits_per_day(found.recent, 30, until)
            rows.append(
                {
                    "page": page,
                    "href": article_path(page),
                    "last_change": found.last_change,
                    "last_edit": found.last_edit,
                    "changes": found.changes,
                    "week": _activity(found.recent, 7, until),
                    "month": _activity(found.recent, 30, until),
                    # a quiet article (most of a long watch list) gets no empty chart
                    "sparkline": sparkline(
                        per_day, label=f"edits per day, the 30 days to {until[:10]}"
                    )
                    if any(per_day)
                    else None,
                }
            )
        rows.sort(key=lambda r: r["page"].title)
        rows.sort(key=lambda r: (r["last_change"] or "", r["last_edit"] or ""), reverse=True)
        return {"title": "wikimon report", "articles": rows, "until": until}

    def _article_context(self, page: Page) -> dict[str, Any]:
        history = self.history(page)
        api_url = self.api_url(page)
        return {
            "page": page,
            "history": history,
            "title": page.title,
            "api_url": api_url,
            "wiki_url": page_url(api_url, page) if api_url else None,
            "dir": article_dir(page),
            "feed": article_dir(page) + feed_file(),  # <link rel="alternate"> in the head
            "hidden_comments": self.hidden_comments(page),  # the timeline's "(summary hidden)"
            "links": {
                "article": article_path(page),
                "contested": contested_path(page),
                "as_of": as_of_path(page),
            },
        }

    def _article(self, page: Page, group: str | None) -> dict[str, Any]:
        context = self._article_context(page)
        history = context["history"]
        stats = self.field_stats(page)
        facts = []
        for name, fact in history.current.items():
            if group is not None and field_group(name) != group:
                continue
            blame = history.blame(name)
            items = history.item_blame(name)
            facts.append(
                {
                    "name": name,
                    "fact": fact,
                    "href": self.field_pages(page).get(name),
                    "group": field_group(name),
                    "blame": self._edit(page, blame) if blame else None,
                    # each item of a list: since when, by whom (the attribution is of the
                    # newest revision that counts: the same items, or none are said)
                    "item_since": [self._edit(page, r) if r else None for _, r in items]
                    if len(fact.items) > 1 and [t for t, _ in items] == [i.text for i in fact.items]
                    else None,
                    "changes": stats[name].changes if name in stats else 0,
                }
            )
        charts = (
            [
                (name, self.field_pages(page).get(name), self._chart(page, name))
                for name in history.versions
                if field_group(name) == "casualties" and history.figure_series(name)
            ]
            if group in (None, "casualties")
            else []
        )
        return {
            **context,
            "group": group,
            "facts": facts,
            "charts": charts,
            "timeline": self.timeline(page, group),
            "group_links": {g: group_path(page, g) for g in self.filter_groups(page)},
        }

    def _field(self, page: Page, name: str) -> dict[str, Any]:
        context = self._article_context(page)
        history: ArticleHistory = context["history"]
        versions = [
            {"version": v, "edit": self._edit(page, v.revision)}
            for v in reversed(history.versions[name])
        ]
        presence = history.presence(name)
        is_list = any(len(v.fact.items) > 1 for v in history.versions[name] if v.fact)
        first = history.revisions[0].timestamp
        end = self.end(page)
        return {
            **context,
            "title": f"{name} — {page.title}",
            "field": name,
            "group": field_group(name),
            "versions": versions,
            "stats": self.field_stats(page).get(name, changelog.FieldStats()),
            "chart": self._chart(page, name) if history.figure_series(name) else None,
            "presence": presence_chart(presence, start=first, end=end) if is_list else None,
        }

    def _chart(self, page: Page, name: str) -> Any:
        history = self.history(page)
        api_url = self.api_url(page)
        series = []
        for line in history.figure_series(name):
            points = []
            for point in line.points:
                edit = self._edit(page, point.revision)
                # isolated: a right-to-left name would otherwise pull the date after it
                who = isolate(edit["user"]) if edit["user"] is not None else "(hidden)"
                what = (
                    "removed" if point.value is None else f"{point.value:,} {line.category or ''}"
                )
                points.append(
                    Point(
                        time=point.revision.timestamp,
                        value=point.value,
                        href=edit["url"] if api_url else None,
                        label=f"{what} — {who}, "
                        f"{point.revision.timestamp[:16].replace('T', ' ')} UTC",
                        reverted=point.reverted,
                    )
                )
            series.append(Series(line.name, tuple(points)))
        return line_chart(
            series,
            title=f"{name}: {page.title}",
            start=history.revisions[0].timestamp,
            end=self.end(page),
        )

    def _contested(self, page: Page) -> dict[str, Any]:
        context = self._article_context(page)
        stats = self.field_stats(page)
        ranked = sorted(stats.items(), key=lambda kv: (-kv[1].reverted, -kv[1].changes, kv[0]))
        return {
            **context,
            "title": f"Contested fields — {page.title}",
            "fields": [
                {"name": name, "stats": s, "href": self.field_pages(page).get(name)}
                for name, s in ranked
            ],
        }

    def _as_of_index(self, page: Page, at: str | None) -> dict[str, Any]:
        """as-of/index.html: the days the facts changed, by month, and (static) a date
        picker that opens the page of the last of them on or before any date; when served,
        the infobox as of ``at`` (?at=DATE or REVID) and a form to ask for another."""
        moments = self.moments(page)
        revision, deleted = self._moment(moments, at) if at is not None else (None, None)
        months: dict[str, list[tuple[str, str]]] = {}
        for day in moments.days:
            months.setdefault(day[:7], []).append((day, as_of_path(page, day)))
        # a date that is no day of change reads as the last one before it
        shown = moments.day_of(at) if at and _MOMENT.fullmatch(at) else None
        return {
            **self._as_of_context(page, at, revision),
            "previous": None,
            "next": None,
            "deleted": deleted,
            "months": list(months.items()),
            "form": self.live,
            "picker": None if self.live else self._picker(page),
            "quiet": (shown, as_of_path(page, shown)) if shown and shown != at else None,
            "until": None,
        }

    def _as_of_day(self, page: Page, day: str) -> dict[str, Any]:
        """as-of/DAY.html: the infobox at the end of ``day`` (a day its facts changed), which
        stood until the next such day; links to both neighbours (the list of days is on
        as-of/index.html only) and the date picker."""
        moments = self.moments(page)
        position = moments.day_position[day]
        days = moments.days
        previous = days[position - 1] if position > 0 else None
        following = days[position + 1] if position + 1 < len(days) else None
        return {
            **self._as_of_context(page, day, moments.end_of(day)),
            "previous": (previous, as_of_path(page, previous)) if previous else None,
            "next": (following, as_of_path(page, following)) if following else None,
            "deleted": None,
            "months": None,
            "form": False,
            "picker": self._picker(page),
            "quiet": None,
            "until": following or "",  # "": it still stands
        }

    def _picker(self, page: Page) -> dict[str, str] | None:
        """What the as-of pages' date picker needs (report.js: it maps any date to a page
        offline; without JavaScript it stays hidden and the list of days does the work).
        None: no revision has text, so there is no day to pick."""
        days = self.moments(page).days
        return {"first": days[0], "index": as_of_path(page)} if days else None

    def _as_of_context(
        self, page: Page, at: str | None, revision: Revision | None
    ) -> dict[str, Any]:
        context = self._article_context(page)
        history: ArticleHistory = context["history"]
        facts = history.facts_at((revision.timestamp, revision.revid)) if revision else {}
        return {
            **context,
            "title": f"{page.title} as of {at}" if at else f"{page.title}: as of a date",
            "at": at,
            "at_time": at if at and _MOMENT.fullmatch(at) else None,
            "revision": self._edit(page, revision) if revision else None,
            "facts": facts,
            "field_links": self.field_pages(page),
        }

    def _moment(self, moments: _Moments, at: str) -> tuple[Revision | None, int | None]:
        """The revision whose infobox ?at= asks for (None: none stored by then), and ``at``
        itself when it is a revision-deleted revid (the last visible one before it is
        shown). NotFound: not a date nor a revid of this article, or an impossible date."""
        if re.fullmatch(r"[0-9]{1,18}", at):
            position = moments.positions.get(int(at))
            if position is None:
                raise NotFound(at)  # no such revision of this article
            target = moments.history.revisions[position]
            return moments.shown[position], None if target.visible else target.revid
        if not _MOMENT.fullmatch(at):
            raise NotFound(at)  # neither a date nor a revid: no such page
        try:
            datetime.strptime(at, "%Y-%m-%d" if len(at) == 10 else TIME_FORMAT)
        except ValueError:
            raise NotFound(at) from None  # 2024-13-45, 24:00:00…
        return moments.revision_at(up_to(at)), None

    def _edit(self, page: Page, revision: Revision) -> dict[str, Any]:
        api_url = self.api_url(page)
        return {
            "revid": revision.revid,
            "timestamp": revision.timestamp,
            "user": revision.user,
            "comment": revision.comment,
            "comment_hidden": revision.revid in self.hidden_comments(page),
            "reverted_by": revision.reverted_by,
            "reverts_to": revision.reverts_to,
            "url": (
                diff_url(api_url, revision.revid, revision.parent_revid)
                if revision.parent_revid
                else revision_url(api_url, revision.revid)
            )
            if api_url
            else None,
            "revision_url": revision_url(api_url, revision.revid) if api_url else None,
        }


def _activity(recent: tuple[tuple[str, bool], ...], days: int, until: str) -> tuple[int, int]:
    """(edits, reverts) in the ``days`` days up to ``until``: (until - days, until], so
    that the newest revision (often ``until`` itself) counts."""
    since = format_time(parse_time(until) - timedelta(days=days))
    window = [revert for timestamp, revert in recent if since < timestamp <= until]
    return len(window), sum(window)


def _edits_per_day(recent: tuple[tuple[str, bool], ...], days: int, until: str) -> list[int]:
    """Edits per UTC day, the ``days`` days up to and including ``until``'s."""
    last = parse_time(until[:10] + "T00:00:00Z")
    counts = dict.fromkeys(
        (format_time(last - timedelta(days=n))[:10] for n in range(days - 1, -1, -1)), 0
    )
    for timestamp, _ in recent:
        if timestamp[:10] in counts:
            counts[timestamp[:10]] += 1
    return list(counts.values())


def asset_bytes(name: str) -> bytes:
    return (TEMPLATES / name).read_bytes()
