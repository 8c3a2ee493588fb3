"""The ``wikimon`` group: global options, one-line errors, and what commands share
(options, output helpers). The commands live in the modules beside this one, by role."""

from __future__ import annotations

import json
import logging
import sqlite3
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from storage import Page, StoreError, system_clock

from .. import __version__
from ..addresses import is_address
from ..context import Context
from ..database import moment
from ..errors import WikimonError
from ..wording import escape, escape_json, plural

F = TypeVar("F", bound=Callable[..., Any])  # a command's function, as click decorates it


class WikimonGroup(click.Group):
    """Turns WikimonError into one line on stderr and its exit code: no tracebacks."""

    def invoke(self, ctx: click.Context) -> Any:
        # every message on one line, whatever a wiki or a damaged file put in it
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except WikimonError as error:
            click.echo(f"Error: {escape(str(error))}", err=True)
            ctx.exit(error.exit_code)
        except StoreError as error:
            click.echo(f"Error: {escape(str(error))}", err=True)
            ctx.exit(1)
        except Exception as error:
            # a damaged database fails wherever it is read: say so, not where
            context = ctx.obj if isinstance(ctx.obj, Context) else None
            damage = context.damage(error) if context is not None else None
            if damage is not None:
                click.echo(f"Error: {escape(str(damage))}", err=True)
                ctx.exit(1)
            if not isinstance(error, sqlite3.OperationalError):
                raise  # a bug: the traceback is what helps
            # locked for longer than the busy timeout, read-only file system, disk full…
            db = context.db_path if context is not None else "the database"
            click.echo(f"Error: {db}: {escape(str(error))}", err=True)
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
@click.option(
    "-v",
    "--verbose",
    is_flag=True,
    help="Log API retries and warnings; poll and run also report each article.",
)
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
    # A test may invoke the group with its clock as obj (CliRunner.invoke(..., obj=clock)).
    clock = ctx.obj if callable(ctx.obj) else system_clock
    ctx.obj = Context(config_path, db_path, clock=clock)
    ctx.call_on_close(ctx.obj.close)  # the connections go with the command, not the process
    ctx.obj.config  # noqa: B018 - a broken config is reported before any command runs


def wiki_option(help_text: str) -> Callable[[F], F]:
    return click.option("--wiki", metavar="NAME", help=help_text)


def parse_date(value: str | None) -> str | None:
    try:
        return moment(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


def checked_address(value: str) -> str:
    if not is_address(value):
        raise click.BadParameter(f"{value!r} is not an e-mail address such as you@example.org")
    return value


def echo_json(value: Any) -> None:
    """Wiki text as JSON escapes it, and the separators and bidi controls too."""
    click.echo(escape_json(json.dumps(value, ensure_ascii=False, indent=2)))


def print_table(headers: list[str], rows: list[list[Any]]) -> None:
    """Aligned columns; every cell escaped (a title with a line break stays in its row)."""
    cells = [[escape(str(c)) if c is not None else "" for c in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    for row in [headers] + cells:
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


def human_size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    size = n / 1024
    for unit in ("KB", "MB"):
        if size < 1024:
            return f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


def note_lagging(pages: list[Page]) -> None:
    """Readers show what is recorded; say so when a change log lags behind its revisions
    (another process holds the write lock, or the database cannot be written)."""
    if not pages:
        return
    more = f" and {plural(len(pages) - 1, 'more article')}" if len(pages) > 1 else ""
    click.echo(
        f"Note: the change log of {pages[0].title!r}{more} is behind its stored revisions "
        "(the database is being written, or cannot be written now); what is shown may miss "
        "the newest changes",
        err=True,
    )


def main() -> None:
    cli()
