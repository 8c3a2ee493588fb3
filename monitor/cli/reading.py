"""Commands that read the store: status, revisions, wikitext, changes, show, diff, reanalyze."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import click

from storage import MAX_REVID, ChangeRow

from ..context import Context
from ..database import diff as diff_texts
from ..database import is_revid
from ..errors import WikimonError
from ..wording import describe, escape, plural
from .base import (
    cli,
    echo_json,
    human_size,
    note_lagging,
    parse_date,
    pass_context,
    print_table,
    wiki_option,
)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="A JSON array, one object per article.")
@pass_context
def status(context: Context, as_json: bool) -> None:
    """What is stored: one line per article."""
    rows = context.data().pages()
    configured = {(a.wiki, a.title) for a in context.config.articles}
    rows = [
        replace(row, tracked=True)
        if (row.wiki, row.title) in configured and not row.deleted_at
        else row
        for row in rows
    ]
    keys = (
        "wiki", "page_id", "title", "revisions", "first_revid", "last_revid",
        "first_timestamp", "last_timestamp", "last_poll", "storage_bytes", "tracked",
    )  # fmt: skip
    if as_json:
        echo_json([{key: getattr(row, key) for key in keys} for row in rows])
        return
    if not rows:
        click.echo("Nothing stored yet: `wikimon add TITLE` or `wikimon import FILE`.")
        return
    print_table(
        ["wiki", "title", "revisions", "last revision", "last poll", "stored"],
        [
            [
                row.wiki,
                row.title + ("" if row.tracked else " (not tracked)"),
                row.revisions,
                f"{row.last_revid} {row.last_timestamp}" if row.last_revid else "-",
                row.last_poll or "never",
                human_size(row.storage_bytes),
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
    revisions = list(context.data().revisions(title, wiki))
    keys = (
        "revid", "parent_revid", "timestamp", "user", "comment", "minor", "size", "sha1",
        "texthidden", "userhidden", "commenthidden",
    )  # fmt: skip
    if as_json:
        echo_json([{key: getattr(row, key) for key in keys} for row in revisions])
        return
    rows = []
    for row in revisions:
        flags = "".join(
            flag
            for flag, on in (
                ("m", row.minor),
                ("T", row.texthidden),
                ("U", row.userhidden),
                ("C", row.commenthidden),
            )
            if on
        )
        user = "(hidden)" if row.userhidden else row.user or ""
        comment = "(hidden)" if row.commenthidden else row.comment or ""
        rows.append([row.revid, row.timestamp, flags, row.size, user, escape(comment, 60)])
    print_table(["revid", "timestamp", "flags", "size", "user", "comment"], rows)


@cli.command()
@click.argument("title")
@click.option(
    "--rev",
    "revid",
    type=click.IntRange(1, MAX_REVID),
    metavar="REVID",
    help="This revision [default: latest].",
)
@wiki_option("Wiki name, when the title is stored for several.")
@pass_context
def wikitext(context: Context, title: str, revid: int | None, wiki: str | None) -> None:
    """Print the exact stored wikitext of TITLE (the latest revision by default)."""
    text = context.data().wikitext(title, revid, wiki)
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
    note_lagging(context.bring_up_to_date([page]))
    rows = list(
        context.data().changes(
            page.title,
            since=parse_date(since),
            until=parse_date(until),
            fields=[field] if field else None,
            wiki=page.wiki,
        )
    )
    if as_json:
        echo_json([row.to_json(page) for row in rows])
        return
    if not rows:
        click.echo(f"No changes in the facts of {page.title!r} for these criteria.")
        return
    for row in rows:
        click.echo(_change_line(row))


def _change_line(row: ChangeRow) -> str:
    marks = []
    if row.revert:
        marks.append(f"reverts to {row.revert.reverted_to}")
    if row.reverted_by:
        marks.append(f"reverted by {row.reverted_by}")
    user = row.user if row.user is not None else "(hidden)"
    return (
        f"{escape(row.timestamp)}  {row.revid}  {escape(user, 20)}  {escape(row.field)}  "
        f"{escape(describe(row), 90)}" + (f"  [{'; '.join(marks)}]" if marks else "")
    )


@cli.command()
@click.argument("title")
@click.option("--at", metavar="REVID|DATE", help="As of this revision or date [default: now].")
@wiki_option("Wiki name, when the title is stored for several.")
@click.option("--json", "as_json", is_flag=True, help="A JSON object.")
@pass_context
def show(context: Context, title: str, at: str | None, wiki: str | None, as_json: bool) -> None:
    """The facts in TITLE's infobox, now or as of a revision or date."""
    if at is not None and not is_revid(at):
        parse_date(at)  # a usage error, said as for --since
    page = context.page(title, wiki)
    infobox = context.config.infobox_for(page.wiki, page.title)
    snapshot = context.data().facts(page.title, at, page.wiki, infobox)
    meta, facts = snapshot.revision, snapshot.facts
    if at is not None and is_revid(at) and int(at) != meta.revid:
        click.echo(
            f"Note: revision {at} is revision-deleted; showing {meta.revid}, the last "
            "visible revision before it",
            err=True,
        )
    if as_json:
        echo_json(
            {
                "title": page.title,
                "page_id": page.page_id,
                "revid": meta.revid,
                "timestamp": meta.timestamp,
                "infobox": facts.infobox,
                "fields": facts.to_json(),
            }
        )
        return
    click.echo(
        f"{escape(page.title)} — {escape(facts.infobox or 'no infobox')}, as of revision "
        f"{meta.revid} ({escape(meta.timestamp)})"
    )
    for name, fact in facts.fields.items():
        if len(fact.items) > 1:
            click.echo(f"{escape(name)}:")
            for item in fact.items:
                click.echo(f"  • {escape(item.text)}")
        else:
            click.echo(f"{escape(name)}: {escape(fact.value)}")


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
    records = diff_texts(texts[0], texts[1], infobox)
    if as_json:
        echo_json([record.to_json() for record in records])
        return
    if not records:
        click.echo("No change in the infobox facts.")
    for record in records:
        click.echo(f"{escape(record.field)}  {record.kind}  {escape(describe(record))}")


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
