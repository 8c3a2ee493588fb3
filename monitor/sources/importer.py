"""Importing MediaWiki XML exports into the store, streaming and resumable."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from storage import Page, Revision, RevisionWriter, Store, WikiRow, sha1_hex

from ..config import Config, is_wiki_name, wiki_name
from ..errors import DumpError
from .xmldump import DumpPage, DumpProblem, DumpRevision, SiteInfo, read_dump

BATCH_REVISIONS = 200
BATCH_BYTES = 8 << 20  # commit at least every 8 MB of text: bounds memory


@dataclass
class ImportResult:
    path: str
    wiki: str | None = None
    pages: int = 0
    added: int = 0
    skipped: int = 0  # already stored
    problems: list[DumpProblem] = field(default_factory=list)  # in file order
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Everything the file holds is stored (perhaps with warnings: a bad byte
        replaced…)."""
        return not any(problem.lost for problem in self.problems) and self.error is None


def _identity(revision: Revision) -> str | None:
    """What tells two texts of one revision apart: its sha1 as wikimon records it (the
    declared one, else its text's); None when the text is hidden."""
    if revision.text is None:
        return None
    return revision.sha1 or sha1_hex(revision.text.encode("utf-8"))


def _conflicting(first: str | None, revision: Revision) -> bool:
    """Two texts of one revision (a text and a hidden one are not a conflict)."""
    if first is None:
        return False  # the common case: hash nothing (the writer hashes every text once)
    identity = _identity(revision)
    return identity is not None and first != identity


def wiki_for_export(
    config: Config, siteinfo: SiteInfo | None, known: Iterable[WikiRow] = ()
) -> str:
    """Which wiki an export belongs to: the configured wiki on the same host, else a
    ``known`` one (stored) on that host, else one named after the export's database name
    (enwiki, dewiki…), else its host."""
    host = urlsplit(siteinfo.base).netloc if siteinfo and siteinfo.base else ""
    if host:
        configured = config.wiki_for_host(host)
        if configured is not None:
            return configured.name
        for wiki in known:
            if wiki.base_url and urlsplit(wiki.base_url).netloc == host:
                return wiki.name
    if siteinfo and siteinfo.dbname:
        return wiki_name(siteinfo.dbname)
    return wiki_name(host) if host else "imported"


class _PageImport:
    """One ``<page>`` of the export, written in batches that bound memory.

    The page is created (or found by its page id) at its first write, and never renamed
    then: an older export must not rename a page back. Only at the page's end, when the
    export's newest revision is at least as new as every stored one, do its title and
    redirect become the page's current ones.
    """

    def __init__(self, store: Store, path: str, wiki: str, item: DumpPage):
        assert item.page_id is not None
        self.store, self.path, self.wiki = store, path, wiki
        self.item, self.page_id = item, item.page_id
        self.page: Page | None = None
        self.writer: RevisionWriter | None = None
        self.revisions: list[DumpRevision] = []
        self.batch: dict[int, DumpRevision] = {}  # the batch's revisions by revid
        self.bytes = 0
        self.newest: str | None = None  # the newest revision timestamp in this export
        self.problems: list[DumpProblem] = []  # one revision with two texts

    def add(self, revision: DumpRevision) -> int:
        if self.newest is None or revision.timestamp > self.newest:
            self.newest = revision.timestamp
        first = self.batch.get(revision.revid)
        if first is not None:  # twice in a row; earlier batches are checked in the database
            if _conflicting(_identity(first), revision):
                self.problems.append(self._conflict(revision, f"at line {first.line}"))
            return 0  # the first one is kept: counted as already stored
        self.batch[revision.revid] = revision
        self.revisions.append(revision)
        self.bytes += len(revision.text or "")
        if len(self.revisions) >= BATCH_REVISIONS or self.bytes >= BATCH_BYTES:
            return self.flush()
        return 0

    def _conflict(self, revision: DumpRevision, first: str) -> DumpProblem:
        return DumpProblem(
            f"{self.path}:{revision.line}: revision {revision.revid} of {self.item.title!r} "
            f"has another text {first}; the first one is kept, this one is not imported"
        )

    def flush(self) -> int:
        if self.writer is None:
            # seen_at: the title was in use at least when the newest revision so far was made
            self.page = self.store.upsert_page(
                self.wiki, self.page_id, self.item.title, self.item.ns,
                rename=False, seen_at=self.newest,
            )  # fmt: skip
            self.writer = self.store.writer(self.page)
        assert self.page is not None
        # A revision stored by an earlier import (or a poll) with another text is not
        # replaced, and not silently skipped either.
        stored = self.store.revision_sha1s(self.page, list(self.batch))
        for revision in self.revisions:
            if _conflicting(stored.get(revision.revid), revision):
                where = "stored (by an earlier import, a poll or earlier in this file)"
                self.problems.append(self._conflict(revision, where))
        added = self.writer.write(self.revisions) if self.revisions else 0
        self.revisions, self.batch, self.bytes = [], {}, 0
        return added

    def finish(self) -> int:
        """Store the rest; rename and set the redirect if this export is the newest."""
        added = self.flush()
        assert self.page is not None
        latest = self.store.latest_revision(self.page)
        if latest is None or (self.newest is not None and self.newest >= latest.timestamp):
            if self.page.title != self.item.title:
                self.page = self.store.upsert_page(
                    self.wiki, self.page_id, self.item.title, self.item.ns,
                    rename=True, seen_at=self.newest,
                )  # fmt: skip
            if self.item.redirect is not None:
                self.store.set_redirect(self.page, self.item.redirect or None)
        return added


