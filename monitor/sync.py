"""Keeping the store in step with a live wiki: add, poll and backfill.

Every batch of revisions is committed together with the sync state that says how far we
got, so an interrupted run (crash, kill -9, network loss) resumes where it stopped with
no duplicates and no gaps.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from storage import Page, Revision, Store, utcnow

from .api import BATCH, WikiClient
from .errors import InvalidTitle, PageError

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


def revision_from_api(data: dict[str, Any]) -> Revision:
    """A revision as the API's formatversion=2 gives it."""
    slot = (data.get("slots") or {}).get("main") or {}
    texthidden = bool(slot.get("texthidden") or data.get("texthidden"))
    text = None if texthidden else slot.get("content")
    if text is None:
        texthidden = True  # no content for another reason: nothing to store
    return Revision(
        revid=data["revid"],
        parent_revid=data.get("parentid") or None,
        timestamp=data["timestamp"],
        user=data.get("user"),
        user_id=data.get("userid"),
        anon=bool(data.get("anon")),
        comment=data.get("comment"),
        minor=bool(data.get("minor")),
        size=data.get("size"),
        sha1=None if data.get("sha1hidden") else data.get("sha1"),
        text=text,
        texthidden=texthidden,
        userhidden=bool(data.get("userhidden")),
        commenthidden=bool(data.get("commenthidden")),
        suppressed=bool(data.get("suppressed")),
    )


def resolve_title(client: WikiClient, wiki: str, title: str) -> dict[str, Any]:
    """The live page for ``title``: its page id, canonical title and namespace.

    Missing pages, invalid titles and redirects are errors that say what to do.
    """
    query = client.page_info(titles=[title])
    info = query["pages"][0]
    if info.get("invalid"):
        raise InvalidTitle(
            f"{title!r} is not a valid title on {wiki}: {info.get('invalidreason', 'invalid')}"
        )
    if info.get("missing"):
        raise PageError(
            f"{wiki} has no page {info.get('title', title)!r} ({client.api_url}); check the "
            "spelling: titles are case-sensitive after the first letter"
        )
    if info.get("redirect"):
        target = _redirect_target(client, info["title"])
        raise PageError(
            f"{info['title']!r} on {wiki} is a redirect to {target!r}; "
            f"track the article itself: wikimon add {target!r}"
        )
    return info


def _redirect_target(client: WikiClient, title: str) -> str:
    result = client.call(action="query", titles=title, redirects="1")
    redirects = result.get("query", {}).get("redirects") or []
    return redirects[-1]["to"] if redirects else "?"


def add_page(store: Store, client: WikiClient, wiki: str, title: str) -> tuple[Page, int]:
    """Start tracking ``title``; stores its current revision as the baseline (unless
    revisions are already stored). Returns the page and how many revisions were added."""
    info = resolve_title(client, wiki, title)
    store.ensure_wiki(wiki, api_url=client.api_url)
    page = store.upsert_page(wiki, info["pageid"], info["title"], info.get("ns", 0), tracked=True)
    if store.revision_count(page):
        return page, 0
    return page, _fetch_newest(store, client, page)


def _fetch_newest(store: Store, client: WikiClient, page: Page) -> int:
    batch = next(client.revisions(page.page_id, newest=True))
    revisions = [revision_from_api(r) for r in batch]
    return store.writer(page).write(revisions, sync={"last_poll": utcnow(), "last_error": None})


def fetch_newer(store: Store, client: WikiClient, page: Page) -> PollResult:
    """Store every revision newer than the newest stored one, oldest first."""
    result = PollResult(page)
    latest = store.latest_revision(page)
    if latest is None:
        result.added = _fetch_newest(store, client, page)
        return result
    writer = store.writer(page)
    # rvstart is inclusive, and revisions saved in the same second as the newest stored one
    # may be older than it: only those after it in (timestamp, revid) order are new.
    newest = (latest["timestamp"], latest["revid"])
    for batch in client.revisions(page.page_id, start=latest["timestamp"]):
        revisions = [revision_from_api(r) for r in batch if (r["timestamp"], r["revid"]) > newest]
        added = writer.write(revisions, sync={"last_poll": utcnow(), "last_error": None})
        if added:
            result.first_revid = result.first_revid or revisions[0].revid
            result.last_revid = revisions[-1].revid
        result.added += added
    return result


