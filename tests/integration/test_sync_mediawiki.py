"""add / poll / backfill / import against a real MediaWiki 1.39 (tests/mediawiki_fixtures.py).

No part of MediaWiki is mocked: the wiki is the Debian package served by ``php -S`` with a
private SQLite copy of the golden wiki per test. Only the "answers garbage" case uses a stdlib
HTTP server, because a real MediaWiki cannot be made to answer HTML on api.php.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from helpers import DATA, kill_when
from mediawiki_fixtures import (
    ARTICLE,
    LONG_HISTORY,
    LONG_HISTORY_REVISIONS,
    REDIRECT,
    SECOND_ARTICLE,
    TestWiki,
    load_history,
    long_history,
    write_export,
)

from monitor import __version__
from monitor.errors import WikiError
from monitor.sources.api import RetryPolicy, WikiClient
from monitor.sources.sync import BackfillResult, add_configured, backfill_page
from storage import Store

pytestmark = pytest.mark.mediawiki

CONTACT = "tests@example.org"
USER_AGENT = f"wikimon/{__version__} ({CONTACT})"
ARTICLE_REVIDS = list(range(2, 32))  # the 30 imported revisions, page id 2
ARTICLE_PAGE_ID = 2
SECOND_PAGE_ID = 3
LONG_PAGE_ID = 5
LONG_REVIDS = list(range(36, 36 + LONG_HISTORY_REVISIONS))
FAST_HTTP = {"max_tries": 2, "backoff": 0.05}  # a stopped wiki fails in ~0.1 s, not ~30 s


# --- helpers ---------------------------------------------------------------------------------


def write_config(tmp_path: Path, api_url: str, http: dict[str, Any] | None = None) -> Path:
    lines = [f"contact: {CONTACT}", "wikis:", "  local:", f"    api: {api_url}"]
    if http:
        lines.append("http:")
        lines += [f"  {key}: {value}" for key, value in http.items()]
    path = tmp_path / "config.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def cfg(tmp_path: Path, mediawiki: TestWiki) -> Path:
    return write_config(tmp_path, mediawiki.api_url)


def ok(result) -> str:
    assert result.exit_code == 0, result.output
    assert result.stderr == "", result.stderr
    return result.stdout


def one_line(stderr: str, prefix: str = "Error: ") -> str:
    """The single line of ``stderr``; fails on tracebacks and multi-line messages."""
    assert "Traceback" not in stderr, stderr
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith(prefix), stderr
    return lines[0]


def stored_json(run, title: str, cfg: Path, db: Path | None = None) -> list[dict[str, Any]]:
    kwargs = {"db": db} if db is not None else {}
    return json.loads(ok(run("revisions", "--json", title, config=cfg, **kwargs)))


def wiki_rows(wiki_revisions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The API's revisions in the shape of `wikimon revisions --json`."""
    return [
        {
            "revid": r["revid"],
            "parent_revid": r["parentid"] or None,
            "timestamp": r["timestamp"],
            "user": r["user"],
            "comment": r["comment"],
            "minor": r["minor"],
            "size": r["size"],
            "sha1": r["sha1"],
            "texthidden": False,
            "userhidden": False,
            "commenthidden": False,
        }
        for r in wiki_revisions
    ]


def texts(db: Path, title: str) -> dict[int, bytes | None]:
    store = Store(db)
    try:
        (page,) = store.find_pages(title)
        return {row.revid: store.text(page, row.revid) for row in store.revisions(page)}
    finally:
        store.close()


def history_complete(db: Path, title: str = ARTICLE) -> int:
    """The stored flag that says the whole history of ``title`` is stored."""
    store = Store(db)
    try:
        (page,) = store.find_pages(title)
        return store.sync_state(page).history_complete
    finally:
        store.close()


