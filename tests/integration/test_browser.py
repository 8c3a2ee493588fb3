"""The history report in a real browser: headless Chromium (Debian's ``chromium``, driven by
Playwright's Python package through ``executable_path``; nothing is downloaded) walks the
static report from ``file://`` and the pages of `wikimon serve`, runs the timeline filter with
and without JavaScript, and opens every page of a report of hostile wiki content.

On every page: no console error, no page error, no failed request, no dialog, and no request
outside the site (the output directory, or the server on 127.0.0.1)."""

from __future__ import annotations

import json
import os
import select
import signal
import struct
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from digest_helpers import (
    TITLE,
    Sample,
    copy_database,
    export,
    revision,
    sample_template_fixture,  # noqa: F401
)

from monitor.cli import cli
from monitor.config import Config
from monitor.fields import field_group
from monitor.report.history import ArticleHistory
from monitor.report.pages import Report
from storage import Store

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

CHROMIUM = Path("/usr/bin/chromium")
# no sandbox as root; no GPU, /dev/shm or background connections (the network may be closed)
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync",
]  # fmt: skip
VIEWPORT = {"width": 1200, "height": 1000}
ARTICLE = "enwiki/78552391/"  # the sample article's directory in the report

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
JS_LINK = "javascript:alert(1)"
TEXTAREA = "</textarea>"
ARABIC_USER = "مستخدم عربي"
ARABIC_FIELD = "الخسائر"


# -- browser ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing (Debian package chromium; scripts/test.sh installs it)")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class Tab:
    """A page in a browser context of its own, and what happened in it."""

    page: Any
    site: str  # every request must start with this
    requests: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # console/page errors, failed requests
    dialogs: list[str] = field(default_factory=list)

    def open(self, url: str) -> None:
        response = self.page.goto(url)
        assert response is not None and response.ok, (url, response and response.status)

    def assert_clean(self) -> None:
        assert self.problems == []
        assert self.dialogs == []
        assert self.requests
        assert [url for url in self.requests if not url.startswith(self.site)] == []


@pytest.fixture
def open_tab(browser) -> Iterator[Callable[..., Tab]]:
    """open_tab(site, **context_options) -> Tab; every request, console error, page error and
    dialog of the tab is recorded (dialogs are dismissed)."""
    contexts = []

    def open_(site: str, **options: Any) -> Tab:
        context = browser.new_context(viewport=VIEWPORT, **options)
        contexts.append(context)
        tab = Tab(context.new_page(), site)
        context.on("request", lambda request: tab.requests.append(request.url))
        context.on("requestfailed", lambda r: tab.problems.append(f"{r.url}: {r.failure}"))
        context.on(
            "response",
            lambda r: tab.problems.append(f"{r.url}: {r.status}") if r.status >= 400 else None,
        )
        context.on(
            "console",
            lambda m: (
                tab.problems.append(f"console {m.type}: {m.text} ({m.location['url']})")
                if m.type in ("error", "assert")
                else None
            ),
        )
        context.on("weberror", lambda error: tab.problems.append(f"page error: {error.error}"))

        def on_dialog(dialog: Any) -> None:
            tab.dialogs.append(f"{dialog.type}: {dialog.message}")
            dialog.dismiss()

        context.on("dialog", on_dialog)
        return tab

    yield open_
    for context in contexts:
        context.close()


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", path
    return struct.unpack(">II", data[16:24])


# -- the sample report ----------------------------------------------------------------------------


@dataclass
class Site:
    db: Path
    out: Path
    history: ArticleHistory
    sample: Sample

    @property
    def url(self) -> str:
        return self.out.as_uri() + "/"


@pytest.fixture(scope="module")
def site(sample_template: Sample, tmp_path_factory: pytest.TempPathFactory) -> Site:
    """`wikimon report` of the bundled history, written once for the module."""
    directory = tmp_path_factory.mktemp("site")
    db, out = directory / "wikimon.db", directory / "out"
    copy_database(sample_template.db, db)
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(directory)  # not the checkout's config.yaml
        result = CliRunner().invoke(
            cli, ["--db", str(db), "report", "--out", str(out)], catch_exceptions=False
        )
    assert result.exit_code == 0, result.output
    store = Store(db)
    try:
        (page,) = store.pages()
        history = Report(store, Config()).history(page)
    finally:
        store.close()
    return Site(db, out, history, sample_template)


