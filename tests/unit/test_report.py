"""The history report (`wikimon report`, `wikimon serve`) rendered from real imports: every
page and link of the static site, the numbers on the pages against the change log and the
database, the timeline, wiki content that tries to inject markup, and the live server.

Expected values come from the database, `wikimon changes --json`, `wikimon revisions --json`
and `wikimon show --at … --json`, never from the pages under test."""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from digest_helpers import (
    TITLE,
    Sample,
    export,
    revision,
    sample_fixture,  # noqa: F401
    sample_template_fixture,  # noqa: F401
)
from report_helpers import (
    ALLOWED_TAGS,
    ARABIC_FIELD,
    ARABIC_ITEM,
    ARABIC_USER,
    EVIL_TITLE,
    IMG,
    JS,
    SCRIPT,
    SECOND,
    TEXTAREA,
    WIKI_HOST,
    Node,
    Static,
    as_of_facts,
    call_app,
    change_days,
    check_chart,
    check_links,
    check_times,
    expected_changes,
    expected_series,
    group_of,
    html_files,
    import_evil,
    import_second,
    parse,
    query,
    report_server_fixture,  # noqa: F401
    resolve,
    served,
    show_facts,
    static_fixture,  # noqa: F401
    timeline_changes,
)

from monitor.config import load_config
from monitor.links import field_file
from monitor.report.pages import Report
from monitor.report.serve import HEADERS, make_app
from monitor.report.site import MANIFEST, write_report
from storage import Store


def test_every_page_exists_and_every_link_resolves(static: Static):
    files = html_files(static.out)
    assert len(static.paths) == len(set(static.paths))
    pages = sorted(p for p in static.paths if p.endswith(".html"))
    assert pages == files  # exactly the listed pages, each one on disk
    feeds = [p for p in static.paths if not p.endswith(".html")]
    assert feeds == [f"{static.article}feed.atom"] and (static.out / feeds[0]).is_file()
    assert (static.out / "report.css").is_file() and (static.out / "report.js").is_file()
    # the pages the issue asks for are among them
    article = static.article
    fields = {c["field"] for c in static.sample.changes}
    for expected in [
        "index.html", f"{article}index.html", f"{article}contested.html",
        f"{article}as-of/index.html", f"{article}as-of/2024-12-01.html",
        *(f"{article}changes-{g}.html"
          for g in ("casualties", "combatants", "commanders", "outcome", "other")),
        *(f"{article}field/{name}.html" for name in fields),
    ]:  # fmt: skip
        assert expected in files, expected
    # a page per field that changed, none for the others (always empty, or never changed)
    assert {p for p in files if "/field/" in p} == {
        f"{article}field/{name}.html" for name in fields
    }
    current = static.show(static.sample.revisions[-1]["revid"])["fields"]
    assert set(current) - fields, "the sample has fields that never changed"
    # an as-of page per day on which the facts changed (and the first one), not per day:
    # the sample's quiet 5 December has none
    days = change_days(static)
    assert {p.removeprefix(f"{article}as-of/") for p in files if "/as-of/" in p} == {
        *(f"{d}.html" for d in days),
        "index.html",
    }
    assert "2024-12-05" not in days and {"2024-12-04", "2024-12-06"} <= set(days)
    links = 0
    for path in files:
        links += check_links(static.out, path, static.html(path))
    assert links > 1000
    css = (static.out / "report.css").read_text(encoding="utf-8")
    assert "@import" not in css and not re.search(r"url\(\s*['\"]?(?!data:)", css)
    js = (static.out / "report.js").read_text(encoding="utf-8")
    assert "http" not in js and "fetch(" not in js and "XMLHttpRequest" not in js


def test_dates_are_iso_utc_time_elements(static: Static):
    counted = Counter()
    for path in html_files(static.out):
        counted[path] = check_times(path, static.html(path))
    article = static.article
    assert counted["index.html"] >= 2  # last change, and the moment counts end at
    assert counted[f"{article}index.html"] >= len(static.sample.changes)
    assert counted[f"{article}as-of/2024-12-01.html"] >= 2


@pytest.mark.parametrize("name", ["casualties1", "casualties2", "notes"])
def test_casualty_charts_have_the_points_of_the_change_log(static: Static, name: str):
    expected = expected_series(static, name)
    assert len(expected) >= 2
    if name == "casualties2":  # the vandal's 14,200, reverted a minute later
        (vandal,) = [c for c in static.sample.changes if c["new_number"] == 14200]
        assert vandal["reverted_by"] is not None
        assert (vandal["timestamp"], 14200, True) in expected["Syrian Arab Republic · killed"]
    article = static.html(f"{static.article}index.html")
    (figure,) = [
        f for f in article.one(id="charts").all("figure", "chart")
        if f.one("figcaption").words == name
    ]  # fmt: skip
    check_chart(figure.one("svg"), expected)
    page = static.html(f"{static.article}field/{name}.html")
    check_chart(page.one(id="chart").one("svg"), expected)
    # every point links to its revision's diff on the wiki
    for a in page.one(id="chart").all("a"):
        assert re.fullmatch(
            re.escape(WIKI_HOST) + r"w/index\.php\?(diff=\d+&)?oldid=\d+", a["href"]
        )