def snapshot(db: Path) -> dict[str, list[tuple]]:
    """Everything stored except timestamps of the last poll and its error (read-only)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return {
            table: conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
            for table in ("wikis", "pages", "page_titles", "revisions")
        } | {
            "sync_state": conn.execute(
                "SELECT page, backfill_cursor, backfill_stop, backfill_since, history_complete "
                "FROM sync_state ORDER BY page"
            ).fetchall()
        }
    finally:
        conn.close()


def count_revisions(db: Path) -> int:
    """How many revisions a running wikimon has committed so far (0 while it creates the
    database: a read-only connection cannot open it before it exists in WAL mode)."""
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    except sqlite3.OperationalError:
        return 0
    try:
        return conn.execute("SELECT COUNT(*) FROM revisions").fetchone()[0]
    except sqlite3.OperationalError:  # no revisions table yet
        return 0
    finally:
        conn.close()


def last_error(db: Path) -> list[tuple]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute(
            "SELECT p.title, s.last_error FROM sync_state s JOIN pages p ON p.id = s.page "
            "ORDER BY p.title"
        ).fetchall()
    finally:
        conn.close()


# --- 1. backfill from nothing ------------------------------------------------------------------


def test_backfill_stores_the_whole_history_byte_for_byte(
    mediawiki: TestWiki, run, cfg: Path, db_path: Path
) -> None:
    wiki = mediawiki.revisions(ARTICLE, anonymous=True)
    assert [r["revid"] for r in wiki] == ARTICLE_REVIDS

    out = ok(run("backfill", ARTICLE, config=cfg))
    assert out == f"local: {ARTICLE!r}: 29 older revisions stored, 0 newer; 30 in all.\n"

    assert stored_json(run, ARTICLE, cfg) == wiki_rows(wiki)
    stored = texts(db_path, ARTICLE)
    assert list(stored) == ARTICLE_REVIDS
    assert [stored[r["revid"]] for r in wiki] == [r["content"].encode("utf-8") for r in wiki]
    # the exact bytes come back out of the CLI too
    result = run("wikitext", ARTICLE, "--rev", "17", config=cfg)
    assert result.exit_code == 0
    assert result.stdout_bytes == wiki[15]["content"].encode("utf-8")
    # the IP edit is marked anonymous
    store = Store(db_path)
    try:
        (page,) = store.find_pages(ARTICLE)
        assert page.page_id == ARTICLE_PAGE_ID
        assert [r.revid for r in store.revisions(page) if r.anon] == [18]
        assert store.sync_state(page).history_complete is True
        assert store.sync_state(page).backfill_cursor is None
    finally:
        store.close()

    # a second backfill has nothing to do
    out = ok(run("backfill", ARTICLE, config=cfg))
    assert out == f"local: {ARTICLE!r}: 0 older revisions stored, 0 newer; 30 in all.\n"


# --- 2. XML export and API agree --------------------------------------------------------------


def test_xml_import_and_api_backfill_store_the_same_history(
    mediawiki: TestWiki, run, cfg: Path, tmp_path: Path
) -> None:
    xml_db, api_db = tmp_path / "xml.db", tmp_path / "api.db"
    result = run("import", str(DATA / "wiki-history.xml.gz"), "--wiki", "local",
                 config=cfg, db=xml_db)  # fmt: skip
    assert result.exit_code == 0, result.output
    ok(run("backfill", ARTICLE, config=cfg, db=api_db))

    def history(db: Path) -> list[tuple]:
        rows = stored_json(run, ARTICLE, cfg, db)
        text = texts(db, ARTICLE)
        return [(r["timestamp"], r["sha1"], text[r["revid"]]) for r in rows]

    from_xml, from_api = history(xml_db), history(api_db)
    assert len(from_xml) == 30
    assert from_xml == from_api
    assert [t for _, _, t in from_api] == [r["text"].encode("utf-8") for r in load_history()]
    # the export keeps enwiki's revids; importDump renumbered them 2..31
    xml_revids = [r["revid"] for r in stored_json(run, ARTICLE, cfg, xml_db)]
    assert xml_revids == [r["id"] for r in load_history()]
    assert xml_revids != ARTICLE_REVIDS


# --- 3. add, then poll ------------------------------------------------------------------------


def test_add_then_poll_stores_exactly_the_new_revisions(
    mediawiki: TestWiki, run, cfg: Path, db_path: Path
) -> None:
    out = ok(run("add", ARTICLE, config=cfg))
    assert out.splitlines()[0] == (
        f"Tracking {ARTICLE!r} on local (page id {ARTICLE_PAGE_ID}): "
        "1 revision stored (the current one)."
    )
    assert [r["revid"] for r in stored_json(run, ARTICLE, cfg)] == [31]

    edits = [f"Edit number {i} of the test." for i in (1, 2, 3)]
    new = [mediawiki.edit(ARTICLE, text, summary=f"edit {i}") for i, text in enumerate(edits)]
    assert new == [166, 167, 168]

    out = ok(run("poll", "-v", config=cfg))
    # the first edit replaced the article and its infobox of 23 fields: all removed (its
    # image size, width and alt text are presentation, no facts)
    assert out == (
        f"local: {ARTICLE!r}: 3 new revisions (166 … 168), 23 changes in the facts\n"
        "1 article checked: 3 new revisions in 1 article, 23 changes in the facts\n"
    )
    stored = stored_json(run, ARTICLE, cfg)
    assert [r["revid"] for r in stored] == [31, 166, 167, 168]
    assert stored[1:] == wiki_rows(mediawiki.revisions(ARTICLE)[30:])
    assert [stored[i]["parent_revid"] for i in (1, 2, 3)] == [31, 166, 167]
    text = texts(db_path, ARTICLE)
    assert [text[r] for r in new] == [t.encode() for t in edits]

    before = snapshot(db_path)
    out = ok(run("poll", config=cfg))
    assert out == "1 article checked: 0 new revisions, 0 changes in the facts\n"
    assert snapshot(db_path) == before


# --- 4. one prop=info request for all tracked pages; polite requests ---------------------------


def test_poll_batches_change_detection_and_is_polite(mediawiki: TestWiki, run, cfg: Path) -> None:
    seen = len(mediawiki.api_requests())  # the fixture's own start-up check
    ok(run("add", ARTICLE, config=cfg))
    ok(run("add", SECOND_ARTICLE, config=cfg))
    adds = mediawiki.api_requests()[seen:]
    # each add: prop=info for the title, then its current revision; the first add on a
    # wiki also learns its title rules (meta=siteinfo in the same request), once
    assert [(r["params"].get("prop"), r["params"].get("meta"),
             r["params"].get("titles", r["params"].get("pageids"))) for r in adds] == [
        ("info", "siteinfo", ARTICLE), ("revisions", None, str(ARTICLE_PAGE_ID)),
        ("info", None, SECOND_ARTICLE), ("revisions", None, str(SECOND_PAGE_ID)),
    ]  # fmt: skip
    assert {(r["ua"], r["params"]["maxlag"]) for r in adds} == {(USER_AGENT, "5")}
    new = mediawiki.edit(SECOND_ARTICLE, "Changed.", summary="change")
    assert new == 166
    seen = len(mediawiki.api_requests())

    out = ok(run("poll", config=cfg))
    assert out == "2 articles checked: 1 new revision in 1 article, 3 changes in the facts\n"
    requests = mediawiki.api_requests()[seen:]
    assert [r["ua"] for r in requests] == [USER_AGENT] * len(requests)
    assert all(r["method"] == "GET" for r in requests)
    assert all(r["params"]["maxlag"] == "5" for r in requests)
    assert all(r["params"]["format"] == "json" for r in requests)
    info = [r["params"] for r in requests if r["params"].get("prop") == "info"]
    assert len(info) == 1
    assert info[0]["pageids"] == f"{ARTICLE_PAGE_ID}|{SECOND_PAGE_ID}"
    fetched = [r["params"] for r in requests if r["params"].get("prop") == "revisions"]
    assert [p["pageids"] for p in fetched] == [str(SECOND_PAGE_ID)]
    assert len(requests) == 2
    assert [r["revid"] for r in stored_json(run, SECOND_ARTICLE, cfg)] == [34, 166]
    assert [r["revid"] for r in stored_json(run, ARTICLE, cfg)] == [31]

    # backfill is as polite: the older revisions (one request of 50), then newer ones
    seen = len(mediawiki.api_requests())
    ok(run("backfill", ARTICLE, config=cfg))
    requests = mediawiki.api_requests()[seen:]
    assert [(r["params"]["prop"], r["params"]["pageids"], r["params"]["rvlimit"],
             r["params"].get("rvstart")) for r in requests] == [
        ("revisions", str(ARTICLE_PAGE_ID), "50", None),
        ("revisions", str(ARTICLE_PAGE_ID), "50", "2024-11-28T08:40:00Z"),
    ]  # fmt: skip
    assert {(r["ua"], r["params"]["maxlag"]) for r in requests} == {(USER_AGENT, "5")}


# --- 5. revision deletion -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "hide",
    [
        {"text": True},
        {"text": False, "user": True, "comment": True},
    ],
    ids=["text", "user+comment"],
)
def test_backfill_keeps_revision_deleted_parts_out(
    mediawiki: TestWiki, run, cfg: Path, db_path: Path, hide: dict[str, bool]
) -> None:
    hidden = 10
    wiki = {r["revid"]: r for r in mediawiki.revisions(ARTICLE)}  # before hiding: as Admin
    mediawiki.hide_revision(hidden, **hide)

    ok(run("backfill", ARTICLE, config=cfg))
    rows = {r["revid"]: r for r in stored_json(run, ARTICLE, cfg)}
    assert list(rows) == ARTICLE_REVIDS
    row = rows.pop(hidden)
    stored = texts(db_path, ARTICLE)
    if hide["text"]:
        assert (row["texthidden"], row["userhidden"], row["commenthidden"]) == (True, False, False)
        assert stored.pop(hidden) is None
        assert row["sha1"] is None
        assert (row["user"], row["comment"]) == (wiki[hidden]["user"], wiki[hidden]["comment"])
        before = snapshot(db_path)
        result = run("wikitext", ARTICLE, "--rev", str(hidden), config=cfg)
        assert snapshot(db_path) == before
        assert result.exit_code == 1
        assert result.stdout == ""
        assert one_line(result.stderr) == (
            f"Error: revision {hidden} of {ARTICLE!r} is revision-deleted: no text"
        )
    else:
        assert (row["texthidden"], row["userhidden"], row["commenthidden"]) == (False, True, True)
        assert (row["user"], row["comment"]) == (None, None)
        assert stored.pop(hidden) == wiki[hidden]["content"].encode("utf-8")
        assert row["sha1"] == wiki[hidden]["sha1"]
        table = ok(run("revisions", ARTICLE, config=cfg))
        (line,) = [x for x in table.splitlines() if x.startswith(f"{hidden} ")]
        assert line.count("(hidden)") == 2
    # every other revision is intact
    assert rows == {r: w for r, w in zip(ARTICLE_REVIDS, wiki_rows(list(wiki.values())),
                                         strict=True) if r != hidden}  # fmt: skip
    assert stored == {r: w["content"].encode("utf-8") for r, w in wiki.items() if r != hidden}


# --- 6. page moves ------------------------------------------------------------------------------


def test_poll_follows_a_move_by_page_id(mediawiki: TestWiki, run, cfg: Path, db_path: Path) -> None:
    new_title = "Syrian opposition offensives of 2024"
    ok(run("add", ARTICLE, config=cfg))
    mediawiki.move(ARTICLE, new_title, reason="better title")
    null_revision = mediawiki.revisions(new_title)[-1]
    assert null_revision["revid"] == 166

    out = ok(run("poll", config=cfg))
    assert out == (
        f"local: {new_title!r}: moved from {ARTICLE!r}\n"
        "1 article checked: 1 new revision in 1 article, 0 changes in the facts\n"
    )
    status = json.loads(ok(run("status", "--json", config=cfg)))
    assert [(s["title"], s["page_id"], s["revisions"], s["last_revid"]) for s in status] == [
        (new_title, ARTICLE_PAGE_ID, 2, 166)
    ]
    # the null revision: same text as before, a comment naming both titles
    stored = stored_json(run, new_title, cfg)
    assert stored[-1] == wiki_rows([null_revision])[0]
    assert stored[-1]["parent_revid"] == 31
    assert f"[[{ARTICLE}]]" in stored[-1]["comment"] and f"[[{new_title}]]" in stored[-1]["comment"]
    text = texts(db_path, new_title)
    assert text[166] == text[31] == null_revision["content"].encode("utf-8")
    # the old title still finds the page
    assert stored_json(run, ARTICLE, cfg) == stored
    store = Store(db_path)
    try:
        (page,) = store.find_pages(ARTICLE)
        assert [title for title, _ in store.title_history(page)] == [ARTICLE, new_title]
    finally:
        store.close()
    # and the redirect left behind on the wiki is not tracked
    assert ok(run("poll", "-v", config=cfg)) == (
        f"local: {new_title!r}: no new revisions\n"
        "1 article checked: 0 new revisions, 0 changes in the facts\n"
    )


# --- 7. redirects, missing and invalid titles ----------------------------------------------------


def test_add_refuses_redirects_missing_and_invalid_titles(
    mediawiki: TestWiki, run, cfg: Path, db_path: Path
) -> None:
    def stored() -> dict[str, list[tuple]]:
        tables = snapshot(db_path)
        assert [row[:2] for row in tables.pop("wikis")] == [("local", mediawiki.api_url)]
        return tables

    empty = {"pages": [], "page_titles": [], "revisions": [], "sync_state": []}

    result = run("add", REDIRECT, config=cfg)
    assert result.exit_code == 1
    assert result.stdout == ""
    line = one_line(result.stderr)
    assert REDIRECT in line
    assert f"wikimon add '{ARTICLE}'" in line
    assert stored() == empty

    result = run("add", "No such page xyz", config=cfg)
    assert result.exit_code == 1
    line = one_line(result.stderr)
    assert "'No such page xyz'" in line and "has no page" in line
    assert stored() == empty

    result = run("add", "Bad[[title]]", config=cfg)
    assert result.exit_code == 1
    assert "'Bad[[title]]'" in one_line(result.stderr)
    assert stored() == empty

    # rejected by MediaWiki itself, not by wikimon's own title check
    result = run("add", "Percent %41 encoded", config=cfg)
    assert result.exit_code == 1
    line = one_line(result.stderr)
    assert "'Percent %41 encoded' is not a valid title on local" in line
    assert stored() == empty


@pytest.mark.parametrize(
    ("title", "message"),
    [
        (
            "Special:Random",
            "'Special:Random' is a special page on local ({url}): the wiki generates it and it "
            "has no revisions to track; add an article instead",
        ),
        (
            "Media:Foo.png",
            "'Media:Foo.png' is a special page on local ({url}): the wiki generates it and it "
            "has no revisions to track; add an article instead",
        ),
        (
            "wikipedia:Foo",
            "'Wikipedia:Foo' is a link to another wiki (interwiki prefix 'wikipedia'), not a "
            "page on local ({url}); to track it, add that wiki to the config's wikis: and use "
            "--wiki",
        ),
    ],
    ids=["special", "media", "interwiki"],
)
@pytest.mark.parametrize("command", ["add", "backfill"])
def test_special_pages_and_interwiki_links_are_refused_in_one_line(
    mediawiki: TestWiki, run, cfg: Path, db_path: Path, command: str, title: str, message: str
) -> None:
    result = run(command, title, config=cfg)
    assert (result.exit_code, result.stdout) == (1, "")
    assert one_line(result.stderr) == "Error: " + message.format(url=mediawiki.api_url)
    tables = snapshot(db_path)
    assert (tables["pages"], tables["revisions"], tables["sync_state"]) == ([], [], [])


# --- 8. deleted pages ---------------------------------------------------------------------------


def test_a_deleted_page_is_reported_once_and_a_recreated_one_is_tracked_anew(
    mediawiki: TestWiki, run, cfg: Path, db_path: Path
) -> None:
    ok(run("add", ARTICLE, config=cfg))
    ok(run("add", SECOND_ARTICLE, config=cfg))
    mediawiki.delete_page(ARTICLE, reason="test")
    assert mediawiki.edit(SECOND_ARTICLE, "Still here.") == 166  # deleting made no revision
    before = stored_json(run, ARTICLE, cfg)
    assert [r["revid"] for r in before] == [31]

    result = run("poll", config=cfg)
    assert result.exit_code == 1
    assert result.stdout == (
        "2 articles checked: 1 new revision in 1 article, 3 changes in the facts\n"
    )
    line = one_line(result.stderr, "Warning: ")
    assert line == (
        f"Warning: local: {ARTICLE!r} (page id {ARTICLE_PAGE_ID}) no longer exists on the wiki "
        "(deleted?); its history is kept and it is no longer tracked"
    )
    assert stored_json(run, ARTICLE, cfg) == before
    assert texts(db_path, ARTICLE)[31] is not None
    assert last_error(db_path) == [(ARTICLE, line.removeprefix("Warning: ")),
                                   (SECOND_ARTICLE, None)]  # fmt: skip
    status = json.loads(ok(run("status", "--json", config=cfg)))
    assert [(s["title"], s["page_id"], s["tracked"]) for s in status] == [
        (ARTICLE, ARTICLE_PAGE_ID, False),
        (SECOND_ARTICLE, SECOND_PAGE_ID, True),
    ]

    # said once: the next poll no longer asks about it
    seen = len(mediawiki.api_requests())
    assert ok(run("poll", config=cfg)) == (
        "1 article checked: 0 new revisions, 0 changes in the facts\n"
    )
    (request,) = mediawiki.api_requests()[seen:]
    assert request["params"]["pageids"] == str(SECOND_PAGE_ID)

    # re-created on the wiki: a new page with a new page id, under the same title
    new_revid = mediawiki.edit(ARTICLE, "new text", summary="re-created")
    new_page_id = mediawiki.page_id(ARTICLE)
    assert new_page_id not in (None, ARTICLE_PAGE_ID)
    out = ok(run("add", ARTICLE, config=cfg))
    assert out.splitlines()[0] == (
        f"Tracking {ARTICLE!r} on local (page id {new_page_id}): 1 revision stored "
        "(the current one)."
    )
    result = run("wikitext", ARTICLE, config=cfg)
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout_bytes == b"new text"
    assert [r["revid"] for r in stored_json(run, ARTICLE, cfg)] == [new_revid]
    assert ok(run("poll", "--verbose", config=cfg)) == (
        f"local: {ARTICLE!r}: no new revisions\nlocal: {SECOND_ARTICLE!r}: no new revisions\n"
        "2 articles checked: 0 new revisions, 0 changes in the facts\n"
    )
    # both pages are kept: the deleted one with its history, no longer tracked
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        rows = conn.execute(
            "SELECT page_id, tracked, deleted_at IS NOT NULL, "
            "(SELECT GROUP_CONCAT(revid) FROM revisions WHERE page = pages.id) "
            "FROM pages WHERE title = ? ORDER BY page_id",
            [ARTICLE],
        ).fetchall()
    finally:
        conn.close()
    assert rows == [(ARTICLE_PAGE_ID, 0, 1, "31"), (new_page_id, 1, 0, str(new_revid))]


# --- 9. unreachable wiki, garbage answers ---------------------------------------------------------


def test_unreachable_wiki_is_one_line_and_changes_nothing(
    mediawiki: TestWiki, run, tmp_path: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = write_config(tmp_path, mediawiki.api_url, http={"max_tries": 2, "backoff": 7})
    ok(run("add", ARTICLE, config=cfg))
    before = snapshot(db_path)
    mediawiki.stop()
    sleeps: list[float] = []
    with monkeypatch.context() as patch:
        patch.setattr(time, "sleep", sleeps.append)  # recorded, not slept
        result = run("poll", config=cfg)
    # http: max_tries and backoff from the config apply: one wait of 7 s ± 20 % jitter
    assert len(sleeps) == 1 and 5.6 <= sleeps[0] <= 8.4, sleeps
    assert result.exit_code == 1
    assert result.stdout == ""
    assert one_line(result.stderr) == (
        f"Error: {mediawiki.api_url}: cannot connect (ConnectionError) after 2 tries; "
        "is the wiki reachable? Try again later"
    )
    assert snapshot(db_path) == before
    assert last_error(db_path) == [(ARTICLE, one_line(result.stderr).removeprefix("Error: "))]

    mediawiki.start()
    new = mediawiki.edit(ARTICLE, "Back again.")
    result = run("poll", "-v", config=cfg)
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == (
        f"local: {ARTICLE!r}: 1 new revision ({new}), 23 changes in the facts\n"
        "1 article checked: 1 new revision in 1 article, 23 changes in the facts\n"
    )
    assert last_error(db_path) == [(ARTICLE, None)]


class _HTMLHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 -- http.server's naming
        body = b"<!DOCTYPE html>\n<html><body><h1>Welcome to nginx!</h1></body></html>\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def html_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _HTMLHandler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/w/api.php"
    finally:
        server.shutdown()
        server.server_close()


def test_a_url_that_answers_html_is_one_line(
    html_server: str, wikimon_process, tmp_path: Path, db_path: Path
) -> None:
    cfg = write_config(tmp_path, html_server)
    proc = wikimon_process("--config", str(cfg), "--db", str(db_path), "add", ARTICLE)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1
    assert out == b""
    line = one_line(err.decode())
    assert line.startswith(f"Error: {html_server} did not answer with MediaWiki API JSON")
    assert "<!DOCTYPE html>" in line
    assert snapshot(db_path)["pages"] == []
    assert snapshot(db_path)["revisions"] == []


# --- 10. maxlag ---------------------------------------------------------------------------------


def test_maxlag_is_retried_after_retry_after(mediawiki: TestWiki) -> None:
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        mediawiki.fake_lag(None)  # replication caught up while we waited

    mediawiki.fake_lag(7)
    seen = len(mediawiki.api_requests())
    client = WikiClient(mediawiki.api_url, CONTACT, RetryPolicy(max_tries=3, backoff=0.01), sleep)
    query = client.page_info(titles=[ARTICLE])
    assert [(p["pageid"], p["title"], p["lastrevid"]) for p in query["pages"]] == [
        (ARTICLE_PAGE_ID, ARTICLE, 31)
    ]
    assert sleeps == [5.0]  # MediaWiki's Retry-After: 5 wins over the 0.01 s backoff
    requests = mediawiki.api_requests()[seen:]
    assert [(r["params"]["maxlag"], r["params"]["titles"], r["ua"]) for r in requests] == [
        ("5", ARTICLE, USER_AGENT)
    ] * 2


def test_persistent_maxlag_gives_up_after_max_tries(mediawiki: TestWiki) -> None:
    sleeps: list[float] = []
    mediawiki.fake_lag(7)
    seen = len(mediawiki.api_requests())
    client = WikiClient(
        mediawiki.api_url, CONTACT, RetryPolicy(max_tries=2, backoff=0.01), sleeps.append
    )
    with pytest.raises(WikiError) as error:
        client.page_info(titles=[ARTICLE])
    assert str(error.value) == (
        f"{mediawiki.api_url} reports replication lag above 5 s after 2 tries; try again later"
    )
    assert sleeps == [5.0]
    assert len(mediawiki.api_requests()) - seen == 2


# --- 11. kill -9 in the middle of a backfill ----------------------------------------------------


def resume_long_history_backfill(wikimon_process, base: list[str], stored_at_kill: int) -> None:
    """Run the interrupted backfill again: it says it resumed and stores exactly the rest."""
    proc = wikimon_process(*base, "backfill", LONG_HISTORY)
    out, err = proc.communicate(timeout=60)
    assert (proc.returncode, err) == (0, b"")
    added = LONG_HISTORY_REVISIONS - stored_at_kill
    assert out.decode() == (
        f"local: {LONG_HISTORY!r}: {added} older revisions stored (resumed), 0 newer; "
        f"{LONG_HISTORY_REVISIONS} in all.\n"
    )


def test_backfill_killed_mid_run_resumes_without_gaps_or_duplicates(
    mediawiki: TestWiki, wikimon_process, cfg: Path, db_path: Path
) -> None:
    base = ["--config", str(cfg), "--db", str(db_path)]
    mediawiki.slow_api(400)  # each request takes 0.4 s: the kill lands between batches
    proc = wikimon_process(*base, "backfill", LONG_HISTORY)
    kill_when(proc, db_path, "SELECT COUNT(*) FROM revisions", 50)
    store = Store(db_path)  # what the killed process committed
    try:
        (page,) = store.find_pages(LONG_HISTORY)
        stored_at_kill = store.revision_count(page)
        assert store.sync_state(page).backfill_cursor is not None  # really mid-backfill
    finally:
        store.close()
    assert stored_at_kill in (51, 101)  # the current revision, then 50 per request

    mediawiki.slow_api(None)
    resume_long_history_backfill(wikimon_process, base, stored_at_kill)

    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        revids = [r for (r,) in conn.execute("SELECT revid FROM revisions ORDER BY timestamp")]
    finally:
        conn.close()
    assert revids == LONG_REVIDS  # every revision once, none missing
    stored = texts(db_path, LONG_HISTORY)
    assert list(stored.values()) == [r["text"].encode() for r in long_history()]
    wiki = mediawiki.revisions(LONG_HISTORY)
    rows = [(r["revid"], r["timestamp"], r["user"], r["comment"]) for r in wiki]
    store = Store(db_path)
    try:
        (page,) = store.find_pages(LONG_HISTORY)
        assert page.page_id == LONG_PAGE_ID
        assert [(r.revid, r.timestamp, r.user, r.comment) for r in store.revisions(page)] == rows
        state = store.sync_state(page)
        assert (state.backfill_cursor, state.history_complete) == (None, True)
    finally:
        store.close()


# --- 12. backfill --since, then the rest ---------------------------------------------------


def test_backfill_since_then_plain_backfill_completes_the_history(
    mediawiki: TestWiki, run, cfg: Path, db_path: Path
) -> None:
    wiki = mediawiki.revisions(ARTICLE)
    out = ok(run("backfill", ARTICLE, "--since", "2024-11-28", config=cfg))
    assert out == f"local: {ARTICLE!r}: 7 older revisions stored, 0 newer; 8 in all.\n"
    stored = stored_json(run, ARTICLE, cfg)
    assert [r["revid"] for r in stored] == list(range(24, 32))
    assert stored[0]["timestamp"] == "2024-11-28T00:05:12Z"
    assert history_complete(db_path) == 0

    out = ok(run("backfill", ARTICLE, config=cfg))
    assert out == f"local: {ARTICLE!r}: 22 older revisions stored, 0 newer; 30 in all.\n"
    assert stored_json(run, ARTICLE, cfg) == wiki_rows(wiki)
    stored_texts = texts(db_path, ARTICLE)
    assert list(stored_texts) == ARTICLE_REVIDS
    assert list(stored_texts.values()) == [r["content"].encode("utf-8") for r in wiki]
    assert history_complete(db_path) == 1


def test_interrupted_backfill_since_is_finished_then_a_plain_backfill_goes_on(
    mediawiki: TestWiki, wikimon_process, cfg: Path, db_path: Path
) -> None:
    base = ["--config", str(cfg), "--db", str(db_path)]
    since = long_history()[20]["timestamp"]  # 110 revisions from here: three requests
    mediawiki.slow_api(400)
    proc = wikimon_process(*base, "backfill", LONG_HISTORY, "--since", since)
    kill_when(proc, db_path, "SELECT COUNT(*) FROM revisions", 50)
    stored_at_kill = count_revisions(db_path)
    assert stored_at_kill in (51, 101)
    mediawiki.slow_api(None)

    # A plain backfill first finishes the interrupted --since run, then fetches the rest.
    resume_long_history_backfill(wikimon_process, base, stored_at_kill)
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        revids = [r for (r,) in conn.execute("SELECT revid FROM revisions ORDER BY timestamp")]
        complete = conn.execute("SELECT history_complete FROM sync_state").fetchone()[0]
    finally:
        conn.close()
    assert revids == LONG_REVIDS and complete == 1


def test_poll_reports_a_tracked_page_that_became_a_redirect(
    mediawiki: TestWiki, run, cfg: Path, db_path: Path
) -> None:
    ok(run("add", ARTICLE, config=cfg))
    revid = mediawiki.edit(ARTICLE, "#REDIRECT [[Second article]]", "merge")
    result = run("poll", "-v", config=cfg)
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"local: {ARTICLE!r}: 1 new revision ({revid}), 23 changes in the facts\n"
        "1 article checked: 1 new revision in 1 article, 23 changes in the facts\n"
    )
    assert result.stderr == (
        f"Warning: local: {ARTICLE!r} is now a redirect to 'Second article'; its history is "
        "kept. To follow the article: wikimon add 'Second article'\n"
    )
    store = Store(db_path)
    try:
        (page,) = store.find_pages(ARTICLE)
        assert page.redirect_to == "Second article"
        assert store.text(page, revid) == b"#REDIRECT [[Second article]]"
    finally:
        store.close()
    # said once, not at every poll
    assert run("poll", config=cfg).stderr == ""


# --- 13. gaps in the stored history -----------------------------------------------------------


def import_slice(
    run, mediawiki: TestWiki, cfg: Path, tmp_path: Path, revids: list[int]
) -> list[dict[str, Any]]:
    """Import, as an XML export, only the revisions ``revids`` of the article (the wiki's
    own revids, parent ids and text). Returns all of the article's revisions on the wiki."""
    wiki = mediawiki.revisions(ARTICLE)
    export = write_export(
        tmp_path / "slice.xml", ARTICLE, ARTICLE_PAGE_ID, [r for r in wiki if r["revid"] in revids]
    )
    result = run("import", str(export), "--wiki", "local", config=cfg)
    assert (result.exit_code, result.stderr) == (0, ""), result.output
    return wiki


