"""Shared fixtures. MediaWiki fixtures live in mediawiki_fixtures.py (imported here once)."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from mediawiki_fixtures import mediawiki, mediawiki_golden  # noqa: F401
from smtp_fixtures import smtp_server  # noqa: F401

from monitor.cli import cli
from storage import Store

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
CORPUS = DATA / "corpus"
SAMPLE_HISTORY = ROOT / "samples" / "history.xml.xz"
WIKIMON = [sys.executable, "-m", "monitor"]


@pytest.fixture
def fresh_db(tmp_path: Path) -> Store:
    store = Store(tmp_path / "test.db")
    yield store
    store.close()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "wikimon.db"


@pytest.fixture
def run(tmp_path: Path, db_path: Path, monkeypatch):
    """Run the CLI in-process: run("status", "--json") -> click Result (exit_code, output).

    The working directory is tmp_path, so the checkout's config.yaml is not picked up."""
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def invoke(*args: str, config: Path | None = None, db: Path | None = db_path):
        argv = []
        if config is not None:
            argv += ["--config", str(config)]
        if db is not None:
            argv += ["--db", str(db)]
        return runner.invoke(cli, argv + list(args), catch_exceptions=False)

    return invoke


@pytest.fixture
def wikimon_process(tmp_path: Path):
    """Run wikimon as a real subprocess (for kill -9 tests and exact stdout bytes)."""

    def start(*args: str, **kwargs) -> subprocess.Popen:
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        return subprocess.Popen(
            WIKIMON + list(args), cwd=tmp_path, env=env, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, **kwargs,
        )  # fmt: skip

    return start


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


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Under CI (WIKIMON_REQUIRE_ALL=1, set by .ci/run) a skipped test is a failed test:
    a missing dependency must not pass silently."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and os.environ.get("WIKIMON_REQUIRE_ALL") and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped, but WIKIMON_REQUIRE_ALL forbids skips: {report.longrepr}"


def pytest_sessionfinish(session, exitstatus):
    """Skips raised at collection time (importorskip) never reach the hook above."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped and os.environ.get("WIKIMON_REQUIRE_ALL"):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
