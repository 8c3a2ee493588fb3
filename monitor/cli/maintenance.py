"""Commands that look after the database itself: check, vacuum."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import click

from storage import Store, StoreError
from storage.integrity import (
    MAX_FINDINGS,
    DamagedDatabase,
    RevisionCheck,
    check_revisions,
    foreign_key_check,
    integrity_check,
    is_damage,
)

from ..context import Context
from ..errors import WikimonError
from ..wording import escape, plural
from .base import cli, pass_context

SHOWN = 20  # problems of one kind listed; the rest are counted


@cli.command()
@pass_context
def check(context: Context) -> None:
    """Check the database for damage: SQLite's integrity check, then every stored
    revision read back (its text decodes and matches its sha1, its time is possible).
    Reads only; exits 1 when something is damaged."""
    path = Path(context.db_path)
    if not path.is_file():
        raise WikimonError(f"no database at {path} (pass --db PATH)")
    damage: list[str] = []  # a summary of each kind of problem
    if path.stat().st_size == 0:
        click.echo(f"{path}: the file is empty (0 bytes): not a database, or one cut short")
        damage.append("an empty file")
    else:
        damage += _sqlite_checks(path)
        if not damage or not damage[0].startswith("a file SQLite cannot read"):
            damage += _revision_checks(context, path)
    if damage:
        click.echo(f"{path} is damaged: {'; '.join(damage)}. Restore it from a backup.")
        sys.exit(1)
    click.echo("No damage found.")


@cli.command()
@pass_context
def vacuum(context: Context) -> None:
    """Rewrite the database compactly (SQLite's VACUUM, in 2 KB pages): frees the room of
    deleted rows, and brings a database made by a wikimon before 2 KB pages to them.
    Needs the database to itself: run it when no import, daemon job or `serve` request is
    using it."""
    store = context.store(must_exist=True)
    before, pages_before = store.file_size(), store.page_size()
    store.vacuum()
    after, pages_after = store.file_size(), store.page_size()
    moved = f", pages of {pages_before:,} → {pages_after:,} bytes"
    click.echo(
        f"{context.db_path}: {before:,} → {after:,} bytes"
        + (moved if pages_before != pages_after else "")
    )


def _sqlite_checks(path: Path) -> list[str]:
    findings = integrity_check(path)
    if findings == ["ok"]:
        click.echo(f"{path}: PRAGMA integrity_check: ok")
    elif findings[0].startswith("cannot run it"):
        click.echo(f"{path}: PRAGMA integrity_check: {escape(findings[0])}")
        return [
            f"a file SQLite cannot read ({escape(findings[0].removeprefix('cannot run it: '))})"
        ]
    else:
        more = " (the first; there are more)" if len(findings) >= MAX_FINDINGS else ""
        click.echo(f"{path}: PRAGMA integrity_check: {plural(len(findings), 'problem')}{more}")
        _list([escape(finding) for finding in findings])
    orphans = foreign_key_check(path)
    if orphans:
        click.echo(f"{path}: PRAGMA foreign_key_check: {plural(len(orphans), 'problem')}")
        _list([escape(orphan) for orphan in orphans])
    damage = []
    if findings != ["ok"]:
        damage.append(f"{plural(len(findings), 'problem')} in SQLite's structures")
    if orphans:
        damage.append(f"{plural(len(orphans), 'row')} referring to missing rows")
    return damage


def _revision_checks(context: Context, path: Path) -> list[str]:
    try:
        store = Store(path, readonly=True, clock=context.clock)
    except DamagedDatabase as error:
        click.echo(f"{path}: cannot be opened: {escape(error.what)}")
        return ["it cannot be opened"]
    except StoreError as error:  # not wikimon's, an older or newer wikimon's…
        raise WikimonError(str(error)) from None
    try:
        hidden = not sys.stderr.isatty()
        with click.progressbar(
            length=_revision_count(store), label="Reading every revision back",
            file=sys.stderr, hidden=hidden,
        ) as bar:  # fmt: skip
            result = check_revisions(store, bar.update)
    except sqlite3.DatabaseError as error:
        if not is_damage(error):
            raise
        click.echo(f"{path}: reading the revisions failed: {escape(str(error))}")
        return ["its revisions cannot all be read"]
    finally:
        store.close()
    _say(path, result)
    if not result.problems:
        return []
    return [f"{plural(len({(p.page.id, p.revid) for p in result.problems}), 'revision')} "
            "with a problem"]  # fmt: skip


def _revision_count(store: Store) -> int:
    return sum(store.revision_count(page) for page in store.pages())


def _say(path: Path, result: RevisionCheck) -> None:
    sha1s = f"{result.sha1s} match their sha1"
    if result.flagged:
        sha1s += f" ({result.flagged} more were flagged as not matching when imported)"
    click.echo(
        f"{path}: {plural(result.revisions, 'revision')} of {plural(result.pages, 'page')} "
        f"read back: {plural(result.texts, 'text')}, {result.decoded} decoded, {sha1s}"
    )
    _list(
        [
            f"revision {problem.revid} of {escape(repr(problem.page.title))} "
            f"({escape(problem.page.wiki)}): {escape(problem.problem)}"
            for problem in result.problems
        ]
    )


def _list(lines: list[str]) -> None:
    for line in lines[:SHOWN]:
        click.echo(f"  {line}")
    if len(lines) > SHOWN:
        click.echo(f"  … and {len(lines) - SHOWN} more")
