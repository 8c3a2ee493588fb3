"""Shared by test_digest.py and test_mail.py: the bundled sample history imported once per
session (each test gets its own copy of the database), the answers of `wikimon changes
--json` and `wikimon revisions --json` about it, and a parser of a digest's text part."""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from exports import write_export
from helpers import copy_sample

from monitor.cli import cli

TITLE = "2024 Syrian opposition offensives"
ISOLATES = str.maketrans("", "", "\u2068\u2069")  # FSI … PDI around wiki text


@dataclass
class Sample:
    db: Path  # imported and analysed: copy it, never write to it
    changes: list[dict[str, Any]]  # `wikimon changes --json`
    revisions: list[dict[str, Any]]  # `wikimon revisions --json`
    api_url: str

    def changes_in(self, start: str, end: str) -> list[dict[str, Any]]:
        return [c for c in self.changes if start <= c["timestamp"] < end]

    def revisions_in(self, start: str, end: str) -> list[dict[str, Any]]:
        return [r for r in self.revisions if start <= r["timestamp"] < end]

    def revision_before(self, moment: str) -> dict[str, Any]:
        return [r for r in self.revisions if r["timestamp"] < moment][-1]

    @property
    def index_url(self) -> str:
        return self.api_url.removesuffix("api.php") + "index.php"


@pytest.fixture(scope="session", name="sample_template")
def sample_template_fixture(tmp_path_factory: pytest.TempPathFactory) -> Sample:
    """`wikimon import` of the sample history, once: each import takes about a second."""
    directory = tmp_path_factory.mktemp("sample")
    db = directory / "wikimon.db"
    runner = CliRunner()
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(directory)  # not the checkout's config.yaml

        def invoke(*args: str) -> str:
            result = runner.invoke(cli, ["--db", str(db), *args], catch_exceptions=False)
            assert result.exit_code == 0, result.output
            return result.stdout

        invoke("import", str(copy_sample(directory)))
        changes = json.loads(invoke("changes", TITLE, "--json"))  # also analyses the history
        revisions = json.loads(invoke("revisions", TITLE, "--json"))
    with sqlite3.connect(db) as conn:
        (api_url,) = conn.execute("SELECT api_url FROM wikis WHERE name = 'enwiki'").fetchone()
    return Sample(db, changes, revisions, api_url)


@pytest.fixture(name="sample")
def sample_fixture(sample_template: Sample, db_path: Path, run) -> Sample:
    """The imported sample history in this test's database (``run`` uses it)."""
    copy_database(sample_template.db, db_path)
    return sample_template


def copy_database(source: Path, target: Path) -> None:
    # the backup API, not a file copy: the store is in WAL mode
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()


def cli_json(run: Callable, *args: str, **kwargs: Any) -> Any:
    result = run(*args, "--json", **kwargs)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def digest_rows(db: Path) -> list[dict[str, Any]]:
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        rows = [dict(r) for r in conn.execute("SELECT * FROM digests ORDER BY id")]
    conn.close()
    return rows


