"""Alert records: revisions seen live, each rule's chained windows per article, and one
delivery per channel, recorded before anything is sent (as digests are).

Also the positions of the push sources: the last event id of each event stream and how far
``list=recentchanges`` has been read for each wiki, so that a restart resumes there.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .models import AlertDeliveryRow, AlertRow, Page, StreamPosition
from .store import Store, inserted_id

# -- revisions seen live ---------------------------------------------------------------------


def mark_live(store: Store, page: Page, first_revid: int, last_revid: int, via: str) -> int:
    """The page's revisions from ``first_revid`` to ``last_revid`` (in history order) were
    just fetched by a poll or the stream: alerts are about those, never about an import or
    a backfill. Returns how many were marked."""
    with store.transaction() as conn:
        keys = conn.execute(
            "SELECT timestamp, revid FROM revisions WHERE page = ? AND revid IN (?, ?)",
            [page.id, first_revid, last_revid],
        ).fetchall()
        if not keys:
            return 0
        low, high = min(keys), max(keys)
        cursor = conn.execute(
            "INSERT OR IGNORE INTO live_revisions (page, revid, timestamp, via, seen_at) "
            "SELECT page, revid, timestamp, ?, ? FROM revisions WHERE page = ? AND "
            "(timestamp > ? OR (timestamp = ? AND revid >= ?)) AND "
            "(timestamp < ? OR (timestamp = ? AND revid <= ?))",
            [via, store.now(), page.id, low[0], low[0], low[1], high[0], high[0], high[1]],
        )
        return cursor.rowcount


def forget_live(store: Store, seen_before: str) -> None:
    """Revisions seen long ago are no longer waiting for any alert."""
    with store.transaction() as conn:
        conn.execute("DELETE FROM live_revisions WHERE seen_at < ?", [seen_before])


def rule_since(store: Store, name: str) -> str:
    """When the rule was first seen (recorded now if it is new): it alerts on revisions
    seen from then on, never on what was seen before it existed."""
    with store.transaction() as conn:
        conn.execute(
            "INSERT OR IGNORE INTO alert_rules (name, created_at) VALUES (?, ?)",
            [name, store.now()],
        )
        since: str = conn.execute(
            "SELECT created_at FROM alert_rules WHERE name = ?", [name]
        ).fetchone()[0]
    return since


def waiting_pages(store: Store, rule: str, since: str) -> list[int]:
    """Local ids of the pages with revisions seen live (from ``since``) after the rule's
    last window for them."""
    return [
        row[0]
        for row in store.conn.execute(
            """
            SELECT lr.page FROM live_revisions lr
             WHERE lr.seen_at >= ?
               AND lr.timestamp >= COALESCE(
                   (SELECT MAX(a.window_end) FROM alerts a
                     WHERE a.rule = ? AND a.page = lr.page), '')
             GROUP BY lr.page ORDER BY lr.page
            """,
            [since, rule],
        )
    ]


def live_changes(store: Store, page: Page, since: str, start: str) -> list[tuple[str, int, str]]:
    """(timestamp, revid, field) of every change record of the page's revisions seen live
    (from ``since``) and saved at or after ``start``, oldest first."""
    return [
        (row[0], row[1], row[2])
        for row in store.conn.execute(
            """
            SELECT lr.timestamp, lr.revid, c.field FROM live_revisions lr
              JOIN changes c ON c.page = lr.page AND c.revid = lr.revid
             WHERE lr.page = ? AND lr.seen_at >= ? AND lr.timestamp >= ?
             ORDER BY lr.timestamp, lr.revid, c.seq
            """,
            [page.id, since, start],
        )
    ]


def last_window_end(store: Store, rule: str, page: Page) -> str | None:
    row = store.conn.execute(
        "SELECT MAX(window_end) FROM alerts WHERE rule = ? AND page = ?", [rule, page.id]
    ).fetchone()
    end: str | None = row[0]
    return end


# -- alerts and their deliveries -------------------------------------------------------------


def record(
    store: Store,
    *,
    rule: str,
    page: Page,
    window_start: str,
    window_end: str,
    from_revid: int | None,
    to_revid: int | None,
    title: str | None,
    body: str | None,
    records: str,
    channels: Sequence[tuple[str, str]],
) -> int:
    """Record an alert window and a delivery per (channel key, label), inside the caller's
    transaction; a window with nothing to say (``title`` None) gets no delivery."""
    now = store.now()
    alert_id = inserted_id(
        store.conn.execute(
            "INSERT INTO alerts (rule, page, window_start, window_end, from_revid, to_revid, "
            "title, body, records, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                rule,
                page.id,
                window_start,
                window_end,
                from_revid,
                to_revid,
                title,
                body,
                records,
                now,
            ],
        )  # fmt: skip
    )
    if title is not None:
        store.conn.executemany(
            "INSERT INTO alert_deliveries (alert, channel, label, idempotency_key, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            [
                [alert_id, key, label, f"wikimon-alert-{alert_id}-{key}", now]
                for key, label in channels
            ],
        )
    return alert_id


_DELIVERY_COLUMNS = (
    "d.id, d.channel, d.label, d.idempotency_key, d.created_at, d.sent_at, d.failed_at, "
    "d.attempts, d.last_error, d.next_attempt, a.id, a.rule, a.page, a.window_start, "
    "a.window_end, a.from_revid, a.to_revid, a.title, a.body, a.records, a.created_at"
)


def pending(store: Store, *, due_by: str | None = None) -> list[AlertDeliveryRow]:
    """Deliveries recorded and neither made nor given up, oldest first (only those due
    by ``due_by``)."""
    sql = (
        f"SELECT {_DELIVERY_COLUMNS} FROM alert_deliveries d JOIN alerts a ON a.id = d.alert "
        "WHERE d.sent_at IS NULL AND d.failed_at IS NULL"
    )
    params: list[Any] = []
    if due_by is not None:
        sql += " AND (d.next_attempt IS NULL OR d.next_attempt <= ?)"
        params.append(due_by)
    return [_delivery(row) for row in store.conn.execute(sql + " ORDER BY d.id", params)]


def deliveries(store: Store, alert_id: int | None = None) -> list[AlertDeliveryRow]:
    """Every delivery (of one alert), oldest first."""
    sql = f"SELECT {_DELIVERY_COLUMNS} FROM alert_deliveries d JOIN alerts a ON a.id = d.alert"
    params: list[Any] = []
    if alert_id is not None:
        sql += " WHERE a.id = ?"
        params.append(alert_id)
    return [_delivery(row) for row in store.conn.execute(sql + " ORDER BY d.id", params)]


def mark_sent(store: Store, delivery_id: int, attempts: int) -> None:
    with store.transaction():
        store.conn.execute(
            "UPDATE alert_deliveries SET sent_at = ?, attempts = attempts + ?, "
            "last_error = NULL, next_attempt = NULL WHERE id = ?",
            [store.now(), attempts, delivery_id],
        )


def mark_failed(
    store: Store, delivery_id: int, attempts: int, error: str, next_attempt: str
) -> None:
    with store.transaction():
        store.conn.execute(
            "UPDATE alert_deliveries SET attempts = attempts + ?, last_error = ?, "
            "next_attempt = ? WHERE id = ?",
            [attempts, error, next_attempt, delivery_id],
        )


def give_up(store: Store, delivery_id: int, attempts: int, error: str) -> None:
    """Refused for good (a 4xx, a channel gone from the config): kept, with why."""
    with store.transaction():
        store.conn.execute(
            "UPDATE alert_deliveries SET failed_at = ?, attempts = attempts + ?, "
            "last_error = ?, next_attempt = NULL WHERE id = ?",
            [store.now(), attempts, error, delivery_id],
        )


def _delivery(row: tuple[Any, ...]) -> AlertDeliveryRow:
    alert = AlertRow(*row[10:])
    return AlertDeliveryRow(row[0], alert, *row[1:10])


# -- positions of the push sources -----------------------------------------------------------


def stream_position(store: Store, url: str) -> StreamPosition | None:
    row = store.conn.execute(
        "SELECT url, last_event_id, event_time, updated_at FROM stream_state WHERE url = ?",
        [url],
    ).fetchone()
    return StreamPosition(*row) if row else None


def save_stream_position(store: Store, url: str, event_id: str, event_time: str | None) -> None:
    with store.transaction():
        store.conn.execute(
            "INSERT OR REPLACE INTO stream_state (url, last_event_id, event_time, updated_at) "
            "VALUES (?, ?, ?, ?)",
            [url, event_id, event_time, store.now()],
        )


def recentchanges_until(store: Store, wiki: str) -> str | None:
    row = store.conn.execute(
        "SELECT checked_until FROM recentchanges_state WHERE wiki = ?", [wiki]
    ).fetchone()
    return row[0] if row else None


def save_recentchanges_until(store: Store, wiki: str, moment: str) -> None:
    with store.transaction():
        store.conn.execute(
            "INSERT OR REPLACE INTO recentchanges_state (wiki, checked_until) VALUES (?, ?)",
            [wiki, moment],
        )