def test_index_numbers_match_the_database(static: Static):
    doc = static.html("index.html")
    (row,) = doc.one("table", "articles").one("tbody").all("tr")
    cells = [c for c in row.children if isinstance(c, Node) and c.tag == "td"]
    # imported, not polled: the index says the article is not tracked
    assert cells[0].words == f"{TITLE} (not tracked)" and cells[1].words == "enwiki"
    assert cells[0].one("a").words == TITLE
    ((count,),) = query(static.db, "SELECT COUNT(*) FROM changes")
    assert count == len(static.sample.changes)
    assert int(cells[3].words) == count
    assert cells[2].one("time")["datetime"] == max(c["timestamp"] for c in static.sample.changes)

    stamps = {r["revid"]: r["timestamp"] for r in static.sample.revisions}
    until = max(stamps.values())  # an imported archive: known until its newest revision
    assert query(static.db, "SELECT COUNT(*) FROM sync_state WHERE last_poll IS NOT NULL") == [(0,)]
    reverts = {revid for (revid,) in query(static.db, "SELECT revid FROM reverts")}
    assert reverts

    def ago(days: int) -> str:
        moment = datetime.fromisoformat(until.replace("Z", "+00:00")) - timedelta(days=days)
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")

    def window(days: int) -> tuple[int, int]:
        inside = [r for r, t in stamps.items() if ago(days) < t <= until]
        return len(inside), len(reverts & set(inside))

    (week_edits, week_reverts), (month_edits, month_reverts) = window(7), window(30)
    assert 0 < week_edits < month_edits <= len(stamps)
    assert cells[4].words == f"{week_edits} / {month_edits}"
    assert cells[5].words == f"{week_reverts} / {month_reverts}"
    # the sparkline: edits per UTC day, the 30 days up to the last one
    last = datetime.fromisoformat(until[:10] + "T00:00:00+00:00")
    per_day = Counter(t[:10] for t in stamps.values())
    expected = [per_day[(last - timedelta(days=n)).strftime("%Y-%m-%d")] for n in range(29, -1, -1)]
    svg = cells[6].one("svg")
    assert svg.get("data-chart") == "sparkline"
    assert [int(b["data-value"]) for b in svg.all("rect", "bar")] == expected
    note = doc.one("p", "note")
    assert note.one("time")["datetime"] == until


def test_contested_ranking_matches_the_change_log(static: Static):
    rows = query(
        static.db,
        """
        SELECT c.field, COUNT(DISTINCT c.revid), COUNT(DISTINCT rd.revid),
               COUNT(DISTINCT r.user), MAX(c.timestamp)
          FROM changes c
          JOIN revisions r ON r.page = c.page AND r.revid = c.revid
          LEFT JOIN reverted rd ON rd.page = c.page AND rd.revid = c.revid
         GROUP BY c.field
        """,
    )
    expected = sorted(rows, key=lambda r: (-r[2], -r[1], r[0]))
    # the same from the JSON change log, as a cross-check of the query
    by_field: dict[str, list[dict]] = defaultdict(list)
    for c in static.sample.changes:
        by_field[c["field"]].append(c)
    assert {
        (f, len({c["revid"] for c in cs}), len({c["revid"] for c in cs if c["reverted_by"]}))
        for f, cs in by_field.items()
    } == {r[:3] for r in rows}
    assert expected[0][2] >= 1  # the edit wars first
    path = f"{static.article}contested.html"
    doc = static.html(path)
    shown = []
    for tr in doc.one("table", "contested").one("tbody").all("tr"):
        cells = [c for c in tr.children if isinstance(c, Node)]
        shown.append(
            (
                cells[0].words,
                int(cells[2].words),
                int(cells[1].words),
                int(cells[3].words),
                cells[4].one("time")["datetime"],
            )
        )
        assert (
            resolve(path, cells[0].one("a")["href"])
            == f"{static.article}field/{cells[0].words}.html"
        )
    assert shown == expected


def test_blame_and_change_counts_match_the_change_log(static: Static):
    first = static.sample.revisions[0]
    current = static.show(static.sample.revisions[-1]["revid"])["fields"]
    doc = static.html(f"{static.article}index.html")
    rows = doc.one("table", "facts").one("tbody").all("tr")
    assert [r.one("th").words for r in rows] == list(current)
    checked = 0
    for row in rows:
        name = row.one("th").words
        records = [c for c in static.sample.changes if c["field"] == name]
        kept = [c for c in records if c["reverted_by"] is None and c["revert"] is None]
        if kept:
            since = max(kept, key=lambda c: (c["timestamp"], c["revid"]))
            expected = (since["timestamp"], since["user"], since["revid"])
        else:
            expected = (first["timestamp"], first["user"], first["revid"])
        cells = [c for c in row.children if isinstance(c, Node) and c.tag == "td"]
        since_cell = cells[1]
        assert since_cell.words.startswith("since ")
        link = since_cell.one("a")["href"]
        revid = int(re.search(r"(?:diff|oldid)=(\d+)", link)[1])
        assert (since_cell.one("time")["datetime"], since_cell.one("bdi").text, revid) == expected
        assert link.startswith(WIKI_HOST)
        assert int(cells[2].words) == len({c["revid"] for c in records})
        checked += bool(kept) and any(c["reverted_by"] for c in records)
    assert checked >= 2  # fields whose last change was vandalism reverted since


