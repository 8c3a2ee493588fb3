"""WikiClient's retry behaviour against a scripted stdlib HTTP server on loopback.

A real MediaWiki cannot be made to answer 429, 503 or HTML on api.php, so these cases use a
tiny ``http.server`` that plays a per-test script of responses and records every request.
Sleeping is recorded, never done. (maxlag against the real wiki: test_sync_mediawiki.py.)
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from monitor import __version__
from monitor.errors import WikiError
from monitor.sources.api import RetryPolicy, WikiClient
from storage import Revision

CONTACT = "tests@example.org"
USER_AGENT = f"wikimon/{__version__} ({CONTACT})"
OK_BODY = {"batchcomplete": True, "query": {"pages": [{"pageid": 7, "ns": 0, "title": "A"}]}}


@dataclass
class Reply:
    status: int = 200
    body: bytes | dict[str, Any] | list[Any] = field(default_factory=lambda: OK_BODY)
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering (timeouts)


class ScriptedServer:
    """Answers request n with ``script[n]`` (the last reply repeats) and records requests."""

    def __init__(self, script: list[Reply]):
        self.script = script
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 -- http.server's naming
                url = urlsplit(self.path)
                with server._lock:
                    n = len(server.requests)
                    server.requests.append(
                        {
                            "method": "GET",
                            "path": url.path,
                            "params": dict(parse_qsl(url.query, keep_blank_values=True)),
                            "ua": self.headers.get("User-Agent"),
                        }
                    )
                    reply = server.script[min(n, len(server.script) - 1)]
                if reply.delay:
                    time.sleep(reply.delay)
                body = reply.body
                if not isinstance(body, bytes):
                    body = json.dumps(body).encode()
                self.send_response(reply.status)
                content_type = "application/json" if body[:1] in (b"{", b"[") else "text/html"
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(body)  # fails when the client timed out

            def do_POST(self) -> None:  # noqa: N802
                with server._lock:
                    server.requests.append({"method": "POST", "path": self.path})
                self.send_response(405)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/w/api.php"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    def __enter__(self) -> ScriptedServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def serve() -> Iterator:
    servers: list[ScriptedServer] = []

    def start(*script: Reply) -> ScriptedServer:
        server = ScriptedServer(list(script)).__enter__()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.__exit__(None, None, None)


def client(url: str, sleeps: list[float], **policy: Any) -> WikiClient:
    return WikiClient(url, CONTACT, RetryPolicy(**policy), sleep=sleeps.append)


def assert_polite(server: ScriptedServer) -> None:
    for request in server.requests:
        assert request["method"] == "GET"
        assert request["path"] == "/w/api.php"
        assert request["ua"] == USER_AGENT
        assert request["params"]["maxlag"] == "5"
        assert request["params"]["format"] == "json"
        assert request["params"]["formatversion"] == "2"


def assert_one_line(message: str) -> None:
    assert "\n" not in message and "Traceback" not in message, message


def jittered(value: float, expected: float) -> bool:
    """``value`` is ``expected`` give or take the ±20 % jitter."""
    return expected * 0.8 - 1e-9 <= value <= expected * 1.2 + 1e-9


# --- successes after retries ------------------------------------------------------------------


def test_429_waits_for_retry_after_then_succeeds(serve) -> None:
    server = serve(Reply(429, b"Too many requests", {"Retry-After": "3"}), Reply())
    sleeps: list[float] = []
    result = client(server.url, sleeps, max_tries=3, backoff=0.01).call(action="query")
    assert result == OK_BODY
    assert sleeps == [3.0]  # Retry-After wins over the 0.01 s backoff
    assert len(server.requests) == 2
    assert_polite(server)
    assert server.requests[0]["params"] == server.requests[1]["params"]


def test_503_backoff_doubles(serve) -> None:
    server = serve(Reply(503, b"busy"), Reply(503, b"busy"), Reply())
    sleeps: list[float] = []
    result = client(server.url, sleeps, max_tries=5, backoff=1.0).call(action="query")
    assert result == OK_BODY
    assert len(server.requests) == 3
    assert len(sleeps) == 2
    assert jittered(sleeps[0], 1.0), sleeps
    assert jittered(sleeps[1], 2.0), sleeps
    assert_polite(server)


def test_retry_after_on_503_is_honoured_and_shorter_one_loses_to_backoff(serve) -> None:
    server = serve(
        Reply(503, b"busy", {"Retry-After": "10"}),
        Reply(502, b"bad gateway", {"Retry-After": "1"}),
        Reply(429, b"slow down", {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}),
        Reply(),
    )
    sleeps: list[float] = []
    assert client(server.url, sleeps, max_tries=4, backoff=4.0).call(action="query") == OK_BODY
    assert len(sleeps) == 3
    assert sleeps[0] == 10.0  # Retry-After above the 4 s backoff
    assert jittered(sleeps[1], 8.0), sleeps  # Retry-After: 1 is shorter than the backoff
    assert jittered(sleeps[2], 16.0), sleeps  # an HTTP date: our own backoff applies
    assert len(server.requests) == 4


def test_backoff_is_capped_at_max_delay(serve) -> None:
    server = serve(Reply(500, b"oops"), Reply(500, b"oops"), Reply(500, b"oops"), Reply())
    sleeps: list[float] = []
    wiki = client(server.url, sleeps, max_tries=4, backoff=50.0, max_delay=60.0)
    assert wiki.call(action="query") == OK_BODY
    assert len(sleeps) == 3
    assert jittered(sleeps[0], 50.0)
    assert sleeps[1:] == [60.0, 60.0]  # the cap holds after the jitter


# --- failures: one-line WikiError ---------------------------------------------------------------


def test_always_503_gives_up_after_exactly_max_tries(serve) -> None:
    server = serve(Reply(503, b"<html>Service Unavailable</html>"))
    sleeps: list[float] = []
    with pytest.raises(WikiError) as error:
        client(server.url, sleeps, max_tries=4, backoff=0.5).call(action="query")
    assert str(error.value) == (
        f"{server.url}: HTTP 503 after 4 tries; is the wiki reachable? Try again later"
    )
    assert len(server.requests) == 4
    assert len(sleeps) == 3
    assert [jittered(s, e) for s, e in zip(sleeps, (0.5, 1.0, 2.0), strict=True)] == [True] * 3
    assert_polite(server)


def test_html_with_200_is_a_wiki_error_naming_the_url(serve) -> None:
    page = b"<!DOCTYPE html>\n<html>\n<head><title>Welcome</title></head></html>\n"
    server = serve(Reply(200, page))
    sleeps: list[float] = []
    with pytest.raises(WikiError) as error:
        client(server.url, sleeps, max_tries=3).call(action="query")
    message = str(error.value)
    assert message.startswith(f"{server.url} did not answer with MediaWiki API JSON")
    assert "<!DOCTYPE html> <html>" in message
    assert message.endswith("check the wiki's api: URL in the config")
    assert_one_line(message)
    assert (len(server.requests), sleeps) == (1, [])  # not retried: it will not get better


@pytest.mark.parametrize("status", [404, 403, 400])
def test_4xx_is_a_wiki_error_without_retries(serve, status: int) -> None:
    server = serve(Reply(status, b"<html>Not here</html>"))
    sleeps: list[float] = []
    with pytest.raises(WikiError) as error:
        client(server.url, sleeps, max_tries=3).call(action="query")
    assert str(error.value) == (
        f"{server.url} answered HTTP {status}; check the api: URL in the config"
    )
    assert (len(server.requests), sleeps) == (1, [])


def test_api_error_is_a_wiki_error(serve) -> None:
    body = {"error": {"code": "badvalue", "info": 'Unrecognized value for parameter "prop".'}}
    server = serve(Reply(200, body))
    sleeps: list[float] = []
    with pytest.raises(WikiError) as error:
        client(server.url, sleeps).call(action="query", prop="nonsense")
    assert str(error.value) == (
        f'{server.url}: API error badvalue: Unrecognized value for parameter "prop".'
    )
    assert (len(server.requests), sleeps) == (1, [])
    assert server.requests[0]["params"]["prop"] == "nonsense"


def test_json_that_is_not_an_api_result(serve) -> None:
    server = serve(Reply(200, [1, 2, 3]))
    with pytest.raises(WikiError) as error:
        client(server.url, []).call(action="query")
    assert str(error.value) == f"{server.url} answered JSON that is not an API result"


def test_an_api_switched_off_is_a_wiki_error_naming_the_url(serve) -> None:
    server = serve(Reply(200, b"MediaWiki API is not enabled for this site. Add $wgEnableAPI"))
    sleeps: list[float] = []
    with pytest.raises(WikiError) as error:
        client(server.url, sleeps).call(action="query")
    assert str(error.value) == (
        f"{server.url} did not answer with MediaWiki API JSON (it sent 'MediaWiki API is not "
        "enabled for this site. Add $wgEnableAPI'…); check the wiki's api: URL in the config"
    )
    assert (len(server.requests), sleeps) == (1, [])


def test_requests_carry_exactly_the_parameters_asked_for(serve) -> None:
    """Nothing added behind wikimon's back (no meta=userinfo, uiprop or continue=)."""
    server = serve(Reply())
    client(server.url, []).call(action="query", prop="info", titles="A|B", curtimestamp="1")
    (request,) = server.requests
    assert request["params"] == {
        "action": "query", "prop": "info", "titles": "A|B", "curtimestamp": "1",
        "format": "json", "formatversion": "2", "maxlag": "5",
    }  # fmt: skip


