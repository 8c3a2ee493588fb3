"""Writing MediaWiki XML exports for tests (what `wikimon import` reads)."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as xml_escape

from monitor.sources.xmldump import DumpPage, SiteInfo, read_dump
from storage import Revision


def _sha1_base36(hex_sha1: str) -> str:
    """An API sha1 (hex) as exports write it (base 36, 31 digits)."""
    value, digits = int(hex_sha1, 16), []
    while value:
        value, digit = divmod(value, 36)
        digits.append("0123456789abcdefghijklmnopqrstuvwxyz"[digit])
    return "".join(reversed(digits)).rjust(31, "0")


def write_export(path: Path, title: str, page_id: int, revisions: list[dict[str, Any]]) -> Path:
    """A MediaWiki XML export (schema 0.11) of ``revisions`` as ``TestWiki.revisions`` returns
    them: same revids, parent ids, timestamps, users, comments, flags and text, so that
    importing it stores exactly what the wiki's API would give (revision-deleted text
    becomes ``<text deleted="deleted"/>``)."""
    parts = [
        '<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.11/" version="0.11" '
        f'xml:lang="en">\n<page>\n<title>{xml_escape(title)}</title>\n<ns>0</ns>\n'
        f"<id>{page_id}</id>\n"
    ]
    for rev in revisions:
        if rev.get("anon") or rev["userid"] == 0:
            who = f"<ip>{xml_escape(rev['user'])}</ip>"
        else:
            who = f"<username>{xml_escape(rev['user'])}</username><id>{rev['userid']}</id>"
        if rev["content"] is None:
            text = '<text deleted="deleted" bytes="-1"/>'
        else:
            data = rev["content"].encode("utf-8")
            text = (
                f'<text bytes="{len(data)}" sha1="{_sha1_base36(rev["sha1"])}" '
                f'xml:space="preserve">{xml_escape(rev["content"])}</text>'
            )
        parts.append(
            f"<revision>\n<id>{rev['revid']}</id>\n"
            + (f"<parentid>{rev['parentid']}</parentid>\n" if rev["parentid"] else "")
            + f"<timestamp>{rev['timestamp']}</timestamp>\n<contributor>{who}</contributor>\n"
            + ("<minor/>\n" if rev["minor"] else "")
            + f"<comment>{xml_escape(rev['comment'])}</comment>\n"
            "<model>wikitext</model>\n<format>text/x-wiki</format>\n"
            f"{text}\n<sha1>{_sha1_base36(rev['sha1'])}</sha1>\n</revision>\n"
        )
    parts.append("</page>\n</mediawiki>\n")
    path.write_text("".join(parts), encoding="utf-8")
    return path


def revision_xml(rev: Revision) -> str:
    """One ``<revision>`` as a dump writes it: what `wikimon import` read from it."""
    if rev.userhidden:
        who = '<contributor deleted="deleted" />'
    elif rev.anon:
        who = f"<contributor><ip>{xml_escape(rev.user or '')}</ip></contributor>"
    else:
        user_id = f"<id>{rev.user_id}</id>" if rev.user_id is not None else ""
        who = (
            f"<contributor><username>{xml_escape(rev.user or '')}</username>{user_id}</contributor>"
        )
    comment = (
        '<comment deleted="deleted" />'
        if rev.commenthidden
        else f"<comment>{xml_escape(rev.comment or '')}</comment>"
    )
    sha1 = _sha1_base36(rev.sha1) if rev.sha1 else ""
    if rev.text is None:
        text = '<text deleted="deleted" bytes="-1" />'
    else:
        size = len(rev.text.encode("utf-8"))
        text = (
            f'<text bytes="{size}" sha1="{sha1}" xml:space="preserve">{xml_escape(rev.text)}</text>'
        )
    return (
        f"<revision><id>{rev.revid}</id>"
        + (f"<parentid>{rev.parent_revid}</parentid>" if rev.parent_revid else "")
        + f"<timestamp>{rev.timestamp}</timestamp>{who}"
        + ("<minor />" if rev.minor else "")
        + f"{comment}<model>wikitext</model><format>text/x-wiki</format>{text}"
        + f"<sha1>{sha1}</sha1></revision>\n"
    )


def split_export(source: Path, out: Path, parts: int, pages_per_file: int) -> list[Path]:
    """Split the history of a one-page export into ``parts`` pages of consecutive
    revisions (page ids PAGEID·100 + k, titles "TITLE (part k)"), ``pages_per_file`` to a
    gzip file, as a dump is split into files: a page's history never spans two files."""
    items = list(read_dump(source))
    siteinfo = next(item for item in items if isinstance(item, SiteInfo))
    page = next(item for item in items if isinstance(item, DumpPage))
    revisions = [item for item in items if isinstance(item, Revision)]
    size = -(-len(revisions) // parts)
    header = (
        '<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.11/" version="0.11">\n'
        f"<siteinfo><sitename>{xml_escape(siteinfo.sitename or '')}</sitename>"
        f"<dbname>{siteinfo.dbname}</dbname><base>{xml_escape(siteinfo.base or '')}</base>"
        f"<case>{siteinfo.case}</case></siteinfo>\n"
    )
    files: list[Path] = []
    for first in range(0, parts, pages_per_file):
        path = out / f"{source.name.split('.')[0]}-{len(files) + 1}.xml.gz"
        with gzip.open(path, "wt", encoding="utf-8", compresslevel=1) as dump:
            dump.write(header)
            for part in range(first, min(first + pages_per_file, parts)):
                dump.write(
                    f"<page><title>{xml_escape(page.title)} (part {part + 1})</title>"
                    f"<ns>{page.ns}</ns><id>{(page.page_id or 0) * 100 + part + 1}</id>\n"
                )
                for rev in revisions[part * size : (part + 1) * size]:
                    dump.write(revision_xml(rev))
                dump.write("</page>\n")
            dump.write("</mediawiki>\n")
        files.append(path)
    return files
