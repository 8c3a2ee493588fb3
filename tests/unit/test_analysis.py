"""The change log over a stored history: reverts, hidden revisions, incremental analysis,
and the commands that read it (changes, show, diff, reanalyze)."""

from __future__ import annotations

import json
from pathlib import Path

from exports import write_export
from helpers import CORPUS, SAMPLE_HISTORY, change_log

from monitor.core.history import IdentityRevert, identity_revert
from monitor.sources.xmldump import read_dump
from storage import Revision, Store
from storage import changes as changelog

TITLE = "2024 Syrian opposition offensives"
PAGE_ID = 78552391
GOLD = [json.loads(line) for line in (CORPUS / "dev" / "gold.jsonl").open()]


def sample_revisions() -> list[Revision]:
    return [item for item in read_dump(SAMPLE_HISTORY) if isinstance(item, Revision)]


def export_of(path: Path, revisions: list[Revision]) -> Path:
    return write_export(
        path,
        TITLE,
        PAGE_ID,
        [
            {
                "revid": r.revid,
                "parentid": r.parent_revid,
                "timestamp": r.timestamp,
                "user": r.user or "",
                "userid": r.user_id or 0,
                "anon": r.anon,
                "comment": r.comment or "",
                "minor": r.minor,
                "content": r.text,
                "sha1": r.sha1 or "0" * 40,  # hidden text: no sha1 in the export
            }  # fmt: skip
            for r in revisions
        ],
    )


def test_identity_reverts_within_fifteen_revisions():
    window = [(1, "a"), (2, "b"), (3, "c")]
    assert identity_revert(window, "a") == IdentityRevert(1, (2, 3))
    assert identity_revert(window, "c") is None  # same as the previous one: a null edit
    assert identity_revert(window, "z") is None
    assert identity_revert(window, None) is None
    assert identity_revert([(1, "a"), (2, "b"), (3, "a"), (4, "d")], "a") == IdentityRevert(3, (4,))


def test_every_gold_revert_is_marked_on_both_sides(run, db_path):
    assert run("import", str(SAMPLE_HISTORY)).exit_code == 0
    store = Store(db_path)
    (page,) = store.pages()
    reverts = {
        row["revid"]: (row["reverted_to"], json.loads(row["reverted"]))
        for row in store.db.query("SELECT * FROM reverts WHERE page = ?", [page.id])
    }
    reverted_by = {
        row["revid"]: row["reverted_by"]
        for row in store.db.query("SELECT * FROM reverted WHERE page = ?", [page.id])
    }
    gold_reverts = [(g["revid"], g["revert_of"]) for g in GOLD if g["revert_of"]]
    assert gold_reverts
    for revid, undone in gold_reverts:
        assert revid in reverts, f"revision {revid} reverts {undone} but is not marked"
        assert undone in reverts[revid][1]
        assert reverted_by[undone] == revid
    # and the change records of both sides carry the marks
    records = changelog.changes(store, page)
    for revid, undone in gold_reverts:
        for record in records:
            if record.revid == revid:
                assert record.revert.reverted_to == reverts[revid][0]
            if record.revid == undone:
                assert record.reverted_by == revid


def test_hidden_revisions_get_no_changes_and_are_skipped_over(run, db_path):
    run("import", str(SAMPLE_HISTORY))
    revisions = sample_revisions()
    hidden = [i for i, r in enumerate(revisions) if r.texthidden]
    assert len(hidden) == 1
    index = hidden[0]
    records = change_log(db_path)
    assert not [r for r in records if r.revid == revisions[index].revid]
    following = [r for r in records if r.revid == revisions[index + 1].revid]
    # the next visible revision is compared with the last visible one
    assert all(r.parent_revid == revisions[index - 1].revid for r in following)


def test_incremental_analysis_equals_a_full_one(run, db_path, tmp_path):
    revisions = sample_revisions()
    first = export_of(tmp_path / "first.xml", revisions[:120])
    assert run("import", "--wiki", "enwiki", str(first)).exit_code == 0
    assert run("import", str(SAMPLE_HISTORY)).exit_code == 0  # appends 70
    full_db = tmp_path / "full.db"
    assert run("import", str(SAMPLE_HISTORY), db=full_db).exit_code == 0
    assert change_log(db_path) == change_log(full_db)
    assert len(change_log(full_db)) > 50


