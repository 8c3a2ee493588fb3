"""A page's history, revision by revision: change records and identity reverts (pure).

The one place that says what a stream of revisions (oldest first) changed. The store's
analysis (:mod:`monitor.analysis`) feeds it the stored texts, batch by batch, resuming
from where its change log stands; ``wikimon cube`` feeds it the revisions of a dump as
they stream by. Both get the same records because both call :meth:`HistoryAnalyzer.step`.

Memory is bounded: the analyzer keeps the facts of the last revision with text, and the
sha1s and facts of the last :data:`REVERT_RADIUS` revisions (a revert's facts are those of
the text it restores, not extracted again).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

from .diff import diff_facts
from .extract import extract_facts
from .facts import Change, Facts
from .scan import may_mention_infobox

REVERT_RADIUS = 15  # as MediaWiki and mwreverts: an identity revert within 15 revisions


@dataclass(frozen=True)
class IdentityRevert:
    """The revision restored ``reverted_to``'s text exactly, undoing ``reverted``."""

    reverted_to: int
    reverted: tuple[int, ...]


@dataclass(frozen=True)
class Step:
    """What one revision did. ``changes`` compare its facts with those of
    ``compared_with``, the last earlier revision with text (a revision-deleted text has
    ``facts`` None and no changes: the next visible one is compared with the last)."""

    revid: int
    compared_with: int | None
    changes: tuple[Change, ...]
    infobox: str | None  # the template the records are about (the old one if it vanished)
    revert: IdentityRevert | None
    facts: Facts | None


class HistoryAnalyzer:
    """Feed it a page's revisions oldest first with :meth:`step`.

    To continue an analysis, give it the facts of the last revision with text
    (``previous``, ``previous_revid``) and the (revid, sha1) of the revisions before the
    next one, oldest first (``recent``; only the last :data:`REVERT_RADIUS` count).
    """

    def __init__(
        self,
        infobox: str | None = None,
        *,
        previous: Facts | None = None,
        previous_revid: int | None = None,
        recent: Iterable[tuple[int, str | None]] = (),
    ):
        self.infobox = infobox  # the configured template; None: the first {{Infobox …}}
        self.previous = previous
        self.previous_revid = previous_revid
        self.window: deque[tuple[int, str | None]] = deque(recent, REVERT_RADIUS)
        # identical texts have identical facts: a revert's are not extracted again
        self.known: dict[str, Facts] = {}

    def step(
        self, revid: int, sha1: str | None, text: str | bytes | None, *, sha1_matches: bool = True
    ) -> Step:
        """The next revision: its id, the hex sha1 of its text (None: unknown) and its
        text, or its UTF-8 bytes (decoded only when its facts are not known already; None:
        revision-deleted). ``sha1_matches``: False when the text is known not to match the
        sha1 (a damaged export): its facts are then not taken for those of another revision
        with that sha1."""
        revert = identity_revert(self.window, sha1)
        self.window.append((revid, sha1))
        compared_with = self.previous_revid
        if text is None:
            return Step(revid, compared_with, (), None, revert, None)
        key = sha1 if sha1_matches else None
        facts = self.known.pop(key, None) if key else None
        if facts is None:
            if isinstance(text, bytes) and self.infobox is None and not may_mention_infobox(text):
                facts = Facts(None, {})  # no infobox: known from the bytes, nothing decoded
            else:
                if isinstance(text, bytes):
                    text = text.decode("utf-8", "replace")
                facts = extract_facts(text, self.infobox)
        if key:
            self.known[key] = facts  # the newest last
            if len(self.known) > REVERT_RADIUS:
                del self.known[next(iter(self.known))]
        changes: tuple[Change, ...] = ()
        infobox = facts.infobox
        if self.previous is not None:
            changes = tuple(diff_facts(self.previous, facts))
            infobox = infobox or self.previous.infobox
        self.previous, self.previous_revid = facts, revid
        return Step(revid, compared_with, changes, infobox, revert, facts)


def identity_revert(
    window: Iterable[tuple[int, str | None]], sha1: str | None
) -> IdentityRevert | None:
    """The revert when ``sha1`` restores the text of one of ``window``'s revisions
    ((revid, sha1), oldest first). The most recent match counts; matching the previous
    revision is a null edit, not a revert."""
    if sha1 is None:
        return None
    entries = list(window)
    for index in range(len(entries) - 1, -1, -1):
        revid, earlier = entries[index]
        if earlier == sha1:
            undone = tuple(r for r, _ in entries[index + 1 :])
            return IdentityRevert(revid, undone) if undone else None
    return None
