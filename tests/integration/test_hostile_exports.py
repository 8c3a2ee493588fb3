"""Hostile and damaged exports, as `wikimon` processes meet them (issue 12): impossible times
(refused at import, and harmless when an old database has them), a <dbname> that climbs out
of the report, control characters that would fake rows, one revision with two texts, one
page id with two titles; `import` exits 0 when everything was stored, warnings or not."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

import pytest
from helpers import WIKIMON
from report_helpers import fetch, start_server, stop_server

BOX = "{{Infobox military conflict\n| conflict = %s\n| result = %s\n| casualties1 = %s killed\n}}"


def wikimon(cwd: Path, db: Path, *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [*WIKIMON, "--db", str(db), *args], capture_output=True, text=True, timeout=300, cwd=cwd
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result


def page_xml(title: str, page_id: int, revisions: list[tuple[int, str, str, str]]) -> str:
    """A <page> of (revid, timestamp, user, text) revisions, one element per line."""
    parts = [f"<page>\n<title>{xml_escape(title)}</title>\n<ns>0</ns>\n<id>{page_id}</id>\n"]
    for revid, timestamp, user, text in revisions:
        parts.append(
            f"<revision>\n<id>{revid}</id>\n<timestamp>{timestamp}</timestamp>\n"
            f"<contributor><username>{xml_escape(user)}</username><id>7</id></contributor>\n"
            f"<comment>edit {revid}</comment>\n"
            f'<text xml:space="preserve">{xml_escape(text)}</text>\n</revision>\n'
        )
    return "".join(parts) + "</page>\n"


def export(path: Path, *pages: str, dbname: str = "enwiki") -> Path:
    path.write_text(
        '<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.10/" version="0.10">\n'
        f"<siteinfo>\n<sitename>W</sitename>\n<dbname>{xml_escape(dbname)}</dbname>\n"
        "<base>https://en.wikipedia.org/wiki/Main_Page</base>\n</siteinfo>\n"
        + "".join(pages)
        + "</mediawiki>\n",
        encoding="utf-8",
    )
    return path


def history(title: str, page_id: int, first_revid: int, days: int = 5) -> str:
    return page_xml(
        title,
        page_id,
        [
            (
                first_revid + n,
                f"2024-03-0{n + 1}T12:00:00Z",
                f"User{n}",
                BOX % (title, "Ongoing", 10 + n),
            )
            for n in range(days)
        ],
    )


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


# -- impossible times ------------------------------------------------------------------------

IMPOSSIBLE = {
    "2024-02-30T00:00:00Z": "not a real date and time",
    "9999-99-99T99:99:99Z": "not a real date and time",
    "2024-01-01T24:00:00Z": "not a real date and time",
    "2016-12-31T23:59:60Z": "not a real date and time",
    "0000-01-01T00:00:00Z": "not a real date and time",
    "2024-03-02T12:00:00": "not a time written YYYY-MM-DDThh:mm:ssZ",
    "1970-01-01T00:00:00Z": "before 1995, when the first wiki went online",
}


def test_impossible_times_are_refused_at_import_with_file_and_line(tmp_path: Path) -> None:
    revisions = [(100, "2024-03-01T12:00:00Z", "Good", BOX % ("T", "Ongoing", 1))]
    for n, moment in enumerate([*IMPOSSIBLE, "2999-01-01T00:00:00Z"], start=101):
        revisions.append((n, moment, "Bad", BOX % ("T", "Ongoing", n)))
    revisions.append((200, "2024-03-05T12:00:00Z", "Good", BOX % ("T", "Won", 2)))
    path = export(tmp_path / "times.xml", page_xml("Times", 1, revisions))
    xml = path.read_text()
    db = tmp_path / "wikimon.db"
    result = wikimon(tmp_path, db, "import", str(path))
    assert result.returncode == 1  # something was left out
    expected = [
        f"Error: {path}:{line_of(xml, f'<timestamp>{moment}')}: revision {n} of 'Times': "
        f"<timestamp> is {moment!r}, {why}; not imported"
        for n, (moment, why) in enumerate(IMPOSSIBLE.items(), start=101)
    ]
    future = line_of(xml, "<timestamp>2999")
    assert result.stderr.splitlines()[:-1] == expected
    assert re.fullmatch(
        rf"Error: {re.escape(str(path))}:{future}: revision {100 + len(revisions) - 2} of "
        r"'Times': <timestamp> is '2999-01-01T00:00:00Z', in the future \(it is "
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ now\); not imported",
        result.stderr.splitlines()[-1],
    )
    assert result.stdout == f"{path}: 2 revisions added, 0 already stored, 1 page (enwiki)\n"
    revisions_json = json.loads(wikimon(tmp_path, db, "revisions", "Times", "--json").stdout)
    assert [r["revid"] for r in revisions_json] == [100, 200]
    report = wikimon(tmp_path, db, "report", "--out", str(tmp_path / "out"))
    assert report.returncode == 0, report.stderr


@pytest.fixture(scope="module")
def two_articles(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two articles imported and analysed; the tests spoil copies of it."""
    directory = tmp_path_factory.mktemp("two")
    db = directory / "wikimon.db"
    path = export(directory / "two.xml", history("Good", 1, 100), history("Spoilt", 2, 200))
    assert wikimon(directory, db, "import", str(path)).returncode == 0
    assert wikimon(directory, db, "changes", "Good").returncode == 0
    return db