def expected_points(history: ArticleHistory, name: str) -> list[tuple[str, str, int, bool]]:
    """(series, time, value, reverted) of every point of the field's chart, sorted."""
    return sorted(
        (s.name, p.revision.timestamp, p.value, p.reverted)
        for s in history.figure_series(name)
        for p in s.points
    )


def walk(tab: Tab, index_url: str, site: Site, shots: Path) -> None:
    """Index → article → field casualties2 → its chart, by clicking; screenshots on the way."""
    page = tab.page
    tab.open(index_url)
    expect(page).to_have_title("wikimon report")
    page.locator("table.articles").get_by_role("link", name=TITLE).click()
    page.wait_for_url(f"**/{ARTICLE}index.html")
    expect(page.locator("h1")).to_have_text(TITLE)
    expect(page.locator("#facts tbody tr")).to_have_count(len(site.history.current))
    expect(page.locator("#charts svg[data-chart=line]").first).to_be_visible()
    page.screenshot(path=shots / "article.png")
    assert png_size(shots / "article.png") == (VIEWPORT["width"], VIEWPORT["height"])
    assert (shots / "article.png").stat().st_size > 30_000  # text, tables, a chart: not blank

    page.locator("#facts").get_by_role("link", name="casualties2", exact=True).click()
    page.wait_for_url(f"**/{ARTICLE}field/casualties2.html")
    expect(page.locator("h1")).to_contain_text("casualties2")
    chart = page.locator("#chart svg[data-chart=line]")
    expect(chart).to_be_visible()
    expected = expected_points(site.history, "casualties2")
    assert len(expected) >= 5 and any(reverted for *_, reverted in expected)
    points = chart.locator("[data-time][data-value]")
    expect(points).to_have_count(len(expected))
    shown = points.evaluate_all(
        """els => els.map(e => {
             const box = e.getBoundingClientRect();
             return [e.closest("g.points").getAttribute("data-series"), e.dataset.time,
                     Number(e.dataset.value), e.dataset.reverted === "true",
                     [box.x, box.y, box.width, box.height]];
           })"""
    )
    assert sorted(tuple(p[:4]) for p in shown) == expected
    svg = chart.bounding_box()
    assert svg["width"] >= 600 and svg["height"] >= 200
    for *_, (x, y, width, height) in shown:  # drawn, and inside the chart
        assert width > 0 and height > 0
        assert svg["x"] <= x and x + width <= svg["x"] + svg["width"] + 0.5
        assert svg["y"] <= y and y + height <= svg["y"] + svg["height"] + 0.5
    chart.screenshot(path=shots / "chart.png")
    width, height = png_size(shots / "chart.png")
    assert abs(width - svg["width"]) <= 1 and abs(height - svg["height"]) <= 1
    assert (shots / "chart.png").stat().st_size > 5_000


# -- tests ----------------------------------------------------------------------------------------


def test_static_report_from_file_walks_to_a_chart(site: Site, open_tab, tmp_path: Path):
    tab = open_tab(site.url)
    walk(tab, site.url + "index.html", site, tmp_path)
    # every other page of the report loads as cleanly
    pages = sorted(p.relative_to(site.out).as_posix() for p in site.out.rglob("*.html"))
    assert len(pages) > 40
    for path in pages:
        tab.open((site.out / path).as_uri())
        expect(tab.page.locator("main h1")).to_be_visible()
    tab.assert_clean()


