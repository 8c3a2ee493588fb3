"""Writing MediaWiki XML exports for tests (what `wikimon import` reads)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as xml_escape


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
