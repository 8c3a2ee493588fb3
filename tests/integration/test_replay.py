"""The change log is complete: replaying it from the first revision reproduces the infobox
as `show --at` gives it, at every revision of every history in the corpus."""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict

import pytest
from helpers import CORPUS, SAMPLE_HISTORY

from monitor.core.extract import extract_facts
from storage import Store
from storage import changes as changelog

HISTORIES = {
    "sample": SAMPLE_HISTORY,
    "dev-big": CORPUS / "dev" / "history-big.xml.xz",
    "frwiki": CORPUS / "real/frwiki_history_dbpedia/frwiki-20220101-pages-articles.xml.bz2",
    "dewiki": CORPUS / "real/dewiki_history_sample/Bz2Test.xml.bz2",
    "gensim": next((CORPUS / "real/enwiki_articles_gensim").glob("*.bz2")),
    "pear": CORPUS / "real/pywikibot_xml/article-pear.xml",
    "pyrus": CORPUS / "real/pywikibot_xml/article-pyrus.xml",
    "pair": CORPUS / "real/pywikibot_xml/pair-0.10.xml",
    "simplewiki": CORPUS
    / "real/simplewiki_refinery/MediawikiDumperOutputTest.Simplewiki.Sample.xml",
    "anarchism": CORPUS / "real/enwiki_anarchism_history/large.xml.lzma",
}


def projection(fields: dict) -> dict[str, Counter]:
    """What the change log must reproduce: each field's items (its display value, line by
    line), as a multiset — records say which item changed, not where it stands."""
    return {name: Counter(field["items"] or [field["value"]]) for name, field in fields.items()}


def reader_form(state: dict[str, Counter]) -> dict[str, Counter]:
    """Texts as the diff compares them: spacing, full stops and letter case are cosmetic
    ("39104Magdeburg" → "39104 Magdeburg", "ca 2" → "ca. 2" produce no records)."""
    return {
        name: Counter({re.sub(r"[\s.]+", "", text).casefold(): n for text, n in items.items()})
        for name, items in state.items()
    }


def replay(state: dict[str, Counter], record: dict) -> None:
    field, kind = record["field"], record["kind"]
    items = state.setdefault(field, Counter())
    if kind in ("field_added", "value_changed"):
        state[field] = Counter(record["new"].split("\n"))
    elif kind == "field_removed":
        del state[field]
    elif kind == "item_added":
        items[record["new"] or record["item"]] += 1
    elif kind == "item_removed":
        items[record["old"] or record["item"]] -= 1
        if not items[record["old"] or record["item"]]:
            del items[record["old"] or record["item"]]
    elif kind in ("item_changed", "figure_changed"):
        old, new = record["old"], record["new"]
        if old != new and items[old] > 0:  # later figure records of one edit find it done
            items[old] -= 1
            if not items[old]:
                del items[old]
            items[new] += 1
        else:  # done already, or a flag swap: the item's text itself did not change
            assert items[new] > 0 or items[record["item"]] > 0, record
    else:
        raise AssertionError(f"unknown kind {kind}")
    if field in state and not state[field]:
        del state[field]


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(HISTORIES))
def test_replaying_the_change_log_reproduces_show_at_every_revision(run, db_path, name):
    result = run("import", str(HISTORIES[name]))
    assert "revisions added" in result.output
    store = Store(db_path)
    checked = 0
    for page in store.pages():
        by_revision = defaultdict(list)
        for record in changelog.changes(store, page):
            by_revision[record.revid].append(record.to_json(page))
        state: dict[str, Counter] | None = None
        for meta, text in store.texts(page):
            if text is None:
                assert meta.revid not in by_revision  # hidden: nothing attributed to it
                continue
            shown = projection(extract_facts(text.decode("utf-8", "replace")).to_json())
            if state is None:  # the first revision is the starting point
                state = shown
                assert meta.revid not in by_revision
                continue
            for record in by_revision.pop(meta.revid, []):
                replay(state, record)
            assert reader_form(state) == reader_form(shown), (page.title, meta.revid)
            checked += 1
        assert not by_revision  # every record belongs to a stored, visible revision
    assert checked or name in ("gensim", "pear")


def test_show_cli_matches_the_replay_at_a_few_revisions(run):
    run("import", str(SAMPLE_HISTORY))
    records = json.loads(run("changes", "2024 Syrian opposition offensives", "--json").output)
    revids = sorted({r["revid"] for r in records})
    first = json.loads(
        run("show", "2024 Syrian opposition offensives", "--at", "1259801000", "--json").output
    )
    state = projection(first["fields"])
    for revid in revids[:40]:
        for record in [r for r in records if r["revid"] == revid]:
            replay(state, record)
        shown = json.loads(
            run("show", "2024 Syrian opposition offensives", "--at", str(revid), "--json").output
        )
        assert state == projection(shown["fields"]), revid
