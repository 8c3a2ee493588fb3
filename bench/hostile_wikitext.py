"""Bounded time on hostile wikitext: extraction and diff of the vandal edits of issue 12
(and a few more shapes of markup left open), at the size they were reported and at 100 KB
of infobox. The README reports these figures; tests/unit/test_hostile_wikitext.py checks
what each reads as (timings are never asserted).

    .venv/bin/python bench/hostile_wikitext.py
"""

from __future__ import annotations

import time
from collections.abc import Callable

from monitor.core import extract
from monitor.core.diff import diff_wikitext

HEAD = "{{Infobox military conflict\n| conflict = Siege of X\n| result = Victory\n"
SIZE = 100_000  # bytes of infobox


def _casualties(value: str) -> str:
    return HEAD + f"| casualties1 = {value}\n| casualties2 = 12 killed\n}}}}\nBody.\n"


def _equals(line: str) -> str:  # an unclosed infobox, then a line of "="
    return HEAD + line + "\nText of the section.\n"


CASES: list[tuple[str, str, Callable[[str], str]]] = [
    # name, the repeated piece, how a page is made of it
    ("'=' line after an unclosed box", "=", _equals),
    ("'1 ' in casualties", "1 ", _casualties),
    ("'<ref '", "<ref ", _casualties),
    ("'<span '", "<span ", _casualties),
    ("'5 killed and '", "5 killed and ", _casualties),
    ("'{{a '", "{{a ", _casualties),
    ("'{{a|'", "{{a|", _casualties),
    ("'[[a|'", "[[a|", _casualties),
    ("'[http://example.org '", "[http://example.org ", _casualties),
    ("'<ref><ref>'", "<ref><ref>", _casualties),
    ("'<b>'", "<b>", _casualties),
    ("'{{a|b}} {{'", "{{a|b}} {{", _casualties),
    ("'[[a]] '", "[[a]] ", _casualties),
    ("'{{flagicon|Iran}} 5 killed<br>'", "{{flagicon|Iran}} 5 killed<br>", _casualties),
]
REPORTED = {"=": 2000}  # the sizes: 2,000 "=", 3,000 of the others


def _cold() -> None:
    extract._box_facts.cache_clear()
    extract.field_facts.cache_clear()
    extract._field_facts.cache_clear()


def _measure(page: str) -> float:
    """Seconds to extract a revision and diff it against its edit (a visible one in the
    result): both read cold, as import does for a new revision."""
    edited = page.replace("Victory", "Defeat")
    _cold()
    start = time.perf_counter()
    changes = diff_wikitext(page, edited)
    elapsed = time.perf_counter() - start
    assert changes, "the edit of the result was not seen"
    return elapsed


def main() -> None:
    print(f"{'input':40} {'reported size':>22} {'100 KB':>18}")
    worst = 0.0
    for name, piece, make in CASES:
        times = REPORTED.get(piece, 3000)
        small = make(piece * times)
        big = make(piece * max(1, (SIZE - len(make(""))) // len(piece)))
        t_small, t_big = _measure(small), _measure(big)
        worst = max(worst, t_small, t_big)
        print(f"{name:40} {len(small):>9,} B {t_small:>7.2f} s {len(big):>9,} B {t_big:>5.2f} s")
    print(f"worst: {worst:.2f} s (target ≤ 2 s for any infobox ≤ 100 KB)")


if __name__ == "__main__":
    main()
