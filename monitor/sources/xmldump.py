"""Streaming reader for MediaWiki XML exports (schemas 0.3 to 0.11, plain or compressed).

The reader never holds more than one revision's text: the file is decompressed
incrementally (64 KiB of the file at a time, at most 1 MiB of output at once), and expat
hands back each ``<revision>`` as soon as it closes. Malformed input is reported with its
exact position as a :class:`DumpProblem`, one line naming ``file:line``:

* a bad UTF-8 byte costs nothing but a U+FFFD: it is reported with the revision that
  contains it, or with its page (a title…), or on its own when it is outside any page;
* a field that is not what the schema says (a non-numeric ``<id>``, a ``<timestamp>`` that
  is not a real time…) skips that revision, or the whole page for a bad page ``<id>``/``<ns>``;
* a revision whose text is not in the export (a stub dump) is skipped, once per page.

Each problem says whether something was left out (``lost``) or only replaced.

Broken XML, a truncated file or corrupt compressed data ends the stream with a
:class:`~monitor.errors.DumpError` after everything decoded before it has been yielded.
"""

from __future__ import annotations

import bz2
import codecs
import itertools
import lzma
import os
import re
import zlib
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import BinaryIO, Protocol
from xml.parsers import expat

from storage import MAX_REVID, Revision, sha1_base36_to_hex, time_problem

from ..errors import DumpError

CHUNK_SIZE = 1 << 20  # decompressed bytes handed to the parser at once
RAW_CHUNK_SIZE = 1 << 16  # compressed bytes read from the file at once


@dataclass
class SiteInfo:
    sitename: str | None = None
    dbname: str | None = None
    base: str | None = None
    case: str | None = None  # first-letter | case-sensitive
    namespaces: list[str] = field(default_factory=list)  # names, e.g. "Talk", "Benutzer"


@dataclass
class DumpPage:
    title: str
    ns: int
    page_id: int | None
    redirect: str | None = None
    line: int = 0


@dataclass
class DumpRevision(Revision):
    """A revision as the export has it, and the line of the file it starts on."""

    line: int = 0


@dataclass
class DumpProblem:
    """Something in the file that was skipped (``lost``) or read with a replacement (a bad
    byte, a sha1 of the wrong form: everything is stored); the rest of the file is still
    read."""

    message: str
    lost: bool = True


DumpItem = SiteInfo | DumpPage | DumpRevision | DumpProblem


# -- decompression ---------------------------------------------------------------------------


class _Decompressor(Protocol):
    """What bz2's and lzma's decompressors offer (read-only, as they have it)."""

    @property
    def eof(self) -> bool: ...
    @property
    def needs_input(self) -> bool: ...
    @property
    def unused_data(self) -> bytes: ...

    def decompress(self, data: bytes, max_length: int = -1) -> bytes: ...


class _GzipDecompressor:
    """zlib's gzip decompressor behind the interface of bz2's and lzma's."""

    def __init__(self) -> None:
        self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
        self.needs_input = True

    @property
    def eof(self) -> bool:
        return self._zlib.eof

    @property
    def unused_data(self) -> bytes:
        return self._zlib.unused_data

    def decompress(self, data: bytes, max_length: int = -1) -> bytes:
        out = self._zlib.decompress(self._zlib.unconsumed_tail + data, max_length)
        # zlib may hold output back even once all input is consumed: ask again when full
        self.needs_input = not self._zlib.unconsumed_tail and len(out) < max_length
        return out


def _lzma_decompressor() -> _Decompressor:
    return lzma.LZMADecompressor(lzma.FORMAT_AUTO)  # xz, or legacy .lzma


_DECOMPRESSION_ERRORS = (OSError, EOFError, lzma.LZMAError, zlib.error)


class _CompressedDataError(Exception):
    """The compressed data is truncated or corrupt (the message says which)."""


