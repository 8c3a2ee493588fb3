"""A wikimon database in datasette (the test extra), served on 127.0.0.1 with the metadata
`wikimon datasette-metadata` prints: each view answers over HTTP with what the Python API
and the commands say, the metadata's titles and facets are in use, bookkeeping is hidden."""

from __future__ import annotations

import dataclasses
import json
import socket
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
import wikimon
from helpers import WIKIMON, copy_sample
from report_helpers import fetch

DB = "sample.db"


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        WIKIMON + ["--db", DB, *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    return result


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[tuple[str, Path]]:
    """datasette serving the imported sample history: (its base URL, the database)."""
    work = tmp_path_factory.mktemp("datasette")
    run("import", str(copy_sample(work)), cwd=work)
    run("datasette-metadata", "--out", "metadata.yml", cwd=work)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "datasette", "serve", DB, "--metadata", "metadata.yml",
         "--host", "127.0.0.1", "--port", str(port)],
        cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, server.communicate()[1]
            try:
                if fetch(base + "/-/versions.json").status == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "datasette did not start"
            time.sleep(0.1)
        yield base, work / DB
    finally:
        server.terminate()
        server.wait(timeout=30)


def query(base: str, sql: str) -> list[dict]:
    url = f"{base}/sample.json?" + urllib.parse.urlencode(
        {"sql": sql, "_shape": "array", "_size": "max"}
    )
    reply = fetch(url)
    assert reply.status == 200, reply.body
    return json.loads(reply.body)


def test_changes_view_is_the_change_log_of_the_api(served):
    base, db = served
    rows = query(base, "SELECT * FROM changes_view ORDER BY timestamp, revid, seq")
    with wikimon.open(db) as data:
        changes = list(data.changes())
    assert len(rows) == len(changes) > 50
    for row, change in zip(rows, changes, strict=True):
        assert (row["title"], row["revid"], row["field"], row["kind"], row["old"],
                row["new"]) == (change.title, change.revid, change.field, change.kind,
                                change.old, change.new)  # fmt: skip
        revert_to = change.revert.reverted_to if change.revert else None
        assert (row["reverted_by"], row["revert_to"]) == (change.reverted_by, revert_to)
        assert row["infobox"] == change.infobox and row["user"] == change.user


def test_revisions_view_and_facts_now(served):
    base, db = served
    with wikimon.open(db) as data:
        (page,) = data.pages()
        revisions = list(data.revisions(page.title))
        facts = data.facts(page.title)
    rows = query(base, "SELECT revid, timestamp, user, changes FROM revisions_view ORDER BY revid")
    assert [row["revid"] for row in rows] == sorted(r.revid for r in revisions)
    by_revid = {r.revid: r for r in revisions}
    assert all(row["timestamp"] == by_revid[row["revid"]].timestamp for row in rows)
    made = query(base, "SELECT COUNT(*) AS n FROM changes_view")[0]["n"]
    assert sum(row["changes"] for row in rows) == made
    now = query(base, "SELECT * FROM facts_now")
    assert {row["revid"] for row in now} == {facts.revision.revid}
    columns = [f.name for f in dataclasses.fields(wikimon.FactRow)]
    expected = [dataclasses.asdict(row) for row in wikimon.fact_rows(facts.facts)]
    for row in expected:  # SQLite has no booleans
        row.update({k: int(v) for k, v in row.items() if isinstance(v, bool)})
    assert [{c: row[c] for c in columns} for row in now] == expected
    assert len(expected) > 10


def test_the_metadata_is_in_use_and_bookkeeping_hidden(served):
    base, _ = served
    page = fetch(base + "/sample/changes_view")
    assert page.status == 200
    assert "Changes in the facts" in page.body
    table = json.loads(fetch(base + "/sample/changes_view.json?_shape=objects").body)
    facets = table["facet_results"]
    facets = facets.get("results", facets)  # datasette 1.0 nests them
    assert set(facets) == {"title", "field", "kind", "category"}
    (title,) = facets["title"]["results"]
    assert title["value"] == "2024 Syrian opposition offensives" and title["count"] > 50
    tables = json.loads(fetch(base + "/sample.json").body)
    visible = {table["name"] for table in tables["tables"] if not table["hidden"]}
    assert visible == {"pages", "wikis"}
    assert {"changes_view", "revisions_view", "facts_now"} <= {v["name"] for v in tables["views"]}
