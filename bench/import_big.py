"""Benchmark: import the 1,396-revision dev history (193 MB of wikitext) and read it back.

Runs `wikimon import` as a child process and reports wall time, the child's peak RSS,
the database size, and the time to read every revision back. With --mwxml, also the time
mwxml takes merely to stream the same file (every revision's text, nothing stored), once,
and the ratio of the import's time to it. Usage:

    .venv/bin/python bench/import_big.py [EXPORT] [--runs N] [--mwxml]

(mwxml is a benchmark-only dependency: `pip install mwxml`.)
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


def stream_with_mwxml(export: Path) -> tuple[float, float]:
    """Seconds (wall, CPU) mwxml needs to read every revision's text of ``export``,
    storing nothing."""
    import bz2
    import lzma

    import mwxml

    start, cpu = time.perf_counter(), time.process_time()
    compressed = export.suffix in (".xz", ".lzma", ".bz2")
    with (
        (lzma.open if export.suffix != ".bz2" else bz2.open)(export)
        if compressed
        else export.open("rb")
    ) as stream:
        for page in mwxml.Dump.from_file(stream):
            for revision in page:
                len(revision.text or "")
    return time.perf_counter() - start, time.process_time() - cpu


def run_once(export: Path) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        before, cpu = usage.ru_maxrss, usage.ru_utime + usage.ru_stime
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "monitor", "--db", str(db), "import", str(export)],
            check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        elapsed = time.perf_counter() - start
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        peak, cpu = usage.ru_maxrss, usage.ru_utime + usage.ru_stime - cpu
        size = db.stat().st_size + sum(
            p.stat().st_size for p in db.parent.glob("bench.db-*") if p.exists()
        )
        sys.path.insert(0, str(ROOT))
        from storage import Store

        store = Store(db)
        page = store.pages()[0]
        revids = [r.revid for r in store.revisions(page)]
        start = time.perf_counter()
        total = sum(len(store.text(page, r) or b"") for r in revids)
        read_all = time.perf_counter() - start
        store.close()
        return {
            "seconds": elapsed,
            "cpu_seconds": cpu,
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
    parser.add_argument("--mwxml", action="store_true", help="compare with mwxml's streaming")
    args = parser.parse_args()
    runs = [run_once(Path(args.export)) for _ in range(args.runs)]
    first = runs[0]
    print(f"export: {args.export} ({os.path.getsize(args.export):,} bytes)")
    print(f"revisions: {first['revisions']:,}; text: {first['text_bytes'] / 1e6:.1f} MB")
    seconds = [r["seconds"] for r in runs]
    print(f"import: median {statistics.median(seconds):.2f} s (runs: "
          + ", ".join(f"{s:.2f}" for s in seconds) + ")")  # fmt: skip
    cpu = statistics.median(r["cpu_seconds"] for r in runs)
    print(f"import CPU time (user + system, all threads): median {cpu:.2f} s")
    print(f"peak RSS of the import process: {max(r['peak_rss_mb'] for r in runs):.0f} MB")
    print(f"database file: {first['db_bytes']:,} bytes")
    reads = [r["read_all_seconds"] for r in runs]
    print(f"read back every revision: median {statistics.median(reads):.2f} s")
    if args.mwxml:
        streaming, streaming_cpu = stream_with_mwxml(Path(args.export))
        print(f"mwxml streaming the same file: {streaming:.2f} s (CPU {streaming_cpu:.2f} s); "
              f"import / streaming: {statistics.median(seconds) / streaming:.2f} "
              f"(CPU: {cpu / streaming_cpu:.2f})")  # fmt: skip


if __name__ == "__main__":
    main()
