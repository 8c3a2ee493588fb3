"""Revision texts under vandalism: identical texts as references, the best of the recent
bases, bounded chains, and databases written before all that (storage/texts.py, codec.py)."""

from __future__ import annotations

import hashlib
import random
import sqlite3
from pathlib import Path

import pytest
import zstandard
from helpers import SEED

from storage import Revision, Store, codec
from storage import texts as stored_texts
from storage.migrations import MIGRATIONS, _statements

ARTICLE = SEED.read_text(encoding="utf-8")  # one real 120 KB revision


def rev(revid: int, text: str | None, **kw) -> Revision:
    return Revision(
        revid=revid,
        timestamp=f"2024-12-01T{revid // 3600:02d}:{revid // 60 % 60:02d}:{revid % 60:02d}Z",
        text=text,
        texthidden=text is None,
        **kw,
    )


def rows(store: Store) -> dict[int, dict]:
    return {
        row["revid"]: row
        for row in store.db.query(
            "SELECT revid, delta_base, same_as, chain_depth, LENGTH(content) AS size "
            "FROM revisions ORDER BY id"
        )
    }


def edited(n: int) -> str:
    """The article with its n-th casualty figure changed: a one-figure edit."""
    return ARTICLE.replace("11 arrested", f"{11 + n} arrested", 1)


def test_blank_and_restore_vandalism_costs_almost_nothing(fresh_db):
    page = fresh_db.upsert_page("enwiki", 7, "Example")
    history, revid = [], 0
    for n in range(20):  # each good edit is blanked by a vandal, then restored
        for text in (edited(n), "lol", edited(n)):
            revid += 1
            history.append(rev(revid, text))
    assert fresh_db.writer(page).write(history) == 60
    stored = rows(fresh_db)
    restores = [r for r in stored.values() if r["revid"] % 3 == 0]
    # each restore is the text before the blanking, byte for byte: a reference to it
    assert [(r["same_as"], r["size"], r["delta_base"]) for r in restores] == [
        (revid - 2, 0, None) for revid in range(3, 61, 3)
    ]
    # each good edit is a delta against the restored text, not against "lol"
    edits = [stored[revid] for revid in range(4, 61, 3)]
    assert {r["delta_base"] for r in edits} <= set(range(1, 61, 3))
    assert max(r["size"] for r in edits) < 40
    keyframe = stored[1]["size"]
    assert keyframe > 20_000
    assert fresh_db.storage_bytes(page) < keyframe + 60 * 40
    for revision in history:
        assert fresh_db.text(page, revision.revid) == revision.text.encode()
    texts = [text for _, text in fresh_db.texts(page)]
    assert texts == [revision.text.encode() for revision in history]


def test_a_partial_restore_is_based_on_the_text_before_the_vandalism(fresh_db):
    """A vandal removes a large section; the next editor restores it and changes a figure.
    The smallest delta is against the text before the vandal's edit, not after it."""
    page = fresh_db.upsert_page("enwiki", 7, "Example")
    middle = len(ARTICLE) // 2
    vandalised = ARTICLE[: middle - 30_000] + ARTICLE[middle + 30_000 :]
    writer = fresh_db.writer(page)
    writer.write([rev(1, ARTICLE), rev(2, vandalised)])
    writer.write([rev(3, edited(1))])  # another batch: the writer remembers the texts
    stored = rows(fresh_db)
    assert (stored[3]["delta_base"], stored[3]["chain_depth"]) == (1, 1)
    assert stored[3]["size"] < 40
    # a new writer (another command, a later poll) reads the recent texts back
    fresh_db.writer(page).write([rev(4, vandalised), rev(5, edited(2))])
    stored = rows(fresh_db)
    assert (stored[4]["same_as"], stored[4]["size"]) == (2, 0)
    assert stored[5]["delta_base"] in (1, 3) and stored[5]["size"] < 40
    for revid, text in [(1, ARTICLE), (2, vandalised), (3, edited(1)), (4, vandalised),
                        (5, edited(2))]:  # fmt: skip
        assert fresh_db.text(page, revid) == text.encode()


def test_a_text_repeated_later_in_the_same_batch_is_a_reference(fresh_db):
    page = fresh_db.upsert_page("enwiki", 7, "Example")
    many = stored_texts.RECENT + 8  # more distinct texts than a delta may be based on
    batch = [rev(n + 1, edited(n)) for n in range(many)] + [rev(many + 1, edited(0))]
    fresh_db.writer(page).write(batch)
    assert rows(fresh_db)[many + 1]["same_as"] == 1
    assert fresh_db.text(page, many + 1) == edited(0).encode()


def test_identical_texts_with_a_wrong_declared_sha1_are_not_confused(fresh_db):
    page = fresh_db.upsert_page("enwiki", 7, "Example")
    fresh_db.writer(page).write([rev(1, "one " * 100, sha1="0" * 40), rev(2, "two " * 100)])
    fresh_db.writer(page).write([rev(3, "one " * 100), rev(4, "two " * 100)])
    stored = rows(fresh_db)
    # the first row's text does not match its declared sha1: never a reference target
    assert (stored[3]["same_as"], stored[4]["same_as"]) == (None, 2)
    assert fresh_db.revision(page, 1).sha1 == "0" * 40  # the declared one, as it was
    assert fresh_db.text(page, 3) == b"one " * 100


