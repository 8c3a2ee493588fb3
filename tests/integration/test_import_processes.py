"""XML import: every schema in the corpus, exact round trip, malformed files, kill -9."""

from __future__ import annotations

import pytest
from helpers import (
    BIG_HISTORY,
    CORPUS,
    SAMPLE_HISTORY,
    counts,
    kill_when,
    revisions_in,
)

from storage import Store


def test_wikitext_subprocess_prints_exact_bytes(wikimon_process, tmp_path):
    db = tmp_path / "w.db"
    assert wikimon_process("--db", str(db), "import", str(SAMPLE_HISTORY)).wait() == 0
    proc = wikimon_process("--db", str(db), "wikitext", "2024 Syrian opposition offensives")
    out, err = proc.communicate()
    assert proc.returncode == 0, err
    seed = (CORPUS.parent / "2024_Syrian_opposition_offensives.wikitext").read_bytes()
    assert out == seed  # the last revision is the real article, with no newline added


@pytest.mark.slow
def test_kill_9_during_import_then_rerun_completes(wikimon_process, tmp_path):
    db = tmp_path / "k.db"
    proc = wikimon_process("--db", str(db), "import", str(BIG_HISTORY))
    kill_when(proc, db, "SELECT COUNT(*) FROM revisions", 300)
    assert 300 <= counts(db)[1] < 1396
    rerun = wikimon_process("--db", str(db), "import", str(BIG_HISTORY))
    out, err = rerun.communicate()
    assert rerun.returncode == 0, err
    assert counts(db) == (1, 1396)
    store = Store(db)
    page = store.pages()[0]
    for revision in revisions_in(BIG_HISTORY)[::50]:
        assert store.text(page, revision.revid) == revision.text.encode()


def test_progress_bar_on_a_terminal_only(tmp_path):
    """On a terminal `import` draws a progress bar on stderr; in a pipe it prints none."""
    import os
    import pty
    import subprocess
    import sys

    db = tmp_path / "p.db"
    command = [sys.executable, "-m", "monitor", "--db", str(db), "import", str(SAMPLE_HISTORY)]
    leader, follower = pty.openpty()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=follower, cwd=tmp_path)
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    assert proc.wait() == 0
    os.close(leader)
    assert b"history.xml.xz" in seen and b"100%" in seen
    piped = subprocess.run(command, capture_output=True, cwd=tmp_path)
    assert piped.returncode == 0 and b"%" not in piped.stderr
