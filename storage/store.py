"""The SQLite revision store (sqlite-utils): wikis, pages, revisions and sync state.

Each revision's text is stored as a reference to an identical earlier text, or
zstd-compressed as a delta against one of the page's recent texts, or alone (a keyframe):
see :mod:`storage.texts`. Every row records what it was compressed against, so any
insertion order stays decodable.
"""

from __future__ import annotations

import itertools
import json
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import codec
from .errors import StoreError
from .files import connect_read_only
from .integrity import DamagedDatabase, empty_file, integrity_check, is_damage
from .migrations import MigrationError, migrate, pending_migrations
from .models import (
    Clock,
    Page,
    RevisionRow,
    StatusRow,
    SyncState,
    WikiRow,
    format_time,
    sha1_from_column,
    system_clock,
    time_problem,
)
from .texts import REVISION_FIELDS, REVISION_FLAGS, RevisionWriter, TextCache

if TYPE_CHECKING:
    import sqlite_utils

APPLICATION_ID = 0x77696B6D  # "wikm": marks a file as a wikimon database
# SQLite page size of new databases. Most rows are small (a revision's metadata and a
# delta of tens of bytes) and every table and index takes at least one page: 2 KB pages
# make a small watch list's file a sixth smaller than 4 KB ones, and a long history's no
# bigger; 1 KB pages would cost long texts more in overflow pages than they save.
PAGE_SIZE = 2048
TEXT_CACHE_BYTES = 64 << 20  # room for the last RECENT texts of even the longest articles

BOOLEAN_FIELDS = (*REVISION_FLAGS, "sha1_mismatch")
_REVISION_NAMES = (*REVISION_FIELDS, "sha1_mismatch")
_REVISION_COLUMNS = ", ".join(f"[{name}]" for name in _REVISION_NAMES)
SYNC_FIELDS = (
    "last_poll", "last_error", "backfill_cursor", "backfill_stop", "backfill_since",
    "history_complete",
)  # fmt: skip


_WRITES = frozenset(
    {sqlite3.SQLITE_INSERT, sqlite3.SQLITE_UPDATE, sqlite3.SQLITE_DELETE,
     sqlite3.SQLITE_CREATE_TABLE, sqlite3.SQLITE_CREATE_INDEX, sqlite3.SQLITE_DROP_TABLE,
     sqlite3.SQLITE_DROP_INDEX, sqlite3.SQLITE_ALTER_TABLE, sqlite3.SQLITE_CREATE_VIEW,
     sqlite3.SQLITE_DROP_VIEW, sqlite3.SQLITE_CREATE_TRIGGER, sqlite3.SQLITE_DROP_TRIGGER}
)  # fmt: skip


def _refuse_all_writes(action: int, *_: object) -> int:
    return sqlite3.SQLITE_DENY if action in _WRITES else sqlite3.SQLITE_OK


def _refuse_an_empty_file(path: Path) -> None:
    """SQLite takes a zero-length file for a new, empty database; for wikimon it is a
    database cut short (a full disk, a bad copy), not to be written over. Another process
    may have just created it, though, and will write its header within milliseconds."""
    for _ in range(20):
        try:
            if path.stat().st_size or Path(f"{path}-wal").exists():
                return
        except FileNotFoundError:
            return  # a new database
        time.sleep(0.05)
    raise empty_file(path)


