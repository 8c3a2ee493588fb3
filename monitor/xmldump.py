"""Streaming reader for MediaWiki XML exports (schemas 0.3 to 0.11, plain or compressed).

The reader never holds more than one revision's text: expat is fed 1 MiB at a time and
hands back each ``<revision>`` as soon as it closes. Malformed input is reported with its
exact position: a bad UTF-8 byte costs only the revision that contains it (reported as a
:class:`DumpProblem`), broken XML or a truncated file ends the stream with a
:class:`~monitor.errors.DumpError` after everything before it has been yielded.
"""

from __future__ import annotations

import bz2
import codecs
import gzip
import lzma
import os
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO
from xml.parsers import expat

from storage import Revision, sha1_base36_to_hex

from .errors import DumpError

CHUNK_SIZE = 1 << 20


@dataclass
class SiteInfo:
    sitename: str | None = None
    dbname: str | None = None
    base: str | None = None


@dataclass
class DumpPage:
    title: str
    ns: int
    page_id: int | None
    redirect: str | None = None
    line: int = 0


@dataclass
class DumpProblem:
    """Something in the file that was skipped; the rest of the file is still read."""

    message: str


DumpItem = SiteInfo | DumpPage | Revision | DumpProblem


def open_compressed(path: str | os.PathLike[str]) -> tuple[BinaryIO, BinaryIO]:
    """(raw file, decompressed stream), by magic bytes so a misnamed file still works."""
    raw = open(path, "rb")  # noqa: SIM115 - the caller closes it
    magic = raw.read(6)
    raw.seek(0)
    stream: BinaryIO
    if magic.startswith(b"BZh"):
        stream = bz2.BZ2File(raw)
    elif magic.startswith(b"\x1f\x8b"):
        stream = gzip.GzipFile(fileobj=raw)
    elif magic.startswith(b"\xfd7zXZ\x00") or magic[:1] == b"\x5d":  # xz, or legacy .lzma
        stream = lzma.LZMAFile(raw)  # noqa: SIM115
    else:
        stream = raw
    return raw, stream


# Leaf elements whose text we keep, by (parent, element).
_LEAVES = {
    ("siteinfo", "sitename"), ("siteinfo", "dbname"), ("siteinfo", "base"),
    ("page", "title"), ("page", "ns"), ("page", "id"),
    ("revision", "id"), ("revision", "parentid"), ("revision", "timestamp"),
    ("revision", "comment"), ("revision", "sha1"), ("revision", "text"),
    ("contributor", "username"), ("contributor", "id"), ("contributor", "ip"),
}  # fmt: skip

_bad_byte_listeners: list[Callable[[UnicodeDecodeError], None]] = []


def _replace_and_report(error: UnicodeError) -> tuple[str, int]:
    assert isinstance(error, UnicodeDecodeError)
    _bad_byte_listeners[-1](error)
    return "\ufffd", error.end


codecs.register_error("wikimon-dump", _replace_and_report)


@dataclass
class _BadByte:
    line: int
    offset: int
    value: int


