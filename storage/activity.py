"""Per-article activity for the report's index, in a few queries over every article
(the index is rewritten on each report; an article's history is not read for it)."""

from __future__ import annotations

from collections import defaultdict

from .models import ArticleActivity
from .store import Store


def article_activity(store: Store, since: str, until: str) -> dict[int, ArticleActivity]:
    """Every page with revisions → its change count, last change, last edit, and the
    revisions saved in (since, until] with whether each is an identity revert."""
    changes = {
        page: (count, last)
        for page, count, last in store.conn.execute(
            "SELECT page, COUNT(*), MAX(timestamp) FROM changes GROUP BY page"
        )
    }
    recent: dict[int, list[tuple[str, bool]]] = defaultdict(list)
    for page, timestamp, revert in store.conn.execute(
        # page by page through the (page, timestamp) index: no scan of every revision
        "SELECT r.page, r.timestamp, v.revid IS NOT NULL FROM pages p "
        "JOIN revisions r ON r.page = p.id AND r.timestamp > ? AND r.timestamp <= ? "
        "LEFT JOIN reverts v ON v.page = r.page AND v.revid = r.revid "
        "ORDER BY r.page, r.timestamp, r.revid",
        [since, until],
    ):
        recent[page].append((timestamp, bool(revert)))
    return {
        page: ArticleActivity(
            page=page,
            changes=changes.get(page, (0, None))[0],
            last_change=changes.get(page, (0, None))[1],
            last_edit=last_edit,
            recent=tuple(recent.get(page, ())),
        )
        for page, last_edit in store.conn.execute(
            "SELECT page, MAX(timestamp) FROM revisions GROUP BY page"
        )
    }