def copy_of(db: Path, target: Path) -> Path:
    with sqlite3.connect(db) as source, sqlite3.connect(target) as copy:
        source.backup(copy)
    source.close()
    copy.close()
    return target


def report_files(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*") if p.is_file()}


@pytest.mark.parametrize(
    "moment",
    [
        "2024-02-30T00:00:00Z",
        "9999-99-99T99:99:99Z",
        "9999-12-31T23:59:59Z",
        "0000-01-01T00:00:00Z",
    ],
)
def test_an_impossible_time_in_an_old_database_breaks_no_reader(
    two_articles: Path, tmp_path: Path, wikimon_process, moment: str
) -> None:
    """A database written before times were checked: one revision of one article has an
    impossible time (in its revisions and its change log). Every reader still answers, for
    the other article exactly as before."""
    clean = tmp_path / "clean"
    assert wikimon(tmp_path, two_articles, "report", "--out", str(clean)).returncode == 0
    db = copy_of(two_articles, tmp_path / "old.db")
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE revisions SET timestamp = ? WHERE revid = 202", [moment])
        conn.execute("UPDATE changes SET timestamp = ? WHERE revid = 202", [moment])
    conn.close()
    for title in ("Good", "Spoilt"):
        for command in (["changes"], ["show"], ["revisions"], ["show", "--at", "2024-03-04"]):
            result = wikimon(tmp_path, db, command[0], title, *command[1:])
            assert result.returncode == 0 and result.stderr == "", (command, result.stderr)
    good = json.loads(wikimon(tmp_path, two_articles, "changes", "Good", "--json").stdout)
    assert json.loads(wikimon(tmp_path, db, "changes", "Good", "--json").stdout) == good
    assert wikimon(tmp_path, db, "status").returncode == 0
    digest = wikimon(
        tmp_path, db, "digest", "--dry-run", "--since", "2024-03-01", "--until", "2024-03-09"
    )
    assert digest.returncode == 0 and "Good" in digest.stdout
    out = tmp_path / "out"
    result = wikimon(tmp_path, db, "report", "--out", str(out))
    assert result.returncode == 0, result.stderr
    before, after = report_files(clean), report_files(out)
    good_pages = {p for p in before if p.startswith("enwiki/1/")}
    assert {p: after[p] for p in good_pages} == {p: before[p] for p in good_pages}
    assert len(after) <= len(before)  # no calendar stretched to the year 9999
    proc, base = start_server(wikimon_process, db)
    try:
        for path in (
            "",
            "enwiki/1/index.html",
            "enwiki/2/index.html",
            "enwiki/2/as-of/index.html?at=203",
        ):
            assert fetch(base + path).status == 200, path
    finally:
        stop_server(proc)


# -- a <dbname> that climbs out of the report ------------------------------------------------------


def test_a_dbname_that_climbs_out_of_the_report_is_slugged(tmp_path: Path, wikimon_process) -> None:
    """The original exploit: <dbname>../../../../TMP/escape</dbname> became the wiki's name
    and so a directory of the report."""
    work = tmp_path / "a" / "b" / "c" / "d"
    work.mkdir(parents=True)
    evil = f"../../../../{tmp_path.name}/escape"
    path = export(work / "evil.xml", history("Climber", 5, 500), dbname=evil)
    path.write_text(path.read_text().replace("https://en.wikipedia.org", "https://evil.example"))
    db = work / "wikimon.db"
    result = wikimon(work, db, "import", str(path))
    assert result.returncode == 0  # stored, under a safe name: a warning
    (warning,) = result.stderr.splitlines()
    match = re.fullmatch(
        rf"Warning: {re.escape(str(path))}: the export's <dbname> '{re.escape(evil)}' is not a "
        r"plain name \(letters, digits, '\.', '_', '-'\); its pages are stored under the wiki "
        r"name '([A-Za-z0-9_-]+)'",
        warning,
    )
    assert match, warning
    wiki = match[1]
    assert "(imported)" not in result.stdout and f"({wiki})" in result.stdout
    files_before = {p for p in tmp_path.rglob("*")}
    out = work / "out"
    assert wikimon(work, db, "report", "--out", str(out)).returncode == 0
    written = {p for p in tmp_path.rglob("*") if not p.name.startswith("wikimon.db")}
    written -= files_before
    assert written and all(p.is_relative_to(out) for p in written)
    assert not (tmp_path / "escape").exists()
    assert (out / wiki / "5" / "index.html").is_file()
    proc, base = start_server(wikimon_process, db)
    try:
        assert fetch(f"{base}{wiki}/5/index.html").status == 200
        assert fetch(f"{base}{evil}/5/index.html").status == 404
    finally:
        stop_server(proc)


def test_an_old_database_with_such_a_wiki_name_still_writes_inside(
    two_articles: Path, tmp_path: Path
) -> None:
    db = copy_of(two_articles, tmp_path / "old.db")
    evil = f"../../{tmp_path.name}/escape"
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA foreign_keys = OFF")
        conn.execute("UPDATE wikis SET name = ? WHERE name = 'enwiki'", [evil])
        conn.execute("UPDATE pages SET wiki = ?", [evil])
    conn.close()
    out = tmp_path / "deep" / "out"
    result = wikimon(tmp_path, db, "report", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "escape").exists() and not (tmp_path / "deep" / "escape").exists()
    (directory,) = [p for p in out.iterdir() if p.is_dir()]
    assert re.fullmatch(r"[A-Za-z0-9_-]+-[0-9a-f]{10}", directory.name)  # a slug and a hash
    assert (directory / "1" / "index.html").is_file() and (directory / "2" / "index.html").is_file()


# -- control characters ----------------------------------------------------------------------------

EVIL_TITLE = "Fake\u2028enwiki  Forged row (not tracked)  1  9 2024-01-01T00:00:00Z\u202e"
EVIL_USER = "Eve\r\n2024-03-02T12:00:00Z  999  Mallory  result  Won → Lost"
EVIL_VALUE = "Ongoing\u2028casualties1: 1,000,000 killed\x85"
UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\u061c]")


