"""The XML export reader: every schema version, odd field values, stub dumps, bad bytes
outside revisions, and compressed files cut short."""

from __future__ import annotations

import bz2
import functools
import gzip
import hashlib
import lzma
import re
import zlib
from datetime import UTC, datetime, timedelta
from html import escape
from pathlib import Path

import pytest
from helpers import CORPUS, SAMPLE_HISTORY

from monitor.errors import DumpError
from monitor.sources.xmldump import DumpPage, DumpProblem, DumpRevision, SiteInfo, read_dump
from storage import Revision

DEWIKI = CORPUS / "real" / "dewiki_history_sample" / "Bz2Test.xml.bz2"

# The sample is 20 MB of wikitext: the fastest level of each compressor (the format is the
# same; only the time spent squeezing differs).
FAST_XZ = functools.partial(lzma.compress, preset=0)
FAST_BZ2 = functools.partial(bz2.compress, compresslevel=1)
FAST_GZ = functools.partial(gzip.compress, compresslevel=1)


def read_all(path: Path) -> list:
    return list(read_dump(path))


def revisions(items: list) -> list[Revision]:
    return [item for item in items if isinstance(item, Revision)]


def problems(items: list) -> list[str]:
    return [item.message for item in items if isinstance(item, DumpProblem)]


def base36(text: str) -> str:
    """A text's sha1 as exports write it: base 36, 31 digits."""
    value = int(hashlib.sha1(text.encode()).hexdigest(), 16)
    digits = ""
    while value:
        value, digit = divmod(value, 36)
        digits = "0123456789abcdefghijklmnopqrstuvwxyz"[digit] + digits
    return digits.rjust(31, "0")