def test_filter_hides_other_groups_in_place_with_javascript(site: Site, open_tab):
    tab = open_tab(site.url)
    page = tab.page
    url = site.url + ARTICLE + "index.html"
    tab.open(url)
    changes = page.locator("#timeline li.change")
    rows = changes.evaluate_all(
        "els => els.map(e => [e.querySelector('.field').textContent, e.dataset.group])"
    )
    assert rows and all(group == field_group(name) for name, group in rows)
    casualties = sum(group == "casualties" for _, group in rows)
    assert 0 < casualties < len(rows)
    requests = len(tab.requests)

    page.locator("#timeline nav.filters a[data-filter=casualties]").click()
    assert page.url == url and len(tab.requests) == requests  # in place: nothing loaded
    hidden = changes.evaluate_all("els => els.map(e => [e.dataset.group, e.hidden])")
    assert hidden == [[group, group != "casualties"] for _, group in rows]
    kept = page.locator("#timeline li.change:not(.reverted)")
    for i in range(kept.count()):
        item = kept.nth(i)
        if item.get_attribute("data-group") == "casualties":
            expect(item).to_be_visible()
        else:
            expect(item).to_be_hidden()
    days = page.locator("#timeline section.day").evaluate_all(
        "els => els.map(e => [e.hidden, !!e.querySelector('li.change[data-group=casualties]')])"
    )
    assert days and all(hidden == (not has) for hidden, has in days)
    facts = page.locator("#facts tbody tr").evaluate_all(
        "els => els.map(e => [e.querySelector('th').textContent.trim(), e.hidden])"
    )
    assert [(name, field_group(name) != "casualties") for name, _ in facts] == [
        tuple(row) for row in facts
    ]
    assert any(hidden for _, hidden in facts) and not all(hidden for _, hidden in facts)
    current = page.locator("#timeline nav.filters a[aria-current]")
    expect(current).to_have_count(1)
    expect(current).to_have_text("Casualties")

    page.locator("#timeline nav.filters a[data-filter='']").click()
    assert page.url == url
    assert page.locator("#timeline li.change[hidden], #facts tr[hidden]").count() == 0
    expect(current).to_have_text("All")
    tab.assert_clean()


def test_filter_opens_a_page_of_the_group_without_javascript(site: Site, open_tab):
    tab = open_tab(site.url, java_script_enabled=False)
    page = tab.page
    tab.open(site.url + ARTICLE + "index.html")
    groups = page.locator("#timeline li.change").evaluate_all(
        "els => els.map(e => e.dataset.group)"
    )
    with page.expect_navigation():
        page.locator("#timeline nav.filters a[data-filter=casualties]").click()
    assert page.url == site.url + ARTICLE + "changes-casualties.html#timeline"
    expect(page.locator("#timeline h2")).to_have_text("What changed: Casualties")
    names = page.locator("#timeline li.change .field").all_text_contents()
    assert len(names) == groups.count("casualties") > 0
    assert {field_group(name) for name in names} == {"casualties"}
    assert all(name.startswith(("casualties", "notes")) for name in names)
    facts = page.locator("#facts tbody th").all_text_contents()
    assert facts and {field_group(name.strip()) for name in facts} == {"casualties"}
    expect(page.locator("#timeline nav.filters a[aria-current]")).to_have_text("Casualties")
    tab.assert_clean()


def test_reverted_changes_print(site: Site, open_tab):
    """Closed <details> would not print: opened on beforeprint, closed again on afterprint;
    without JavaScript the print stylesheet shows them."""
    tab = open_tab(site.url)
    page = tab.page
    tab.open(site.url + ARTICLE + "index.html")
    details = page.locator("#timeline details.reverted")
    reverted = page.locator("#timeline li.change.reverted")
    assert details.count() >= 2 and reverted.count() >= details.count()
    assert page.locator("#timeline details.reverted[open]").count() == 0
    expect(reverted.first).to_be_hidden()  # on screen: collapsed
    page.emulate_media(media="print")
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    expect(page.locator("#timeline details.reverted[open]")).to_have_count(details.count())
    for i in range(reverted.count()):
        expect(reverted.nth(i)).to_be_visible()
    page.evaluate("window.dispatchEvent(new Event('afterprint'))")
    expect(page.locator("#timeline details.reverted[open]")).to_have_count(0)
    page.emulate_media(media="screen")
    expect(reverted.first).to_be_hidden()
    tab.assert_clean()

    plain = open_tab(site.url, java_script_enabled=False)
    plain.open(site.url + ARTICLE + "index.html")
    plain.page.emulate_media(media="print")
    shown = plain.page.locator("#timeline li.change.reverted")
    assert plain.page.locator("#timeline details.reverted[open]").count() == 0
    for i in range(shown.count()):
        expect(shown.nth(i)).to_be_visible()
    plain.assert_clean()