def test_refused_connection_is_retried_then_a_wiki_error() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/w/api.php"
    sleeps: list[float] = []
    with pytest.raises(WikiError) as error:
        client(url, sleeps, max_tries=3, backoff=0.25).call(action="query")
    assert str(error.value) == (
        f"{url}: cannot connect (ConnectionError) after 3 tries; "
        "is the wiki reachable? Try again later"
    )
    assert len(sleeps) == 2
    assert jittered(sleeps[0], 0.25) and jittered(sleeps[1], 0.5), sleeps


def test_timeout_is_retried_then_a_wiki_error(serve) -> None:
    server = serve(Reply(200, OK_BODY, delay=1.0))
    sleeps: list[float] = []
    with pytest.raises(WikiError) as error:
        client(server.url, sleeps, max_tries=2, backoff=0.1, timeout=0.2).call(action="query")
    assert str(error.value) == (
        f"{server.url}: timed out (ReadTimeout; http: timeout is 0.2 s) after 2 tries; "
        "is the wiki reachable? Try again later"
    )
    assert len(server.requests) == 2  # each try gave up on its slow answer: no third one
    assert len(sleeps) == 1
    assert jittered(sleeps[0], 0.1), sleeps


def api_revision(revid: int, **extra: Any) -> dict[str, Any]:
    """A revision as MediaWiki's formatversion=2 answers it."""
    return {
        "revid": revid,
        "parentid": revid - 1,
        "minor": False,
        "user": "Alice",
        "userid": 3,
        "timestamp": f"2024-01-01T00:00:{revid % 60:02d}Z",
        "size": 5,
        "sha1": "0" * 40,
        "comment": f"edit {revid}",
        "slots": {"main": {"contentmodel": "wikitext", "contentformat": "text/x-wiki",
                           "content": f"text {revid}"}},
    } | extra  # fmt: skip


