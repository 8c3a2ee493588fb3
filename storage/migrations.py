"""Schema migrations, applied in order and recorded in the ``_migrations`` table."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlite_utils

# (name, SQL script). Append only: a released migration never changes.
MIGRATIONS: list[tuple[str, str]] = [
    (
        "0001_revision_store",
        """
        CREATE TABLE wikis (
            name TEXT PRIMARY KEY,
            api_url TEXT,           -- https://en.wikipedia.org/w/api.php; NULL if only imported
            base_url TEXT,          -- siteinfo <base>, e.g. https://en.wikipedia.org/wiki/Main_Page
            dbname TEXT
        );
        CREATE TABLE pages (
            id INTEGER PRIMARY KEY,  -- local key; revisions refer to it
            wiki TEXT NOT NULL REFERENCES wikis(name),
            page_id INTEGER NOT NULL,  -- the wiki's page id: survives moves
            ns INTEGER NOT NULL DEFAULT 0,
            title TEXT NOT NULL,     -- current title
            tracked INTEGER NOT NULL DEFAULT 0,  -- polled by `poll` / `run`
            redirect_to TEXT,        -- set when the page itself became a redirect
            added_at TEXT NOT NULL,
            UNIQUE (wiki, page_id)
        );
        CREATE INDEX pages_title ON pages (title);
        CREATE TABLE page_titles (
            page INTEGER NOT NULL REFERENCES pages(id),
            title TEXT NOT NULL,
            seen_at TEXT NOT NULL,   -- when wikimon first saw the page under this title
            PRIMARY KEY (page, title)
        );
        CREATE TABLE revisions (
            id INTEGER PRIMARY KEY,  -- insertion order
            page INTEGER NOT NULL REFERENCES pages(id),
            revid INTEGER NOT NULL,
            parent_revid INTEGER,
            timestamp TEXT NOT NULL,  -- ISO 8601 UTC, 2024-11-27T05:40:00Z
            user TEXT,
            user_id INTEGER,
            anon INTEGER NOT NULL DEFAULT 0,
            comment TEXT,
            minor INTEGER NOT NULL DEFAULT 0,
            size INTEGER,
            sha1 TEXT,                -- hex SHA-1 of the UTF-8 text
            texthidden INTEGER NOT NULL DEFAULT 0,
            userhidden INTEGER NOT NULL DEFAULT 0,
            commenthidden INTEGER NOT NULL DEFAULT 0,
            suppressed INTEGER NOT NULL DEFAULT 0,
            content BLOB,             -- zstd; NULL when the text is hidden
            delta_base INTEGER,       -- revid whose text is the zstd dictionary; NULL = keyframe
            chain_depth INTEGER NOT NULL DEFAULT 0,
            UNIQUE (page, revid)
        );
        CREATE INDEX revisions_page_time ON revisions (page, timestamp, revid);
        CREATE TABLE sync_state (
            page INTEGER PRIMARY KEY REFERENCES pages(id),
            last_poll TEXT,
            last_error TEXT,
            backfill_cursor INTEGER,  -- last revid stored by an unfinished backfill
            backfill_stop INTEGER,    -- the revid that backfill runs up to (exclusive)
            backfill_since TEXT,
            history_complete INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE imports (
            path TEXT NOT NULL,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            pages INTEGER NOT NULL DEFAULT 0,
            revisions_added INTEGER NOT NULL DEFAULT 0,
            revisions_skipped INTEGER NOT NULL DEFAULT 0,
            error TEXT
        );
        """,
    ),
]


def migrate(db: sqlite_utils.Database) -> list[str]:
    """Apply pending migrations; returns the names of those applied now."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
    )
    done = {row[0] for row in db.execute("SELECT name FROM _migrations").fetchall()}
    applied = []
    for name, script in MIGRATIONS:
        if name in done:
            continue
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        # One transaction per migration: a crash leaves it either applied and recorded, or not.
        db.conn.executescript(
            f"BEGIN;\n{script}\nINSERT INTO _migrations (name, applied_at) "
            f"VALUES ('{name}', '{now}');\nCOMMIT;"
        )
        applied.append(name)
    return applied
