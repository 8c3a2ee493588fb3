"""The units of work shared by the commands and the daemon: poll a wiki, make a digest,
deliver what is pending. Each one commits what it did before it returns."""

from __future__ import annotations

import fcntl
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from storage import DigestRow, Page, format_time, parse_time
from storage import alerts as alert_log
from storage import digests as digest_log

from ..analysis import AnalysisResult
from ..config import DigestConfig
from ..context import Context
from ..errors import ConfigError, WikimonError
from ..sources import recentchanges
from ..sources.sync import PollResult, add_configured, poll_pages
from ..wording import plural
from .digest import Digest, build_digest, first_start, scheduled_window
from .mail import DeliveryError, SmtpResult, compose, send_smtp, sender, write_outbox

log = logging.getLogger("wikimon")

# Revisions are dated by the wiki's clock and read from replicas that may lag (maxlag=5):
# a window closes this long before the last successful poll started.
HORIZON_MARGIN = timedelta(seconds=10)


# -- polling -----------------------------------------------------------------------------------


@dataclass
class WikiPoll:
    wiki: str
    checked: int = 0
    results: list[PollResult] = field(default_factory=list)
    added: list[Page] = field(default_factory=list)  # configured articles added now
    problems: list[str] = field(default_factory=list)  # one line each
    error: WikimonError | None = None  # the wiki failed: nothing was polled
    analysis: list[AnalysisResult] = field(default_factory=list)

    @property
    def new_revisions(self) -> int:
        return sum(r.added for r in self.results)

    @property
    def changes(self) -> int:
        return sum(a.changes for a in self.analysis)

    @property
    def failed(self) -> bool:
        """Nothing could be done: the wiki failed, or every article to add failed."""
        return self.error is not None or bool(self.problems and not self.checked and not self.added)

    def article_lines(self) -> Iterator[str]:
        """One line per polled article (what `poll -v` prints and the daemon logs at
        debug level): "wiki: 'Title': 2 new revisions (166 … 167), 3 changes in the facts"."""
        changes = {a.page.id: a.changes for a in self.analysis}
        for result in self.results:
            if result.problem:
                continue  # reported as a problem
            name = f"{self.wiki}: {result.page.title!r}"
            if not result.added:
                yield f"{name}: no new revisions"
                continue
            revids = (
                f"{result.first_revid} … {result.last_revid}"
                if result.added > 1
                else f"{result.last_revid}"
            )
            found = changes.get(result.page.id, 0)
            yield (
                f"{name}: {plural(result.added, 'new revision')} ({revids}), "
                f"{plural(found, 'change')} in the facts"
            )

    def summary(self) -> str:
        if self.failed:
            return f"poll {self.wiki}: failed: {self.error or self.problems[0]}"
        added = f"{plural(len(self.added), 'article')} added, " if self.added else ""
        return (
            f"poll {self.wiki}: {added}{plural(self.checked, 'article')} checked, "
            f"{plural(self.new_revisions, 'new revision')}, {plural(self.changes, 'change')}"
            + (f", {plural(len(self.problems), 'problem')}" if self.problems else "")
        )


def add_configured_articles(context: Context, wiki: str) -> tuple[list[Page], list[str]]:
    """Articles listed in the config for ``wiki`` and not stored yet are added."""
    wanted = [a.title for a in context.config.articles if a.wiki == wiki]
    added: list[Page] = []
    problems: list[str] = []
    if wanted:
        for _, outcome in add_configured(context.store(), context.client(wiki), wiki, wanted):
            if isinstance(outcome, str):
                problems.append(outcome)
            else:
                added.append(outcome)
    return added, problems