def write_config(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def revision(
    revid: int, timestamp: str, user: str, content: str, *, parentid: int = 0, comment: str = ""
) -> dict[str, Any]:
    """A revision for mediawiki_fixtures.write_export."""
    return {
        "revid": revid, "parentid": parentid, "timestamp": timestamp, "user": user,
        "userid": 1000 + revid, "anon": False, "minor": False, "comment": comment,
        "content": content, "sha1": hashlib.sha1(content.encode("utf-8")).hexdigest(),
    }  # fmt: skip


def export(path: Path, title: str, page_id: int, revisions: list[dict[str, Any]]) -> Path:
    """An export of ``revisions``, each one's parent the one before (unless it has one)."""
    for previous, current in zip(revisions, revisions[1:], strict=False):
        current["parentid"] = current["parentid"] or previous["revid"]
    return write_export(path, title, page_id, revisions)


# -- the text part -----------------------------------------------------------------------------


@dataclass
class EditLine:
    by: str
    when: str
    url: str | None = None


@dataclass
class ChangeLine:
    text: str
    edits: list[EditLine] = field(default_factory=list)  # "by …, …" lines, oldest first

    @property
    def by(self) -> str | None:
        """Who made it what it is (the last edit credited)."""
        return self.edits[-1].by if self.edits else None

    @property
    def when(self) -> str | None:
        return self.edits[-1].when if self.edits else None

    @property
    def url(self) -> str | None:
        return self.edits[-1].url if self.edits else None


@dataclass
class FieldText:
    changes: list[ChangeLine] = field(default_factory=list)
    no_net_change: str | None = None  # "no net change, 1 reverted edit (2 edits in all)"
    note: str | None = None  # "(1 reverted edit not counted)"


@dataclass
class ArticleText:
    title: str
    wiki: str
    created: bool = False
    edits: int = -1
    editors: int = -1
    reverts: int = -1
    fields: dict[str, FieldText] = field(default_factory=dict)
    net_diff_url: str | None = None
    report_url: str | None = None


_TITLE = re.compile(r"^== (.*) \(([^()]*)\) ==$")
_ACTIVITY = re.compile(r"^(New article\. )?(\d+) edits? by (\d+) editors?, (\d+) reverts?\.$")
_BY = re.compile(r"^by (.*), (\d{4}-\d\d-\d\d \d\d:\d\d(?::\d\d)? UTC)$")


def parse_text(text: str) -> dict[str, ArticleText]:
    """The text part of a digest as {title: ArticleText}; fails on any line it cannot place,
    so a change of layout is noticed rather than silently parsed as nothing."""
    articles: dict[str, ArticleText] = {}
    article: ArticleText | None = None
    current: FieldText | None = None
    lines = text.translate(ISOLATES).split("\n")
    assert lines[0].startswith("wikimon digest "), lines[0]
    for line in lines[1:]:
        if line == "-- ":
            break
        if not line.strip() or line.startswith("No changes in the facts"):
            continue
        if match := _TITLE.match(line):
            article = articles.setdefault(match[1], ArticleText(match[1], match[2]))
            current = None
            continue
        assert article is not None, f"a line outside any article: {line!r}"
        if match := _ACTIVITY.match(line):
            article.created = bool(match[1])
            article.edits, article.editors, article.reverts = map(int, match.group(2, 3, 4))
        elif line.startswith("All changes in this period: "):
            article.net_diff_url = line.split(": ", 1)[1]
        elif line.startswith("History report: "):
            article.report_url = line.split(": ", 1)[1]
        elif not line.startswith(" "):
            current = article.fields.setdefault(line, FieldText())
        elif line.startswith("    "):
            assert current is not None and current.changes, f"misplaced: {line!r}"
            change = current.changes[-1]
            detail = line[4:]
            if match := _BY.match(detail):
                change.edits.append(EditLine(match[1], match[2]))
            elif detail.startswith(("https://", "http://")):
                assert change.edits and change.edits[-1].url is None, f"misplaced: {line!r}"
                change.edits[-1].url = detail
            else:
                raise AssertionError(f"unexpected detail line {line!r}")
        else:
            assert current is not None, f"a change outside any field: {line!r}"
            body = line[2:]
            if body.startswith("no net change"):
                current.no_net_change = body
            elif body.startswith("(") and body.endswith("not counted)"):
                current.note = body
            else:
                current.changes.append(ChangeLine(body))
    return articles


def figure_text(record: dict[str, Any]) -> str:
    """How a figure change is said, from a change record: "killed: 208 → 220 (+12)"."""
    old, new = record["old_number"], record["new_number"]
    return f"{record['category']}: {old:,} → {new:,} ({new - old:+,})"


def minute(timestamp: str) -> str:
    """2024-12-04T09:45:00Z → 2024-12-04 09:45 (as the digest starts saying it)."""
    return f"{timestamp[:10]} {timestamp[11:16]}"
