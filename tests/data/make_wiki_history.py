"""Regenerate tests/data/wiki-history.xml.gz from samples/history.xml.xz.

The output holds the first N revisions (default 30) of the sample export, byte for byte: the
export is cut by plain text slicing after the N-th ``</revision>`` line and closed with
``</page></mediawiki>``. importDump.php reads ``.gz`` files directly. The gzip stream has no
file name and mtime 0, so the output is reproducible.

    .venv/bin/python tests/data/make_wiki_history.py [--revisions 30]
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import lzma
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "samples" / "history.xml.xz"
TARGET = Path(__file__).resolve().parent / "wiki-history.xml.gz"
NS = "{http://www.mediawiki.org/xml/export-0.11/}"
FOOTER = b"  </page>\n</mediawiki>\n"


def sha1_base36(text: str) -> str:
    """<sha1> as MediaWiki writes it: SHA-1 of the UTF-8 text, base 36, zero-padded to 31."""
    n = int(hashlib.sha1(text.encode("utf-8")).hexdigest(), 16)
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while n:
        n, r = divmod(n, 36)
        out = digits[r] + out
    return out.rjust(31, "0")


def cut(source: Path, revisions: int) -> bytes:
    """The export's bytes up to and including the ``revisions``-th ``</revision>`` line."""
    out = io.BytesIO()
    seen = 0
    with lzma.open(source, "rb") as f:
        for line in f:
            if line.lstrip().startswith(b"<text") and b"deleted=" in line.split(b">", 1)[0]:
                raise SystemExit(f"revision {seen + 1} has deleted text; choose another range")
            out.write(line)
            if line.strip() == b"</revision>":
                seen += 1
                if seen == revisions:
                    break
    if seen != revisions:
        raise SystemExit(f"{source} has only {seen} revisions")
    out.write(FOOTER)
    return out.getvalue()


def check(xml: bytes, revisions: int) -> None:
    """Parse the result: one page, ``revisions`` revisions, every <sha1> matches its text."""
    root = ET.fromstring(xml)
    pages = root.findall(f"{NS}page")
    assert len(pages) == 1, len(pages)
    revs = pages[0].findall(f"{NS}revision")
    assert len(revs) == revisions, len(revs)
    for rev in revs:
        text = rev.find(f"{NS}text")
        assert text is not None and text.get("deleted") is None
        assert sha1_base36(text.text or "") == rev.findtext(f"{NS}sha1"), rev.findtext(f"{NS}id")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--revisions", type=int, default=30)
    parser.add_argument("--source", type=Path, default=SOURCE)
    parser.add_argument("--output", type=Path, default=TARGET)
    args = parser.parse_args()
    xml = cut(args.source, args.revisions)
    check(xml, args.revisions)
    with open(args.output, "wb") as raw, gzip.GzipFile("", "wb", 9, raw, mtime=0) as gz:
        gz.write(xml)
    digest = hashlib.sha256(xml).hexdigest()
    print(
        f"wrote {args.output} ({args.revisions} revisions, {len(xml)} bytes xml, sha256 {digest})"
    )


if __name__ == "__main__":
    main()
