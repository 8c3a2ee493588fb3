"""Benchmark: API requests per poll for many tracked idle articles, with and without
`recentchanges: true`, on the local MediaWiki.

Creates N small articles on the test wiki (one import), tracks them all (listed in the
config; the first poll adds them), polls once more so that `list=recentchanges` has a
starting point, then counts the requests of one more poll of the idle articles from the
wiki's own request log: with `recentchanges: true` one list=recentchanges request, without
it one prop=info request per 50 articles. Usage:

    .venv/bin/python bench/recentchanges_requests.py [--articles 1000]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "integration")]

from mediawiki_fixtures import MW, TestWiki, _free_port, _php_env, build_golden  # noqa: E402

WIKIMON = [sys.executable, "-m", "monitor"]


def export(count: int) -> str:
    pages = "".join(
        f"<page><title>Idle article {n}</title><ns>0</ns><id>{n + 1}</id><revision><id>{n + 1}"
        "</id><timestamp>2024-01-01T00:00:00Z</timestamp><contributor><username>Admin"
        "</username><id>1</id></contributor><model>wikitext</model><format>text/x-wiki"
        '</format><text xml:space="preserve">'
        + escape(f"{{{{Infobox settlement\n| name = Idle {n}\n| population_total = {n}\n}}}}")
        + "</text></revision></page>\n"
        for n in range(count)
    )
    return ('<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.11/" version="0.11">\n'
            f"{pages}</mediawiki>\n")  # fmt: skip


def wikimon_requests(wiki: TestWiki) -> list[dict]:
    return [r for r in wiki.api_requests() if r["ua"].startswith("wikimon/")]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        build_golden(tmp_path / "wiki")
        dump = tmp_path / "idle.xml"
        dump.write_text(export(args.articles), encoding="utf-8")
        # 1,000 pages take minutes to import: no time limit, and no link tables (unused)
        subprocess.run(
            ["php", f"{MW}/maintenance/importDump.php", "--quiet", "--no-updates", str(dump)],
            env=_php_env(tmp_path / "wiki"), check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        wiki = TestWiki(tmp_path / "wiki", _free_port())
        wiki.start()
        try:
            counts = {}
            for recent in (True, False):
                config = tmp_path / f"config-{recent}.yaml"
                config.write_text(
                    "contact: wikimon bench <bench@example.org>\n"
                    f"wikis:\n  local:\n    api: {wiki.api_url}\n"
                    f"    recentchanges: {'true' if recent else 'false'}\n"
                    "articles:\n"
                    + "".join(f"  - Idle article {n}\n" for n in range(args.articles)),
                    encoding="utf-8",
                )
                db = tmp_path / f"{recent}.db"
                started = time.monotonic()
                for _ in range(2):  # adds every article, then the first full check
                    subprocess.run([*WIKIMON, "--config", str(config), "--db", str(db), "poll"],
                                   check=True, stdout=subprocess.DEVNULL, cwd=tmp)  # fmt: skip
                setup = time.monotonic() - started
                seen = len(wikimon_requests(wiki))
                started = time.monotonic()
                subprocess.run([*WIKIMON, "--config", str(config), "--db", str(db), "poll"],
                               check=True, stdout=subprocess.DEVNULL, cwd=tmp)  # fmt: skip
                took = time.monotonic() - started
                asked = wikimon_requests(wiki)[seen:]
                kinds = sorted({r["params"].get("list") or r["params"].get("prop") for r in asked})
                counts[recent] = (len(asked), kinds, took, setup)
        finally:
            wiki.stop()
    for recent, (count, kinds, took, setup) in counts.items():
        print(f"{args.articles} idle tracked articles, recentchanges: {str(recent).lower()}: "
              f"{count} API request(s) per poll ({', '.join(kinds)}), `wikimon poll` "
              f"{took:.2f} s (setup: {setup:.0f} s)")  # fmt: skip


if __name__ == "__main__":
    main()
