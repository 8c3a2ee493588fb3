"""Benchmark: how long `wikimon --version`, `--help` and `status` take to start and finish.

Each command runs as a fresh process N times (default 15, after one untimed run that
writes the bytecode cache) and the median wall time is reported, with which of the heavy
libraries it imported. `--root DIR` measures another checkout of
wikimon (e.g. an older commit extracted with `git archive`) with this venv's Python, for
a before/after comparison. Usage:

    .venv/bin/python bench/startup.py [--runs N] [--root DIR]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "samples" / "history.xml.xz"
HEAVY = ("mwclient", "requests", "jinja2", "apscheduler", "zstandard", "mwparserfromhell")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--root", type=Path, default=ROOT, help="the wikimon checkout to run")
    args = parser.parse_args()
    # as a user runs it: with the bytecode cache (the first run writes it)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(args.root.resolve())
    wikimon = [sys.executable, "-m", "monitor"]
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [*wikimon, "--db", "wikimon.db", "import", str(SAMPLE)],
            cwd=tmp, env=env, check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        print(f"wikimon from {args.root}; median of {args.runs} runs each")
        for command in (["--version"], ["--help"], ["--db", "wikimon.db", "status"]):
            times = []
            # a warm-up, not timed
            subprocess.run([*wikimon, *command], cwd=tmp, env=env, check=True,
                           stdout=subprocess.DEVNULL)  # fmt: skip
            for _ in range(args.runs):
                start = time.perf_counter()
                subprocess.run([*wikimon, *command], cwd=tmp, env=env, check=True,
                               stdout=subprocess.DEVNULL)  # fmt: skip
                times.append(time.perf_counter() - start)
            trace = subprocess.run(
                [sys.executable, "-X", "importtime", "-m", "monitor", *command],
                cwd=tmp, env=env, check=True, capture_output=True, text=True,
            )  # fmt: skip
            modules = {
                line.rsplit("|", 1)[1].strip().split(".")[0]
                for line in trace.stderr.splitlines()
                if line.startswith("import time:")
            }
            heavy = [name for name in HEAVY if name in modules] or ["none of them"]
            print(f"wikimon {' '.join(command):24} {statistics.median(times) * 1000:6.0f} ms"
                  f"  (imports {', '.join(heavy)})")  # fmt: skip


if __name__ == "__main__":
    main()
