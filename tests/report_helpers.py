"""Shared by the report tests (unit) and the serve tests (integration): the sample's
static report, an HTML reader, HTTP helpers, and what the pages must show.

Expected values come from the database, `wikimon changes --json`, `wikimon revisions --json`
and `wikimon show --at … --json`, never from the pages under test."""

from __future__ import annotations

import json
import posixpath
import queue
import re
import signal
import socket
import sqlite3
import subprocess
import threading
import urllib.error
import urllib.request
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from click.testing import CliRunner
from digest_helpers import (
    TITLE,
    Sample,
    copy_database,
    export,
    revision,
    sample_fixture,  # noqa: F401
    sample_template_fixture,  # noqa: F401
)
from helpers import SAMPLE_HISTORY

from monitor.cli import cli
from monitor.config import load_config
from monitor.report.pages import Report
from monitor.report.serve import make_app, make_report_server
from storage import Store

WIKI_HOST = "https://en.wikipedia.org/"


ISO_TIME = re.compile(r"^\d{4}-\d{2}(-\d{2}(T\d{2}:\d{2}:\d{2}Z)?)?$")  # a month, day or moment


ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}  # fmt: skip


@dataclass
class Node:
    tag: str
    attrs: dict[str, str | None]
    parent: Node | None = None
    children: list[Node | str] = field(default_factory=list)

    def __getitem__(self, name: str) -> str:
        value = self.attrs[name]
        assert value is not None, name
        return value

    def get(self, name: str) -> str | None:
        return self.attrs.get(name)

    @property
    def classes(self) -> list[str]:
        return (self.attrs.get("class") or "").split()

    def iter(self) -> Iterator[Node]:
        """This node's descendants, in document order."""
        for child in self.children:
            if isinstance(child, Node):
                yield child
                yield from child.iter()

    def all(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> list[Node]:
        return [
            node
            for node in self.iter()
            if (tag is None or node.tag == tag)
            and (cls is None or cls in node.classes)
            and all(node.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items())
        ]

    def one(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> Node:
        (node,) = self.all(tag, cls, **attrs)
        return node

    def ancestors(self) -> Iterator[Node]:
        node = self.parent
        while node is not None:
            yield node
            node = node.parent

    def inside(self, tag: str) -> bool:
        return any(a.tag == tag for a in self.ancestors())

    @property
    def text(self) -> str:
        parts = []
        for child in self.children:
            parts.append(child if isinstance(child, str) else child.text)
        return "".join(parts)

    @property
    def words(self) -> str:
        return " ".join(self.text.split())


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, dict(attrs), self.stack[-1])
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, dict(attrs), self.stack[-1])
        self.stack[-1].children.append(node)

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(html: str) -> Node:
    builder = _Builder()
    builder.feed(html)
    builder.close()
    return builder.root


@dataclass
class Static:
    out: Path
    db: Path
    paths: list[str]  # Report.paths()
    sample: Sample
    invoke: Callable[..., str]

    @property
    def page_id(self) -> int:
        return self.sample.changes[0]["page_id"]

    @property
    def article(self) -> str:
        return f"enwiki/{self.page_id}/"

    def html(self, path: str) -> Node:
        return parse((self.out / path).read_text(encoding="utf-8"))

    def show(self, at: str | int) -> dict[str, Any]:
        return json.loads(self.invoke("show", TITLE, "--at", str(at), "--json"))


