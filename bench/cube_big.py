"""Benchmark: `wikimon cube` on a LocalCluster of 1 and of 2 workers against `wikimon
import` (which analyses too) of the same files.

The input is the 1,396-revision dev history split into PARTS pages, two to a gzip file
(tests/exports.py, as in the tests): one Dask task per file, so two workers have work to
share. Each command runs as a child process; the cube's wall time includes starting its
cluster. Revisions per second per worker are the revisions over the time the tasks spent
analysing (their success markers record it). Usage:

    .venv/bin/python bench/cube_big.py [EXPORT] [--parts N] [--runs N]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ROOT / "tests" / "data" / "corpus" / "dev" / "history-big.xml.xz"
sys.path.insert(0, str(ROOT / "tests"))

from exports import split_export  # noqa: E402

WIKIMON = [sys.executable, "-m", "monitor"]


def timed(args: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(WIKIMON + args, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def cube_once(files: list[Path], workers: int, work: Path) -> tuple[float, float, int]:
    """(wall seconds, seconds spent in tasks, revisions)."""
    out = work / f"cube-{workers}"
    args = ["cube", *map(str, files), "--out", str(out), "--workers", str(workers)]
    wall = timed(args, work)
    markers = [json.loads(p.read_text()) for p in (out / "_success").glob("*.json")]
    assert len(markers) == len(files)
    shutil.rmtree(out)
    return wall, sum(m["seconds"] for m in markers), sum(m["revisions"] for m in markers)


def import_once(files: list[Path], work: Path) -> float:
    db = work / "bench.db"
    seconds = timed(["--db", str(db), "import", *map(str, files)], work)
    for path in work.glob("bench.db*"):
        path.unlink()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("export", nargs="?", default=str(DEFAULT))
    parser.add_argument("--parts", type=int, default=8)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        files = split_export(Path(args.export), work, args.parts, 2)
        imports = [import_once(files, work) for _ in range(args.runs)]
        ones = [cube_once(files, 1, work) for _ in range(args.runs)]
        twos = [cube_once(files, 2, work) for _ in range(args.runs)]
    revisions = ones[0][2]
    one = statistics.median(wall for wall, _, _ in ones)
    two = statistics.median(wall for wall, _, _ in twos)
    imported = statistics.median(imports)
    print(f"input: {args.export} split into {args.parts} pages in {len(files)} gzip files, "
          f"{revisions:,} revisions")  # fmt: skip
    print(f"wikimon import (import + analysis): median {imported:.2f} s, "
          f"{revisions / imported:,.0f} revisions/s")  # fmt: skip
    for name, runs, wall in (("1 worker", ones, one), ("2 workers", twos, two)):
        busy = statistics.median(task for _, task, _ in runs)  # summed over the workers
        print(f"wikimon cube, {name}: median {wall:.2f} s wall, {revisions / wall:,.0f} "
              f"revisions/s; per worker {revisions / busy:,.0f} revisions/s "
              "while analysing")  # fmt: skip
    print(f"throughput ratio 2 workers / 1 worker: {one / two:.2f}")


if __name__ == "__main__":
    main()
