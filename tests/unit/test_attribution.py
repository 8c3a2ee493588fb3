"""One attribution model (blame) for the digests and the report: each value, item and
figure knows the revision that put it there (monitor/core/blame.py, fed by
monitor/attribution.py), a digest credits those revisions, and the report's "since … by
…" comes from the same lineages.

Expected values come from `wikimon changes --json` and `wikimon revisions --json` (and, for
the pure lineages, from the revisions the test writes), never from the code under test."""

from __future__ import annotations

import email
import email.policy
import re
from pathlib import Path

from attribution_helpers import check_creation_window, counted, wrote
from digest_helpers import (
    TITLE,
    Sample,
    export,
    parse_text,
    revision,
    sample_fixture,  # noqa: F401
    sample_template_fixture,  # noqa: F401
)
from report_helpers import Node, Static, parse, static_fixture  # noqa: F401

from monitor.core.blame import Blame
from monitor.core.diff import diff_facts
from monitor.core.extract import extract_facts

WHOLE = ("2024-11-27T00:00:00Z", "2024-12-10T00:00:00Z")  # the sample from its creation on
WEEK = ("2024-11-28T00:00:00Z", "2024-12-05T00:00:00Z")  # many figures move several times


def digest_text(run, start: str, end: str) -> str:
    result = run("digest", "--dry-run", "--since", start, "--until", end)
    assert result.exit_code == 0, result.output
    return result.stdout


# -- a window with the article's creation -------------------------------------------------------


def test_a_new_article_credits_each_value_to_the_edit_that_put_it_there(sample: Sample, run):
    article = parse_text(digest_text(run, *WHOLE))[TITLE]
    assert article.created
    creator = sample.revisions[0]
    # the examples: Ecrusized created the article with 44 killed and no figure of
    # the displaced; Cinderella157 wrote 311 and Kurdistan Defender 370,000
    casualties1 = {line.text: line for line in article.fields["casualties1"].changes}
    notes = {line.text: line for line in article.fields["notes"].changes}
    assert casualties1["+ 311 killed"].by == "Cinderella157"
    assert notes["+ 370,000 civilians displaced"].by == "Kurdistan Defender"
    assert creator["user"] == "Ecrusized"
    checked = check_creation_window(article, sample.changes, creator, sample.index_url)
    assert checked >= 30
    credited = {line.by for f in article.fields.values() for line in f.changes}
    assert creator["user"] in credited and len(credited) >= 8  # not everything is his


# -- several edits, one net change --------------------------------------------------------------


def test_a_net_change_made_by_several_edits_credits_and_links_each(
    sample: Sample, run, tmp_path: Path
):
    text = digest_text(run, *WEEK)
    article = parse_text(text)[TITLE]
    window = [c for c in counted(sample.changes) if WEEK[0] <= c["timestamp"] < WEEK[1]]
    several = 0
    for name, field_text in article.fields.items():
        for line in field_text.changes:
            figure = re.match(r"^(\w+): ([\d,]+) → ([\d,]+) \([+-][\d,]+\) \((.*)\)$", line.text)
            if not figure:
                continue
            category, old, new = (
                figure[1],
                int(figure[2].replace(",", "")),
                int(figure[3].replace(",", "")),
            )
            # the figure's steps in the window, from old to new: each one moved it
            steps, at = [], old
            for c in window:
                if (c["field"], c["kind"], c["category"]) == (name, "figure_changed", category) \
                        and c["old_number"] == at and c["new_number"] is not None:  # fmt: skip
                    steps.append(c)
                    at = c["new_number"]
            assert at == new, (name, line.text)
            expected = [
                (c["user"], f"{sample.index_url}?diff={c['revid']}&oldid={c['parent_revid']}")
                for c in steps
            ]
            assert [(e.by, e.url) for e in line.edits] == expected, (name, line.text)
            several += len(steps) > 1
    assert several >= 3
    # the same edits in the HTML part, each with its link
    result = run("digest", "--since", WEEK[0], "--until", WEEK[1])
    assert result.exit_code == 0, result.output
    (path,) = (tmp_path / "outbox").glob("*.eml")
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    html = parse(message.get_body(("html",)).get_content())
    links = [a["href"] for a in html.all("a")]
    for field_text in article.fields.values():
        for line in field_text.changes:
            for edit in line.edits:
                assert edit.url in links


