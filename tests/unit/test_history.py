"""An article's facts through time (monitor/history.py) on small real histories imported
from exports: figure series that survive neighbours and removals, values that only change
for a reader, and reverts that are themselves reverted."""

from __future__ import annotations

from pathlib import Path

from digest_helpers import export, revision

from monitor.attribution import standing_reverts
from monitor.report.charts import Point, Series, line_chart
from monitor.report.history import ArticleHistory, load_history
from storage import Store

TITLE = "Test offensive"


def box(**fields: str) -> str:
    params = "".join(f"| {name} = {value}\n" for name, value in fields.items())
    return "{{Infobox military conflict\n" + params + "}}\nText.\n"


def history_of(run, tmp_path: Path, db_path: Path, texts: list[tuple[str, str]]) -> ArticleHistory:
    """Import revisions (user, text), one a day from 2024-12-01, and load the history."""
    revisions = [
        revision(100 + i, f"2024-12-{i + 1:02d}T10:00:00Z", user, text)
        for i, (user, text) in enumerate(texts)
    ]
    result = run("import", str(export(tmp_path / "h.xml", TITLE, 7, revisions)))
    assert result.exit_code == 0, result.output
    assert run("changes", TITLE).exit_code == 0  # analyses: reverts are known
    store = Store(db_path)
    try:
        return load_history(store, store.pages()[0])
    finally:
        store.close()


def values(history: ArticleHistory, field: str) -> dict[str, list[int | None]]:
    return {
        s.name: [p.value for p in s.points if not p.reverted] for s in history.figure_series(field)
    }


def test_a_series_keeps_its_identity_when_neighbours_come_and_go(run, tmp_path, db_path):
    captured = "|{{flagicon|Syria}} 40 captured}}"
    history = history_of(run, tmp_path, db_path, [
        ("A", box(casualties1="{{flagicon|Syria}} 220 killed")),
        ("B", box(casualties1="{{ubl|{{flagicon|Syria}} 220 killed" + captured)),
        ("C", box(casualties1="{{ubl|{{flagicon|Syria}} 300 killed" + captured)),
        ("D", box(casualties1="{{flagicon|Syria}} 300 killed")),
    ])  # fmt: skip
    assert values(history, "casualties1") == {
        "Syria · killed": [220, 300],
        "Syria · captured": [40, None],  # it went away in revision 103
    }
    presence = dict(history.presence("casualties1"))
    assert presence["300 killed"] == [("2024-12-01T10:00:00Z", None)]  # one item all along
    assert presence["40 captured"] == [("2024-12-02T10:00:00Z", "2024-12-04T10:00:00Z")]


def test_a_removed_figure_stops_its_line(run, tmp_path, db_path):
    history = history_of(run, tmp_path, db_path, [
        ("A", box(casualties1="220 killed", result="Ongoing")),
        ("B", box(casualties1="300 killed", result="Ongoing")),
        ("C", box(result="Ongoing")),
    ])  # fmt: skip
    (series,) = history.figure_series("casualties1")
    assert [p.value for p in series.points] == [220, 300, None]
    chart = line_chart(
        [Series(series.name, tuple(
            Point(p.revision.timestamp, p.value, None, "x") for p in series.points
        ))],
        title="t", end="2024-12-10T00:00:00Z",
    )  # fmt: skip
    path = str(chart).split('class="series"')[1].split('d="')[1].split('"')[0]
    right = float(str(chart).split('class="plot-area"')[1].split('width="')[1].split('"')[0])
    assert not path.endswith(f"H{right}")  # not drawn on to the right edge (today)
    assert path.count("M") == 1 and path.rstrip("0123456789.").endswith("H")


def test_a_new_link_behind_the_same_words_is_not_a_new_value(run, tmp_path, db_path):
    history = history_of(run, tmp_path, db_path, [
        ("Author", box(commander1="[[Abu Mohammad al-Julani]]")),
        ("Linkfixer", box(commander1="[[Ahmed al-Sharaa|Abu Mohammad al-Julani]]")),
    ])  # fmt: skip
    assert len(history.versions["commander1"]) == 1
    assert history.blame("commander1").user == "Author"


def test_a_revert_that_was_reverted_does_not_count(run, tmp_path, db_path):
    before, after = box(result="Ongoing"), box(result="Rebel victory")
    history = history_of(run, tmp_path, db_path, [
        ("Creator", before), ("Alice", after), ("Bob", before), ("Alice", after),
    ])  # fmt: skip
    by_revid = {r.revid: r for r in history.revisions}
    assert by_revid[101].reverted_by is None  # Alice's edit stands: Bob's revert was undone
    assert by_revid[102].reverted_by == 103  # Bob's revert is what was undone
    assert history.blame("result").revid == 101  # where Alice introduced it
    # the report's timeline marks the same way
    page = run("report", "--out", str(tmp_path / "out"))
    assert page.exit_code == 0, page.output
    (article_file,) = (tmp_path / "out").glob("*/7/index.html")
    article = article_file.read_text(encoding="utf-8")
    kept, reverted = article.split("<details", 1) if "<details" in article else (article, "")
    assert "Bob" in reverted and "Bob" not in kept.split('id="timeline"')[1]


def test_standing_reverts_follow_chains() -> None:
    assert standing_reverts({1: 2}) == {1: 2}
    assert standing_reverts({1: 2, 2: 3}) == {2: 3}  # 3 undid the revert 2: 1 stands
    assert standing_reverts({1: 2, 2: 3, 3: 4}) == {1: 2, 3: 4}


def test_fields_sort_by_group_then_number() -> None:
    from monitor.fields import field_group, field_order

    names = ["caption", "result", "commander1", "casualties10", "combatant2", "casualties2"]
    assert sorted(names, key=field_order) == [
        "casualties2", "casualties10", "combatant2", "commander1", "result", "caption",
    ]  # fmt: skip
    assert [field_group(n) for n in ("notes", "belligerents1", "place", "image")] == [
        "casualties", "combatants", "outcome", "other",
    ]  # fmt: skip