def test_as_of_page_is_the_infobox_of_that_day(static: Static):
    show = static.show("2024-12-01")
    doc = static.html(f"{static.article}as-of/2024-12-01.html")
    assert as_of_facts(doc) == show_facts(show)
    (note,) = [p for p in doc.all("p", "note") if "revision" in p.words]
    assert f"revision {show['revid']}" in note.words
    assert note.one("time")["datetime"] == show["timestamp"]
    assert WIKI_HOST + f"w/index.php?oldid={show['revid']}" in [a["href"] for a in note.all("a")]
    # the pager goes to the neighbouring days
    days = change_days(static)
    here = days.index("2024-12-01")
    pager = doc.one("nav", "pager").all("a")
    assert {a["rel"]: a.one("time")["datetime"] for a in pager} == {
        "prev": days[here - 1],
        "next": days[here + 1],
    }
    for a in pager:
        assert resolve(f"{static.article}as-of/2024-12-01.html", a["href"]) == (
            f"{static.article}as-of/{a.one('time')['datetime']}.html"
        )
    # it stood until the next day of change; the last day's infobox still stands
    until = doc.one("p", "until")
    assert until.one("time")["datetime"] == days[here + 1]
    assert "the next day the facts changed" in until.words
    last = static.html(f"{static.article}as-of/{days[-1]}.html")
    assert last.one("p", "until").words == "The facts have not changed since."
    assert as_of_facts(last) == show_facts(static.show(static.sample.revisions[-1]["revid"]))


def test_the_list_of_days_is_on_the_as_of_index_only_by_month(static: Static):
    """Each day page links to its neighbours and the index, not to every day: the pages do
    not grow with the square of the history."""
    days = change_days(static)
    index_path = f"{static.article}as-of/index.html"
    index = static.html(index_path)
    section = index.one("section", "days")
    months = section.all("h3")
    assert [h.one("time")["datetime"] for h in months] == sorted({d[:7] for d in days})
    listed = []
    blocks = [n for n in section.children if isinstance(n, Node) and n.tag in ("h3", "ul")]
    assert [n.tag for n in blocks] == ["h3", "ul"] * len(months)  # a list under each month
    for heading, days_list in zip(blocks[::2], blocks[1::2], strict=True):
        shown = [a.one("time")["datetime"] for a in days_list.all("a")]
        assert {d[:7] for d in shown} == {heading.one("time")["datetime"]}
        assert int(heading.one("span").words.split()[0]) == len(shown)
        for a in days_list.all("a"):
            assert resolve(index_path, a["href"]) == (
                f"{static.article}as-of/{a.one('time')['datetime']}.html"
            )
        listed += shown
    assert listed == days
    every_day = change_days(static)
    for day in every_day:
        path = f"{static.article}as-of/{day}.html"
        doc = static.html(path)
        assert not doc.all("ul", "days") and not doc.all("section", "days")
        local = [resolve(path, a["href"]) for a in doc.all("a") if "://" not in a["href"]]
        targets = {target for target in local if "/as-of/" in target}
        here = every_day.index(day)
        neighbours = {every_day[i] for i in (here - 1, here + 1) if 0 <= i < len(every_day)}
        assert targets == {index_path, *(f"{static.article}as-of/{d}.html" for d in neighbours)}
        (back,) = doc.all("p", "all-days")
        assert resolve(path, back.one("a")["href"]) == index_path


def test_as_of_pages_take_no_pass_over_the_revisions_each(static: Static):
    """The days and each day's revision are found once per article, not once per page."""

    class Counted(list):
        passes = 0

        def __iter__(self):
            Counted.passes += 1
            return super().__iter__()

    store = Store(static.db)
    try:
        report = Report(store, load_config(None))
        (page,) = report.pages
        history = report.history(page)
        history.revisions = Counted(history.revisions)
        days = [p for p in report.paths() if re.search(r"/as-of/\d{4}-\d\d-\d\d\.html$", p)]
        assert len(days) >= 8
        pages = {path: report.render(path) for path in days}
    finally:
        store.close()
    assert Counted.passes <= 1, Counted.passes
    assert pages == {path: (static.out / path).read_text(encoding="utf-8") for path in days}


