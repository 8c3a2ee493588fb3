"""The services the integration tests run for real: a MediaWiki (Debian's package on
SQLite, served by php -S on 127.0.0.1, built once per session) and an SMTP server
(aiosmtpd on 127.0.0.1); an EventStreams server, a webhook receiver and a json:// endpoint
for the alerts (push_fixtures.py); the daemon as a process."""

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from mediawiki_fixtures import (  # noqa: F401
    mediawiki,
    mediawiki_golden,
    mediawiki_many,
    mediawiki_many_golden,
)
from push_fixtures import event_stream, json_catcher, webhook  # noqa: F401
from smtp_fixtures import smtp_server  # noqa: F401


@pytest.fixture
def daemon(tmp_path: Path, wikimon_process) -> Iterator[Callable[..., subprocess.Popen]]:
    """Start `wikimon run` processes; any still running at the end are killed."""
    started: list[subprocess.Popen] = []

    def start(config: Path) -> subprocess.Popen:
        proc = wikimon_process("--config", str(config), "--db", str(tmp_path / "w.db"), "run")
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
