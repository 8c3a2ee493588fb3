"""Benchmark: adding many articles at once, against the local MediaWiki of the tests.

Builds the tests' wiki with its 320 extra articles (tests/integration/mediawiki_fixtures.py,
``mediawiki_many``; a few minutes, not timed) unless --wiki-dir names one built before,
serves a copy on 127.0.0.1, then, as child processes on fresh databases:

* ``wikimon add --category "Batch articles" --depth 1`` (320 articles);
* a first ``wikimon poll`` with 300 of them listed in the config.

Reports each one's wall time and the api.php requests the wiki served (its own log).
Target (issue 11): at most 2 x ceil(N/50) requests for N new articles, plus the listing.
Usage:

    .venv/bin/python bench/add_many.py [--wiki-dir DIR]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "integration"))
sys.path.insert(0, str(ROOT / "tests"))

import mediawiki_fixtures as fixtures  # noqa: E402

WIKIMON = [sys.executable, "-m", "monitor"]


def build(wiki_dir: Path) -> None:
    fixtures.build_golden(wiki_dir)
    export = wiki_dir / "many-articles.xml"
    export.write_text(fixtures._many_articles_xml(), encoding="utf-8")
    fixtures._maintenance(wiki_dir, "importDump.php", "--quiet", str(export))
    export.unlink()
    fixtures._maintenance(wiki_dir, "runJobs.php", "--quiet")


def measure(wiki: fixtures.TestWiki, tmp: Path, name: str, args: list[str], articles: int) -> None:
    config = tmp / f"{name}.yaml"
    lines = ["contact: bench@example.org", "wikis:", "  local:", f"    api: {wiki.api_url}"]
    if articles:
        lines += ["articles:"] + [f"  - Batch article {n:03d}" for n in range(1, articles + 1)]
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    seen = len(wiki.api_requests())
    start = time.perf_counter()
    subprocess.run(
        [*WIKIMON, "--config", str(config), "--db", str(tmp / f"{name}.db"), *args],
        check=True,
        stdout=subprocess.DEVNULL,
        cwd=tmp,
    )
    elapsed = time.perf_counter() - start
    requests = [r["params"] for r in wiki.api_requests()[seen:]]
    kinds: dict[str, int] = {}
    for params in requests:
        kind = params.get("prop") or params.get("list") or params.get("meta") or "?"
        kinds[kind] = kinds.get(kind, 0) + 1
    detail = ", ".join(f"{count} {kind}" for kind, count in kinds.items())
    print(f"wikimon {' '.join(args)}: {elapsed:.2f} s, {len(requests)} requests ({detail})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--wiki-dir", type=Path, help="a wiki built by this script before")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        tmp = Path(scratch)
        built = args.wiki_dir or tmp / "built"
        if args.wiki_dir is None:
            build(built)
        wiki_dir = tmp / "wiki"
        shutil.copytree(built, wiki_dir, ignore=shutil.ignore_patterns("api_requests.log"))
        wiki = fixtures.TestWiki(wiki_dir, fixtures._free_port())
        wiki.start()
        try:
            measure(
                wiki, tmp, "category", ["add", "--category", "Batch articles", "--depth", "1"], 0
            )
            measure(wiki, tmp, "poll", ["poll"], 300)
        finally:
            wiki.stop()


if __name__ == "__main__":
    main()
