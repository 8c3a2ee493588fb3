"""Schema migrations, applied in order and recorded in the ``_migrations`` table."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

if TYPE_CHECKING:
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
            dbname TEXT,
            case_sensitive INTEGER NOT NULL DEFAULT 0,  -- siteinfo <case>case-sensitive
            namespaces TEXT          -- JSON list of namespace names (prefixes), when known
        );
        CREATE TABLE pages (
            id INTEGER PRIMARY KEY,  -- local key; revisions refer to it
            wiki TEXT NOT NULL REFERENCES wikis(name),
            page_id INTEGER NOT NULL,  -- the wiki's page id: survives moves
            ns INTEGER NOT NULL DEFAULT 0,
            title TEXT NOT NULL,     -- current title
            tracked INTEGER NOT NULL DEFAULT 0,  -- polled by `poll` / `run`
            redirect_to TEXT,        -- set when the page itself became a redirect
            deleted_at TEXT,         -- when a poll found the page gone from the wiki
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
            sha1 TEXT,                -- hex SHA-1 of the UTF-8 text, as the source declared it
            sha1_mismatch INTEGER NOT NULL DEFAULT 0,  -- stored text differs from that sha1
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
    (
        "0002_semantic_changes",
        """
        CREATE TABLE changes (
            id INTEGER PRIMARY KEY,
            page INTEGER NOT NULL REFERENCES pages(id),
            revid INTEGER NOT NULL,        -- the revision that made the change
            parent_revid INTEGER,          -- the visible revision it was compared with
            timestamp TEXT NOT NULL,
            seq INTEGER NOT NULL,          -- order within the revision
            field TEXT NOT NULL,
            kind TEXT NOT NULL,
            old TEXT,
            new TEXT,
            item TEXT,
            category TEXT,
            side TEXT,
            old_number INTEGER,
            new_number INTEGER
        );
        CREATE INDEX changes_page_time ON changes (page, timestamp, revid, seq);
        CREATE UNIQUE INDEX changes_once ON changes (page, revid, seq);
        CREATE INDEX changes_field ON changes (page, field);
        CREATE TABLE reverts (
            page INTEGER NOT NULL REFERENCES pages(id),
            revid INTEGER NOT NULL,        -- the reverting revision
            reverted_to INTEGER NOT NULL,  -- the revision whose text it restored
            reverted TEXT NOT NULL,        -- JSON list of the revids it undid
            PRIMARY KEY (page, revid)
        );
        CREATE TABLE reverted (
            page INTEGER NOT NULL REFERENCES pages(id),
            revid INTEGER NOT NULL,        -- an undone revision
            reverted_by INTEGER NOT NULL,
            PRIMARY KEY (page, revid)
        );
        CREATE TABLE analysis_state (
            page INTEGER PRIMARY KEY REFERENCES pages(id),
            version TEXT NOT NULL,         -- wikimon version that analysed it
            infobox TEXT,                  -- configured infobox template, if any
            analyzed INTEGER NOT NULL,     -- how many revisions were analysed
            last_revid INTEGER,            -- the newest analysed revision
            last_timestamp TEXT,
            last_visible_revid INTEGER     -- the newest analysed revision with text
        );
        """,
    ),
    (
        "0003_digests",
        """
        CREATE TABLE digests (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,            -- the digest in the config; '' for ad hoc ones
            scheduled INTEGER NOT NULL,    -- 1: part of the name's chain of windows
            window_start TEXT NOT NULL,    -- [start, end) in UTC
            window_end TEXT NOT NULL,
            recipients TEXT NOT NULL,      -- JSON list; [] for the outbox
            delivery TEXT NOT NULL,        -- smtp | outbox | none (nothing to say)
            subject TEXT,
            message_id TEXT,
            message BLOB,                  -- the rendered RFC 5322 message, sent as is
            created_at TEXT NOT NULL,
            sent_at TEXT,                  -- NULL: still to deliver
            failed_at TEXT,                -- refused for good (5xx): no more tries
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            next_attempt TEXT
        );
        CREATE UNIQUE INDEX digests_window ON digests (name, window_start) WHERE scheduled;
        CREATE INDEX digests_pending ON digests (sent_at, next_attempt);
        """,
    ),
    (
        "0004_range_ends",
        # Both ends of a figure on each side of a figure_changed record ("60–70 → 60–80").
        # Older records get their single numbers as both ends until the next analysis
        # (the analysis version changed with the core) recomputes them.
        """
        ALTER TABLE changes ADD COLUMN old_low INTEGER;
        ALTER TABLE changes ADD COLUMN old_high INTEGER;
        ALTER TABLE changes ADD COLUMN new_low INTEGER;
        ALTER TABLE changes ADD COLUMN new_high INTEGER;
        UPDATE changes SET old_low = old_number, old_high = old_number,
                           new_low = new_number, new_high = new_number
         WHERE kind = 'figure_changed';
        """,
    ),
    (
        "0005_identical_revisions",
        """
        -- A revision whose text is byte for byte that of an earlier revision of the page
        -- (a revert, a null edit) names it here; its content is then empty. delta_base may
        -- now name any earlier revision of the page, not only the one stored just before,
        -- and content may be a delta of storage/codec.py's second format. sha1 is now
        -- written as its 20 bytes (rows written before keep the hex text).
        ALTER TABLE revisions ADD COLUMN same_as INTEGER;
        """,
    ),
    (
        "0006_alerts",
        """
        CREATE TABLE live_revisions (
            page INTEGER NOT NULL REFERENCES pages(id),
            revid INTEGER NOT NULL,
            timestamp TEXT NOT NULL,       -- the revision's
            via TEXT NOT NULL,             -- poll | stream: how it was seen
            seen_at TEXT NOT NULL,
            PRIMARY KEY (page, revid)
        );
        CREATE INDEX live_revisions_time ON live_revisions (page, timestamp);
        CREATE TABLE alert_rules (
            name TEXT PRIMARY KEY,         -- an alerts: rule of the config
            created_at TEXT NOT NULL       -- it alerts on revisions seen from then on
        );
        CREATE TABLE alerts (
            id INTEGER PRIMARY KEY,
            rule TEXT NOT NULL,
            page INTEGER NOT NULL REFERENCES pages(id),
            window_start TEXT NOT NULL,    -- [start, end): the chained windows of rule + page
            window_end TEXT NOT NULL,
            from_revid INTEGER,            -- the net change: from this revision ...
            to_revid INTEGER,              -- ... to this one
            title TEXT,                    -- NULL: nothing to say (reverted within the hold)
            body TEXT,
            records TEXT NOT NULL,         -- JSON: the change records, as `changes --json`
            created_at TEXT NOT NULL
        );
        CREATE UNIQUE INDEX alerts_window ON alerts (rule, page, window_start);
        CREATE TABLE alert_deliveries (
            id INTEGER PRIMARY KEY,
            alert INTEGER NOT NULL REFERENCES alerts(id),
            channel TEXT NOT NULL,         -- Channel.key: no secret in it
            label TEXT NOT NULL,           -- how logs name the channel
            idempotency_key TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL,
            sent_at TEXT,                  -- NULL: still to deliver
            failed_at TEXT,                -- refused for good: no more tries
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            next_attempt TEXT
        );
        CREATE INDEX alert_deliveries_pending ON alert_deliveries (sent_at, next_attempt);
        CREATE TABLE stream_state (
            url TEXT PRIMARY KEY,          -- the event stream
            last_event_id TEXT,            -- sent as Last-Event-ID to resume
            event_time TEXT,               -- when that event happened (its meta.dt)
            updated_at TEXT NOT NULL
        );
        CREATE TABLE recentchanges_state (
            wiki TEXT PRIMARY KEY REFERENCES wikis(name),
            checked_until TEXT NOT NULL    -- list=recentchanges has been read up to here
        );
        """,
    ),
    (
        "0007_data_out",
        """
        ALTER TABLE changes ADD COLUMN infobox TEXT;  -- the template the record is about
        -- The facts of each page's newest analysed revision with text, one row per value
        -- (monitor.core.rows): kept by the analysis, shown by the facts_now view.
        CREATE TABLE current_facts (
            page INTEGER NOT NULL REFERENCES pages(id),
            revid INTEGER NOT NULL,
            infobox TEXT,
            seq INTEGER NOT NULL,          -- order in the infobox
            field TEXT NOT NULL,
            value TEXT,                    -- on the field's first row only (the view repeats it)
            position INTEGER,
            item TEXT,
            side TEXT,
            [group] TEXT,                  -- a figure's sub-heading(s) under its side
            category TEXT,
            number INTEGER,
            low INTEGER,
            high INTEGER,
            approximate INTEGER,
            plus INTEGER,
            PRIMARY KEY (page, seq)
        );
        -- Analyse every page again: fills changes.infobox and current_facts.
        UPDATE analysis_state SET version = '';
        -- For datasette and other SQL readers. c.* follows the columns the change log
        -- gains later. Hidden users and comments are NULL, as everywhere else.
        CREATE VIEW changes_view AS
        SELECT p.wiki, p.page_id, p.title, c.*,
               CASE WHEN r.userhidden THEN NULL ELSE r.user END AS user,
               CASE WHEN r.commenthidden THEN NULL ELSE r.comment END AS comment,
               r.minor, rv.reverted_to AS revert_to, rd.reverted_by
          FROM changes c
          JOIN pages p ON p.id = c.page
          JOIN revisions r ON r.page = c.page AND r.revid = c.revid
          LEFT JOIN reverts rv ON rv.page = c.page AND rv.revid = c.revid
          LEFT JOIN reverted rd ON rd.page = c.page AND rd.revid = c.revid;
        CREATE VIEW revisions_view AS
        SELECT p.wiki, p.page_id, p.title, r.revid, r.parent_revid, r.timestamp,
               CASE WHEN r.userhidden THEN NULL ELSE r.user END AS user, r.user_id, r.anon,
               CASE WHEN r.commenthidden THEN NULL ELSE r.comment END AS comment,
               r.minor, r.size,
               CASE WHEN typeof(r.sha1) = 'blob' THEN lower(hex(r.sha1)) ELSE r.sha1 END AS sha1,
               r.texthidden, r.userhidden, r.commenthidden,
               r.suppressed, r.sha1_mismatch,
               (SELECT COUNT(*) FROM changes c
                 WHERE c.page = r.page AND c.revid = r.revid) AS changes,
               rv.reverted_to AS revert_to, rd.reverted_by
          FROM revisions r
          JOIN pages p ON p.id = r.page
          LEFT JOIN reverts rv ON rv.page = r.page AND rv.revid = r.revid
          LEFT JOIN reverted rd ON rd.page = r.page AND rd.revid = r.revid;
        CREATE VIEW facts_now AS
        SELECT p.wiki, p.page_id, p.title, f.revid, r.timestamp, f.infobox, f.field,
               first_value(f.value) OVER (PARTITION BY f.page, f.field ORDER BY f.seq) AS value,
               f.position, f.item, f.side, f.[group], f.category, f.number, f.low, f.high,
               f.approximate, f.plus
          FROM current_facts f
          JOIN pages p ON p.id = f.page
          JOIN revisions r ON r.page = f.page AND r.revid = f.revid
         ORDER BY p.wiki, p.title, f.seq;
        """,
    ),
]


class MigrationError(Exception):
    pass


def _statements(script: str) -> list[str]:
    """Split a migration script into statements (executescript would commit early)."""
    statements, current = [], ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    if current.strip():
        statements.append(current.strip())
    return statements


def pending_migrations(db: sqlite_utils.Database) -> list[str]:
    """The migrations this database still needs (read without any lock). Raises
    MigrationError when it was written by a newer wikimon."""
    if "_migrations" not in db.table_names():
        return [name for name, _ in MIGRATIONS]
    done = {row[0] for row in db.conn.execute("SELECT name FROM _migrations")}
    unknown = done - {name for name, _ in MIGRATIONS}
    if unknown:
        raise MigrationError(
            f"the database was written by a newer wikimon (migration {sorted(unknown)[0]}); "
            "upgrade wikimon"
        )
    return [name for name, _ in MIGRATIONS if name not in done]


def migrate(db: sqlite_utils.Database, now: str) -> list[str]:
    """Apply pending migrations; returns the names of those applied now.

    Looks first without a lock (the usual case: nothing to do, and no writer waits on
    another); otherwise runs in one IMMEDIATE transaction, so several processes opening a
    new database at once apply each migration exactly once, and a crash leaves all of
    them or none.
    """
    if not pending_migrations(db):
        return []
    conn = db.conn
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS _migrations "
            "(name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
        )
        applied = []
        for name in pending_migrations(db):
            for statement in _statements(dict(MIGRATIONS)[name]):
                conn.execute(statement)
            conn.execute("INSERT INTO _migrations (name, applied_at) VALUES (?, ?)", [name, now])
            applied.append(name)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return applied
