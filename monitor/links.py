"""Addresses of things: pages and diffs on the wiki, pages of the report.

Links to the wiki are built from the configured api.php URL and numbers only, so
nothing a wiki says can point a reader elsewhere.
"""

from __future__ import annotations

from urllib.parse import quote

from storage import Page


def index_url(api_url: str) -> str:
    return api_url[: -len("api.php")] + "index.php"


def diff_url(api_url: str, revid: int, oldid: int | None) -> str:
    if oldid is None:
        return revision_url(api_url, revid)
    return f"{index_url(api_url)}?diff={int(revid)}&oldid={int(oldid)}"


def revision_url(api_url: str, revid: int) -> str:
    return f"{index_url(api_url)}?oldid={int(revid)}"


def page_url(api_url: str, page: Page) -> str:
    return f"{index_url(api_url)}?curid={int(page.page_id)}"


def article_path(page: Page) -> str:
    """The article's page in the report, relative to the report's root. By page id, so
    links survive moves; index.html spelled out, so they work from file://."""
    return f"{article_dir(page)}index.html"


def report_url(base: str | None, page: Page) -> str | None:
    return base + article_path(page) if base else None


def article_dir(page: Page) -> str:
    return f"{quote(page.wiki)}/{int(page.page_id)}/"


def field_path(page: Page, name: str) -> str:
    return f"{article_dir(page)}field/{quote(name, safe='')}.html"


def group_path(page: Page, group: str) -> str:
    """The article's timeline of one field group: a page, so filters work without JS."""
    return f"{article_dir(page)}changes-{quote(group)}.html"


def contested_path(page: Page) -> str:
    return f"{article_dir(page)}contested.html"


def as_of_path(page: Page, day: str | None = None) -> str:
    """The infobox as of the end of ``day`` (YYYY-MM-DD); None: the list of days."""
    return f"{article_dir(page)}as-of/{day or 'index'}.html"