def poll_pages(
    store: Store, client: WikiClient, wiki: str, pages: Iterable[Page]
) -> list[PollResult]:
    """Check which of ``pages`` changed with one prop=info request per 50 pages, then fetch
    new revisions of the changed ones only. Moves are followed by page id."""
    pages = list(pages)
    results = []
    for start in range(0, len(pages), BATCH):
        chunk = pages[start : start + BATCH]
        query = client.page_info(pageids=[p.page_id for p in chunk])
        infos = {info.get("pageid"): info for info in query["pages"]}
        for page in chunk:
            info = infos.get(page.page_id)
            if info is None or info.get("missing"):
                problem = (
                    f"{wiki}: page {page.title!r} (page id {page.page_id}) no longer exists: "
                    "deleted? Its stored history is kept"
                )
                store.update_sync_state(page, last_poll=utcnow(), last_error=problem)
                results.append(PollResult(page, problem=problem))
                continue
            renamed_from = became_redirect = None
            if info["title"] != page.title:
                renamed_from = page.title
                page = store.upsert_page(wiki, page.page_id, info["title"], info.get("ns", 0))
            if bool(info.get("redirect")) != bool(page.redirect_to):
                target = _redirect_target(client, info["title"]) if info.get("redirect") else None
                store.set_redirect(page, target)
                page = store.page(page.id)
                became_redirect = target
            latest = store.latest_revision(page)
            if latest is not None and latest["revid"] == info.get("lastrevid"):
                store.update_sync_state(page, last_poll=utcnow(), last_error=None)
                result = PollResult(page)
            else:
                result = fetch_newer(store, client, page)
            result.renamed_from = renamed_from
            result.became_redirect = became_redirect
            results.append(result)
    return results


def backfill_page(
    store: Store, client: WikiClient, page: Page, since: str | None = None
) -> BackfillResult:
    """Fetch the history older than what is stored (from ``since``, or from the page's
    creation), oldest first, 50 revisions per request, then catch up with newer ones.

    Resumable: the cursor is committed with each batch, and a re-run continues there.
    """
    result = BackfillResult(page)
    requested_since = since
    state = store.sync_state(page)
    earliest = store.earliest_revision(page)
    if state["backfill_cursor"] is not None:
        result.resumed = True
        stop_revid = state["backfill_stop"]
        since = state["backfill_since"]
        cursor = store.revision(page, state["backfill_cursor"])
        start = cursor["timestamp"] if cursor else since
    else:
        stop_revid = earliest["revid"] if earliest else None
        start = since
    stop = store.revision(page, stop_revid) if stop_revid is not None else None
    writer = store.writer(page)
    # With nothing stored there is no stop: fetch everything from ``start``.
    if stop is None or since is None or since < stop["timestamp"]:
        for batch in client.revisions(page.page_id, start=start):
            revisions = []
            reached = False
            for data in batch:
                if stop is not None and (
                    data["revid"] == stop["revid"] or data["timestamp"] > stop["timestamp"]
                ):
                    reached = True
                    break
                revisions.append(revision_from_api(data))
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
    store.update_sync_state(
        page,
        backfill_cursor=None,
        backfill_stop=None,
        backfill_since=None,
        **({"history_complete": 1} if since is None else {}),
    )
    if result.resumed and since != requested_since:
        # The interrupted run had another --since: it is finished; now do what was asked.
        again = backfill_page(store, client, page, requested_since)
        again.added += result.added
        again.batches[:0] = result.batches
        again.resumed = True
        return again
    result.caught_up = fetch_newer(store, client, page)
    return result
