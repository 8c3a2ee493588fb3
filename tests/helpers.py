"""Paths and helpers shared by the unit and the integration tests (not fixtures: those
are in conftest.py files)."""

from __future__ import annotations

import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from monitor.sources.xmldump import read_dump
from storage import ChangeRow, Revision, Store
from storage import changes as changelog

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
CORPUS = DATA / "corpus"
CASES = Path(__file__).resolve().parent / "cases"  # the data-driven fixtures
REAL = CORPUS / "real"
BIG_HISTORY = CORPUS / "dev" / "history-big.xml.xz"
SEED = DATA / "2024_Syrian_opposition_offensives.wikitext"  # one real revision
SAMPLE_HISTORY = ROOT / "samples" / "history.xml.xz"
WIKIMON = [sys.executable, "-m", "monitor"]


def read_db(db: Path, sql: str) -> int:
    """One number from a database another process is writing (0 until it has it)."""
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            row = conn.execute(sql).fetchone()
    except sqlite3.OperationalError:  # not created yet, or no such table yet
        return 0
    return row[0] if row and row[0] is not None else 0


def kill_when(proc: subprocess.Popen, db: Path, sql: str, at_least: int) -> int:
    """kill -9 ``proc`` as soon as ``sql`` reads at least ``at_least`` in ``db``; returns
    the reading. Fails if the process ends first or makes no progress in two minutes."""
    deadline = time.monotonic() + 120
    try:
        while (value := read_db(db, sql)) < at_least:
            assert proc.poll() is None, f"finished before it could be killed: {proc.communicate()}"
            assert time.monotonic() < deadline, "made no progress"
            time.sleep(0.01)
        assert proc.poll() is None, "finished before it could be killed"
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    return value


def copy_sample(tmp_path: Path) -> Path:
    target = tmp_path / SAMPLE_HISTORY.name
    shutil.copy(SAMPLE_HISTORY, target)
    return target


def revisions_in(path) -> list[Revision]:
    return [item for item in read_dump(path) if isinstance(item, Revision)]


def counts(db_path) -> tuple[int, int]:
    store = Store(db_path)
    try:
        pages = store.conn.execute("SELECT COUNT(*) FROM pages").fetchone()[0]
        revs = store.conn.execute("SELECT COUNT(*) FROM revisions").fetchone()[0]
        return pages, revs
    finally:
        store.close()


def change_log(db: Path) -> list[ChangeRow]:
    store = Store(db)
    try:
        (page,) = store.pages()
        return changelog.changes(store, page)
    finally:
        store.close()


def spoil(db: Path, seed: int = 12) -> None:
    """Damage a database as a failing disk or a stray write would: random bytes over its
    pages from the second to a third of the file. The first page (the header and the
    schema) is left, so SQLite still opens the file and finds the damage as it reads."""
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # every page in the file itself
    conn.close()
    data = db.read_bytes()
    page_size = int.from_bytes(data[16:18], "big") or 65536
    length = max(page_size, len(data) // 3 - page_size)
    with open(db, "r+b") as file:
        file.seek(page_size)
        file.write(random.Random(seed).randbytes(length))


def wait_until(condition: Callable[[], object], what: str, timeout: float = 60.0) -> object:
    """Poll ``condition`` until it is true (its value is returned), at most ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)
    return value


def log_text(directory: Path) -> str:
    """What a daemon started in ``directory`` logged so far (its daemon.log)."""
    path = directory / "daemon.log"
    return path.read_text(encoding="utf-8") if path.exists() else ""
