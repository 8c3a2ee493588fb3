"""Data out: `wikimon export` (CSV, JSON Lines, Parquet; changes and facts), the Python
API (`import wikimon`), the migration that adds what they read, and one dump file through
the cube's task (no Dask here: tests/integration/test_cube.py runs it on a cluster).

Expected values come from `wikimon changes --json` and `wikimon show --json` (what the
README documents), and for the cube from `wikimon import` + `wikimon export`."""

from __future__ import annotations

import csv
import json
import shutil
import sqlite3
import sys
from dataclasses import fields
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import wikimon
from click.testing import CliRunner
from exports import revision_xml
from helpers import SAMPLE_HISTORY, revisions_in

from monitor.cli import cli
from monitor.config import Config
from monitor.core.rows import FactRow
from monitor.export.cube import FILE_COLUMNS, cube_file, finished
from monitor.export.tables import CHANGE_COLUMNS, FACT_COLUMNS
from storage import ChangeRow, Store, StoreError
from storage.migrations import MIGRATIONS

TITLE = "2024 Syrian opposition offensives"


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory) -> Path:
    """The sample history imported and analysed once for the module."""
    db = tmp_path_factory.mktemp("sample") / "wikimon.db"
    result = CliRunner().invoke(cli, ["--db", str(db), "import", str(SAMPLE_HISTORY)])
    assert result.exit_code == 0, result.output
    with sqlite3.connect(db) as conn:  # everything into the file itself, for copies
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return db


@pytest.fixture
def imported(run, sample_db, db_path):
    shutil.copy(sample_db, db_path)
    return run


