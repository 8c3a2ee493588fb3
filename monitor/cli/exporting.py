"""Commands that take data out in bulk: export (tables of the change log or the facts),
cube (the change log of whole dumps, on Dask), datasette-metadata."""

from __future__ import annotations

import fnmatch
import os
import sys
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import click
import yaml

from ..context import Context
from ..errors import WikimonError
from ..export.tables import (
    CHANGE_COLUMNS,
    FACT_COLUMNS,
    FORMATS,
    Column,
    Record,
    TableWriter,
    change_record,
    fact_records,
    format_for,
)
from ..wording import plural
from .base import cli, human_size, note_lagging, parse_date, pass_context, wiki_option


@cli.command()
@click.argument("titles", nargs=-1)
@click.option("--out", "out", required=True, metavar="FILE",
              help="The file to write (- for standard output: CSV, JSON Lines).")  # fmt: skip
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
              help="parquet, csv or jsonl [default: from the file name].")  # fmt: skip
@click.option("--facts", "facts", is_flag=True,
              help="The facts of each revision (one row per value), not the changes.")  # fmt: skip
@click.option("--since", metavar="DATE", help="Only revisions at or after DATE (UTC).")
@click.option("--until", metavar="DATE", help="Only revisions before DATE (UTC).")
@click.option("--field", "fields", multiple=True, metavar="NAME",
              help="Only this field, or pattern: 'casualties*' (repeatable).")  # fmt: skip
@wiki_option("Only articles on this wiki.")
@pass_context
def export(
    context: Context,
    titles: tuple[str, ...],
    out: str,
    fmt: str | None,
    facts: bool,
    since: str | None,
    until: str | None,
    fields: tuple[str, ...],
    wiki: str | None,
) -> None:
    """Write the change records of TITLEs (default: every stored article) as a table:
    Parquet, CSV or JSON Lines, one row per change record; --facts writes the facts of
    each revision instead."""
    fmt = format_for(out, fmt)
    start, end = parse_date(since), parse_date(until)
    data = context.data()
    pages = data.pages_of(titles or None, wiki)
    note_lagging(context.bring_up_to_date(pages))

    def rows() -> Iterator[Record]:
        for page in pages:
            if facts:
                infobox = context.config.infobox_for(page.wiki, page.title)
                for snapshot in data.history(page, start, end, infobox=infobox):
                    for record in fact_records(snapshot):
                        if not fields or any(
                            fnmatch.fnmatchcase(record["field"], f) for f in fields
                        ):
                            yield record
            else:
                for change in data.changes(page, start, end, fields or None):
                    yield change_record(change)
            bar.update(1)

    hidden = not sys.stderr.isatty() or out == "-"
    columns = FACT_COLUMNS if facts else CHANGE_COLUMNS
    with (
        click.progressbar(
            length=len(pages), label="Exporting", file=sys.stderr, hidden=hidden
        ) as bar,  # fmt: skip
        _writer(out, fmt, columns) as writer,
    ):
        for record in rows():
            writer.write(record)
    if out == "-":
        return
    what = plural(writer.rows, "fact row" if facts else "change record")
    size = human_size(os.path.getsize(out))
    click.echo(f"Wrote {what} of {plural(len(pages), 'article')} to {out} ({fmt}, {size})")


def _writer(out: str, fmt: str, columns: list[Column]) -> TableWriter:
    try:
        return TableWriter(out, fmt, columns)
    except OSError as error:  # no such directory, no permission…
        raise WikimonError(f"--out {out}: cannot write it ({error.strerror})") from None


@cli.command("datasette-metadata")
@click.option("--out", "out", default="-", show_default=True, metavar="FILE",
              help="Where to write it (- for standard output).")  # fmt: skip
@pass_context
def datasette_metadata(context: Context, out: str) -> None:
    """Print datasette's metadata for the database (titles, descriptions, facets of the
    views changes_view, facts_now and revisions_view): datasette wikimon.db --metadata FILE."""
    metadata = yaml.safe_load(resources.files("monitor").joinpath("metadata.yml").read_text())
    # datasette names a database after its file
    name = Path(context.db_path).stem
    metadata["databases"] = {name: metadata["databases"]["wikimon"]}
    text = yaml.safe_dump(metadata, sort_keys=False, allow_unicode=True, width=88)
    if out == "-":
        click.echo(text, nl=False)
        return
    try:
        Path(out).write_text(text, encoding="utf-8")
    except OSError as error:
        raise WikimonError(f"--out {out}: cannot write it ({error.strerror})") from None
    click.echo(f"Wrote datasette's metadata for {name} to {out}")