def poll_wiki(
    context: Context,
    wiki: str,
    pages: list[Page] | None = None,
    *,
    due_at: datetime | None = None,
    slack: float = 0.0,
    via: str = "poll",
) -> WikiPoll:
    """Check ``pages`` (default: every tracked article on ``wiki``, after adding those the
    config lists; with ``due_at``, only those whose poll interval has elapsed) with one
    batched request, store their new revisions and analyse them. With ``recentchanges:
    true`` for the wiki, one list=recentchanges request says which of them changed.
    Revisions found are marked as seen live (``via`` poll or stream) for the alerts."""
    store = context.store()
    outcome = WikiPoll(wiki)
    wiki_config = context.config.wikis.get(wiki)
    recent = pages is None and wiki_config is not None and wiki_config.recentchanges
    try:
        if pages is None:
            outcome.added, outcome.problems = add_configured_articles(context, wiki)
            pages = tracked = store.pages(tracked_only=True, wiki=wiki)
            since = recentchanges.read_from(store, wiki, store.now()) if recent else None
            until = None
            if since is not None:  # one request says which changed: check only those
                pages, until = _recently_changed(context, wiki, tracked, since)
            elif due_at is not None and not recent:
                pages = [p for p in pages if _due(context, p, due_at, slack)]
        outcome.checked = len(pages)
        if pages:
            outcome.results = poll_pages(store, context.client(wiki), wiki, pages)
        if recent:
            outcome.checked = len(tracked)
            _recent_changes_read(context, wiki, tracked, until)
    except ConfigError:
        raise
    except WikimonError as error:
        for page in pages or []:
            store.update_sync_state(page, last_error=str(error))
        outcome.error = error
    outcome.problems += [r.problem for r in outcome.results if r.problem]
    if context.config.alerts:
        for rule in context.config.alerts:  # a rule alerts on what is seen from its start
            alert_log.rule_since(store, rule.name)
        for result in outcome.results:
            if result.first_revid is not None and result.last_revid is not None:
                alert_log.mark_live(store, result.page, result.first_revid, result.last_revid, via)
    outcome.analysis = context.analyze_stale()
    return outcome


def _recently_changed(
    context: Context, wiki: str, tracked: list[Page], since: str
) -> tuple[list[Page], str | None]:
    """``recentchanges: true``: the tracked pages to check (those the wiki's recent changes
    since ``since`` name, and those not polled since: newly tracked) and the wiki's time
    of the answer."""
    store = context.store()
    changed, until = recentchanges.changed_pages(store, context.client(wiki), tracked, since)
    ids = {page.id for page in changed}
    changed += [p for p in tracked
                if p.id not in ids and (store.sync_state(p).last_poll or "") < since]  # fmt: skip
    return changed, until


def _recent_changes_read(
    context: Context, wiki: str, tracked: list[Page], until: str | None
) -> None:
    """The recent changes were read up to ``until`` (None: every page was checked, the
    first time): every tracked page of the wiki is known up to then (the digests'
    horizon), and the next read starts there."""
    store = context.store()
    if until is None:
        polls = [store.sync_state(p).last_poll for p in tracked]
        until = min([p for p in polls if p] or [store.now()])
    store.mark_polled([p for p in tracked if (store.sync_state(p).last_poll or "") < until], until)
    alert_log.save_recentchanges_until(store, wiki, until)


def _due(context: Context, page: Page, now: datetime, slack: float) -> bool:
    """Has the article's poll interval elapsed (``slack`` seconds early is on time)?"""
    last = context.store().sync_state(page).last_poll
    interval = context.config.poll_interval_for(page.wiki, page.title)
    return last is None or (now - parse_time(last)).total_seconds() + slack >= interval


# -- digests -----------------------------------------------------------------------------------


@dataclass
class DigestRun:
    config: DigestConfig
    digest: Digest | None = None  # None: no new time to cover yet
    message: bytes | None = None  # None: nothing to say (and send_empty is off)
    text: str | None = None  # the text part
    record_id: int | None = None  # None: a dry run
    recipients: list[str] = field(default_factory=list)
    covered_until: str | None = None  # where the last window ended (no new window)
    horizon: str | None = None  # how far the polls let a window reach