def test_backfill_fills_the_gap_between_two_imported_slices(
    mediawiki: TestWiki, run, cfg: Path, db_path: Path, tmp_path: Path
) -> None:
    ok(run("add", ARTICLE, config=cfg))  # the newest: 31
    sliced = [*range(2, 11), *range(21, 31)]  # 11..20 are missing
    wiki = import_slice(run, mediawiki, cfg, tmp_path, sliced)
    assert [r["revid"] for r in stored_json(run, ARTICLE, cfg)] == [*sliced, 31]
    by_revid = {r["revid"]: r for r in wiki}

    seen = len(mediawiki.api_requests())
    out = ok(run("backfill", ARTICLE, config=cfg))
    assert out == f"local: {ARTICLE!r}: 10 older revisions stored, 0 newer; 30 in all.\n"
    # every revision once, in order, byte for byte
    assert stored_json(run, ARTICLE, cfg) == wiki_rows(wiki)
    stored = texts(db_path, ARTICLE)
    assert list(stored) == ARTICLE_REVIDS
    assert list(stored.values()) == [r["content"].encode("utf-8") for r in wiki]
    # the history before the earliest stored revision (none: 2 is the first), then the gap as
    # one time range from the revision before it to the one after it, then newer revisions
    requests = [r["params"] for r in mediawiki.api_requests()[seen:]]
    assert [(p.get("pageids"), p.get("revids"), p.get("rvstart"), p.get("rvend"), p["rvlimit"])
            for p in requests] == [
        (str(ARTICLE_PAGE_ID), None, None, None, "50"),
        (str(ARTICLE_PAGE_ID), None, by_revid[10]["timestamp"], by_revid[21]["timestamp"], "50"),
        (str(ARTICLE_PAGE_ID), None, by_revid[31]["timestamp"], None, "50"),
    ]  # fmt: skip
    assert {(p["rvslots"], "content" in p["rvprop"].split("|")) for p in requests} == {
        ("main", True)
    }
    assert history_complete(db_path) == 1
    # nothing left to do
    out = ok(run("backfill", ARTICLE, config=cfg))
    assert out == f"local: {ARTICLE!r}: 0 older revisions stored, 0 newer; 30 in all.\n"


