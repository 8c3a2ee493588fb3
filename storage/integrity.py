"""Is the database file sound? SQLite's own checks (``PRAGMA integrity_check``,
``quick_check``, ``foreign_key_check``) and wikimon's: every revision's text decodes from its
delta chain, to the sha1 its source declared, and every revision's time is possible.

`wikimon check` runs them all on demand. When reading fails because the file is damaged,
:func:`diagnose` turns the failure into one :class:`DamagedDatabase` line that names the file
and gives ``PRAGMA integrity_check``'s verdict.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from . import codec
from .errors import StoreError
from .files import connect_read_only
from .models import Page, sha1_hex, time_problem

if TYPE_CHECKING:
    from .store import Store

MAX_FINDINGS = 100  # of PRAGMA integrity_check: enough to see how bad it is


class DamagedDatabase(StoreError):
    """The database file is damaged: SQLite's checks say so, or a stored value cannot be
    read. ``what`` says what failed; the message adds integrity_check's verdict (run when
    the message is first asked for: reading failed, now it is worth the time)."""

    def __init__(self, path: Path, what: str, findings: list[str] | None = None):
        super().__init__(what)
        self.path, self.what, self._findings = path, what, findings

    @property
    def findings(self) -> list[str]:
        if self._findings is None:
            self._findings = integrity_check(self.path)
        return self._findings

    def __str__(self) -> str:
        return (
            f"{self.path} is damaged: {self.what} (PRAGMA integrity_check: "
            f"{verdict(self.findings)}); `wikimon check` lists what is damaged; restore it "
            "from a backup"
        )


def integrity_check(path: Path, pragma: str = "integrity_check") -> list[str]:
    """What SQLite's ``PRAGMA integrity_check`` (or ``quick_check``) finds: ``["ok"]`` for a
    sound file, else up to MAX_FINDINGS problems, each on one line; a file it cannot even
    check gives why."""
    if not path.exists():
        return [f"cannot run it: there is no file {path}"]
    try:
        conn = connect_read_only(path)
        try:
            rows = conn.execute(f"PRAGMA {pragma}({MAX_FINDINGS})").fetchall()
        finally:
            conn.close()
    except sqlite3.DatabaseError as error:
        return [f"cannot run it: {error}"]
    return [" ".join(str(row[0]).split()) for row in rows]


def foreign_key_check(path: Path) -> list[str]:
    """Rows that refer to a row that is not there (a revision of a missing page…)."""
    try:
        conn = connect_read_only(path)
        try:
            rows = conn.execute("PRAGMA foreign_key_check").fetchmany(MAX_FINDINGS)
        finally:
            conn.close()
    except sqlite3.DatabaseError as error:
        return [f"cannot run it: {error}"]
    return [f"row {row[1]} of {row[0]} refers to a missing row of {row[2]}" for row in rows]


def verdict(findings: list[str]) -> str:
    """integrity_check's findings in a few words: "ok", or how many problems and the first."""
    if findings == ["ok"]:
        return "ok"
    if len(findings) == 1:
        return findings[0]
    count = f"{MAX_FINDINGS} or more" if len(findings) >= MAX_FINDINGS else str(len(findings))
    return f"{count} problems, the first: {findings[0]}"


def is_damage(error: BaseException) -> bool:
    """Is ``error`` what reading a damaged file raises (and not a locked, missing or
    read-only one, or a full disk)?"""
    if isinstance(error, DamagedDatabase | codec.CorruptText):
        return True
    if not isinstance(error, sqlite3.DatabaseError):
        return False
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)
    # raised by Python's sqlite3 itself: bytes that are not UTF-8 in a text column
    return "Could not decode to UTF-8" in str(error)


