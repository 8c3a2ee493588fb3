"""Commands that bring revisions in: add, poll, backfill, import."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

import click

from ..config import WIKI_NAME_RULE, is_wiki_name
from ..context import Context
from ..errors import InvalidTitle, UnknownTitle, WikimonError
from ..sources.titles import normalize_title
from ..wording import plural, shell_quote
from .base import cli, parse_date, pass_context, wiki_option

if TYPE_CHECKING:  # the API client (mwclient, requests) is imported where it is used
    from ..sources.sync import AddResult, Refusal


@cli.command()
@click.argument("titles", nargs=-1)
@click.option(
    "--from-file",
    "from_file",
    metavar="FILE",
    type=click.Path(dir_okay=False, exists=True, allow_dash=True),
    help="Titles, one a line ('#' comments and blank lines skipped; - reads stdin).",
)
@click.option("--category", metavar="NAME", help="The articles in this category.")
@click.option(
    "--depth",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="With --category: also the subcategories, this many levels down.",
)
@click.option(
    "--embedded-in",
    "embedded_in",
    metavar="TITLE",
    help='The articles that use this template ("Template:Infobox military conflict").',
)
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    help="With --category/--embedded-in: at most this many articles from each.",
)
@wiki_option("Wiki name from the config [default: the first configured wiki].")
@pass_context
def add(
    context: Context,
    titles: tuple[str, ...],
    from_file: str | None,
    category: str | None,
    depth: int,
    embedded_in: str | None,
    limit: int | None,
    wiki: str | None,
) -> None:
    """Start tracking TITLEs (or those of a file, a category, a template's users) and
    store the current revision of each: two requests per 50 new articles."""
    if not (titles or from_file or category or embedded_in):
        raise click.UsageError("give TITLEs, --from-file, --category or --embedded-in")
    if depth and not category:
        raise click.UsageError("--depth goes with --category")
    if limit is not None and not (category or embedded_in):
        raise click.UsageError("--limit goes with --category or --embedded-in")
    from ..sources.sync import Refusal, add_pages, category_articles, embedding_articles

    wiki = context.config.wiki(wiki).name
    if len(titles) == 1 and not (from_file or category or embedded_in):
        _add_one(context, wiki, titles[0])
        return
    store = context.store()
    client = context.client(wiki)
    wanted: list[str] = []
    bad: list[Refusal] = []  # titles refused before asking the wiki
    empty: list[str] = []  # listings that listed nothing
    for title in titles:
        try:
            wanted.append(normalize_title(title))
        except InvalidTitle as error:
            bad.append(Refusal(title, "invalid", error))
    if from_file:
        wanted += _titles_from_file(from_file, bad)
    if category:
        name = normalize_title(category)
        name = name if name.startswith("Category:") else f"Category:{name}"
        listed = category_articles(client, name, depth, limit)
        if not listed:
            empty.append(f"{wiki}: {name!r} has no articles (is the name right?)")
        wanted += listed
    if embedded_in:
        listed = embedding_articles(client, normalize_title(embedded_in), limit)
        if not listed:
            empty.append(f"{wiki}: no article uses {normalize_title(embedded_in)!r}")
        wanted += listed
    known = {t for t in wanted if any(p.tracked for p in store.find_pages(t, wiki))}
    result = add_pages(store, client, wiki, [t for t in wanted if t not in known])
    context.analyze_stale()
    result.refused[:0] = bad
    for line in empty + [str(r.error) for r in result.refused]:
        click.echo(f"Warning: {line}", err=True)
    if result.error is not None:
        click.echo(f"Error: {result.error}", err=True)
    click.echo(_add_summary(wiki, result, len(known) + len(result.stored)))
    if empty or result.refused or result.untried:
        sys.exit(1)


def _add_one(context: Context, wiki: str, title: str) -> None:
    from ..sources.sync import add_page

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


def _titles_from_file(path: str, bad: list[Refusal]) -> list[str]:
    """The titles of ``path``, one a line; a line that is no title is refused, the
    message naming the file and line."""
    from ..sources.sync import Refusal

    titles = []
    with click.open_file(path, "rb") as lines:
        for number, raw in enumerate(lines, start=1):
            try:
                line = raw.decode("utf-8").strip()
                if line and not line.startswith("#"):
                    titles.append(normalize_title(line))
            except UnicodeDecodeError:
                why = InvalidTitle(f"{path}:{number}: not UTF-8 text; the line is skipped")
                bad.append(Refusal(f"{path}:{number}", "invalid", why))
            except InvalidTitle as error:
                why = InvalidTitle(f"{path}:{number}: {error}; the line is skipped")
                bad.append(Refusal(line, "invalid", why))
    return titles


def _add_summary(wiki: str, result: AddResult, already: int) -> str:
    def names(titles: list[str]) -> str:
        shown = ", ".join(repr(t) for t in titles[:5])
        return shown + (f" and {len(titles) - 5} more" if len(titles) > 5 else "")

    parts = [
        f"Added {plural(len(result.added), 'article')} on {wiki}"
        + (" (the current revision of each)" if result.added else "")
    ]
    if already:
        parts.append(f"{already} already tracked")
    for kind in ("not found", "redirect", "invalid"):
        refused = [r.title for r in result.refused if r.kind == kind]
        if refused:
            count = plural(len(refused), kind) if kind == "redirect" else f"{len(refused)} {kind}"
            parts.append(f"{count}: {names(refused)}")
    if result.untried:
        parts.append(f"{len(result.untried)} not tried (the wiki failed)")
    return "; ".join(parts) + "."


@cli.command()
@click.argument("titles", nargs=-1)
@wiki_option("Only articles on this wiki.")
@click.option("-v", "--verbose", is_flag=True, help="Also print a line for each article.")
@pass_context
def poll(context: Context, titles: tuple[str, ...], wiki: str | None, verbose: bool) -> None:
    """Fetch revisions newer than the last stored one.

    Without TITLEs, polls every tracked article; one request per wiki and 50 articles
    tells which of them changed. Prints one summary line (articles checked, new
    revisions, changes in the facts); with -v, a line for each article before it.
    """
    from ..delivery.jobs import poll_wiki

    verbose = verbose or click.get_current_context().find_root().params["verbose"]  # -v poll
    store = context.store()
    failed = False
    if titles:
        pages = [context.page(t, wiki) for t in titles]
        wikis = list(dict.fromkeys(p.wiki for p in pages))
    else:
        wikis = [w for w in context.config.wikis if wiki is None or w == wiki]
        wikis += [p.wiki for p in store.pages(tracked_only=True, wiki=wiki) if p.wiki not in wikis]
    polled = added = checked = new_revisions = changed = changes = 0
    for wiki_name in wikis:
        group = [p for p in pages if p.wiki == wiki_name] if titles else None
        outcome = poll_wiki(context, wiki_name, group)
        polled += outcome.checked
        added += len(outcome.added)
        if verbose:
            for page in outcome.added:
                click.echo(f"{wiki_name}: {page.title!r}: added (listed in the config)")
        for problem in outcome.problems:
            click.echo(f"Warning: {problem}", err=True)
        failed = failed or bool(outcome.problems)
        if outcome.error is not None:
            click.echo(f"Error: {outcome.error}", err=True)
            failed = True
            continue
        checked += outcome.checked
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
        if verbose:
            for line in outcome.article_lines():
                click.echo(line)
        new_revisions += outcome.new_revisions
        changed += sum(1 for r in outcome.results if r.added and not r.problem)
        changes += outcome.changes
    if checked or added:
        click.echo(
            (f"{plural(added, 'article')} added (listed in the config); " if added else "")
            + f"{plural(checked, 'article')} checked: {plural(new_revisions, 'new revision')}"
            + (f" in {plural(changed, 'article')}" if new_revisions else "")
            + f", {plural(changes, 'change')} in the facts"
        )
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
    from ..sources.sync import add_page, backfill_page

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
    if wiki is not None and not is_wiki_name(wiki):
        raise click.BadParameter(WIKI_NAME_RULE, param_hint="--wiki")
    from ..sources.importer import import_dump

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
        for problem in result.problems:  # Error: something was left out; Warning: not
            click.echo(f"{'Error' if problem.lost else 'Warning'}: {problem.message}", err=True)
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
