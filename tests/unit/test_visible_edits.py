"""No silent misses, on a small deterministic slice of the real corpus: every edit a reader
sees gives a change record, no edit a reader cannot see does (the generator and the measure
are in tests/visible_edits.py; tests/integration/test_visible_edits.py runs every field of
the shared corpus, and the README reports its figures)."""

from __future__ import annotations

import random

import mwparserfromhell
import pytest
from helpers import REAL, SEED
from visible_edits import (
    INVISIBLE,
    VISIBLE,
    fields,
    measure,
    newest_revisions,
    spots,
)

from monitor.core.scan import find_infobox

GENSIM = (
    REAL / "enwiki_articles_gensim"
    / "enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2"
)  # fmt: skip


@pytest.fixture(scope="module")
def slice_pages() -> dict[str, str]:
    """The seed and every fifth English article with an infobox (by title), with the
    American Revolutionary War (casualty headings), Apollo 11 (embedded boxes) and the
    Economy of Angola ({{increase}}/{{decrease}})."""
    articles = {t: text for t, text in newest_revisions(GENSIM).items() if fields(text)}
    titles = sorted(articles)
    chosen = set(titles[::5]) | {
        t
        for t in titles
        if t.endswith(("/American Revolutionary War", "/Apollo 11", "/Economy of Angola"))
    }
    pages = {t: articles[t] for t in chosen}
    pages["seed"] = SEED.read_text(encoding="utf-8")
    return pages


def test_the_slice_is_real_and_varied(slice_pages):
    assert len(slice_pages) >= 12
    boxes = {find_infobox(text).name for text in slice_pages.values()}
    assert len(boxes) >= 10, boxes


def test_no_silent_misses_on_the_slice(slice_pages):
    result = measure(slice_pages, per_kind=1)
    print("\n" + result.summary())
    assert len(result.of(True)) >= 300 and len(result.of(False)) >= 300
    assert {o.kind for o in result.outcomes} == set(VISIBLE) | set(INVISIBLE)
    misses = "\n".join(f"{o.page} {o.field} {o.kind}: {o.before!r} → {o.after!r}"
                       for o in result.misses()[:10])  # fmt: skip
    assert result.recall >= 0.995, misses
    assert result.silence >= 0.99, misses


def test_embedded_boxes_are_fields_and_edited(slice_pages):
    (apollo,) = [text for title, text in slice_pages.items() if title.endswith("/Apollo 11")]
    names = [f.name for f in fields(apollo)]
    assert "interplanetary.type" in names and "interplanetary.2.type" in names
    assert "docking.2.docking_target" in names


def test_spots_are_what_a_reader_sees():
    code = mwparserfromhell.parse(
        "A<ref>hidden</ref> [[Target|label]] {{nowrap|shown}} {{efn|note}} <!-- c -->"
        "{{Unknown thing|shown too|style=color:red|date=May 2020}} [[File:X.jpg|thumb]]"
    )
    seen = "".join(spot.node.value for spot in spots(code))
    assert "label" in seen and "shown" in seen and "shown too" in seen and "A" in seen
    for hidden in ("hidden", "Target", "note", "color", "May 2020", "thumb"):
        assert hidden not in seen


def test_edits_change_only_what_they_say():
    raw = "[[Moon|Lunar]] orbiter, 10 orbits<ref>A source</ref>"
    for kind, edit in {**VISIBLE, **INVISIBLE}.items():
        edited = edit(raw, random.Random(1))
        if kind in ("trend",):
            assert edited is None
            continue
        assert edited is not None and edited != raw, kind
    assert VISIBLE["digit"](raw, random.Random(1)).count("<ref>A source</ref>") == 1
