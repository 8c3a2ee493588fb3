"""The README's screenshots: docs/article.png (the top of the sample article's page) and
docs/chart.png (the casualties2 chart of its field page), from the report of the bundled
history, taken by headless Chromium (Debian's ``chromium``, through Playwright; nothing is
downloaded).

    .venv/bin/python scripts/screenshots.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "samples" / "history.xml.xz"
DOCS = ROOT / "docs"
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync",
]  # fmt: skip
VIEWPORT = {"width": 1200, "height": 1400}
LIMIT = 400_000  # bytes per PNG: they are committed


def wikimon(cwd: Path, *args: str) -> None:
    # in a directory of its own: the checkout's config.yaml and database stay out of it
    subprocess.run([sys.executable, "-m", "monitor", "--db", "wikimon.db", *args], cwd=cwd,
                   check=True, stdout=subprocess.DEVNULL)  # fmt: skip


def main() -> int:
    DOCS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        wikimon(work, "import", str(SAMPLE))
        wikimon(work, "report", "--out", "out")
        (article,) = (work / "out").glob("*/*/index.html")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport=VIEWPORT)
            page.goto(article.as_uri())
            page.screenshot(path=DOCS / "article.png")
            page.goto((article.parent / "field" / "casualties2.html").as_uri())
            page.locator("#chart svg[data-chart=line]").screenshot(path=DOCS / "chart.png")
            browser.close()
    too_big = False
    for name in ("article.png", "chart.png"):
        size = (DOCS / name).stat().st_size
        too_big |= size > LIMIT
        print(f"docs/{name}: {size / 1000:.0f} KB{' (too big)' if size > LIMIT else ''}")
    return 1 if too_big else 0


if __name__ == "__main__":
    sys.exit(main())