def test_backfill_gives_up_a_deleted_parent_once_and_leaves_history_incomplete(
    mediawiki: TestWiki, run, cfg: Path, db_path: Path, tmp_path: Path
) -> None:
    ok(run("add", ARTICLE, config=cfg))
    sliced = [*range(2, 11), *range(21, 31)]
    wiki = import_slice(run, mediawiki, cfg, tmp_path, sliced)
    # revision 15 is deleted from the page's history: restore everything else
    mediawiki.delete_page(ARTICLE)
    mediawiki.undelete(ARTICLE, [r["timestamp"] for r in wiki if r["revid"] != 15])
    assert [r["revid"] for r in mediawiki.revisions(ARTICLE)] == [
        r for r in ARTICLE_REVIDS if r != 15
    ]
    assert mediawiki.page_id(ARTICLE) == ARTICLE_PAGE_ID
    by_revid = {r["revid"]: r for r in wiki}

    def backfill() -> tuple[BackfillResult, list[dict[str, str]]]:
        store = Store(db_path)
        try:
            (page,) = store.find_pages(ARTICLE)
            seen = len(mediawiki.api_requests())
            client = WikiClient(mediawiki.api_url, CONTACT, RetryPolicy(max_tries=1))
            result = backfill_page(store, client, page)
            state = store.sync_state(page)
            assert (state.history_complete, state.backfill_cursor) == (False, None)
            requests = [r["params"] for r in mediawiki.api_requests()[seen:]]
            return result, requests
        finally:
            store.close()

    def asked(requests: list[dict[str, str]]) -> list[tuple]:
        return [(p.get("revids"), p.get("rvstart"), p.get("rvend")) for p in requests]

    result, requests = backfill()
    assert (result.added, result.gaps_filled, result.unavailable) == (9, 9, [15])
    assert asked(requests) == [
        (None, None, None),  # before the earliest stored revision: nothing
        (None, by_revid[10]["timestamp"], by_revid[21]["timestamp"]),  # the gap 11..20
        ("15", None, None),  # 16's parent, not in the wiki's history: asked for once
        (None, by_revid[31]["timestamp"], None),  # newer revisions
    ]
    assert [r["revid"] for r in stored_json(run, ARTICLE, cfg)] == [
        r for r in ARTICLE_REVIDS if r != 15
    ]
    assert stored_json(run, ARTICLE, cfg) == wiki_rows([r for r in wiki if r["revid"] != 15])

    # a second run asks again (the wiki might have restored it), once, and stores nothing
    result, requests = backfill()
    assert (result.added, result.gaps_filled, result.unavailable) == (0, 0, [15])
    assert asked(requests) == [
        (None, None, None),
        (None, by_revid[14]["timestamp"], by_revid[16]["timestamp"]),
        ("15", None, None),
        (None, by_revid[31]["timestamp"], None),
    ]