def import_dump(
    store: Store,
    config: Config,
    path: str | os.PathLike[str],
    wiki: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Import one export file. Problems are collected in the result; a fatal one (broken XML,
    truncated file) stops the import after storing every complete revision before it."""
    result = ImportResult(os.fspath(path))
    import_id = store.record_import(result.path)
    siteinfo: SiteInfo | None = None
    current: _PageImport | None = None  # None while a skipped page's revisions go by
    titles: dict[int, tuple[str, int]] = {}  # page id -> (its first title in the file, line)
    seen = 0

    def store_page(done: _PageImport, finish: bool = True) -> None:
        result.added += done.finish() if finish else done.flush()
        result.problems += done.problems
        done.problems = []

    try:
        # Read and stored in turn, in one thread: parsing and storing both mostly hold the
        # GIL, and a reading thread beside the import made it a fifth slower, not faster.
        for item in read_dump(path, progress, now=store.clock()):
            if isinstance(item, DumpRevision):
                if current is None:
                    continue  # its page was skipped and reported
                seen += 1
                result.added += current.add(item)
                result.problems += current.problems
                current.problems = []
            elif isinstance(item, DumpPage):
                if current is not None:
                    store_page(current)
                    current = None
                if result.wiki is None:
                    result.wiki = wiki or wiki_for_export(config, siteinfo, store.wikis())
                    dbname = siteinfo.dbname if siteinfo else None
                    if wiki is None and dbname and not is_wiki_name(dbname):
                        result.problems.append(
                            DumpProblem(
                                f"{result.path}: the export's <dbname> {dbname!r} is not a "
                                "plain name (letters, digits, '.', '_', '-'); its pages are "
                                f"stored under the wiki name {result.wiki!r}",
                                lost=False,
                            )
                        )
                    store.ensure_wiki(
                        result.wiki,
                        base_url=siteinfo.base if siteinfo else None,
                        dbname=siteinfo.dbname if siteinfo else None,
                        case_sensitive=siteinfo.case == "case-sensitive"
                        if siteinfo and siteinfo.case
                        else None,
                        namespaces=siteinfo.namespaces
                        if siteinfo and siteinfo.namespaces
                        else None,
                    )
                if item.page_id is None:
                    result.problems.append(
                        DumpProblem(
                            f"{result.path}:{item.line}: page {item.title!r} has no <id>; "
                            "skipped (wikimon needs page ids: export with Special:Export or "
                            "use a dump)"
                        )
                    )
                    continue
                first = titles.setdefault(item.page_id, (item.title, item.line))
                if first[0] != item.title:
                    result.problems.append(
                        DumpProblem(
                            f"{result.path}:{item.line}: page id {item.page_id} is "
                            f"{item.title!r} here but {first[0]!r} at line {first[1]}: one "
                            "page under two titles; their revisions are stored as one page's, "
                            "under the title of its newest revision",
                            lost=False,
                        )
                    )
                current = _PageImport(store, result.path, result.wiki, item)
                result.pages = len(titles)  # a page may come in several <page>s
            elif isinstance(item, SiteInfo):
                siteinfo = item
            elif isinstance(item, DumpProblem):
                result.problems.append(item)
        if current is not None:
            store_page(current)
            current = None
    except DumpError as error:
        result.error = str(error)
        if current is not None:
            # the export's title is as of its making: newer than any revision read from it
            store_page(current)
            current = None
    finally:
        # Everything complete is stored, even when the file breaks off or on Ctrl-C.
        if current is not None:
            store_page(current, finish=False)
        result.skipped = seen - result.added
        messages = [problem.message for problem in result.problems]
        store.finish_import(
            import_id,
            pages=result.pages,
            revisions_added=result.added,
            revisions_skipped=result.skipped,
            error=result.error or ("\n".join(messages) or None),
        )
    return result
