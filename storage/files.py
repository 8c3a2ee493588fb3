"""Opening the database file to read it only: it may be on a read-only file system, or in
a directory this user cannot write (a database of another user's daemon)."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from urllib.parse import quote


def _read_only_file_system(path: Path) -> bool:
    try:
        return bool(os.statvfs(path.parent).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def connect_read_only(path: Path) -> sqlite3.Connection:
    """A connection that can change nothing (in autocommit mode).

    A WAL database is read with its -shm file, which SQLite makes when missing. Where it
    cannot be made (a read-only file system, a directory of another user's) and does not
    exist, nobody is writing the database (a writer would have made it), so the file is
    read as it stands ("immutable")."""
    uri = f"file:{quote(str(path.resolve()))}?mode=ro"
    if _read_only_file_system(path):
        return sqlite3.connect(uri + "&immutable=1", uri=True, isolation_level=None)
    conn = sqlite3.connect(uri, uri=True, isolation_level=None)
    try:
        conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
    except sqlite3.OperationalError as error:
        if getattr(error, "sqlite_errorname", "") != "SQLITE_READONLY_DIRECTORY":
            raise
        conn.close()
        return sqlite3.connect(uri + "&immutable=1", uri=True, isolation_level=None)
    return conn
