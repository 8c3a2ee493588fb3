"""Addresses of things: pages and diffs on the wiki, pages of the report.

Links to the wiki are built from the configured api.php URL and numbers only, so
nothing a wiki says can point a reader elsewhere.
"""

from __future__ import annotations

import hashlib
import re
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


# A plain name, used as is in paths: no leading dot (so neither "." nor ".."), no "/".
PLAIN_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}")
_PLAIN_FIELD = re.compile(r"[a-z0-9_-]{1,60}")  # and one case-insensitive file systems keep apart


def safe_name(name: str, plain: re.Pattern[str] = PLAIN_NAME, fallback: str = "x") -> str:
    """``name`` (from a wiki, an export or the database) as one segment of a path or URL:
    as is when ``plain`` matches all of it; otherwise a short slug and a hash, so that it
    can never climb out of a directory, is short enough for any file system and stays
    distinct from every other name."""
    if plain.fullmatch(name):
        return name
    slug = re.sub(r"[^A-Za-z0-9_-]+", "_", name).strip("_")[:40] or fallback
    return f"{slug}-{hashlib.sha1(name.encode('utf-8')).hexdigest()[:10]}"


def article_dir(page: Page) -> str:
    """The wiki's name comes from the config or from an export: a safe segment either way."""
    return f"{safe_name(page.wiki)}/{int(page.page_id)}/"


def field_file(name: str) -> str:
    """The file name of a field's page (field names come from wiki text)."""
    return f"{safe_name(name, _PLAIN_FIELD, 'field')}.html"


def field_path(page: Page, name: str) -> str:
    return f"{article_dir(page)}field/{field_file(name)}"


def group_path(page: Page, group: str) -> str:
    """The article's timeline of one field group: a page, so filters work without JS."""
    return f"{article_dir(page)}changes-{quote(group)}.html"


def contested_path(page: Page) -> str:
    return f"{article_dir(page)}contested.html"


def as_of_path(page: Page, day: str | None = None) -> str:
    """The infobox as of the end of ``day`` (YYYY-MM-DD); None: the list of days."""
    return f"{article_dir(page)}as-of/{day or 'index'}.html"