def _decompressor_for(raw: BinaryIO) -> Callable[[], _Decompressor] | None:
    """By magic bytes, so a misnamed file still works; None for an uncompressed file."""
    magic = raw.read(6)
    raw.seek(0)
    if magic.startswith(b"BZh"):
        return bz2.BZ2Decompressor
    if magic.startswith(b"\x1f\x8b"):
        return _GzipDecompressor
    if magic.startswith(b"\xfd7zXZ\x00") or magic[:1] == b"\x5d":
        return _lzma_decompressor
    return None


def _decompressed(raw: BinaryIO, factory: Callable[[], _Decompressor]) -> Iterator[bytes]:
    """The decompressed data, at most CHUNK_SIZE bytes at a time.

    Everything that can be decompressed is yielded before a truncation or corruption raises
    _CompressedDataError. Concatenated streams (pbzip2, multi-member gzip, xz) are read
    in turn; trailing bytes after the last complete stream that are not a stream are
    ignored, as BZ2File and LZMAFile do.
    """
    decompressor = factory()
    while True:
        if decompressor.eof:
            data = decompressor.unused_data or raw.read(RAW_CHUNK_SIZE)
            if not data:
                return
            decompressor = factory()
            try:
                out = decompressor.decompress(data, CHUNK_SIZE)
            except _DECOMPRESSION_ERRORS:
                return  # trailing garbage (or padding) after a complete stream
        else:
            data = raw.read(RAW_CHUNK_SIZE) if decompressor.needs_input else b""
            if decompressor.needs_input and not data:
                raise _CompressedDataError("the compressed data ends early: the file is truncated")
            try:
                out = decompressor.decompress(data, CHUNK_SIZE)
            except _DECOMPRESSION_ERRORS as error:
                raise _CompressedDataError(f"cannot decompress: {error}") from None
        if out:
            yield out


def _plain(raw: BinaryIO) -> Iterator[bytes]:
    while chunk := raw.read(CHUNK_SIZE):
        yield chunk


# -- field values ----------------------------------------------------------------------------

_INTEGER = re.compile(r"-?[0-9]+")
_BASE36_SHA1 = re.compile(r"[0-9a-z]{1,31}")
_HEX_SHA1 = re.compile(r"[0-9a-f]{40}")
_MAX_INTEGER = MAX_REVID  # what SQLite can store


class _BadField(Exception):
    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


def _shown(value: str) -> str:
    return repr(value if len(value) <= 40 else value[:40] + "…")


def _integer(value: str | None, element: str, line: int, minimum: int = 0) -> int | None:
    """A number from the export: None when absent or empty, _BadField when it is not one."""
    if value is None or not (text := value.strip()):
        return None
    if not _INTEGER.fullmatch(text):
        raise _BadField(line, f"{element} is {_shown(text)}, not a number")
    if len(text) > 20 or not minimum <= int(text) <= _MAX_INTEGER:
        raise _BadField(line, f"{element} is {_shown(text)}, out of range")
    return int(text)


def _sha1(value: str | None) -> str | None:
    """Hex, from the export's base 36 (or hex); ValueError when it is neither."""
    if value is None or not (text := value.strip().lower()):
        return None
    if _HEX_SHA1.fullmatch(text):
        return text
    if _BASE36_SHA1.fullmatch(text) and int(text, 36) < 1 << 160:
        return sha1_base36_to_hex(text)
    raise ValueError(text)


# -- the parser ------------------------------------------------------------------------------

# Leaf elements whose text we keep, by (parent, element).
_LEAVES = {
    ("siteinfo", "sitename"), ("siteinfo", "dbname"), ("siteinfo", "base"),
    ("siteinfo", "case"), ("namespaces", "namespace"),
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
    offset: int  # in the decompressed file
    value: int
    position: int  # of its U+FFFD in the UTF-8 that expat reads (expat's byte index)


@dataclass
class _Element:
    """A <page> or <revision> being read: the line it starts on, the text of its leaf
    elements (a contributor's as ``contributor_username``, ``contributor_id``,
    ``contributor_ip``) and the line each of them starts on."""

    line: int
    values: dict[str, str] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)


