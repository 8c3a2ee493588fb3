"""Keeping the store in step with a live wiki: add, poll and backfill.

Every batch of revisions is committed together with the sync state that says how far we
got, so an interrupted run (crash, kill -9, network loss) resumes where it stopped with
no duplicates and no gaps.

What the wiki answers has been checked by :mod:`monitor.api`; this module only decides
what to ask for and what to store.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from storage import Page, Store

from ..errors import InvalidTitle, PageError, WikiError, WikimonError
from .api import BATCH, WikiClient, revision_from_api

__all__ = [
    "BackfillResult",
    "PollResult",
    "add_configured",
    "add_page",
    "backfill_page",
    "fetch_newer",
    "poll_pages",
    "resolve_title",
    "revision_from_api",
]

log = logging.getLogger(__name__)


@dataclass
class PollResult:
    page: Page
    added: int = 0
    first_revid: int | None = None
    last_revid: int | None = None
    renamed_from: str | None = None
    became_redirect: str | None = None  # the page was turned into a redirect to this title
    problem: str | None = None


@dataclass
class BackfillResult:
    page: Page
    added: int = 0
    resumed: bool = False
    caught_up: PollResult | None = None
    batches: list[int] = field(default_factory=list)
    gaps_filled: int = 0  # of ``added``: revisions missing in the middle of the stored history
    # parent revids that the wiki no longer has (deleted) or has on another page: the
    # stored history has a hole before each, and history_complete stays 0
    unavailable: list[int] = field(default_factory=list)


def resolve_title(client: WikiClient, wiki: str, title: str) -> dict[str, Any]:
    """The live page for ``title``: its page id, canonical title and namespace.

    Missing pages, invalid titles, special pages, interwiki links and redirects are
    errors that say what to do.
    """
    query = client.page_info(titles=[title])
    if not query["pages"]:
        (link,) = query["interwiki"][:1]
        raise InvalidTitle(
            f"{title!r} is a link to another wiki (interwiki prefix {link.get('iw', '?')!r}), "
            f"not a page on {wiki} ({client.api_url}); to track it, add that wiki to the "
            "config's wikis: and use --wiki"
        )
    info: dict[str, Any] = query["pages"][0]  # page_info checked: a dict per page
    if info.get("invalid"):
        raise InvalidTitle(
            f"{title!r} is not a valid title on {wiki}: {info.get('invalidreason', 'invalid')}"
        )
    if info.get("special"):
        raise InvalidTitle(
            f"{info['title']!r} is a special page on {wiki} ({client.api_url}): the wiki "
            "generates it and it has no revisions to track; add an article instead"
        )
    if info.get("missing"):
        raise PageError(
            f"{wiki} has no page {info.get('title', title)!r} ({client.api_url}); check the "
            "spelling: titles are case-sensitive after the first letter"
        )
    if info.get("redirect"):
        target = client.redirect_target(info["title"]) or "?"
        raise PageError(
            f"{info['title']!r} on {wiki} is a redirect to {target!r}; "
            f"track the article itself: wikimon add {target!r}"
        )
    return info


def _stored_page(store: Store, wiki: str, page_id: int) -> Page | None:
    return next((p for p in store.pages(wiki=wiki) if p.page_id == page_id), None)


def add_page(store: Store, client: WikiClient, wiki: str, title: str) -> tuple[Page, int]:
    """Start tracking ``title``; stores its current revision as the baseline (unless
    revisions are already stored). Returns the page and how many revisions were added.

    Nothing is stored unless the wiki answered both requests: no tracked page without a
    revision.
    """
    info = resolve_title(client, wiki, title)
    stored = _stored_page(store, wiki, info["pageid"])
    current = None
    if stored is None or not store.revision_count(stored):
        current = client.current_revision(info["pageid"])
    case_sensitive: bool | None = None  # None: already known, left as stored
    namespaces: list[str] | None = None
    known = store.wiki(wiki)
    if known is None or known.namespaces is None:  # once per wiki: its title rules
        case_sensitive, namespaces = client.title_rules()
    store.ensure_wiki(
        wiki, api_url=client.api_url, case_sensitive=case_sensitive, namespaces=namespaces
    )
    page = store.upsert_page(wiki, info["pageid"], info["title"], info["ns"], tracked=True)
    if current is None:
        return page, 0
    added = store.writer(page).write([current], sync={"last_poll": store.now(), "last_error": None})
    return page, added


def add_configured(
    store: Store, client: WikiClient, wiki: str, titles: Iterable[str]
) -> list[tuple[str, Page | str]]:
    """Add, as :func:`add_page` does, each of ``titles`` (the config's articles on
    ``wiki``) that no page stored for ``wiki`` answers to, by current or former title.
    A page deleted on the wiki counts as stored: it is not tried again.

    Returns ``(title, page)`` for each article added and ``(title, message)`` for each
    that could not be, the message one line naming the title. Once the wiki itself fails
    (unreachable, garbage), the remaining titles are not tried and get the same message.
    """
    outcome: list[tuple[str, Page | str]] = []
    broken: WikiError | None = None
    for title in dict.fromkeys(titles):
        if store.find_pages(title, wiki):
            continue
        error: WikimonError | None = broken
        if error is None:
            try:
                page, _ = add_page(store, client, wiki, title)
            except WikiError as failure:
                error = broken = failure
            except WikimonError as failure:
                error = failure
            else:
                outcome.append((title, page))
                continue
        outcome.append((title, f"{wiki}: cannot add {title!r} (listed in the config): {error}"))
    return outcome


def fetch_newer(
    store: Store, client: WikiClient, page: Page, polled_at: str | None = None
) -> PollResult:
    """Store every revision newer than the newest stored one, oldest first.

    ``last_poll`` records when the check started (``polled_at``, default now): every
    revision saved before it is stored — what digests rely on to close a window."""
    result = PollResult(page)
    polled_at = polled_at or store.now()
    latest = store.latest_revision(page)
    writer = store.writer(page)
    if latest is None:
        current = client.current_revision(page.page_id)
        result.added = writer.write([current], sync={"last_poll": polled_at, "last_error": None})
        result.first_revid = result.last_revid = current.revid if result.added else None
        return result
    # rvstart is inclusive, and revisions saved in the same second as the newest stored one
    # may be older than it: only those after it in (timestamp, revid) order are new.
    newest = latest.key
    for batch in client.revisions(page.page_id, start=latest.timestamp):
        revisions = [r for r in batch if (r.timestamp, r.revid) > newest]
        added = writer.write(revisions, sync={"last_poll": polled_at, "last_error": None})
        if added:
            result.first_revid = result.first_revid or revisions[0].revid
            result.last_revid = revisions[-1].revid
        result.added += added
    return result


def poll_pages(
    store: Store, client: WikiClient, wiki: str, pages: Iterable[Page]
) -> list[PollResult]:
    """Check which of ``pages`` changed with one prop=info request per 50 pages, then fetch
    new revisions of the changed ones only. Moves are followed by page id; a page gone
    from the wiki is reported once and no longer tracked."""
    pages = list(pages)
    results = []
    for start in range(0, len(pages), BATCH):
        chunk = pages[start : start + BATCH]
        asked_at = store.now()  # before the request: what it cannot have seen is newer
        query = client.page_info(pageids=[p.page_id for p in chunk])
        # Better, the wiki's clock when it answered: revisions are dated by it, and digests
        # close their windows at last_poll (less jobs.HORIZON_MARGIN, for replica lag).
        polled_at = query.get("curtimestamp") or asked_at
        infos = {info.get("pageid"): info for info in query["pages"]}
        for page in chunk:
            info = infos[page.page_id]  # api.page_info checked that every page id is there
            if info.get("missing"):
                problem = (
                    f"{wiki}: {page.title!r} (page id {page.page_id}) no longer exists on the "
                    "wiki (deleted?); its history is kept and it is no longer tracked"
                )
                store.update_sync_state(page, last_poll=polled_at, last_error=problem)
                page = store.mark_deleted(page)
                results.append(PollResult(page, problem=problem))
                continue
            renamed_from = became_redirect = None
            if info["title"] != page.title:
                renamed_from = page.title
                page = store.upsert_page(wiki, page.page_id, info["title"], info["ns"])
            if bool(info.get("redirect")) != bool(page.redirect_to):
                target = client.redirect_target(info["title"]) if info.get("redirect") else None
                store.set_redirect(page, target)
                page = store.page(page.id)
                became_redirect = target
            latest = store.latest_revision(page)
            if latest is not None and latest.revid == info.get("lastrevid"):
                store.update_sync_state(page, last_poll=polled_at, last_error=None)
                result = PollResult(page)
            else:
                result = fetch_newer(store, client, page, polled_at)
            result.renamed_from = renamed_from
            result.became_redirect = became_redirect
            results.append(result)
    return results


def backfill_page(
    store: Store, client: WikiClient, page: Page, since: str | None = None
) -> BackfillResult:
    """Fetch the history older than what is stored (from ``since``, or from the page's
    creation), oldest first, 50 revisions per request, then fill the gaps in the middle
    of the stored history, then catch up with newer revisions.

    Resumable: the cursor is committed with each batch, and a re-run continues there.
    """
    result = BackfillResult(page)
    requested_since = since
    state = store.sync_state(page)
    earliest = store.earliest_revision(page)
    if state.backfill_cursor is not None:
        result.resumed = True
        stop_revid = state.backfill_stop
        since = state.backfill_since
        cursor = store.revision(page, state.backfill_cursor)
        start = cursor.timestamp if cursor else since
    else:
        stop_revid = earliest.revid if earliest else None
        start = since
    stop = store.revision(page, stop_revid) if stop_revid is not None else None
    writer = store.writer(page)
    # With nothing stored there is no stop: fetch everything from ``start``.
    if stop is None or since is None or since < stop.timestamp:
        for batch in client.revisions(page.page_id, start=start):
            revisions = []
            reached = False
            for revision in batch:
                if stop is not None and (
                    revision.revid == stop.revid or revision.timestamp > stop.timestamp
                ):
                    reached = True
                    break
                revisions.append(revision)
            if revisions:
                added = writer.write(
                    revisions,
                    sync={
                        "backfill_cursor": revisions[-1].revid,
                        "backfill_stop": stop_revid,
                        "backfill_since": since,
                    },
                )
                result.added += added
                result.batches.append(added)
            if reached:
                break
    store.update_sync_state(page, backfill_cursor=None, backfill_stop=None, backfill_since=None)
    if since is None:
        # The whole history up to the first stored revision is there; now the holes.
        result.gaps_filled, result.unavailable = _fill_gaps(store, client, page, result)
        store.update_sync_state(page, history_complete=0 if result.unavailable else 1)
    if result.resumed and since != requested_since:
        # The interrupted run had another --since: it is finished; now do what was asked.
        again = backfill_page(store, client, page, requested_since)
        again.added += result.added
        again.batches[:0] = result.batches
        again.gaps_filled += result.gaps_filled
        again.resumed = True
        return again
    result.caught_up = fetch_newer(store, client, page)
    return result


def _fill_gaps(
    store: Store, client: WikiClient, page: Page, result: BackfillResult
) -> tuple[int, list[int]]:
    """Fetch the revisions missing in the middle of the stored history: those whose id
    a stored revision names as its parent, though they are not stored (two XML slices
    imported, revisions merged into the page's history...).

    A gap is first fetched as a time range, from the stored revision before it to the one
    after it (50 revisions per request, so a long gap costs few requests, not one per
    revision); a parent that the range did not bring is then asked for by revision id,
    50 per request. A parent the wiki says is missing or deleted, or that belongs to
    another page, is not asked for again. Each pass fetches a range not fetched before,
    stores a revision or gives one up, so this ends. Returns how many revisions were
    stored and the parent revids that could not be had.
    """
    writer = store.writer(page)
    added = 0
    fetched: list[tuple[str, str]] = []  # time ranges fetched whole ('' = page creation)
    unavailable: set[int] = set()
    while True:
        rows = list(store.revisions(page))  # oldest first
        stored = {row.revid for row in rows}
        gaps = [
            (before.timestamp if before else "", row)
            for before, row in zip([None, *rows], rows, strict=False)
            if row.parent_revid
            and row.parent_revid not in stored
            and row.parent_revid not in unavailable
        ]
        if not gaps:
            return added, sorted(unavailable)
        ranges = [
            (start, row.timestamp)
            for start, row in gaps
            if not any(lo <= start and row.timestamp <= hi for lo, hi in fetched)
        ]
        if ranges:
            for start, end in ranges:
                fetched.append((start, end))
                for batch in client.revisions(page.page_id, start=start or None, end=end):
                    count = writer.write(batch)
                    added += count
                    result.added += count
                    result.batches += [count] if count else []
            continue
        # Still missing though their time range was fetched: ask for them by id.
        wanted = sorted({row.parent_revid for _, row in gaps if row.parent_revid})
        for at in range(0, len(wanted), BATCH):
            chunk = wanted[at : at + BATCH]
            found, _missing = client.revisions_by_id(chunk)
            ours = [r for r in found.get(page.page_id, []) if r.revid in chunk]
            count = writer.write(ours)
            added += count
            result.added += count
            result.batches += [count] if count else []
            got = {r.revid for r in ours}
            for revid in chunk:
                if revid not in got:
                    log.warning(
                        "%s: revision %d, the parent of a stored revision of %r, is not "
                        "available from the wiki (deleted, or on another page)",
                        page.wiki,
                        revid,
                        page.title,
                    )
                    unavailable.add(revid)
