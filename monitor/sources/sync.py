"""Keeping the store in step with a live wiki: add, poll and backfill.

Every batch of revisions is committed together with the sync state that says how far we
got, so an interrupted run (crash, kill -9, network loss) resumes where it stopped with
no duplicates and no gaps.

What the wiki answers has been checked by :mod:`monitor.api`; this module only decides
what to ask for and what to store.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from storage import Page, Store

from ..errors import InvalidTitle, PageError, WikiError, WikimonError
from .api import BATCH, WikiClient, revision_from_api

__all__ = [
    "AddResult",
    "BackfillResult",
    "PollResult",
    "Refusal",
    "add_configured",
    "add_page",
    "add_pages",
    "backfill_page",
    "category_articles",
    "embedding_articles",
    "fetch_newer",
    "poll_pages",
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


@dataclass
class Refusal:
    """A title that could not be added, and why: ``kind`` is "not found", "redirect" or
    "invalid" (invalid titles, special pages, links to other wikis)."""

    title: str
    kind: str
    error: WikimonError


@dataclass
class AddResult:
    added: list[tuple[str, Page]] = field(default_factory=list)  # (title asked, page) new
    stored: list[tuple[str, Page]] = field(default_factory=list)  # had revisions: tracked only
    refused: list[Refusal] = field(default_factory=list)
    untried: list[str] = field(default_factory=list)  # not asked about: the wiki failed
    error: WikiError | None = None  # why ``untried``


def _describe(
    client: WikiClient, wiki: str, title: str, query: dict[str, Any]
) -> dict[str, Any] | Refusal:
    """The live page ``title`` names in a prop=info answer asked with redirects resolved:
    its ``pageid``, canonical ``title`` and ``ns``; or why it cannot be tracked."""
    hops = {hop["from"]: hop["to"] for hop in (*query["normalized"], *query["converted"])}
    name = hops.get(title, title)
    link = next((i for i in query["interwiki"] if i["title"] in (title, name)), None)
    if link is not None:
        return Refusal(title, "invalid", InvalidTitle(
            f"{title!r} is a link to another wiki (interwiki prefix {link.get('iw', '?')!r}), "
            f"not a page on {wiki} ({client.api_url}); to track it, add that wiki to the "
            "config's wikis: and use --wiki"
        ))  # fmt: skip
    redirects = {hop["from"]: hop["to"] for hop in query["redirects"]}
    target, seen = name, set()
    while target in redirects and target not in seen:  # the last hop, as MediaWiki follows
        seen.add(target)
        target = redirects[target]
    if target != name:
        return Refusal(title, "redirect", PageError(
            f"{name!r} on {wiki} is a redirect to {target!r}; "
            f"track the article itself: wikimon add {target!r}"
        ))  # fmt: skip
    info: dict[str, Any] | None = next((p for p in query["pages"] if p.get("title") == name), None)
    if info is None:
        raise WikiError(
            f"{client.api_url} answered a page query without the page {title!r}; "
            "check the wiki's api: URL in the config"
        )
    if info.get("invalid"):
        reason = info.get("invalidreason", "invalid")
        return Refusal(title, "invalid", InvalidTitle(
            f"{title!r} is not a valid title on {wiki}: {reason}"
        ))  # fmt: skip
    if info.get("special"):
        return Refusal(title, "invalid", InvalidTitle(
            f"{info['title']!r} is a special page on {wiki} ({client.api_url}): the wiki "
            "generates it and it has no revisions to track; add an article instead"
        ))  # fmt: skip
    if info.get("missing"):
        return Refusal(title, "not found", PageError(
            f"{wiki} has no page {name!r} ({client.api_url}); check the spelling: titles "
            "are case-sensitive after the first letter"
        ))  # fmt: skip
    return info


def add_pages(store: Store, client: WikiClient, wiki: str, titles: Iterable[str]) -> AddResult:
    """Start tracking ``titles``, 50 at a time: one prop=info request (redirects resolved;
    the wiki's title rules asked along, the first time) and one prop=revisions request for
    the current revisions of the pages not stored yet, stored as their baselines. A page
    with stored revisions is tracked (again) and nothing is fetched for it.

    Missing pages, redirects and invalid titles are refused, one :class:`Refusal` each;
    the others are added. Nothing is stored for a page unless the wiki answered both
    requests. Once the wiki itself fails, the remaining titles are not tried.
    """
    result = AddResult()
    titles = list(dict.fromkeys(titles))
    known = store.wiki(wiki)
    need_rules = known is None or known.namespaces is None or known.api_url != client.api_url
    stored_pages = {p.page_id: p for p in store.pages(wiki=wiki)}
    for at in range(0, len(titles), BATCH):
        chunk = titles[at : at + BATCH]
        if result.error is not None:
            result.untried += chunk
            continue
        try:
            query = client.page_info(titles=chunk, redirects=True, siteinfo=need_rules)
            found: dict[int, tuple[str, dict[str, Any]]] = {}
            for title in chunk:
                described = _describe(client, wiki, title, query)
                if isinstance(described, Refusal):
                    result.refused.append(described)
                else:
                    found.setdefault(described["pageid"], (title, described))
            if need_rules:
                case_sensitive, namespaces = query["title_rules"]
                store.ensure_wiki(
                    wiki,
                    api_url=client.api_url,
                    case_sensitive=case_sensitive,
                    namespaces=namespaces,
                )
                need_rules = False
            new = []
            for page_id, (title, info) in found.items():
                page = stored_pages.get(page_id)
                if page is not None and store.revision_count(page):
                    page = store.upsert_page(wiki, page_id, info["title"], info["ns"], tracked=True)
                    result.stored.append((title, page))
                else:
                    new.append(page_id)
            if not new:
                continue
            current, gone = client.current_revisions(new)
        except WikiError as error:
            result.error = error
            done = {t for t, _ in result.added + result.stored} | {r.title for r in result.refused}
            result.untried += [t for t in chunk if t not in done]
            continue
        for page_id in new:
            title, info = found[page_id]
            if page_id in gone:
                result.refused.append(Refusal(title, "not found", PageError(
                    f"{wiki}: {info['title']!r} was deleted from the wiki while it was being "
                    "added"
                )))  # fmt: skip
                continue
            page = store.upsert_page(wiki, page_id, info["title"], info["ns"], tracked=True)
            store.writer(page).write(
                [current[page_id]], sync={"last_poll": store.now(), "last_error": None}
            )
            result.added.append((title, page))
    return result


def category_articles(
    client: WikiClient, category: str, depth: int = 0, limit: int | None = None
) -> list[str]:
    """The articles (namespace 0) in ``category`` and, down to ``depth`` levels, in its
    subcategories (each listed once, cycles included), at most ``limit`` of them: 500
    members per list=categorymembers request."""
    titles: dict[str, None] = {}
    seen = {category}
    queue = deque([(category, 0)])
    while queue:
        name, level = queue.popleft()
        for member in client.category_members(name, "0|14" if level < depth else "0"):
            if member["ns"] == 14:
                if member["title"] not in seen:
                    seen.add(member["title"])
                    queue.append((member["title"], level + 1))
                continue
            titles[member["title"]] = None
            if limit is not None and len(titles) >= limit:
                return list(titles)
    return list(titles)


def embedding_articles(client: WikiClient, template: str, limit: int | None = None) -> list[str]:
    """The articles (namespace 0) that transclude ``template``, at most ``limit`` of them:
    500 per list=embeddedin request."""
    titles: dict[str, None] = {}
    for member in client.embedded_in(template, "0"):
        titles[member["title"]] = None
        if limit is not None and len(titles) >= limit:
            break
    return list(titles)


def add_page(store: Store, client: WikiClient, wiki: str, title: str) -> tuple[Page, int]:
    """Start tracking ``title`` as :func:`add_pages` does. Returns the page and how many
    revisions were added; raises the error that kept it from being added."""
    result = add_pages(store, client, wiki, [title])
    if result.error is not None:
        raise result.error
    if result.refused:
        raise result.refused[0].error
    if result.added:
        return result.added[0][1], 1
    return result.stored[0][1], 0


def add_configured(
    store: Store, client: WikiClient, wiki: str, titles: Iterable[str]
) -> list[tuple[str, Page | str]]:
    """Add, as :func:`add_pages` does, each of ``titles`` (the config's articles on
    ``wiki``) that no page stored for ``wiki`` answers to, by current or former title.
    A page deleted on the wiki counts as stored: it is not tried again.

    Returns ``(title, page)`` for each article added and ``(title, message)`` for each
    that could not be, the message one line naming the title, in the order of ``titles``.
    Once the wiki itself fails (unreachable, garbage), the remaining titles are not tried
    and get the same message.
    """
    wanted = [t for t in dict.fromkeys(titles) if not store.find_pages(t, wiki)]
    if not wanted:
        return []
    result = add_pages(store, client, wiki, wanted)
    outcome: dict[str, Page | str] = {}
    for title, page in result.added + result.stored:
        outcome[title] = page
    for refusal in result.refused:
        outcome[refusal.title] = str(refusal.error)
    for title in result.untried:
        outcome[title] = str(result.error)
    return [
        (title, o if isinstance(o, Page) else f"{wiki}: cannot add {title!r} (listed in the "
         f"config): {o}")
        for title in wanted
        if (o := outcome.get(title)) is not None
    ]  # fmt: skip


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