@dataclass
class _Parser:
    path: str
    items: list[DumpItem] = field(default_factory=list)
    stack: list[str] = field(default_factory=list)
    buffer: list[str] | None = None
    siteinfo: SiteInfo | None = None
    page: dict | None = None
    page_emitted: bool = False
    previous_revid: int | None = None
    revision: dict | None = None
    bad_bytes: list[_BadByte] = field(default_factory=list)
    page_bad_bytes: list[tuple[_BadByte, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.expat = expat.ParserCreate()
        self.expat.buffer_text = True
        self.expat.buffer_size = 1 << 16
        self.expat.StartElementHandler = self.start
        self.expat.EndElementHandler = self.end
        self.expat.CharacterDataHandler = self.characters

    @property
    def line(self) -> int:
        return self.expat.CurrentLineNumber

    def characters(self, data: str) -> None:
        if self.buffer is not None:
            self.buffer.append(data)

    def start(self, name: str, attrs: dict[str, str]) -> None:
        parent = self.stack[-1] if self.stack else None
        self.stack.append(name)
        if (parent, name) in _LEAVES:
            self.buffer = []
        if name == "siteinfo":
            self.siteinfo = SiteInfo()
        elif name == "page":
            self.page = {"line": self.line, "redirect": None}
            self.page_emitted = False
            self.previous_revid = None
        elif name == "redirect" and parent == "page" and self.page is not None:
            self.page["redirect"] = attrs.get("title", "")
        elif name == "revision" and parent == "page":
            self.revision = {"line": self.line, "attrs": {}}
            self._emit_page()
        elif self.revision is not None and parent == "revision":
            if name == "text":
                self.revision["text_attrs"] = attrs
            elif name in ("contributor", "comment") and attrs.get("deleted"):
                self.revision[f"{name}_deleted"] = True
            elif name == "minor":
                self.revision["minor"] = True

    def end(self, name: str) -> None:
        self.stack.pop()
        parent = self.stack[-1] if self.stack else None
        value = None
        if (parent, name) in _LEAVES and self.buffer is not None:
            value = "".join(self.buffer)
            self.buffer = None
        if value is not None:
            if parent == "siteinfo" and self.siteinfo is not None:
                setattr(self.siteinfo, name, value.strip())
            elif parent == "page" and self.page is not None:
                self.page[name] = value
            elif parent == "revision" and self.revision is not None:
                self.revision[name] = value
            elif parent == "contributor" and self.revision is not None:
                self.revision[f"contributor_{name}"] = value
        if name == "siteinfo" and self.siteinfo is not None:
            self.items.append(self.siteinfo)
        elif name == "revision" and parent == "page" and self.revision is not None:
            self._emit_revision()
            self.revision = None
        elif name == "page":
            self._emit_page()  # a page without revisions
            self._report_bad_bytes()
            self.page = None

    def _where(self, line: int) -> str:
        return f"{self.path}:{line}"

    def _emit_page(self) -> None:
        if self.page is None or self.page_emitted:
            return
        self.page_emitted = True
        title = self.page.get("title", "").strip()
        page_id = self.page.get("id")
        self.items.append(
            DumpPage(
                title=title,
                ns=int(self.page["ns"]) if self.page.get("ns", "").strip() else 0,
                page_id=int(page_id) if page_id and page_id.strip() else None,
                redirect=self.page["redirect"],
                line=self.page["line"],
            )
        )

    def _report_bad_bytes(self) -> None:
        if not self.page_bad_bytes:
            return
        (first, revid), more = self.page_bad_bytes[0], len(self.page_bad_bytes) - 1
        title = (self.page or {}).get("title", "").strip()
        self.items.append(
            DumpProblem(
                f"{self._where(first.line)} (byte {first.offset}): invalid UTF-8 byte "
                f"0x{first.value:02X} in revision {revid} of {title!r}"
                + (f" and in {more} more of its revisions" if more else "")
                + "; imported with U+FFFD in place of each invalid byte (their sha1 will not match)"
            )
        )
        self.page_bad_bytes = []

    def _emit_revision(self) -> None:
        data = self.revision
        assert data is not None and self.page is not None
        title = self.page.get("title", "").strip()
        bad = [b for b in self.bad_bytes if data["line"] <= b.line <= self.line]
        if bad:
            self.bad_bytes = [b for b in self.bad_bytes if b.line > self.line]
            self.page_bad_bytes.append((bad[0], data.get("id", "?").strip()))
        if not data.get("id", "").strip():
            self.items.append(
                DumpProblem(
                    f"{self._where(data['line'])}: a revision of {title!r} has no <id>; "
                    "wikimon needs revision ids (use Special:Export or a database dump)"
                )
            )
            return
        revid = int(data["id"])
        text_attrs = data.get("text_attrs", {})
        texthidden = bool(text_attrs.get("deleted"))
        text = None if texthidden else data.get("text", "")
        sha1 = (data.get("sha1") or text_attrs.get("sha1") or "").strip() or None
        if sha1 is not None:
            sha1 = sha1_base36_to_hex(sha1) if len(sha1) <= 31 else sha1.lower()
        size = text_attrs.get("bytes")
        parent = data.get("parentid", "").strip()
        userhidden = bool(data.get("contributor_deleted"))
        user = data.get("contributor_username", data.get("contributor_ip"))
        user_id = data.get("contributor_id", "").strip()
        self.items.append(
            Revision(
                revid=revid,
                # Without <parentid> (schemas before 0.6) the previous revision in the file is
                # the parent, as in a full-history export.
                parent_revid=int(parent) if parent else self.previous_revid,
                timestamp=data.get("timestamp", "").strip(),
                user=None if userhidden else user,
                user_id=int(user_id) if user_id else (0 if "contributor_ip" in data else None),
                anon="contributor_ip" in data,
                comment=None if data.get("comment_deleted") else data.get("comment", ""),
                minor=bool(data.get("minor")),
                size=int(size) if size else None,
                sha1=sha1,
                text=text,
                texthidden=texthidden,
                userhidden=userhidden,
                commenthidden=bool(data.get("comment_deleted")),
            )
        )
        self.previous_revid = revid


def read_dump(
    path: str | os.PathLike[str], progress: Callable[[int], None] | None = None
) -> Iterator[DumpItem]:
    """Yield the export's site info, pages, revisions and problems in file order.

    ``progress`` is called with the number of (compressed) file bytes read so far.
    """
    name = os.fspath(path)
    parser = _Parser(name)
    decoder = codecs.getincrementaldecoder("utf-8")(errors="wikimon-dump")
    lines_before = 0  # newlines in the bytes decoded so far
    offset = 0  # decompressed bytes decoded so far

    def on_bad_byte(error: UnicodeDecodeError) -> None:
        # error.object is the decoder's pending bytes followed by this chunk
        chunk_start = offset - (len(error.object) - len(chunk))
        parser.bad_bytes.append(
            _BadByte(
                line=lines_before + error.object.count(b"\n", 0, error.start) + 1,
                offset=chunk_start + error.start,
                value=error.object[error.start],
            )
        )

    raw, stream = open_compressed(path)
    try:
        while True:
            try:
                chunk = stream.read(CHUNK_SIZE)
            except EOFError as error:
                raise DumpError(
                    f"{name}: the compressed data ends early after {offset} bytes "
                    f"(the file is truncated: {error})"
                ) from None
            except (OSError, lzma.LZMAError, zlib.error) as error:
                raise DumpError(
                    f"{name}: cannot decompress after {offset} bytes ({error})"
                ) from None
            final = not chunk
            _bad_byte_listeners.append(on_bad_byte)
            try:
                text = decoder.decode(chunk, final)
            finally:
                _bad_byte_listeners.pop()
            offset += len(chunk)
            lines_before += chunk.count(b"\n")
            try:
                parser.expat.Parse(text, final)
            except expat.ExpatError as error:
                yield from parser.items
                parser.items.clear()
                reason = expat.ErrorString(error.code)
                if reason in ("no element found", "unclosed token") and final:
                    reason = f"the XML ends early ({reason}): the file is truncated"
                raise DumpError(f"{name}:{error.lineno}:{error.offset + 1}: {reason}") from None
            yield from parser.items
            parser.items.clear()
            if progress is not None:
                progress(raw.tell())
            if final:
                break
    finally:
        stream.close()
        raw.close()
