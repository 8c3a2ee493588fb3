"""Running the semantic diff over a page's stored history and keeping the change log.

Analysis is incremental: it continues after the last analysed revision, and starts over
only when older revisions were stored since (a backfill) or the extraction changed (a new
wikimon version, another configured infobox). Work is proportional to what changed:
texts are decoded sequentially, and the extraction caches each field's raw text.

Each batch is one IMMEDIATE transaction that first reads where the change log stands, so
two processes analysing one page (the daemon and a command) never record a change twice,
and a crash leaves the log and its state consistent.
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass
from pathlib import Path

from storage import AnalysisState, Page, Store
from storage import changes as changelog

from . import __version__, core
from .core.facts import Facts


def _core_digest() -> str:
    """A digest of the pure core's sources (every ``monitor/core/*.py``): when any of them
    changes (an upgrade), stored change logs are recomputed by the next analysis, without
    anyone remembering to bump a number or to list a new module."""
    digest = hashlib.sha1()
    for path in sorted(Path(core.__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


ANALYSIS_VERSION = f"{__version__}+{_core_digest()}"
BATCH = 200  # revisions per transaction


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
    restart = full
    while True:
        with store.transaction():
            state = changelog.analysis_state(store, page)
            if state is not None and (restart or not _still_valid(store, page, state, infobox)):
                changelog.reset(store, page)
                state = None
            if state is None:
                result.full = True
            restart = False
            done = _analyze_batch(store, page, infobox, state, result)
        if done:
            return result


def _analyze_batch(
    store: Store,
    page: Page,
    infobox: str | None,
    state: AnalysisState | None,
    result: AnalysisResult,
) -> bool:
    """Analyse up to BATCH revisions after ``state``; True when none were left."""
    # the core (and mwparserfromhell) only when there is something to analyse: `status`
    # checks which change logs lag without it
    from .core.extract import extract_facts
    from .core.history import REVERT_RADIUS, HistoryAnalyzer
    from .core.rows import fact_rows

    after = state.last_key if state else None
    batch = list(itertools.islice(store.texts(page, after), BATCH))
    if not batch:
        return True
    analyzed = state.analyzed if state else 0
    previous_revid = state.last_visible_revid if state else None
    previous: Facts | None = None
    if previous_revid is not None:
        text = store.text(page, previous_revid)
        previous = extract_facts(text.decode("utf-8", "replace"), infobox) if text else None
    analyzer = HistoryAnalyzer(
        infobox,
        previous=previous,
        previous_revid=previous_revid,
        recent=store.recent_sha1s(page, after, REVERT_RADIUS) if after else (),
    )
    for meta, text in batch:
        step = analyzer.step(meta.revid, meta.sha1, text, sha1_matches=not meta.sha1_mismatch)
        if step.revert is not None:
            changelog.record_revert(
                store, page, meta.revid, step.revert.reverted_to, list(step.revert.reverted)
            )
            result.reverts += 1
        if step.changes:
            changelog.record_changes(
                store, page, meta, step.compared_with, step.changes, step.infobox
            )
            result.changes += len(step.changes)
        analyzed += 1
        result.revisions += 1
    current, current_revid = analyzer.previous, analyzer.previous_revid
    if current is not None and current_revid is not None and current_revid != previous_revid:
        changelog.save_current_facts(
            store, page, current_revid, current.infobox, fact_rows(current)
        )
    last = batch[-1][0]
    changelog.save_state(
        store,
        page,
        AnalysisState(
            version=ANALYSIS_VERSION,
            infobox=infobox,
            analyzed=analyzed,
            last_revid=last.revid,
            last_timestamp=last.timestamp,
            last_visible_revid=analyzer.previous_revid,
        ),
    )
    return len(batch) < BATCH


def _still_valid(store: Store, page: Page, state: AnalysisState, infobox: str | None) -> bool:
    """The stored analysis covers exactly the stored revisions up to its last one."""
    if state.version != ANALYSIS_VERSION or state.infobox != infobox:
        return False
    at = state.last_key
    covered = store.revisions_up_to(page, at) if at is not None else 0
    return covered == state.analyzed


def stale_pages(store: Store) -> list[Page]:
    """Pages whose change log lags behind their stored revisions (e.g. after a crash)."""
    return [store.page(local_id) for local_id in changelog.stale_pages(store, ANALYSIS_VERSION)]
