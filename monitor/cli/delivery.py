"""Commands that tell people: run (the daemon), digest, test-email."""

from __future__ import annotations

import logging
import sys
from dataclasses import replace
from datetime import timedelta

import click

from storage import format_time

from ..config import Config
from ..context import Context
from ..errors import WikimonError
from ..wording import plural
from .base import checked_address, cli, parse_date, pass_context


@cli.command()
@pass_context
def run(context: Context) -> None:
    """Run the daemon: poll every wiki on its interval and send digests on their
    schedules, until SIGTERM or Ctrl-C. One daemon per database."""
    config = context.config
    if config.smtp is not None:
        config.smtp.password()  # an unset password variable is a config error, now
    if not config.contact:
        context.client(config.default_wiki)  # the same clear error as every poll
    from ..delivery.daemon import Daemon, configure_logging  # APScheduler: here only

    configure_logging(config, logging.getLogger().level <= logging.INFO)
    for note in config.notes:
        logging.getLogger("wikimon").warning("%s", note)
    sys.exit(Daemon(config, context.config_path, context.db_path).run())


def say_notes(config: Config) -> None:
    """What the config will do that its author may not expect (file:line: key: …)."""
    for note in config.notes:
        click.echo(f"Note: {note}", err=True)


@cli.command()
@click.option("--dry-run", is_flag=True, help="Print the digest; record and send nothing.")
@click.option("--since", metavar="DATE", help="Start of the period (UTC) [default: where the "
              "last digest ended].")  # fmt: skip
@click.option("--until", metavar="DATE", help="End of the period (UTC) [default: now].")
@click.option("--to", "recipients", metavar="ADDRESS", multiple=True,
              help="Send to ADDRESS instead of the digest's subscribers (repeatable).")  # fmt: skip
@click.option("--name", "names", metavar="NAME", multiple=True,
              help="Only this digest of the config [default: all].")  # fmt: skip
@pass_context
def digest(
    context: Context,
    dry_run: bool,
    since: str | None,
    until: str | None,
    recipients: tuple[str, ...],
    names: tuple[str, ...],
) -> None:
    """Build each configured digest for its next period and send it (or write it to the
    outbox when no SMTP server is configured); also retries digests whose delivery failed.

    With --since, --until or --to, the digest is made for that period or those addresses
    only, outside the schedule.
    """
    from ..delivery.jobs import HORIZON_MARGIN, deliver_pending, make_digest

    context.store()
    config = context.config
    if config.smtp is not None and not dry_run:
        config.smtp.password()  # an unset password variable is a config error, not an outage
    say_notes(config)
    digests = [config.digest(name) for name in names] if names else config.digests
    to = [checked_address(a) for a in recipients] or None
    start, end = parse_date(since), parse_date(until)
    made: dict[int, int] = {}  # record id -> articles in it
    for digest_config in digests:
        outcome = make_digest(
            context, digest_config, since=start, until=end, to=to, dry_run=dry_run
        )
        label = f"digest {digest_config.name}"
        if outcome.digest is None:
            click.echo(
                f"{label}: nothing new to cover: the last digest ended at "
                f"{outcome.covered_until}, and revisions are known up to {outcome.horizon} "
                f"({HORIZON_MARGIN.seconds} s before the last poll; `wikimon poll` fetches "
                "newer ones)",
                err=True,
            )
            continue
        window = f"{outcome.digest.window_start} – {outcome.digest.window_end}"
        if dry_run:
            if outcome.text is None:
                click.echo(f"{label}: {window}: nothing to say (it would not be sent)", err=True)
            else:
                click.echo(outcome.text, nl=False)
        elif outcome.message is None:
            click.echo(f"{label}: {window}: nothing to say; not sent")
        elif outcome.record_id is not None:
            made[outcome.record_id] = len(outcome.digest.articles)
    if dry_run:
        return
    # What was made now, and what earlier runs could not deliver: asked by hand, all are
    # tried now, not at their retry time (the delivery lock keeps the daemon out).
    failed = False
    for delivery in deliver_pending(context, due_only=False):
        label = f"digest {delivery.name or 'ad hoc'}: {delivery.window}"
        if delivery.record_id not in made:
            label += f" (pending since an earlier run, digest {delivery.record_id})"
        if delivery.where:
            articles = made.get(delivery.record_id)
            count = f"{plural(articles, 'article')}, " if articles is not None else ""
            click.echo(f"{label}: {count}delivered to {delivery.where}")
        if delivery.error:
            retry = " (will retry)" if delivery.retrying else ""
            click.echo(f"Error: {label}: {delivery.error}{retry}", err=True)
            failed = True
    if failed:
        sys.exit(1)


@cli.command("test-email")
@click.argument("address")
@pass_context
def test_email(context: Context, address: str) -> None:
    """Send ADDRESS a sample digest (the first configured digest over the last 7 days)
    through the configured SMTP server, or write it to the outbox: a check of the e-mail
    set-up that records nothing."""
    from ..delivery.jobs import make_digest
    from ..delivery.mail import DeliveryError, send_smtp, sender, write_outbox

    context.store()
    config = context.config
    say_notes(config)
    now = context.clock()
    week_ago = format_time(now - timedelta(days=7))
    # a quiet week still gets a message: the empty digest
    sample = replace(config.digests[0], send_empty=True)
    outcome = make_digest(
        context, sample, since=week_ago, to=[checked_address(address)], dry_run=True,
        subject_prefix="[test] ",
    )  # fmt: skip
    if outcome.message is None:  # send_empty is on: only an unreadable store gets here
        raise WikimonError("no sample digest could be made")
    if config.smtp is None:
        path = write_outbox(config.outbox, f"test-{now:%Y%m%dT%H%M%S}.eml", outcome.message)
        click.echo(f"No smtp: in the config; the test message is in {path}")
        return
    try:
        result = send_smtp(config.smtp, sender(config), [address], outcome.message)
    except DeliveryError as error:
        raise WikimonError(f"the test message was not sent: {error}") from None
    if result.retry or result.refused:
        why = result.refused.get(address, "refused for now")
        raise WikimonError(f"the test message was not sent: {address}: {why}")
    click.echo(f"Sent a test message to {address} through {config.smtp.host}:{config.smtp.port}")
