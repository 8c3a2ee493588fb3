"""The SQLite store: migrations, pragmas, delta chains, dedupe, title history, status."""

from __future__ import annotations

from storage import Store

_WRITER_SCRIPT = """
import sys
from storage import Revision, Store
store = Store(sys.argv[1])
page = store.upsert_page("enwiki", 7, "Example")
writer = store.writer(page)
for start in range(0, 60, 6):
    writer.write([
        Revision(revid=n, timestamp=f"2024-01-01T00:00:{n:02d}Z", text=f"text {n} " * 300)
        for n in range(start + 1, start + 7)
    ])
"""


def test_two_processes_writing_one_page_store_each_revision_once(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "shared.db"
    procs = [
        subprocess.Popen([sys.executable, "-c", _WRITER_SCRIPT, str(path)], stderr=subprocess.PIPE)
        for _ in range(4)  # they also create the database and migrate it at once
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
    store = Store(path)
    (page,) = store.pages()
    assert [r.revid for r in store.revisions(page)] == list(range(1, 61))
    for n in range(1, 61):  # every delta chain decodes, whoever wrote its base
        assert store.text(page, n) == (f"text {n} " * 300).encode()
