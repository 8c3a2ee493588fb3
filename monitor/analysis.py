"""Running the semantic diff over a page's stored history and keeping the change log.

Analysis is incremental: it continues after the last analysed revision, and starts over
only when older revisions were stored since (a backfill) or the extraction changed (a new
wikimon version, another configured infobox). Work is proportional to what changed:
texts are decoded sequentially, and the extraction caches each field's raw text.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from storage import Page, Store
from storage import changes as changelog

from . import __version__
from .diff import diff_facts
from .extract import extract_facts
from .facts import Facts

# Bump when extraction or diff rules change: stored analyses are then redone.
ANALYSIS_VERSION = f"{__version__}+1"
REVERT_RADIUS = 15  # as MediaWiki and mwreverts: an identity revert within 15 revisions
COMMIT_EVERY = 200


@dataclass
class AnalysisResult:
    page: Page
    revisions: int = 0  # revisions analysed now
    changes: int = 0  # change records added
    reverts: int = 0
    full: bool = False  # started over


def analyze_page(
    store: Store, page: Page, infobox: str | None = None, *, full: bool = False
) -> AnalysisResult:
    """Bring the page's change log up to date with its stored revisions."""
    result = AnalysisResult(page)
    state = changelog.analysis_state(store, page)
    if state is None or full or not _still_valid(store, page, state, infobox):
        state = None
        result.full = True
    after = (state["last_timestamp"], state["last_revid"]) if state else None
    analyzed = state["analyzed"] if state else 0
    previous: Facts | None = None
    previous_revid: int | None = state["last_visible_revid"] if state else None
    if previous_revid is not None:
        text = store.text(page, previous_revid)
        previous = extract_facts(text.decode("utf-8", "replace"), infobox) if text else None
    window: deque[tuple[int, str | None]] = deque(_recent(store, page, after), REVERT_RADIUS)

    pending = 0
    conn_started = False
    last: dict | None = None
    try:
        for meta, text in store.texts(page, after):
            if not conn_started:
                store.conn.execute("BEGIN IMMEDIATE")
                conn_started = True
                if result.full:
                    changelog.reset(store, page)
            revert = _identity_revert(window, meta["sha1"])
            if revert is not None:
                reverted_to, undone = revert
                changelog.record_revert(store, page, meta["revid"], reverted_to, undone)
                result.reverts += 1
            window.append((meta["revid"], meta["sha1"]))
            if text is not None:  # revision-deleted text: compare the next one with the last
                facts = extract_facts(text.decode("utf-8", "replace"), infobox)
                if previous is not None:
                    records = [c.to_json() for c in diff_facts(previous, facts)]
                    if records:
                        changelog.record_changes(store, page, meta, previous_revid, records)
                        result.changes += len(records)
                previous, previous_revid = facts, meta["revid"]
            analyzed += 1
            result.revisions += 1
            last = meta
            pending += 1
            if pending >= COMMIT_EVERY:
                _save(store, page, infobox, analyzed, last, previous_revid)
                store.conn.execute("COMMIT")
                store.conn.execute("BEGIN IMMEDIATE")
                pending = 0
        if conn_started:
            if last is not None:
                _save(store, page, infobox, analyzed, last, previous_revid)
            store.conn.execute("COMMIT")
            conn_started = False
        elif result.full:
            with store.transaction():
                changelog.reset(store, page)
    finally:
        if conn_started:
            store.conn.execute("ROLLBACK")
    return result


def _save(store: Store, page: Page, infobox, analyzed, last, previous_revid) -> None:
    changelog.save_state(
        store,
        page,
        version=ANALYSIS_VERSION,
        infobox=infobox,
        analyzed=analyzed,
        last_revid=last["revid"],
        last_timestamp=last["timestamp"],
        last_visible_revid=previous_revid,
    )


def _still_valid(store: Store, page: Page, state: dict, infobox: str | None) -> bool:
    """The stored analysis covers exactly the stored revisions up to its last one."""
    if state["version"] != ANALYSIS_VERSION or state["infobox"] != infobox:
        return False
    covered = store.conn.execute(
        "SELECT COUNT(*) FROM revisions WHERE page = ? AND "
        "(timestamp < ? OR (timestamp = ? AND revid <= ?))",
        [page.id, state["last_timestamp"], state["last_timestamp"], state["last_revid"]],
    ).fetchone()[0]
    return covered == state["analyzed"]


def _recent(store: Store, page: Page, after: tuple[str, int] | None) -> list[tuple[int, str]]:
    """The (revid, sha1) of the REVERT_RADIUS revisions up to ``after``, oldest first."""
    if after is None:
        return []
    rows = store.conn.execute(
        "SELECT revid, sha1 FROM revisions WHERE page = ? AND "
        "(timestamp < ? OR (timestamp = ? AND revid <= ?)) "
        "ORDER BY timestamp DESC, revid DESC LIMIT ?",
        [page.id, after[0], after[0], after[1], REVERT_RADIUS],
    ).fetchall()
    return [(row[0], row[1]) for row in reversed(rows)]


def _identity_revert(
    window: deque[tuple[int, str | None]], sha1: str | None
) -> tuple[int, list[int]] | None:
    """(reverted_to, reverted) when ``sha1`` restores one of the window's texts.

    The most recent match counts; matching the previous revision is a null edit."""
    if sha1 is None:
        return None
    entries = list(window)
    for index in range(len(entries) - 1, -1, -1):
        revid, earlier = entries[index]
        if earlier == sha1:
            undone = [r for r, _ in entries[index + 1 :]]
            return (revid, undone) if undone else None
    return None
