"""add / poll / backfill / import against a real MediaWiki 1.39 (tests/mediawiki_fixtures.py).

No part of MediaWiki is mocked: the wiki is the Debian package served by ``php -S`` with a
private SQLite copy of the golden wiki per test. Only the "answers garbage" case uses a stdlib
HTTP server, because a real MediaWiki cannot be made to answer HTML on api.php.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from conftest import DATA
from mediawiki_fixtures import (
    ARTICLE,
    LONG_HISTORY,
    LONG_HISTORY_REVISIONS,
    REDIRECT,
    SECOND_ARTICLE,
    TestWiki,
    load_history,
    long_history,
)

from monitor import __version__
from monitor.api import RetryPolicy, WikiClient
from monitor.errors import WikiError
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
        return {row["revid"]: store.text(page, row["revid"]) for row in store.revisions(page)}
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
        assert [r["revid"] for r in store.revisions(page) if r["anon"]] == [18]
        assert store.sync_state(page)["history_complete"] == 1
        assert store.sync_state(page)["backfill_cursor"] is None
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

    out = ok(run("poll", config=cfg))
    assert out == f"local: {ARTICLE!r}: 3 new revisions (166 … 168)\n"
    stored = stored_json(run, ARTICLE, cfg)
    assert [r["revid"] for r in stored] == [31, 166, 167, 168]
    assert stored[1:] == wiki_rows(mediawiki.revisions(ARTICLE)[30:])
    assert [stored[i]["parent_revid"] for i in (1, 2, 3)] == [31, 166, 167]
    text = texts(db_path, ARTICLE)
    assert [text[r] for r in new] == [t.encode() for t in edits]

    before = snapshot(db_path)
    out = ok(run("poll", config=cfg))
    assert out == f"local: {ARTICLE!r}: no new revisions\n"
    assert snapshot(db_path) == before


# --- 4. one prop=info request for all tracked pages; polite requests ---------------------------


def test_poll_batches_change_detection_and_is_polite(mediawiki: TestWiki, run, cfg: Path) -> None:
    seen = len(mediawiki.api_requests())  # the fixture's own start-up check
    ok(run("add", ARTICLE, config=cfg))
    ok(run("add", SECOND_ARTICLE, config=cfg))
    adds = mediawiki.api_requests()[seen:]
    # each add: prop=info for the title, then its current revision
    assert [(r["params"]["prop"], r["params"].get("titles", r["params"].get("pageids")))
            for r in adds] == [
        ("info", ARTICLE), ("revisions", str(ARTICLE_PAGE_ID)),
        ("info", SECOND_ARTICLE), ("revisions", str(SECOND_PAGE_ID)),
    ]  # fmt: skip
    assert {(r["ua"], r["params"]["maxlag"]) for r in adds} == {(USER_AGENT, "5")}
    new = mediawiki.edit(SECOND_ARTICLE, "Changed.", summary="change")
    assert new == 166
    seen = len(mediawiki.api_requests())

    out = ok(run("poll", config=cfg))
    assert out == (
        f"local: {ARTICLE!r}: no new revisions\nlocal: {SECOND_ARTICLE!r}: 1 new revision (166)\n"
    )
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
        f"local: {new_title!r}: 1 new revision (166)\n"
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
        assert [t["title"] for t in store.title_history(page)] == [ARTICLE, new_title]
    finally:
        store.close()
    # and the redirect left behind on the wiki is not tracked
    assert ok(run("poll", config=cfg)) == f"local: {new_title!r}: no new revisions\n"


# --- 7. redirects, missing and invalid titles ----------------------------------------------------


def test_add_refuses_redirects_missing_and_invalid_titles(
    mediawiki: TestWiki, run, cfg: Path, db_path: Path
) -> None:
    empty = {"wikis": [("local", mediawiki.api_url, None, None)], "pages": [],
             "page_titles": [], "revisions": [], "sync_state": []}  # fmt: skip

    result = run("add", REDIRECT, config=cfg)
    assert result.exit_code == 1
    assert result.stdout == ""
    line = one_line(result.stderr)
    assert REDIRECT in line
    assert f"wikimon add '{ARTICLE}'" in line
    assert snapshot(db_path) == empty

    result = run("add", "No such page xyz", config=cfg)
    assert result.exit_code == 1
    line = one_line(result.stderr)
    assert "'No such page xyz'" in line and "has no page" in line
    assert snapshot(db_path) == empty

    result = run("add", "Bad[[title]]", config=cfg)
    assert result.exit_code == 1
    assert "'Bad[[title]]'" in one_line(result.stderr)
    assert snapshot(db_path) == empty

    # rejected by MediaWiki itself, not by wikimon's own title check
    result = run("add", "Percent %41 encoded", config=cfg)
    assert result.exit_code == 1
    line = one_line(result.stderr)
    assert "'Percent %41 encoded' is not a valid title on local" in line
    assert snapshot(db_path) == empty


# --- 8. deleted pages ---------------------------------------------------------------------------


def test_poll_of_a_deleted_page_warns_and_keeps_its_history(
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
    assert result.stdout == f"local: {SECOND_ARTICLE!r}: 1 new revision (166)\n"
    line = one_line(result.stderr, "Warning: ")
    assert f"{ARTICLE!r} (page id {ARTICLE_PAGE_ID}) no longer exists" in line
    assert stored_json(run, ARTICLE, cfg) == before
    assert texts(db_path, ARTICLE)[31] is not None
    assert last_error(db_path) == [(ARTICLE, line.removeprefix("Warning: ")),
                                   (SECOND_ARTICLE, None)]  # fmt: skip


# --- 9. unreachable wiki, garbage answers ---------------------------------------------------------


def test_unreachable_wiki_is_one_line_and_changes_nothing(
    mediawiki: TestWiki, wikimon_process, tmp_path: Path, db_path: Path
) -> None:
    cfg = write_config(tmp_path, mediawiki.api_url, http=FAST_HTTP)
    base = ["--config", str(cfg), "--db", str(db_path)]

    def wikimon(*args: str) -> tuple[int, str, str]:
        proc = wikimon_process(*base, *args)
        out, err = proc.communicate(timeout=60)
        return proc.returncode, out.decode(), err.decode()

    assert wikimon("add", ARTICLE)[0] == 0
    before = snapshot(db_path)
    mediawiki.stop()
    started = time.monotonic()
    code, out, err = wikimon("poll")
    assert time.monotonic() - started < 15  # http: max_tries/backoff from the config apply
    assert code == 1
    assert out == ""
    assert one_line(err) == (
        f"Error: {mediawiki.api_url}: cannot connect (ConnectionError) after 2 tries; "
        "is the wiki reachable? Try again later"
    )
    assert snapshot(db_path) == before
    assert last_error(db_path) == [(ARTICLE, one_line(err).removeprefix("Error: "))]

    mediawiki.start()
    new = mediawiki.edit(ARTICLE, "Back again.")
    code, out, err = wikimon("poll")
    assert (code, err) == (0, "")
    assert out == f"local: {ARTICLE!r}: 1 new revision ({new})\n"
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


def test_backfill_killed_mid_run_resumes_without_gaps_or_duplicates(
    mediawiki: TestWiki, wikimon_process, cfg: Path, db_path: Path
) -> None:
    base = ["--config", str(cfg), "--db", str(db_path)]
    mediawiki.slow_api(400)  # each request takes 0.4 s: the kill lands between batches
    proc = wikimon_process(*base, "backfill", LONG_HISTORY)
    try:
        deadline = time.monotonic() + 60
        while count_revisions(db_path) < 50:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "backfill made no progress"
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    store = Store(db_path)  # what the killed process committed
    try:
        (page,) = store.find_pages(LONG_HISTORY)
        stored_at_kill = store.revision_count(page)
        assert store.sync_state(page)["backfill_cursor"] is not None  # really mid-backfill
    finally:
        store.close()
    assert stored_at_kill in (51, 101)  # the current revision, then 50 per request

    mediawiki.slow_api(None)
    proc = wikimon_process(*base, "backfill", LONG_HISTORY)
    out, err = proc.communicate(timeout=60)
    assert (proc.returncode, err) == (0, b"")
    added = LONG_HISTORY_REVISIONS - stored_at_kill
    assert out.decode() == (
        f"local: {LONG_HISTORY!r}: {added} older revisions stored (resumed), 0 newer; "
        f"{LONG_HISTORY_REVISIONS} in all.\n"
    )

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
        assert [
            (r["revid"], r["timestamp"], r["user"], r["comment"]) for r in store.revisions(page)
        ] == rows
        state = store.sync_state(page)
        assert (state["backfill_cursor"], state["history_complete"]) == (None, 1)
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
    store = Store(db_path)
    try:
        (page,) = store.find_pages(ARTICLE)
        assert store.sync_state(page)["history_complete"] == 0
    finally:
        store.close()

    out = ok(run("backfill", ARTICLE, config=cfg))
    assert out == f"local: {ARTICLE!r}: 22 older revisions stored, 0 newer; 30 in all.\n"
    assert stored_json(run, ARTICLE, cfg) == wiki_rows(wiki)
    stored_texts = texts(db_path, ARTICLE)
    assert list(stored_texts) == ARTICLE_REVIDS
    assert list(stored_texts.values()) == [r["content"].encode("utf-8") for r in wiki]
    store = Store(db_path)
    try:
        (page,) = store.find_pages(ARTICLE)
        assert store.sync_state(page)["history_complete"] == 1
    finally:
        store.close()


def test_interrupted_backfill_since_is_finished_then_a_plain_backfill_goes_on(
    mediawiki: TestWiki, wikimon_process, cfg: Path, db_path: Path
) -> None:
    base = ["--config", str(cfg), "--db", str(db_path)]
    since = long_history()[20]["timestamp"]  # 110 revisions from here: three requests
    mediawiki.slow_api(400)
    proc = wikimon_process(*base, "backfill", LONG_HISTORY, "--since", since)
    try:
        deadline = time.monotonic() + 60
        while count_revisions(db_path) < 50:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "backfill made no progress"
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.communicate()
    stored_at_kill = count_revisions(db_path)
    assert stored_at_kill in (51, 101)
    mediawiki.slow_api(None)

    # A plain backfill first finishes the interrupted --since run, then fetches the rest.
    proc = wikimon_process(*base, "backfill", LONG_HISTORY)
    out, err = proc.communicate(timeout=60)
    assert (proc.returncode, err) == (0, b"")
    added = LONG_HISTORY_REVISIONS - stored_at_kill
    assert out.decode() == (
        f"local: {LONG_HISTORY!r}: {added} older revisions stored (resumed), 0 newer; "
        f"{LONG_HISTORY_REVISIONS} in all.\n"
    )
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
    result = run("poll", config=cfg)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"local: {ARTICLE!r}: 1 new revision ({revid})\n"
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
