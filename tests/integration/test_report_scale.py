"""The report at the scale of real watch lists (issue 11): the generated watch list of
300 small articles created in 2019 (bench/make_watchlist.py) and the 93 German and French
pages of the corpus stay within 20 files per article and 60 MB, every link of every page
resolves, and a second report with nothing new rewrites no article.

Timings are measured by bench/report_scale.py, never asserted here."""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

import pytest
from helpers import REAL, ROOT
from report_helpers import check_links, html_files, parse

from monitor.report.site import MANIFEST

sys.path.insert(0, str(ROOT / "bench"))
from make_watchlist import generate  # noqa: E402

GERMAN_AND_FRENCH = [
    REAL / "dewiki_history_sample" / "Bz2Test.xml.bz2",
    REAL / "frwiki_history_dbpedia" / "frwiki-20220101-pages-articles.xml.bz2",
    *sorted((REAL / "pywikibot_xml").glob("*.xml")),
]


def written(result) -> str:
    assert result.exit_code == 0, result.output
    return result.stdout.splitlines()[0]


def check_report(run, out: Path, articles: int) -> None:
    files = [p for p in out.rglob("*") if p.is_file() and p.name != MANIFEST]
    assert len(files) <= 20 * articles, len(files) / articles
    assert sum(p.stat().st_size for p in files) <= 60_000_000
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    assert len(manifest["articles"]) == articles
    for path in html_files(out):
        check_links(out, path, parse((out / path).read_text(encoding="utf-8")))
    index = parse((out / "index.html").read_text(encoding="utf-8"))
    assert len(index.one("table", "articles").one("tbody").all("tr")) == articles
    again = written(run("report", "--out", str(out)))
    assert again.endswith(f": 0 articles rewritten, {articles} unchanged."), again


@pytest.mark.slow
def test_a_watch_list_of_300_articles_created_years_ago(run, tmp_path: Path):
    export = tmp_path / "watchlist.xml.gz"
    with gzip.open(export, "wt", encoding="utf-8") as file:
        file.write(generate(300, 11))
    result = run("import", "--wiki", "enwiki", str(export))
    assert result.exit_code == 0, result.output
    assert "300 pages" in result.stdout
    out = tmp_path / "out"
    written(run("report", "--out", str(out)))
    # as many as-of pages as days the facts changed (and first days), not days since 2019
    days = sum(len(list(d.glob("2*.html"))) for d in out.glob("enwiki/*/as-of"))
    changes = json.loads(run("changes", "Battle of Aleppo (2012, phase 1)", "--json").stdout)
    assert changes and days < 300 * 8
    check_report(run, out, 300)


@pytest.mark.slow
def test_the_93_german_and_french_pages(run, tmp_path: Path):
    for export in GERMAN_AND_FRENCH:
        run("import", str(export))  # dewiki's sample has one bad byte: exit 1, all stored
    status = json.loads(run("status", "--json").stdout)
    assert len(status) == 93
    out = tmp_path / "out"
    written(run("report", "--out", str(out)))
    check_report(run, out, 93)
