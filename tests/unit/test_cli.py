"""The CLI as a user meets it: help, README coverage, title lookup, JSON output."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner
from helpers import ROOT, SAMPLE_HISTORY

from monitor.cli import cli

README = (ROOT / "README.md").read_text(encoding="utf-8")
TITLE = "2024 Syrian opposition offensives"


def test_help_lists_every_command_with_help():
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for name, command in cli.commands.items():
        assert re.search(rf"^  {name}\s+\S", result.output, re.M), name
        assert command.help


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_readme_documents_every_command_and_option(name):
    assert f"wikimon {name}" in README, f"README has no example of `wikimon {name}`"
    for param in cli.commands[name].params:
        for opt in param.opts:
            if opt.startswith("--"):
                assert opt in README, f"README does not mention {name} {opt}"


def test_readme_documents_global_options():
    for param in cli.params:
        for opt in param.opts:
            if opt.startswith("--"):
                assert opt in README, opt


@pytest.fixture
def imported(run):
    assert run("import", str(SAMPLE_HISTORY)).exit_code == 0
    return run


def test_status_json(imported):
    result = imported("status", "--json")
    rows = json.loads(result.output)
    assert len(rows) == 1
    row = rows[0]
    assert {
        "wiki", "page_id", "title", "revisions", "first_revid", "last_revid",
        "first_timestamp", "last_timestamp", "last_poll", "storage_bytes",
    } <= set(row)  # fmt: skip
    assert (row["wiki"], row["page_id"], row["title"]) == ("enwiki", 78552391, TITLE)
    assert row["revisions"] == 190
    assert row["first_revid"] == 1259801000 and row["first_timestamp"] == "2024-11-27T05:40:00Z"
    assert row["last_poll"] is None and 0 < row["storage_bytes"] < 200_000


def test_status_table(imported):
    result = imported("status")
    assert result.exit_code == 0
    assert TITLE in result.output and "190" in result.output


def test_revisions_json_oldest_first(imported):
    rows = json.loads(imported("revisions", TITLE, "--json").output)
    assert len(rows) == 190
    assert list(rows[0]) == [
        "revid", "parent_revid", "timestamp", "user", "comment", "minor", "size", "sha1",
        "texthidden", "userhidden", "commenthidden",
    ]  # fmt: skip
    assert rows[0]["revid"] == 1259801000 and rows[0]["parent_revid"] is None
    assert rows[0]["user"] == "Ecrusized"
    assert [r["timestamp"] for r in rows] == sorted(r["timestamp"] for r in rows)
    assert sum(r["texthidden"] for r in rows) == 1


def test_revisions_table(imported):
    result = imported("revisions", TITLE)
    assert result.exit_code == 0
    assert result.output.count("\n") == 191  # header + 190


def test_title_matching_is_case_sensitive_after_the_first_letter(imported):
    assert imported("revisions", "2024_Syrian_opposition_offensives", "--json").exit_code == 0
    result = imported("revisions", "2024 syrian opposition offensives")
    assert result.exit_code == 1
    assert "no stored article '2024 syrian opposition offensives'" in result.output
    assert f"Did you mean '{TITLE}'? Stored: '{TITLE}' (enwiki)." in result.output


def test_first_letter_is_case_insensitive(run, tmp_path):
    path = tmp_path / "p.xml"
    path.write_text(
        "<mediawiki><page><title>Pear</title><ns>0</ns><id>3</id><revision><id>9</id>"
        "<timestamp>2024-01-01T00:00:00Z</timestamp><text>x</text></revision></page></mediawiki>"
    )
    assert run("import", str(path)).exit_code == 0
    assert run("wikitext", "pear").stdout_bytes == b"x"
    assert run("wikitext", "pEAR").exit_code == 1


def test_invalid_title_and_unknown_revision(imported):
    result = imported("wikitext", "Bad[[title]]")
    assert result.exit_code == 1 and "invalid title" in result.output
    result = imported("wikitext", TITLE, "--rev", "1")
    assert (
        result.exit_code == 1 and "revision 1 of" in result.output and "not stored" in result.output
    )


def test_read_commands_without_a_database(run, db_path):
    result = run("status")
    assert result.exit_code == 1 and "no database at" in result.output
    assert not db_path.exists()  # a typo in --db does not create a file


def test_namespace_prefix_and_case_sensitive_wikis(run, tmp_path):
    talk = tmp_path / "talk.xml"
    talk.write_text(
        "<mediawiki><page><title>Talk:Çullu, Agdam</title><ns>1</ns><id>3</id><revision>"
        "<id>9</id><timestamp>2024-01-01T00:00:00Z</timestamp><text>talk</text></revision>"
        "</page></mediawiki>"
    )
    assert run("import", "--wiki", "enwiki", str(talk)).exit_code == 0
    assert run("wikitext", "talk:çullu,_Agdam").stdout_bytes == b"talk"


def test_configured_articles_count_as_tracked_in_status(run, tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text(f"articles:\n  - title: {TITLE}\n")
    assert run("import", str(SAMPLE_HISTORY), config=config).exit_code == 0
    rows = json.loads(run("status", "--json", config=config).output)
    assert rows[0]["tracked"] is True
    plain = tmp_path / "plain.yaml"
    plain.write_text("contact: a@b.c\n")
    assert json.loads(run("status", "--json", config=plain).output)[0]["tracked"] is True
    # …and it stays tracked: the import with that config recorded it


def test_database_problems_are_one_line(run, tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 50)
    result = run("status", db=junk)
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {junk} is damaged: file is not a database")
    assert "Traceback" not in result.output
    result = run("status", db=tmp_path)
    assert result.exit_code == 2 and "is a directory" in result.output
    result = run("import", str(SAMPLE_HISTORY), db=tmp_path / "no" / "such" / "dir.db")
    assert result.exit_code == 1 and "Traceback" not in result.output


def test_huge_revision_number_is_a_usage_error(imported):
    result = imported("wikitext", TITLE, "--rev", "99999999999999999999999")
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_case_sensitive_wiki_keeps_the_first_letter(run, tmp_path):
    path = tmp_path / "wikt.xml"
    pages = "".join(
        f"<page><title>{title}</title><ns>0</ns><id>{n}</id><revision><id>{n * 10}</id>"
        f"<timestamp>2024-01-01T00:00:00Z</timestamp><text>{title} text</text></revision></page>"
        for n, title in ((1, "apple"), (2, "Apple"))
    )
    path.write_text(
        "<mediawiki><siteinfo><dbname>enwiktionary</dbname><case>case-sensitive</case>"
        f"<namespaces><namespace key='1'>Talk</namespace></namespaces></siteinfo>{pages}"
        "</mediawiki>"
    )
    assert run("import", str(path)).exit_code == 0
    assert run("wikitext", "apple").stdout_bytes == b"apple text"
    assert run("wikitext", "Apple").stdout_bytes == b"Apple text"


def test_localised_namespace_from_the_export(run):
    dewiki = ROOT / "tests/data/corpus/real/dewiki_history_sample/Bz2Test.xml.bz2"
    run("import", str(dewiki))
    result = run("revisions", "benutzer diskussion:apCom", "--json")
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.output)) > 0