def test_a_value_changed_twice_credits_both_editors(sample: Sample, run, tmp_path: Path):
    box = "{{Infobox military conflict\n| result = %s\n| casualties1 = %s killed\n}}"
    revisions = [
        revision(700, "2024-12-03T10:00:00Z", "Creator", box % ("Ongoing", "10")),
        revision(701, "2024-12-04T10:00:00Z", "Alice", box % ("Rebel advance", "15")),
        revision(702, "2024-12-04T11:00:00Z", "Vandal", box % ("Rebels lose lol", "15")),
        revision(703, "2024-12-04T11:01:00Z", "Patroller", box % ("Rebel advance", "15")),
        revision(704, "2024-12-04T12:00:00Z", "Bob", box % ("Rebel victory", "15")),
    ]
    path = export(tmp_path / "t.xml", "Twice", 70, revisions)
    assert run("import", "--wiki", "enwiki", str(path)).exit_code == 0
    (line,) = (
        parse_text(digest_text(run, "2024-12-04", "2024-12-05"))["Twice"].fields["result"].changes
    )
    # the vandal and the revert that undid him are nobody's contribution
    assert [(e.by, e.url.rsplit("?", 1)[1]) for e in line.edits] == [
        ("Alice", "diff=701&oldid=700"),
        ("Bob", "diff=704&oldid=703"),
    ]
    (figure,) = (
        parse_text(digest_text(run, "2024-12-04", "2024-12-05"))["Twice"]
        .fields["casualties1"]
        .changes
    )
    assert figure.text.startswith("killed: 10 → 15 (+5)") and figure.by == "Alice"


# -- the report's "since … by …" ----------------------------------------------------------------


def test_the_report_says_since_when_each_item_reads_as_it_does(static: Static):
    """Each item of a list field on the article page: since the last counted edit that
    wrote it as it reads, else since the article's creation."""
    creator = static.sample.revisions[0]
    doc = static.html(f"{static.article}index.html")
    checked = 0
    for row in doc.one("table", "facts").one("tbody").all("tr"):
        name = row.one("th").words
        items = row.all("li")
        for li in items:
            text = li.all("bdi")[0].text
            writers = [c for c in counted(static.sample.changes) if c["field"] == name
                       and wrote(c, text)]  # fmt: skip
            expected = writers[-1] if writers else creator
            since = li.one("span", "since")
            assert since.one("time")["datetime"] == expected["timestamp"], (name, text)
            assert since.one("bdi", "user").text == expected["user"], (name, text)
            checked += 1
    assert checked >= 20


# -- the lineages themselves (pure) -------------------------------------------------------------


def facts(**fields: str):
    body = "".join(f"| {name} = {value}\n" for name, value in fields.items())
    return extract_facts("{{Infobox military conflict\n" + body + "}}")


def test_lineages_follow_items_and_figures_through_edits():
    blame: Blame[str] = Blame()
    blame.add("r1", facts(combatant1="Red army<br>Blue army", casualties1="10 killed"))
    blame.add("r2", facts(combatant1="Red army<br>Blue army<br>Green militia",
                          casualties1="10 killed"))  # fmt: skip
    blame.add("r3", facts(combatant1="Red army<br>Green militia", casualties1="25 killed"))
    blame.add("r4", facts(combatant1="Red army<br>Green militia", casualties1="40 killed"))
    items = {lineage.current.text: lineage for lineage in blame.items("combatant1")}
    assert {text: lineage.introduced_by for text, lineage in items.items()} == {
        "Red army": "r1",
        "Green militia": "r2",
    }
    assert blame.value("combatant1").origins() == ["r1", "r2", "r3"]
    (figure,) = [p for p in blame.parts("casualties1") if p.kind == "figure"]
    assert [(v.origin, v.number) for v in figure.versions] == [
        ("r1", 10), ("r3", 25), ("r4", 40),
    ]  # fmt: skip
    # a net change from a baseline: the revisions on the way, or the one that did it
    baseline = facts(combatant1="Red army<br>Blue army", casualties1="10 killed")
    window: Blame[str] = Blame(baseline)
    for origin, later in (("r2", facts(combatant1="Red army<br>Blue army<br>Green militia",
                                       casualties1="10 killed")),
                          ("r3", facts(combatant1="Red army<br>Green militia",
                                       casualties1="25 killed")),
                          ("r4", facts(combatant1="Red army<br>Green militia",
                                       casualties1="40 killed"))):  # fmt: skip
        window.add(origin, later)
    end = facts(combatant1="Red army<br>Green militia", casualties1="40 killed")
    credits = {
        (c.field, c.kind, c.item or c.new): window.credit(c) for c in diff_facts(baseline, end)
    }
    assert credits == {
        ("combatant1", "item_removed", "Blue army"): ["r3"],
        ("combatant1", "item_added", "Green militia"): ["r2"],
        ("casualties1", "figure_changed", "40 killed"): ["r3", "r4"],
    }


def test_a_cosmetic_edit_credits_nobody():
    blame: Blame[str] = Blame()
    blame.add("r1", facts(commander1="[[Abu Mohammad al-Julani]]", result="Ongoing"))
    blame.add("r2", facts(commander1="[[Ahmed al-Sharaa|Abu Mohammad al-Julani]]",
                          result="ongoing"))  # fmt: skip
    assert blame.value("commander1").origins() == ["r1"]
    assert blame.value("result").origins() == ["r1"]
    (item,) = blame.items("commander1")
    assert item.introduced_by == "r1"
