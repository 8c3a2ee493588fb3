"""The change log over a stored history: reverts, hidden revisions, incremental analysis,
and the commands that read it (changes, show, diff, reanalyze)."""

from __future__ import annotations

from helpers import (
    CORPUS,
    SAMPLE_HISTORY,
    change_log,
    kill_when,
)

from storage import Store
from storage import changes as changelog

_ANALYSE = """
import sys
from monitor.analysis import analyze_page
from storage import Store
store = Store(sys.argv[1])
(page,) = store.pages()
analyze_page(store, page)
"""


def test_concurrent_analyses_record_each_change_once(run, db_path, tmp_path):
    import subprocess
    import sys

    full_db = tmp_path / "full.db"
    run("import", str(SAMPLE_HISTORY), db=full_db)
    expected = change_log(full_db)
    # store the revisions without their analysis, then analyse from three processes at once
    run("import", str(SAMPLE_HISTORY))
    store = Store(db_path)
    (page,) = store.pages()
    with store.transaction():
        changelog.reset(store, page)
    store.close()
    procs = [
        subprocess.Popen([sys.executable, "-c", _ANALYSE, str(db_path)], stderr=subprocess.PIPE)
        for _ in range(3)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
    assert change_log(db_path) == expected


def test_an_interrupted_analysis_is_finished_by_the_next_command(
    run, db_path, tmp_path, wikimon_process
):

    big = CORPUS / "dev" / "history-big.xml.xz"
    proc = wikimon_process("--db", str(db_path), "import", str(big))
    analysed = kill_when(proc, db_path, "SELECT analyzed FROM analysis_state", 200)
    assert 200 <= analysed < 1396
    # the same import again adds no revision, but finishes the change log
    again = run("import", str(big))
    assert "0 revisions added, 1396 already stored" in again.output
    full_db = tmp_path / "full.db"
    run("import", str(big), db=full_db)
    assert change_log(db_path) == change_log(full_db)