def test_chains_stay_bounded_and_every_revision_decodes(fresh_db, monkeypatch):
    monkeypatch.setattr(codec, "MAX_CHAIN", 5)
    page = fresh_db.upsert_page("enwiki", 7, "Example")
    chance = random.Random(11)
    texts: list[str] = []
    for n in range(80):  # edits, blankings and reverts to any earlier text
        texts.append(chance.choice(texts) if n % 7 == 6 else edited(n) if n % 4 else "blank")
    writer = fresh_db.writer(page)
    for start in range(0, 80, 7):  # batches of every size
        writer.write([rev(n + 1, texts[n]) for n in range(start, min(80, start + 7))])
    stored = rows(fresh_db)
    assert max(r["chain_depth"] for r in stored.values()) == 4
    for revid, row in stored.items():
        if row["same_as"] is not None:
            assert row["chain_depth"] == stored[row["same_as"]]["chain_depth"]
        elif row["delta_base"] is not None:
            assert row["chain_depth"] == stored[row["delta_base"]]["chain_depth"] + 1
        else:
            assert row["chain_depth"] == 0
        reader = Store(fresh_db.path)  # nothing cached: the chain is followed
        assert reader.text(page, revid) == texts[revid - 1].encode()
        reader.close()


def test_writers_taking_turns_on_one_page_stay_decodable(tmp_path):
    first, second = Store(tmp_path / "w.db"), Store(tmp_path / "w.db")
    page = first.upsert_page("enwiki", 7, "Example")
    writers = [first.writer(page), second.writer(page)]
    for n in range(12):  # each writer's memory goes stale when the other writes
        writers[n % 2].write([rev(n + 1, edited(n % 5) if n % 3 else "blanked")])
    for store in (first, second):
        for n in range(12):
            assert store.text(page, n + 1) == (edited(n % 5) if n % 3 else "blanked").encode()
    first.close()
    second.close()


def test_a_failed_batch_leaves_no_reference_to_what_was_rolled_back(fresh_db):
    page = fresh_db.upsert_page("enwiki", 7, "Example")
    writer = fresh_db.writer(page)
    with pytest.raises(sqlite3.IntegrityError):
        writer.write([rev(1, ARTICLE), Revision(revid=2, timestamp=None, text="x")])
    # revision 1 was rolled back: the same text again is stored in full, not as a reference
    writer.write([rev(3, ARTICLE)])
    assert rows(fresh_db)[3]["same_as"] is None and rows(fresh_db)[3]["size"] > 20_000
    assert fresh_db.text(page, 3) == ARTICLE.encode()


# -- databases written before migration 0005 ---------------------------------------------------


def old_database(path: Path, texts: list[str]) -> None:
    """A database as wikimon wrote it before 0005: migrations 0001-0003, each text a zstd
    frame with the previous one as dictionary (a keyframe every 200), sha1 as hex text."""
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
        for name, script in MIGRATIONS[:3]:
            for statement in _statements(script):
                conn.execute(statement)
            conn.execute("INSERT INTO _migrations VALUES (?, '2026-01-01T00:00:00Z')", [name])
        conn.execute("INSERT INTO wikis (name) VALUES ('enwiki')")
        conn.execute(
            "INSERT INTO pages (id, wiki, page_id, title, added_at) "
            "VALUES (1, 'enwiki', 7, 'Example', '2026-01-01T00:00:00Z')"
        )
        previous: bytes | None = None
        for n, text in enumerate(texts):
            data = text.encode()
            if n % 200 == 0:
                blob, base = zstandard.ZstdCompressor(level=19).compress(data), None
            else:
                dictionary = zstandard.ZstdCompressionDict(
                    previous, dict_type=zstandard.DICT_TYPE_RAWCONTENT
                )
                blob = zstandard.ZstdCompressor(level=9, dict_data=dictionary).compress(data)
                base = n
            conn.execute(
                "INSERT INTO revisions (page, revid, timestamp, sha1, size, content, "
                "delta_base, chain_depth) VALUES (1, ?, ?, ?, ?, ?, ?, ?)",
                [n + 1, rev(n + 1, text).timestamp, hashlib.sha1(data).hexdigest(), len(data),
                 blob, base, n % 200],
            )  # fmt: skip
            previous = data


def test_a_database_written_before_references_reads_and_grows(tmp_path):
    path = tmp_path / "old.db"
    texts = [edited(n % 7) if n % 5 else "blanked" for n in range(230)]
    old_database(path, texts)
    store = Store(path)  # upgrades it: migration 0005
    assert "0005_identical_revisions" in {
        row["name"] for row in store.db.query("SELECT name FROM _migrations")
    }
    (page,) = store.pages()
    assert [text for _, text in store.texts(page)] == [t.encode() for t in texts]
    assert [store.revision(page, n + 1).sha1 for n in range(3)] == [
        hashlib.sha1(t.encode()).hexdigest() for t in texts[:3]
    ]
    # new revisions: a revert to an old-format text is a reference to it, and the rest
    # are deltas in the new format against old-format texts
    store.writer(page).write([rev(231, edited(3)), rev(232, "blanked"), rev(233, edited(9))])
    stored = rows(store)
    # of the old rows with that text, the one quickest to read (in the first chain of 200)
    assert stored[231]["same_as"] == 4 and stored[231]["chain_depth"] == 3
    assert stored[232]["same_as"] == 1 and stored[232]["chain_depth"] == 0  # a keyframe
    assert stored[233]["delta_base"] is not None and stored[233]["size"] < 40
    store.close()
    reader = Store(path, readonly=True)
    for n, text in enumerate([*texts, edited(3), "blanked", edited(9)]):
        assert reader.text(page, n + 1) == text.encode()
    assert reader.revision(page, 233).sha1 == hashlib.sha1(edited(9).encode()).hexdigest()
    reader.close()
