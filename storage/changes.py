"""The change log: semantic changes per revision, reverts, and how far analysis got."""

from __future__ import annotations

import json
from typing import Any

from .models import Page
from .store import Store

CHANGE_COLUMNS = (
    "field", "kind", "old", "new", "item", "category", "side", "old_number", "new_number",
)  # fmt: skip


def analysis_state(store: Store, page: Page) -> dict[str, Any] | None:
    rows = list(store.db.query("SELECT * FROM analysis_state WHERE page = ?", [page.id]))
    return rows[0] if rows else None


def reset(store: Store, page: Page) -> None:
    """Forget the page's analysis (inside the caller's transaction)."""
    for table in ("changes", "reverts", "reverted", "analysis_state"):
        store.conn.execute(f"DELETE FROM {table} WHERE page = ?", [page.id])


def record_changes(
    store: Store,
    page: Page,
    revision: dict[str, Any],
    compared_with: int | None,
    changes: list[dict[str, Any]],
) -> None:
    """Append one revision's change records (inside the caller's transaction)."""
    store.conn.executemany(
        f"INSERT INTO changes (page, revid, parent_revid, timestamp, seq, "
        f"{', '.join(CHANGE_COLUMNS)}) VALUES ({', '.join('?' * (5 + len(CHANGE_COLUMNS)))})",
        [
            [page.id, revision["revid"], compared_with, revision["timestamp"], seq]
            + [change.get(column) for column in CHANGE_COLUMNS]
            for seq, change in enumerate(changes)
        ],
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


def save_state(store: Store, page: Page, **state: Any) -> None:
    columns = ["page", *state]
    store.conn.execute(
        f"INSERT OR REPLACE INTO analysis_state ({', '.join(columns)}) "
        f"VALUES ({', '.join('?' * len(columns))})",
        [page.id, *state.values()],
    )


def changes(
    store: Store,
    page: Page,
    *,
    since: str | None = None,
    until: str | None = None,
    field: str | None = None,
) -> list[dict[str, Any]]:
    """Change records oldest first, with their revision's user and comment and revert marks."""
    where, params = ["c.page = ?"], [page.id]
    if since:
        where.append("c.timestamp >= ?")
        params.append(since)
    if until:
        where.append("c.timestamp < ?")
        params.append(until)
    if field:
        where.append("c.field = ?")
        params.append(field)
    sql = f"""
        SELECT c.revid, c.parent_revid, c.timestamp, r.user, r.userhidden, r.comment,
               r.commenthidden, {", ".join("c." + col for col in CHANGE_COLUMNS)},
               rv.reverted_to, rv.reverted, rd.reverted_by
          FROM changes c
          JOIN revisions r ON r.page = c.page AND r.revid = c.revid
          LEFT JOIN reverts rv ON rv.page = c.page AND rv.revid = c.revid
          LEFT JOIN reverted rd ON rd.page = c.page AND rd.revid = c.revid
         WHERE {" AND ".join(where)}
         ORDER BY c.timestamp, c.revid, c.seq
    """
    rows = []
    for row in store.db.query(sql, params):
        reverted_to, reverted = row.pop("reverted_to"), row.pop("reverted")
        row["revert"] = (
            {"reverted_to": reverted_to, "reverted": json.loads(reverted)}
            if reverted_to is not None
            else None
        )
        if row.pop("userhidden"):
            row["user"] = None
        if row.pop("commenthidden"):
            row["comment"] = None
        rows.append(row)
    return rows


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
