"""No silent misses, measured on every field of every real infobox of the shared corpus (the
newest revision of each page of every export, and the seed): visible-edit recall ≥ 0.995,
silence ≥ 0.99 (the README reports the figures; tests/visible_edits.py is the generator)."""

from __future__ import annotations

from helpers import REAL, SAMPLE_HISTORY, SEED
from visible_edits import corpus_pages, measure


def test_no_silent_misses_on_the_whole_corpus():
    exports = sorted(p for p in REAL.rglob("*") if p.is_file() and p.suffix not in (".txt", ".md"))
    pages = corpus_pages([*exports, SAMPLE_HISTORY], SEED)
    result = measure(pages, per_kind=4)
    print("\n" + result.summary())
    assert result.pages >= 55 and result.fields >= 1400
    assert len(result.of(True)) >= 5000 and len(result.of(False)) >= 8000
    misses = "\n".join(f"{o.page} {o.field} {o.kind}: {o.before[:200]!r} → {o.after[:200]!r}"
                       for o in result.misses()[:20])  # fmt: skip
    assert result.recall >= 0.995, misses
    assert result.silence >= 0.99, misses
