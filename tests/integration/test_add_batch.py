"""Batched adding against a real MediaWiki with 320 more articles (``mediawiki_many``):
``wikimon add TITLE...``, ``--from-file``, ``--category [--depth]``, ``--embedded-in``,
``--limit`` and the articles listed in the config, counting the requests the wiki served."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from mediawiki_fixtures import (
    ARTICLE,
    BATCH_CATEGORY,
    BATCH_TEMPLATE,
    MANY_ARTICLES,
    MANY_IN_SUBCATEGORY,
    REDIRECT,
    TestWiki,
)

from storage import Store

pytestmark = pytest.mark.mediawiki

CONTACT = "tests@example.org"
IN_CATEGORY = [f"Batch article {n:03d}" for n in range(1, MANY_ARTICLES - MANY_IN_SUBCATEGORY + 1)]
EVERY = [f"Batch article {n:03d}" for n in range(1, MANY_ARTICLES + 1)]
WITH_TEMPLATE = EVERY[::3]


def write_config(tmp_path: Path, api_url: str, articles: list[str] = ()) -> Path:
    lines = [f"contact: {CONTACT}", "wikis:", "  local:", f"    api: {api_url}"]
    if articles:
        lines += ["articles:"] + [f"  - {title}" for title in articles]
    path = tmp_path / "config.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def requests_since(wiki: TestWiki, seen: int) -> list[dict[str, Any]]:
    """The parameters of each api.php request served after the first ``seen``."""
    return [r["params"] for r in wiki.api_requests()[seen:]]


def kind(params: dict[str, Any]) -> str:
    return params.get("prop") or params.get("list") or params.get("meta") or "?"


def tracked(db: Path) -> dict[str, list[int]]:
    """Tracked titles and the revids stored for each."""
    store = Store(db, readonly=True)
    try:
        return {
            p.title: [r.revid for r in store.revisions(p)] for p in store.pages(tracked_only=True)
        }
    finally:
        store.close()


def current_revids(wiki: TestWiki, titles: list[str]) -> dict[str, list[int]]:
    return {title: [wiki.revisions(title)[-1]["revid"]] for title in titles}


@pytest.fixture
def wiki(mediawiki_many: TestWiki) -> TestWiki:
    return mediawiki_many


def test_add_from_file_two_requests_per_50_articles(
    wiki: TestWiki, run, tmp_path: Path, db_path: Path
) -> None:
    cfg = write_config(tmp_path, wiki.api_url)
    titles = tmp_path / "titles.txt"
    lines = ["# the watch list", ""] + [t.replace(" ", "_") for t in EVERY[:297]]
    lines[100:100] = ["Nope one", "  ", "Bad [title]", "# not a title: a comment"]
    lines += ["Nope two", REDIRECT]
    titles.write_text("\n".join(lines) + "\n", encoding="utf-8")
    seen = len(wiki.api_requests())

    result = run("add", "--from-file", str(titles), config=cfg)

    assert result.exit_code == 1, result.output
    assert result.stdout == (
        "Added 297 articles on local (the current revision of each); "
        f"2 not found: 'Nope one', 'Nope two'; 1 redirect: {REDIRECT!r}; "
        "1 invalid: 'Bad [title]'.\n"
    )
    assert result.stderr.splitlines() == [
        f"Warning: {titles}:103: invalid title 'Bad [title]': MediaWiki titles cannot contain "
        "'['; the line is skipped",
        f"Warning: local has no page 'Nope one' ({wiki.api_url}); check the spelling: titles "
        "are case-sensitive after the first letter",
        f"Warning: local has no page 'Nope two' ({wiki.api_url}); check the spelling: titles "
        "are case-sensitive after the first letter",
        f"Warning: {REDIRECT!r} on local is a redirect to {ARTICLE!r}; track the article "
        f"itself: wikimon add {ARTICLE!r}",
    ]
    # 300 titles asked about: 6 prop=info (the first also asks for the title rules), and
    # the current revisions of the 297 found, 50 pages a request
    requests = requests_since(wiki, seen)
    assert [kind(p) for p in requests] == ["info", "revisions"] * 6
    assert len(requests) <= 2 * math.ceil(300 / 50)
    assert requests[0]["meta"] == "siteinfo"
    assert all("rvlimit" not in p for p in requests)
    assert [len(p["pageids"].split("|")) for p in requests if kind(p) == "revisions"] == [
        50, 49, 50, 50, 50, 48
    ]  # fmt: skip
    assert {(p["maxlag"], p["format"]) for p in requests} == {("5", "json")}
    assert tracked(db_path) == current_revids(wiki, EVERY[:297])

    # again: all tracked already, nothing asked
    seen = len(wiki.api_requests())
    again = run("add", "--from-file", str(titles), config=cfg)
    assert again.stdout.startswith("Added 0 articles on local; 297 already tracked; 2 not found")
    assert [kind(p) for p in requests_since(wiki, seen)] == ["info"]  # the three refused ones


def test_add_many_titles_and_the_stored_text(wiki: TestWiki, run, tmp_path: Path, db_path: Path):
    cfg = write_config(tmp_path, wiki.api_url)
    out = run("add", EVERY[0], EVERY[1].lower(), "Talk:", config=cfg)
    assert out.exit_code == 1
    assert out.stdout == (
        "Added 2 articles on local (the current revision of each); 1 invalid: 'Talk:'.\n"
    )
    assert out.stderr == "Warning: 'Talk:' is not a valid title on local: The requested page " \
        "title is empty or contains only the name of a namespace.\n"  # fmt: skip
    text = wiki.revisions(EVERY[0])[-1]["content"]
    assert "{{Infobox batch" in text
    revisions = run("wikitext", EVERY[0], config=cfg)
    assert revisions.stdout.rstrip("\n") == text.rstrip("\n")


def test_add_category_with_depth_and_embedded_in_with_limit(
    wiki: TestWiki, run, tmp_path: Path, db_path: Path
) -> None:
    cfg = write_config(tmp_path, wiki.api_url)
    seen = len(wiki.api_requests())
    out = run("add", "--category", BATCH_CATEGORY.removeprefix("Category:"), config=cfg)
    assert out.exit_code == 0, out.output
    assert out.stdout == "Added 300 articles on local (the current revision of each).\n"
    requests = requests_since(wiki, seen)
    assert [kind(p) for p in requests] == ["categorymembers"] + ["info", "revisions"] * 6
    assert (requests[0]["cmtitle"], requests[0]["cmnamespace"]) == (BATCH_CATEGORY, "0")
    assert sorted(tracked(db_path)) == IN_CATEGORY

    # one level down: the subcategory's 20 more; the 300 are not asked about again
    seen = len(wiki.api_requests())
    out = run("add", "--category", BATCH_CATEGORY, "--depth", "1", config=cfg)
    assert out.stdout == (
        "Added 20 articles on local (the current revision of each); 300 already tracked.\n"
    )
    requests = requests_since(wiki, seen)
    assert [kind(p) for p in requests] == ["categorymembers"] * 2 + ["info", "revisions"]
    assert requests[0]["cmnamespace"] == "0|14"
    assert requests[1]["cmtitle"] == "Category:Batch subcategory"
    assert sorted(tracked(db_path)) == EVERY


def test_add_embedded_in_with_limit(wiki: TestWiki, run, tmp_path: Path, db_path: Path) -> None:
    cfg = write_config(tmp_path, wiki.api_url)
    seen = len(wiki.api_requests())
    out = run("add", "--embedded-in", BATCH_TEMPLATE, "--limit", "60", config=cfg)
    assert out.exit_code == 0, out.output
    assert out.stdout == "Added 60 articles on local (the current revision of each).\n"
    requests = requests_since(wiki, seen)
    assert [kind(p) for p in requests] == ["embeddedin"] + ["info", "revisions"] * 2
    assert (requests[0]["eititle"], requests[0]["einamespace"]) == (BATCH_TEMPLATE, "0")
    added = sorted(tracked(db_path))
    assert len(added) == 60 and set(added) <= set(WITH_TEMPLATE)

    out = run("add", "--embedded-in", "Template:Nobody uses this", config=cfg)
    assert out.exit_code == 1
    assert out.stdout == "Added 0 articles on local.\n"
    assert out.stderr == "Warning: local: no article uses 'Template:Nobody uses this'\n"


def test_add_refuses_contradicting_options(wiki: TestWiki, run, tmp_path: Path) -> None:
    cfg = write_config(tmp_path, wiki.api_url)
    for args, message in [
        ((), "give TITLEs, --from-file, --category or --embedded-in"),
        (("X", "--depth", "2"), "--depth goes with --category"),
        (("X", "--limit", "2"), "--limit goes with --category or --embedded-in"),
    ]:
        out = run("add", *args, config=cfg)
        assert out.exit_code == 2
        assert out.stderr.splitlines()[-1] == f"Error: {message}"
    seen = len(wiki.api_requests())
    assert requests_since(wiki, seen) == []


def test_poll_adds_the_configured_articles_in_batches(
    wiki: TestWiki, run, tmp_path: Path, db_path: Path
) -> None:
    cfg = write_config(tmp_path, wiki.api_url, EVERY[:300])
    seen = len(wiki.api_requests())
    out = run("poll", config=cfg)
    assert out.exit_code == 0, out.output
    requests = requests_since(wiki, seen)
    # adding: 50 titles a prop=info, their current revisions in one prop=revisions; then
    # the check of the 300 tracked articles: one prop=info per 50 page ids
    assert [kind(p) for p in requests] == ["info", "revisions"] * 6 + ["info"] * 6
    assert [("titles" in p, "pageids" in p) for p in requests[::2][:6]] == [(True, False)] * 6
    assert tracked(db_path) == current_revids(wiki, EVERY[:300])
