"""Fixtures of every test: a database, the CLI in-process, wikimon as a process; under CI
(WIKIMON_REQUIRE_ALL=1) a skipped test fails. Services (MediaWiki, SMTP) are the
integration tests' own fixtures (integration/conftest.py)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import WIKIMON

from monitor.cli import cli
from storage import Clock, Store


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
    """Run the CLI in-process: run("status", "--json") -> click Result (exit_code, output);
    ``clock=`` gives the command its "now".

    The working directory is tmp_path, so the checkout's config.yaml is not picked up."""
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def invoke(
        *args: str,
        config: Path | None = None,
        db: Path | None = db_path,
        clock: Clock | None = None,
    ):
        argv = []
        if config is not None:
            argv += ["--config", str(config)]
        if db is not None:
            argv += ["--db", str(db)]
        # the command's "now" is ``clock`` (default: the system's)
        return runner.invoke(cli, argv + list(args), catch_exceptions=False, obj=clock)

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
