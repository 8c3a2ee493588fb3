"""No silent misses, measured: visible-edit recall and silence on invisible edits over every
field of every real infobox of the corpus (the generator is tests/visible_edits.py; the
README reports these figures).

    .venv/bin/python bench/silent_misses.py [--per-kind N] [--misses]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from helpers import REAL, SAMPLE_HISTORY, SEED  # noqa: E402
from visible_edits import corpus_pages, measure  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--per-kind", type=int, default=4, help="edits of each kind per field")
    parser.add_argument("--misses", action="store_true", help="print every miss")
    args = parser.parse_args()
    exports = sorted(p for p in REAL.rglob("*") if p.is_file() and p.suffix not in (".txt", ".md"))
    pages = corpus_pages([*exports, SAMPLE_HISTORY], SEED)
    start = time.perf_counter()
    result = measure(pages, per_kind=args.per_kind)
    print(result.summary())
    print(f"edits by kind: {dict(Counter(o.kind for o in result.outcomes))}")
    print(f"{time.perf_counter() - start:.1f} s")
    for miss in result.misses() if args.misses else []:
        print(f"MISS {miss.page} | {miss.field} | {miss.kind}: {miss.before!r} → {miss.after!r}")


if __name__ == "__main__":
    main()