def changes_json(run, *args: str) -> list[dict]:
    result = run("changes", TITLE, "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def as_export(record: dict) -> dict:
    """A `changes --json` record as an export row says it (revert → revert_to)."""
    row = {key: value for key, value in record.items() if key != "revert"}
    row["revert_to"] = record["revert"]["reverted_to"] if record["revert"] else None
    return row


def read_rows(path: Path, fmt: str) -> list[dict]:
    if fmt == "parquet":
        return pq.read_table(path).to_pylist()
    if fmt == "jsonl":
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    with path.open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def test_export_columns_are_the_page_and_every_change_row_field():
    names = [c.name for c in CHANGE_COLUMNS]
    expected = ["wiki", "page_id", "title"] + [
        "revert_to" if f.name == "revert" else f.name for f in fields(ChangeRow)
    ]
    assert names == expected
    # the columns are all there
    assert {"infobox", "minor", "reverted_by", "revert_to", "old_number", "comment"} <= set(names)
    assert [c.name for c in FACT_COLUMNS][6:] == [f.name for f in fields(FactRow)]


@pytest.mark.parametrize("fmt", ["parquet", "csv", "jsonl"])
def test_export_has_the_records_changes_json_prints(imported, tmp_path, fmt):
    out = tmp_path / f"changes.{fmt}"
    result = imported("export", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert (
        result.output
        == f"Wrote 73 change records of 1 article to {out} ({fmt}, "
        + (result.output.split(f"({fmt}, ")[1])
    )
    rows = read_rows(out, fmt)
    expected = [as_export(record) for record in changes_json(imported)]
    assert len(rows) == len(expected) == 73
    assert not (tmp_path / f"changes.{fmt}.partial").exists()
    for row, record in zip(rows, expected, strict=True):
        assert row["wiki"] in ("enwiki",)
        assert row["infobox"] in ("Infobox military conflict",)
        for key, value in record.items():
            if fmt == "csv":  # text: empty for null, true/false
                value = "" if value is None else value
                value = str(value).lower() if isinstance(value, bool) else str(value)
            assert row[key] == value, (key, row, record)
    # the revert marks and minor edits made it through
    assert any(row["revert_to"] not in (None, "") for row in rows)
    assert any(row["reverted_by"] not in (None, "") for row in rows)


def test_export_filters_like_changes(imported, tmp_path):
    out = tmp_path / "c.jsonl"
    args = ["--since", "2024-11-29", "--until", "2024-12-01", "--field", "casualties*"]
    assert imported("export", TITLE, "--out", str(out), *args).exit_code == 0
    rows = read_rows(out, "jsonl")
    since_until = ["--since", "2024-11-29", "--until", "2024-12-01"]
    expected = [
        as_export(r)
        for field in ("casualties1", "casualties2", "casualties3")
        for r in changes_json(imported, "--field", field, *since_until)
    ]
    key = lambda row: (row["timestamp"], row["revid"], row["field"], row["new"] or "")  # noqa: E731
    shared = [{name: row[name] for name in expected[0]} for row in rows]
    assert sorted(shared, key=key) == sorted(expected, key=key) and rows


def test_export_to_standard_output_and_format_errors(imported, tmp_path):
    result = imported("export", "--format", "csv", "--out", "-")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0] == ",".join(c.name for c in CHANGE_COLUMNS) and len(lines) >= 74
    result = imported("export", "--format", "parquet", "--out", "-")
    assert result.exit_code == 1
    assert result.output == "Error: --out -: Parquet cannot go to standard output; name a file\n"
    result = imported("export", "--out", str(tmp_path / "changes.txt"))
    assert result.exit_code == 1 and "say which format with --format" in result.output
    result = imported("export", "--out", str(tmp_path / "no" / "such" / "dir.csv"))
    assert result.exit_code == 1 and result.output.startswith("Error: --out ")
    assert "Traceback" not in result.output


def test_a_missing_pyarrow_is_one_line(imported, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # as if it were not installed
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    result = imported("export", "--out", str(tmp_path / "c.parquet"))
    assert result.exit_code == 1
    assert result.output == "Error: Parquet needs pyarrow: pip install 'wikimon[parquet]'\n"


def test_export_facts_are_what_show_says(imported, tmp_path):
    out = tmp_path / "facts.parquet"
    result = imported("export", "--facts", "--since", "2024-12-04", "--out", str(out))
    assert result.exit_code == 0, result.output
    rows = read_rows(out, "parquet")
    revids = sorted({row["revid"] for row in rows})
    assert len(revids) > 5 and all(row["timestamp"] >= "2024-12-04" for row in rows)
    for revid in (revids[0], revids[-1]):
        shown = json.loads(imported("show", TITLE, "--at", str(revid), "--json").output)
        mine = [row for row in rows if row["revid"] == revid]
        assert {row["infobox"] for row in mine} == {shown["infobox"]}
        assert list(dict.fromkeys(row["field"] for row in mine)) == list(shown["fields"])
        for name, fact in shown["fields"].items():
            of_field = [row for row in mine if row["field"] == name]
            assert {row["value"] for row in of_field} == {fact["value"]}
            items = list(dict.fromkeys((r["position"], r["item"]) for r in of_field))
            assert [text for _, text in items] == (fact["items"] or [None])
            figures = [
                {key: row[key] for key in ("side", "category", "number", "low", "high")}
                for row in of_field
                if row["category"] is not None or row["number"] is not None
            ]
            assert figures == [
                {key: f[key] for key in ("side", "category", "number", "low", "high")}
                for f in fact["figures"]
            ]


# -- the Python API ----------------------------------------------------------------------------


def test_python_api_reads_what_the_commands_show(imported, db_path, tmp_path):
    with wikimon.open(db_path) as db:
        (summary,) = db.pages()
        assert (summary.wiki, summary.title, summary.revisions) == ("enwiki", TITLE, 190)
        revisions = list(db.revisions("2024_Syrian_opposition_offensives"))  # as the wiki
        assert len(revisions) == 190 and revisions[0].revid == 1259801000
        changes = list(db.changes(TITLE))
        assert all(isinstance(c, wikimon.PageChange) and isinstance(c, ChangeRow) for c in changes)
        assert [c.to_json(db.page(TITLE)) for c in changes] == changes_json(imported)
        casualties = list(db.changes(fields=["casualties*"], since="2024-12-04"))
        assert casualties and all(c.field.startswith("casualties") for c in casualties)
        assert {c.title for c in casualties} == {TITLE}
        snapshot = db.facts(TITLE, at="2024-11-28")
        shown = json.loads(imported("show", TITLE, "--at", "2024-11-28", "--json").output)
        assert snapshot.revision.revid == shown["revid"]
        assert snapshot.facts.to_json() == shown["fields"]
        assert db.wikitext(TITLE, snapshot.revision.revid).startswith(b"{{Short description")
        with pytest.raises(wikimon.UnknownTitle, match="Did you mean"):
            db.facts("2024 Syrian opposition offensive")
        with pytest.raises(StoreError, match="read-only"), db.store.transaction():
            pass


def test_python_api_on_plain_wikitext(tmp_path, run):
    revisions = [r for r in revisions_in(SAMPLE_HISTORY) if r.text is not None]
    old, new = revisions[40].text, revisions[41].text
    (tmp_path / "old.wikitext").write_text(old, encoding="utf-8")
    (tmp_path / "new.wikitext").write_text(new, encoding="utf-8")
    shown = json.loads(run("diff", "old.wikitext", "new.wikitext", "--json").output)
    assert [change.to_json() for change in wikimon.diff(old, new)] == shown
    assert wikimon.facts(new).infobox == "Infobox military conflict"


def test_the_wikimon_package_is_monitor_wikimon():
    assert Path(wikimon.__file__).parent == Path(__file__).parents[2] / "monitor" / "wikimon"
    assert wikimon.open is wikimon.Database.__init__.__globals__["open"]


def test_an_older_database_gets_the_views_and_infoboxes(imported, db_path):
    """A database as the wikimon before 0007_data_out left it: no infobox column, no
    current facts, no views."""
    with sqlite3.connect(db_path) as conn:
        for view in ("changes_view", "revisions_view", "facts_now"):
            conn.execute(f"DROP VIEW {view}")
        conn.execute("DROP TABLE current_facts")
        conn.execute("ALTER TABLE changes DROP COLUMN infobox")
        (name,) = [name for name, _ in MIGRATIONS if name.endswith("_data_out")]
        conn.execute("DELETE FROM _migrations WHERE name = ?", [name])
    Store(db_path).close()  # a command that writes upgrades it
    records = changes_json(imported)  # the reader brings the change log up to date
    assert len(records) == 73
    with sqlite3.connect(db_path) as conn:
        infoboxes = conn.execute("SELECT DISTINCT infobox FROM changes_view").fetchall()
        assert infoboxes == [("Infobox military conflict",)]
        facts = conn.execute("SELECT COUNT(*), COUNT(DISTINCT field) FROM facts_now").fetchone()
        assert facts[0] > facts[1] > 20
        assert conn.execute("SELECT COUNT(*) FROM revisions_view").fetchone() == (190,)


# -- one dump file through the cube's task -----------------------------------------------------


def cube_rows(out: Path) -> list[dict]:
    return pq.read_table(out).to_pylist()


def export_rows(run, db: Path, tmp_path: Path) -> list[dict]:
    out = tmp_path / "export.parquet"
    assert run("export", "--out", str(out), db=db).exit_code == 0
    return read_rows(out, "parquet")


def by_page(rows: list[dict]) -> dict[tuple[str, int], list[dict]]:
    """Each page's records in order (pages come in file order from the cube, by title
    from an export); the cube's ``source`` partition left out."""
    pages: dict[tuple[str, int], list[dict]] = {}
    for row in rows:
        record = {key: value for key, value in row.items() if key != "source"}
        pages.setdefault((row["wiki"], row["page_id"]), []).append(record)
    return pages


def test_cube_task_equals_import_and_export(run, tmp_path):
    """Out of order and repeated revisions (the store sorts and keeps one of each), a
    revision-deleted one, a file that breaks off: the same records either way."""
    revisions = revisions_in(SAMPLE_HISTORY)
    shuffled = revisions[:100]
    shuffled[10], shuffled[11] = shuffled[11], shuffled[10]
    shuffled[50:60] = reversed(shuffled[50:60])
    shuffled.insert(70, revisions[20])  # again
    body = "".join(revision_xml(r) for r in shuffled)
    head = (
        '<mediawiki version="0.11"><siteinfo><dbname>enwiki</dbname>'
        "<base>https://en.wikipedia.org/wiki/Main_Page</base></siteinfo>"
        f"<page><title>{TITLE}</title><ns>0</ns><id>78552391</id>"
    )
    dump = tmp_path / "shuffled.xml"
    dump.write_text(head + body + "</page></mediawiki>", encoding="utf-8")
    broken = tmp_path / "broken.xml"
    broken.write_text(head + body[: len(body) * 2 // 3], encoding="utf-8")
    for path in (dump, broken):  # many pages, a bad byte: integration/test_cube.py
        out, db = tmp_path / f"cube-{path.name}", tmp_path / f"{path.name}.db"
        result = cube_file(str(path), str(out), Config())
        assert (result.error is not None) == (path == broken)
        run("import", str(path), db=db)
        expected = export_rows(run, db, tmp_path)
        assert by_page(cube_rows(out)) == by_page(expected)
        assert result.records == len(expected)
        assert len(expected) > 10
        assert [c.name for c in FILE_COLUMNS] == list(pq.read_schema(
            next(out.glob("wiki=*/source=*/changes.parquet"))
        ).names)  # fmt: skip
        assert finished(out, str(path)) is not None


def test_a_finished_file_is_known_by_its_marker(tmp_path):
    source = tmp_path / "a.xml"
    source.write_bytes(SAMPLE_HISTORY.read_bytes())
    out = tmp_path / "cube"
    assert finished(out, str(source)) is None
    cube_file(str(source), str(out), Config())
    done = finished(out, str(source))
    assert done is not None and done.skipped and done.revisions == 190 and done.records == 73
    source.write_bytes(SAMPLE_HISTORY.read_bytes() + b"\n")  # another file, same name
    assert finished(out, str(source)) is None
