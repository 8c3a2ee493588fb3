"""The change log: semantic changes per revision, reverts, and how far analysis got."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from .models import (
    CHANGE_COLUMNS,
    FACT_COLUMNS,
    AnalysisState,
    ChangeRecord,
    ChangeRow,
    FactRecord,
    Page,
    Revert,
    RevisionRow,
)
from .store import Store

__all__ = [
    "FieldStats",
    "analysis_state",
    "change_count",
    "change_days",
    "changes",
    "field_stats",
    "iter_changes",
    "record_changes",
    "record_revert",
    "reset",
    "revert_count",
    "reverted_by",
    "reverts_to",
    "save_current_facts",
    "save_state",
    "stale_pages",
]


# The columns :func:`changes` selects before the revert marks, as ChangeRow names them.
_CHANGE_ROW_NAMES = (
    "revid", "parent_revid", "timestamp", "user", "comment", *CHANGE_COLUMNS, "infobox",
)  # fmt: skip


def analysis_state(store: Store, page: Page) -> AnalysisState | None:
    row = store.conn.execute(
        "SELECT version, infobox, analyzed, last_revid, last_timestamp, last_visible_revid "
        "FROM analysis_state WHERE page = ?",
        [page.id],
    ).fetchone()
    return AnalysisState(*row) if row else None


def reset(store: Store, page: Page) -> None:
    """Forget the page's analysis (inside the caller's transaction)."""
    for table in ("changes", "reverts", "reverted", "analysis_state", "current_facts"):
        store.conn.execute(f"DELETE FROM {table} WHERE page = ?", [page.id])


def record_changes(
    store: Store,
    page: Page,
    revision: RevisionRow,
    compared_with: int | None,
    changes: Sequence[ChangeRecord],
    infobox: str | None = None,
) -> None:
    """Append one revision's change records about template ``infobox`` (inside the
    caller's transaction)."""
    store.conn.executemany(
        f"INSERT INTO changes (page, revid, parent_revid, timestamp, seq, infobox, "
        f"{', '.join(CHANGE_COLUMNS)}) VALUES ({', '.join('?' * (6 + len(CHANGE_COLUMNS)))})",
        [
            [page.id, revision.revid, compared_with, revision.timestamp, seq, infobox]
            + [getattr(change, column) for column in CHANGE_COLUMNS]
            for seq, change in enumerate(changes)
        ],
    )


def save_current_facts(
    store: Store, page: Page, revid: int, infobox: str | None, rows: Sequence[FactRecord]
) -> None:
    """The facts of the page's newest analysed revision with text, ``revid``, replacing
    the previous ones (inside the caller's transaction): what the ``facts_now`` view shows.
    A field's display value is stored on its first row only (a casualty field of 30 figures
    would hold it 30 times); the view repeats it."""
    store.conn.execute("DELETE FROM current_facts WHERE page = ?", [page.id])
    values = []
    previous = None
    for seq, row in enumerate(rows):
        value = [getattr(row, column) for column in FACT_COLUMNS]
        if row.field == previous:
            value[FACT_COLUMNS.index("value")] = None
        values.append([page.id, revid, infobox, seq, *value])
        previous = row.field
    store.conn.executemany(
        "INSERT INTO current_facts (page, revid, infobox, seq, "
        f"{', '.join(f'[{column}]' for column in FACT_COLUMNS)}) "
        f"VALUES ({', '.join('?' * (4 + len(FACT_COLUMNS)))})",
        values,
    )


def record_revert(
    store: Store, page: Page, revid: int, reverted_to: int, reverted: list[int]
) -> None:
    """Revision ``revid`` restored ``reverted_to``'s text, undoing ``reverted``."""
    store.conn.execute(
        "INSERT OR REPLACE INTO reverts (page, revid, reverted_to, reverted) VALUES (?, ?, ?, ?)",
        [page.id, revid, reverted_to, json.dumps(reverted)],
    )
    store.conn.executemany(
        "INSERT OR REPLACE INTO reverted (page, revid, reverted_by) VALUES (?, ?, ?)",
        [[page.id, undone, revid] for undone in reverted],
    )


def save_state(store: Store, page: Page, state: AnalysisState) -> None:
    store.conn.execute(
        "INSERT OR REPLACE INTO analysis_state (page, version, infobox, analyzed, last_revid, "
        "last_timestamp, last_visible_revid) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [page.id, state.version, state.infobox, state.analyzed, state.last_revid,
         state.last_timestamp, state.last_visible_revid],
    )  # fmt: skip


def changes(
    store: Store,
    page: Page,
    *,
    since: str | None = None,
    until: str | None = None,
    fields: Sequence[str] = (),
) -> list[ChangeRow]:
    """Change records oldest first, with their revision's user and comment and revert marks."""
    return list(iter_changes(store, page, since=since, until=until, fields=fields))


