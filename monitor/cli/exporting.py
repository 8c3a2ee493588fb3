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
    import yaml

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


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--out", "out", required=True, metavar="DIR", type=click.Path(file_okay=False),
              help="Where to write the Parquet dataset (by wiki and by file).")  # fmt: skip
@click.option("--workers", type=click.IntRange(1), metavar="N",
              help="Worker processes of a local Dask cluster [default: one per CPU].")  # fmt: skip
@click.option("--scheduler", metavar="ADDRESS",
              help="Run on this Dask cluster instead, e.g. tcp://HOST:8786.")  # fmt: skip
@pass_context
def cube(
    context: Context,
    files: tuple[str, ...],
    out: str,
    workers: int | None,
    scheduler: str | None,
) -> None:
    """The change records of whole MediaWiki dump files (any compression import reads),
    one Dask task per file, as Parquet under DIR: no database. Files finished by an
    earlier run are skipped, so a re-run resumes."""
    if workers is not None and scheduler is not None:
        raise click.UsageError("--workers and --scheduler exclude each other")
    from ..export.cube import FileResult, run_cube, source_name  # Dask and zstd: here only

    names: dict[str, str] = {}
    for path in files:
        if not os.path.isfile(path):
            raise WikimonError(f"{path}: no such file")
        other = names.setdefault(source_name(path), path)
        if other != path:
            raise WikimonError(
                f"{other} and {path} have the same name: the output is partitioned by file "
                "name; rename one"
            )
    failed = False

    def report(result: FileResult) -> None:
        nonlocal failed
        if result.skipped:  # its problems were reported by the run that did it
            warned = f" (with {plural(len(result.problems), 'warning')})" if result.problems else ""
            click.echo(f"{result.path}: done by an earlier run{warned}, skipped")
            return
        failed = failed or not result.ok
        for problem in result.problems:
            click.echo(f"Warning: {problem}", err=True)
        if result.wiki is not None or result.error is None:
            click.echo(
                f"{result.path}: {plural(result.pages, 'page')}, "
                f"{plural(result.revisions, 'revision')}, "
                f"{plural(result.records, 'change record')}"
                + (f" ({result.wiki})" if result.wiki else "")
                + f" in {result.seconds:.1f} s"
            )
        if result.error:
            click.echo(f"Error: {result.error}", err=True)

    try:
        results = run_cube(
            list(files), out, context.config, workers=workers, scheduler=scheduler,
            on_result=report,
        )  # fmt: skip
    except OSError as error:
        where = f"the Dask scheduler at {scheduler}" if scheduler else "a local Dask cluster"
        raise WikimonError(f"cannot start or reach {where}: {error}") from None
    records = sum(r.records for r in results if not r.skipped)
    skipped = sum(r.skipped for r in results)
    click.echo(
        f"{plural(len(results) - skipped, 'file')} analysed"
        + (f", {skipped} skipped" if skipped else "")
        + f": {plural(records, 'change record')} written to {out}/"
    )
    if failed:
        sys.exit(1)
