"""The browsable history report: one set of pages, written as a static site by
`wikimon report` or served live from the database by `wikimon serve`.

Every page is a path relative to the report's root (``enwiki/123/index.html``) rendered by
:meth:`Report.render`; links between pages are relative too, so the static site works
from ``file://`` and offline (one CSS file, one small optional script, charts as inline
SVG). Everything from the wiki is escaped by the templates' autoescape.
"""

from __future__ import annotations

import bisect
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from storage import TIME_FORMAT, Page, Store, format_time, parse_time, up_to
from storage import changes as changelog

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
_ARTICLE = re.compile(r"^([A-Za-z0-9_.%-]+)/([0-9]{1,18})/(.+)$")  # a page id fits 63 bits
_MOMENT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}:[0-9]{2}Z)?")  # ?at=


# page id -> (what its history was built from, the history): see Report
HistoryCache = dict[int, tuple[tuple[object, ...] | None, ArticleHistory]]


class NotFound(Exception):
    pass


@dataclass
class _Moments:
    """An article's revisions as the as-of pages look them up, from one pass over them: the
    days with edits, each day's last visible revision, and the newest visible revision at
    or before any moment (by bisection, not a pass per page)."""

    history: ArticleHistory  # what it was computed from
    keys: list[tuple[str, int]]  # (timestamp, revid) of each revision, oldest first
    shown: list[Revision | None]  # per revision: the newest visible one at or before it
    positions: dict[int, int]  # revid -> its index in history.revisions
    day_end: dict[str, Revision]  # each day with a visible revision -> its last one
    days: list[str]  # those days, oldest first
    calendar: list[str]  # every day from the first visible revision's to the last known one
    calendar_position: dict[str, int]  # day -> its index in calendar

    @classmethod
    def of(cls, history: ArticleHistory, until: str) -> _Moments:
        """``until``: the last moment the database knows of (the calendar's last day)."""
        keys, shown, positions, day_end = [], [], {}, {}
        last: Revision | None = None
        for index, revision in enumerate(history.revisions):  # oldest first, as stored
            keys.append((revision.timestamp, revision.revid))
            positions[revision.revid] = index
            if revision.visible:
                last = day_end[revision.timestamp[:10]] = revision
            shown.append(last)
        days = sorted(day_end)
        calendar = _calendar(days[0], max(days[-1], until[:10])) if days else []
        return cls(
            history, keys, shown, positions, day_end, days, calendar,
            {d: i for i, d in enumerate(calendar)},
        )  # fmt: skip

    def end_of(self, day: str) -> Revision | None:
        """The revision whose infobox stood at the end of ``day``."""
        return self.revision_at(up_to(day))

    def revision_at(self, at: tuple[str, int]) -> Revision | None:
        """The newest visible revision at or before (timestamp, revid) ``at``."""
        index = bisect.bisect_right(self.keys, at)
        return self.shown[index - 1] if index else None