def digest_pages(context: Context, digest: DigestConfig) -> list[Page]:
    """The stored articles a digest covers: those it lists (by current or former title),
    or every stored article."""
    store = context.store()
    if digest.articles is None:
        return store.pages()
    pages: dict[int, Page] = {}
    for title in digest.articles:
        for page in store.find_pages(title):
            pages.setdefault(page.id, page)
    return list(pages.values())


def poll_horizon(context: Context, pages: list[Page]) -> str | None:
    """The end a scheduled window may reach: every revision saved before it is stored.
    A tracked article sets it at its last successful poll (less HORIZON_MARGIN), or, never
    polled, at its newest stored revision; articles not tracked (imported ones) and those
    of wikis no longer configured, which no poll will update, set no limit."""
    store = context.store()
    limits = []
    for page in pages:
        if not page.tracked or page.wiki not in context.config.wikis:
            continue
        last_poll = store.sync_state(page).last_poll
        if last_poll:
            limits.append(format_time(parse_time(last_poll) - HORIZON_MARGIN))
        elif (latest := store.latest_revision(page)) is not None and store.plausible(
            latest.timestamp
        ):
            limits.append(format_time(parse_time(latest.timestamp) + timedelta(seconds=1)))
    return min(limits) if limits else None


def data_start(context: Context, digest: DigestConfig, pages: list[Page]) -> str | None:
    """Where the data a digest can see starts, for its first window: the earliest moment
    one of its tracked articles is news from — when it began to be tracked (added by `add`
    or by a poll; less HORIZON_MARGIN, as revisions are dated by the wiki's clock), or, for
    an article the other digests report on, the end of their newest window (the oldest
    poll they have not covered). None: no tracked article (an imported archive is history,
    not news)."""
    store = context.store()
    covered: dict[int, str] = {}  # page id -> the newest window end of another digest
    for other in context.config.digests:
        end = digest_log.last_window_end(store, other.name) if other.name != digest.name else None
        if end is not None:
            for page in digest_pages(context, other):
                covered[page.id] = max(end, covered.get(page.id, end))
    tracked = digest_log.tracking_starts(store, [p.id for p in pages if p.tracked])
    starts = [
        max(format_time(parse_time(tracked[p.id]) - HORIZON_MARGIN), covered.get(p.id, ""))
        for p in pages
        if p.id in tracked
    ]
    return min(starts, default=None)


def make_digest(
    context: Context,
    digest: DigestConfig,
    *,
    now: datetime | None = None,
    since: str | None = None,
    until: str | None = None,
    to: list[str] | None = None,
    dry_run: bool = False,
    subject_prefix: str = "",
) -> DigestRun:
    """Build the digest for its next window (or for [since, until) to ``to``: an ad hoc
    digest outside the schedule) and, unless ``dry_run``, record it for delivery.

    The window is chosen and the digest recorded in one transaction: two processes cannot
    record the same scheduled window twice."""
    store = context.store()
    now = now or context.clock()
    run = DigestRun(digest)
    pages = digest_pages(context, digest)
    for page in pages:
        context.analyze(page)
    scheduled = since is None and until is None and to is None
    run.recipients = list(to) if to is not None else list(digest.to)
    with store.transaction():
        last_end = digest_log.last_window_end(store, digest.name)
        first = None if last_end else data_start(context, digest, pages)
        if scheduled:
            run.horizon = poll_horizon(context, pages)
            window = scheduled_window(digest, last_end, now, run.horizon, first)
            if window is None:  # (a first window always has one period to cover)
                run.covered_until = last_end
                return run
        else:
            end = until or format_time(now)
            start = since or last_end or first_start(digest, end, first)
            if start >= end:
                raise WikimonError(f"the period is empty: {start} is not before {end}")
            window = (start, end)
        run.digest = build_digest(store, context.config, digest, pages, *window)
        message = None
        if not run.digest.empty or digest.send_empty:
            message = compose(
                run.digest, context.config, run.recipients, subject_prefix=subject_prefix
            )
            run.message = bytes(message)
            body = message.get_body(("plain",))
            assert body is not None  # compose() always gives the message its text part
            run.text = body.get_content()
        if dry_run:
            return run
        smtp = context.config.smtp is not None and run.recipients
        run.record_id = digest_log.record(
            store,
            name=digest.name if scheduled else "",
            scheduled=scheduled,
            window_start=window[0],
            window_end=window[1],
            recipients=run.recipients,
            delivery="none" if run.message is None else "smtp" if smtp else "outbox",
            subject=message["Subject"] if message else None,
            message_id=message["Message-ID"] if message else None,
            message=run.message,
        )
    return run


