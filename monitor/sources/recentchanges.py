"""``recentchanges: true``: one ``list=recentchanges`` request per wiki and poll tells which
tracked articles changed (instead of one prop=info request per 50 of them); only those are
then checked and fetched. Where the list was read up to is kept in SQLite."""

from __future__ import annotations

from datetime import timedelta

from storage import Page, Store, format_time, parse_time
from storage import alerts as positions

from .api import WikiClient

# Revisions are dated by the wiki's clock and read from replicas that may lag: each read
# starts this long before where the last one ended (what it sees again is skipped).
OVERLAP = timedelta(seconds=10)
# list=recentchanges keeps 90 days on Wikimedia wikis ($wgRCMaxAge); after a longer pause
# every article is checked instead.
MAX_GAP = timedelta(days=30)


def read_from(store: Store, wiki: str, now: str) -> str | None:
    """Where to read the wiki's recent changes from; None: not read before, or too long
    ago (every article is checked once instead)."""
    until = positions.recentchanges_until(store, wiki)
    if until is None or parse_time(now) - parse_time(until) > MAX_GAP:
        return None
    return format_time(parse_time(until) - OVERLAP)


def changed_pages(
    store: Store, client: WikiClient, pages: list[Page], since: str
) -> tuple[list[Page], str | None]:
    """The pages among ``pages`` that the wiki's recent changes since ``since`` name (by
    page id, or by title: a move's log entry), less those whose new revision is stored
    already; and the wiki's time of the answer."""
    changes, until = client.recent_changes(since)
    by_id = {page.page_id: page for page in pages}
    by_title = {page.title: page for page in pages}
    changed: dict[int, Page] = {}
    for change in changes:
        page = by_id.get(change["pageid"]) or by_title.get(change["title"])
        if page is None or page.id in changed:
            continue
        if change["revid"] and store.revision(page, change["revid"]) is not None:
            continue  # seen by an earlier read (the overlap) or by the stream
        changed[page.id] = page
    return list(changed.values()), until