# --- 14. articles listed in the config -------------------------------------------------------


def test_add_configured_adds_the_articles_not_yet_stored(
    mediawiki: TestWiki, run, cfg: Path, db_path: Path
) -> None:
    ok(run("add", SECOND_ARTICLE, config=cfg))
    store = Store(db_path)
    try:
        client = WikiClient(mediawiki.api_url, CONTACT, RetryPolicy(max_tries=1))
        seen = len(mediawiki.api_requests())
        outcome = add_configured(
            store,
            client,
            "local",
            [ARTICLE, SECOND_ARTICLE, REDIRECT, "No such page xyz", "Special:Random", ARTICLE],
        )
        (article,) = store.find_pages(ARTICLE, "local")
        assert outcome == [
            (ARTICLE, article),
            (
                REDIRECT,
                f"local: cannot add {REDIRECT!r} (listed in the config): {REDIRECT!r} on local "
                f"is a redirect to {ARTICLE!r}; track the article itself: wikimon add "
                f"{ARTICLE!r}",
            ),
            (
                "No such page xyz",
                "local: cannot add 'No such page xyz' (listed in the config): local has no page "
                f"'No such page xyz' ({mediawiki.api_url}); check the spelling: titles are "
                "case-sensitive after the first letter",
            ),
            (
                "Special:Random",
                "local: cannot add 'Special:Random' (listed in the config): 'Special:Random' is "
                f"a special page on local ({mediawiki.api_url}): the wiki generates it and it "
                "has no revisions to track; add an article instead",
            ),
        ]
        assert (article.page_id, article.tracked) == (ARTICLE_PAGE_ID, True)
        assert [r.revid for r in store.revisions(article)] == [31]
        # the stored article was not asked about; the other titles in one request (with
        # redirects resolved: where the redirect leads), then the one current revision
        requests = [r["params"] for r in mediawiki.api_requests()[seen:]]
        assert [(p.get("prop"), p.get("titles", p.get("pageids"))) for p in requests] == [
            ("info", f"{ARTICLE}|{REDIRECT}|No such page xyz|Special:Random"),
            ("revisions", str(ARTICLE_PAGE_ID)),
        ]
        assert requests[0]["redirects"] == "1"
        assert [(p.title, p.tracked) for p in store.pages()] == [
            (ARTICLE, True),
            (SECOND_ARTICLE, True),
        ]
        # all stored now: nothing to do, no request
        seen = len(mediawiki.api_requests())
        assert add_configured(store, client, "local", [ARTICLE, SECOND_ARTICLE]) == []
        assert len(mediawiki.api_requests()) == seen
    finally:
        store.close()