def test_static_pages_enforce_their_policy_from_file(site: Site, open_tab):
    """The <meta> Content-Security-Policy works from file://: the stylesheet, the script and
    the inline charts load and run; an inline style or script does not."""
    tab = open_tab(site.url)
    page = tab.page
    tab.open(site.url + ARTICLE + "index.html")
    policy = page.locator("meta[http-equiv=Content-Security-Policy]").get_attribute("content")
    assert "default-src 'none'" in policy and "style-src 'self'" in policy
    background = "getComputedStyle(document.querySelector('header.site')).backgroundColor"
    assert page.evaluate(background) == "rgb(248, 249, 250)"  # report.css applies
    expect(page.locator("#charts svg[data-chart=line]").first).to_be_visible()
    page.locator("#timeline nav.filters a[data-filter=casualties]").click()  # report.js runs
    expect(page.locator("#timeline nav.filters a[aria-current]")).to_have_text("Casualties")
    blocked = page.evaluate(
        """() => new Promise(resolve => {
             const seen = [];
             document.addEventListener("securitypolicyviolation",
                                       e => seen.push(e.violatedDirective));
             const style = document.createElement("style");
             style.textContent = "body { color: rgb(255, 0, 0); }";
             document.head.append(style);
             const script = document.createElement("script");
             script.textContent = "window.injected = true;";
             document.body.append(script);
             setTimeout(() => resolve([seen, getComputedStyle(document.body).color,
                                       window.injected === true]), 100);
           })"""
    )
    seen, colour, injected = blocked
    assert colour != "rgb(255, 0, 0)" and not injected
    assert {"style-src-elem", "script-src-elem"} <= set(seen)
    # the browser reported the two refusals; nothing else went wrong
    assert len(tab.problems) == 2 and all("Content Security Policy" in p for p in tab.problems)
    tab.problems.clear()
    tab.assert_clean()


@pytest.fixture
def serve(wikimon_process) -> Iterator[Callable[[Path], str]]:
    """serve(db) runs `wikimon serve --port 0` on ``db`` and returns its URL."""
    procs = []

    def start(db: Path) -> str:
        proc = wikimon_process("--db", str(db), "serve", "--port", "0")
        procs.append(proc)
        line = b""
        deadline = time.monotonic() + 60
        while not line.endswith(b"\n"):
            left = deadline - time.monotonic()
            assert left > 0 and proc.poll() is None, f"serve did not start: {line!r}"
            if select.select([proc.stdout], [], [], left)[0]:
                line += os.read(proc.stdout.fileno(), 1024)
        text = line.decode()
        assert text.startswith("Serving the report on http://127.0.0.1:"), text
        assert text.endswith("/ (Ctrl-C stops)\n"), text
        return text.split()[4]

    yield start
    for proc in procs:
        assert proc.poll() is None, "serve stopped by itself"
        proc.send_signal(signal.SIGINT)  # Ctrl-C
        try:
            proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
        assert proc.returncode == 0, proc.returncode


def test_serve_walks_to_a_chart_and_shows_the_infobox_as_of_a_day(
    site: Site, serve, open_tab, tmp_path: Path, run
):
    db = tmp_path / "served.db"
    copy_database(site.db, db)
    served = serve(db)
    tab = open_tab(served)
    walk(tab, served, site, tmp_path)

    tab.open(served + ARTICLE + "as-of/index.html?at=2024-12-01")
    page = tab.page
    expect(page.locator("h1")).to_contain_text("as of 2024-12-01")
    shown = run("show", TITLE, "--at", "2024-12-01", "--json", db=db)
    assert shown.exit_code == 0, shown.output
    infobox = json.loads(shown.stdout)
    assert infobox["timestamp"].startswith("2024-12-01")
    expect(page.locator("main p.note").first).to_contain_text(f"revision {infobox['revid']},")
    rows = page.locator("table.facts tbody tr").evaluate_all(
        """els => els.map(tr => [tr.querySelector('th').textContent.trim(),
             [...tr.querySelectorAll('td li')].map(li => li.textContent.trim()),
             tr.querySelector('td').textContent.trim()])"""
    )
    assert [name for name, _, _ in rows] == list(infobox["fields"])
    for name, items, text in rows:
        fact = infobox["fields"][name]
        if len(fact["items"]) > 1:
            assert items == fact["items"], name
        else:
            assert " ".join(text.split()) == " ".join(fact["value"].split()), name
    # the form asks for another moment: a revision id
    field = page.get_by_label("Date (YYYY-MM-DD) or revision id")
    expect(field).to_have_value("2024-12-01")
    field.fill(str(infobox["revid"]))
    with page.expect_navigation():
        field.press("Enter")
    assert page.url == served + ARTICLE + f"as-of/index.html?at={infobox['revid']}"
    expect(page.locator("h1")).to_contain_text(f"as of revision {infobox['revid']}")
    expect(page.locator("table.facts tbody tr")).to_have_count(len(rows))
    tab.assert_clean()

    # a hostile ?at= is refused or shown as text, never run
    hostile = open_tab(served)
    response = hostile.page.goto(served + ARTICLE + "as-of/index.html?at=" + SCRIPT + IMG)
    assert response is not None and response.status in (200, 404)
    if response.ok:
        expect(hostile.page.locator("h1")).to_contain_text(SCRIPT + IMG)
    assert hostile.page.locator("script:not([src]), img, [onerror]").count() == 0
    assert hostile.dialogs == []
    assert [url for url in hostile.requests if not url.startswith(served)] == []


