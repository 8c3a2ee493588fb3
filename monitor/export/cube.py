"""``wikimon cube``: the change log of whole dump files, one Dask task per file, written as
Parquet partitioned by wiki and source file — no SQLite store.

Each task streams its file (:func:`monitor.sources.xmldump.read_dump`) and runs each
page's revisions through the same pure analysis the store uses
(:class:`monitor.core.history.HistoryAnalyzer`), so its records equal what ``wikimon
import`` + ``wikimon export`` give for the same files. A page's revisions are analysed in
the store's order — by (timestamp, revid), each revid once — whatever the file's order:
they are spooled, zstd-compressed, to a temporary file while the page streams by, and
read back sorted. Memory holds one revision's text, the facts of the last one, the
metadata of the page's revisions and the records of the last :data:`REVERT_RADIUS`
revisions (a later identity revert may still mark them reverted).

Output, under DIR::

    wiki=enwiki/source=FILE/changes.parquet   one per dump file (wiki and source are the
                                              partition columns: not in the file)
    _success/FILE.json                        written last: FILE is done (counts, problems)

A file with a success marker (and the same size) is skipped, so a re-run does only what
is missing and a killed run resumes; a task that dies is re-run by Dask from the start of
its file, and replaces its partial output (hidden ``.`` files, which readers ignore).
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

import zstandard

from storage import ChangeRow, Page, Revert, Revision, sha1_hex
from storage.models import CHANGE_COLUMNS as CHANGE_RECORD_COLUMNS

from ..config import Config
from ..core.history import REVERT_RADIUS, HistoryAnalyzer
from ..database import PageChange
from ..errors import DumpError, WikimonError
from ..sources.importer import wiki_for_export
from ..sources.xmldump import DumpPage, DumpProblem, SiteInfo, read_dump
from .tables import CHANGE_COLUMNS, TableWriter, change_record

CUBE_HINT = "pip install 'wikimon[cube]'"
MARKERS = "_success"
PARTITION_COLUMNS = ("wiki",)  # in the directory names, not in the files
FILE_COLUMNS = [c for c in CHANGE_COLUMNS if c.name not in PARTITION_COLUMNS]


@dataclass
class FileResult:
    """What a task did with one dump file (also its success marker's contents)."""

    path: str
    source: str  # the file's name: its partition
    size: int = 0
    wiki: str | None = None
    pages: int = 0
    revisions: int = 0
    records: int = 0
    problems: list[str] = field(default_factory=list)
    lost: int = 0  # of the problems, those that left something out (else: a bad byte replaced…)
    error: str | None = None  # the file broke off here; everything before it was analysed
    seconds: float = 0.0
    skipped: bool = False  # finished by an earlier run

    @property
    def ok(self) -> bool:
        """Everything the file holds was analysed (perhaps with warnings), as for import."""
        return not self.lost and self.error is None


def source_name(path: str | os.PathLike[str]) -> str:
    return os.path.basename(os.fspath(path))


def marker_path(out: Path, source: str) -> Path:
    return out / MARKERS / f"{source}.json"


def finished(out: Path, path: str) -> FileResult | None:
    """The result of an earlier run that finished ``path`` (same name and size)."""
    marker = marker_path(out, source_name(path))
    try:
        recorded = FileResult(**json.loads(marker.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None
    if recorded.size != os.path.getsize(path):
        return None  # another file under the same name: do it again
    return replace(recorded, path=path, skipped=True)


# -- one file (runs on a Dask worker) ----------------------------------------------------------


class _PageSpool:
    """A page's revisions as they stream by: metadata in memory, texts compressed in a
    temporary file; read back in the store's order, each revid once (the first seen)."""

    def __init__(self, item: DumpPage, wiki: str, spool_dir: str | None):
        assert item.page_id is not None
        self.page = Page(0, wiki, item.page_id, item.ns, item.title, tracked=False)
        self.file: IO[bytes] = tempfile.TemporaryFile(dir=spool_dir)  # noqa: SIM115
        self.metas: list[tuple[str, int, int, int, Revision]] = []
        self.seen: set[int] = set()
        self.compressor = zstandard.ZstdCompressor(level=1)

    def add(self, revision: Revision) -> None:
        if revision.revid in self.seen:
            return  # as the import: a revision is stored once
        self.seen.add(revision.revid)
        offset, length = self.file.tell(), -1
        if revision.text is not None:
            data = self.compressor.compress(revision.text.encode("utf-8"))
            length = len(data)
            self.file.write(data)
        meta = replace(revision, text=None)
        self.metas.append((revision.timestamp, revision.revid, offset, length, meta))

    def revisions(self) -> Iterator[tuple[Revision, str | None]]:
        decompressor = zstandard.ZstdDecompressor()
        for _, _, offset, length, meta in sorted(self.metas, key=lambda m: (m[0], m[1])):
            text = None
            if length >= 0:
                self.file.seek(offset)
                text = decompressor.decompress(self.file.read(length)).decode("utf-8")
            yield meta, text

    def close(self) -> None:
        self.file.close()


def analyze_page(spool: _PageSpool, infobox: str | None) -> Iterator[PageChange]:
    """The page's change records in the store's order, with their revert marks."""
    analyzer = HistoryAnalyzer(infobox)
    pending: deque[tuple[int, list[ChangeRow]]] = deque()
    reverted_by: dict[int, int] = {}

    def settled(revid: int, rows: list[ChangeRow]) -> Iterator[PageChange]:
        by = reverted_by.pop(revid, None)
        for row in rows:
            yield PageChange.of(spool.page, replace(row, reverted_by=by))

    for meta, text in spool.revisions():
        # as the store: the sha1 its source declared, else that of the text
        sha1 = meta.sha1 or (sha1_hex(text.encode("utf-8")) if text is not None else None)
        step = analyzer.step(meta.revid, sha1, text)
        revert = None
        if step.revert is not None:
            revert = Revert(step.revert.reverted_to, step.revert.reverted)
            for undone in step.revert.reverted:
                reverted_by[undone] = meta.revid
        rows = [
            ChangeRow(
                revid=meta.revid,
                parent_revid=step.compared_with,
                timestamp=meta.timestamp,
                user=meta.user,
                comment=meta.comment,
                **{name: getattr(change, name) for name in CHANGE_RECORD_COLUMNS},
                revert=revert,
                minor=meta.minor,
                infobox=step.infobox,
            )
            for change in step.changes
        ]
        pending.append((meta.revid, rows))
        if len(pending) > REVERT_RADIUS:  # no later revert can reach it
            yield from settled(*pending.popleft())
    while pending:
        yield from settled(*pending.popleft())


def cube_file(path: str, out: str, config: Config, spool_dir: str | None = None) -> FileResult:
    """Analyse one dump file into ``out`` (see the module documentation); the task."""
    started = time.monotonic()
    root = Path(out)
    source = source_name(path)
    result = FileResult(path=path, source=source, size=os.path.getsize(path))
    partition = f"source={quote(source, safe='')}"
    for stale in root.glob(f"wiki=*/{partition}/.*.partial"):  # a killed attempt's
        stale.unlink(missing_ok=True)
    writer: TableWriter | None = None
    siteinfo: SiteInfo | None = None
    spool: _PageSpool | None = None

    def finish_page() -> None:
        nonlocal spool
        if spool is None:
            return
        assert writer is not None
        infobox = config.infobox_for(spool.page.wiki, spool.page.title)
        for change in analyze_page(spool, infobox):
            writer.write(change_record(change))
        result.revisions += len(spool.metas)
        spool.close()
        spool = None

    try:
        try:
            for item in read_dump(path):
                if isinstance(item, Revision):
                    if spool is not None:
                        spool.add(item)
                elif isinstance(item, DumpPage):
                    finish_page()
                    if writer is None:
                        result.wiki = wiki_for_export(config, siteinfo)
                        directory = root / f"wiki={result.wiki}" / partition
                        directory.mkdir(parents=True, exist_ok=True)
                        final = directory / "changes.parquet"
                        hidden = directory / f".{uuid.uuid4().hex}.partial"
                        writer = TableWriter(str(final), "parquet", FILE_COLUMNS, str(hidden))
                    if item.page_id is None:
                        result.problems.append(
                            f"{path}:{item.line}: page {item.title!r} has no <id>; skipped"
                        )
                        result.lost += 1
                        continue
                    assert result.wiki is not None
                    spool = _PageSpool(item, result.wiki, spool_dir)
                    result.pages += 1
                elif isinstance(item, SiteInfo):
                    siteinfo = item
                elif isinstance(item, DumpProblem):
                    result.problems.append(item.message)
                    result.lost += item.lost
        except DumpError as error:
            result.error = str(error)  # what was read before it counts, as for import
        finish_page()
    except BaseException:
        if writer is not None:
            writer.close(keep=False)
        if spool is not None:
            spool.close()
        raise
    if writer is not None:
        result.records = writer.rows
        writer.close()
    result.seconds = round(time.monotonic() - started, 3)
    marker = marker_path(root, source)
    marker.parent.mkdir(parents=True, exist_ok=True)
    partial = marker.with_name(f".{marker.name}.{uuid.uuid4().hex}")
    partial.write_text(json.dumps(asdict(result), ensure_ascii=False), encoding="utf-8")
    os.replace(partial, marker)  # the file is done only once its marker is there
    return result


# -- many files, on Dask ----------------------------------------------------------------------


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise WikimonError(f"wikimon cube needs Dask distributed: {CUBE_HINT}") from None
    # Dask's own INFO lines (scheduler, nannies) only with wikimon -v
    level = logging.INFO if logging.getLogger().isEnabledFor(logging.INFO) else logging.WARNING
    logging.getLogger("distributed").setLevel(level)
    return distributed


def _as_given(result: FileResult, path: str) -> FileResult:
    """The result naming the file as the user did (the task had its absolute path)."""

    def said(message: str) -> str:
        absolute = result.path + ":"
        return path + message[len(result.path) :] if message.startswith(absolute) else message

    error = said(result.error) if result.error is not None else None
    return replace(result, path=path, problems=list(map(said, result.problems)), error=error)


def run_cube(
    paths: list[str],
    out: str,
    config: Config,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    on_result: Callable[[FileResult], None] = lambda result: None,
) -> list[FileResult]:
    """Every file not finished yet, one task each, on a LocalCluster of ``workers``
    processes or on the cluster at ``scheduler``; ``on_result`` hears of each file as it
    finishes (files skipped first)."""
    distributed = _distributed()
    root = Path(out).resolve()
    results: list[FileResult] = []
    todo, given = [], []
    for path in paths:
        done = finished(root, path)
        if done is not None:
            results.append(done)
            on_result(done)
        else:
            todo.append(os.path.abspath(path))
            given.append(path)
    if not todo:
        return results
    if scheduler is not None:
        cluster = None
        client = distributed.Client(scheduler, timeout=10)
    else:
        # No spilling: a task's result is a few numbers. And a spilling worker has a
        # "storage" directory in its local directory, which Dask puts on sys.path: it
        # would hide wikimon's `storage` package when wikimon is installed editable.
        # (Worker arguments: a nanny restarts a lost worker with them.)
        cluster = distributed.LocalCluster(
            n_workers=workers or os.cpu_count() or 1,
            threads_per_worker=1,  # one file per process: memory is bounded per worker
            processes=True,
            dashboard_address=":0",  # any free port: several clusters on one machine
            data=dict,  # results in memory, never spilled
        )
        client = distributed.Client(cluster)
    try:
        futures = [
            client.submit(
                cube_file, path, str(root), config, key=f"cube-{uuid.uuid4().hex}", pure=False
            )
            for path in todo
        ]
        paths_of = dict(zip((f.key for f in futures), given, strict=True))
        for future in distributed.as_completed(futures):
            path = paths_of[future.key]
            try:
                result = _as_given(future.result(), path)
            except Exception as error:  # the task failed (KilledWorker, a full disk…)
                result = FileResult(path, source_name(path), error=f"{path}: {error}")
            results.append(result)
            on_result(result)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return results
