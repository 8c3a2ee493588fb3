"""The SQLite store: migrations, pragmas, delta chains, dedupe, title history, status."""

from __future__ import annotations

import hashlib
import sqlite3

import pytest

from storage import Revision, Store, StoreError, codec
from storage.migrations import MIGRATIONS


def rev(revid: int, text: str | None, ts: str | None = None, **kw) -> Revision:
    return Revision(
        revid=revid,
        timestamp=ts or f"2024-12-01T00:{revid // 60:02d}:{revid % 60:02d}Z",
        text=text,
        texthidden=text is None,
        **kw,
    )


def test_migrations_are_recorded_once(tmp_path):
    path = tmp_path / "m.db"
    Store(path).close()
    store = Store(path)  # reopening applies nothing new
    names = [r["name"] for r in store.db.query("SELECT name FROM _migrations ORDER BY name")]
    assert names == [name for name, _ in MIGRATIONS]
    assert set(store.db.table_names()) == {
        "_migrations",
        "wikis",
        "pages",
        "page_titles",
        "revisions",
        "sync_state",
        "imports",
        "changes",
        "reverts",
        "reverted",
        "analysis_state",
        "digests",
        "live_revisions",
        "alert_rules",
        "alerts",
        "alert_deliveries",
        "stream_state",
        "recentchanges_state",
        "current_facts",
    }


def test_an_older_database_is_migrated_forward(tmp_path):
    """A database created with only the first migration gets the later ones on open."""
    import sqlite3

    from storage.migrations import MIGRATIONS, _statements

    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
        name, script = MIGRATIONS[0]
        for statement in _statements(script):
            conn.execute(statement)
        conn.execute("INSERT INTO _migrations VALUES (?, '2026-01-01T00:00:00Z')", [name])
    store = Store(path)
    applied = [r["name"] for r in store.db.query("SELECT name FROM _migrations ORDER BY name")]
    assert applied == [name for name, _ in MIGRATIONS]
    assert "changes" in store.db.table_names()


def test_range_ends_are_added_to_an_existing_change_log(tmp_path):
    """0004_range_ends: a change log recorded before it keeps working; its figure records get
    their single numbers as both ends (the next analysis recomputes them)."""
    import sqlite3

    from storage.migrations import MIGRATIONS, _statements

    path = tmp_path / "v3.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
        for name, script in MIGRATIONS[:3]:
            for statement in _statements(script):
                conn.execute(statement)
            conn.execute("INSERT INTO _migrations VALUES (?, '2026-01-01T00:00:00Z')", [name])
        conn.executemany(
            "INSERT INTO changes (page, revid, timestamp, seq, field, kind, old_number, "
            "new_number) VALUES (1, 2, '2024-11-27T00:00:00Z', ?, ?, ?, ?, ?)",
            [
                (0, "casualties2", "figure_changed", 61, 142),
                (1, "result", "value_changed", None, None),
            ],
        )
    store = Store(path)
    rows = store.db.query(
        "SELECT kind, old_low, old_high, new_low, new_high FROM changes ORDER BY seq"
    )
    assert [tuple(r.values()) for r in rows] == [
        ("figure_changed", 61, 61, 142, 142),
        ("value_changed", None, None, None, None),
    ]


def test_wal_mode_and_busy_timeout(fresh_db):
    assert fresh_db.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert fresh_db.conn.execute("PRAGMA busy_timeout").fetchone()[0] == 30000


def test_text_round_trip_through_delta_chain(fresh_db, monkeypatch):
    monkeypatch.setattr(codec, "MAX_CHAIN", 3)
    page = fresh_db.upsert_page("enwiki", 7, "Example")
    texts = [f"{{{{Infobox|casualties = {n} killed}}}}\n" + "body " * 500 for n in range(10)]
    writer = fresh_db.writer(page)
    assert writer.write([rev(i + 1, t) for i, t in enumerate(texts[:4])]) == 4
    assert writer.write([rev(i + 1, t) for i, t in enumerate(texts)]) == 6  # 4 were known
    rows = list(fresh_db.db.query("SELECT revid, delta_base, chain_depth FROM revisions"))
    assert [r["chain_depth"] for r in rows] == [0, 1, 2, 0, 1, 2, 0, 1, 2, 0]
    assert [r["delta_base"] for r in rows][:3] == [None, 1, 2]
    for i, text in enumerate(texts):
        assert fresh_db.text(page, i + 1) == text.encode()
    # deltas are tiny compared to the text
    sizes = [r[0] for r in fresh_db.conn.execute("SELECT LENGTH(content) FROM revisions")]
    assert max(sizes[1:3]) < len(texts[1]) / 20


