"""The ``wikimon`` command line."""

from __future__ import annotations

import json
import logging
import os
import re
import sqlite3
import sys
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from storage import TIME_FORMAT, Page, Store, StoreError, format_time
from storage import changes as changelog

from . import __version__
from .config import is_address
from .context import Context
from .daemon import Daemon, configure_logging
from .diff import diff_wikitext
from .errors import UnknownTitle, WikimonError
from .extract import extract_facts
from .importer import import_dump
from .jobs import HORIZON_MARGIN, deliver_pending, make_digest, poll_wiki
from .mail import DeliveryError, send_smtp, sender, write_outbox
from .report import ASSETS, Report
from .serve import make_report_server
from .sync import add_page, backfill_page
from .titles import normalize_title
from .wording import describe, plural


class WikimonGroup(click.Group):
    """Turns WikimonError into one line on stderr and its exit code: no tracebacks."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except WikimonError as error:
            click.echo(f"Error: {error}", err=True)
            ctx.exit(error.exit_code)
        except StoreError as error:
            click.echo(f"Error: {error}", err=True)
            ctx.exit(1)
        except sqlite3.OperationalError as error:
            # locked for longer than the busy timeout, read-only file system, disk full…
            db = ctx.obj.db_path if isinstance(ctx.obj, Context) else "the database"
            click.echo(f"Error: {db}: {error}", err=True)
            ctx.exit(1)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)  # in the order they are defined: a walk through the tool


pass_context = click.make_pass_decorator(Context)


@click.group(cls=WikimonGroup)
@click.version_option(__version__, prog_name="wikimon")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    help="Config file [default: ./config.yaml if present, else built-in defaults].",
)
@click.option("--db", "db_path", type=click.Path(dir_okay=False), help="SQLite database "
              "(overrides the config) [default: wikimon.db].")  # fmt: skip
@click.option("-v", "--verbose", is_flag=True, help="Log API retries and warnings.")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, db_path: str | None, verbose: bool) -> None:
    """wikimon watches Wikipedia articles and tells you when the facts in them change.

    Revisions come from the MediaWiki API or from XML exports and are kept, compressed,
    in a local SQLite database.
    """
    logging.basicConfig(
        level=logging.INFO if verbose else logging.ERROR,
        format="%(asctime)s %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    ctx.obj = Context(config_path, db_path)
    ctx.obj.config  # noqa: B018 - a broken config is reported before any command runs


def wiki_option(help_text: str) -> Callable:
    return click.option("--wiki", metavar="NAME", help=help_text)


@cli.command()
@click.argument("title")
@wiki_option("Wiki name from the config [default: the first configured wiki].")
@pass_context
def add(context: Context, title: str, wiki: str | None) -> None:
    """Start tracking TITLE and store its current revision."""
    wiki = context.config.wiki(wiki).name
    store = context.store()
    page, added = add_page(store, context.client(wiki), wiki, normalize_title(title))
    context.analyze_stale()
    stored = store.revision_count(page)
    click.echo(
        f"Tracking {page.title!r} on {wiki} (page id {page.page_id}): "
        f"{plural(stored, 'revision')} stored"
        + (" (the current one)" if added and stored == 1 else "")
        + "."
    )
    if stored == 1:
        click.echo(f"Fetch its history with: wikimon backfill {_quote(page.title)}")


@cli.command()
@click.argument("titles", nargs=-1)
@wiki_option("Only articles on this wiki.")
@pass_context
def poll(context: Context, titles: tuple[str, ...], wiki: str | None) -> None:
    """Fetch revisions newer than the last stored one.

    Without TITLEs, polls every tracked article; one request per wiki and 50 articles
    tells which of them changed.
    """
    store = context.store()
    failed = False
    if titles:
        pages = [context.page(t, wiki) for t in titles]
        wikis = list(dict.fromkeys(p.wiki for p in pages))
    else:
        wikis = [w for w in context.config.wikis if wiki is None or w == wiki]
        wikis += [p.wiki for p in store.pages(tracked_only=True, wiki=wiki) if p.wiki not in wikis]
    polled = 0
    for wiki_name in wikis:
        group = [p for p in pages if p.wiki == wiki_name] if titles else None
        outcome = poll_wiki(context, wiki_name, group)
        polled += outcome.checked
        for page in outcome.added:
            click.echo(f"{wiki_name}: {page.title!r}: added (listed in the config)")
        for problem in outcome.problems:
            click.echo(f"Warning: {problem}", err=True)
        failed = failed or bool(outcome.problems)
        if outcome.error is not None:
            click.echo(f"Error: {outcome.error}", err=True)
            failed = True
            continue
        changes = {a.page.id: a.changes for a in outcome.analysis}
        for result in outcome.results:
            name = f"{wiki_name}: {result.page.title!r}"
            if result.problem:
                continue
            if result.renamed_from:
                click.echo(f"{name}: moved from {result.renamed_from!r}")
            if result.became_redirect:
                click.echo(
                    f"Warning: {name} is now a redirect to {result.became_redirect!r}; its "
                    f"history is kept. To follow the article: wikimon add "
                    f"{_quote(result.became_redirect)}",
                    err=True,
                )
            if result.added:
                found = changes.get(result.page.id, 0)
                click.echo(
                    f"{name}: {plural(result.added, 'new revision')} "
                    + (
                        f"({result.first_revid} … {result.last_revid})"
                        if result.added > 1
                        else f"({result.last_revid})"
                    )
                    + f", {plural(found, 'change')} in the facts"
                )
            else:
                click.echo(f"{name}: no new revisions")
    if not titles and not polled and not failed:
        raise WikimonError("no tracked articles: add one with `wikimon add TITLE`")
    if failed:
        sys.exit(1)


def _date(value: str | None) -> str | None:
    if value is None:
        return None
    for fmt in ("%Y-%m-%d", TIME_FORMAT, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"):
        try:
            moment = datetime.strptime(value, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
        return moment.strftime(TIME_FORMAT)
    raise click.BadParameter(f"{value!r} is not a date: use 2024-12-01 or 2024-12-01T12:00:00Z")


@cli.command()
@click.argument("title")
@click.option("--since", metavar="DATE", help="Start here instead of the page's creation (UTC).")
@wiki_option("Wiki name from the config [default: the stored page's wiki].")
@pass_context
def backfill(context: Context, title: str, since: str | None, wiki: str | None) -> None:
    """Fetch the whole history of TITLE, oldest first, 50 revisions per request.

    Resumable: interrupt it and run it again to continue where it stopped.
    """
    since = _date(since)
    store = context.store()
    try:
        page = context.page(title, wiki)
    except UnknownTitle:
        wiki = context.config.wiki(wiki).name
        page, _ = add_page(store, context.client(wiki), wiki, normalize_title(title))
    client = context.client(page.wiki)
    result = backfill_page(store, client, page, since)
    context.analyze_stale()
    newer = result.caught_up.added if result.caught_up else 0
    click.echo(
        f"{page.wiki}: {page.title!r}: {plural(result.added, 'older revision')} stored"
        + (" (resumed)" if result.resumed else "")
        + f", {newer} newer; {store.revision_count(page)} in all."
    )
    if result.unavailable:
        click.echo(
            f"Warning: {page.wiki}: {page.title!r}: the wiki no longer has "
            f"{plural(len(result.unavailable), 'revision')} "
            f"({', '.join(map(str, result.unavailable))}) that stored revisions follow "
            "(deleted, or on another page): the stored history has gaps there",
            err=True,
        )  # a fact about the wiki, not a failure: later runs would meet it again


@cli.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@wiki_option("Store under this wiki name [default: matched by the export's host or dbname].")
@pass_context
def import_(context: Context, files: tuple[str, ...], wiki: str | None) -> None:
    """Import MediaWiki XML exports (.xml, .bz2, .gz, .xz, .lzma).

    Streams the file; already stored revisions are skipped, so importing a file twice, or
    again after an interruption, adds only what is missing.
    """
    store = context.store()
    failed = False
    for path in files:
        if not os.path.isfile(path):
            click.echo(f"Error: {path}: no such file", err=True)
            failed = True
            continue
        size = os.path.getsize(path)
        show_bar = sys.stderr.isatty()
        with click.progressbar(
            length=size, label=os.path.basename(path), file=sys.stderr, hidden=not show_bar
        ) as bar:
            position = [0]

            def progress(done: int, bar: Any = bar, position: list[int] = position) -> None:
                bar.update(done - position[0])
                position[0] = done

            result = import_dump(store, context.config, path, wiki, progress)
        for problem in result.problems:
            click.echo(f"Warning: {problem}", err=True)
        click.echo(
            f"{path}: {plural(result.added, 'revision')} added, {result.skipped} already stored, "
            f"{plural(result.pages, 'page')}" + (f" ({result.wiki})" if result.wiki else "")
        )
        if result.error:
            click.echo(f"Error: {result.error}; everything before it was stored", err=True)
        failed = failed or not result.ok
    context.sync_config(store)  # configured articles that were just imported are tracked
    context.analyze_stale()
    if failed:
        sys.exit(1)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="A JSON array, one object per article.")
@pass_context
def status(context: Context, as_json: bool) -> None:
    """What is stored: one line per article."""
    rows = context.store(must_exist=True).status()
    configured = {(a.wiki, a.title) for a in context.config.articles}
    for row in rows:
        configured_live = (row["wiki"], row["title"]) in configured and not row["deleted_at"]
        row["tracked"] = row["tracked"] or configured_live
    keys = (
        "wiki", "page_id", "title", "revisions", "first_revid", "last_revid",
        "first_timestamp", "last_timestamp", "last_poll", "storage_bytes",
    )  # fmt: skip
    if as_json:
        _echo_json([{key: row[key] for key in keys} | {"tracked": row["tracked"]} for row in rows])
        return
    if not rows:
        click.echo("Nothing stored yet: `wikimon add TITLE` or `wikimon import FILE`.")
        return
    _table(
        ["wiki", "title", "revisions", "last revision", "last poll", "stored"],
        [
            [
                row["wiki"],
                row["title"] + ("" if row["tracked"] else " (not tracked)"),
                row["revisions"],
                f"{row['last_revid']} {row['last_timestamp']}" if row["last_revid"] else "-",
                row["last_poll"] or "never",
                _size(row["storage_bytes"]),
            ]
            for row in rows
        ],
    )


@cli.command()
@click.argument("title")
@wiki_option("Wiki name, when the title is stored for several.")
@click.option("--json", "as_json", is_flag=True, help="A JSON array, oldest first.")
@pass_context
def revisions(context: Context, title: str, wiki: str | None, as_json: bool) -> None:
    """The stored revisions of TITLE, oldest first."""
    page = context.page(title, wiki)
    store = context.store()
    keys = (
        "revid", "parent_revid", "timestamp", "user", "comment", "minor", "size", "sha1",
        "texthidden", "userhidden", "commenthidden",
    )  # fmt: skip
    if as_json:
        _echo_json([{key: row[key] for key in keys} for row in store.revisions(page)])
        return
    rows = []
    for row in store.revisions(page):
        flags = "".join(
            flag
            for flag, on in (
                ("m", row["minor"]),
                ("T", row["texthidden"]),
                ("U", row["userhidden"]),
                ("C", row["commenthidden"]),
            )
            if on
        )
        user = "(hidden)" if row["userhidden"] else row["user"] or ""
        comment = "(hidden)" if row["commenthidden"] else row["comment"] or ""
        rows.append([row["revid"], row["timestamp"], flags, row["size"], user, _clip(comment, 60)])
    _table(["revid", "timestamp", "flags", "size", "user", "comment"], rows)


@cli.command()
@click.argument("title")
@click.option(
    "--rev",
    "revid",
    type=click.IntRange(1, 2**63 - 1),
    metavar="REVID",
    help="This revision [default: latest].",
)
@wiki_option("Wiki name, when the title is stored for several.")
@pass_context
def wikitext(context: Context, title: str, revid: int | None, wiki: str | None) -> None:
    """Print the exact stored wikitext of TITLE (the latest revision by default)."""
    page = context.page(title, wiki)
    store = context.store()
    if revid is None:
        latest = store.latest_revision(page)
        if latest is None:
            raise WikimonError(f"no revisions of {page.title!r} are stored yet")
        revid = latest["revid"]
    try:
        text = store.text(page, revid)
    except KeyError:
        raise WikimonError(
            f"revision {revid} of {page.title!r} is not stored: `wikimon revisions "
            f"{_quote(page.title)}` lists those that are"
        ) from None
    if text is None:
        raise WikimonError(f"revision {revid} of {page.title!r} is revision-deleted: no text")
    sys.stdout.buffer.write(text)  # byte for byte: no added newline
    sys.stdout.buffer.flush()


@cli.command()
@click.argument("title")
@click.option("--since", metavar="DATE", help="Only changes at or after DATE (UTC).")
@click.option("--until", metavar="DATE", help="Only changes before DATE (UTC).")
@click.option("--field", metavar="NAME", help="Only this infobox parameter, e.g. casualties2.")
@wiki_option("Wiki name, when the title is stored for several.")
@click.option("--json", "as_json", is_flag=True, help="A JSON array, oldest first.")
@pass_context
def changes(
    context: Context,
    title: str,
    since: str | None,
    until: str | None,
    field: str | None,
    wiki: str | None,
    as_json: bool,
) -> None:
    """What changed in the facts of TITLE's infobox, oldest first."""
    page = context.page(title, wiki)
    context.analyze(page)  # a no-op when the change log is up to date
    rows = changelog.changes(
        context.store(), page, since=_date(since), until=_date(until), field=field
    )
    if as_json:
        _echo_json([_change_json(page, row) for row in rows])
        return
    if not rows:
        click.echo(f"No changes in the facts of {page.title!r} for these criteria.")
        return
    for row in rows:
        click.echo(_change_line(row))