def test_the_static_report_reads_each_thing_once(
    static: Static, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """Writing the report builds each history once, reads the moment counts end at and
    each article's signature and field statistics once; the index reads no history.
    Served (a cache kept across requests), a history is checked once per request."""
    import monitor.report.pages

    built: list[int] = []
    real_load = monitor.report.pages.load_history

    def load_history(store: Store, page: Any, infobox: str | None = None) -> Any:
        built.append(page.id)
        return real_load(store, page, infobox)

    monkeypatch.setattr(monitor.report.pages, "load_history", load_history)
    statements: list[str] = []
    store = Store(static.db)
    try:
        store.conn.set_trace_callback(statements.append)
        report = Report(store, load_config(None))
        write_report(report, tmp_path / "out")
        (page,) = report.pages

        def count(part: str) -> int:
            return sum(part in " ".join(sql.split()) for sql in statements)

        assert built == [page.id]
        assert count("FROM analysis_state") == 1  # the article's signature, for the manifest
        assert count("SELECT last_poll FROM sync_state") == 1  # known_until(), once
        assert count("GROUP BY c.field") == 1
        assert count("AND commenthidden") == 1  # the hidden edit summaries
        # served: one check per request and article, a rebuild only when it is stale
        cache: dict = {}
        for _ in range(2):
            statements.clear()
            live = Report(store, load_config(None), cache=cache, live=True)
            for path in ("index.html", f"{static.article}index.html",
                         f"{static.article}field/casualties2.html"):  # fmt: skip
                live.render(path)
            assert count("FROM analysis_state") == 1
        assert built == [page.id, page.id]
    finally:
        store.conn.set_trace_callback(None)
        store.close()


def test_served_as_of_refuses_what_is_not_a_moment_of_the_article(static: Static):
    article = f"/{static.article}as-of/index.html"
    other_page = query(static.db, "SELECT MAX(revid) FROM revisions")[0][0] + 1
    for at in ("99999", str(other_page), "2024-13-45", "2024-02-30", "2024-12-01T25:00:00Z",
               "2024-12-01T12:60:00Z", "0000-01-01"):  # fmt: skip
        status, _ = served(static, article, f"at={at}")
        assert status == "404 Not Found", at
    status, body = served(static, article, "at=2000-01-01")  # a date before the article
    assert status == "200 OK" and "No stored revision" in body


def test_served_as_of_a_revision_deleted_revid_shows_the_visible_one_before(static: Static):
    revisions = static.sample.revisions
    (position,) = [i for i, r in enumerate(revisions) if r["texthidden"]]
    deleted = revisions[position]["revid"]
    before = [r for r in revisions[:position] if not r["texthidden"]][-1]
    status, body = served(static, f"/{static.article}as-of/index.html", f"at={deleted}")
    assert status == "200 OK"
    doc = parse(body)
    (sentence,) = doc.all("p", "deleted")
    assert f"Revision {deleted} is revision-deleted" in sentence.words
    (note,) = [p for p in doc.all("p", "note") if "The infobox of revision" in p.words]
    assert f"revision {before['revid']}," in note.words
    assert note.one("time")["datetime"] == before["timestamp"]
    assert as_of_facts(doc) == show_facts(static.show(before["revid"]))
    # a visible revision says nothing of the kind
    status, body = served(static, f"/{static.article}as-of/index.html", f"at={before['revid']}")
    assert status == "200 OK" and "revision-deleted" not in body


def test_served_as_of_index_has_a_form_the_static_one_does_not(static: Static):
    status, body = served(static, f"/{static.article}as-of/index.html", "at=2024-12-01")
    assert status == "200 OK"
    form = parse(body).one("form")
    assert form.attrs.get("method") == "get" and "action" not in form.attrs
    field = form.one("input", name="at")
    assert field["value"] == "2024-12-01"
    assert form.one("label")["for"] == field["id"]
    assert form.one("label").words == "Date (YYYY-MM-DD) or revision id"
    status, body = served(static, f"/{static.article}as-of/index.html")
    assert status == "200 OK" and parse(body).one("form").one("input", name="at")["value"] == ""
    # the static report has no server to ask: no form, there or anywhere else
    for path in html_files(static.out):
        assert not static.html(path).all("form"), path
    # nor do the day pages when served
    status, body = served(static, f"/{static.article}as-of/2024-12-01.html")
    assert status == "200 OK" and not parse(body).all("form")


def test_timeline_by_day_newest_first_reverted_struck_through(static: Static):
    doc = static.html(f"{static.article}index.html")
    shown = timeline_changes(doc)
    assert Counter(shown) == expected_changes(static.sample.changes)
    assert any(reverted for *_, reverted in shown)  # the sample's vandal edits are there


@pytest.mark.parametrize("group", ["casualties", "combatants", "commanders", "outcome", "other"])
def test_group_pages_hold_their_fields_only_and_all_of_them(static: Static, group: str):
    doc = static.html(f"{static.article}changes-{group}.html")
    shown = timeline_changes(doc)
    expected = expected_changes([c for c in static.sample.changes if group_of(c["field"]) == group])
    assert expected  # every group has changes in the sample
    assert Counter(shown) == expected
    (current,) = doc.one("nav", "filters").all("a", aria_current="page")
    assert current["data-filter"] == group
    # the full timeline's links lead to these pages, so the filter works without JavaScript
    article = static.html(f"{static.article}index.html")
    (link,) = article.one("nav", "filters").all("a", data_filter=group)
    assert resolve(f"{static.article}index.html", link["href"]) == (
        f"{static.article}changes-{group}.html"
    )


def test_wiki_content_renders_as_text(run, tmp_path: Path):
    import_evil(run, tmp_path)
    changes = json.loads(run("changes", EVIL_TITLE, "--json").stdout)
    assert any(c["reverted_by"] == 103 for c in changes)  # the revert was recognised
    result = run("report", "--out", "out")
    assert result.exit_code == 0, result.output
    out = tmp_path / "out"
    files = html_files(out)
    assert len(files) > 10
    texts = []
    for path in files:
        html = (out / path).read_text(encoding="utf-8")
        doc = parse(html)
        tags = list(doc.iter())
        assert {t.tag for t in tags} <= ALLOWED_TAGS, (path, {t.tag for t in tags} - ALLOWED_TAGS)
        (script,) = doc.all("script")
        assert script.attrs == {"src": "../" * path.count("/") + "report.js", "defer": None}
        assert not script.children
        for node in tags:
            assert not any(name.lower().startswith("on") for name in node.attrs), (path, node)
            for name in ("href", "src", "xlink:href"):
                value = (node.get(name) or "").strip().lower()
                if node.tag == "link" and value == "data:,":
                    continue
                assert not value.startswith(("javascript:", "data:", "vbscript:")), (path, node)
        assert "<img" not in html.lower() and "<textarea" not in html.lower()
        check_links(out, path, doc)
        check_times(path, doc)
        texts.append(doc.words)
    text = " ".join(texts)
    for evil in (SCRIPT, IMG, TEXTAREA, JS, f"{JS} {TEXTAREA}", EVIL_TITLE):
        assert evil in text, evil  # escaped, so it reads as it was written
    # the article page shows the malicious user names and comments as text, too
    article = parse((out / "enwiki/4242/index.html").read_text(encoding="utf-8"))
    users = {b.text for b in article.all("bdi", "user")}
    assert {SCRIPT, IMG, ARABIC_USER} <= users
    comments = {q.words for q in article.all("q", "comment")}
    assert {IMG, f"{JS} {TEXTAREA}"} <= comments
    assert article.one("h1").words == EVIL_TITLE


def test_right_to_left_text_is_isolated(run, tmp_path: Path):
    import_evil(run, tmp_path)
    assert run("report", "--out", "out").exit_code == 0
    out = tmp_path / "out"
    article = parse((out / "enwiki/4242/index.html").read_text(encoding="utf-8"))
    field = parse((out / "enwiki/4242/field/combatant1.html").read_text(encoding="utf-8"))
    for doc in (article, field):
        for text, exact in ((ARABIC_USER, True), (ARABIC_ITEM, False)):
            holders = [n for n in doc.iter() if text in n.text and not n.inside("svg")]
            innermost = [n for n in holders if not any(text in c.text for c in n.all())]
            assert innermost and all(n.tag == "bdi" for n in innermost), text
            matches = [n.text == text for n in innermost]
            assert all(matches) if exact else any(matches), text
        # in a chart (SVG has no <bdi>): between Unicode isolates, or a text of its own direction
        for node in doc.all("svg"):
            for part in node.iter():
                for child in part.children:
                    if isinstance(child, str) and ARABIC_USER in child:
                        assert f"\u2068{ARABIC_USER}\u2069" in child, child
                    if isinstance(child, str) and ARABIC_ITEM in child and part.tag == "text":
                        assert child.startswith(ARABIC_ITEM) and part.get("direction") == "rtl"
    assert not (tmp_path / "evil").exists() and not (out / "evil").exists()
    fields = {p.name for p in (out / "enwiki/4242/field").iterdir()}
    # names from the wiki become safe file names: a slug and a hash, nothing to traverse
    assert {field_file(ARABIC_FIELD), field_file("../../evil/x")} <= fields
    assert all(re.fullmatch(r"[A-Za-z0-9_-]+\.html", name) for name in fields)
    for path in html_files(out):
        check_links(out, path, parse((out / path).read_text(encoding="utf-8")))
    # `serve` answers the same links with the same pages
    app = make_app(str(tmp_path / "wikimon.db"), load_config(None))
    for a in article.all("a"):
        if "://" in a["href"] or not a["href"].split("#")[0]:
            continue
        target = resolve("enwiki/4242/index.html", a["href"])
        status, body = call_app(app, "/" + target)  # PATH_INFO: the path, decoded once
        assert status == "200 OK", (a["href"], target)
        static_page = (out / target).read_text(encoding="utf-8")
        if target.endswith("as-of/index.html"):  # served, a form for ?at=; static, the picker
            assert '<form method="get"' in body and "<form" not in static_page
            assert '<p class="picker"' in static_page and '<p class="picker"' not in body
            body = re.sub(r"<form .*?</form>\n", "", body, flags=re.S)
            static_page = re.sub(r'<p class="picker".*?</p>\n', "", static_page, flags=re.S)
        if target.endswith(".html"):
            assert body == static_page
    assert any(
        ARABIC_USER in t.text for t in parse(
            (out / "enwiki/4242/field/casualties1.html").read_text(encoding="utf-8")
        ).one(id="chart").all("title")
    )  # fmt: skip


def test_right_to_left_field_names_are_isolated(run, tmp_path: Path):
    import_evil(run, tmp_path)
    assert run("report", "--out", "out").exit_code == 0
    out = tmp_path / "out"
    days = sorted(p.name for p in (out / "enwiki/4242/as-of").iterdir())
    pages = ["index.html", "contested.html", f"field/{field_file(ARABIC_FIELD)}",
             f"as-of/{days[-2]}"]  # fmt: skip
    for name in pages:
        doc = parse((out / "enwiki/4242" / name).read_text(encoding="utf-8"))
        # wherever the name is text (charts and the document's title aside), a <bdi> holds it
        holders = [
            n for n in doc.iter()
            if any(isinstance(c, str) and ARABIC_FIELD in c for c in n.children)
            and not n.inside("svg") and n.tag != "title"
        ]  # fmt: skip
        assert holders and all(n.tag == "bdi" for n in holders), (name, holders)
        assert any(n.text == ARABIC_FIELD for n in holders), name
    field = parse((out / "enwiki/4242" / pages[2]).read_text(encoding="utf-8"))
    assert field.one("h1").all("bdi")[0].text == ARABIC_FIELD


def test_a_hidden_edit_summary_says_so(run, tmp_path: Path):
    box = "{{Infobox military conflict\n| conflict = Hidden\n| casualties1 = %s killed\n}}"
    revisions = [
        revision(900, "2024-12-05T10:00:00Z", "Someone", box % "5", comment="first"),
        revision(901, "2024-12-06T10:00:00Z", "Another", box % "7", comment="HIDE-ME"),
        revision(902, "2024-12-07T10:00:00Z", "Third", box % "9", comment=""),
    ]
    path = export(tmp_path / "hidden.xml", "Hidden summary", 778, revisions)
    text = path.read_text(encoding="utf-8")
    assert text.count("<comment>HIDE-ME</comment>") == 1
    path.write_text(text.replace("<comment>HIDE-ME</comment>", '<comment deleted="deleted" />'))
    assert run("import", "--wiki", "enwiki", str(path)).exit_code == 0
    assert query(tmp_path / "wikimon.db", "SELECT revid FROM revisions WHERE commenthidden") == [
        (901,)
    ]
    assert run("report", "--out", "out").exit_code == 0
    out = tmp_path / "out"

    def summaries(rows: list[Node]) -> dict[int, str]:
        """revid (of the row's link to the wiki) -> the edit summary shown"""
        found = {}
        for row in rows:
            link = row.one("a", rel="external noreferrer")["href"]
            marks = [n.words for n in row.all(cls="comment")]
            found[int(re.search(r"(?:diff|oldid)=(\d+)", link)[1])] = " ".join(marks)
        return found

    article = parse((out / "enwiki/778/index.html").read_text(encoding="utf-8"))
    assert summaries(article.one(id="timeline").all("li", "change")) == {
        901: "(summary hidden)",
        902: "",
    }
    field = parse((out / "enwiki/778/field/casualties1.html").read_text(encoding="utf-8"))
    assert summaries(field.one("table", "history").one("tbody").all("tr")) == {
        900: "first",
        901: "(summary hidden)",
        902: "",
    }


def test_serve_policy_and_long_page_ids(static: Static):
    status, _ = served(static, "/enwiki/" + "9" * 19 + "/index.html")
    assert status == "404 Not Found"
    status, _ = served(static, "/enwiki/" + "9" * 5000 + "/index.html")  # int() would refuse
    assert status == "404 Not Found"
    assert served(static, f"/{static.article}index.html")[0] == "200 OK"
    (policy,) = [value for name, value in HEADERS if name == "Content-Security-Policy"]
    assert "'unsafe-inline'" not in policy and "style-src 'self';" in policy
    # nothing needs it: no style attribute or element on any page, charts included
    for path in html_files(static.out):
        html = (static.out / path).read_text(encoding="utf-8")
        assert "<style" not in html and not any("style" in n.attrs for n in parse(html).iter())


def test_static_pages_carry_the_policy_too(static: Static):
    for path in html_files(static.out):
        (meta,) = static.html(path).all("meta", http_equiv="Content-Security-Policy")
        policy = [value for name, value in HEADERS if name == "Content-Security-Policy"][0]
        served_rules = {rule.strip() for rule in policy.split(";")}
        # frame-ancestors cannot be set by a <meta> (the browser says so in its console)
        assert {rule.strip() for rule in meta["content"].split(";")} == served_rules - {
            "frame-ancestors 'none'"
        }


def test_report_of_some_titles(sample: Sample, run, tmp_path: Path):
    import_second(run, tmp_path)
    result = run("report", "--out", "all")
    assert result.exit_code == 0, result.output
    assert {p.name for p in (tmp_path / "all/enwiki").iterdir()} == {
        str(sample.changes[0]["page_id"]),
        "777",
    }
    result = run("report", "--out", "one", SECOND)
    assert result.exit_code == 0, result.output
    out = tmp_path / "one"
    assert [p.name for p in (out / "enwiki").iterdir()] == ["777"]
    rows = parse((out / "index.html").read_text()).one("table", "articles").one("tbody").all("tr")
    assert [r.one("a").words for r in rows] == [SECOND]
    for path in html_files(out):
        check_links(out, path, parse((out / path).read_text(encoding="utf-8")))
    assert "one" in result.stdout and "index.html" in result.stdout


def test_report_and_mail_share_one_template_environment():
    import monitor.delivery.mail
    import monitor.report.pages
    import monitor.templating

    rendering = monitor.templating
    assert monitor.report.pages.environment is rendering.environment
    assert monitor.delivery.mail.environment is rendering.environment
    assert monitor.report.pages.TEMPLATES == rendering.TEMPLATES
    names = {p.name for p in rendering.TEMPLATES.iterdir()}
    assert {"base.html", "digest.txt", "report.css"} <= names
    assert {"utc", "oneline", "isolate", "plural"} <= set(rendering.environment().filters)
    assert rendering.utc("2024-12-01T14:03:00Z") == "2024-12-01 14:03 UTC"
    # mail.py keeps the e-mail: the templates' environment is no longer defined there
    assert not any(hasattr(monitor.delivery.mail, name) for name in ("TEMPLATES", "utc", "jinja2"))


def test_report_errors_are_one_line(sample: Sample, run, tmp_path: Path):
    result = run("report", "--out", "out", "No such article")
    assert result.exit_code == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith("Error: ") and "No such article" in line
    assert not (tmp_path / "out").exists()

    (tmp_path / "a-file").write_text("not a directory")
    for out in ("a-file", "a-file/report"):
        result = run("report", "--out", out)
        assert result.exit_code != 0, out
        (line,) = result.stderr.splitlines()
        assert line.startswith("Error: ") and "a-file" in line, line
        assert "Traceback" not in result.output
    assert (tmp_path / "a-file").read_text() == "not a directory"


def test_a_quiet_day_reads_as_the_last_day_the_facts_changed(run, tmp_path: Path):
    """Pages for the days the facts changed only; a quiet day is the page of the last one
    before it (the date picker goes there: tests/integration/test_browser.py), and served,
    ?at=QUIET-DAY shows that infobox and says so."""
    box = "{{{{Infobox military conflict\n| casualties1 = {} killed\n}}}}\nText{}.\n"
    revisions = [
        revision(501, "2024-12-01T10:00:00Z", "Alice", box.format(220, "")),
        revision(502, "2024-12-02T10:00:00Z", "Copyeditor", box.format(220, " and prose")),
        revision(503, "2024-12-04T10:00:00Z", "Bob", box.format(300, " and prose")),
    ]
    assert run("import", str(export(tmp_path / "quiet.xml", "Quiet", 77, revisions))).exit_code == 0
    assert run("report", "--out", str(tmp_path / "out")).exit_code == 0
    (as_of,) = (tmp_path / "out").glob("*/77/as-of")
    # 2 December's edit changed no fact: no page, like the 3rd
    assert sorted(p.name for p in as_of.iterdir()) == [
        "2024-12-01.html", "2024-12-04.html", "index.html",
    ]  # fmt: skip
    first = parse((as_of / "2024-12-01.html").read_text(encoding="utf-8"))
    shown = json.loads(run("show", "Quiet", "--at", "2024-12-03", "--json").stdout)
    assert as_of_facts(first) == show_facts(shown) == {"casualties1": ["220 killed"]}
    assert first.one("p", "until").one("time")["datetime"] == "2024-12-04"
    pager = first.one("nav", "pager").all("a")
    assert {a["rel"]: a.one("time")["datetime"] for a in pager} == {"next": "2024-12-04"}
    index = parse((as_of / "index.html").read_text(encoding="utf-8"))
    listed = [a.one("time")["datetime"] for a in index.one("section", "days").all("a")]
    assert listed == ["2024-12-01", "2024-12-04"]
    picker = index.one("p", "picker")
    assert "hidden" in picker.attrs and picker.one("input")["min"] == "2024-12-01"
    # served: any date
    app = make_app(str(tmp_path / "wikimon.db"), load_config(None))
    path = "/" + as_of.relative_to(tmp_path / "out").as_posix() + "/index.html"
    status, body = call_app(app, path, query="at=2024-12-03")
    assert status == "200 OK"
    quiet = parse(body)
    assert as_of_facts(quiet) == {"casualties1": ["220 killed"]}
    assert quiet.one("p", "quiet").one("time")["datetime"] == "2024-12-01"
    status, body = call_app(app, path, query="at=2024-12-04")
    assert status == "200 OK" and not parse(body).all("p", "quiet")
    status, _ = call_app(app, path.replace("index.html", "2024-12-03.html"))
    assert status == "404 Not Found"  # the same pages as the static report


def test_writing_reports_progress_once_per_article(static: Static, tmp_path: Path):
    """What `wikimon report` draws its bar from on a terminal: a tick per article."""
    store = Store(static.db)
    try:
        ticks: list[int] = []
        report = Report(store, load_config(None))
        done = write_report(report, tmp_path / "out", progress=ticks.append)
    finally:
        store.close()
    written = [p for p in (tmp_path / "out").rglob("*") if p.is_file() and p.name != MANIFEST]
    assert ticks == [1] and done.files == len(written) == len(static.paths) + 2
    assert done.bytes == sum(p.stat().st_size for p in written)


# -- incremental writing -------------------------------------------------------------------------


def written_summary(result) -> str:
    assert result.exit_code == 0, result.output
    return result.stdout.splitlines()[0]


def test_a_second_report_rewrites_only_the_articles_changed_since(
    sample: Sample, run, tmp_path: Path
):
    import_second(run, tmp_path)
    out = tmp_path / "out"
    first = written_summary(run("report", "--out", "out"))
    assert first.startswith("Wrote ") and first.endswith(" to out/.")
    manifest = json.loads((out / MANIFEST).read_text())
    sample_key, second_key = f"enwiki/{sample.changes[0]['page_id']}", "enwiki/777"
    assert set(manifest["articles"]) == {sample_key, second_key}
    listed = {p for entry in manifest["articles"].values() for p in entry["files"]}
    written = {p.relative_to(out).as_posix() for p in out.rglob("*.atom")}
    assert listed | {"index.html"} == set(html_files(out)) | written
    # mark a page of each article: a page rewritten loses its mark
    marked = {key: out / key / "index.html" for key in (sample_key, second_key)}
    for path in marked.values():
        path.write_text(path.read_text(encoding="utf-8") + "<!-- mark -->", encoding="utf-8")
    assert written_summary(run("report", "--out", "out")) == (
        "Wrote 3 files (" + human(out, ["index.html", "report.css", "report.js"])
        + ") to out/: 0 articles rewritten, 2 unchanged."
    )  # fmt: skip
    assert all("<!-- mark -->" in p.read_text(encoding="utf-8") for p in marked.values())

    # a new revision of the second article (a new figure, a new day): its pages only
    box = "{{Infobox military conflict\n| conflict = Second\n| casualties1 = %s killed\n}}"
    newer = [
        revision(900, "2024-12-05T10:00:00Z", "Someone", box % "5"),
        revision(901, "2024-12-06T10:00:00Z", "Another", box % "7"),
        revision(902, "2024-12-08T10:00:00Z", "Third", box % "9"),
    ]
    path = export(tmp_path / "second-newer.xml", SECOND, 777, newer)
    assert run("import", "--wiki", "enwiki", str(path)).exit_code == 0
    summary = written_summary(run("report", "--out", "out"))
    count = len(json.loads((out / MANIFEST).read_text())["articles"][second_key]["files"])
    assert summary.startswith(f"Wrote {count + 3} files (")
    assert summary.endswith("to out/: 1 article rewritten, 1 unchanged.")
    assert "<!-- mark -->" in marked[sample_key].read_text(encoding="utf-8")
    assert "<!-- mark -->" not in marked[second_key].read_text(encoding="utf-8")
    assert (out / "enwiki/777/as-of/2024-12-08.html").is_file()
    for page in html_files(out):
        check_links(out, page, parse((out / page).read_text(encoding="utf-8")))

    # --full rewrites everything
    summary = written_summary(run("report", "--out", "out", "--full"))
    assert summary.endswith("to out/: 2 articles rewritten, 0 unchanged.")
    assert "<!-- mark -->" not in marked[sample_key].read_text(encoding="utf-8")


def test_pages_that_no_longer_exist_are_deleted_and_nothing_else(
    sample: Sample, run, tmp_path: Path
):
    import_second(run, tmp_path)
    out = tmp_path / "out"
    written_summary(run("report", "--out", "out"))
    (out / "my-notes.txt").write_text("mine")
    (out / "enwiki" / "mine.html").write_text("mine too")
    before = set(html_files(out))
    # the report of one article: the other one's pages go, and their directories
    summary = written_summary(run("report", "--out", "out", SECOND))
    gone = {p for p in before if not p.startswith(("enwiki/777/", "index.html"))} - {
        "enwiki/mine.html"
    }
    assert summary.endswith(f"; {len(gone) + 1} old files removed.")  # + its feed.atom
    assert not (out / "enwiki" / str(sample.changes[0]["page_id"])).exists()
    assert set(html_files(out)) == before - gone
    assert (out / "my-notes.txt").read_text() == "mine"
    assert (out / "enwiki" / "mine.html").read_text() == "mine too"
    # a manifest that names files outside the directory (edited by hand) deletes none
    (tmp_path / "outside.html").write_text("outside")
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    for entry in manifest["articles"].values():
        entry["files"] += ["../outside.html", str(tmp_path / "outside.html")]
    (out / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    second = [f for e in manifest["articles"].values() for f in e["files"] if "outside" not in f]
    summary = written_summary(run("report", "--out", "out", TITLE))  # the second one goes
    assert summary.endswith(f"; {len(second)} old files removed."), summary
    assert (tmp_path / "outside.html").read_text() == "outside"


def test_a_report_written_before_manifests_is_cleaned_up(sample: Sample, run, tmp_path: Path):
    """A report of the old layout (an as-of page for every day) in the directory: the
    pages that are no pages any more go, whatever else is there stays."""
    out = tmp_path / "out"
    written_summary(run("report", "--out", "out"))
    article = out / f"enwiki/{sample.changes[0]['page_id']}"
    (out / MANIFEST).unlink()
    (article / "as-of/2024-12-05.html").write_text("a quiet day's page of an old report")
    (out / "enwiki/12/as-of").mkdir(parents=True)
    (out / "enwiki/12/as-of/2020-01-01.html").write_text("an article gone since")
    (out / "other").mkdir()
    (out / "other/page.html").write_text("not ours")
    summary = written_summary(run("report", "--out", "out"))
    assert summary.endswith("; 2 old files removed.")
    assert not (article / "as-of/2024-12-05.html").exists() and not (out / "enwiki/12").exists()
    assert (out / "other/page.html").read_text() == "not ours"
    # no index of ours, no manifest: nothing is taken for ours
    (out / MANIFEST).unlink()
    (out / "index.html").write_text("<title>My site</title>")
    (article / "as-of/2024-12-05.html").write_text("kept")
    assert written_summary(run("report", "--out", "out")).endswith(" to out/.")
    assert (article / "as-of/2024-12-05.html").read_text() == "kept"


def human(out: Path, paths: list[str]) -> str:
    from monitor.cli.base import human_size

    return human_size(sum((out / p).stat().st_size for p in paths))


# -- the index ------------------------------------------------------------------------------------


def test_the_index_lists_the_most_recently_changed_first_with_a_filter_box(
    sample: Sample, run, tmp_path: Path
):
    import_second(run, tmp_path)
    import_evil(run, tmp_path)
    written_summary(run("report", "--out", "out"))
    doc = parse((tmp_path / "out/index.html").read_text(encoding="utf-8"))
    rows = doc.one("table", "articles").one("tbody").all("tr")
    last_changes = {}
    for title in (TITLE, SECOND, EVIL_TITLE):
        changes = json.loads(run("changes", title, "--json").stdout)
        last_changes[title] = max(c["timestamp"] for c in changes)
    expected = sorted(last_changes, key=lambda t: last_changes[t], reverse=True)
    assert [r["data-title"] for r in rows] == expected
    assert [r.one("a").all("bdi")[0].text for r in rows] == expected
    assert [r.one("time")["datetime"] for r in rows] == [last_changes[t] for t in expected]
    # the filter box: for JavaScript only (report.js shows it), the table works without
    box = doc.one("p", "filter")
    assert "hidden" in box.attrs and box.one("input")["type"] == "search"
    assert doc.one("p", "note").words.startswith("3 articles, the most recently changed first.")


def test_field_groups_with_changes_have_pages_when_there_are_two(run, tmp_path: Path):
    import_second(run, tmp_path)  # only casualties1 changes: nothing to filter
    import_evil(run, tmp_path)  # casualties, combatants, result, other
    written_summary(run("report", "--out", "out"))
    second = parse((tmp_path / "out/enwiki/777/index.html").read_text(encoding="utf-8"))
    assert not second.all("nav", "filters")
    assert not list((tmp_path / "out/enwiki/777").glob("changes-*.html"))
    evil = parse((tmp_path / "out/enwiki/4242/index.html").read_text(encoding="utf-8"))
    groups = {c["field"] for c in json.loads(run("changes", EVIL_TITLE, "--json").stdout)}
    expected = {group_of(name) for name in groups}
    links = {a["data-filter"] for a in evil.one("nav", "filters").all("a")}
    assert links == expected | {""} and len(expected) >= 2
    assert {p.name for p in (tmp_path / "out/enwiki/4242").glob("changes-*.html")} == {
        f"changes-{g}.html" for g in expected
    }
