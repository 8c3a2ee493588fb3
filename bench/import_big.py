"""Benchmark: import the 1,396-revision dev history (193 MB of wikitext) and read it back.

Runs `wikimon import` as a child process and reports wall time, the child's peak RSS,
the database size, and the time to read every revision back. Usage:

    .venv/bin/python bench/import_big.py [EXPORT] [--runs N]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ROOT / "tests" / "data" / "corpus" / "dev" / "history-big.xml.xz"


def run_once(export: Path) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "monitor", "--db", str(db), "import", str(export)],
            check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        elapsed = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        size = db.stat().st_size + sum(
            p.stat().st_size for p in db.parent.glob("bench.db-*") if p.exists()
        )
        sys.path.insert(0, str(ROOT))
        from storage import Store

        store = Store(db)
        page = store.pages()[0]
        revids = [r["revid"] for r in store.revisions(page)]
        start = time.perf_counter()
        total = sum(len(store.text(page, r) or b"") for r in revids)
        read_all = time.perf_counter() - start
        store.close()
        return {
            "seconds": elapsed,
            "peak_rss_mb": max(peak, before) / 1024,
            "db_bytes": size,
            "revisions": len(revids),
            "text_bytes": total,
            "read_all_seconds": read_all,
        }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("export", nargs="?", default=str(DEFAULT))
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    runs = [run_once(Path(args.export)) for _ in range(args.runs)]
    first = runs[0]
    print(f"export: {args.export} ({os.path.getsize(args.export):,} bytes)")
    print(f"revisions: {first['revisions']:,}; text: {first['text_bytes'] / 1e6:.1f} MB")
    seconds = [r["seconds"] for r in runs]
    print(f"import: median {statistics.median(seconds):.2f} s (runs: "
          + ", ".join(f"{s:.2f}" for s in seconds) + ")")  # fmt: skip
    print(f"peak RSS of the import process: {max(r['peak_rss_mb'] for r in runs):.0f} MB")
    print(f"database file: {first['db_bytes']:,} bytes")
    reads = [r["read_all_seconds"] for r in runs]
    print(f"read back every revision: median {statistics.median(reads):.2f} s")


if __name__ == "__main__":
    main()