def _change_json(page: Page, row: dict[str, Any]) -> dict[str, Any]:
    record = {
        "revid": row["revid"],
        "parent_revid": row["parent_revid"],
        "page_id": page.page_id,
        "title": page.title,
        "timestamp": row["timestamp"],
        "user": row["user"],
        "comment": row["comment"],
    }
    record.update({key: row[key] for key in changelog.CHANGE_COLUMNS})
    record["revert"] = row["revert"]
    record["reverted_by"] = row["reverted_by"]
    return record


def _change_line(row: dict[str, Any]) -> str:
    marks = []
    if row["revert"]:
        marks.append(f"reverts to {row['revert']['reverted_to']}")
    if row["reverted_by"]:
        marks.append(f"reverted by {row['reverted_by']}")
    user = row["user"] if row["user"] is not None else "(hidden)"
    return (
        f"{row['timestamp']}  {row['revid']}  {_clip(user, 20)}  {row['field']}  "
        f"{_clip(describe(row), 90)}" + (f"  [{'; '.join(marks)}]" if marks else "")
    )


@cli.command()
@click.argument("title")
@click.option("--at", metavar="REVID|DATE", help="As of this revision or date [default: now].")
@wiki_option("Wiki name, when the title is stored for several.")
@click.option("--json", "as_json", is_flag=True, help="A JSON object.")
@pass_context
def show(context: Context, title: str, at: str | None, wiki: str | None, as_json: bool) -> None:
    """The facts in TITLE's infobox, now or as of a revision or date."""
    page = context.page(title, wiki)
    store = context.store()
    meta, text = _visible_revision_at(store, page, at)
    infobox = context.config.infobox_for(page.wiki, page.title)
    facts = extract_facts(text.decode("utf-8", "replace"), infobox)
    if as_json:
        _echo_json(
            {
                "title": page.title,
                "page_id": page.page_id,
                "revid": meta["revid"],
                "timestamp": meta["timestamp"],
                "infobox": facts.infobox,
                "fields": facts.to_json(),
            }
        )
        return
    click.echo(
        f"{page.title} — {facts.infobox or 'no infobox'}, as of revision {meta['revid']} "
        f"({meta['timestamp']})"
    )
    for name, fact in facts.fields.items():
        if len(fact.items) > 1:
            click.echo(f"{name}:")
            for item in fact.items:
                click.echo(f"  • {item.text}")
        else:
            click.echo(f"{name}: {fact.value}")


