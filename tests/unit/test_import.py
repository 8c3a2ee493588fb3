"""XML import: every schema in the corpus, exact round trip, malformed files, kill -9."""

from __future__ import annotations

import bz2
import hashlib
import json
import lzma

import pytest
from helpers import REAL, SAMPLE_HISTORY, counts, revisions_in

from storage import Store


def test_sample_history_imports_and_reimport_adds_nothing(run, db_path):
    first = run("import", str(SAMPLE_HISTORY))
    assert first.exit_code == 0, first.output
    assert "190 revisions added, 0 already stored, 1 page (enwiki)" in first.output
    again = run("import", str(SAMPLE_HISTORY))
    assert again.exit_code == 0
    assert "0 revisions added, 190 already stored" in again.output
    assert counts(db_path) == (1, 190)


def test_sample_history_flags_its_revision_deleted_revision(run, db_path):
    run("import", str(SAMPLE_HISTORY))
    hidden = [r for r in revisions_in(SAMPLE_HISTORY) if r.texthidden]
    assert len(hidden) == 1
    store = Store(db_path)
    page = store.pages()[0]
    meta = store.revision(page, hidden[0].revid)
    assert meta.texthidden is True and store.text(page, hidden[0].revid) is None
    result = run("wikitext", "2024 Syrian opposition offensives", "--rev", str(hidden[0].revid))
    assert result.exit_code == 1
    assert "revision-deleted" in result.output and "Traceback" not in result.output


def test_suppressed_user_and_comment_are_flagged(run, db_path):
    run("import", str(REAL / "simplewiki_refinery/MediawikiDumperOutputTest.Simplewiki.Sample.xml"))
    store = Store(db_path)
    rows = [r for page in store.pages() for r in store.revisions(page)]
    userhidden = [r for r in rows if r.userhidden]
    commenthidden = [r for r in rows if r.commenthidden]
    assert userhidden and all(r.user is None for r in userhidden)
    assert commenthidden and all(r.comment is None for r in commenthidden)


def test_old_schema_without_parentid_chains_revisions(run, db_path):
    run("import", str(REAL / "pywikibot_xml/article-pyrus.xml"))
    store = Store(db_path)
    rows = list(store.revisions(store.pages()[0]))
    assert rows[0].parent_revid is None
    assert [r.parent_revid for r in rows[1:]] == [r.revid for r in rows[:-1]]


def _decompressed_sample() -> bytes:
    return lzma.decompress(SAMPLE_HISTORY.read_bytes())


