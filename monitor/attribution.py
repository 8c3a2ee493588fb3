"""One attribution model for the report and the digests: which revision put each fact
there, from the stored history (the lineages are :mod:`monitor.core.blame`'s).

Only the revisions that count are fed to it: a revision undone by an identity revert that
still stands is left out, so vandalism reverted since credits nobody and the revert that
restored a value does not take it over. The report feeds a whole history in its one pass
over it (:func:`monitor.report.history.load_history`); a digest asks for its window
(:func:`window_blame`), where a revert counts only if it was made before the window
closed (a later one belongs to a later digest). Reads the store, writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from storage import Page, RevisionRow, Store
from storage import changes as changelog

from .core.blame import Blame
from .core.extract import extract_facts
from .core.facts import Facts


def standing_reverts(reverted_by: dict[int, int]) -> dict[int, int]:
    """Only the reverts that still stand: a revision undone by a revert that was itself
    undone (Alice sets Y, Bob reverts, Alice restores Y) is not reverted."""
    standing: dict[int, bool] = {}

    def undone(revid: int, depth: int = 0) -> bool:
        if revid not in standing:
            by = reverted_by.get(revid)
            standing[revid] = by is not None and (depth > 50 or not undone(by, depth + 1))
        return standing[revid]

    return {revid: by for revid, by in reverted_by.items() if undone(revid)}


@dataclass(frozen=True)
class Credit:
    """A revision as attribution names it."""

    revid: int
    compared_with: int | None  # the visible revision before it: the other side of its diff
    timestamp: str
    user: str | None  # None: hidden
    comment: str | None


@dataclass
class WindowBlame:
    """The facts of a page when a window opened and when it closed, and who made what
    changed between them."""

    before: RevisionRow | None  # the revision the window starts from (None: a new page)
    after: RevisionRow | None  # the last visible revision saved before the window closed
    old: Facts
    new: Facts
    blame: Blame[Credit]


def window_blame(
    store: Store,
    page: Page,
    infobox: str | None,
    before: RevisionRow | None,
    end: tuple[str, int],
) -> WindowBlame:
    """Attribution of the revisions after ``before`` (the baseline; None: from the page's
    first revision) up to ``end`` = (timestamp, revid), in one pass over their texts."""
    old = _facts(store, page, before, infobox)
    seen: list[tuple[RevisionRow, int | None, Facts]] = []  # visible: (meta, compared with…)
    revids: set[int] = set()
    previous = before.revid if before else None
    for meta, text in store.texts(page, before.key if before else None):
        if meta.key > end:
            break
        revids.add(meta.revid)
        if text is not None:
            seen.append((meta, previous, extract_facts(text.decode("utf-8", "replace"), infobox)))
            previous = meta.revid
    # undone before the window closed, by a revert that had not been undone by then
    reverted = standing_reverts(
        {r: by for r, by in changelog.reverted_by(store, page).items() if by in revids}
    )
    blame: Blame[Credit] = Blame(old)
    for meta, compared_with, facts in seen:
        if meta.revid not in reverted:
            credit = Credit(meta.revid, compared_with, meta.timestamp, meta.user, meta.comment)
            blame.add(credit, facts)
    after = seen[-1][0] if seen else before
    return WindowBlame(before, after, old, seen[-1][2] if seen else old, blame)


def _facts(store: Store, page: Page, meta: RevisionRow | None, infobox: str | None) -> Facts:
    if meta is None:  # the page did not exist yet: everything it says is new
        return Facts(None, {})
    text = store.text(page, meta.revid) or b""
    return extract_facts(text.decode("utf-8", "replace"), infobox)
