"""Benchmark: import + semantic analysis of the 1,396-revision dev history, against the
naive approach (mwxml to stream it, then mwparserfromhell.parse() of every whole revision
and a diff of the infobox parameters), both measured in this one run.

    .venv/bin/python bench/analysis_big.py [EXPORT]

(mwxml is a benchmark-only dependency: the `[bench]` extra, which `make bench` installs.)
"""

from __future__ import annotations

import argparse
import lzma
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ROOT / "tests" / "data" / "corpus" / "dev" / "history-big.xml.xz"


def naive(export: Path) -> tuple[float, int]:
    """Parse every whole revision and compare its infobox parameters with the previous."""
    import mwparserfromhell
    import mwxml

    start = time.perf_counter()
    changed = 0
    previous: dict[str, str] = {}
    opener = lzma.open if export.suffix == ".xz" else open
    with opener(export) as stream:
        for page in mwxml.Dump.from_file(stream):
            for revision in page:
                if revision.text is None:
                    continue
                code = mwparserfromhell.parse(revision.text)
                params: dict[str, str] = {}
                for template in code.filter_templates(recursive=False):
                    if str(template.name).strip().lower().startswith("infobox"):
                        params = {
                            str(p.name).strip(): str(p.value).strip() for p in template.params
                        }
                        break
                changed += sum(1 for k in params.keys() | previous.keys()
                               if params.get(k) != previous.get(k))  # fmt: skip
                previous = params
    return time.perf_counter() - start, changed


def ours(export: Path) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "monitor", "--db", str(db), "import", str(export)],
            check=True, stdout=subprocess.DEVNULL, cwd=tmp,
        )  # fmt: skip
        elapsed = time.perf_counter() - start
        import sqlite3

        with sqlite3.connect(db) as conn:
            records = conn.execute("SELECT COUNT(*) FROM changes").fetchone()[0]
    return elapsed, records


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("export", nargs="?", default=str(DEFAULT))
    args = parser.parse_args()
    export = Path(args.export)
    ours_seconds, records = ours(export)
    naive_seconds, _ = naive(export)
    print(f"export: {export}")
    print(f"wikimon import + analysis: {ours_seconds:.2f} s ({records} change records)")
    print(f"naive mwxml + mwparserfromhell.parse() of every revision: {naive_seconds:.2f} s")
    print(f"ratio: {ours_seconds / naive_seconds:.3f} (target <= 0.10)")


if __name__ == "__main__":
    main()
