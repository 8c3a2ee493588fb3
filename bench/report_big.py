"""Benchmark: `wikimon report` on the 1,396-revision dev history.

Imports the export into a scratch database first (not timed), then runs `wikimon report`
as a child process, three times, and reports its wall time (median), the output's total
size, the article page's size and the number of files. Targets (issue 5): at most 10 s
and 20 MB in all, the article page at most 1 MB. Usage:

    .venv/bin/python bench/report_big.py [EXPORT] [--runs N]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ROOT / "tests" / "data" / "corpus" / "dev" / "history-big.xml.xz"
WIKIMON = [sys.executable, "-m", "monitor"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("export", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db, out = Path(tmp) / "bench.db", Path(tmp) / "report"
        subprocess.run([*WIKIMON, "--db", str(db), "import", str(args.export)], check=True,
                       stdout=subprocess.DEVNULL, cwd=tmp)  # fmt: skip
        times = []
        for _ in range(args.runs):
            shutil.rmtree(out, ignore_errors=True)
            start = time.perf_counter()
            subprocess.run([*WIKIMON, "--db", str(db), "report", "--out", str(out)],
                           check=True, stdout=subprocess.DEVNULL, cwd=tmp)  # fmt: skip
            times.append(time.perf_counter() - start)
        files = [p for p in out.rglob("*") if p.is_file()]
        total = sum(p.stat().st_size for p in files)
        articles = [p for p in files if p.name == "index.html" and p.parent.parent.parent == out]
        article_bytes = max(p.stat().st_size for p in articles)
        biggest = max(files, key=lambda p: p.stat().st_size)
        biggest_text = f"{biggest.relative_to(out)} ({biggest.stat().st_size / 1e6:.3f} MB)"
    print(f"export: {args.export.name}")
    print(f"report time (median of {args.runs}): {statistics.median(times):.2f} s "
          f"(runs: {', '.join(f'{t:.2f}' for t in times)}); target <= 10 s")  # fmt: skip
    print(f"output: {len(files)} files, {total / 1e6:.2f} MB; target <= 20 MB")
    print(f"article page: {article_bytes / 1e6:.3f} MB; target <= 1 MB")
    print(f"largest file: {biggest_text}")


if __name__ == "__main__":
    main()
