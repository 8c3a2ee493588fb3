"""The static report on disk, written incrementally: a second `wikimon report --out DIR`
rewrites only the pages of the articles that changed since the last one.

What was written is recorded in DIR/.wikimon-report.json (the manifest): for each article,
the signature of what its pages were made of (:meth:`Report.signature`) and the files
written for it. An article whose signature is the same, and whose files are all there,
is left as it is; the others are rewritten, and a file the last report wrote that is no
page any more (an article gone, a field renamed) is deleted. The index and the two assets
are written every time (the index from a few queries: no history is read for it). A new
wikimon, or other templates, rewrites everything. Files the report did not write are
never touched.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .. import __version__
from ..analysis import ANALYSIS_VERSION
from ..errors import WikimonError
from ..templating import TEMPLATES
from .pages import ASSETS, Report, asset_bytes

MANIFEST = ".wikimon-report.json"


def _code_digest() -> str:
    """A digest of what turns the data into pages (the templates, the report's code and
    the core's version): when it changes, every page is rewritten."""
    digest = hashlib.sha1(ANALYSIS_VERSION.encode())
    package = Path(__file__).resolve().parent.parent
    sources = [
        *sorted(TEMPLATES.iterdir()),
        *sorted(Path(__file__).resolve().parent.glob("*.py")),
        *(package / name for name in ("attribution.py", "fields.py", "links.py",
                                      "templating.py", "wording.py")),
    ]  # fmt: skip
    for path in sources:
        if path.is_file():
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return f"{__version__}+{digest.hexdigest()[:12]}"


REPORT_VERSION = _code_digest()


@dataclass
class Written:
    """What a `wikimon report` run did to its directory."""

    files: int = 0  # files written (pages of the articles rewritten, the index, the assets)
    bytes: int = 0
    articles: int = 0  # articles whose pages were (re)written
    unchanged: int = 0  # articles left as they were
    removed: int = 0  # files of the last report that are no pages any more
    again: bool = False  # the directory held a report already


def write_report(
    report: Report,
    out: Path,
    *,
    full: bool = False,
    progress: Callable[[int], None] | None = None,
) -> Written:
    """Write the static report into ``out``: the pages of every article changed since the
    manifest's report (all of them with ``full``, a new wikimon or no manifest), the index
    and the assets; delete what the last report wrote that is no page any more. Calls
    ``progress(1)`` after each article."""
    before = _read_manifest(out)
    known = before.get("articles") if before.get("version") == REPORT_VERSION else None
    known = known if isinstance(known, dict) else {}
    previous = _previous_files(out, before)  # before the new index replaces an old one
    written = Written(again=bool(before) or bool(previous))
    articles: dict[str, dict[str, object]] = {}
    for page in report.pages:
        key = f"{page.wiki}/{page.page_id}"
        signature = report.signature(page)
        entry = known.get(key)
        if (
            not full
            and isinstance(entry, dict)
            and entry.get("signature") == signature
            and all((out / path).is_file() for path in entry.get("files", []))
        ):
            articles[key] = entry
            written.unchanged += 1
        else:
            paths = report.article_paths(page)
            _write_pages(report, out, paths, written)
            articles[key] = {"signature": signature, "files": paths}
            written.articles += 1
        report.release(page)
        if progress is not None:
            progress(1)
    _write_pages(report, out, ["index.html", *ASSETS], written)
    now = {path for entry in articles.values() for path in _files(entry)}
    for path in sorted(previous - now - {"index.html", *ASSETS}):
        target = out / path
        if target.is_file():
            target.unlink()
            written.removed += 1
            _prune(target.parent, out)
    _write_manifest(out, {"version": REPORT_VERSION, "articles": articles})
    return written


def _write_pages(report: Report, out: Path, paths: Iterable[str], written: Written) -> None:
    for path in paths:
        if not _inside(path):  # paths are built safe (slugged wiki names); be sure
            raise WikimonError(f"refusing to write {path!r}: it is outside {out}")
        data = asset_bytes(path) if path in ASSETS else report.render(path).encode("utf-8")
        _write(out / path, data)
        written.files += 1
        written.bytes += len(data)


def _write(target: Path, data: bytes) -> None:
    """Whole or not at all: a page cut short by a crash is never left for the next run to
    take for written."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, target)


def _files(entry: object) -> list[str]:
    """The files of a manifest's entry that lie inside the report's directory: a manifest
    edited by hand never makes the report delete anything outside it."""
    files = entry.get("files", []) if isinstance(entry, dict) else []
    return [f for f in files if isinstance(f, str) and _inside(f)]


def _inside(path: str) -> bool:
    parts = PurePosixPath(path).parts
    return bool(parts) and not path.startswith(("/", "\\")) and ".." not in parts


def _read_manifest(out: Path) -> dict[str, object]:
    try:
        data = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _previous_files(out: Path, manifest: dict[str, object]) -> set[str]:
    """The pages the last report wrote: its manifest's; without one, those of a report by
    a wikimon before manifests, recognised by its index (each article's directory)."""
    articles = manifest.get("articles")
    if isinstance(articles, dict):
        return {path for entry in articles.values() for path in _files(entry)}
    try:
        index = (out / "index.html").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return set()
    if "<title>wikimon report</title>" not in index:
        return set()
    return {
        path.relative_to(out).as_posix()
        for wiki in out.iterdir()
        if wiki.is_dir()
        for article in wiki.iterdir()
        if article.is_dir() and article.name.isdigit()
        for path in article.rglob("*.html")
    }


def _prune(directory: Path, out: Path) -> None:
    """Remove the directories a deletion left empty, up to ``out``."""
    while directory != out and directory.is_dir() and not any(directory.iterdir()):
        directory.rmdir()
        directory = directory.parent


def _write_manifest(out: Path, manifest: dict[str, object]) -> None:
    """Atomically: a report cut short leaves the last manifest, so the next run rewrites
    what this one may have left half done."""
    _write(out / MANIFEST, json.dumps(manifest, separators=(",", ":")).encode("utf-8"))
