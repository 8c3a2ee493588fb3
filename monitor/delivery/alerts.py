"""Instant alerts: the net change of an article's facts once a change has stood for the
rule's ``hold``, sent to apprise channels and signed webhooks.

Only revisions seen live (by a poll or the event stream: ``live_revisions``) start an
alert, never an import or a backfill. A rule's changes to an article are grouped in
windows: a window opens with a change and closes once the article has been quiet (no
change in the rule's fields) for ``hold``, or ``max_hold`` after it opened. Its alert is the
net change over the window, computed by the digests' machinery (:func:`summarize_article`),
so a vandalism reverted within the hold alerts nobody. Windows of a rule and an article
chain without overlapping, as scheduled digests do.

Exactly once, as digests: the window and one delivery per channel are recorded in one
transaction before anything is sent; a delivery is marked sent once the channel took it,
and one left pending by a crash or an outage is sent later, as recorded.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from storage import ChangeRow, Page, format_time, parse_time
from storage import alerts as alert_log
from storage import changes as changelog

from ..config import AlertRule, Channel
from ..context import Context
from ..errors import ConfigError
from ..wording import isolate, one_line, plural
from .digest import ArticleSummary, summarize_article
from .jobs import delivery_lock, poll_wiki
from .notify import NotifyError, send_apprise
from .webhooks import post_webhook

log = logging.getLogger("wikimon")

RETRY_BASE = 60.0  # seconds before the second round of a failed delivery; doubles
RETRY_MAX = 3600.0
GIVE_UP_AFTER = timedelta(days=1)  # a channel still failing a day later is given up
KEEP_LIVE = timedelta(days=7)  # how long a revision seen live may wait for its alert
MAX_LINES = 10  # changes said in one alert's text; the rest are counted


@dataclass
class Window:
    page: Page
    start: str
    end: str  # exclusive
    due: str  # when its last change has stood for the hold


@dataclass
class AlertRun:
    """What one pass over the rules made: alert windows recorded (or, dry, found)."""

    rule: str
    page: Page
    window: Window
    title: str | None  # None: nothing to say (the changes were reverted within the hold)
    body: str | None
    record_id: int | None = None  # None: a dry run


@dataclass
class AlertDelivery:
    delivery_id: int
    alert_id: int
    label: str
    title: str
    where: str | None = None  # delivered: what the channel answered
    error: str | None = None
    gave_up: bool = False


@dataclass
class Pass:
    alerts: list[AlertRun] = field(default_factory=list)
    deliveries: list[AlertDelivery] = field(default_factory=list)
    held_back: list[str] = field(default_factory=list)  # one line each: a wiki not polled


# -- windows ---------------------------------------------------------------------------------


def rule_pages(context: Context, rule: AlertRule) -> dict[int, Page]:
    """The tracked articles a rule covers, by local id: those it lists (by current or
    former title), or every tracked article."""
    store = context.store()
    if rule.articles is None:
        return {p.id: p for p in store.pages(tracked_only=True)}
    pages: dict[int, Page] = {}
    for title in rule.articles:
        for page in store.find_pages(title):
            pages.setdefault(page.id, page)
    return pages


def windows(rule: AlertRule, times: list[str]) -> list[tuple[str, str, str]]:
    """The windows (start, end, due) of the changes made at ``times`` (sorted): a window
    closes once ``hold`` passed without a change, or ``max_hold`` after it opened; ``end``
    is exclusive, at least a second after its last change, and the window is due then."""
    found: list[tuple[str, str, str]] = []
    seconds = [parse_time(t) for t in dict.fromkeys(times)]
    hold, longest = timedelta(seconds=rule.hold), timedelta(seconds=rule.longest_hold)
    first = last = seconds[0] if seconds else None
    for moment in [*seconds[1:], None]:
        assert first is not None and last is not None
        if moment is not None and moment - last < hold and moment - first < longest:
            last = moment
            continue
        # revisions are dated to the second: another one of the window's last second may
        # still come, so a window is due once its (exclusive) end has passed
        end = max(min(last + hold, first + longest), last + timedelta(seconds=1))
        found.append((format_time(first), format_time(end), format_time(end)))
        first = last = moment
    return found


def due_windows(context: Context, rule: AlertRule, now: datetime) -> list[Window]:
    """Per article, the window made of every closed window up to now (a backlog after an
    outage is one alert, not one per quiet spell)."""
    store = context.store()
    since = alert_log.rule_since(store, rule.name)
    covered = rule_pages(context, rule)
    due = []
    for local_id in alert_log.waiting_pages(store, rule.name, since):
        page = covered.get(local_id)
        if page is None:
            continue
        start = alert_log.last_window_end(store, rule.name, page) or ""
        times = [t for t, _, name in alert_log.live_changes(store, page, since, start)
                 if rule.wants_field(name)]  # fmt: skip
        closed = [w for w in windows(rule, times) if parse_time(w[2]) <= now]
        if closed:
            due.append(Window(page, closed[0][0], closed[-1][1], closed[-1][2]))
    return due


def known_until(context: Context, page: Page) -> str:
    """Up to when every revision of the page is stored: its last poll (the stream's fetches
    poll it too)."""
    return context.store().sync_state(page).last_poll or ""


# -- what an alert says -------------------------------------------------------------------------


def alert_text(summary: ArticleSummary) -> tuple[str, str] | None:
    """(title, body) of the alert: one line per net change with who and when, and the
    diff of the whole window; None when nothing changed in the end."""
    changes = [c for f in summary.fields for c in f.changes]
    if not changes:
        return None
    page = summary.page
    figures = [c for c in changes if c.delta]
    if figures:
        top = max(figures, key=lambda c: abs(c.delta or 0))
        headline = f"{top.field} {top.record.new_number or 0:,} ({top.delta:+,})"
    else:
        headline = f"{changes[0].field}: {changes[0].text}"
    title = one_line(f"{page.title}: {headline}", 150)
    lines = []
    for change in changes[:MAX_LINES]:
        line = f"{one_line(change.field)}: {isolate(change.text)}"
        if change.by is not None:
            who = isolate(change.by.user) if change.by.user is not None else "(hidden)"
            line += f" — {who}, {change.by.timestamp[:16].replace('T', ' ')} UTC"
        lines.append(line)
    if len(changes) > MAX_LINES:
        lines.append(f"… and {plural(len(changes) - MAX_LINES, 'more change')}")
    url = summary.net_diff_url or next((c.by.url for c in changes if c.by and c.by.url), "")
    reverted = sum(f.reverted_edits for f in summary.fields)
    if reverted:
        lines.append(f"({plural(reverted, 'reverted edit')} not counted)")
    lines.append(f"{page.title} ({page.wiki}): {url}" if url else f"{page.title} ({page.wiki})")
    return title, "\n".join(lines)


def alert_records(
    context: Context, page: Page, summary: ArticleSummary, window: Window
) -> list[dict[str, object]]:
    """The change records of the window behind the alert, as `wikimon changes --json`
    prints them: those of the fields it reports, not undone before the window closed."""
    store = context.store()
    reported = {f.name for f in summary.fields if f.changes}
    records = []
    for row in changelog.changes(store, page, since=window.start, until=window.end):
        if row.field not in reported or _undone_by(context, page, row, window.end):
            continue
        records.append(row.to_json(page))
    return records


def _undone_by(context: Context, page: Page, row: ChangeRow, end: str) -> bool:
    if row.reverted_by is None:
        return False
    revert = context.store().revision(page, row.reverted_by)
    return revert is not None and revert.timestamp < end


# -- a pass: record what is due, deliver what is pending ---------------------------------------


def make_alerts(context: Context, *, dry_run: bool = False, pages: set[int] | None = None) -> Pass:
    """Record the alerts that are due now (of ``pages`` only, if given). An article whose
    last poll is older than its window's end is polled first (one request per wiki and 50
    articles), so that a revert made just before the hold ended is seen; a dry run records
    and polls nothing."""
    outcome = Pass()
    config = context.config
    if not config.alerts:
        return outcome
    store = context.store()
    now = context.clock()
    alert_log.forget_live(store, format_time(now - KEEP_LIVE))
    found = {rule.name: due_windows(context, rule, now) for rule in config.alerts}
    if pages is not None:
        found = {name: [w for w in due if w.page.id in pages] for name, due in found.items()}
    stale = {w.page.id: w.page for due in found.values() for w in due
             if known_until(context, w.page) < w.due}  # fmt: skip
    if stale and not dry_run:
        for wiki in dict.fromkeys(p.wiki for p in stale.values()):
            if wiki not in config.wikis:
                continue
            polled = poll_wiki(context, wiki, [p for p in stale.values() if p.wiki == wiki])
            if polled.error is not None:
                outcome.held_back.append(f"{polled.summary()}; its alerts wait")
        # what the poll found may extend a window: decide again
        found = {rule.name: due_windows(context, rule, now) for rule in config.alerts}
        if pages is not None:
            found = {name: [w for w in due if w.page.id in pages] for name, due in found.items()}
    for rule in config.alerts:
        for window in found[rule.name]:
            if known_until(context, window.page) < window.due and not dry_run:
                continue  # not every revision of the window is known yet: wait
            outcome.alerts.append(_make(context, rule, window, dry_run))
    return outcome


def _make(context: Context, rule: AlertRule, window: Window, dry_run: bool) -> AlertRun:
    store = context.store()
    page = window.page
    context.analyze(page)
    summary = summarize_article(store, context.config, rule, page, window.start, window.end)
    text = alert_text(summary) if summary is not None else None
    run = AlertRun(rule.name, page, window, *(text or (None, None)))
    if dry_run:
        return run
    records = alert_records(context, page, summary, window) if summary and text else []
    before = store.visible_revision_at(page, (window.start, 0))
    after = store.visible_revision_at(page, (window.end, 0))
    with store.transaction():
        if (alert_log.last_window_end(store, rule.name, page) or "") > window.start:
            return run  # another process recorded it meanwhile
        run.record_id = alert_log.record(
            store, rule=rule.name, page=page, window_start=window.start,
            window_end=window.end, from_revid=before.revid if before else None,
            to_revid=after.revid if after else None, title=run.title, body=run.body,
            records=records_json(records), channels=[(c.key, c.label) for c in rule.channels],
        )  # fmt: skip
    return run


def deliver_alerts(
    context: Context, *, due_only: bool = True, only: set[int] | None = None
) -> list[AlertDelivery]:
    """Send the recorded deliveries not made yet (of alerts ``only``; those due for another
    try unless ``due_only`` is off), each marked sent once its channel took it. A failure
    is tried again later (1 min, 2, 4… up to an hour; given up after a day); a refusal for
    good (a webhook's 4xx, a channel gone from the config) ends it."""
    store = context.store()
    done = []
    with delivery_lock(context):
        now = context.clock()
        for row in alert_log.pending(store, due_by=format_time(now) if due_only else None):
            if only is not None and row.alert.id not in only:
                continue
            delivery = AlertDelivery(row.id, row.alert.id, row.label, row.alert.title or "")
            done.append(delivery)
            channel = _channel(context, row.alert.rule, row.channel)
            if channel is None:
                delivery.error = "the channel is no longer in the config's alerts"
                delivery.gave_up = True
                alert_log.give_up(store, row.id, 0, delivery.error)
                continue
            try:
                delivery.where, attempts = send(
                    context,
                    channel,
                    row.idempotency_key,
                    row.alert.title or "",
                    row.alert.body or "",
                    row.alert.records.encode("utf-8"),
                    row.alert.rule,
                )
            except NotifyError as error:
                delivery.error = str(error)
                old = now - parse_time(row.created_at) >= GIVE_UP_AFTER
                if error.permanent or old:
                    delivery.gave_up = True
                    why = delivery.error if error.permanent else f"{error} (failing for a day)"
                    alert_log.give_up(store, row.id, error.attempts, why)
                else:
                    delay = min(RETRY_BASE * 2 ** min(row.attempts, 16), RETRY_MAX)
                    retry_at = format_time(now + timedelta(seconds=delay))
                    alert_log.mark_failed(store, row.id, error.attempts, str(error), retry_at)
                continue
            except ConfigError as error:  # an environment variable went missing
                delivery.error = str(error)
                retry_at = format_time(now + timedelta(seconds=RETRY_BASE))
                alert_log.mark_failed(store, row.id, 0, str(error), retry_at)
                continue
            alert_log.mark_sent(store, row.id, attempts)
    return done


def _channel(context: Context, rule_name: str, key: str) -> Channel | None:
    rule = context.config.alert_rule(rule_name)
    return next((c for c in rule.channels if c.key == key), None) if rule else None


def send(
    context: Context,
    channel: Channel,
    idempotency_key: str,
    title: str,
    body: str,
    records: bytes,
    rule: str,
) -> tuple[str, int]:
    """Send one alert to one channel: (what the channel answered, tries made). Raises
    NotifyError."""
    if channel.kind == "webhook":
        return post_webhook(
            channel, records, idempotency_key=idempotency_key, rule=rule,
            contact=context.config.contact,
        )  # fmt: skip
    send_apprise(channel.target(), title, body)
    return "accepted", 1


def run_pass(context: Context, *, pages: set[int] | None = None) -> Pass:
    """What the daemon and `wikimon alerts` do: record what is due, deliver what is
    pending (the new ones at once)."""
    outcome = make_alerts(context, pages=pages)
    outcome.deliveries = deliver_alerts(context)
    return outcome


def log_pass(outcome: Pass) -> None:
    """The daemon's lines for a pass."""
    for line in outcome.held_back:
        log.warning("%s", line)
    for run in outcome.alerts:
        log.info("%s", describe_run(run))
    for delivery in outcome.deliveries:
        log_delivery(delivery)


def describe_run(run: AlertRun) -> str:
    where = f"alert {run.rule}: {run.page.title!r} ({run.page.wiki}): {run.window.start} – "
    where += run.window.end
    if run.title is None:
        return f"{where}: no net change (reverted within the hold), nothing to send"
    recorded = f", recorded as alert {run.record_id}" if run.record_id is not None else ""
    return f"{where}: {run.title}{recorded}"


def log_delivery(delivery: AlertDelivery) -> None:
    name = f"alert {delivery.alert_id} to {delivery.label}"
    if delivery.where is not None:
        log.info("%s: delivered (%s)", name, delivery.where)
    elif delivery.gave_up:
        log.error("%s: refused for good: %s", name, delivery.error)
    else:
        log.warning("%s: not delivered (will retry): %s", name, delivery.error)


def sample_records(context: Context) -> tuple[Page | None, list[ChangeRow]]:
    """The newest revision's change records in the store, for `wikimon test-alert`."""
    store = context.store()
    newest: tuple[str, Page, list[ChangeRow]] | None = None
    for page in store.pages():
        rows = changelog.changes(store, page)
        if rows and (newest is None or rows[-1].timestamp > newest[0]):
            last = rows[-1].revid
            newest = (rows[-1].timestamp, page, [r for r in rows if r.revid == last])
    return (newest[1], newest[2]) if newest else (None, [])


def records_json(records: list[dict[str, object]]) -> str:
    """As `wikimon changes --json` prints them."""
    return json.dumps(records, ensure_ascii=False, indent=2)