@contextmanager
def delivery_lock(context: Context) -> Iterator[None]:
    """One deliverer at a time per database (the daemon and `wikimon digest` may both
    try): with the pending list re-read under the lock, a digest goes out once."""
    with open(f"{context.db_path}.deliver.lock", "a") as file:
        fcntl.flock(file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(file, fcntl.LOCK_UN)


@dataclass
class Delivery:
    record_id: int
    name: str  # the digest's name; "" for an ad hoc digest
    window: str
    where: str | None = None  # an outbox file or "SMTP host:port to …"
    error: str | None = None  # not (or not entirely) delivered: why
    gave_up: bool = False  # refused for good: no more tries
    retrying: bool = False  # not delivered at all (an outage…): tried again later


def deliver_pending(
    context: Context, *, only: set[int] | None = None, due_only: bool = True
) -> list[Delivery]:
    """Deliver the recorded digests not sent yet (those in ``only``; only those due for
    another try unless ``due_only`` is off), each marked sent once the server or the
    outbox has it. A failure is recorded and tried again after the retry interval; a
    recipient refused for now is tried again alone; a refusal for good (5xx) ends it."""
    store = context.store()
    deliveries = []
    with delivery_lock(context):
        now = context.clock()
        retry_at = format_time(now + timedelta(seconds=context.config.retry_interval))
        for row in digest_log.pending(store, due_by=format_time(now) if due_only else None):
            if only is not None and row.id not in only:
                continue
            delivery = Delivery(row.id, row.name, f"{row.window_start} – {row.window_end}")
            deliveries.append(delivery)
            try:
                delivery.where, result = _deliver(context, row)
            except DeliveryError as error:
                delivery.error = str(error)
                if error.permanent:
                    delivery.gave_up = True
                    digest_log.give_up(store, row.id, str(error))
                else:
                    delivery.retrying = True
                    digest_log.mark_failed(store, row.id, str(error), retry_at)
                continue
            except ConfigError as error:  # e.g. the password variable went missing
                delivery.error, delivery.retrying = str(error), True
                digest_log.mark_failed(store, row.id, str(error), retry_at)
                continue
            problems = [
                f"{to} refused it for good ({reply})" for to, reply in result.refused.items()
            ]
            if result.retry:
                problems.append(f"{', '.join(result.retry)} refused it for now (will retry)")
                digest_log.retry_for(store, row.id, result.retry, "; ".join(problems), retry_at)
            else:
                digest_log.mark_sent(store, row.id)
            delivery.error = "; ".join(problems) or None
    return deliveries


def _deliver(context: Context, row: DigestRow) -> tuple[str, SmtpResult]:
    if row.message is None:
        # Only a digest with nothing to deliver is recorded without a message, and it is
        # recorded as sent: a pending one without is a damaged record.
        raise DeliveryError(f"digest {row.id} was recorded without its message", permanent=True)
    if row.delivery == "smtp" and context.config.smtp is not None:
        smtp = context.config.smtp
        result = send_smtp(smtp, sender(context.config), row.recipients, row.message)
        delivered = [to for to in row.recipients if to not in result.retry + list(result.refused)]
        return f"SMTP {smtp.host}:{smtp.port} to {', '.join(delivered)}", result
    # recorded for the outbox, or SMTP has been unconfigured since: the outbox keeps it
    stamp = row.window_end.replace("-", "").replace(":", "")
    name = f"{stamp}-{row.name or 'adhoc'}-{row.id}.eml"
    return str(write_outbox(context.config.outbox, name, row.message)), SmtpResult()