def stored_revision(revid: int, **extra: Any) -> Revision:
    """What ``api_revision(revid)`` becomes."""
    fields = dict(
        revid=revid, parent_revid=revid - 1, timestamp=f"2024-01-01T00:00:{revid % 60:02d}Z",
        user="Alice", user_id=3, comment=f"edit {revid}", size=5, sha1="0" * 40,
        text=f"text {revid}",
    )  # fmt: skip
    return Revision(**(fields | extra))


def test_query_follows_continuation(serve) -> None:
    first = {"continue": {"rvcontinue": "20240101|42", "continue": "||"},
             "query": {"pages": [{"pageid": 7, "revisions": [api_revision(41)]}]}}  # fmt: skip
    last = {"batchcomplete": True,
            "query": {"pages": [{"pageid": 7, "revisions": [api_revision(42)]}]}}  # fmt: skip
    server = serve(Reply(200, first), Reply(200, last))
    batches = list(client(server.url, []).revisions(7))
    assert batches == [[stored_revision(41)], [stored_revision(42)]]
    assert [r["params"].get("rvcontinue") for r in server.requests] == [None, "20240101|42"]
    assert [r["params"]["continue"] for r in server.requests] == ["", "||"]
    assert {r["params"]["rvlimit"] for r in server.requests} == {"50"}
    assert_polite(server)


