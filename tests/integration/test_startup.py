"""Start-up: commands that need no wiki, no analysis, no templates and no revision text
import none of the libraries for them (`python -X importtime`, a real process each)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import SAMPLE_HISTORY, WIKIMON

from monitor import __version__

HEAVY = {"mwclient", "requests", "jinja2", "apscheduler", "zstandard", "mwparserfromhell"}


def imported(*args: str, cwd: Path) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run wikimon under -X importtime: its result, and every module it imported."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", *WIKIMON[1:], *args],
        cwd=cwd,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    modules = {
        line.rsplit("|", 1)[1].strip()
        for line in proc.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    assert "monitor.cli" in modules  # the listing is there to read
    return proc, modules


@pytest.fixture(scope="module")
def small_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("startup")
    done = subprocess.run(
        [*WIKIMON, "--db", "wikimon.db", "import", str(SAMPLE_HISTORY)],
        cwd=where, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return where


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--version"], f"wikimon, version {__version__}"),
        (["--help"], "wikimon watches Wikipedia articles"),
        (["poll", "--help"], "--verbose"),
        (["--db", "wikimon.db", "status"], "2024 Syrian opposition offensives"),
        (["--db", "wikimon.db", "status", "--json"], '"storage_bytes"'),
    ],
    ids=["version", "help", "poll-help", "status", "status-json"],
)
def test_quick_commands_import_no_heavy_library(small_db: Path, args: list[str], says: str):
    proc, modules = imported(*args, cwd=small_db)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert says in proc.stdout
    loaded = {name.split(".")[0] for name in modules}
    assert loaded & HEAVY == set(), sorted(m for m in modules if m.split(".")[0] in HEAVY)


def test_a_command_that_reads_texts_imports_what_it_needs(small_db: Path):
    """The guard above can fail: `wikitext` decodes a revision, so zstandard is loaded."""
    proc, modules = imported("--db", "wikimon.db", "wikitext", "2024 Syrian opposition offensives",
                             cwd=small_db)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "zstandard" in modules
    assert "mwclient" not in modules
