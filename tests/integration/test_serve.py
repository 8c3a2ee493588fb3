"""The history report (`wikimon report`, `wikimon serve`) rendered from real imports: every
page and link of the static site, the numbers on the pages against the change log and the
database, the timeline, wiki content that tries to inject markup, and the live server.

Expected values come from the database, `wikimon changes --json`, `wikimon revisions --json`
and `wikimon show --at … --json`, never from the pages under test."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

from digest_helpers import (
    TITLE,
    Sample,
    sample_fixture,  # noqa: F401
    sample_template_fixture,  # noqa: F401
)
from helpers import copy_sample, spoil
from report_helpers import (
    Response,
    Static,
    as_of_facts,
    check_headers,
    check_times,
    expected_changes,
    fetch,
    parse,
    partial_sample,
    raw_request,
    report_server_fixture,  # noqa: F401
    show_facts,
    start_server,
    static_fixture,  # noqa: F401
    stop_server,
    timeline_changes,
)

from monitor.config import load_config
from monitor.report.serve import make_report_server


def test_serve_pages_live_from_the_database(run, tmp_path: Path, db_path: Path, wikimon_process):
    result = run("import", str(partial_sample(tmp_path, 120)))
    assert result.exit_code == 0, result.output
    before = json.loads(run("changes", TITLE, "--json").stdout)
    proc, base = start_server(wikimon_process, db_path)
    try:
        page_id = before[0]["page_id"]
        article = f"{base}enwiki/{page_id}/"

        index = fetch(base)
        assert index.status == 200 and index.headers["Content-Type"].startswith("text/html")
        check_headers(index)
        doc = parse(index.body)
        assert doc.one("table", "articles").one("a")["href"] == f"enwiki/{page_id}/index.html"
        assert fetch(base + "index.html").body == index.body

        page = fetch(article + "index.html")
        assert page.status == 200
        assert Counter(timeline_changes(parse(page.body))) == expected_changes(before)
        field = fetch(article + "field/casualties2.html")
        assert field.status == 200 and parse(field.body).one(id="chart").one("svg")
        css = fetch(base + "report.css")
        assert css.status == 200 and css.headers["Content-Type"].startswith("text/css")
        check_headers(css)

        for missing in ("nope.html", f"enwiki/{page_id}/nope.html", "enwiki/1/index.html",
                        f"enwiki/{page_id}/field/nofield.html", "../../etc/passwd",
                        f"enwiki/{page_id}/as-of/1999-01-01.html"):  # fmt: skip
            response = fetch(base + missing)
            assert response.status == 404, missing
            check_headers(response)
        response = fetch(article + "index.html", method="POST")
        assert response.status == 405
        check_headers(response)

        # more revisions while it runs: the pages show them without a restart
        assert run("import", str(copy_sample(tmp_path))).exit_code == 0
        after = json.loads(run("changes", TITLE, "--json").stdout)
        assert len(after) > len(before)
        page = fetch(article + "index.html")
        assert Counter(timeline_changes(parse(page.body))) == expected_changes(after)
        newest = max(c["timestamp"] for c in after)
        assert parse(page.body).all("section", "day")[0]["data-day"] == newest[:10]

        # ?at= on the as-of page: a date, as the static page and `show --at` have it
        served = fetch(article + "as-of/index.html?at=2024-12-01")
        assert served.status == 200
        show = json.loads(run("show", TITLE, "--at", "2024-12-01", "--json").stdout)
        assert as_of_facts(parse(served.body)) == show_facts(show)
        static = fetch(article + "as-of/2024-12-01.html")
        assert as_of_facts(parse(static.body)) == show_facts(show)
        # … and a revision: the vandal's, with its reverted value
        (vandal,) = [c for c in after if c["new_number"] == 14200]
        served = fetch(article + f"as-of/index.html?at={vandal['revid']}")
        show = json.loads(run("show", TITLE, "--at", str(vandal["revid"]), "--json").stdout)
        assert as_of_facts(parse(served.body)) == show_facts(show)
        assert vandal["new"] in as_of_facts(parse(served.body))["casualties2"]
        assert f"The infobox of revision {vandal['revid']}," in parse(served.body).words
        check_times("as-of", parse(served.body))
        # a moment within a day; before the first revision; not a date nor a revid at all
        moment = datetime.fromisoformat(vandal["timestamp"].replace("Z", "+00:00"))
        moment = (moment + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        revisions = json.loads(run("revisions", TITLE, "--json").stdout)
        assert not [r for r in revisions if vandal["timestamp"] < r["timestamp"] <= moment]
        served = fetch(article + f"as-of/index.html?at={moment}")
        assert as_of_facts(parse(served.body)) == show_facts(show)  # still the vandal's
        assert parse(served.body).one("h1").one("time")["datetime"] == moment
        served = fetch(article + "as-of/index.html?at=2000-01-01")
        assert served.status == 200 and "No stored revision" in served.body
        check_times("as-of", parse(served.body))
        for garbage in ("xyz", "2024-12", "9999-99-99T", "1%3Cscript%3E"):
            assert fetch(article + f"as-of/index.html?at={garbage}").status == 404, garbage
    finally:
        stop_server(proc)


def test_ctrl_c_during_a_request_stops_serve(sample: Sample, db_path: Path, wikimon_process):
    proc, base = start_server(wikimon_process, db_path)
    answers: list[Response] = []
    try:
        # the first request of an article builds its history: long enough to interrupt
        request = threading.Thread(
            target=lambda: answers.append(fetch(f"{base}enwiki/{sample.changes[0]['page_id']}/"))
        )
        request.start()
        time.sleep(0.05)
    finally:
        stop_server(proc)  # wsgiref alone would answer 500 and serve on
    request.join(30)
    assert [a.status for a in answers] in ([200], [])  # answered, or refused once stopped


def test_serve_answers_its_own_host_names_only(static: Static, report_server: int):
    port = report_server
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"LOCALHOST:{port}"):
        status, _, body = raw_request(port, f"GET / HTTP/1.0\r\nHost: {host}\r\n\r\n")
        assert status.split()[1] == "200" and b"<h1>Articles</h1>" in body, host
    # DNS rebinding: another site's name pointed at 127.0.0.1 is refused, as is no name
    hosts = (f"evil.example:{port}", "evil.example", f"127.0.0.1:{port + 1}", "127.0.0.1",
             f"localhost.evil.example:{port}", f"127.0.0.1:{port}.evil")  # fmt: skip
    for host in hosts:
        status, headers, body = raw_request(port, f"GET / HTTP/1.0\r\nHost: {host}\r\n\r\n")
        assert status.split()[1] == "400", host
        assert b"Tracked" not in body
        assert "default-src 'none'" in headers["Content-Security-Policy"]
    status, _, _ = raw_request(port, "GET / HTTP/1.0\r\n\r\n")
    assert status.split()[1] == "400"


def test_serve_head_has_the_headers_of_get_and_no_body(static: Static, report_server: int):
    port = report_server
    for path in ("/", f"/{static.article}index.html", "/report.css", "/nope.html"):
        request = f"{{}} {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n"
        got_status, got_headers, got_body = raw_request(port, request.format("GET"))
        status, headers, body = raw_request(port, request.format("HEAD"))
        assert status == got_status and body == b"", path
        assert int(headers["Content-Length"]) == len(got_body) > 0, path
        assert headers["Content-Type"] == got_headers["Content-Type"]


# -- clients that send nothing, and a damaged database (issue 12) ---------------------------


def test_idle_clients_hold_up_nobody_and_are_hung_up_on(
    sample: Sample, db_path: Path, wikimon_process
):
    proc, base = start_server(wikimon_process, db_path, "--timeout", "1")
    port = int(base.rstrip("/").rsplit(":", 1)[1])
    hostile = [socket.create_connection(("127.0.0.1", port), timeout=30) for _ in range(3)]
    try:
        idle, half, endless = hostile
        half.sendall(b"GET /index.ht")  # half a request line, never finished
        endless.sendall(f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-A: 1\r\n".encode())
        # while the three wait, everybody else is answered (a server of one thread would
        # wait for the first of them forever)
        article = f"{base}enwiki/{sample.changes[0]['page_id']}/index.html"
        for url in (base, article, base + "report.css"):
            assert fetch(url).status == 200, url
        # each of them is hung up on once its time is up, without an answer
        for client in hostile:
            assert client.recv(1024) == b""
    finally:
        for client in hostile:
            client.close()
        stop_server(proc)


def test_beyond_the_connection_limit_clients_are_told_to_come_back(static: Static):
    server = make_report_server(str(static.db), load_config(None), 0, max_connections=2)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_port
    idle = [socket.create_connection(("127.0.0.1", port), timeout=30) for _ in range(2)]
    try:
        status, headers, body = raw_request(
            port, f"GET / HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n"
        )
        assert status.split()[1] == "503" and headers["Retry-After"] == "1"
        assert body == b"Too many connections; try again in a moment.\n"
        idle.pop().close()  # a slot is free again once its thread has seen the end
        deadline = time.monotonic() + 30
        while (
            status := raw_request(port, f"GET / HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n")[0]
        ).split()[1] == "503" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert status.split()[1] == "200"
    finally:
        for client in idle:
            client.close()
        server.shutdown()
        server.server_close()


def test_a_database_damaged_while_serving_is_a_500_and_one_log_line(
    sample: Sample, db_path: Path, wikimon_process
):
    proc, base = start_server(wikimon_process, db_path)
    article = f"{base}enwiki/{sample.changes[0]['page_id']}/index.html"
    try:
        assert fetch(article).status == 200
        spoil(db_path)
        for url in (base, article):
            response = fetch(url)
            assert response.status == 500, url
            assert response.body.startswith(
                f"wikimon cannot read the database: {db_path} is damaged: "
            )
            assert "PRAGMA integrity_check: " in response.body
        assert fetch(base + "report.css").status == 200  # what needs no database is served
    except BaseException:
        proc.kill()
        raise
    log = stop_server(proc).splitlines()  # serve went on, and stops cleanly
    assert len(log) == 2 and all(f"{db_path} is damaged: " in line for line in log), log