def test_new_writer_continues_the_chain_from_the_database(fresh_db):
    page = fresh_db.upsert_page("enwiki", 7, "Example")
    fresh_db.writer(page).write([rev(1, "alpha " * 100)])
    fresh_db.writer(page).write([rev(2, "alpha " * 100 + "beta")])
    row = fresh_db.conn.execute("SELECT delta_base FROM revisions WHERE revid = 2").fetchone()
    assert row[0] == 1
    assert fresh_db.text(page, 2) == ("alpha " * 100 + "beta").encode()


def test_out_of_order_inserts_decode(fresh_db):
    page = fresh_db.upsert_page("enwiki", 7, "Example")
    writer = fresh_db.writer(page)
    writer.write([rev(50, "newest text")])
    writer.write([rev(10, "oldest text", ts="2020-01-01T00:00:00Z")])
    assert fresh_db.text(page, 10) == b"oldest text"
    assert fresh_db.text(page, 50) == b"newest text"
    assert [r.revid for r in fresh_db.revisions(page)] == [10, 50]


def test_hidden_revision_has_flags_and_no_content(fresh_db):
    page = fresh_db.upsert_page("enwiki", 7, "Example")
    writer = fresh_db.writer(page)
    writer.write(
        [rev(1, "one"), rev(2, None, userhidden=True, commenthidden=True), rev(3, "three")]
    )
    assert fresh_db.text(page, 2) is None
    assert fresh_db.text(page, 3) == b"three"
    meta = fresh_db.revision(page, 2)
    assert (meta.texthidden, meta.userhidden, meta.commenthidden) == (True, True, True)
    # the delta of revision 3 skips the hidden one
    assert (
        fresh_db.conn.execute("SELECT delta_base FROM revisions WHERE revid=3").fetchone()[0] == 1
    )
    with pytest.raises(KeyError):
        fresh_db.text(page, 99)


def test_sha1_and_size_are_computed_when_missing(fresh_db):
    page = fresh_db.upsert_page("enwiki", 7, "Example")
    fresh_db.writer(page).write([rev(1, "é")])
    meta = fresh_db.revision(page, 1)
    assert meta.sha1 == hashlib.sha1("é".encode()).hexdigest()
    assert meta.size == 2


def test_failed_batch_writes_nothing_and_writer_recovers(fresh_db):
    page = fresh_db.upsert_page("enwiki", 7, "Example")
    writer = fresh_db.writer(page)
    writer.write([rev(1, "one")])
    with pytest.raises(sqlite3.IntegrityError):
        # a NULL timestamp violates NOT NULL: the whole batch and its sync state roll back
        writer.write([rev(2, "two"), Revision(revid=3, timestamp=None, text="x")],
                     sync={"backfill_cursor": 3})  # fmt: skip
    assert fresh_db.revision_count(page) == 1
    assert fresh_db.sync_state(page).backfill_cursor is None
    writer.write([rev(2, "two")])
    assert fresh_db.text(page, 2) == b"two"


def test_title_history_follows_the_page_id(fresh_db):
    page = fresh_db.upsert_page("enwiki", 7, "Old name", seen_at="2024-01-01T00:00:00Z")
    moved = fresh_db.upsert_page("enwiki", 7, "New name", seen_at="2024-02-01T00:00:00Z")
    assert moved.id == page.id and moved.title == "New name"
    assert [title for title, _ in fresh_db.title_history(moved)] == ["Old name", "New name"]
    assert fresh_db.find_pages("Old name") == [moved]  # a former title still finds it
    assert fresh_db.find_pages("New name") == [moved]