def test_a_continuation_that_does_not_move_is_an_error_not_a_loop(serve) -> None:
    stuck = {"continue": {"rvcontinue": "20240101|42", "continue": "||"},
             "query": {"pages": [{"pageid": 7, "revisions": [api_revision(41)]}]}}  # fmt: skip
    server = serve(Reply(200, stuck))
    with pytest.raises(WikiError) as error:
        list(client(server.url, []).revisions(7))
    assert str(error.value) == (
        f"{server.url} answered the same continuation twice "
        '({"rvcontinue": "20240101|42", "continue": "||"}); '
        "check the wiki's api: URL in the config"
    )
    assert len(server.requests) == 2


def test_revisions_by_id_sorts_found_and_missing(serve) -> None:
    body = {"query": {"badrevids": {"9": {"revid": 9, "missing": True}},
                      "pages": [{"pageid": 7, "revisions": [api_revision(5)]},
                                {"pageid": 8, "revisions": [api_revision(6)]}]}}  # fmt: skip
    server = serve(Reply(200, body))
    found, missing = client(server.url, []).revisions_by_id([5, 6, 9])
    assert found == {7: [stored_revision(5)], 8: [stored_revision(6)]}
    assert missing == {9}
    (request,) = server.requests
    assert (request["params"]["revids"], request["params"]["rvslots"]) == ("5|6|9", "main")
    assert "content" in request["params"]["rvprop"].split("|")


# --- text missing for another reason than revision deletion ------------------------------------


@pytest.mark.parametrize(
    ("main", "warned"),
    [
        ({"contentmodel": "wikitext", "texthidden": True}, False),
        ({"contentmodel": "wikitext", "textmissing": True}, True),
    ],
    ids=["revision-deleted", "text missing"],
)
def test_a_revision_without_text_is_stored_hidden_and_only_an_unexplained_one_warns(
    serve, caplog, main: dict[str, Any], warned: bool
) -> None:
    body = {
        "query": {"pages": [{"pageid": 7, "revisions": [api_revision(5, slots={"main": main})]}]}
    }
    server = serve(Reply(200, body))
    with caplog.at_level(logging.WARNING, logger="monitor"):
        revision = client(server.url, []).current_revision(7)
    assert revision == stored_revision(5, text=None, texthidden=True)
    expected = [
        f"{server.url}: revision 5 came without its text although it is not revision-deleted "
        '(slot: {"contentmodel": "wikitext", "textmissing": true}); it is stored without text'
    ]
    assert [r.getMessage() for r in caplog.records] == (expected if warned else [])


LAGGED = {"error": {"code": "maxlag", "info": "Waiting for a database server: 7 seconds lagged."}}


def test_lag_and_5xx_share_one_count_of_tries(serve) -> None:
    server = serve(
        Reply(503),
        Reply(200, LAGGED, {"X-Database-Lag": "7", "Retry-After": "5"}),
        Reply(503),
        Reply(),
    )
    sleeps: list[float] = []
    with pytest.raises(WikiError):
        client(server.url, sleeps, max_tries=2, backoff=1).call(action="query")
    assert len(server.requests) == 2  # not 3: the lag retry counts against max_tries


def test_malformed_retry_after_on_a_lagged_answer_is_retried(serve) -> None:
    server = serve(Reply(200, LAGGED, {"X-Database-Lag": "7", "Retry-After": "soon"}), Reply())
    sleeps: list[float] = []
    result = client(server.url, sleeps, max_tries=3, backoff=1).call(action="query")
    assert result == OK_BODY
    assert sleeps == [5]  # the lag default, not a traceback from mwclient


