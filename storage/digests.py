"""Digest records: each window of each digest, recorded before it is delivered.

A digest is written here (window, recipients, the rendered message and its Message-ID)
in the same transaction that decides its window, and marked sent only after the SMTP
server or the outbox accepted it. A crash or an outage in between leaves it pending: it
is delivered later, as recorded, never rebuilt and never lost. Scheduled windows of one
digest chain end to start, so they never overlap nor leave gaps.
"""

from __future__ import annotations

import json
from typing import Any

from .models import DigestRow
from .store import Store, inserted_id


def last_window_end(store: Store, name: str) -> str | None:
    """Where the last scheduled window of ``name`` ended."""
    return _newest_scheduled(store, "window_end", name)


def tracking_starts(store: Store, page_ids: list[int]) -> dict[int, str]:
    """When each page began to be followed: the moment its row was made (by `add`, a poll
    or an import)."""
    found: dict[int, str] = {}
    for start in range(0, len(page_ids), 500):
        chunk = page_ids[start : start + 500]
        found.update(
            store.conn.execute(
                f"SELECT id, added_at FROM pages WHERE id IN ({', '.join('?' * len(chunk))})",
                chunk,
            ).fetchall()
        )
    return found


def last_scheduled_run(store: Store, name: str) -> str | None:
    """When a scheduled digest of ``name`` was last made (recorded)."""
    return _newest_scheduled(store, "created_at", name)


def _newest_scheduled(store: Store, column: str, name: str) -> str | None:
    row = store.conn.execute(
        f"SELECT MAX({column}) FROM digests WHERE name = ? AND scheduled", [name]
    ).fetchone()
    newest: str | None = row[0]  # MAX(): one row, NULL when there is no digest yet
    return newest


def record(
    store: Store,
    *,
    name: str,
    scheduled: bool,
    window_start: str,
    window_end: str,
    recipients: list[str],
    delivery: str,
    subject: str | None = None,
    message_id: str | None = None,
    message: bytes | None = None,
) -> int:
    """Record a digest (inside the caller's transaction); one with nothing to deliver
    (``delivery='none'``) is recorded as sent, so its window is closed."""
    now = store.now()
    cursor = store.conn.execute(
        "INSERT INTO digests (name, scheduled, window_start, window_end, recipients, delivery, "
        "subject, message_id, message, created_at, sent_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            name, int(scheduled), window_start, window_end, json.dumps(recipients), delivery,
            subject, message_id, message, now, now if delivery == "none" else None,
        ],
    )  # fmt: skip
    return inserted_id(cursor)


def pending(store: Store, *, due_by: str | None = None) -> list[DigestRow]:
    """Digests recorded but not delivered, oldest first (only those due by ``due_by``)."""
    sql = "SELECT * FROM digests WHERE sent_at IS NULL AND failed_at IS NULL"
    params: list[Any] = []
    if due_by is not None:
        sql += " AND (next_attempt IS NULL OR next_attempt <= ?)"
        params.append(due_by)
    return [_decode(row) for row in store.db.query(sql + " ORDER BY id", params)]


def mark_sent(store: Store, digest_id: int) -> None:
    with store.transaction():
        store.conn.execute(
            "UPDATE digests SET sent_at = ?, attempts = attempts + 1, last_error = NULL, "
            "next_attempt = NULL WHERE id = ?",
            [store.now(), digest_id],
        )


def mark_failed(store: Store, digest_id: int, error: str, next_attempt: str) -> None:
    with store.transaction():
        store.conn.execute(
            "UPDATE digests SET attempts = attempts + 1, last_error = ?, next_attempt = ? "
            "WHERE id = ?",
            [error, next_attempt, digest_id],
        )


def retry_for(
    store: Store, digest_id: int, recipients: list[str], error: str, next_attempt: str
) -> None:
    """The server took the message for some recipients and refused the others for now:
    only those are still owed it."""
    with store.transaction():
        store.conn.execute(
            "UPDATE digests SET recipients = ?, attempts = attempts + 1, last_error = ?, "
            "next_attempt = ? WHERE id = ?",
            [json.dumps(recipients), error, next_attempt, digest_id],
        )


def give_up(store: Store, digest_id: int, error: str) -> None:
    """The server refused the message for good: it stays recorded, with why."""
    with store.transaction():
        store.conn.execute(
            "UPDATE digests SET failed_at = ?, attempts = attempts + 1, last_error = ?, "
            "next_attempt = NULL WHERE id = ?",
            [store.now(), error, digest_id],
        )


def _decode(row: dict[str, Any]) -> DigestRow:
    return DigestRow(
        **{**row, "recipients": json.loads(row["recipients"]), "scheduled": bool(row["scheduled"])}
    )
