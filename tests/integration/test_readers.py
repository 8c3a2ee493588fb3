"""Readers never wait for writers: the read-only commands and `wikimon serve` answer while
another process holds the database's write lock; a reader refuses an older schema with one
line instead of upgrading it; a database on a read-only file system can be read."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from digest_helpers import TITLE, copy_database, sample_template_fixture  # noqa: F401
from helpers import WIKIMON
from report_helpers import fetch, start_server, stop_server

from storage import Revision, Store
from storage.migrations import MIGRATIONS

# Far below the 30 s a writer waits for the lock: a reader that waited would fail this.
ANSWER_WITHIN = 15


def wikimon(db: Path, *args: str, timeout: float = ANSWER_WITHIN) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*WIKIMON, "--db", str(db), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=db.parent,  # not the checkout's config.yaml
    )


@pytest.fixture
def db(sample_template, tmp_path: Path) -> Path:  # noqa: F811 - the fixture above
    path = tmp_path / "wikimon.db"
    copy_database(sample_template.db, path)
    return path


@pytest.fixture
def write_lock(db: Path) -> Iterator[subprocess.Popen]:
    """Another process in the middle of a write transaction (as the daemon during a poll),
    until the test ends."""
    holder = subprocess.Popen(
        [
            "python3", "-c",
            "import sqlite3, sys, time\n"
            "conn = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
            "conn.execute('BEGIN IMMEDIATE')\n"
            "conn.execute(\"INSERT INTO imports (path, started_at) VALUES ('lock', 'now')\")\n"
            "print('locked', flush=True)\n"
            "time.sleep(300)\n",
            str(db),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
    yield holder
    holder.kill()
    holder.wait()


def test_read_commands_answer_while_another_process_writes(db: Path, write_lock) -> None:
    with pytest.raises(sqlite3.OperationalError, match="locked"):  # the lock is real
        sqlite3.connect(db, timeout=0.1).execute("BEGIN IMMEDIATE")
    status = wikimon(db, "status", "--json")
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)[0]["revisions"] == 190
    revisions = wikimon(db, "revisions", TITLE, "--json")
    assert revisions.returncode == 0 and len(json.loads(revisions.stdout)) == 190
    changes = wikimon(db, "changes", TITLE, "--field", "casualties2")
    assert changes.returncode == 0 and "208 → 220" in changes.stdout
    assert changes.stderr == ""  # the change log is up to date: nothing to say
    show = wikimon(db, "show", TITLE, "--at", "2024-12-01", "--json")
    assert show.returncode == 0 and json.loads(show.stdout)["fields"]["casualties2"]
    wikitext = wikimon(db, "wikitext", TITLE)
    assert wikitext.returncode == 0 and "Infobox military conflict" in wikitext.stdout


def test_serve_answers_while_another_process_writes(db: Path, write_lock, wikimon_process):
    proc, base = start_server(wikimon_process, db)
    try:
        index = fetch(base)
        assert index.status == 200 and TITLE in index.body
        (page_id,) = {row["page_id"] for row in json.loads(wikimon(db, "status", "--json").stdout)}
        article = fetch(f"{base}enwiki/{page_id}/index.html")
        assert article.status == 200 and "casualties2" in article.body
    finally:
        stop_server(proc)


def test_a_lagging_change_log_is_shown_as_recorded_with_a_note(db: Path, tmp_path: Path) -> None:
    """New revisions stored without their analysis (a writer stopped between the two),
    then another process holds the lock: the reader does not wait for it to analyse."""
    store = Store(db)
    (page,) = store.pages()
    latest = store.latest_revision(page)
    assert latest is not None
    text = store.text(page, latest.revid)
    assert text is not None
    changed = re.sub(r"(\| result *= )", r"\1Ceasefire. ", text.decode(), count=1)
    assert "Ceasefire" in changed
    store.writer(page).write(
        [Revision(revid=latest.revid + 1, timestamp="2024-12-10T00:00:00Z", text=changed)]
    )
    store.close()
    holder = subprocess.Popen(
        ["python3", "-c", "import sqlite3, sys, time\n"
         "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
         "c.execute('BEGIN IMMEDIATE'); print('locked', flush=True); time.sleep(300)", str(db)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        result = wikimon(db, "changes", TITLE, "--field", "result")
        assert result.returncode == 0
        assert "Ceasefire" not in result.stdout  # not analysed yet: not recorded yet
        assert result.stderr.startswith(f"Note: the change log of {TITLE!r} is behind")
    finally:
        holder.kill()
        holder.wait()
    # once nobody holds the lock, the reader brings the change log up to date itself
    result = wikimon(db, "changes", TITLE, "--field", "result")
    assert result.returncode == 0 and result.stderr == ""
    assert "Ceasefire" in result.stdout


def test_a_reader_says_one_line_when_the_schema_is_older(db: Path) -> None:
    newest = MIGRATIONS[-1][0]
    with sqlite3.connect(db) as conn:  # as a wikimon one migration older left it
        conn.execute("DELETE FROM _migrations WHERE name = ?", [newest])
    for command in (["status"], ["changes", TITLE], ["show", TITLE]):
        result = wikimon(db, *command)
        assert result.returncode == 1
        assert result.stderr == (
            f"Error: {db} was written by an older wikimon; run any command that writes "
            "(e.g. `wikimon reanalyze`) to upgrade it\n"
        )
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM _migrations").fetchone()[0] == len(MIGRATIONS) - 1


def test_a_database_on_a_read_only_file_system_can_be_read(db: Path, tmp_path: Path) -> None:
    """A private mount namespace (root, or a user namespace) with the database on a tmpfs
    remounted read-only: no -wal/-shm file can be made there, yet every reader works."""
    mount = tmp_path / "ro"
    mount.mkdir()
    script = (
        f"mount -t tmpfs none {mount} && cp {db} {mount}/w.db && "
        f"mount -o remount,ro {mount} && "
        f"{' '.join(WIKIMON)} --db {mount}/w.db status --json && "
        f"{' '.join(WIKIMON)} --db {mount}/w.db changes '{TITLE}' --field casualties2 && "
        f"! touch {mount}/proof-that-it-is-read-only 2>/dev/null"
    )
    flags = ["--mount"] if os.geteuid() == 0 else ["--mount", "--map-root-user"]
    result = subprocess.run(
        ["unshare", *flags, "sh", "-c", script], capture_output=True, text=True, timeout=60,
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert '"revisions": 190' in result.stdout and "208 → 220" in result.stdout