@dataclass
class _PageElement(_Element):
    redirect: str | None = None  # <redirect title="…"/>'s target


@dataclass
class _RevisionElement(_Element):
    text_attrs: dict[str, str] | None = None  # <text>'s attributes; None: no <text>
    text_line: int | None = None  # where <text> starts
    deleted: set[str] = field(default_factory=set)  # "contributor", "comment": deleted="…"
    minor: bool = False


@dataclass
class _Parser:
    path: str
    now: datetime | None = None  # revisions dated more than a day after it are refused
    items: list[DumpItem] = field(default_factory=list)
    stack: list[str] = field(default_factory=list)
    buffer: list[str] | None = None
    leaf_line: int = 0
    siteinfo: SiteInfo | None = None
    page: _PageElement | None = None
    page_emitted: bool = False
    page_skipped: bool = False
    previous_revid: int | None = None
    revision: _RevisionElement | None = None
    bad_bytes: list[_BadByte] = field(default_factory=list)  # not yet attributed, in order
    page_bad_bytes: list[tuple[_BadByte, int]] = field(default_factory=list)  # (first, revid)
    page_stray_bytes: list[_BadByte] = field(default_factory=list)  # outside its revisions
    page_textless: list[tuple[int, int]] = field(default_factory=list)  # (line, revid)
    # (expat's byte index of its first byte, bytes) of the last feeds; their lines up to
    # byte index _counted are counted: _lines is the line there
    _fed: deque[tuple[int, bytes]] = field(default_factory=deque)
    _fed_end: int = 0
    _counted: int = 0
    _lines: int = 1

    def __post_init__(self) -> None:
        # UTF-8 whatever the file declares: the reader validates and repairs it as UTF-8
        self.expat = expat.ParserCreate(encoding="UTF-8")
        self.expat.buffer_text = True
        self.expat.buffer_size = 1 << 20  # a whole text in one call, mostly
        self.expat.StartElementHandler = self.start
        self.expat.EndElementHandler = self.end
        self.expat.CharacterDataHandler = self.characters

    def parse(self, data: bytes, final: bool) -> None:
        """Give expat the next bytes of the file (UTF-8)."""
        self._fed.append((self._fed_end, data))
        self._fed_end += len(data)
        self.expat.Parse(data, final)
        # An event may still come from the end of the last feeds (a tag cut by the chunk's
        # end), not from older ones: count their lines once and let them go.
        while len(self._fed) > 2:
            start, older = self._fed.popleft()
            if self._counted < start + len(older):
                self._lines += older.count(b"\n", max(0, self._counted - start))
                self._counted = start + len(older)

    def lines_fed(self) -> int:
        """The line the bytes given to expat so far end on."""
        return self._lines + sum(
            data.count(b"\n", max(0, self._counted - start)) for start, data in self._fed
        )

    @property
    def line(self) -> int:
        """The line of the event being handled. Counted here, in the bytes given to expat
        (one fast pass): expat's CurrentLineNumber walks them through its tokenizer again,
        which costs a fifth of the whole parse."""
        index = self.expat.CurrentByteIndex
        if index < self._counted:  # in a feed let go of: a tag longer than the last feeds
            return int(self.expat.CurrentLineNumber)
        for start, data in self._fed:
            if self._counted >= index:
                break
            stop = min(index, start + len(data))
            if stop > self._counted:
                self._lines += data.count(b"\n", self._counted - start, stop - start)
                self._counted = stop
        return self._lines

    def characters(self, data: str) -> None:
        if self.buffer is not None:
            self.buffer.append(data)

    def start(self, name: str, attrs: dict[str, str]) -> None:
        parent = self.stack[-1] if self.stack else None
        self.stack.append(name)
        if (parent, name) in _LEAVES:
            self.buffer = []
            self.leaf_line = self.line
        if name == "siteinfo":
            self.siteinfo = SiteInfo()
        elif name == "page":
            self._report_stray_bytes(self._take_bad_bytes(self.expat.CurrentByteIndex), None)
            self.page = _PageElement(self.line)
            self.page_emitted = self.page_skipped = False
            self.previous_revid = None
        elif name == "redirect" and parent == "page" and self.page is not None:
            self.page.redirect = attrs.get("title", "")
        elif name == "revision" and parent == "page":
            self.page_stray_bytes += self._take_bad_bytes(self.expat.CurrentByteIndex)
            self.revision = _RevisionElement(self.line)
            self._emit_page()
        elif self.revision is not None and parent == "revision":
            if name == "text":
                self.revision.text_attrs = attrs
                self.revision.text_line = self.line
            elif name in ("contributor", "comment") and attrs.get("deleted"):
                self.revision.deleted.add(name)
            elif name == "minor":
                self.revision.minor = True

    def end(self, name: str) -> None:
        self.stack.pop()
        parent = self.stack[-1] if self.stack else None
        if (parent, name) in _LEAVES and self.buffer is not None:
            value = "".join(self.buffer)
            self.buffer = None
            if parent == "siteinfo" and self.siteinfo is not None:
                setattr(self.siteinfo, name, value.strip())
            elif parent == "namespaces" and self.siteinfo is not None and value.strip():
                self.siteinfo.namespaces.append(value.strip())
            elif parent == "page" and self.page is not None:
                self.page.values[name] = value
                self.page.lines[name] = self.leaf_line
            elif self.revision is not None and parent in ("revision", "contributor"):
                key = name if parent == "revision" else f"contributor_{name}"
                self.revision.values[key] = value
                self.revision.lines[key] = self.leaf_line
        if name == "siteinfo" and self.siteinfo is not None:
            self.items.append(self.siteinfo)
        elif name == "revision" and parent == "page" and self.revision is not None:
            self._emit_revision(self._take_bad_bytes(self.expat.CurrentByteIndex))
            self.revision = None
        elif name == "page":
            self._emit_page()  # a page without revisions
            self.page_stray_bytes += self._take_bad_bytes(self.expat.CurrentByteIndex)
            if self.page_skipped:
                self.page_stray_bytes = []  # the page is reported and skipped anyway
            self.finish_page()
            self.page = None

    def _where(self, line: int) -> str:
        return f"{self.path}:{line}"

    @property
    def title(self) -> str:
        return self.page.values.get("title", "").strip() if self.page is not None else ""

    # -- bad bytes -------------------------------------------------------------------------

    def _take_bad_bytes(self, before: int) -> list[_BadByte]:
        """Remove and return the bad bytes that expat has read before byte ``before``."""
        pending = self.bad_bytes
        if not pending or pending[0].position >= before:
            return []
        count = 1
        while count < len(pending) and pending[count].position < before:
            count += 1
        taken = pending[:count]
        del pending[:count]
        return taken

    def _report_stray_bytes(self, bad: list[_BadByte], title: str | None) -> None:
        if not bad:
            return
        first, more = bad[0], len(bad) - 1
        where = f"in page {title!r} outside its revisions" if title is not None else (
            "outside any page"
        )  # fmt: skip
        self.items.append(
            DumpProblem(
                f"{self._where(first.line)} (byte {first.offset}): invalid UTF-8 byte "
                f"0x{first.value:02X} {where}"
                + (f" and {more} more there" if more else "")
                + "; read as U+FFFD",
                lost=False,
            )
        )

    def finish_page(self) -> None:
        """Report what was skipped or replaced in the current page, once per page."""
        if self.page_bad_bytes:
            (first, revid), more = self.page_bad_bytes[0], len(self.page_bad_bytes) - 1
            self.items.append(
                DumpProblem(
                    f"{self._where(first.line)} (byte {first.offset}): invalid UTF-8 byte "
                    f"0x{first.value:02X} in revision {revid} of {self.title!r}"
                    + (f" and in {more} more of its revisions" if more else "")
                    + "; imported with U+FFFD in place of each invalid byte "
                    "(their sha1 will not match)",
                    lost=False,
                )
            )
        self._report_stray_bytes(self.page_stray_bytes, self.title)
        if self.page_textless:
            (line, revid), more = self.page_textless[0], len(self.page_textless) - 1
            self.items.append(
                DumpProblem(
                    f"{self._where(line)}: revision {revid} of {self.title!r}"
                    + (f" and {more} more of its revisions have" if more else " has")
                    + " no text in this export (a stub dump?); not imported"
                )
            )
        self.page_bad_bytes, self.page_stray_bytes, self.page_textless = [], [], []

    def finish_file(self) -> None:
        self._report_stray_bytes(self._take_bad_bytes(1 << 62), None)

    # -- pages and revisions -------------------------------------------------------------------

    def _emit_page(self) -> None:
        if self.page is None or self.page_emitted:
            return
        self.page_emitted = True
        values, lines = self.page.values, self.page.lines
        try:
            ns = _integer(values.get("ns"), "<ns>", lines.get("ns", 0), minimum=-2)
            page_id = _integer(values.get("id"), "<id>", lines.get("id", 0), minimum=1)
        except _BadField as error:
            self.page_skipped = True
            self.items.append(
                DumpProblem(
                    f"{self._where(error.line)}: page {self.title!r}: {error.message}; "
                    "the page and its revisions are not imported"
                )
            )
            return
        self.items.append(
            DumpPage(
                title=self.title,
                ns=ns or 0,
                page_id=page_id,
                redirect=self.page.redirect,
                line=self.page.line,
            )
        )

    def _emit_revision(self, bad_bytes: list[_BadByte]) -> None:
        data = self.revision
        assert data is not None and self.page is not None
        if self.page_skipped:
            return
        try:
            revid = _integer(data.values.get("id"), "<id>", data.lines.get("id", 0), minimum=1)
        except _BadField as error:
            self.previous_revid = None
            self._skip(error.line, f"a revision of {self.title!r}: {error.message}")
            return
        if revid is None:
            self.previous_revid = None
            self._skip(
                data.line,
                f"a revision of {self.title!r} has no <id>; wikimon needs revision ids "
                "(use Special:Export or a database dump)",
                suffix="",
            )
            return
        # Without <parentid> (schemas before 0.7) the previous revision in the file is the
        # parent, as in a full-history export.
        previous, self.previous_revid = self.previous_revid, revid
        try:
            revision = self._revision(data, revid, previous)
        except _BadField as error:
            self._skip(error.line, f"revision {revid} of {self.title!r}: {error.message}")
            return
        if revision is None:
            self.page_textless.append((data.line, revid))
            return
        if bad_bytes:
            self.page_bad_bytes.append((bad_bytes[0], revid))
        self.items.append(revision)

    def _skip(self, line: int, message: str, suffix: str = "; not imported") -> None:
        self.items.append(DumpProblem(f"{self._where(line)}: {message}{suffix}"))

    def _revision(
        self, data: _RevisionElement, revid: int, previous: int | None
    ) -> DumpRevision | None:
        """The revision, or None when its text is not in the export (a stub dump)."""
        values, lines = data.values, data.lines
        text_attrs = data.text_attrs
        text_line = data.text_line if data.text_line is not None else data.line
        size = None
        if text_attrs is not None:
            size = _integer(text_attrs.get("bytes"), '<text bytes="…">', text_line, minimum=-1)
            if size == -1:
                size = None  # unknown: what exports give for revision-deleted text
        texthidden = bool(text_attrs and text_attrs.get("deleted"))
        text = None if texthidden else values.get("text")
        if not texthidden and not text:
            # <text bytes="1234" id="5"/> in a stub dump, or no <text> at all: not in this
            # export. <text bytes="0"/> or a bare <text/> is an empty revision.
            if text_attrs is None:
                return None
            if size != 0 and (size or "location" in text_attrs or "id" in text_attrs):
                return None
            text = ""
        timestamp = values.get("timestamp", "").strip()
        if not timestamp:
            raise _BadField(data.line, "no <timestamp>")
        if problem := time_problem(timestamp, self.now):
            raise _BadField(lines["timestamp"], f"<timestamp> is {_shown(timestamp)}, {problem}")
        parent = _integer(values.get("parentid"), "<parentid>", lines.get("parentid", 0))
        anon = "contributor_ip" in values
        user_id = _integer(
            values.get("contributor_id"), "contributor <id>", lines.get("contributor_id", 0)
        )
        # The main slot's sha1 (0.11) is the text's; <sha1> covers all slots of the revision.
        raw_sha1 = (text_attrs or {}).get("sha1") or values.get("sha1") or ""  # "": none
        try:
            sha1 = _sha1(raw_sha1)
        except ValueError:
            sha1 = None
            line = text_line if (text_attrs or {}).get("sha1") else lines.get("sha1", 0)
            self.items.append(
                DumpProblem(
                    f"{self._where(line)}: revision {revid} of {self.title!r}: sha1 is "
                    f"{_shown(raw_sha1.strip())}, neither base 36 nor hex; imported with "
                    "the sha1 of its text instead",
                    lost=False,
                )
            )
        userhidden = "contributor" in data.deleted
        commenthidden = "comment" in data.deleted
        user = values.get("contributor_username", values.get("contributor_ip"))
        return DumpRevision(
            line=data.line,
            revid=revid,
            parent_revid=(parent or None) if "parentid" in values else previous,
            timestamp=timestamp,
            user=None if userhidden else user,
            user_id=user_id if user_id is not None else (0 if anon else None),
            anon=anon,
            comment=None if commenthidden else values.get("comment", ""),
            minor=data.minor,
            size=size,
            sha1=sha1,
            text=text,
            texthidden=texthidden,
            userhidden=userhidden,
            commenthidden=commenthidden,
        )