# -- the as-of date picker and the index's filter box ---------------------------------------------


def infobox_shown(page: Any) -> dict[str, str]:
    """The as-of page's infobox as the browser shows it: field -> its text."""
    rows = page.locator("table.facts tbody tr").evaluate_all(
        "els => els.map(tr => [tr.querySelector('th').textContent.trim(),"
        " tr.querySelector('td').innerText.trim()])"
    )
    return {name: " ".join(text.split()) for name, text in rows}


def infobox_of(site: Site, run, moment: str) -> dict[str, str]:
    """`wikimon show --at MOMENT --json` as the as-of page lays it out."""
    shown = run("show", TITLE, "--at", moment, "--json", db=site.db)
    assert shown.exit_code == 0, shown.output
    fields = json.loads(shown.stdout)["fields"]
    return {
        name: " ".join("\n".join(f["items"] if len(f["items"]) > 1 else [f["value"]]).split())
        for name, f in fields.items()
    }


def test_the_date_picker_opens_the_page_of_any_date_offline(site: Site, open_tab, run):
    """From file://: a date opens the page of the last day the facts changed on or before
    it; from a day page too (through the index); before the first day, it says so."""
    days = sorted(p.stem for p in (site.out / ARTICLE / "as-of").glob("2*.html"))
    quiet = "2024-12-05"  # an edit-free day of the sample: no page of its own
    assert quiet not in days and "2024-12-04" in days
    tab = open_tab(site.url)
    page = tab.page
    index = site.url + ARTICLE + "as-of/index.html"
    tab.open(index)
    picker = page.get_by_label("The infobox as of")
    expect(picker).to_be_visible()
    for date, day in ((quiet, "2024-12-04"), ("2024-12-01", "2024-12-01"),
                      ("2031-01-01", days[-1])):  # fmt: skip
        tab.open(index)
        picker.fill(date)
        with page.expect_navigation():
            page.get_by_role("button", name="Show").click()
        assert page.url == site.url + ARTICLE + f"as-of/{day}.html", (date, page.url)
        assert infobox_shown(page) == infobox_of(site, run, date), date
    # from a day page, with the keyboard: through the index's ?at=, to the right page
    page.get_by_label("The infobox as of").fill(quiet)
    with page.expect_navigation(url=f"**/{ARTICLE}as-of/2024-12-04.html"):
        page.get_by_label("The infobox as of").press("Enter")
    assert infobox_shown(page) == infobox_of(site, run, quiet)
    tab.open(index + "?at=2024-11-30")  # as `wikimon serve` is asked
    page.wait_for_url(f"**/{ARTICLE}as-of/2024-11-30.html")
    # before the first day: nothing to show, and it says so
    tab.open(index)
    picker.fill("2020-01-01")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#picker-none")).to_be_visible()
    assert page.url == index
    tab.assert_clean()

    plain = open_tab(site.url, java_script_enabled=False)
    plain.open(index)
    expect(plain.page.get_by_label("The infobox as of")).to_be_hidden()
    expect(plain.page.locator("section.days a")).to_have_count(len(days))
    plain.assert_clean()