def diagnose(path: Path, error: BaseException) -> DamagedDatabase | None:
    """After reading ``path`` failed with ``error``: the damage, if the file is damaged
    (integrity_check finds problems, or the error is one a damaged file causes); None when
    the file is sound and the error is something else."""
    if isinstance(error, DamagedDatabase):
        return error
    findings = integrity_check(path)
    if findings == ["ok"] and not is_damage(error):
        return None
    what = " ".join(str(error).split()) or type(error).__name__
    return DamagedDatabase(path, what, findings)


def empty_file(path: Path) -> DamagedDatabase:
    """A wikimon database is never empty: a zero-length file is one cut short."""
    nothing = ["ok, as an empty file has nothing in it to check"]
    return DamagedDatabase(path, "the file is empty (0 bytes)", nothing)


# -- wikimon's own checks --------------------------------------------------------------------


@dataclass
class RevisionProblem:
    page: Page
    revid: int
    problem: str


@dataclass
class RevisionCheck:
    """What reading back every stored revision found."""

    pages: int = 0
    revisions: int = 0
    texts: int = 0  # revisions with a stored text
    decoded: int = 0  # of them, decoded from their delta chain
    sha1s: int = 0  # of those, compared with the sha1 their source declared
    flagged: int = 0  # known not to match since their import (a damaged export)
    problems: list[RevisionProblem] = field(default_factory=list)


def check_revisions(store: Store, progress: Callable[[int], None] | None = None) -> RevisionCheck:
    """Decode every stored text (in the order they were stored, so that each delta's base
    or identical text was just decoded and is in the store's cache) and compare it with its
    sha1; check every revision's time. ``progress(n)`` after each page, n its revisions."""
    result = RevisionCheck()
    now = store.clock()
    for page in store.pages():
        result.pages += 1
        failed: set[int] = set()  # revisions whose text cannot be decoded
        count = 0
        # times and sha1s as bytes: a damaged one is reported, not the end of the check
        rows = store.conn.execute(
            "SELECT revid, CAST(timestamp AS BLOB), typeof(sha1), CAST(sha1 AS BLOB), "
            "sha1_mismatch, content IS NOT NULL, coalesce(same_as, delta_base) "
            "FROM revisions WHERE page = ? ORDER BY id",
            [page.id],
        )
        for revid, raw_time, sha1_type, raw_sha1, flagged, has_text, base in rows:
            count += 1
            problems: list[str] = []
            timestamp = bytes(raw_time or b"").decode("utf-8", "replace")
            if why := time_problem(timestamp, now):
                problems.append(f"its time {timestamp!r} is {why}")
            if has_text:
                result.texts += 1
                text = _decoded(store, page, revid, base, failed, problems)
                result.decoded += text is not None
                sha1 = _sha1(sha1_type, raw_sha1)
                if text is None or flagged or sha1 is None:
                    result.flagged += bool(flagged and text is not None)
                else:
                    result.sha1s += 1
                    if sha1_hex(text) != sha1:
                        problems.append(f"its text no longer matches its sha1 {sha1!r}")
            result.problems += [RevisionProblem(page, revid, what) for what in problems]
        result.revisions += count
        if progress is not None:
            progress(count)
    return result


def _sha1(sha1_type: str, raw: bytes | None) -> str | None:
    """The declared sha1 as hex: 20 bytes in rows written since 0005, hex text before."""
    if not raw:
        return None
    return bytes(raw).hex() if sha1_type == "blob" else bytes(raw).decode("utf-8", "replace")


def _decoded(
    store: Store, page: Page, revid: int, base: int | None, failed: set[int], problems: list[str]
) -> bytes | None:
    """The revision's text, or None with the reason in ``problems``."""
    if base is not None and base in failed:
        failed.add(revid)
        problems.append(f"its text is a delta on revision {base}, which cannot be decoded")
        return None
    try:
        return store.text(page, revid) or b""
    except (StoreError, codec.CorruptText) as error:
        failed.add(revid)
        problems.append(f"its text cannot be decoded ({getattr(error, 'what', error)})")
        return None