def iter_changes(
    store: Store,
    page: Page,
    *,
    since: str | None = None,
    until: str | None = None,
    fields: Sequence[str] = (),
) -> Iterator[ChangeRow]:
    """:func:`changes`, one row at a time (exports of long histories). ``fields``: only
    these fields, by name or by glob pattern (``casualties*``, as SQLite's GLOB)."""
    where = ["c.page = ?"]
    params: list[int | str] = [page.id]
    if since:
        where.append("c.timestamp >= ?")
        params.append(since)
    if until:
        where.append("c.timestamp < ?")
        params.append(until)
    if fields:
        tests = [f"c.field {'GLOB' if set('*?[') & set(f) else '='} ?" for f in fields]
        where.append(f"({' OR '.join(tests)})")
        params.extend(fields)
    sql = f"""
        SELECT c.revid, c.parent_revid, c.timestamp,
               CASE WHEN r.userhidden THEN NULL ELSE r.user END,
               CASE WHEN r.commenthidden THEN NULL ELSE r.comment END,
               {", ".join("c." + col for col in CHANGE_COLUMNS)}, c.infobox,
               rv.reverted_to, rv.reverted, rd.reverted_by, r.minor
          FROM changes c
          JOIN revisions r ON r.page = c.page AND r.revid = c.revid
          LEFT JOIN reverts rv ON rv.page = c.page AND rv.revid = c.revid
          LEFT JOIN reverted rd ON rd.page = c.page AND rd.revid = c.revid
         WHERE {" AND ".join(where)}
         ORDER BY c.timestamp, c.revid, c.seq
    """
    for row in store.conn.execute(sql, params):
        values = dict(zip(_CHANGE_ROW_NAMES, row[:-4], strict=True))
        reverted_to, reverted, by, minor = row[-4:]
        revert = Revert(reverted_to, tuple(json.loads(reverted))) if reverted_to else None
        yield ChangeRow(**values, revert=revert, reverted_by=by, minor=bool(minor))


def change_count(store: Store, page: Page) -> int:
    return int(
        store.conn.execute("SELECT COUNT(*) FROM changes WHERE page = ?", [page.id]).fetchone()[0]
    )


def change_days(store: Store, page: Page) -> list[str]:
    """The UTC days (YYYY-MM-DD) on which the page's facts changed, oldest first."""
    return [
        row[0]
        for row in store.conn.execute(
            "SELECT DISTINCT substr(timestamp, 1, 10) AS day FROM changes WHERE page = ? "
            "ORDER BY day",
            [page.id],
        )
    ]


def reverted_by(store: Store, page: Page) -> dict[int, int]:
    """Each undone revision of the page → the identity revert that undid it."""
    return dict(
        store.conn.execute("SELECT revid, reverted_by FROM reverted WHERE page = ?", [page.id])
    )


def reverts_to(store: Store, page: Page) -> dict[int, int]:
    """Each identity revert of the page → the revision whose text it restored."""
    return dict(
        store.conn.execute("SELECT revid, reverted_to FROM reverts WHERE page = ?", [page.id])
    )


def revert_count(store: Store, page: Page, start: str, end: str) -> int:
    """Identity reverts saved in [start, end)."""
    row = store.conn.execute(
        "SELECT COUNT(*) FROM reverts v JOIN revisions r ON r.page = v.page AND r.revid = v.revid"
        " WHERE v.page = ? AND r.timestamp >= ? AND r.timestamp < ?",
        [page.id, start, end],
    ).fetchone()
    return int(row[0])


@dataclass(frozen=True)
class FieldStats:
    changes: int = 0  # revisions that changed the field
    reverted: int = 0  # … of which were reverted
    editors: int = 0
    last: str | None = None  # when it last changed


def field_stats(store: Store, page: Page) -> dict[str, FieldStats]:
    """Per field: the revisions that changed it, how many were reverted, by how many
    editors, and its last change."""
    return {
        field: FieldStats(changes=changes, reverted=reverted, editors=editors, last=last)
        for field, changes, reverted, editors, last in store.conn.execute(
            """
            SELECT c.field, COUNT(DISTINCT c.revid), COUNT(DISTINCT rd.revid),
                   COUNT(DISTINCT r.user), MAX(c.timestamp)
              FROM changes c
              JOIN revisions r ON r.page = c.page AND r.revid = c.revid
              LEFT JOIN reverted rd ON rd.page = c.page AND rd.revid = c.revid
             WHERE c.page = ? GROUP BY c.field
            """,
            [page.id],
        )
    }


def stale_pages(store: Store, version: str) -> list[int]:
    """Local ids of pages whose change log does not cover all their stored revisions, or
    was made by another analysis version."""
    return [
        row[0]
        for row in store.conn.execute(
            """
            SELECT p.id FROM pages p
              JOIN (SELECT page, COUNT(*) AS n FROM revisions GROUP BY page) r ON r.page = p.id
              LEFT JOIN analysis_state a ON a.page = p.id
             WHERE a.page IS NULL OR a.analyzed != r.n OR a.version != ?
             ORDER BY p.id
            """,
            [version],
        )
    ]
