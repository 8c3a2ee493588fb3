"""Commands that bring revisions in: add, poll, backfill, import."""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from ..context import Context
from ..delivery.jobs import poll_wiki
from ..errors import UnknownTitle, WikimonError
from ..sources.importer import import_dump
from ..sources.sync import add_page, backfill_page
from ..sources.titles import normalize_title
from ..wording import plural, shell_quote
from .base import cli, parse_date, pass_context, wiki_option


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
        click.echo(f"Fetch its history with: wikimon backfill {shell_quote(page.title)}")


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
                    f"{shell_quote(result.became_redirect)}",
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


@cli.command()
@click.argument("title")
@click.option("--since", metavar="DATE", help="Start here instead of the page's creation (UTC).")
@wiki_option("Wiki name from the config [default: the stored page's wiki].")
@pass_context
def backfill(context: Context, title: str, since: str | None, wiki: str | None) -> None:
    """Fetch the whole history of TITLE, oldest first, 50 revisions per request.

    Resumable: interrupt it and run it again to continue where it stopped.
    """
    since = parse_date(since)
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
