"""Importing MediaWiki XML exports into the store, streaming and resumable."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from storage import Page, Revision, RevisionWriter, Store

from .config import Config
from .errors import DumpError
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


def wiki_for_export(store: Store, config: Config, siteinfo: SiteInfo | None) -> str:
    """Which wiki an export belongs to: the configured wiki on the same host, else one
    named after the export's database name (enwiki, dewiki…)."""
    host = urlsplit(siteinfo.base).netloc if siteinfo and siteinfo.base else ""
    if host:
        configured = config.wiki_for_host(host)
        if configured is not None:
            return configured.name
        for wiki in store.wikis():
            if wiki["base_url"] and urlsplit(wiki["base_url"]).netloc == host:
                return wiki["name"]
    if siteinfo and siteinfo.dbname:
        return siteinfo.dbname
    return host or "imported"


class _Batch:
    def __init__(self, writer: RevisionWriter):
        self.writer = writer
        self.revisions: list[Revision] = []
        self.bytes = 0

    def add(self, revision: Revision) -> int:
        self.revisions.append(revision)
        self.bytes += len(revision.text or "")
        if len(self.revisions) >= BATCH_REVISIONS or self.bytes >= BATCH_BYTES:
            return self.flush()
        return 0

    def flush(self) -> int:
        added = self.writer.write(self.revisions) if self.revisions else 0
        self.revisions, self.bytes = [], 0
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
    batch: _Batch | None = None
    page: Page | None = None
    seen = 0
    try:
        for item in read_dump(path, progress):
            if isinstance(item, Revision):
                if batch is None:
                    continue  # its page was skipped and reported
                seen += 1
                result.added += batch.add(item)
            elif isinstance(item, DumpPage):
                if batch is not None:
                    result.added += batch.flush()
                if result.wiki is None:
                    result.wiki = wiki or wiki_for_export(store, config, siteinfo)
                    store.ensure_wiki(
                        result.wiki,
                        base_url=siteinfo.base if siteinfo else None,
                        dbname=siteinfo.dbname if siteinfo else None,
                    )
                if item.page_id is None:
                    result.problems.append(
                        f"{result.path}:{item.line}: page {item.title!r} has no <id>; skipped "
                        "(wikimon needs page ids: export with Special:Export or use a dump)"
                    )
                    batch = page = None
                    continue
                page = store.upsert_page(result.wiki, item.page_id, item.title, item.ns)
                if item.redirect is not None:
                    store.set_redirect(page, item.redirect or None)
                batch = _Batch(store.writer(page))
                result.pages += 1
            elif isinstance(item, SiteInfo):
                siteinfo = item
            elif isinstance(item, DumpProblem):
                result.problems.append(item.message)
    except DumpError as error:
        result.error = str(error)
    finally:
        # Everything complete is stored, even when the file breaks off or on Ctrl-C.
        if batch is not None:
            result.added += batch.flush()
        result.skipped = seen - result.added
        store.finish_import(
            import_id,
            pages=result.pages,
            revisions_added=result.added,
            revisions_skipped=result.skipped,
            error=result.error or ("\n".join(result.problems) or None),
        )
    return result
