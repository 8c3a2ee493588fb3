"""Benchmark: `wikimon report` at the scale of real watch lists (issue 11).

Three collections, each imported into a scratch database first (not timed):

* a generated watch list of 300 small articles created in 2019 with a few edits each since
  (bench/make_watchlist.py);
* the big dev history (1,396 revisions of one article, tests/data/corpus/dev/);
* the 93 German and French pages of tests/data/corpus/real/ (dewiki, frwiki, pywikibot).

For each: `wikimon report --out DIR` into an empty directory (time, files, MB, files per
article), again with nothing changed (the incremental re-run), and again after one new
revision of one article. Each run is a child process; one run each. Targets (issue 11): at
most 20 files per article on average and 60 MB for the watch list. Usage:

    .venv/bin/python bench/report_scale.py [--articles 300]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "data" / "corpus"
REAL = CORPUS / "real"
WIKIMON = [sys.executable, "-m", "monitor"]
sys.path.insert(0, str(ROOT / "bench"))

from make_watchlist import generate  # noqa: E402


def wikimon(db: Path, *args: str, cwd: Path) -> str:
    done = subprocess.run([*WIKIMON, "--db", str(db), *args], check=True, cwd=cwd,
                          capture_output=True, text=True)  # fmt: skip
    return done.stdout


def timed_report(db: Path, out: Path, cwd: Path) -> tuple[float, str]:
    start = time.perf_counter()
    summary = wikimon(db, "report", "--out", str(out), cwd=cwd).splitlines()[0]
    return time.perf_counter() - start, summary


def one_more_revision(db: Path, cwd: Path) -> None:
    """A new revision of the first article (a casualty figure raised), imported."""
    (status,) = [s for s in json.loads(wikimon(db, "status", "--json", cwd=cwd))][:1]
    title = status["title"]
    text = wikimon(db, "wikitext", title, cwd=cwd)
    changed = re.sub(r"(\d+)( killed)", lambda m: f"{int(m[1]) + 7}{m[2]}", text, count=1)
    if changed == text:
        changed = text + "\n[[Category:Edited]]"
    revid = status["last_revid"] + 1_000_000
    export = cwd / "one-more.xml"
    export.write_text(
        '<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.11/" version="0.11">\n'
        f"<page><title>{escape(title)}</title><ns>0</ns><id>{status['page_id']}</id>\n"
        f"<revision><id>{revid}</id><parentid>{status['last_revid']}</parentid>"
        "<timestamp>2026-01-15T12:00:00Z</timestamp>"
        "<contributor><username>Bench</username><id>1</id></contributor>"
        "<comment>update</comment><model>wikitext</model><format>text/x-wiki</format>"
        f'<text xml:space="preserve">{escape(changed)}</text></revision></page></mediawiki>\n',
        encoding="utf-8",
    )
    wikimon(db, "import", "--wiki", status["wiki"], str(export), cwd=cwd)


def measure(name: str, exports: list[Path], tmp: Path, wiki: str | None = None) -> dict:
    slug = re.sub(r"\W+", "-", name)
    db, out = tmp / f"{slug}.db", tmp / f"{slug}-report"
    for export in exports:
        args = ["import", *(["--wiki", wiki] if wiki else []), str(export)]
        subprocess.run([*WIKIMON, "--db", str(db), *args], cwd=tmp, capture_output=True)
    articles = len(json.loads(wikimon(db, "status", "--json", cwd=tmp)))
    first, _ = timed_report(db, out, tmp)
    files = [p for p in out.rglob("*") if p.is_file() and not p.name.startswith(".")]
    size = sum(p.stat().st_size for p in files)
    again, unchanged = timed_report(db, out, tmp)
    one_more_revision(db, tmp)
    after_edit, edited = timed_report(db, out, tmp)
    return {
        "name": name, "articles": articles, "time": first, "files": len(files),
        "mb": size / 1e6, "per_article": len(files) / articles, "again": again,
        "again_summary": unchanged, "after_edit": after_edit, "edit_summary": edited,
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        tmp = Path(directory)
        watchlist = tmp / "watchlist.xml"
        watchlist.write_text(generate(args.articles, 11), encoding="utf-8")
        real = [
            REAL / "dewiki_history_sample" / "Bz2Test.xml.bz2",
            REAL / "frwiki_history_dbpedia" / "frwiki-20220101-pages-articles.xml.bz2",
            *sorted((REAL / "pywikibot_xml").glob("*.xml")),
        ]
        results = [
            measure(f"watch list ({args.articles} articles)", [watchlist], tmp, "enwiki"),
            measure("big dev history", [CORPUS / "dev" / "history-big.xml.xz"], tmp),
            measure("93 German/French pages", real, tmp),
        ]
    print("| collection | articles | report | files | MB | files per article |"
          " re-run, nothing changed | re-run, one article changed |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['name']} | {r['articles']} | {r['time']:.2f} s | {r['files']:,} | "
              f"{r['mb']:.1f} | {r['per_article']:.1f} | {r['again']:.2f} s | "
              f"{r['after_edit']:.2f} s |")  # fmt: skip
    for r in results:
        print(f"{r['name']}: re-run: {r['again_summary']}")
        print(f"{r['name']}: after one edit: {r['edit_summary']}")
    watch = results[0]
    print(f"targets (watch list): <= 20 files per article ({watch['per_article']:.1f}), "
          f"<= 60 MB ({watch['mb']:.1f})")  # fmt: skip


if __name__ == "__main__":
    main()