def test_control_characters_are_stored_as_they_are_and_escaped_on_output(tmp_path: Path) -> None:
    revisions = [
        (1, "2024-03-01T12:00:00Z", "Alice", BOX % ("C", "Ongoing", 10)),
        (2, "2024-03-02T12:00:00Z", EVIL_USER, BOX % ("C", EVIL_VALUE, 12)),
        (
            3,
            "2024-03-03T12:00:00Z",
            "Bob\u202e",
            BOX.replace("result", "res\u202eult") % ("C", "Won", 12),
        ),
    ]
    path = export(tmp_path / "ctl.xml", page_xml(EVIL_TITLE, 1, revisions))
    xml = path.read_text().replace(
        "<comment>edit 2</comment>", "<comment>line one&#13;\nline two</comment>"
    )
    path.write_text(xml)
    db = tmp_path / "wikimon.db"
    assert wikimon(tmp_path, db, "import", str(path)).returncode == 0
    with sqlite3.connect(db) as conn:  # stored as they are
        assert conn.execute("SELECT title FROM pages").fetchone() == (EVIL_TITLE,)
        stored_users = [r[0] for r in conn.execute("SELECT user FROM revisions ORDER BY revid")]
        assert stored_users == [
            "Alice",
            EVIL_USER.replace("\r\n", "\n"),
            "Bob\u202e",
        ]  # XML ends lines with \n
    conn.close()

    outputs = {
        "status": wikimon(tmp_path, db, "status"),
        "revisions": wikimon(tmp_path, db, "revisions", EVIL_TITLE),
        "changes": wikimon(tmp_path, db, "changes", EVIL_TITLE),
        "show": wikimon(tmp_path, db, "show", EVIL_TITLE),
    }
    changes = json.loads(wikimon(tmp_path, db, "changes", EVIL_TITLE, "--json").stdout)
    show = json.loads(wikimon(tmp_path, db, "show", EVIL_TITLE, "--json").stdout)
    revisions_json = json.loads(wikimon(tmp_path, db, "revisions", EVIL_TITLE, "--json").stdout)
    for name, result in outputs.items():
        assert result.returncode == 0, (name, result.stderr)
        assert not UNSAFE.search(result.stdout.replace("\n", "")), (name, result.stdout)
    # one line per row: nothing forged
    assert len(outputs["status"].stdout.splitlines()) == 2
    assert len(outputs["revisions"].stdout.splitlines()) == 1 + 3
    assert len(outputs["changes"].stdout.splitlines()) == len(changes) > 0
    assert len(outputs["show"].stdout.splitlines()) == 1 + len(show["fields"])
    assert "Fake\\u2028enwiki  Forged row" in outputs["status"].stdout
    assert "  Eve\\n2024-03-02T12:0…  " in outputs["changes"].stdout  # cut, on its line
    assert "line one\\r\\nline two" in outputs["revisions"].stdout
    assert "res\\u202eult" in outputs["show"].stdout
    # JSON: the values as stored, every unsafe character a JSON escape
    assert {r["user"] for r in revisions_json} == set(stored_users)
    assert revisions_json[1]["comment"] == "line one\r\nline two"
    assert {c["title"] for c in changes} == {EVIL_TITLE}
    assert "res\u202eult" in show["fields"]
    for result in ("changes", "show", "revisions"):
        text = wikimon(tmp_path, db, result, EVIL_TITLE, "--json").stdout
        assert not UNSAFE.search(text.replace("\n", ""))