def test_lagged_answers_without_retry_after_wait_the_lag_default(serve) -> None:
    server = serve(Reply(200, LAGGED, {"X-Database-Lag": "7"}))
    sleeps: list[float] = []
    with pytest.raises(WikiError) as error:
        client(server.url, sleeps, max_tries=3, backoff=1).call(action="query")
    assert str(error.value) == (
        f"{server.url}: database lag (malformed Retry-After) after 3 tries; "
        "is the wiki reachable? Try again later"
    )
    assert sleeps == [5, 5]
    assert len(server.requests) == 3
    assert_polite(server)


# --- answers of the wrong shape, through the CLI: one line, nothing stored ---------------------

TITLE = "Some article"
SITEINFO = {"general": {"case": "first-letter"}, "namespaces": {"0": {"id": 0, "name": ""}}}
INFO = {
    "query": {"pages": [{"pageid": 7, "ns": 0, "title": TITLE, "lastrevid": 42}], **SITEINFO}
}  # the first add on a wiki asks for its title rules (siteinfo) along with prop=info
NOT_AN_API = "check the wiki's api: URL in the config"


def write_config(tmp_path: Path, api_url: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(
        f"contact: {CONTACT}\nwikis:\n  local:\n    api: {api_url}\nhttp:\n  max_tries: 1\n",
        encoding="utf-8",
    )
    return path


def stored_rows(db: Path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return {
            table: conn.execute(f"SELECT * FROM {table}").fetchall()
            for table in ("pages", "page_titles", "revisions", "sync_state")
        }
    finally:
        conn.close()


NOTHING = {"pages": [], "page_titles": [], "revisions": [], "sync_state": []}


def revisions_answer(*revisions: Any) -> dict[str, Any]:
    return {"query": {"pages": [{"pageid": 7, "ns": 0, "title": TITLE,
                                 "revisions": list(revisions)}]}}  # fmt: skip


@pytest.mark.parametrize(
    ("script", "message"),
    [
        ([{"query": {"pages": []}}], f"a page query without a page for {TITLE!r}"),
        ([{"query": {"pages": [{}]}}], "a page with no int pageid ({})"),
        ([{"query": {"pages": "x"}}], 'a page query whose pages are not a list ("x")'),
        ([{"query": "x"}], """a 'query' part that is not an object ({"query": "x"})"""),
        ([{"error": "boom"}], 'an error that is not an API error ("boom")'),
        (
            [{"error": {"info": "no code"}}],
            'an error that is not an API error ({"info": "no code"})',
        ),
        ([{"warnings": "x", **INFO}], 'warnings that are not API warnings ("x")'),
        (
            [{"query": {"pages": [{"pageid": "7", "ns": 0, "title": TITLE}]}}],
            f'a page with no int pageid ({{"pageid": "7", "ns": 0, "title": "{TITLE}"}})',
        ),
        (
            [INFO, revisions_answer({"revid": 42, "user": "Alice"})],
            'a revision without a timestamp like 2024-11-27T05:40:00Z ({"revid": 42, "user": '
            '"Alice"})',
        ),
        (
            [INFO, revisions_answer({"revid": "42", "timestamp": "2024-01-01T00:00:00Z"})],
            'a revision without a revision id ({"revid": "42", "timestamp": '
            '"2024-01-01T00:00:00Z"})',
        ),
        (
            [
                INFO,
                revisions_answer(
                    {
                        "revid": 42,
                        "timestamp": "2024-01-01T00:00:00Z",
                        "slots": {"main": {"content": 5}},
                    }
                ),
            ],  # fmt: skip
            'a revision whose content is not a string ({"revid": 42, "timestamp": '
            '"2024-01-01T00:00:00Z", "slots": {"main": {"content"…)',
        ),
        ([INFO, revisions_answer()], "no current revision for page id 7"),
        ([INFO, {"query": {"pages": []}}], "no current revision for page id 7"),
    ],
    ids=[
        "no pages",
        "empty page",
        "pages not a list",
        "query not an object",
        "error not an object",
        "error without code",
        "warnings not an object",
        "pageid a string",
        "revision without timestamp",
        "revid a string",
        "content not a string",
        "no current revision",
        "revisions without pages",
    ],  # fmt: skip
)
def test_add_against_answers_of_the_wrong_shape_is_one_line_and_stores_nothing(
    serve, run, tmp_path: Path, db_path: Path, script: list[dict[str, Any]], message: str
) -> None:
    server = serve(*(Reply(200, body) for body in script))
    result = run("add", TITLE, config=write_config(tmp_path, server.url))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == f"Error: {server.url} answered {message}; {NOT_AN_API}\n"
    assert len(server.requests) == len(script)  # max_tries: 1, and no request after the bad one
    assert_polite(server)
    assert stored_rows(db_path) == NOTHING


@pytest.mark.parametrize(
    ("failure", "message"),
    [
        (
            Reply(503, b"busy"),
            "{url}: HTTP 503 after 1 try; is the wiki reachable? Try again later",
        ),
        (
            Reply(200, {"query": {"pages": [{"pageid": 7, "missing": True}]}}),
            f"local: {TITLE!r} was deleted from the wiki while it was being added",
        ),
        (Reply(404, b"gone"), "{url} answered HTTP 404; check the api: URL in the config"),
    ],
    ids=["503", "deleted meanwhile", "404"],
)
def test_add_stores_nothing_when_the_current_revision_cannot_be_fetched(
    serve, run, tmp_path: Path, db_path: Path, failure: Reply, message: str
) -> None:
    server = serve(Reply(200, INFO), failure)
    result = run("add", TITLE, config=write_config(tmp_path, server.url))
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == f"Error: {message.format(url=server.url)}\n"
    asked = [(r["params"]["prop"], r["params"].get("titles"), r["params"].get("pageids"))
             for r in server.requests]  # fmt: skip
    assert asked == [("info", TITLE, None), ("revisions", None, "7")]
    assert stored_rows(db_path) == NOTHING

    # the same wiki answering properly: the page and its revision are stored together
    siteinfo = {
        "query": {
            "general": {"case": "first-letter"},
            "namespaces": {"0": {"id": 0, "name": ""}, "1": {"id": 1, "name": "Talk"}},
        }
    }
    server.script[1:] = [Reply(200, revisions_answer(api_revision(42))), Reply(200, siteinfo)]
    server.requests.clear()
    result = run("add", TITLE, config=write_config(tmp_path, server.url))
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.splitlines()[0] == (
        f"Tracking {TITLE!r} on local (page id 7): 1 revision stored (the current one)."
    )
    rows = stored_rows(db_path)
    assert [(p[2], p[4], p[5]) for p in rows["pages"]] == [(7, TITLE, 1)]
    assert [r[2] for r in rows["revisions"]] == [42]


def test_last_poll_is_the_wiki_s_clock_when_it_gives_it(
    serve, run, tmp_path: Path, db_path: Path
) -> None:
    """Digests close their windows at the last poll: it must be on the clock that dates
    the revisions, the wiki's, whatever this machine's clock says."""
    current = {"revid": 42, "parentid": 41, "timestamp": "2024-01-01T00:00:00Z", "user": "A",
               "slots": {"main": {"content": "text"}}}  # fmt: skip
    server = serve(
        Reply(200, INFO),  # with the title rules: the first add on the wiki
        Reply(200, revisions_answer(current)),
        Reply(200, {**INFO, "curtimestamp": "2031-05-06T07:08:09Z"}),
    )
    config = write_config(tmp_path, server.url)
    added = run("add", TITLE, config=config)
    assert added.exit_code == 0, added.output
    result = run("poll", config=config)
    assert result.exit_code == 0, result.output
    assert server.requests[-1]["params"]["curtimestamp"] == "1"
    (row,) = stored_rows(db_path)["sync_state"]
    assert "2031-05-06T07:08:09Z" in row  # last_poll, not this machine's time
