"""Commands that show the history: report (static HTML), serve (live)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from ..context import Context
from ..errors import WikimonError
from ..fields import GROUPS
from ..report import DEFAULT_TIMEOUT
from ..report.feeds import DEFAULT_LIMIT, FeedFilter, build_feed  # no jinja2: starts fast
from ..wording import plural
from .base import cli, human_size, note_lagging, pass_context, wiki_option


@cli.command()
@click.argument("titles", nargs=-1)
@click.option("--out", "out", default="report", show_default=True, metavar="DIR",
              type=click.Path(), help="Where to write the report.")  # fmt: skip
@click.option("--full", is_flag=True,
              help="Rewrite every page, not only those of the articles changed since the "
                   "last report in DIR.")  # fmt: skip
@wiki_option("Wiki name, when a title is stored for several.")
@pass_context
def report(
    context: Context, titles: tuple[str, ...], out: str, full: bool, wiki: str | None
) -> None:
    """Write the history report of TITLEs (default: every stored article) as static HTML:
    open DIR/index.html in a browser, online or not. A second run into the same DIR
    rewrites only the articles changed since, and deletes pages that no longer exist."""
    store = context.reader()
    pages = [context.page(t, wiki) for t in titles] if titles else None
    note_lagging(context.bring_up_to_date(pages))
    if os.path.exists(out) and not os.path.isdir(out):
        raise WikimonError(f"--out {out}: is a file, not a directory")
    from ..report.pages import Report
    from ..report.site import write_report

    report = Report(store, context.config, pages)
    hidden = not sys.stderr.isatty()  # a bar on a terminal only
    try:
        with click.progressbar(
            length=len(report.pages), label="Writing the report", file=sys.stderr,
            hidden=hidden,
        ) as bar:  # fmt: skip
            done = write_report(report, Path(out), full=full, progress=bar.update)
    except OSError as error:  # a file in the way, no permission, disk full…
        where = error.filename or out
        raise WikimonError(f"cannot write the report to {where}: {error.strerror}") from None
    summary = f"Wrote {plural(done.files, 'file')} ({human_size(done.bytes)}) to {out}/"
    if done.again:  # say what an incremental run did
        summary += f": {plural(done.articles, 'article')} rewritten, {done.unchanged} unchanged"
        summary += f"; {plural(done.removed, 'old file')} removed" if done.removed else ""
    click.echo(summary + ".")
    click.echo(f"Open {Path(out) / 'index.html'} in a browser, or run `wikimon serve`.")


@cli.command()
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535),
              help="Port on 127.0.0.1 (0: any free port).")  # fmt: skip
@click.option("--timeout", default=DEFAULT_TIMEOUT, show_default=True, metavar="SECONDS",
              type=click.FloatRange(min=0.1), help="How long a client has to send its "
              "request, and for each read and write, before it is disconnected.")  # fmt: skip
@pass_context
def serve(context: Context, port: int, timeout: float) -> None:
    """Serve the history report live from the database on 127.0.0.1, until Ctrl-C: new
    revisions appear without regenerating anything. Each connection is served by a thread
    of its own, with a time limit."""
    note_lagging(context.bring_up_to_date())
    context.close()
    from ..report.serve import make_report_server

    try:
        server = make_report_server(context.db_path, context.config, port, timeout=timeout)
    except OSError as error:
        raise WikimonError(f"cannot listen on 127.0.0.1:{port}: {error.strerror}") from None
    click.echo(f"Serving the report on http://127.0.0.1:{server.server_port}/ (Ctrl-C stops)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@cli.command()
@click.argument("title")
@click.option("--field", "glob", metavar="GLOB", help="Only fields matching GLOB, e.g. "
              "'casualties*'.")  # fmt: skip
@click.option("--group", type=click.Choice(list(GROUPS)), help="Only this field group.")
@click.option("--limit", default=DEFAULT_LIMIT, show_default=True, type=click.IntRange(1),
              help="At most this many entries (the newest).")  # fmt: skip
@wiki_option("Wiki name, when the title is stored for several.")
@pass_context
def feed(
    context: Context, title: str, glob: str | None, group: str | None, limit: int,
    wiki: str | None,
) -> None:  # fmt: skip
    """Print an Atom 1.0 feed of TITLE's changes: one entry per revision that changed its
    facts, newest first (`wikimon serve` serves the same at WIKI/PAGEID/feed.atom)."""
    if glob and group:
        raise click.UsageError("give --field or --group, not both")
    page = context.page(title, wiki)
    note_lagging(context.bring_up_to_date([page]))
    wanted = FeedFilter(group=group, glob=glob)
    click.echo(build_feed(context.reader(), context.config, page, wanted, limit=limit), nl=False)