def test_poll_lines_escape_a_stored_title(mediawiki, tmp_path: Path) -> None:
    """A title stored from an export (with a line break) that the wiki has spelt otherwise
    since: the poll says the page moved, on one line."""
    from mediawiki_fixtures import SECOND_ARTICLE

    page_id = mediawiki.page_id(SECOND_ARTICLE)
    revisions = mediawiki.revisions(SECOND_ARTICLE)
    stored = "Second\u2028local: Forged added\u202e"
    path = export(
        tmp_path / "old.xml",
        page_xml(
            stored,
            page_id,
            [(revisions[0]["revid"], revisions[0]["timestamp"], "A", revisions[0]["content"])],
        ),
    )
    db = tmp_path / "wikimon.db"
    config = tmp_path / "wikimon.yaml"
    config.write_text(
        f"contact: tests@example.org\nwikis:\n  local:\n    api: {mediawiki.api_url}\n"
    )
    assert (
        wikimon(
            tmp_path, db, "--config", str(config), "import", "--wiki", "local", str(path)
        ).returncode
        == 0
    )
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE pages SET tracked = 1")
    conn.close()
    result = subprocess.run(
        [*WIKIMON, "--config", str(config), "--db", str(db), "poll", "-v"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    moved = "moved from 'Second\\u2028local: Forged added\\u202e'"
    assert f"local: {SECOND_ARTICLE!r}: {moved}" in lines
    *articles, summary = lines
    assert all(line.startswith("local: ") for line in articles)
    assert re.fullmatch(r"\d+ articles? checked: [^\\]*", summary)  # its -v lines above
    assert not UNSAFE.search(result.stdout.replace("\n", ""))


# -- import: what was stored decides the exit code -------------------------------------------


def test_a_warning_alone_exits_0_and_a_left_out_revision_exits_1(tmp_path: Path) -> None:
    db = tmp_path / "wikimon.db"
    path = export(tmp_path / "bytes.xml", history("Bytes", 1, 100))
    path.write_bytes(path.read_bytes().replace(b"User2", b"User\xff2"))  # not UTF-8
    result = wikimon(tmp_path, db, "import", str(path))
    assert result.returncode == 0  # stored, with U+FFFD
    (warning,) = result.stderr.splitlines()
    assert warning.startswith(f"Warning: {path}:") and "invalid UTF-8 byte 0xFF" in warning
    users = json.loads(wikimon(tmp_path, db, "revisions", "Bytes", "--json").stdout)
    assert "User\ufffd2" in {r["user"] for r in users}

    stub = export(tmp_path / "stub.xml", history("Bytes", 1, 100, days=6))
    stub.write_text(
        re.sub(
            r'<text xml:space="preserve">[^<]*</text>\n</revision>\n</page>',
            '<text bytes="9" id="1" />\n</revision>\n</page>',
            stub.read_text(),
        )
    )
    result = wikimon(tmp_path, db, "import", str(stub))
    assert result.returncode == 1  # revision 105 has no text in the export: not stored
    assert result.stderr.startswith(f"Error: {stub}:")


def test_one_revision_with_two_texts_is_reported_and_the_first_kept(tmp_path: Path) -> None:
    db = tmp_path / "wikimon.db"
    first = BOX % ("Twice", "Ongoing", 1)
    other = BOX % ("Twice", "Won", 1)
    at, later = "2024-03-01T12:00:00Z", "2024-03-02T12:00:00Z"
    revisions = [(10, at, "A", first), (10, at, "A", other), (11, later, "B", first)]
    revisions.append(revisions[-1])  # the same revision twice, same text
    path = export(tmp_path / "twice.xml", page_xml("Twice", 3, revisions))
    xml = path.read_text()
    second = xml.index("<revision>", xml.index("<revision>") + 1)
    result = wikimon(tmp_path, db, "import", str(path))
    assert result.returncode == 1  # the second text of 10 is not stored
    assert result.stderr == (
        f"Error: {path}:{line_of(xml[second:], '<revision>') + xml[:second].count(chr(10))}: "
        f"revision 10 of 'Twice' has another text at line {line_of(xml, '<revision>')}; the "
        "first one is kept, this one is not imported\n"
    )  # and the same text twice (11) is no news
    assert result.stdout == f"{path}: 2 revisions added, 2 already stored, 1 page (enwiki)\n"
    text = wikimon(tmp_path, db, "wikitext", "Twice", "--rev", "10").stdout
    assert text == first

    # another export later, with yet another text of 10: the stored one stays
    later = export(
        tmp_path / "later.xml", page_xml("Twice", 3, [(10, "2024-03-01T12:00:00Z", "A", other)])
    )
    result = wikimon(tmp_path, db, "import", str(later))
    assert result.returncode == 1
    assert result.stderr == (
        f"Error: {later}:{line_of(later.read_text(), '<revision>')}: revision 10 of 'Twice' has "
        "another text stored (by an earlier import, a poll or earlier in this file); the first "
        "one is kept, this one is not imported\n"
    )
    assert wikimon(tmp_path, db, "wikitext", "Twice", "--rev", "10").stdout == first
    # the same text again is only "already stored"
    again = wikimon(tmp_path, db, "import", str(path))
    assert "revision 10" in again.stderr and "revision 11" not in again.stderr


def test_one_page_id_with_two_titles_is_reported(tmp_path: Path) -> None:
    db = tmp_path / "wikimon.db"
    path = export(
        tmp_path / "two-titles.xml",
        page_xml("Old name", 4, [(40, "2024-03-01T12:00:00Z", "A", BOX % ("X", "Ongoing", 1))]),
        page_xml("New name", 4, [(41, "2024-03-02T12:00:00Z", "B", BOX % ("X", "Won", 1))]),
    )
    xml = path.read_text()
    result = wikimon(tmp_path, db, "import", str(path))
    assert result.returncode == 0  # both revisions are stored: a warning
    assert result.stderr == (
        f"Warning: {path}:{line_of(xml, '<title>New name') - 1}: page id 4 is 'New name' here but "
        f"'Old name' at line {line_of(xml, '<title>Old name') - 1}: one page under two titles; "
        "their revisions are stored as one page's, under the title of its newest revision\n"
    )
    assert result.stdout == f"{path}: 2 revisions added, 0 already stored, 1 page (enwiki)\n"
    status = json.loads(wikimon(tmp_path, db, "status", "--json").stdout)
    assert [(s["title"], s["revisions"]) for s in status] == [("New name", 2)]
    assert [
        r["revid"]
        for r in json.loads(wikimon(tmp_path, db, "revisions", "Old name", "--json").stdout)
    ] == [40, 41]
