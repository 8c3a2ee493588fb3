"""Commands of the instant alerts: alerts (deliver what is due), test-alert (check a
channel)."""

from __future__ import annotations

import sys

import click

from ..config import Channel
from ..context import Context
from ..errors import ConfigError, WikimonError
from ..wording import describe, one_line
from .base import cli, pass_context


@cli.command()
@click.option("--dry-run", is_flag=True, help="Show the alerts that are due; record, poll "
              "and send nothing.")  # fmt: skip
@pass_context
def alerts(context: Context, dry_run: bool) -> None:
    """Send the alerts that are due once: record the net change of each article whose
    changes have stood for the rule's hold, then deliver every alert not delivered yet
    (`wikimon run` does this continuously)."""
    # the digests' machinery, apprise and requests: imported by the commands that send
    from ..delivery.alerts import deliver_alerts, describe_run, make_alerts

    config = context.config
    if not config.alerts:
        raise ConfigError(
            f"{config.path or 'config.yaml'}: no alerts: rules; see README, Instant alerts"
        )
    context.store()
    outcome = make_alerts(context, dry_run=dry_run)
    failed = bool(outcome.held_back)
    for line in outcome.held_back:
        click.echo(f"Warning: {line}", err=True)
    for run in outcome.alerts:
        click.echo(describe_run(run))
        if dry_run and run.body:
            click.echo("".join(f"    {line}\n" for line in run.body.splitlines()), nl=False)
    if not outcome.alerts:
        click.echo("No alert is due.")
    if dry_run:
        return
    for delivery in deliver_alerts(context, due_only=False):
        name = f"alert {delivery.alert_id} to {delivery.label}"
        if delivery.where is not None:
            click.echo(f"{name}: delivered ({delivery.where})")
        else:
            retry = " (refused for good)" if delivery.gave_up else " (will retry)"
            click.echo(f"Error: {name}: {delivery.error}{retry}", err=True)
            failed = True
    if failed:
        sys.exit(1)


@cli.command("test-alert")
@click.argument("target", required=False, metavar="[RULE|URL]")
@pass_context
def test_alert(context: Context, target: str | None) -> None:
    """Send a sample alert (the newest change stored, marked [test]) to every channel of
    the alert rule RULE, to one apprise URL or webhook URL, or to every configured
    channel: a check of the set-up that records nothing."""
    from ..delivery.alerts import records_json, sample_records, send
    from ..delivery.notify import NotifyError

    channels = _channels(context, target)
    page, rows = sample_records(context)
    records = [row.to_json(page) for row in rows] if page is not None else []
    if page is not None:
        title = one_line(f"[test] wikimon: {page.title}: {rows[0].field}", 150)
        lines = [one_line(f"{row.field}: {describe(row)}") for row in rows]
        body = "\n".join(["A test alert from wikimon; the newest change stored:", *lines])
    else:
        title, body = "[test] wikimon", "A test alert from wikimon (no change stored yet)."
    failed = False
    for rule, channel in channels:
        key = f"wikimon-test-{context.clock():%Y%m%dT%H%M%S}-{channel.key}"
        try:
            where, _ = send(
                context, channel, key, title, body, records_json(records).encode(), rule
            )
        except (NotifyError, ConfigError) as error:
            click.echo(f"Error: {channel.label}: {error}", err=True)
            failed = True
            continue
        click.echo(f"{channel.label}: test alert delivered ({where})")
    if failed:
        sys.exit(1)


def _channels(context: Context, target: str | None) -> list[tuple[str, Channel]]:
    config = context.config
    if target is None:
        found = [(rule.name, c) for rule in config.alerts for c in rule.channels]
        if not found:
            raise ConfigError(
                f"{config.path or 'config.yaml'}: no alerts: rules; name a channel: "
                "wikimon test-alert URL"
            )
        return found
    rule = config.alert_rule(target)
    if rule is not None:
        return [(rule.name, c) for c in rule.channels]
    if "://" not in target:
        names = ", ".join(r.name for r in config.alerts) or "none"
        raise WikimonError(
            f"{target!r} is neither an alert rule (configured: {names}) nor a URL such as "
            "ntfy://topic or https://example.org/hook"
        )
    kind = "webhook" if target.split("://", 1)[0] in ("http", "https") else "apprise"
    return [("test", Channel(kind, url=target))]