def sha1(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


def line_of(data: bytes | str, needle: bytes | str) -> int:
    """The 1-based line where ``needle`` first occurs."""
    return data[: data.index(needle)].count(b"\n" if isinstance(data, bytes) else "\n") + 1


def write(tmp_path: Path, data: str | bytes, name: str = "export.xml") -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


# -- every schema version --------------------------------------------------------------------

VERSIONS = ["0.3", "0.4", "0.5", "0.6", "0.7", "0.8", "0.9", "0.10", "0.11"]

FIRST = "'''Pear''' is a <b>fruit</b> & a tree.\n\n  Indented — ünïcödé, \"quoted\"\n"
SECOND = "Pears & [[Pyrus]]\n\n[[Category:Fruit]]"
THIRD = "#REDIRECT [[Pyrus]]"
SLOT = '{"labels": {"en": "pear"}}'


def _text(version: tuple[int, ...], text: str | None) -> str:
    if text is None:  # revision-deleted
        size = ' bytes="-1"' if version >= (0, 11) else ""
        return f'<text{size} deleted="deleted" />'
    attrs = ' xml:space="preserve"'
    if version >= (0, 5):
        attrs = f' bytes="{len(text.encode())}"' + attrs
    if version >= (0, 11):
        attrs = f' bytes="{len(text.encode())}" sha1="{base36(text)}" xml:space="preserve"'
    return f"<text{attrs}>{escape(text, quote=False)}</text>"


def _revision(
    version: tuple[int, ...],
    revid: int,
    parent: int | None,
    timestamp: str,
    contributor: str,
    comment: str,
    text: str | None,
    minor: bool = False,
    slot: str | None = None,
) -> str:
    """One <revision> with exactly the elements its schema version has (see the
    export-0.x.xsd files in MediaWiki's docs/)."""
    lines = [f"<id>{revid}</id>"]
    if version >= (0, 7) and parent is not None:  # "0.7 … Add parentid to revision"
        lines.append(f"<parentid>{parent}</parentid>")
    lines += [f"<timestamp>{timestamp}</timestamp>", contributor]
    if minor:
        lines.append("<minor/>")
    lines.append(comment)
    digest = "<sha1/>" if text is None else f"<sha1>{base36(text)}</sha1>"
    model = ["<model>wikitext</model>", "<format>text/x-wiki</format>"]
    if version < (0, 6):
        lines.append(_text(version, text))
    elif version < (0, 8):  # 0.6 adds <sha1>, before <text>
        lines += [digest, _text(version, text)]
    elif version < (0, 10):  # 0.8 adds <model> and <format>, after <sha1>
        lines += [_text(version, text), digest, *model]
    else:  # 0.10 moves them before <text>; 0.11 adds <origin> and <content> slots
        if version >= (0, 11):
            lines.append(f"<origin>{revid}</origin>")
        lines += [*model, _text(version, text)]
        if slot is not None and version >= (0, 11):  # 0.10 leaves other slots out
            lines += [
                "<content>",
                "<role>mediainfo</role>",
                f"<origin>{revid}</origin>",
                "<model>wikibase-mediainfo</model>",
                "<format>application/json</format>",
                f'<text bytes="{len(slot)}" sha1="{base36(slot)}" xml:space="preserve">'
                f"{escape(slot, quote=False)}</text>",
                "</content>",
            ]
            # a multi-slot revision's <sha1> covers all its slots, not the main text
            digest = f"<sha1>{base36(text + slot)}</sha1>"
        lines.append(digest)
    return "<revision>\n" + "\n".join(lines) + "\n</revision>"


def schema_export(version_name: str) -> str:
    version = tuple(int(part) for part in version_name.split("."))
    alice = "<contributor>\n<username>Alice</username>\n<id>7</id>\n</contributor>"
    anon = "<contributor>\n<ip>192.0.2.44</ip>\n</contributor>"
    revisions = [
        _revision(version, 101, None, "2001-01-15T13:15:00Z", alice,
                  "<comment>first</comment>", FIRST, slot=SLOT),
        _revision(version, 102, 101, "2002-02-02T02:02:02Z", anon,
                  "<comment>fix &lt;typo&gt; &amp; more</comment>", SECOND, minor=True),
        # its parent, 103, was deleted: it is not in the export
        _revision(version, 104, 103, "2003-03-03T03:03:03Z", alice, "", THIRD),
    ]  # fmt: skip
    if version >= (0, 4):  # 0.4 adds the revision-deletion flags
        revisions.append(
            _revision(version, 105, 104, "2004-04-04T04:04:04Z",
                      '<contributor deleted="deleted" />', '<comment deleted="deleted" />', None)
        )  # fmt: skip
    site = ["<sitename>Wikipedia</sitename>"]
    if version >= (0, 9):
        site.append("<dbname>enwiki</dbname>")
    site.append("<base>https://en.wikipedia.org/wiki/Main_Page</base>")
    page = ["<title>User:Pear</title>"]
    if version >= (0, 6):
        page.append("<ns>2</ns>")
    page.append("<id>42</id>")
    if version >= (0, 6):
        page.append('<redirect title="Pyrus" />')
    elif version >= (0, 4):
        page.append("<redirect />")
    return (
        f'<mediawiki xmlns="http://www.mediawiki.org/xml/export-{version_name}/" '
        f'version="{version_name}" xml:lang="en">\n'
        "<siteinfo>\n" + "\n".join(site) + "\n</siteinfo>\n"
        "<page>\n" + "\n".join(page) + "\n" + "\n".join(revisions) + "\n</page>\n</mediawiki>\n"
    )


@pytest.mark.parametrize("version_name", VERSIONS)
def test_every_schema_version_reads_exactly(tmp_path, version_name):
    version = tuple(int(part) for part in version_name.split("."))
    xml = schema_export(version_name)
    items = read_all(write(tmp_path, xml))
    has_sha1, has_size = version >= (0, 6), version >= (0, 5)

    def expected(revid, parent, timestamp, user, user_id, comment, text, minor=False):
        return Revision(
            revid=revid, parent_revid=parent, timestamp=timestamp, user=user, user_id=user_id,
            anon=user_id == 0, comment=comment, minor=minor,
            size=len(text.encode()) if has_size else None,
            sha1=sha1(text) if has_sha1 else None, text=text,
        )  # fmt: skip

    wanted = [
        expected(101, None, "2001-01-15T13:15:00Z", "Alice", 7, "first", FIRST),
        expected(102, 101, "2002-02-02T02:02:02Z", "192.0.2.44", 0, "fix <typo> & more",
                 SECOND, minor=True),
        # without <parentid> (before 0.7) the previous revision in the file is the parent
        expected(104, 103 if version >= (0, 7) else 102, "2003-03-03T03:03:03Z", "Alice", 7,
                 "", THIRD),
    ]  # fmt: skip
    if version >= (0, 4):
        wanted.append(
            Revision(
                revid=105, parent_revid=104, timestamp="2004-04-04T04:04:04Z", user=None,
                user_id=None, comment=None, size=None, sha1=None, text=None,
                texthidden=True, userhidden=True, commenthidden=True,
            )
        )  # fmt: skip
    redirect = "Pyrus" if version >= (0, 6) else ("" if version >= (0, 4) else None)
    page = DumpPage(
        title="User:Pear",
        ns=2 if version >= (0, 6) else 0,  # before 0.6 there is no <ns>
        page_id=42,
        redirect=redirect,
        line=line_of(xml, "<page>"),
    )
    site = SiteInfo(
        sitename="Wikipedia",
        dbname="enwiki" if version >= (0, 9) else None,
        base="https://en.wikipedia.org/wiki/Main_Page",
    )
    # each revision with the line its <revision> starts on
    starts = [n for n, text in enumerate(xml.split("\n"), 1) if text.startswith("<revision")]
    wanted = [DumpRevision(**vars(r), line=n) for r, n in zip(wanted, starts, strict=True)]
    assert items == [site, page, *wanted]


def test_a_non_main_slot_does_not_replace_the_main_text(tmp_path):
    xml = schema_export("0.11")
    assert SLOT.replace('"', "&quot;") not in xml and "<role>mediainfo</role>" in xml
    first = revisions(read_all(write(tmp_path, xml)))[0]
    assert (first.text, first.size, first.sha1) == (FIRST, len(FIRST.encode()), sha1(FIRST))


# -- odd field values ----------------------------------------------------------------------

GOOD = """<revision>
<id>{revid}</id>
<timestamp>2024-01-0{day}T00:00:00Z</timestamp>
<contributor>
<username>Bob</username>
<id>3</id>
</contributor>
<text bytes="4" xml:space="preserve">r{revid}</text>
</revision>"""

ODD = """<mediawiki version="0.10">
<page>
<title>A</title>
<ns>0</ns>
<id>1</id>
{first}
{odd}
{last}
</page>
<page>
<title>B</title>
<ns>0</ns>
<id>2</id>
{other}
</page>
</mediawiki>
"""

# (the odd revision, the value shown in the problem, its message after "file:line: ")
ODD_REVISIONS = {
    "revision id": (
        GOOD.replace("<id>{revid}</id>", "<id>6a</id>", 1),
        "<id>6a</id>",
        "a revision of 'A': <id> is '6a', not a number; not imported",
    ),
    "revision id too big": (
        GOOD.replace("<id>{revid}</id>", "<id>99999999999999999999</id>", 1),
        "<id>99999999999999999999</id>",
        "a revision of 'A': <id> is '99999999999999999999', out of range; not imported",
    ),
    "revision id zero": (
        GOOD.replace("<id>{revid}</id>", "<id>0</id>", 1),
        "<id>0</id>",
        "a revision of 'A': <id> is '0', out of range; not imported",
    ),
    "parentid": (
        GOOD.replace("<timestamp>", "<parentid>5O</parentid>\n<timestamp>"),
        "<parentid>",
        "revision 6 of 'A': <parentid> is '5O', not a number; not imported",
    ),
    "negative parentid": (
        GOOD.replace("<timestamp>", "<parentid>-5</parentid>\n<timestamp>"),
        "<parentid>",
        "revision 6 of 'A': <parentid> is '-5', out of range; not imported",
    ),
    "contributor id": (
        GOOD.replace("<id>3</id>", "<id>three</id>"),
        "<id>three</id>",
        "revision 6 of 'A': contributor <id> is 'three', not a number; not imported",
    ),
    "text bytes": (
        GOOD.replace('bytes="4"', 'bytes="4 kB"'),
        "<text",
        "revision 6 of 'A': <text bytes=\"…\"> is '4 kB', not a number; not imported",
    ),
    "empty timestamp": (
        GOOD.replace("2024-01-0{day}T00:00:00Z", ""),
        "<revision>",
        "revision 6 of 'A': no <timestamp>; not imported",
    ),
    "missing timestamp": (
        GOOD.replace("<timestamp>2024-01-0{day}T00:00:00Z</timestamp>\n", ""),
        "<revision>",
        "revision 6 of 'A': no <timestamp>; not imported",
    ),
    "malformed timestamp": (
        GOOD.replace("2024-01-0{day}T00:00:00Z", "2 January 2024"),
        "<timestamp>",
        "revision 6 of 'A': <timestamp> is '2 January 2024', not a time written "
        "YYYY-MM-DDThh:mm:ssZ; not imported",
    ),
}
# Impossible times (issue 12): each skips its revision with one line, the rest is read.
IMPOSSIBLE_TIMES = {
    "2024-02-30T00:00:00Z": "not a real date and time",
    "2023-02-29T12:00:00Z": "not a real date and time",  # not a leap year
    "9999-99-99T99:99:99Z": "not a real date and time",
    "2024-01-01T24:00:00Z": "not a real date and time",
    "2016-12-31T23:59:60Z": "not a real date and time",  # a leap second
    "2024-13-01T00:00:00Z": "not a real date and time",
    "0000-01-01T00:00:00Z": "not a real date and time",  # there is no year 0
    "2024-01-02T00:00:00": "not a time written YYYY-MM-DDThh:mm:ssZ",  # no Z
    "2024-01-02T00:00:00+01:00": "not a time written YYYY-MM-DDThh:mm:ssZ",
    "2024-1-2T0:0:0Z": "not a time written YYYY-MM-DDThh:mm:ssZ",
    "20240102000000": "not a time written YYYY-MM-DDThh:mm:ssZ",
    "1970-01-01T00:00:00Z": "before 1995, when the first wiki went online",
    "0001-01-01T00:00:00Z": "before 1995, when the first wiki went online",
}
for _time, _why in IMPOSSIBLE_TIMES.items():
    ODD_REVISIONS[f"timestamp {_time}"] = (
        GOOD.replace("2024-01-0{day}T00:00:00Z", _time),
        "<timestamp>",
        f"revision 6 of 'A': <timestamp> is {_time!r}, {_why}; not imported",
    )


def odd_export(odd: str) -> str:
    return ODD.format(
        first=GOOD.format(revid=5, day=1),
        odd=odd.format(revid=6, day=2),
        last=GOOD.format(revid=7, day=3),
        other=GOOD.format(revid=9, day=4),
    )


@pytest.mark.parametrize("case", sorted(ODD_REVISIONS))
def test_an_odd_revision_field_skips_that_revision_with_one_line(tmp_path, case):
    odd, marker, message = ODD_REVISIONS[case]
    xml = odd_export(odd)
    path = write(tmp_path, xml)
    items = read_all(path)
    # the line of the odd field: the first marker after the good first revision
    line = line_of(xml[xml.index("r5</text>") :], marker) + line_of(xml, "r5</text>") - 1
    assert problems(items) == [f"{path}:{line}: {message}"]
    assert [r.revid for r in revisions(items)] == [5, 7, 9]
    assert [i.title for i in items if isinstance(i, DumpPage)] == ["A", "B"]


def test_a_time_more_than_a_day_ahead_of_the_clock_is_impossible(tmp_path):
    """The future is relative to the clock the import is given (the store's); a day of
    slack allows for a wiki whose clock is ahead of ours."""
    now = datetime(2024, 1, 3, 0, 0, tzinfo=UTC)
    xml = odd_export(GOOD).replace("2024-01-03T00:00:00Z", "2024-01-04T00:00:01Z")
    path = write(tmp_path, xml)
    items = list(read_dump(path, now=now))
    assert problems(items) == [
        f"{path}:{line_of(xml, '2024-01-04T00:00:01Z')}: revision 7 of 'A': <timestamp> is "
        "'2024-01-04T00:00:01Z', in the future (it is 2024-01-03T00:00:00Z now); not imported"
    ]
    assert [r.revid for r in revisions(items)] == [5, 6, 9]  # 9: 2024-01-04T00:00:00Z
    later = list(read_dump(path, now=now + timedelta(seconds=1)))
    assert [r.revid for r in revisions(later)] == [5, 6, 7, 9] and not problems(later)


def test_a_malformed_sha1_is_dropped_and_reported(tmp_path):
    odd = GOOD.replace("</text>", "</text>\n<sha1>not a sha1!</sha1>")
    xml = odd_export(odd)
    path = write(tmp_path, xml)
    items = read_all(path)
    assert problems(items) == [
        f"{path}:{line_of(xml, '<sha1>')}: revision 6 of 'A': sha1 is 'not a sha1!', neither "
        "base 36 nor hex; imported with the sha1 of its text instead"
    ]
    assert [(r.revid, r.sha1) for r in revisions(items)] == [
        (5, None),
        (6, None),
        (7, None),
        (9, None),
    ]


@pytest.mark.parametrize(
    "value", ["g" * 40, "abc", "z" * 31, "0" * 32, base36("x").upper(), sha1("x").upper()]
)
def test_sha1_forms(tmp_path, value):
    """Base 36 up to 31 digits and below 2**160, or 40 hex digits; anything else is dropped."""
    odd = GOOD.replace("</text>", f"</text>\n<sha1>{value}</sha1>")
    items = read_all(write(tmp_path, odd_export(odd)))
    good = {
        base36("x").upper(): sha1("x"),
        sha1("x").upper(): sha1("x"),
        "abc": format(13368, "040x"),
    }
    assert revisions(items)[1].sha1 == good.get(value)
    assert len(problems(items)) == (0 if value in good else 1)


@pytest.mark.parametrize(
    ("element", "value", "reason"),
    [("id", "1x", "not a number"), ("id", "0", "out of range"), ("ns", "main", "not a number")],
)
def test_an_odd_page_field_skips_the_page_and_its_revisions(tmp_path, element, value, reason):
    fields = {"ns": "0", "id": "2", element: value}
    xml = odd_export(GOOD).replace(
        "<title>B</title>\n<ns>0</ns>\n<id>2</id>",
        f"<title>B</title>\n<ns>{fields['ns']}</ns>\n<id>{fields['id']}</id>",
    )
    path = write(tmp_path, xml)
    items = read_all(path)
    assert problems(items) == [
        f"{path}:{line_of(xml, f'<{element}>{value}<')}: page 'B': <{element}> is {value!r}, "
        f"{reason}; the page and its revisions are not imported"
    ]
    assert [i.title for i in items if isinstance(i, DumpPage)] == ["A"]
    assert [r.revid for r in revisions(items)] == [5, 6, 7]  # none of B's, reported once


def test_negative_namespace_and_zero_contributor_id_are_valid(tmp_path):
    xml = odd_export(GOOD.replace("<id>3</id>", "<id>0</id>")).replace(
        "<title>B</title>\n<ns>0</ns>", "<title>Media:B</title>\n<ns>-2</ns>"
    )
    items = read_all(write(tmp_path, xml))
    assert problems(items) == []
    assert [(i.title, i.ns) for i in items if isinstance(i, DumpPage)] == [
        ("A", 0),
        ("Media:B", -2),
    ]
    assert [(r.revid, r.user, r.user_id, r.anon) for r in revisions(items)][1] == (
        6,
        "Bob",
        0,
        False,
    )


# -- stub dumps: no text in the export ------------------------------------------------------


def _stub_revision(revid: int, text_element: str) -> str:
    return (
        f"<revision>\n<id>{revid}</id>\n<timestamp>2024-02-{revid:02d}T00:00:00Z</timestamp>\n"
        f"<contributor>\n<ip>192.0.2.1</ip>\n</contributor>\n{text_element}</revision>"
    )


STUB = (
    '<mediawiki version="0.11">\n<page>\n<title>A</title>\n<ns>0</ns>\n<id>1</id>\n'
    + _stub_revision(3, '<text xml:space="preserve">kept</text>\n')
    + _stub_revision(5, '<text bytes="1234" id="5" />\n')
    + _stub_revision(6, '<text bytes="12" sha1="abc" location="tt:6" id="6" />\n')
    + _stub_revision(7, "")  # no <text> at all
    + _stub_revision(8, '<text bytes="0" />\n')
    + _stub_revision(9, '<text xml:space="preserve"></text>\n')
    + _stub_revision(10, '<text xml:space="preserve" />\n')
    + _stub_revision(11, f'<text bytes="0" sha1="{base36("")}" location="tt:11" id="11" />\n')
    + _stub_revision(12, '<text bytes="-1" deleted="deleted" />\n')
    + _stub_revision(13, '<text location="tt:13" />\n')
    + "</page>\n<page>\n<title>B</title>\n<ns>0</ns>\n<id>2</id>\n"
    + _stub_revision(20, '<text bytes="7" id="20" />\n')
    + "</page>\n</mediawiki>\n"
)  # fmt: skip


def test_revisions_without_text_in_the_export_are_skipped_once_per_page(tmp_path):
    path = write(tmp_path, STUB)
    items = read_all(path)
    assert problems(items) == [
        f"{path}:{line_of(STUB, '<id>5</id>') - 1}: revision 5 of 'A' and 3 more of its "
        "revisions have no text in this export (a stub dump?); not imported",
        f"{path}:{line_of(STUB, '<id>20</id>') - 1}: revision 20 of 'B' has no text in this "
        "export (a stub dump?); not imported",
    ]
    kept = [(r.revid, r.text, r.size, r.texthidden) for r in revisions(items)]
    assert kept == [
        (3, "kept", None, False),
        (8, "", 0, False),
        (9, "", None, False),
        (10, "", None, False),
        (11, "", 0, False),  # an empty revision in a stub: bytes="0" says what its text is
        (12, None, None, True),  # revision-deleted, not missing
    ]
    # the problem comes after the page's revisions, before the next page
    kinds = [type(item).__name__ for item in items]
    assert kinds == ["DumpPage"] + ["DumpRevision"] * 6 + ["DumpProblem", "DumpPage", "DumpProblem"]


# -- bad UTF-8 outside revisions -------------------------------------------------------------

REVISION = (
    "<revision><id>{revid}</id><timestamp>2024-01-01T00:00:00Z</timestamp>"
    "<text>{text}</text></revision>"
)


def test_a_bad_byte_in_a_title_is_reported_with_its_page(tmp_path):
    data = (
        b"<mediawiki>\n<page>\n<title>Ut\xffeha</title>\n<ns>0</ns>\n<id>1</id>\n"
        + REVISION.format(revid=1, text="fine").encode()
        + b"\n</page>\n</mediawiki>\n"
    )
    path = write(tmp_path, data)
    items = read_all(path)
    byte = data.index(b"\xff")
    assert problems(items) == [
        f"{path}:3 (byte {byte}): invalid UTF-8 byte 0xFF in page "
        "'Ut\ufffdeha' outside its revisions; read as U+FFFD"
    ]
    assert [(r.revid, r.text) for r in revisions(items)] == [(1, "fine")]


def test_on_one_line_each_bad_byte_is_blamed_on_what_contains_it(tmp_path):
    """A single-line file: line numbers cannot tell revisions apart, byte positions can.
    40 bad bytes in the title shift everything after them (each becomes 3-byte U+FFFD);
    a truncated sequence (2 bytes, one U+FFFD) shifts by one."""
    data = (
        b"<mediawiki><siteinfo><sitename>W\xfe</sitename></siteinfo><page><title>A"
        + b"\xff" * 40
        + b"\xe2\x82</title><ns>0</ns><id>1</id>"
        + REVISION.format(revid=1, text="clean").encode()
        + REVISION.format(revid=2, text="x\x00y").encode().replace(b"\x00", b"\xc3")
        + REVISION.format(revid=3, text="clean").encode()
        + b"</page><!-- \xf0 --></mediawiki>"
    )
    path = write(tmp_path, data)
    items = read_all(path)
    title = "A" + "\ufffd" * 41
    at = {value: data.index(bytes([value])) for value in (0xFE, 0xC3, 0xFF, 0xF0)}
    assert problems(items) == [
        f"{path}:1 (byte {at[0xFE]}): invalid UTF-8 byte 0xFE outside any page; read as U+FFFD",
        f"{path}:1 (byte {at[0xC3]}): invalid UTF-8 byte 0xC3 in revision 2 of {title!r}; "
        "imported with U+FFFD in place of each invalid byte (their sha1 will not match)",
        f"{path}:1 (byte {at[0xFF]}): invalid UTF-8 byte 0xFF in page {title!r} outside its "
        "revisions and 40 more there; read as U+FFFD",
        f"{path}:1 (byte {at[0xF0]}): invalid UTF-8 byte 0xF0 outside any page; read as U+FFFD",
    ]
    assert [(r.revid, r.text) for r in revisions(items)] == [
        (1, "clean"),
        (2, "x\ufffdy"),
        (3, "clean"),
    ]


def test_dewiki_bad_bytes_are_reported_as_before():
    """The real dewiki sample: one corrupt sequence in 114 revisions of 'Utjeha', nothing
    else, reported once."""
    items = read_all(DEWIKI)
    assert problems(items) == [
        f"{DEWIKI}:33307 (byte 2514148): invalid UTF-8 byte 0xD1 in revision 99155866 of "
        "'Utjeha' and in 113 more of its revisions; imported with U+FFFD in place of each "
        "invalid byte (their sha1 will not match)"
    ]
    assert len(revisions(items)) == 846


# -- compressed streams ----------------------------------------------------------------------


def _sample() -> bytes:
    return lzma.decompress(SAMPLE_HISTORY.read_bytes())


def _read_until_error(path: Path) -> tuple[list, str]:
    items = []
    with pytest.raises(DumpError) as error:
        for item in read_dump(path):
            items.append(item)
    return items, str(error.value)


@pytest.mark.parametrize(
    ("suffix", "compress", "decompressor"),
    [
        ("xz", FAST_XZ, lambda: lzma.LZMADecompressor()),
        ("bz2", FAST_BZ2, lambda: bz2.BZ2Decompressor()),
        ("gz", FAST_GZ, lambda: zlib.decompressobj(31)),
    ],
)
def test_a_truncated_compressed_file_loses_nothing_decompressible(
    tmp_path, suffix, compress, decompressor
):
    compressed = compress(_sample())
    cut = compressed[: len(compressed) * 9 // 10]
    path = write(tmp_path, cut, f"cut.xml.{suffix}")
    # all that can be decompressed from the cut file, in one go
    prefix = decompressor().decompress(cut)
    items, message = _read_until_error(path)
    assert len(revisions(items)) == prefix.count(b"</revision>")
    line = prefix.count(b"\n") + 1
    assert message == (
        f"{path}:{line}: the compressed data ends early: the file is truncated "
        f"(after {len(prefix)} bytes)"
    )


def test_the_sample_cut_at_ninety_percent_keeps_143_revisions(tmp_path):
    raw = SAMPLE_HISTORY.read_bytes()
    path = write(tmp_path, raw[: len(raw) * 9 // 10], "cut.xml.xz")
    items, message = _read_until_error(path)
    assert len(revisions(items)) == 143
    assert message.startswith(f"{path}:") and "the file is truncated" in message


@pytest.mark.parametrize(
    ("suffix", "compress"), [("bz2", FAST_BZ2), ("gz", FAST_GZ), ("xz", FAST_XZ)]
)
def test_concatenated_streams_are_read_in_turn(tmp_path, suffix, compress):
    """pbzip2, multi-member gzip and concatenated xz files: every stream is read."""
    data = _sample()
    thirds = [
        data[: len(data) // 3],
        data[len(data) // 3 : 2 * len(data) // 3],
        data[2 * len(data) // 3 :],
    ]
    path = write(tmp_path, b"".join(compress(part) for part in thirds), f"multi.xml.{suffix}")
    items = read_all(path)
    assert problems(items) == []
    assert revisions(items) == revisions(read_all(SAMPLE_HISTORY))
    assert len(revisions(items)) == 190


def test_corrupt_compressed_data_names_the_position(tmp_path):
    compressed = bytearray(FAST_BZ2(_sample()))
    middle = len(compressed) // 2
    compressed[middle : middle + 16] = bytes(16)
    path = write(tmp_path, bytes(compressed), "corrupt.xml.bz2")
    items, message = _read_until_error(path)
    match = re.fullmatch(
        rf"{re.escape(str(path))}:(\d+): cannot decompress: (.+) \(after (\d+) bytes\)", message
    )
    assert match, message
    prefix = _sample()[: int(match.group(3))]
    assert int(match.group(1)) == prefix.count(b"\n") + 1
    assert len(revisions(items)) == prefix.count(b"</revision>")


@pytest.mark.parametrize("compress", [None, FAST_XZ], ids=["plain", "xz"])
def test_lines_stay_exact_across_many_chunks(tmp_path, compress):
    """Revision lines are counted in the bytes given to the parser: exact many chunks into
    a file, with characters cut by a chunk's end, bad bytes (each read as a 3-byte
    U+FFFD) and a problem's line far into the file."""
    revisions_xml = []
    for n in range(400):  # about 8 MB: several chunks of the file and of its decompression
        line = f"{n} ünï — 😀 Ⅻ {'x' * (n % 7)}\n"
        timestamp = "nonsense" if n == 377 else "2024-01-01T00:00:00Z"
        revisions_xml.append(
            GOOD.replace("2024-01-0{day}T00:00:00Z", timestamp)
            .replace('<text bytes="4" xml:space="preserve">r{revid}', "<text>{text}")
            .format(revid=n + 1, text=line * (20_000 // len(line) + n % 3))
        )
    data = (
        "<mediawiki>\n<page>\n<title>A</title>\n<ns>0</ns>\n<id>1</id>\n"
        + "\n".join(revisions_xml)
        + "\n</page>\n</mediawiki>\n"
    ).encode()
    data = data.replace("12 ünï".encode(), b"12 \xffn\xc3", 1)  # in revision 13
    name = "big.xml.xz" if compress else "big.xml"
    path = write(tmp_path, compress(data) if compress else data, name)
    items = read_all(path)

    def line(at: int) -> int:
        return data.count(b"\n", 0, at) + 1

    starts = [match.start() for match in re.finditer(b"<revision>", data)]
    assert {r.revid: r.line for r in revisions(items)} == {
        n + 1: line(at) for n, at in enumerate(starts) if n != 377
    }
    bad, timestamp = data.index(b"\xff"), data.index(b"<timestamp>nonsense")
    assert problems(items) == [  # bad bytes are reported with their page, at its end
        f"{path}:{line(timestamp)}: revision 378 of 'A': <timestamp> is 'nonsense', not a "
        "time written YYYY-MM-DDThh:mm:ssZ; not imported",
        f"{path}:{line(bad)} (byte {bad}): invalid UTF-8 byte 0xFF in revision 13 of 'A'; "
        "imported with U+FFFD in place of each invalid byte (their sha1 will not match)",
    ]


def test_a_utf16_file_is_refused_at_its_start_as_before(tmp_path):
    """expat would follow a UTF-16 byte order mark; the reader reads UTF-8 only, so such a
    file is broken XML at 1:1 and nothing of it is stored."""
    revision = REVISION.format(revid="{revid}", text="x")
    body = "\ufeff<mediawiki>\n<page><title>A</title><ns>0</ns><id>1</id>\n" + "".join(
        revision.format(revid=n) + "\n"
        for n in range(1, 20_000)  # chunks of revisions
    )
    path = write(tmp_path, (body + "<oops</page></mediawiki>\n").encode("utf-16-le"))
    items = []
    with pytest.raises(DumpError, match=r":1:1: not well-formed"):
        for item in read_dump(path):
            items.append(item)
    assert revisions(items) == []


def test_reading_again_after_a_bad_byte_never_moves_the_progress_back(tmp_path):
    revision = REVISION.format(revid="{revid}", text="y" * 2000)
    body = "".join(revision.format(revid=n) + "\n" for n in range(1, 2500))
    data = f"<mediawiki>\n<page><title>A</title><ns>0</ns><id>1</id>\n{body}</page></mediawiki>\n"
    data = data.encode()
    bad = len(data) - 500  # in the last revision: the first reading stops near the end
    path = write(tmp_path, data[:bad] + b"\xff" + data[bad + 1 :])
    seen: list[int] = []
    items = list(read_dump(path, seen.append))
    assert len(revisions(items)) == 2499
    assert seen == sorted(set(seen)) and seen[-1] == len(data)
    assert [p for p in problems(items) if "0xFF" in p]


def test_a_start_tag_longer_than_the_chunks_has_its_line(tmp_path):
    junk = "a" * (3 << 20)  # three chunks of the file
    data = (
        "<mediawiki>\n<page>\n<title>A</title>\n<ns>0</ns>\n<id>1</id>\n"
        f'<revision\n\n\n junk="{junk}">\n<id>1</id>\n'
        "<timestamp>2024-01-01T00:00:00Z</timestamp>\n<text>x</text>\n</revision>\n"
        "</page>\n</mediawiki>\n"
    ).encode()
    (revision,) = revisions(read_all(write(tmp_path, data)))
    assert revision.line == line_of(data, b"<revision") == 6


def test_many_bad_bytes_in_one_chunk_each_have_their_line(tmp_path):
    """Lines of bad bytes are counted on from the one before (a text of nothing but bad
    bytes costs one pass over the chunk, not one per byte) and stay exact: one chunk, a
    page of its own for each run of bad bytes, each reported with its first one."""
    page = (
        "<page><title>P{n}</title><ns>0</ns><id>{n}</id>\n<revision><id>{n}</id>"
        "<timestamp>2024-01-01T00:00:00Z</timestamp>\n<text>{text}</text></revision></page>\n"
    )
    body = "".join(
        page.format(n=n, text="a\n" * n + ("BAD" if n % 3 == 0 else "")) for n in range(1, 30)
    )
    data = f"<mediawiki>\n{body}</mediawiki>\n".encode().replace(b"BAD", b"\xff" * 3000)
    path = write(tmp_path, data)
    items = read_all(path)
    runs = [match.start() for match in re.finditer(rb"\xff+", data)]

    def line(at: int) -> int:
        return data.count(b"\n", 0, at) + 1

    assert problems(items) == [
        f"{path}:{line(at)} (byte {at}): invalid UTF-8 byte 0xFF in "
        f"revision {n} of 'P{n}'; imported with U+FFFD in place of each invalid byte (their "
        "sha1 will not match)"
        for n, at in zip(range(3, 30, 3), runs, strict=True)
    ]
