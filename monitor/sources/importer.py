"""Importing MediaWiki XML exports into the store, streaming and resumable."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from storage import Page, Revision, RevisionWriter, Store, WikiRow

from ..config import Config
from ..errors import DumpError
from .xmldump import DumpPage, DumpProblem, SiteInfo, read_dump

BATCH_REVISIONS = 200
BATCH_BYTES = 8 << 20  # commit at least every 8 MB of text: bounds memory


@dataclass
class ImportResult:
    path: str
    wiki: str | None = None
    pages: int = 0
    added: int = 0
    skipped: int = 0  # already stored
    problems: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems and self.error is None


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
        return siteinfo.dbname
    return host or "imported"


class _PageImport:
    """One ``<page>`` of the export, written in batches that bound memory.

    The page is created (or found by its page id) at its first write, and never renamed
    then: an older export must not rename a page back. Only at the page's end, when the
    export's newest revision is at least as new as every stored one, do its title and
    redirect become the page's current ones.
    """

    def __init__(self, store: Store, wiki: str, item: DumpPage):
        assert item.page_id is not None
        self.store, self.wiki, self.item, self.page_id = store, wiki, item, item.page_id
        self.page: Page | None = None
        self.writer: RevisionWriter | None = None
        self.revisions: list[Revision] = []
        self.bytes = 0
        self.newest: str | None = None  # the newest revision timestamp in this export

    def add(self, revision: Revision) -> int:
        if self.newest is None or revision.timestamp > self.newest:
            self.newest = revision.timestamp
        self.revisions.append(revision)
        self.bytes += len(revision.text or "")
        if len(self.revisions) >= BATCH_REVISIONS or self.bytes >= BATCH_BYTES:
            return self.flush()
        return 0

    def flush(self) -> int:
        if self.writer is None:
            # seen_at: the title was in use at least when the newest revision so far was made
            self.page = self.store.upsert_page(
                self.wiki, self.page_id, self.item.title, self.item.ns,
                rename=False, seen_at=self.newest,
            )  # fmt: skip
            self.writer = self.store.writer(self.page)
        added = self.writer.write(self.revisions) if self.revisions else 0
        self.revisions, self.bytes = [], 0
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
    seen = 0
    try:
        for item in read_dump(path, progress):
            if isinstance(item, Revision):
                if current is None:
                    continue  # its page was skipped and reported
                seen += 1
                result.added += current.add(item)
            elif isinstance(item, DumpPage):
                if current is not None:
                    result.added += current.finish()
                    current = None
                if result.wiki is None:
                    result.wiki = wiki or wiki_for_export(config, siteinfo, store.wikis())
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
                        f"{result.path}:{item.line}: page {item.title!r} has no <id>; skipped "
                        "(wikimon needs page ids: export with Special:Export or use a dump)"
                    )
                    continue
                current = _PageImport(store, result.wiki, item)
                result.pages += 1
            elif isinstance(item, SiteInfo):
                siteinfo = item
            elif isinstance(item, DumpProblem):
                result.problems.append(item.message)
        if current is not None:
            result.added += current.finish()
            current = None
    except DumpError as error:
        result.error = str(error)
        if current is not None:
            # the export's title is as of its making: newer than any revision read from it
            result.added += current.finish()
            current = None
    finally:
        # Everything complete is stored, even when the file breaks off or on Ctrl-C.
        if current is not None:
            result.added += current.flush()
        result.skipped = seen - result.added
        store.finish_import(
            import_id,
            pages=result.pages,
            revisions_added=result.added,
            revisions_skipped=result.skipped,
            error=result.error or ("\n".join(result.problems) or None),
        )
    return result