def test_status_summarises_each_page(fresh_db):
    page = fresh_db.upsert_page("enwiki", 7, "Example", tracked=True)
    fresh_db.upsert_page("enwiki", 8, "Empty")
    fresh_db.writer(page).write(
        [rev(5, "a"), rev(9, "ab"), rev(3, None, ts="2020-01-01T00:00:00Z")]
    )
    fresh_db.update_sync_state(page, last_poll="2024-12-02T00:00:00Z")
    rows = {r.title: r for r in fresh_db.status()}
    assert rows["Example"].revisions == 3
    assert rows["Example"].first_revid == 3 and rows["Example"].last_revid == 9
    assert rows["Example"].first_timestamp == "2020-01-01T00:00:00Z"
    assert rows["Example"].last_poll == "2024-12-02T00:00:00Z"
    assert rows["Example"].storage_bytes == fresh_db.storage_bytes(page) > 0
    assert rows["Empty"].revisions == 0 and rows["Empty"].last_revid is None


def test_a_directory_or_foreign_file_is_refused(tmp_path):
    with pytest.raises(StoreError, match="is a directory"):
        Store(tmp_path)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="is damaged: file is not a database"):
        Store(junk)
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE pages (x)")
    with pytest.raises(StoreError, match="not wikimon's"):
        Store(other)
    with sqlite3.connect(other) as conn:  # and it was left alone
        assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master")] == ["pages"]