def _visible_revision_at(store: Store, page: Page, at: str | None) -> tuple[dict[str, Any], bytes]:
    """The newest revision with text at ``at`` (a revid or a date; a bare date means the
    end of that day), or now."""
    limit: tuple[str, int] | None = None
    if at is not None and re.fullmatch(r"[0-9]{1,18}", at):
        meta = store.revision(page, int(at))
        if meta is None:
            raise WikimonError(f"revision {at} of {page.title!r} is not stored")
        limit = (meta["timestamp"], meta["revid"])
    elif at is not None:
        moment = _date(at)
        if len(at) == 10:  # YYYY-MM-DD: as the day ended
            moment = moment[:10] + "T23:59:59Z"
        limit = (moment, 2**63 - 1)
    meta = store.visible_revision_at(page, limit)
    if meta is None:
        where = f" at or before {at}" if at else ""
        raise WikimonError(f"no stored revision of {page.title!r} with text{where}")
    if at is not None and limit is not None and limit[1] != meta["revid"] and limit[1] < 2**63 - 1:
        click.echo(
            f"Note: revision {at} is revision-deleted; showing {meta['revid']}, the last "
            "visible revision before it",
            err=True,
        )
    text = store.text(page, meta["revid"])
    assert text is not None
    return meta, text


@cli.command()
@click.argument("old", type=click.Path(exists=True, dir_okay=False))
@click.argument("new", type=click.Path(exists=True, dir_okay=False))
@click.option("--infobox", metavar="NAME", help="Read this template [default: first Infobox].")
@click.option("--json", "as_json", is_flag=True, help="A JSON array of change records.")
def diff(old: str, new: str, infobox: str | None, as_json: bool) -> None:
    """The semantic changes between two wikitext files (no database needed)."""
    texts = []
    for path in (old, new):
        try:
            texts.append(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as error:
            raise WikimonError(f"{path}: cannot read it as UTF-8 text ({error})") from None
    records = diff_wikitext(texts[0], texts[1], infobox)
    if as_json:
        _echo_json([record.to_json() for record in records])
        return
    if not records:
        click.echo("No change in the infobox facts.")
    for record in records:
        click.echo(f"{record.field}  {record.kind}  {describe(record.to_json())}")


@cli.command()
@click.argument("titles", nargs=-1)
@wiki_option("Only articles on this wiki.")
@pass_context
def reanalyze(context: Context, titles: tuple[str, ...], wiki: str | None) -> None:
    """Recompute the change log of TITLEs (default: every stored article), e.g. after an
    upgrade of wikimon."""
    store = context.store(must_exist=True)
    pages = [context.page(t, wiki) for t in titles] if titles else store.pages(wiki=wiki)
    for page in pages:
        result = context.analyze(page, full=True)
        click.echo(
            f"{page.wiki}: {page.title!r}: {plural(result.revisions, 'revision')} analysed, "
            f"{plural(result.changes, 'change')}, {plural(result.reverts, 'revert')}"
        )


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
    configure_logging(config, logging.getLogger().level <= logging.INFO)
    sys.exit(Daemon(config, context.config_path, context.db_path).run())


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
    context.store()
    config = context.config
    if config.smtp is not None and not dry_run:
        config.smtp.password()  # an unset password variable is a config error, not an outage
    digests = [config.digest(name) for name in names] if names else config.digests
    to = [_address(a) for a in recipients] or None
    start, end = _date(since), _date(until)
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
            retry = "" if delivery.gave_up else " (will retry)"
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
    context.store()
    config = context.config
    now = datetime.now(UTC)
    week_ago = format_time(now - timedelta(days=7))
    # a quiet week still gets a message: the empty digest
    sample = replace(config.digests[0], send_empty=True)
    outcome = make_digest(
        context, sample, since=week_ago, to=[_address(address)], dry_run=True,
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


@cli.command()
@click.argument("titles", nargs=-1)
@click.option("--out", "out", default="report", show_default=True, metavar="DIR",
              type=click.Path(), help="Where to write the report.")  # fmt: skip
@wiki_option("Wiki name, when a title is stored for several.")
@pass_context
def report(context: Context, titles: tuple[str, ...], out: str, wiki: str | None) -> None:
    """Write the history report of TITLEs (default: every stored article) as static HTML:
    open DIR/index.html in a browser, online or not."""
    store = context.store(must_exist=True)
    pages = [context.page(t, wiki) for t in titles] if titles else None
    context.analyze_stale()
    if os.path.exists(out) and not os.path.isdir(out):
        raise WikimonError(f"--out {out}: is a file, not a directory")
    report = Report(store, context.config, pages)
    hidden = not sys.stderr.isatty()  # bars on a terminal only
    with click.progressbar(
        report.pages, label="Reading the histories", file=sys.stderr, hidden=hidden
    ) as articles:
        for page in articles:
            report.history(page)  # one pass over its revisions: the long part
    paths = list(report.paths())
    try:
        with click.progressbar(
            length=len(paths) + len(ASSETS), label="Writing the pages", file=sys.stderr,
            hidden=hidden,
        ) as bar:  # fmt: skip
            files, size = report.write(Path(out), paths, bar.update)
    except OSError as error:  # a file in the way, no permission, disk full…
        where = error.filename or out
        raise WikimonError(f"cannot write the report to {where}: {error.strerror}") from None
    click.echo(f"Wrote {plural(files, 'file')} ({_size(size)}) to {out}/")
    click.echo(f"Open {Path(out) / 'index.html'} in a browser, or run `wikimon serve`.")


@cli.command()
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535),
              help="Port on 127.0.0.1 (0: any free port).")  # fmt: skip
@pass_context
def serve(context: Context, port: int) -> None:
    """Serve the history report live from the database on 127.0.0.1, until Ctrl-C: new
    revisions appear without regenerating anything."""
    context.store(must_exist=True)
    context.analyze_stale()
    context.close()
    try:
        server = make_report_server(context.db_path, context.config, port)
    except OSError as error:
        raise WikimonError(f"cannot listen on 127.0.0.1:{port}: {error.strerror}") from None
    click.echo(f"Serving the report on http://127.0.0.1:{server.server_port}/ (Ctrl-C stops)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def _address(value: str) -> str:
    if not is_address(value):
        raise click.BadParameter(f"{value!r} is not an e-mail address such as you@example.org")
    return value


def _echo_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2))


def _table(headers: list[str], rows: list[list[Any]]) -> None:
    cells = [[str(c) if c is not None else "" for c in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    for row in [headers] + cells:
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _quote(title: str) -> str:
    return "'" + title.replace("'", "'\\''") + "'"


def main() -> None:
    cli()