def test_the_index_filter_box_keeps_the_rows_typed(
    sample_template: Sample, open_tab, tmp_path: Path, run
):
    db = tmp_path / "wikimon.db"
    copy_database(sample_template.db, db)
    box = "{{Infobox military conflict\n| conflict = %s\n| casualties1 = %s killed\n}}"
    for page_id, title in ((501, "Siege of Aleppo"), (502, "Battle of Hama"),
                           (503, "Battle of Aleppo airport")):  # fmt: skip
        revisions = [
            revision(page_id * 10, "2024-12-05T10:00:00Z", "Someone", box % (title, 5)),
            revision(page_id * 10 + 1, "2024-12-06T10:00:00Z", "Another", box % (title, 7)),
        ]
        path = export(tmp_path / f"{page_id}.xml", title, page_id, revisions)
        assert run("import", "--wiki", "enwiki", str(path), db=db).exit_code == 0
    out = tmp_path / "out"
    assert run("report", "--out", str(out), db=db).exit_code == 0
    tab = open_tab(out.as_uri() + "/")
    page = tab.page
    tab.open((out / "index.html").as_uri())
    rows = page.locator("table.articles tbody tr")
    expect(rows).to_have_count(4)
    box_input = page.get_by_label("Filter")
    box_input.fill("aleppo")
    expect(page.locator("table.articles tbody tr:not([hidden])")).to_have_count(2)
    visible = page.locator("table.articles tbody tr:not([hidden]) td:first-child a")
    assert sorted(visible.all_text_contents()) == ["Battle of Aleppo airport", "Siege of Aleppo"]
    expect(page.locator("p.filter output")).to_have_text("2 of 4")
    box_input.fill("battle aleppo")  # every word
    expect(page.locator("table.articles tbody tr:not([hidden])")).to_have_count(1)
    box_input.fill("enwiki")  # the wiki too
    expect(page.locator("table.articles tbody tr:not([hidden])")).to_have_count(4)
    box_input.fill("")
    expect(page.locator("p.filter output")).to_have_text("4 of 4")
    tab.assert_clean()

    plain = open_tab(out.as_uri() + "/", java_script_enabled=False)
    plain.open((out / "index.html").as_uri())
    expect(plain.page.get_by_label("Filter")).to_be_hidden()
    expect(plain.page.locator("table.articles tbody tr")).to_have_count(4)
    for i in range(4):
        expect(plain.page.locator("table.articles tbody tr").nth(i)).to_be_visible()
    plain.assert_clean()


# -- hostile wiki content -----------------------------------------------------------------------