def cli_invoker(directory: Path, db: Path) -> Callable[..., str]:
    runner = CliRunner()

    def invoke(*args: str) -> str:
        with pytest.MonkeyPatch.context() as patch:
            patch.chdir(directory)  # not the checkout's config.yaml
            result = runner.invoke(cli, ["--db", str(db), *args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.stdout

    return invoke


@pytest.fixture(scope="module", name="static")
def static_fixture(sample_template: Sample, tmp_path_factory: pytest.TempPathFactory) -> Static:
    directory = tmp_path_factory.mktemp("report")
    db = directory / "wikimon.db"
    copy_database(sample_template.db, db)
    invoke = cli_invoker(directory, db)
    out = directory / "out"
    invoke("report", "--out", str(out))
    store = Store(db)
    try:
        paths = list(Report(store, load_config(None)).paths())
    finally:
        store.close()
    return Static(out, db, paths, sample_template, invoke)


def html_files(out: Path) -> list[str]:
    return sorted(p.relative_to(out).as_posix() for p in out.rglob("*.html"))


def query(db: Path, sql: str, params: tuple = ()) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute(sql, params).fetchall()
    conn.close()
    return rows


def resolve(path: str, href: str) -> str:
    """Where a relative link of the page at ``path`` leads, as a path from the root."""
    target = href.split("#", 1)[0].split("?", 1)[0]
    return posixpath.normpath(posixpath.join(posixpath.dirname(path), unquote(target)))


def check_links(out: Path, path: str, doc: Node) -> int:
    """Every relative link of the page at ``path`` resolves to a file of the report; every
    absolute one goes to the configured wiki. Returns how many links there were."""
    count = 0
    for node in doc.iter():
        for name, value in node.attrs.items():
            if value is None:
                continue
            if name in ("href", "src", "xlink:href", "action", "srcset", "poster", "data"):
                count += 1
                target = value.strip()
                if node.tag == "link" and node.get("rel") == "icon" and target == "data:,":
                    continue  # the empty icon: no request for /favicon.ico
                assert not target.lower().startswith(("javascript:", "data:", "//")), (path, value)
                if "://" in target:
                    assert target.startswith(WIKI_HOST), (path, name, value)
                    continue
                assert ":" not in target.split("/")[0], (path, value)  # no other scheme
                if not target.split("#", 1)[0].split("?", 1)[0]:
                    continue  # this page, or a fragment of it
                resolved = resolve(path, target)
                assert not resolved.startswith("../"), (path, value)
                assert (out / resolved).is_file(), f"{path}: {value} -> {resolved} is missing"
            elif "://" in value and name != "xmlns":
                assert value.startswith(WIKI_HOST), (path, name, value)
    return count


def check_times(path: str, doc: Node) -> int:
    """Every <time> has an ISO UTC datetime and says the same moment; no date is shown
    outside a <time> (wiki text, charts and the document title aside)."""
    times = doc.all("time")
    for node in times:
        moment = node.get("datetime")
        assert moment is not None and ISO_TIME.match(moment), (path, node.attrs)
        shown = node.words
        if ISO_DAY.search(shown):
            assert shown.startswith(moment[:10]), (path, moment, shown)
        if re.search(r"\d\d:\d\d", shown):
            assert len(moment) > 10 and moment[11:16] in shown, (path, moment, shown)
    skip = {"time", "svg", "bdi", "q", "title", "script", "style"}
    for node in [doc, *doc.iter()]:
        if node.tag in skip or any(a.tag in skip for a in node.ancestors()):
            continue
        for child in node.children:
            if isinstance(child, str):
                assert not ISO_DAY.search(child), f"{path}: a date outside <time>: {child!r}"
    return len(times)


def series_name(side: str | None, category: str | None) -> str:
    return " · ".join(p for p in (side, category or "figure") if p)


def figures(show: dict[str, Any], name: str, item: str | None = None) -> dict[tuple, int]:
    """{(side, category): number} of a field as `show --json` has it (the first of a kind)."""
    found: dict[tuple, int] = {}
    fact = show["fields"].get(name)
    for figure in fact["figures"] if fact else []:
        if figure["number"] is not None and (item is None or figure["item"] == item):
            found.setdefault((figure["side"], figure["category"]), figure["number"])
    return found


def expected_series(static: Static, name: str) -> dict[str, list[tuple[str, int, bool]]]:
    """The points of a field's figure chart from the change log: its figures at the first
    revision, the figures of items added later, then each figure_changed record (a reverted
    record is a marked point; a value equal to the one shown is no new point)."""
    first = static.sample.revisions[0]
    points: dict[tuple, list[tuple[str, int, bool]]] = defaultdict(list)
    shown: dict[tuple, int | None] = {}

    def add(key: tuple, when: str, number: int, reverted: bool) -> None:
        if shown.get(key) != number:
            points[key].append((when, number, reverted))
        if not reverted:
            shown[key] = number

    for key, number in figures(static.show(first["revid"]), name).items():
        add(key, first["timestamp"], number, False)
    for record in static.sample.changes:
        if record["field"] != name:
            continue
        reverted = record["reverted_by"] is not None
        kind = record["kind"]
        if kind == "figure_changed":
            key = (record["side"], record["category"])
            add(key, record["timestamp"], record["new_number"], reverted)
        elif kind in ("item_added", "field_added"):
            item = record["item"] if kind == "item_added" else None
            for key, number in figures(static.show(record["revid"]), name, item).items():
                add(key, record["timestamp"], number, reverted)
        else:
            raise AssertionError(f"not expected in the sample's figures: {record}")
    return {
        series_name(*key): line
        for key, line in points.items()
        if any(not reverted for _, _, reverted in line)
    }


def chart_points(svg: Node) -> dict[str, list[tuple[str, int, bool]]]:
    return {
        g["data-series"]: [
            (p["data-time"], int(p["data-value"]), p.get("data-reverted") == "true")
            for p in g.iter()
            if "data-time" in p.attrs
        ]
        for g in svg.all("g", "points")
    }


def path_vertices(d: str) -> list[tuple[float, float]]:
    """The corners of a step line "M x y H x V y H x V y … H x"."""
    tokens = re.findall(r"([MHV])\s*(-?[\d.]+)(?:\s+(-?[\d.]+))?", d)
    assert tokens and tokens[0][0] == "M", d
    vertices = [(float(tokens[0][1]), float(tokens[0][2]))]
    x = vertices[0][0]
    for op, a, _ in tokens[1:]:
        if op == "H":
            x = float(a)
        else:
            vertices.append((x, float(a)))
    return vertices


def check_chart(svg: Node, expected: dict[str, list[tuple[str, int, bool]]]) -> None:
    assert svg.get("data-chart") == "line"
    assert chart_points(svg) == expected
    paths = {p["data-series"]: p for p in svg.all("path", "series")}
    assert set(paths) == set(expected)
    for name, path in paths.items():
        group = svg.one("g", "points", data_series=name)
        kept = [(float(c["cx"]), float(c["cy"])) for c in group.all("circle")]
        assert len(kept) == sum(1 for *_, reverted in expected[name] if not reverted)
        assert path_vertices(path["d"]) == kept  # the line goes through the kept points only
        for cross in group.all("path"):
            assert cross.get("data-reverted") == "true"
            x, y = map(float, re.match(r"M(-?[\d.]+) (-?[\d.]+)", cross["d"]).groups())
            assert all(abs(vx - (x + 3.5)) > 0.2 for vx, _ in kept), "a reverted point plotted"
    # the scale is that of the real values: a vandal's number does not flatten the chart
    real = max(v for line in expected.values() for _, v, reverted in line if not reverted)
    ticks = [int(t["data-value"]) for t in svg.one("g", "y-axis").all("text")]
    assert real <= max(ticks) < 2 * real + 10


def as_of_facts(doc: Node) -> dict[str, list[str]]:
    facts = {}
    for tr in doc.one("table", "facts").all("tr"):
        items = tr.one("td").all("li")
        values = [li.text for li in items] if items else [tr.one("td").one("bdi").text]
        facts[tr.one("th").words] = values
    return facts


def show_facts(show: dict[str, Any]) -> dict[str, list[str]]:
    return {
        name: fact["items"] if len(fact["items"]) > 1 else [fact["value"]]
        for name, fact in show["fields"].items()
    }


def change_days(static: Static) -> list[str]:
    """The days with an as-of page: the first visible revision's, and every day on which
    `wikimon changes` has a change."""
    first = min(r["timestamp"] for r in static.sample.revisions if not r["texthidden"])
    return sorted({first[:10], *(c["timestamp"][:10] for c in static.sample.changes)})


def served(static: Static, path: str, query: str = "", method: str = "GET") -> tuple[str, str]:
    return call_app(make_app(str(static.db), load_config(None)), path, method, query)


def timeline_changes(doc: Node) -> list[tuple[str, str, str, bool]]:
    """(day, field, timestamp, reverted) of each change shown, in page order; checks that the
    days are newest first and the reverted changes are struck through in <details>."""
    shown = []
    days = doc.one(id="timeline").all("section", "day")
    assert [d["data-day"] for d in days] == sorted({d["data-day"] for d in days}, reverse=True)
    for day in days:
        assert day.one("h3").one("time")["datetime"] == day["data-day"]
        stamps: dict[bool, list[str]] = {False: [], True: []}
        for li in day.all("li", "change"):
            reverted = "reverted" in li.classes
            assert reverted == li.inside("details")
            if reverted:
                assert li.one("s").one("span", "field")
            stamp = li.one("span", "who").one("time")["datetime"]
            assert stamp.startswith(day["data-day"])
            stamps[reverted].append(stamp)
            shown.append((day["data-day"], li.one("span", "field").words, stamp, reverted))
        for line in stamps.values():
            assert line == sorted(line, reverse=True)  # newest first
        if stamps[True]:
            assert (
                day.one("details", "reverted")
                .one("summary")
                .words.startswith(f"{len(stamps[True])} reverted change")
            )
    return shown


def expected_changes(changes: list[dict[str, Any]]) -> Counter:
    return Counter(
        (c["timestamp"][:10], c["field"], c["timestamp"], c["reverted_by"] is not None)
        for c in changes
    )


def group_of(name: str) -> str:
    """The issue's field groups, spelled out for the sample's fields."""
    if re.fullmatch(r"casualties\d*|notes", name):
        return "casualties"
    if re.fullmatch(r"combatant\d+", name):
        return "combatants"
    if re.fullmatch(r"commander\d+", name):
        return "commanders"
    if name in ("result", "date", "place", "territory"):
        return "outcome"
    return "other"


SCRIPT = "<script>alert(1)</script>"


IMG = '"><img src=x onerror=alert(1)>'


TEXTAREA = "</textarea>"


JS = "javascript:alert(1)"


ARABIC_USER = "مستخدم عربي"


ARABIC_ITEM = "الجيش العربي السوري"


ARABIC_FIELD = "الخسائر"


EVIL_TITLE = 'Evil "quoted" & title javascript:alert(1)'


ALLOWED_TAGS = {
    "html", "head", "meta", "title", "link", "body", "header", "nav", "main", "footer", "script",
    "h1", "h2", "h3", "p", "a", "span", "bdi", "time", "table", "thead", "tbody", "tr", "th",
    "td", "ul", "ol", "li", "section", "details", "summary", "s", "q", "em", "br", "code",
    "figure", "figcaption", "svg", "g", "path", "circle", "rect", "line", "text", "desc",
    "label", "input", "button", "output",  # the as-of date picker, the index's filter box
}  # fmt: skip


def evil_box(killed: str, combatants: str, result: str) -> str:
    # entities survive extraction as the characters they stand for: raw markup in the values
    return (
        "{{Infobox military conflict\n"
        "| conflict = Battle &lt;script&gt;alert(1)&lt;/script&gt; &quot;&gt;&lt;img src=x "
        "onerror=alert(1)&gt; &lt;/textarea&gt;\n"
        f"| combatant1 = {combatants}\n"
        f"| casualties1 = {killed}\n"
        f"| result = {result}\n"
        f"| {ARABIC_FIELD} = {killed}\n"  # names a file: a right-to-left one, and one
        f"| ../../evil/x = {len(killed)}\n"  # that would leave the report's directory if taken
        # literally (it changes, so it has a page)
        "}}\nText."
    )


def import_evil(run, tmp_path: Path) -> None:
    revisions = [
        revision(100, "2024-12-03T01:00:00Z", "Founder",
                 evil_box("10 killed", "Red army", "Ongoing")),
        revision(101, "2024-12-04T02:00:00Z", SCRIPT,
                 evil_box("25 killed &lt;img src=x onerror=alert(1)&gt;",
                          "Red army<br>&lt;/textarea&gt;&lt;script&gt;alert(1)&lt;/script&gt;",
                          "Ongoing"),
                 comment=IMG),
        revision(102, "2024-12-04T03:00:00Z", IMG,
                 evil_box("9,000 killed", "Red army<br>[[javascript:alert(1)|Blue army]]",
                          "[javascript:alert(1) Victory] [[javascript:alert(1)]]"),
                 comment=f"{JS} {TEXTAREA}"),
        revision(103, "2024-12-04T03:05:00Z", "Patroller",
                 evil_box("25 killed &lt;img src=x onerror=alert(1)&gt;",
                          "Red army<br>&lt;/textarea&gt;&lt;script&gt;alert(1)&lt;/script&gt;",
                          "Ongoing"),
                 comment="Reverted edits by " + IMG),
        revision(104, "2024-12-05T04:00:00Z", ARABIC_USER,
                 evil_box("4,000 killed", f"Red army<br>{ARABIC_ITEM}", f"{JS} {TEXTAREA}"),
                 comment="تحديث الخسائر"),
    ]  # fmt: skip
    path = export(tmp_path / "evil.xml", EVIL_TITLE, 4242, revisions)
    result = run("import", "--wiki", "enwiki", str(path))
    assert result.exit_code == 0, result.output


def call_app(app: Callable, path: str, method: str = "GET", query: str = "") -> tuple[str, str]:
    answer: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        answer["status"] = status

    environ = {"PATH_INFO": path, "REQUEST_METHOD": method, "QUERY_STRING": query,
               "HTTP_HOST": "127.0.0.1:8080", "SERVER_PORT": "8080"}  # fmt: skip
    body = b"".join(app(environ, start_response))
    return answer["status"], body.decode("utf-8")


def partial_sample(tmp_path: Path, count: int) -> Path:
    """An export of the sample's first ``count`` revisions."""
    import lzma

    text = lzma.decompress(SAMPLE_HISTORY.read_bytes()).decode("utf-8")
    parts = text.split("</revision>")
    assert len(parts) > count + 1
    path = tmp_path / "first.xml"
    path.write_text("</revision>".join(parts[:count]) + "</revision>\n</page>\n</mediawiki>\n")
    return path


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: str


def fetch(url: str, method: str = "GET") -> Response:
    request = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return Response(reply.status, dict(reply.headers), reply.read().decode("utf-8"))
    except urllib.error.HTTPError as error:
        return Response(error.code, dict(error.headers), error.read().decode("utf-8", "replace"))


def check_headers(response: Response) -> None:
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.fixture(name="report_server")
def report_server_fixture(static: Static) -> Iterator[int]:
    """The report server on the sample, in a thread of this process; its port."""
    server = make_report_server(str(static.db), load_config(None), 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def raw_request(port: int, request: str) -> tuple[str, dict[str, str], bytes]:
    """Send ``request`` as is; (status line, headers, every byte after them)."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        connection.sendall(request.encode("latin-1"))
        data = b""
        while chunk := connection.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status, *lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines)
    return status, headers, body


def start_server(
    wikimon_process: Callable, db: Path, *options: str
) -> tuple[subprocess.Popen, str]:
    """`wikimon serve --port 0 [OPTIONS]` on ``db``, and the URL it prints."""
    proc = wikimon_process("--db", str(db), "serve", "--port", "0", *options)
    lines: queue.Queue[bytes] = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True)
    reader.start()
    try:
        first = lines.get(timeout=60).decode("utf-8")
    except queue.Empty:
        proc.kill()
        pytest.fail(f"wikimon serve printed no URL: {proc.communicate()[1]!r}")
    match = re.search(r"http://127\.0\.0\.1:(\d+)/", first)
    assert match, first
    return proc, match[0]


def stop_server(proc: subprocess.Popen) -> str:
    """Ctrl-C: it stops, cleanly and soon. What it logged (stderr)."""
    assert proc.poll() is None, "serve stopped by itself"
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=20)
    finally:
        proc.kill()
    stderr = proc.stderr.read().decode("utf-8", "replace")
    assert proc.returncode == 0, stderr
    assert "Traceback" not in stderr
    return stderr


SECOND = "Second article"


def import_second(run, tmp_path: Path) -> None:
    box = "{{Infobox military conflict\n| conflict = Second\n| casualties1 = %s killed\n}}"
    revisions = [
        revision(900, "2024-12-05T10:00:00Z", "Someone", box % "5"),
        revision(901, "2024-12-06T10:00:00Z", "Another", box % "7"),
    ]
    path = export(tmp_path / "second.xml", SECOND, 777, revisions)
    assert run("import", "--wiki", "enwiki", str(path)).exit_code == 0
