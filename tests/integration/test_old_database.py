"""A database written by wikimon before migration 0005 (identical revisions as references,
deltas against any of the last texts) keeps working.

tests/data/wikimon-0003.db.gz was written by the wikimon of migration 0003 (the commit
before 0005): `wikimon --db wikimon-0003.db import tests/data/wiki-history.xml.gz`, then
gzip -9. It holds the first 30 revisions of the sample history, each a zstd frame against
its parent, sha1 as hex text.
"""

from __future__ import annotations

import gzip
import hashlib
import re
import shutil
from pathlib import Path

import pytest
from helpers import DATA, SAMPLE_HISTORY, revisions_in

from storage import Store

OLD_DB = DATA / "wikimon-0003.db.gz"
FIRST_30 = DATA / "wiki-history.xml.gz"


@pytest.fixture
def old_db(db_path: Path) -> Path:
    with gzip.open(OLD_DB) as source, db_path.open("wb") as target:
        shutil.copyfileobj(source, target)
    return db_path


def sha1s(path: Path) -> dict[int, str]:
    return {
        r.revid: hashlib.sha1((r.text or "").encode("utf-8")).hexdigest()
        for r in revisions_in(path)
    }


def stored_sha1s(db_path: Path) -> dict[int, str]:
    """revid -> sha1 of the text read back, for every stored revision; the sha1 each
    revision records (when the export gave one) is checked against it."""
    store = Store(db_path, readonly=True)
    try:
        (page,) = store.pages()
        recorded = {row.revid: row.sha1 for row in store.revisions(page)}
        read = {
            meta.revid: hashlib.sha1(text or b"").hexdigest() for meta, text in store.texts(page)
        }
    finally:
        store.close()
    assert all(recorded[revid] in (None, sha1) for revid, sha1 in read.items())
    assert sum(1 for sha1 in recorded.values() if sha1) > len(read) // 2
    return read


def test_an_old_database_is_upgraded_reads_back_and_grows(run, old_db: Path) -> None:
    title = "2024 Syrian opposition offensives"
    # read-only commands say how to upgrade it, on one line, and change nothing
    before = old_db.read_bytes()
    result = run("status")
    assert result.exit_code == 1
    assert result.output.strip().endswith("to upgrade it")
    assert "Traceback" not in result.output
    assert old_db.read_bytes() == before

    # a command that writes upgrades it; every old revision reads back byte for byte
    result = run("import", str(FIRST_30))
    assert result.exit_code == 0, result.output
    assert "0 revisions added, 30 already stored" in result.output
    expected = sha1s(FIRST_30)
    assert stored_sha1s(old_db) == expected
    assert run("wikitext", title).stdout_bytes.decode("utf-8") == next(
        r.text for r in revisions_in(FIRST_30) if r.revid == max(expected)
    )

    # new revisions are stored in the new format next to the old rows: identical texts
    # (reverts, also to an old row) as references, the others as deltas
    result = run("import", str(SAMPLE_HISTORY))
    assert result.exit_code == 0, result.output
    assert "160 revisions added, 30 already stored" in result.output
    expected = sha1s(SAMPLE_HISTORY)
    assert stored_sha1s(old_db) == expected
    store = Store(old_db, readonly=True)
    try:
        references = store.conn.execute(
            "SELECT COUNT(*) FROM revisions WHERE same_as IS NOT NULL"
        ).fetchone()[0]
    finally:
        store.close()
    # every new revision whose text an earlier one (old or new) already has
    old = set(sha1s(FIRST_30))
    seen = {expected[revid] for revid in old}
    repeats = 0
    for revision in sorted(revisions_in(SAMPLE_HISTORY), key=lambda r: r.revid):
        if revision.revid in old or revision.text is None:
            continue
        repeats += expected[revision.revid] in seen
        seen.add(expected[revision.revid])
    assert references == repeats > 0
    result = run("status")
    assert result.exit_code == 0 and "190" in result.output

    # it keeps its 4 KB pages until `wikimon vacuum` rewrites it in 2 KB ones
    assert int.from_bytes(old_db.read_bytes()[16:18], "big") == 4096
    result = run("vacuum")
    assert result.exit_code == 0, result.output
    assert re.fullmatch(
        rf"{re.escape(str(old_db))}: [0-9,]+ → [0-9,]+ bytes, pages of 4,096 → 2,048 bytes\n",
        result.output,
    )
    assert int.from_bytes(old_db.read_bytes()[16:18], "big") == 2048
    assert stored_sha1s(old_db) == expected
    assert run("check").exit_code == 0