def test_older_revisions_stored_later_restart_the_analysis(run, db_path, tmp_path):
    revisions = sample_revisions()
    newer = export_of(tmp_path / "newer.xml", revisions[100:])
    assert run("import", "--wiki", "enwiki", str(newer)).exit_code == 0
    assert run("import", str(SAMPLE_HISTORY)).exit_code == 0  # stores the 100 older ones
    full_db = tmp_path / "full.db"
    run("import", str(SAMPLE_HISTORY), db=full_db)
    assert change_log(db_path) == change_log(full_db)


def test_changes_command_json_and_filters(run, db_path):
    run("import", str(SAMPLE_HISTORY))
    records = json.loads(run("changes", TITLE, "--json").output)
    assert records == sorted(records, key=lambda r: (r["timestamp"], r["revid"]))
    assert set(records[0]) == {
        "revid", "parent_revid", "page_id", "title", "timestamp", "user", "comment", "field",
        "kind", "old", "new", "item", "category", "side", "old_number", "new_number",
        "old_low", "old_high", "new_low", "new_high", "revert", "reverted_by",
    }  # fmt: skip
    assert {r["page_id"] for r in records} == {PAGE_ID}
    casualties = json.loads(run("changes", TITLE, "--field", "casualties2", "--json").output)
    assert casualties and {r["field"] for r in casualties} == {"casualties2"}
    assert casualties == [r for r in records if r["field"] == "casualties2"]
    window = json.loads(
        run("changes", TITLE, "--since", "2024-11-29", "--until", "2024-11-30", "--json").output
    )
    assert window == [r for r in records if "2024-11-29" <= r["timestamp"] < "2024-11-30"]
    text = run("changes", TITLE, "--field", "casualties2")
    assert text.exit_code == 0 and text.output.count("\n") == len(casualties)


def test_show_now_and_as_of(run, db_path):
    run("import", str(SAMPLE_HISTORY))
    now = json.loads(run("show", TITLE, "--json").output)
    assert set(now) == {"title", "page_id", "revid", "timestamp", "infobox", "fields"}
    assert now["infobox"] == "Infobox military conflict"
    assert now["revid"] == sample_revisions()[-1].revid
    first = sample_revisions()[0]
    then = json.loads(run("show", TITLE, "--at", str(first.revid), "--json").output)
    assert then["revid"] == first.revid and then["fields"] != now["fields"]
    by_date = json.loads(run("show", TITLE, "--at", first.timestamp[:10], "--json").output)
    assert by_date["timestamp"][:10] == first.timestamp[:10]
    table = run("show", TITLE)
    assert table.exit_code == 0 and "casualties2" in table.output


def test_diff_two_files_and_reanalyze(run, db_path, tmp_path):
    revisions = sample_revisions()
    old, new = tmp_path / "old.wikitext", tmp_path / "new.wikitext"
    old.write_text(revisions[0].text, encoding="utf-8")
    new.write_text(revisions[-1].text, encoding="utf-8")
    records = json.loads(run("diff", str(old), str(new), "--json").output)
    assert records and {"field", "kind"} <= set(records[0])
    same = run("diff", str(new), str(new))
    assert same.exit_code == 0 and same.output == "No change in the infobox facts.\n"

    run("import", str(SAMPLE_HISTORY))
    before = change_log(db_path)
    result = run("reanalyze", TITLE)
    assert result.exit_code == 0
    assert f"190 revisions analysed, {len(before)} changes" in result.output
    assert change_log(db_path) == before


def test_a_new_analysis_version_redoes_the_change_log(run, db_path, monkeypatch):
    from monitor import analysis

    run("import", str(SAMPLE_HISTORY))
    before = change_log(db_path)
    store = Store(db_path)
    (page,) = store.pages()
    assert analysis.analyze_page(store, page).revisions == 0  # up to date: nothing to do
    monkeypatch.setattr(analysis, "ANALYSIS_VERSION", "0.0.0+other")
    result = analysis.analyze_page(store, page)
    assert (result.full, result.revisions) == (True, 190)
    assert change_log(db_path) == before