def read_dump(
    path: str | os.PathLike[str],
    progress: Callable[[int], None] | None = None,
    *,
    now: datetime | None = None,
) -> Iterator[DumpItem]:
    """Yield the export's site info, pages, revisions and problems in file order.

    ``progress`` is called with the number of (compressed) file bytes read so far; a
    revision dated more than a day after ``now`` (when given) is refused as impossible.
    """
    # Nearly every file is valid UTF-8 and well-formed XML: expat reads its bytes as they
    # are, and validates them as it goes. When it stops (a bad byte, broken XML), the file
    # is read again from the start, each chunk decoded first so that a bad byte becomes
    # U+FFFD and is reported; what was yielded already comes out the same and is skipped.
    yielded = 0
    shown = 0  # the progress shown: a second reading catches up with it silently

    def forward(done: int) -> None:
        nonlocal shown
        if progress is not None and done > shown:
            shown = done
            progress(done)

    try:
        for item in _read_dump(os.fspath(path), forward, now, careful=False):
            yield item
            yielded += 1
        return
    except _ReadCarefully:
        pass
    careful = _read_dump(os.fspath(path), forward, now, careful=True)
    yield from itertools.islice(careful, yielded, None)


_CUT_SHORT = ("no element found", "unclosed token")  # what expat says at the end of a cut file