def test_truncated_xml_keeps_complete_revisions_and_names_the_position(run, db_path, tmp_path):
    data = _decompressed_sample()
    cut = data[: len(data) // 2]
    complete = cut.count(b"</revision>")
    path = tmp_path / "truncated.xml.bz2"
    path.write_bytes(bz2.compress(cut))
    result = run("import", str(path))
    assert result.exit_code == 1
    line = cut.count(b"\n") + 1
    assert f"{path}:{line}:" in result.output
    assert "truncated" in result.output and "Traceback" not in result.output
    assert counts(db_path) == (1, complete)
    # the complete file then adds exactly the rest
    again = run("import", str(SAMPLE_HISTORY))
    assert again.exit_code == 0
    assert f"{190 - complete} revisions added, {complete} already stored" in again.output


def test_truncated_compressed_file(run, db_path, tmp_path):
    raw = SAMPLE_HISTORY.read_bytes()
    path = tmp_path / "cut.xml.xz"
    path.write_bytes(raw[: len(raw) * 9 // 10])  # 143 complete revisions before the cut
    result = run("import", str(path))
    assert result.exit_code == 1
    assert "compressed data ends early" in result.output
    assert f"Error: {path}:" in result.output
    # everything decompressed before the cut is kept: every complete revision
    assert counts(db_path) == (1, 143)


def test_broken_xml_names_line_and_column(run, db_path, tmp_path):
    path = tmp_path / "broken.xml"
    path.write_text(
        "<mediawiki>\n<page><title>A</title><ns>0</ns><id>1</id>\n"
        "<revision><id>5</id><timestamp>2024-01-01T00:00:00Z</timestamp>"
        "<text>ok</text></revision>\n"
        "<revision><id>6</id><timestamp>2024-01-02T00:00:00Z</timestamp><text>bad</txet>\n"
    )
    result = run("import", str(path))
    assert result.exit_code == 1
    assert f"{path}:4:" in result.output and "mismatched tag" in result.output
    assert counts(db_path) == (1, 1)


def test_page_without_id_is_reported(run, db_path, tmp_path):
    path = tmp_path / "noid.xml"
    path.write_text(
        "<mediawiki><page><title>A</title><revision><timestamp>2024-01-01T00:00:00Z"
        "</timestamp><text>x</text></revision></page></mediawiki>"
    )
    result = run("import", str(path))
    assert result.exit_code == 1
    assert "has no <id>" in result.output and "'A'" in result.output
    assert counts(db_path) == (0, 0)


def test_missing_file_and_not_xml(run, db_path, tmp_path):
    result = run("import", str(tmp_path / "nope.xml"))
    assert result.exit_code == 1 and "no such file" in result.output
    junk = tmp_path / "junk.xml"
    junk.write_bytes(b"\x00\x01 this is not xml")
    result = run("import", str(junk))
    assert result.exit_code == 1 and f"{junk}:1:" in result.output


def test_wiki_option_and_configured_host(run, db_path, tmp_path):
    assert run("import", "--wiki", "mirror", str(SAMPLE_HISTORY)).exit_code == 0
    config = tmp_path / "config.yaml"
    config.write_text("wikis:\n  en:\n    api: https://en.wikipedia.org/w/api.php\n")
    other = tmp_path / "other.db"
    result = run("import", str(SAMPLE_HISTORY), config=config, db=other)
    assert "(en)" in result.output  # matched by the export's host, not its dbname
    assert [p.wiki for p in Store(db_path).pages()] == ["mirror"]
    assert [p.wiki for p in Store(other).pages()] == ["en"]


def _export(title: str, revisions: list[tuple[int, str]], redirect: str | None = None) -> str:
    """A one-page export (page id 1) of ``title`` with (revid, timestamp) revisions."""
    body = "".join(
        f"<revision><id>{revid}</id><timestamp>{timestamp}</timestamp>"
        f"<contributor><username>Ann</username><id>2</id></contributor>"
        f'<text xml:space="preserve">text of {revid}</text></revision>\n'
        for revid, timestamp in revisions
    )
    return (
        '<mediawiki version="0.10">\n<siteinfo><dbname>testwiki</dbname></siteinfo>\n'
        f"<page><title>{title}</title><ns>0</ns><id>1</id>"
        + (f'<redirect title="{redirect}" />' if redirect else "")
        + f"\n{body}</page>\n</mediawiki>\n"
    )


NEW = [(2001, "2024-03-01T00:00:00Z"), (2002, "2024-03-02T00:00:00Z")]
OLD = [(1001, "2020-05-01T00:00:00Z"), (1002, "2020-05-02T00:00:00Z")]


@pytest.mark.parametrize("order", ["new then old", "old then new"])
def test_an_older_export_never_renames_the_page_back(run, db_path, tmp_path, order):
    new = tmp_path / "new.xml"
    new.write_text(_export("New name", NEW, redirect="Target"))
    old = tmp_path / "old.xml"
    old.write_text(_export("Old name", OLD, redirect="Somewhere"))
    for path in [new, old] if order == "new then old" else [old, new]:
        result = run("import", str(path))
        assert result.exit_code == 0, result.output
    status = run("status", "--json")
    assert [row["title"] for row in json.loads(status.output)] == ["New name"]
    store = Store(db_path)
    (page,) = store.pages()
    assert (page.title, page.redirect_to) == ("New name", "Target")
    assert len(list(store.revisions(page))) == 4
    # both titles are known, each from the newest revision of the export that had it
    assert store.title_history(page) == [
        ("Old name", "2020-05-02T00:00:00Z"),
        ("New name", "2024-03-02T00:00:00Z"),
    ]
    assert [p.id for p in store.find_pages("Old name")] == [page.id]


def test_an_export_as_new_as_the_store_renames_and_sets_the_redirect(run, db_path, tmp_path):
    first = tmp_path / "first.xml"
    first.write_text(_export("Old name", OLD))
    moved = tmp_path / "moved.xml"  # the same history, exported after a move
    moved.write_text(_export("New name", OLD, redirect="Target"))
    assert run("import", str(first)).exit_code == 0
    result = run("import", str(moved))
    assert result.exit_code == 0 and "0 revisions added, 2 already stored" in result.output
    store = Store(db_path)
    (page,) = store.pages()
    assert (page.title, page.redirect_to) == ("New name", "Target")
    assert [title for title, _ in store.title_history(page)] == ["Old name", "New name"]


def test_odd_field_values_are_one_line_errors(run, db_path, tmp_path):
    path = tmp_path / "odd.xml"
    xml = (
        '<mediawiki version="0.10">\n'
        "<page>\n<title>A</title>\n<ns>0</ns>\n<id>1</id>\n"
        "<revision><id>5</id><timestamp>2024-01-01T00:00:00Z</timestamp><text>a</text></revision>\n"
        "<revision><id>6</id><parentid>x</parentid><timestamp>2024-01-02T00:00:00Z</timestamp>"
        "<text>b</text></revision>\n"
        "<revision><id>7</id><timestamp></timestamp><text>c</text></revision>\n"
        "</page>\n"
        "<page>\n<title>B</title>\n<ns>0</ns>\n<id>B2</id>\n"
        "<revision><id>9</id><timestamp>2024-01-03T00:00:00Z</timestamp><text>d</text></revision>\n"
        "</page>\n</mediawiki>\n"
    )
    path.write_text(xml)
    result = run("import", str(path))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"Error: {path}:7: revision 6 of 'A': <parentid> is 'x', not a number; not imported",
        f"Error: {path}:8: revision 7 of 'A': no <timestamp>; not imported",
        f"Error: {path}:13: page 'B': <id> is 'B2', not a number; the page and its revisions "
        "are not imported",
    ]
    assert f"{path}: 1 revision added, 0 already stored, 1 page (imported)\n" in result.output
    assert counts(db_path) == (1, 1)
    store = Store(db_path)
    assert [(p.title, [r.revid for r in store.revisions(p)]) for p in store.pages()] == [("A", [5])]


def test_a_stub_dump_stores_only_revisions_whose_text_it_has(run, db_path, tmp_path):
    path = tmp_path / "stub.xml"
    path.write_text(
        '<mediawiki version="0.11">\n<page>\n<title>A</title>\n<ns>0</ns>\n<id>1</id>\n'
        '<revision><id>5</id><timestamp>2024-01-01T00:00:00Z</timestamp><text bytes="0" />'
        "</revision>\n"
        '<revision><id>6</id><timestamp>2024-01-02T00:00:00Z</timestamp><text bytes="9" '
        'sha1="abc" location="tt:6" id="6" /></revision>\n'
        "<revision><id>7</id><timestamp>2024-01-03T00:00:00Z</timestamp></revision>\n"
        "</page>\n</mediawiki>\n"
    )
    result = run("import", str(path))
    assert result.exit_code == 1
    assert (
        f"Error: {path}:7: revision 6 of 'A' and 1 more of its revisions have no text in "
        "this export (a stub dump?); not imported\n" in result.output
    )
    store = Store(db_path)
    (page,) = store.pages()
    assert [r.revid for r in store.revisions(page)] == [5]
    assert store.text(page, 5) == b""  # a genuinely empty revision
    assert store.revision(page, 5).sha1 == hashlib.sha1(b"").hexdigest()


def test_a_bad_byte_in_a_title_is_a_warning_and_the_import_succeeds(run, db_path, tmp_path):
    path = tmp_path / "title.xml"
    data = (
        b"<mediawiki>\n<page>\n<title>Caf\xe9</title>\n<ns>0</ns>\n<id>1</id>\n"
        b"<revision><id>5</id><timestamp>2024-01-01T00:00:00Z</timestamp><text>a</text>"
        b"</revision>\n</page>\n</mediawiki>\n"
    )
    path.write_bytes(data)
    byte = data.index(bytes([0xE9]))
    result = run("import", str(path))
    assert result.exit_code == 0  # everything is stored, with a U+FFFD
    assert (
        f"Warning: {path}:3 (byte {byte}): invalid UTF-8 byte 0xE9 in page "
        "'Caf\ufffd' outside its revisions; read as U+FFFD\n" in result.output
    )
    assert counts(db_path) == (1, 1)