class Store:
    """A wikimon database. Opening it for writing applies pending migrations.

    Every write runs in an IMMEDIATE transaction (see :meth:`transaction`), so several
    processes (the daemon, an import, a backfill) can share one file safely. A store
    opened ``readonly`` takes no lock at all (WAL readers never wait for a writer) and
    refuses a schema older than this wikimon's rather than upgrading it.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        readonly: bool = False,
        busy_timeout: float = 30.0,
        clock: Clock = system_clock,
        check: bool = False,
    ):
        """``check``: run SQLite's ``PRAGMA quick_check`` first (milliseconds for a
        database of tens of MB), so that a damaged file is refused at once with one line
        rather than failing halfway through a command."""
        self.path = Path(path)
        self.readonly = readonly
        self.clock = clock
        # Decoded texts, by (page, revid): stored texts never change, so it never goes stale.
        self._texts = TextCache(TEXT_CACHE_BYTES)
        _refuse_an_empty_file(self.path)
        try:
            self._open(busy_timeout)
            if check and integrity_check(self.path, "quick_check") != ["ok"]:
                raise DamagedDatabase(self.path, "SQLite finds its structure broken")
        except sqlite3.DatabaseError as error:
            if is_damage(error):
                raise DamagedDatabase(self.path, str(error)) from None
            if getattr(error, "sqlite_errorname", "").startswith("SQLITE_READONLY"):
                raise StoreError(
                    f"{self.path}: cannot write to it ({error}); this command writes, the "
                    "commands that only read (status, changes, show, report…) can read it"
                ) from None
            raise StoreError(f"{self.path}: cannot use this database ({error})") from None
        except MigrationError as error:
            raise StoreError(f"{self.path}: {error}") from None

    def _connect(self) -> sqlite3.Connection:
        # Autocommit (isolation_level=None): transactions are ours alone (transaction());
        # Python's legacy mode would open hidden ones that close() silently rolls back.
        if not self.readonly:
            return sqlite3.connect(self.path, isolation_level=None)
        if not self.path.exists():
            raise StoreError(f"{self.path}: no such database")
        return connect_read_only(self.path)

    def _open(self, busy_timeout: float) -> None:
        if self.path.is_dir():
            raise StoreError(f"{self.path} is a directory, not a database file")
        import sqlite_utils  # here: commands that open no database start without it

        conn = self._connect()
        self.db: sqlite_utils.Database = sqlite_utils.Database(conn)
        self.conn = conn
        # Writers wait for a concurrent writer (the daemon, an import) instead of failing.
        self._busy_timeout_ms = int(busy_timeout * 1000)
        self.conn.execute(f"PRAGMA busy_timeout = {self._busy_timeout_ms}")
        application_id = self.conn.execute("PRAGMA application_id").fetchone()[0]
        tables = {row[0] for row in self.conn.execute("SELECT name FROM sqlite_master")}
        # (a database without the id but with our _migrations table predates the id)
        if application_id != APPLICATION_ID and tables and "_migrations" not in tables:
            raise StoreError(f"{self.path} is a SQLite database, but not wikimon's")
        if self.readonly:
            if not tables:
                raise StoreError(f"{self.path} is empty: not a wikimon database yet")
            if pending_migrations(self.db):
                raise StoreError(
                    f"{self.path} was written by an older wikimon; run any command that "
                    "writes (e.g. `wikimon reanalyze`) to upgrade it"
                )
            self.conn.set_authorizer(_refuse_all_writes)
            return
        if not tables:  # a new database (before WAL, which fixes the page size)
            self.conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")
        self._use_wal()
        # In WAL mode NORMAL is crash-safe for the application; only an OS crash or power loss
        # can roll back the last commits, never corrupt the file.
        self.conn.execute("PRAGMA synchronous = NORMAL")
        self.conn.execute("PRAGMA foreign_keys = ON")
        migrate(self.db, self.now())
        if application_id != APPLICATION_ID:
            self.conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        self.conn.set_authorizer(self._refuse_writes_outside_transactions)

    def _use_wal(self) -> None:
        for attempt in range(50):
            try:
                if self.conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                    self.conn.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError:  # another process is switching it right now
                if attempt == 49:
                    raise
                time.sleep(0.1)

    def _refuse_writes_outside_transactions(self, action: int, *_: object) -> int:
        """Every write goes through :meth:`transaction`: one made outside it is refused
        ("not authorized") rather than committed on its own, half a unit of work."""
        if action in _WRITES and not self.conn.in_transaction:
            return sqlite3.SQLITE_DENY
        return sqlite3.SQLITE_OK

    def now(self) -> str:
        """The time now, as stored (the store's clock)."""
        return format_time(self.clock())

    def close(self) -> None:
        self.conn.close()

    def page_size(self) -> int:
        return int(self.conn.execute("PRAGMA page_size").fetchone()[0])

    def file_size(self) -> int:
        """Bytes on disk: the file and its write-ahead log."""
        return sum(
            path.stat().st_size for path in (self.path, Path(f"{self.path}-wal")) if path.exists()
        )

    def vacuum(self, busy_timeout: float = 2.0) -> None:
        """Rewrite the file compactly (SQLite's VACUUM) in pages of :data:`PAGE_SIZE`: it
        frees the room of deleted rows and moves a database made with larger pages to
        them. It needs the file to itself: StoreError when another process has it open
        (after ``busy_timeout`` seconds); the database is then left as it was."""
        if self.readonly:
            raise StoreError(f"{self.path}: opened read-only; this command cannot write")
        conn = self.conn
        conn.set_authorizer(None)  # not a transaction's write: VACUUM cannot run in one
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        try:
            # Only a rollback journal lets VACUUM change the page size; leaving WAL mode
            # needs every other connection closed, which is also what VACUUM needs.
            if conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0] != "delete":
                raise StoreError(f"{self.path}: cannot leave WAL mode to vacuum")
            try:
                conn.execute("PRAGMA synchronous = FULL")  # NORMAL is crash-safe in WAL only
                conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")
                conn.execute("VACUUM")
            finally:
                # back to WAL whatever happened, waiting for a reader that came meanwhile
                conn.execute(f"PRAGMA busy_timeout = {self._busy_timeout_ms}")
                self._use_wal()
                conn.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) and "busy" not in str(error):
                raise
            raise StoreError(
                f"{self.path}: another process is using the database (an import, a job of "
                "the daemon, `serve`?): vacuum needs it to itself; run it again when it is done"
            ) from None
        finally:
            conn.execute(f"PRAGMA busy_timeout = {self._busy_timeout_ms}")
            conn.set_authorizer(self._refuse_writes_outside_transactions)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE … COMMIT: takes the write lock first (waiting up to the busy
        timeout), so what the transaction reads cannot change before it writes."""
        if self.readonly:
            raise StoreError(f"{self.path}: opened read-only; this command cannot write")
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    # -- wikis and pages -------------------------------------------------------------------

    def ensure_wiki(
        self,
        name: str,
        api_url: str | None = None,
        base_url: str | None = None,
        dbname: str | None = None,
        case_sensitive: bool | None = None,
        namespaces: list[str] | None = None,
    ) -> None:
        """Create the wiki row, or fill in what is newly known about it."""
        known = {
            "api_url": api_url,
            "base_url": base_url,
            "dbname": dbname,
            "case_sensitive": None if case_sensitive is None else int(case_sensitive),
            "namespaces": None if namespaces is None else json.dumps(namespaces),
        }
        with self.transaction() as conn:
            conn.execute("INSERT OR IGNORE INTO wikis (name) VALUES (?)", [name])
            for column, value in known.items():
                if value is not None:
                    conn.execute(f"UPDATE wikis SET {column} = ? WHERE name = ?", [value, name])

    def wikis(self) -> list[WikiRow]:
        return [_wiki(row) for row in self.db.query("SELECT * FROM wikis ORDER BY name")]

    def wiki(self, name: str) -> WikiRow | None:
        rows = list(self.db.query("SELECT * FROM wikis WHERE name = ?", [name]))
        return _wiki(rows[0]) if rows else None

    def upsert_page(
        self,
        wiki: str,
        page_id: int,
        title: str,
        ns: int = 0,
        *,
        tracked: bool | None = None,
        seen_at: str | None = None,
        rename: bool = True,
    ) -> Page:
        """Record a page by its wiki page id. A new title becomes the current one (unless
        ``rename`` is false: e.g. an old export) and is kept in the title history."""
        seen_at = seen_at or self.now()
        with self.transaction() as conn:
            conn.execute("INSERT OR IGNORE INTO wikis (name) VALUES (?)", [wiki])
            row = conn.execute(
                "SELECT id, title FROM pages WHERE wiki = ? AND page_id = ?", [wiki, page_id]
            ).fetchone()
            if row is None:
                cursor = conn.execute(
                    "INSERT INTO pages (wiki, page_id, ns, title, tracked, added_at) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    [wiki, page_id, ns, title, int(bool(tracked)), self.now()],
                )
                local_id = inserted_id(cursor)
            else:
                local_id = row[0]
                if row[1] != title and rename:
                    conn.execute(
                        "UPDATE pages SET title = ?, ns = ? WHERE id = ?", [title, ns, local_id]
                    )
                if tracked:  # tracked again: it exists on the wiki
                    conn.execute(
                        "UPDATE pages SET tracked = 1, deleted_at = NULL WHERE id = ?", [local_id]
                    )
                elif tracked is not None:
                    conn.execute("UPDATE pages SET tracked = 0 WHERE id = ?", [local_id])
            conn.execute(
                "INSERT OR IGNORE INTO page_titles (page, title, seen_at) VALUES (?, ?, ?)",
                [local_id, title, seen_at],
            )
        return self.page(local_id)

    def set_redirect(self, page: Page, target: str | None) -> None:
        with self.transaction() as conn:
            conn.execute("UPDATE pages SET redirect_to = ? WHERE id = ?", [target, page.id])

    def mark_deleted(self, page: Page, when: str | None = None) -> Page:
        """The page is gone from the wiki: keep its history, stop tracking it."""
        with self.transaction() as conn:
            conn.execute(
                "UPDATE pages SET deleted_at = ?, tracked = 0 WHERE id = ?",
                [when or self.now(), page.id],
            )
        return self.page(page.id)

    def page(self, local_id: int) -> Page:
        row = next(self.db.query("SELECT * FROM pages WHERE id = ?", [local_id]))
        return _page(row)

    def pages(self, *, tracked_only: bool = False, wiki: str | None = None) -> list[Page]:
        where, params = [], []
        if tracked_only:
            where.append("tracked = 1")
        if wiki is not None:
            where.append("wiki = ?")
            params.append(wiki)
        sql = "SELECT * FROM pages" + (" WHERE " + " AND ".join(where) if where else "")
        return [_page(row) for row in self.db.query(sql + " ORDER BY wiki, title", params)]

    def find_pages(self, title: str, wiki: str | None = None) -> list[Page]:
        """Pages whose current title is ``title`` or, failing that, whose former title is."""
        params: list[Any] = [title]
        wiki_clause = ""
        if wiki is not None:
            wiki_clause = " AND wiki = ?"
            params.append(wiki)
        found = [
            _page(row)
            for row in self.db.query(f"SELECT * FROM pages WHERE title = ?{wiki_clause}", params)
        ]
        if not found:
            found = [
                _page(row)
                for row in self.db.query(
                    "SELECT DISTINCT pages.* FROM pages "
                    "JOIN page_titles ON page_titles.page = pages.id "
                    f"WHERE page_titles.title = ?{wiki_clause}",
                    params,
                )
            ]
        # A page deleted and re-created on the wiki: the live one is meant.
        live = [page for page in found if page.deleted_at is None]
        return live or found

    def title_history(self, page: Page) -> list[tuple[str, str]]:
        """(title, first seen at) of every title the page had, oldest first."""
        return [
            (row[0], row[1])
            for row in self.conn.execute(
                "SELECT title, seen_at FROM page_titles WHERE page = ? ORDER BY seen_at, rowid",
                [page.id],
            )
        ]

    # -- revisions ---------------------------------------------------------------------------

    def writer(self, page: Page) -> RevisionWriter:
        return RevisionWriter(self, page)

    def revision_count(self, page: Page) -> int:
        return int(
            self.conn.execute(
                "SELECT COUNT(*) FROM revisions WHERE page = ?", [page.id]
            ).fetchone()[0]
        )

    def _revision_rows(self, where: str, params: list[Any]) -> Iterator[RevisionRow]:
        for row in self.conn.execute(
            f"SELECT {_REVISION_COLUMNS} FROM revisions WHERE {where}", params
        ):
            yield _revision(row)

    def revisions(self, page: Page) -> Iterator[RevisionRow]:
        """Revision metadata, oldest first."""
        return self._revision_rows("page = ? ORDER BY timestamp, revid", [page.id])

    def revision_sha1s(self, page: Page, revids: list[int]) -> dict[int, str]:
        """The sha1 (declared, else computed) of those of ``revids`` stored with text."""
        found: dict[int, str] = {}
        for start in range(0, len(revids), 500):
            chunk = revids[start : start + 500]
            found.update(
                (row[0], sha1)
                for row in self.conn.execute(
                    f"SELECT revid, sha1 FROM revisions WHERE page = ? AND content IS NOT NULL "
                    f"AND revid IN ({', '.join('?' * len(chunk))})",
                    [page.id, *chunk],
                )
                if (sha1 := sha1_from_column(row[1])) is not None
            )
        return found

    def revision(self, page: Page, revid: int) -> RevisionRow | None:
        return next(self._revision_rows("page = ? AND revid = ?", [page.id, revid]), None)

    def _edge_revision(self, page: Page, order: str) -> RevisionRow | None:
        where = f"page = ? ORDER BY timestamp {order}, revid {order} LIMIT 1"
        return next(self._revision_rows(where, [page.id]), None)

    def latest_revision(self, page: Page) -> RevisionRow | None:
        return self._edge_revision(page, "DESC")

    def earliest_revision(self, page: Page) -> RevisionRow | None:
        return self._edge_revision(page, "ASC")

    def revisions_up_to(self, page: Page, at: tuple[str, int]) -> int:
        """How many revisions are stored at or before (timestamp, revid) ``at``."""
        row = self.conn.execute(
            "SELECT COUNT(*) FROM revisions WHERE page = ? AND "
            "(timestamp < ? OR (timestamp = ? AND revid <= ?))",
            [page.id, at[0], at[0], at[1]],
        ).fetchone()
        return int(row[0])

    def recent_sha1s(
        self, page: Page, at: tuple[str, int], count: int
    ) -> list[tuple[int, str | None]]:
        """(revid, sha1) of the ``count`` revisions up to ``at``, oldest first."""
        rows = self.conn.execute(
            "SELECT revid, sha1 FROM revisions WHERE page = ? AND "
            "(timestamp < ? OR (timestamp = ? AND revid <= ?)) "
            "ORDER BY timestamp DESC, revid DESC LIMIT ?",
            [page.id, at[0], at[0], at[1], count],
        ).fetchall()
        return [(row[0], sha1_from_column(row[1])) for row in reversed(rows)]

    def activity(self, page: Page, start: str, end: str) -> tuple[int, int]:
        """(revisions, distinct visible editors) saved in [start, end)."""
        row = self.conn.execute(
            "SELECT COUNT(*), COUNT(DISTINCT CASE WHEN userhidden THEN NULL ELSE user END) "
            "FROM revisions WHERE page = ? AND timestamp >= ? AND timestamp < ?",
            [page.id, start, end],
        ).fetchone()
        return int(row[0]), int(row[1])

    def hidden_comment_revids(self, page: Page) -> frozenset[int]:
        """The revisions of the page whose edit summary is hidden."""
        return frozenset(
            row[0]
            for row in self.conn.execute(
                "SELECT revid FROM revisions WHERE page = ? AND commenthidden", [page.id]
            )
        )

    def plausible(self, moment: str) -> bool:
        """Can ``moment`` be when a revision was saved (see :func:`time_problem`)? A row of a
        database written before wikimon checked times may hold anything."""
        return time_problem(moment, self.clock()) is None

    def known_until(self) -> str | None:
        """The newest moment the database knows of the wikis: the newest stored revision or
        the last poll, whichever is later (None: nothing stored). Impossible times (a
        9999-99-99 from an old database) are passed over."""
        newest: list[str] = []
        for (page_id,) in self.conn.execute("SELECT id FROM pages").fetchall():
            times = self.conn.execute(
                "SELECT timestamp FROM revisions WHERE page = ? "
                "ORDER BY timestamp DESC, revid DESC",
                [page_id],
            )
            newest += itertools.islice((t for (t,) in times if self.plausible(t)), 1)
        polls = self.conn.execute("SELECT last_poll FROM sync_state WHERE last_poll IS NOT NULL")
        newest += [t for (t,) in polls if self.plausible(t)]
        return max(newest, default=None)

    def history_signature(self, page: Page) -> tuple[object, ...]:
        """What a history of the page is built from (its revisions, its change log's
        version): when this changes, a history kept in memory is stale."""
        row = self.conn.execute(
            "SELECT COUNT(*), MAX(revid), (SELECT version || analyzed FROM analysis_state "
            "WHERE page = ?) FROM revisions WHERE page = ?",
            [page.id, page.id],
        ).fetchone()
        return tuple(row)

    def visible_revision_at(
        self, page: Page, at: tuple[str, int] | None = None
    ) -> RevisionRow | None:
        """The newest revision with text at or before ``at`` = (timestamp, revid), or now."""
        where = "page = ? AND content IS NOT NULL"
        params: list[Any] = [page.id]
        if at is not None:
            where += " AND (timestamp < ? OR (timestamp = ? AND revid <= ?))"
            params += [at[0], at[0], at[1]]
        where += " ORDER BY timestamp DESC, revid DESC LIMIT 1"
        return next(self._revision_rows(where, params), None)

    def text(self, page: Page, revid: int) -> bytes | None:
        """The exact stored text (UTF-8 bytes); None when it is hidden.

        Raises KeyError when the revision is not stored. Decoding follows the revision's
        chain back to a keyframe or to a text decoded recently (kept in a cache: reading a
        history one revision after the other decodes each delta once).
        """
        cached = self._texts.get((page.id, revid))
        if cached is not None:
            return cached
        chain: list[bytes | None] = []  # the blobs to apply, newest first (None: identical)
        data: bytes | None = None
        current = revid
        while True:
            row = self.conn.execute(
                "SELECT content, delta_base, same_as FROM revisions WHERE page = ? AND revid = ?",
                [page.id, current],
            ).fetchone()
            if row is None:
                if current == revid:
                    raise KeyError(current)
                raise StoreError(
                    f"{self.path}: revision {revid} cannot be decoded: its delta base, "
                    f"revision {current}, is missing from the database"
                )
            content, delta_base, same_as = row
            if content is None:
                if current == revid:
                    return None
                raise StoreError(
                    f"{self.path}: revision {revid} cannot be decoded: its delta base, "
                    f"revision {current}, has no stored text"
                )
            chain.append(None if same_as is not None else content)
            following = same_as if same_as is not None else delta_base
            if following is None:
                break
            data = self._texts.get((page.id, following))
            if data is not None:
                break
            current = following
        for blob in reversed(chain):
            if blob is not None:
                data = self._decompress(revid, blob, data)
        assert data is not None  # the chain starts at a keyframe or at a decoded text
        self._texts.put((page.id, revid), data)
        return data

    def _decompress(self, revid: int, blob: bytes, base: bytes | None) -> bytes:
        try:
            return codec.decompress(blob, base)
        except codec.CorruptText as error:
            raise DamagedDatabase(
                self.path, f"the text of revision {revid} cannot be decoded ({error})"
            ) from None

    def texts(
        self, page: Page, after: tuple[str, int] | None = None
    ) -> Iterator[tuple[RevisionRow, bytes | None]]:
        """(metadata, text) of each revision after ``after`` = (timestamp, revid), oldest
        first. Sequential reading decodes each delta once: decoded texts stay in the cache
        as dictionaries for the next ones."""
        where = "page = ?"
        params: list[Any] = [page.id]
        if after is not None:
            where += " AND (timestamp > ? OR (timestamp = ? AND revid > ?))"
            params += [after[0], after[0], after[1]]
        query = (
            f"SELECT {_REVISION_COLUMNS}, content, delta_base, same_as FROM revisions "
            f"WHERE {where} ORDER BY timestamp, revid"
        )
        for row in self.conn.execute(query, params):
            meta, (content, delta_base, same_as) = _revision(row[:-3]), row[-3:]
            if content is None:
                yield meta, None
                continue
            key = (page.id, meta.revid)
            text = self._texts.get(key)
            if text is None:
                if same_as is not None:
                    text = self._texts.get((page.id, same_as))
                elif delta_base is None:
                    text = self._decompress(meta.revid, content, None)
                elif (base := self._texts.get((page.id, delta_base))) is not None:
                    text = self._decompress(meta.revid, content, base)
                if text is None:
                    text = self.text(page, meta.revid)  # its base was not read just before
                else:
                    self._texts.put(key, text)
            yield meta, text

    def storage_bytes(self, page: Page) -> int:
        return int(
            self.conn.execute(
                "SELECT COALESCE(SUM(LENGTH(content)), 0) FROM revisions WHERE page = ?", [page.id]
            ).fetchone()[0]
        )

    # -- sync state ----------------------------------------------------------------------------

    def sync_state(self, page: Page) -> SyncState:
        row = self.conn.execute(
            f"SELECT {', '.join(SYNC_FIELDS)} FROM sync_state WHERE page = ?", [page.id]
        ).fetchone()
        if row is None:
            return SyncState()
        values = dict(zip(SYNC_FIELDS, row, strict=True))
        values["history_complete"] = bool(values["history_complete"])
        return SyncState(**values)

    def mark_polled(self, pages: Iterable[Page], when: str) -> None:
        """Every revision of ``pages`` saved before ``when`` is stored (one transaction)."""
        with self.transaction():
            for page in pages:
                self._update_sync_state(page, {"last_poll": when, "last_error": None})

    def update_sync_state(self, page: Page, **fields: Any) -> None:
        with self.transaction():
            self._update_sync_state(page, fields)

    def _update_sync_state(self, page: Page, fields: dict[str, Any]) -> None:
        unknown = set(fields) - set(SYNC_FIELDS)
        if unknown:
            raise ValueError(f"unknown sync state fields: {sorted(unknown)}")
        self.conn.execute("INSERT OR IGNORE INTO sync_state (page) VALUES (?)", [page.id])
        for name, value in fields.items():
            self.conn.execute(f"UPDATE sync_state SET {name} = ? WHERE page = ?", [value, page.id])

    # -- summaries ---------------------------------------------------------------------------

    def status(self) -> list[StatusRow]:
        """One summary per stored page (the `wikimon status` rows)."""
        sql = """
            SELECT p.wiki, p.page_id, p.title, p.tracked, p.deleted_at,
                   COUNT(r.id) AS revisions,
                   (SELECT revid FROM revisions WHERE page = p.id
                     ORDER BY timestamp, revid LIMIT 1) AS first_revid,
                   (SELECT revid FROM revisions WHERE page = p.id
                     ORDER BY timestamp DESC, revid DESC LIMIT 1) AS last_revid,
                   MIN(r.timestamp) AS first_timestamp,
                   MAX(r.timestamp) AS last_timestamp,
                   s.last_poll,
                   COALESCE(SUM(LENGTH(r.content)), 0) AS storage_bytes
              FROM pages p
              LEFT JOIN revisions r ON r.page = p.id
              LEFT JOIN sync_state s ON s.page = p.id
             GROUP BY p.id
             ORDER BY p.wiki, p.title
        """
        return [StatusRow(**{**row, "tracked": bool(row["tracked"])}) for row in self.db.query(sql)]

    def record_import(self, path: str) -> int:
        with self.transaction():
            return inserted_id(
                self.conn.execute(
                    "INSERT INTO imports (path, started_at) VALUES (?, ?)", [path, self.now()]
                )
            )

    def finish_import(self, import_id: int, **fields: Any) -> None:
        fields.setdefault("finished_at", self.now())
        with self.transaction():
            for name, value in fields.items():
                self.conn.execute(
                    f"UPDATE imports SET {name} = ? WHERE rowid = ?", [value, import_id]
                )


def inserted_id(cursor: sqlite3.Cursor) -> int:
    """The rowid of the row a plain INSERT just added."""
    rowid = cursor.lastrowid
    # sqlite3 leaves lastrowid None only until a statement inserts a row, and a plain
    # INSERT that returns has inserted one (it raises otherwise)
    assert rowid is not None, "INSERT added no row"
    return rowid


def _page(row: dict[str, Any]) -> Page:
    return Page(
        id=row["id"],
        wiki=row["wiki"],
        page_id=row["page_id"],
        ns=row["ns"],
        title=row["title"],
        tracked=bool(row["tracked"]),
        redirect_to=row["redirect_to"],
        deleted_at=row["deleted_at"],
    )


def _revision(row: tuple[Any, ...]) -> RevisionRow:
    values = dict(zip(_REVISION_NAMES, row, strict=True))
    for name in BOOLEAN_FIELDS:
        values[name] = bool(values[name])
    values["sha1"] = sha1_from_column(values["sha1"])
    if values["userhidden"]:
        values["user"] = None
    if values["commenthidden"]:
        values["comment"] = None
    return RevisionRow(**values)


def _wiki(row: dict[str, Any]) -> WikiRow:
    return WikiRow(
        name=row["name"],
        api_url=row["api_url"],
        base_url=row["base_url"],
        dbname=row["dbname"],
        case_sensitive=bool(row["case_sensitive"]),
        namespaces=None if row["namespaces"] is None else json.loads(row["namespaces"]),
    )