def _wide(start: bytes) -> bool:
    """Does the file start as UTF-16 or UTF-32 would (a byte order mark, or NULs around
    the first "<")?"""
    return start.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in start[:4]


class _ReadCarefully(Exception):
    """The quick reading met what only the careful one reports (a bad byte, broken XML)."""


def _read_dump(
    name: str, progress: Callable[[int], None] | None, now: datetime | None, *, careful: bool
) -> Iterator[DumpItem]:
    parser = _Parser(name, now)
    decoder = codecs.getincrementaldecoder("utf-8")(errors="wikimon-dump")
    offset = 0  # decompressed bytes decoded so far
    shift = 0  # how many more bytes expat reads than the file has: U+FFFD is 3 bytes
    chunk = b""
    carry = b""  # bytes the decoder holds: a character that the next chunk completes

    first_line = 1  # the line the decoder's input (pending bytes and chunk) starts on
    counted = (0, 0)  # (position in that input, newlines before it): bad bytes come in order

    def on_bad_byte(error: UnicodeDecodeError) -> None:
        nonlocal shift, counted
        # error.object is the decoder's pending bytes followed by this chunk
        chunk_start = offset - (len(error.object) - len(chunk))
        # counted on from the last bad byte, not from the start: a chunk of bad bytes
        # costs one pass, not one per byte
        newlines = counted[1] + error.object.count(b"\n", counted[0], error.start)
        counted = (error.start, newlines)
        parser.bad_bytes.append(
            _BadByte(
                line=first_line + newlines,
                offset=chunk_start + error.start,
                value=error.object[error.start],
                position=chunk_start + error.start + shift,
            )
        )
        shift += 3 - (error.end - error.start)

    def pending_items() -> Iterator[DumpItem]:
        yield from parser.items
        parser.items.clear()

    with open(name, "rb") as raw:
        factory = _decompressor_for(raw)
        chunks = _decompressed(raw, factory) if factory else _plain(raw)
        while True:
            try:
                chunk = next(chunks, b"")
            except _CompressedDataError as error:
                failure = f"{name}:{parser.lines_fed()}: {error} (after {offset} bytes)"
                break
            except OSError as error:
                failure = f"{name}:{parser.lines_fed()}: cannot read the file ({error})"
                break
            final = not chunk
            if not careful and offset == 0 and _wide(chunk):
                raise _ReadCarefully  # expat would follow a UTF-16 mark: read it as UTF-8
            if not careful or (not carry and chunk.isascii()):
                feed = chunk  # expat validates it (ASCII is UTF-8)
            else:
                data = carry + chunk if carry else chunk  # what the decoder reads this time
                bad_before = len(parser.bad_bytes)
                first_line, counted = parser.lines_fed(), (0, 0)
                _bad_byte_listeners.append(on_bad_byte)
                try:
                    text = decoder.decode(chunk, final)
                finally:
                    _bad_byte_listeners.pop()
                carry = decoder.getstate()[0]  # the start of a character cut by the chunk's end
                if len(parser.bad_bytes) == bad_before:
                    # Valid UTF-8: expat reads the bytes as they are (given the str, it
                    # would encode it again, which costs more than the parse).
                    feed = data[: len(data) - len(carry)] if carry else data
                else:
                    feed = text.encode("utf-8")  # each bad byte replaced by U+FFFD
            offset += len(chunk)
            try:
                parser.parse(feed, final)
            except (expat.ExpatError, UnicodeDecodeError) as error:
                if isinstance(error, UnicodeDecodeError):  # expat let through what Python won't
                    if not careful:
                        raise _ReadCarefully from None
                    failure = f"{name}:{parser.lines_fed()}: {error}"
                    break
                reason = expat.ErrorString(error.code)
                if not careful and not (final and reason in _CUT_SHORT):
                    # (a file cut short has had every byte checked: nothing to read again)
                    raise _ReadCarefully from None
                if reason in _CUT_SHORT and final:
                    reason = f"the XML ends early ({reason}): the file is truncated"
                failure = f"{name}:{error.lineno}:{error.offset + 1}: {reason}"
                break
            if final:
                parser.finish_file()
            yield from pending_items()
            if progress is not None:
                progress(raw.tell())
            if final:
                return
    # Everything before the failure first, with what was skipped in the page it cuts off.
    parser.finish_page()
    yield from pending_items()
    raise DumpError(failure)
