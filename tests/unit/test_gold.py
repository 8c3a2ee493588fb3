"""Accuracy of the semantic diff against the gold labels of the reference history.

``samples/history.xml.xz`` is the 190-revision history that
``tests/data/corpus/dev/gold.jsonl`` labels (see that directory's README.md). Every
revision but the first is diffed against the last visible one before it; revision-deleted
revisions are skipped (no changes are attributed to them). Scores, per (revid, field):

* field level: precision / recall / F1 of the fields reported as changed;
* change level: a gold change counts as found when the records of its (revid, field) pair
  name its item in the right direction, carry both its numbers (``figure_changed``), or
  contain its new value — whichever of those the label gives; a label that gives none of
  them only needs its field reported.

Reverts are scored elsewhere (the analysis layer marks them).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

from helpers import ROOT

from monitor.core.diff import diff_wikitext
from monitor.core.facts import Change
from monitor.sources.xmldump import read_dump
from storage import Revision

HISTORY = ROOT / "samples" / "history.xml.xz"
GOLD = ROOT / "tests" / "data" / "corpus" / "dev" / "gold.jsonl"

ADDING = {"item_added", "field_added"}
REMOVING = {"item_removed", "field_removed"}


@dataclass
class Scores:
    true_positive: int
    false_positive: int
    false_negative: int
    changes_found: int
    changes: int
    misses: list[str]

    @property
    def precision(self) -> float:
        reported = self.true_positive + self.false_positive
        return self.true_positive / reported if reported else 1.0

    @property
    def recall(self) -> float:
        expected = self.true_positive + self.false_negative
        return self.true_positive / expected if expected else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def change_score(self) -> float:
        return self.changes_found / self.changes if self.changes else 1.0


def _revisions() -> Iterator[Revision]:
    for entry in read_dump(HISTORY):
        if isinstance(entry, Revision):
            yield entry


def _visible(revision: Revision) -> bool:
    return revision.text is not None and not revision.texthidden


@cache
def predicted() -> dict[int, list[Change]]:
    """revid → records, for every revision but the first; hidden ones get nothing."""
    records: dict[int, list[Change]] = {}
    previous: str | None = None
    first = True
    for revision in _revisions():
        if first:
            first = False
            previous = revision.text if _visible(revision) else None
            continue
        if not _visible(revision):
            records[revision.revid] = []
            continue
        assert revision.text is not None
        records[revision.revid] = diff_wikitext(previous or "", revision.text)
        previous = revision.text
    return records


def _found(gold: dict, records: list[Change]) -> bool:
    """Whether the records of one (revid, field) pair describe one gold change."""
    if not records:
        return False
    kind = gold["kind"]
    if kind == "figure_changed" and ("old" in gold or "new" in gold):
        return any(
            r.kind == "figure_changed"
            and r.old_number == gold.get("old")
            and r.new_number == gold.get("new")
            for r in records
        )
    if gold.get("item"):
        name = gold["item"]
        for r in records:
            if kind in ADDING and r.kind in REMOVING or kind in REMOVING and r.kind in ADDING:
                continue
            if kind in ADDING:
                texts = [r.item, r.new]
            elif kind in REMOVING:
                texts = [r.item, r.old]
            else:
                texts = [r.item, r.old, r.new]
            if any(t and name in t for t in texts):
                return True
        return False
    if gold.get("new"):
        return any(r.new and gold["new"] in r.new for r in records)
    return True


def score() -> Scores:
    records = predicted()
    gold_lines = [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines()]
    tp = fp = fn = found = total = 0
    misses: list[str] = []
    for label in gold_lines:
        if label["first"]:
            continue
        revid = label["revid"]
        mine = records[revid]
        gold_fields = {c["field"] for c in label["changes"]}
        my_fields = {r.field for r in mine}
        tp += len(gold_fields & my_fields)
        for name in sorted(my_fields - gold_fields):
            fp += 1
            shown = [r.to_json() for r in mine if r.field == name]
            misses.append(f"{revid} {name}: reported but not in gold: {shown}")
        for name in sorted(gold_fields - my_fields):
            fn += 1
            misses.append(f"{revid} {name}: in gold but not reported")
        for change in label["changes"]:
            total += 1
            pair = [r for r in mine if r.field == change["field"]]
            if _found(change, pair):
                found += 1
            elif pair:
                shown = [r.to_json() for r in pair]
                misses.append(f"{revid} {change['field']}: gold {change} not in {shown}")
    return Scores(tp, fp, fn, found, total, misses)


def test_every_labelled_revision_is_scored():
    labels = [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines()]
    revisions = list(_revisions())
    assert [r.revid for r in revisions] == [label["revid"] for label in labels]
    assert [not _visible(r) for r in revisions] == [label["hidden"] for label in labels]


def test_gold_accuracy():
    result = score()
    print(
        f"\ngold: field precision {result.precision:.3f} recall {result.recall:.3f} "
        f"F1 {result.f1:.3f} ({result.true_positive} right, {result.false_positive} extra, "
        f"{result.false_negative} missed); changes {result.changes_found}/{result.changes} "
        f"= {result.change_score:.3f}"
    )
    for miss in result.misses:
        print("  miss:", miss)
    assert result.f1 >= 0.98, "\n".join(result.misses)
    assert result.change_score >= 0.95, "\n".join(result.misses)


def test_hidden_revision_is_compared_across():
    """The revision after a revision-deleted one is diffed against the last visible one:
    "rv BLP violation" restores exactly the text before the hidden edit."""
    labels = [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines()]
    hidden = [i for i, label in enumerate(labels) if label["hidden"]]
    assert hidden
    records = predicted()
    for i in hidden:
        assert records[labels[i]["revid"]] == []
        assert records[labels[i + 1]["revid"]] == []