def test_a_database_from_a_newer_wikimon_is_refused(tmp_path):
    path = tmp_path / "new.db"
    Store(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO _migrations VALUES ('9999_future', '2030-01-01T00:00:00Z')")
    with pytest.raises(StoreError, match="newer wikimon"):
        Store(path)


def test_a_missing_delta_base_is_a_clear_error(fresh_db):
    page = fresh_db.upsert_page("enwiki", 7, "Example")
    fresh_db.writer(page).write([rev(1, "one " * 50), rev(2, "two " * 50)])
    with fresh_db.transaction() as conn:
        conn.execute("PRAGMA foreign_keys = OFF")
        conn.execute("DELETE FROM revisions WHERE revid = 1")
    with pytest.raises(
        StoreError, match="revision 2 cannot be decoded: its delta base, revision 1"
    ):
        fresh_db.text(page, 2)


def test_declared_sha1_that_does_not_match_is_flagged(fresh_db):
    page = fresh_db.upsert_page("enwiki", 7, "Example")
    fresh_db.writer(page).write([rev(1, "text", sha1="0" * 40), rev(2, "more")])
    assert fresh_db.revision(page, 1).sha1_mismatch is True
    assert fresh_db.revision(page, 2).sha1_mismatch is False


def test_deleted_page_stops_being_tracked_and_a_live_namesake_wins(fresh_db):
    old = fresh_db.upsert_page("enwiki", 7, "Main Page", tracked=True)
    old = fresh_db.mark_deleted(old, "2024-05-01T00:00:00Z")
    assert (old.tracked, old.deleted_at) == (False, "2024-05-01T00:00:00Z")
    assert fresh_db.find_pages("Main Page") == [old]
    new = fresh_db.upsert_page("enwiki", 8, "Main Page", tracked=True)
    assert fresh_db.find_pages("Main Page") == [new]


def test_rename_false_keeps_the_current_title(fresh_db):
    fresh_db.upsert_page("enwiki", 7, "New name")
    same = fresh_db.upsert_page("enwiki", 7, "Old name", rename=False)
    assert same.title == "New name"
    assert {title for title, _ in fresh_db.title_history(same)} == {"New name", "Old name"}


def test_a_write_outside_a_transaction_is_refused_not_lost(tmp_path):
    """Writes go through Store.transaction(); one made outside it is an error at once, not
    a hidden transaction that close() would roll back."""
    path = tmp_path / "w.db"
    store = Store(path)
    store.ensure_wiki("enwiki")
    with pytest.raises(sqlite3.DatabaseError, match="not authorized"):
        store.conn.execute("UPDATE wikis SET dbname = 'x'")
    with store.transaction():
        store.conn.execute("UPDATE wikis SET dbname = 'enwiki'")
    store.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT dbname FROM wikis").fetchall() == [("enwiki",)]


def test_a_read_only_store_takes_no_lock_and_writes_nothing(tmp_path):
    path = tmp_path / "w.db"
    writer = Store(path)
    writer.ensure_wiki("enwiki")
    with writer.transaction():  # held open: a reader opens and reads regardless
        writer.conn.execute("UPDATE wikis SET dbname = 'enwiki'")
        reader = Store(path, readonly=True, busy_timeout=0)
        assert [w.name for w in reader.wikis()] == ["enwiki"]
    with pytest.raises(StoreError, match="read-only"), reader.transaction():
        pass
    with pytest.raises(sqlite3.DatabaseError):
        reader.conn.execute("UPDATE wikis SET dbname = 'x'")
    reader.close()
    writer.close()
    with pytest.raises(StoreError, match="no such database"):
        Store(tmp_path / "missing.db", readonly=True)
    assert not (tmp_path / "missing.db").exists()


# -- page size and vacuum ------------------------------------------------------------------


def _page_size(path) -> int:
    with open(path, "rb") as file:
        header = file.read(18)
    return int.from_bytes(header[16:18], "big")


def _four_kb_database(path) -> None:
    """A database as wikimon made them before 2 KB pages (SQLite's default, 4 KB)."""
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA page_size = 4096")
        conn.execute("PRAGMA journal_mode = WAL")
    conn.close()
    store = Store(path)
    writer = store.writer(store.upsert_page("enwiki", 1, "A", 0))
    writer.write([rev(n, f"text {n} " * 200 + "x" * n) for n in range(1, 40)])
    store.close()


def test_a_new_database_has_small_pages_and_an_older_one_keeps_its_own(tmp_path):
    from storage.store import PAGE_SIZE

    new = tmp_path / "new.db"
    Store(new).close()
    assert _page_size(new) == PAGE_SIZE == 2048
    old = tmp_path / "old.db"
    _four_kb_database(old)
    store = Store(old)  # opened and written: it keeps its pages
    writer = store.writer(store.pages()[0])
    assert writer.write([rev(100, "more")]) == 1
    store.close()
    assert _page_size(old) == 4096


def test_vacuum_moves_a_database_to_small_pages_and_keeps_every_text(tmp_path):
    path = tmp_path / "old.db"
    _four_kb_database(path)
    store = Store(path)
    (page,) = store.pages()
    texts = {meta.revid: text for meta, text in store.texts(page)}
    before = store.file_size()
    store.vacuum()
    assert store.page_size() == 2048
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.file_size() < before
    store.close()
    store = Store(path, check=True)
    assert {meta.revid: text for meta, text in store.texts(page)} == texts
    assert len(texts) > 20
    # and it still refuses a write outside a transaction
    with pytest.raises(sqlite3.DatabaseError, match="not authorized"):
        store.conn.execute("DELETE FROM revisions")
    store.close()


def test_vacuum_is_refused_while_another_connection_has_the_database(tmp_path):
    path = tmp_path / "busy.db"
    _four_kb_database(path)
    other = sqlite3.connect(path)  # as the daemon or `serve` would
    other.execute("SELECT COUNT(*) FROM revisions").fetchall()
    store = Store(path)
    with pytest.raises(StoreError, match="another process is using the database"):
        store.vacuum(busy_timeout=0.1)
    assert store.page_size() == 4096
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    writer = store.writer(store.pages()[0])
    assert writer.write([rev(200, "still writable")]) == 1
    other.close()
    store.close()


def test_a_vacuum_that_meets_a_reader_leaves_the_database_in_wal_mode(tmp_path):
    """A reader that comes while VACUUM starts makes it fail: the database goes back to WAL
    mode (once the reader is done) and refuses writes outside transactions again."""
    path = tmp_path / "raced.db"
    _four_kb_database(path)
    store = Store(path)
    readers: list[sqlite3.Connection] = []

    def reader_comes(sql: str) -> None:
        if sql.strip() == "VACUUM" and not readers:
            reader = sqlite3.connect(path, isolation_level=None)
            reader.execute("BEGIN")
            reader.execute("SELECT COUNT(*) FROM revisions").fetchall()  # holds a read lock
            readers.append(reader)
        elif sql.startswith("PRAGMA busy_timeout") and readers:
            readers[0].close()  # VACUUM has given up: the reader is done

    store.conn.set_trace_callback(reader_comes)
    with pytest.raises(StoreError, match="another process is using the database"):
        store.vacuum(busy_timeout=0.5)
    store.conn.set_trace_callback(None)
    assert readers
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.page_size() == 4096
    with pytest.raises(sqlite3.DatabaseError, match="not authorized"):
        store.conn.execute("DELETE FROM revisions")
    store.close()