def test_add_configured_stops_asking_a_wiki_that_fails(mediawiki: TestWiki, tmp_path: Path) -> None:
    store = Store(tmp_path / "configured.db")
    try:
        mediawiki.stop()
        client = WikiClient(mediawiki.api_url, CONTACT, RetryPolicy(max_tries=1))
        calls: list[dict[str, Any]] = []
        call = client.call
        client.call = lambda **params: (calls.append(params), call(**params))[1]  # counted
        outcome = add_configured(store, client, "local", [ARTICLE, SECOND_ARTICLE])
        # both titles in one request, which fails: the wiki is not asked again
        assert [c["titles"] for c in calls] == [f"{ARTICLE}|{SECOND_ARTICLE}"]
        reason = (
            f"{mediawiki.api_url}: cannot connect (ConnectionError) after 1 try; is the wiki "
            "reachable? Try again later"
        )
        assert outcome == [
            (ARTICLE, f"local: cannot add {ARTICLE!r} (listed in the config): {reason}"),
            (
                SECOND_ARTICLE,
                f"local: cannot add {SECOND_ARTICLE!r} (listed in the config): {reason}",
            ),
        ]
        assert store.pages() == []
    finally:
        store.close()


def test_poll_adds_the_articles_listed_in_the_config(
    mediawiki: TestWiki, run, cfg: Path, db_path: Path
) -> None:
    with cfg.open("a", encoding="utf-8") as f:
        f.write(f"articles:\n  - {ARTICLE}\n  - No such page xyz\n  - {SECOND_ARTICLE}\n")
    result = run("poll", config=cfg)
    assert result.exit_code == 1
    assert result.stdout == (
        "2 articles added (listed in the config); "
        "2 articles checked: 0 new revisions, 0 changes in the facts\n"
    )
    warning = one_line(result.stderr, "Warning: ")
    assert "'No such page xyz'" in warning and "listed in the config" in warning
    # with -v (the global option), a line for each article as well
    assert run("-v", "poll", config=cfg).stdout == (
        f"local: {ARTICLE!r}: no new revisions\n"
        f"local: {SECOND_ARTICLE!r}: no new revisions\n"
        "2 articles checked: 0 new revisions, 0 changes in the facts\n"
    )
    revid = mediawiki.edit(ARTICLE, "new text", "update")
    again = run("poll", "-v", config=cfg)  # the stored ones are polled, not re-added
    assert f"local: {ARTICLE!r}: 1 new revision ({revid}), 23 changes in the facts\n" in (
        again.stdout
    )
    assert "added" not in again.stdout
    rows = json.loads(ok(run("status", "--json", config=cfg)))
    assert [(r["title"], r["tracked"]) for r in rows] == [(ARTICLE, True), (SECOND_ARTICLE, True)]


def test_add_learns_the_wikis_title_rules_once(mediawiki: TestWiki, run, cfg: Path, db_path: Path):
    ok(run("add", ARTICLE, config=cfg))
    store = Store(db_path)
    try:
        wiki = store.wiki("local")
    finally:
        store.close()
    assert wiki is not None and wiki.case_sensitive is False
    names = wiki.namespaces or []
    assert {"Talk", "User talk", "Project", "Test Wiki"} <= set(names)  # localised + canonical
    # and lookups use them: a namespace prefix in any case finds nothing here but errs cleanly
    result = run("revisions", "test_wiki:nothing", config=cfg)
    assert result.exit_code == 1 and "no stored article 'Test Wiki:Nothing'" in result.stderr