def _calendar(first: str, last: str) -> list[str]:
    """Every day from ``first`` to ``last`` (YYYY-MM-DD), both included."""
    start, end = parse_time(first + "T00:00:00Z"), parse_time(last + "T00:00:00Z")
    return [format_time(start + timedelta(days=n))[:10] for n in range((end - start).days + 1)]


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
            found = self._moments[page.id] = _Moments.of(history, self.known_until())
        return found

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
                    "field_href": field_path(page, row.field),
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
            history = self.history(page)
            yield article_path(page)
            for group in GROUPS:
                yield group_path(page, group)
            yield contested_path(page)
            for name in history.versions:
                yield field_path(page, name)
            yield as_of_path(page)
            for day in self.moments(page).calendar:
                yield as_of_path(page, day)
            yield article_dir(page) + feed_file()

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
        wiki, page_id, rest = unquote(match[1]), int(match[2]), match[3]
        page = next((p for p in self.pages if p.wiki == wiki and p.page_id == page_id), None)
        if page is None:
            raise NotFound(path)
        if rest == "index.html":
            return self._render("article.html", path, self._article(page, None))
        if feed := re.fullmatch(r"feed(?:-([a-z]+))?\.atom", rest):
            if feed[1] is not None and feed[1] not in GROUPS:
                raise NotFound(path)
            return self.feed(page, feed[1], self_url)
        if (group := re.fullmatch(r"changes-([a-z]+)\.html", rest)) and group[1] in GROUPS:
            return self._render("article.html", path, self._article(page, group[1]))
        if rest == "contested.html":
            return self._render("contested.html", path, self._contested(page))
        if rest.startswith("field/"):
            files = {field_file(name): name for name in self.history(page).versions}
            name = files.get(rest[len("field/") :])
            if name is not None:
                return self._render("field.html", path, self._field(page, name))
        if rest == "as-of/index.html":
            return self._render("as_of.html", path, self._as_of_index(page, at))
        day = re.fullmatch(r"as-of/([0-9]{4}-[0-9]{2}-[0-9]{2})\.html", rest)
        if day and day[1] in self.moments(page).calendar_position:
            return self._render("as_of.html", path, self._as_of_day(page, day[1]))
        raise NotFound(path)

    def write(
        self,
        out: Path,
        paths: Iterable[str] | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> tuple[int, int]:
        """Write the static report (``paths``, default all of them) into ``out``, calling
        ``progress(1)`` after each file; returns (files, bytes)."""
        files = total = 0
        for path in [*(self.paths() if paths is None else paths), *ASSETS]:
            data = asset_bytes(path) if path in ASSETS else self.render(path).encode("utf-8")
            _write(out / path, data)
            files, total = files + 1, total + len(data)
            if progress is not None:
                progress(1)
        return files, total

    # -- view models -----------------------------------------------------------------------

    def _render(self, template: str, path: str, context: dict[str, Any]) -> str:
        root = "../" * path.count("/")
        return (
            environment()
            .get_template(template)
            .render(root=root, path=path, report=self, groups=GROUPS, **context)
        )

    def _index(self) -> dict[str, Any]:
        until = self.known_until()
        rows = []
        for page in self.pages:
            history = self.history(page)
            stats = self.field_stats(page)
            rows.append(
                {
                    "page": page,
                    "href": article_path(page),
                    "last_change": max((s.last for s in stats.values() if s.last), default=None),
                    "changes": changelog.change_count(self.store, page),
                    "week": history.activity(7, until),
                    "month": history.activity(30, until),
                    "sparkline": sparkline(
                        history.edits_per_day(30, until),
                        label=f"edits per day, the 30 days to {until[:10]}",
                    ),
                }
            )
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
            facts.append(
                {
                    "name": name,
                    "fact": fact,
                    "href": field_path(page, name),
                    "group": field_group(name),
                    "blame": self._edit(page, blame.revision) if blame else None,
                    "changes": stats[name].changes if name in stats else 0,
                }
            )
        charts = (
            [
                (name, field_path(page, name), self._chart(page, name))
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
            "group_links": {g: group_path(page, g) for g in GROUPS},
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
        end = self.known_until()
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
            end=self.known_until(),
        )

    def _contested(self, page: Page) -> dict[str, Any]:
        context = self._article_context(page)
        stats = self.field_stats(page)
        ranked = sorted(stats.items(), key=lambda kv: (-kv[1].reverted, -kv[1].changes, kv[0]))
        return {
            **context,
            "title": f"Contested fields — {page.title}",
            "fields": [
                {"name": name, "stats": s, "href": field_path(page, name)} for name, s in ranked
            ],
        }

    def _as_of_index(self, page: Page, at: str | None) -> dict[str, Any]:
        """as-of/index.html: every day with edits, by month; when served, the infobox as of
        ``at`` (?at=DATE or REVID) too, and a form to ask for another moment."""
        moments = self.moments(page)
        revision, deleted = self._moment(moments, at) if at is not None else (None, None)
        months: dict[str, list[tuple[str, str]]] = {}
        for day in moments.days:
            months.setdefault(day[:7], []).append((day, as_of_path(page, day)))
        return {
            **self._as_of_context(page, at, revision),
            **self._neighbours(page, at),
            "deleted": deleted,
            "months": list(months.items()),
            "calendar": (moments.calendar[0], moments.calendar[-1]) if moments.calendar else None,
            "form": self.live,
            "quiet": False,
        }

    def _as_of_day(self, page: Page, day: str) -> dict[str, Any]:
        """as-of/DAY.html: the infobox at the end of ``day`` (any day of the calendar, with
        edits or not), and links to the days before and after it (the days with edits are
        listed on as-of/index.html only)."""
        moments = self.moments(page)
        return {
            **self._as_of_context(page, day, moments.end_of(day)),
            **self._neighbours(page, day),
            "deleted": None,
            "months": None,
            "form": False,
            "quiet": day not in moments.day_end,
        }

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
            "field_links": {name: field_path(page, name) for name in facts},
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

    def _neighbours(self, page: Page, day: str | None) -> dict[str, tuple[str, str] | None]:
        """The days before and after ``day`` (when it is one of the calendar), for a pager."""
        moments = self.moments(page)
        position = moments.calendar_position.get(day) if day else None
        if position is None:
            return {"previous": None, "next": None}
        days = moments.calendar
        return {
            "previous": (days[position - 1], as_of_path(page, days[position - 1]))
            if position > 0
            else None,
            "next": (days[position + 1], as_of_path(page, days[position + 1]))
            if position + 1 < len(days)
            else None,
        }

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


def asset_bytes(name: str) -> bytes:
    return (TEMPLATES / name).read_bytes()


def _write(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