def _entities(text: str) -> str:
    """Wiki text for ``text`` as characters: the infobox values come out as raw markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def evil_box(killed: str, combatant: str, result: str, extra: str = "") -> str:
    return (
        "{{Infobox military conflict\n"
        f"| conflict = Battle {_entities(SCRIPT)}\n"
        f"| combatant1 = Red army<br>{combatant}\n"
        f"| casualties1 = {killed} killed {_entities(IMG)}\n"
        f"| result = {result}\n"
        f"| {ARABIC_FIELD} = {killed} قتيل\n"
        f"{extra}}}}}\nText."
    )


EVIL_TITLE = f"Evil {SCRIPT} {IMG}"
WON = f"[{JS_LINK} Victory] {_entities(TEXTAREA)}"
EVIL_REVISIONS = [
    (100, "2024-12-01T01:00:00Z", "Founder", evil_box("10", "Blue army", "Ongoing"), ""),
    (101, "2024-12-02T02:00:00Z", SCRIPT, evil_box("25", _entities(SCRIPT), "Ongoing"), IMG),
    (102, "2024-12-02T03:00:00Z", IMG, evil_box("25", _entities(SCRIPT), WON),
     f"{JS_LINK} {TEXTAREA}"),
    # a vandal's figure, reverted: a marked point in the chart
    (103, "2024-12-03T04:00:00Z", ARABIC_USER, evil_box("4,000", _entities(SCRIPT), WON), SCRIPT),
    (104, "2024-12-03T05:00:00Z", TEXTAREA, evil_box("25", _entities(SCRIPT), WON),
     f"Undid revision 103 {IMG}"),
    (105, "2024-12-04T05:00:00Z", ARABIC_USER,
     evil_box("30", _entities(SCRIPT), WON, f"| notes = {_entities(IMG)} {JS_LINK}\n"), TEXTAREA),
]  # fmt: skip
INJECTION_CHECK = """() => {
  const elements = [...document.querySelectorAll("*")];
  return {
    tags: [...new Set(elements.map(e => e.localName))].sort(),
    handlers: elements.flatMap(e => [...e.attributes].filter(a => /^on/i.test(a.name))
                                    .map(a => e.localName + " " + a.name)),
    scripts: [...document.scripts].map(s => s.getAttribute("src")),
    links: elements.filter(e => e.hasAttribute("href"))
                   .map(e => new URL(e.getAttribute("href"), document.baseURI).href),
    text: document.body.innerText,
  };
}"""
ALLOWED_TAGS = {
    "html", "head", "meta", "title", "link", "body", "header", "nav", "main", "footer", "script",
    "h1", "h2", "h3", "p", "section", "table", "thead", "tbody", "tr", "th", "td", "a", "bdi",
    "time", "ul", "ol", "li", "details", "summary", "s", "span", "q", "em", "figure",
    "figcaption", "code", "br", "svg", "desc", "g", "path", "rect", "circle", "text",
    "label", "input", "button", "output",  # the as-of date picker, the index's filter box
}  # fmt: skip


def test_hostile_wiki_content_is_text_in_the_browser(
    run, tmp_path: Path, db_path: Path, open_tab, serve
):
    config = tmp_path / "config.yaml"
    config.write_text("wikis:\n  testwiki:\n    api: https://wiki.example.org/w/api.php\n")
    revisions = [
        revision(revid, when, user, text, comment=comment)
        for revid, when, user, text, comment in EVIL_REVISIONS
    ]
    path = export(tmp_path / "evil.xml", EVIL_TITLE, 4242, revisions)
    result = run("import", "--wiki", "testwiki", str(path), config=config)
    assert result.exit_code == 0, result.output
    out = tmp_path / "out"
    result = run("report", "--out", str(out), config=config)
    assert result.exit_code == 0, result.output
    pages = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.html"))
    assert len(pages) > 15

    site = out.as_uri() + "/"
    tab = open_tab(site)
    texts = {}
    for path in pages:
        tab.open((out / path).as_uri())  # a file name may have "%" in it: quoted as "%25"
        found = tab.page.evaluate(INJECTION_CHECK)
        assert set(found["tags"]) <= ALLOWED_TAGS, (path, set(found["tags"]) - ALLOWED_TAGS)
        assert found["handlers"] == [], path
        assert found["scripts"] == ["../" * path.count("/") + "report.js"], path
        for link in found["links"]:  # the site, the configured wiki, or no favicon at all
            wiki = "https://wiki.example.org/w/index.php?"
            assert link.startswith((site, wiki)) or link == "data:,", (path, link)
        texts[path] = found["text"]
    article = texts["testwiki/4242/index.html"]
    for text in (SCRIPT, IMG, JS_LINK, TEXTAREA, ARABIC_USER, f"Battle {SCRIPT}"):
        assert text in article, text
    assert f"4,000 killed {IMG}" in texts["testwiki/4242/field/casualties1.html"]

    # the reverted vandal value is a marked point, its tooltip the right-to-left name
    tab.open(site + "testwiki/4242/field/casualties1.html")
    crosses = tab.page.locator("#chart [data-reverted=true]")
    expect(crosses).to_have_count(1)
    assert ARABIC_USER in crosses.locator("title").text_content()

    # right-to-left user names are isolated wherever they stand alone
    for path in ("testwiki/4242/index.html", "testwiki/4242/field/casualties1.html"):
        tab.open(site + path)
        isolated = tab.page.evaluate(
            """name => [...document.querySelectorAll("body *")]
                 .filter(e => e.children.length === 0 && e.textContent.trim() === name)
                 .map(e => [e.closest("bdi") !== null,
                            getComputedStyle(e.closest("bdi") || e).unicodeBidi])""",
            ARABIC_USER,
        )
        assert isolated and all(bdi and bidi == "isolate" for bdi, bidi in isolated), path
    # a right-to-left field name stays in its place in a timeline line: field, change, time
    tab.open(site + "testwiki/4242/index.html")
    order = tab.page.locator("#timeline li.change:not(.reverted)").evaluate_all(
        """els => els.map(li => [li.querySelector(".field").textContent,
             ...[".field", ".what", ".who time"]
                 .map(s => li.querySelector(s).getBoundingClientRect().x)])"""
    )
    assert ARABIC_FIELD in {name for name, *_ in order}
    assert all(field < what < when for _, field, what, when in order), order
    # and its page is reachable by its link, from the files and from `wikimon serve`
    tab.page.locator("#facts").get_by_role("link", name=ARABIC_FIELD, exact=True).click()
    expect(tab.page.locator("h1")).to_contain_text(ARABIC_FIELD)
    tab.assert_clean()
    served = serve(db_path)
    tab = open_tab(served)
    tab.open(served + "testwiki/4242/index.html")
    tab.page.locator("#timeline").get_by_role("link", name=ARABIC_FIELD).first.click()
    expect(tab.page.locator("h1")).to_contain_text(ARABIC_FIELD)
    expect(tab.page.locator("table.history tbody tr")).to_have_count(5)
    tab.assert_clean()
