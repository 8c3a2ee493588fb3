"""Sanity checks of the MediaWiki test fixtures themselves (tests/mediawiki_fixtures.py)."""

from __future__ import annotations

import hashlib
import socket

import pytest
import requests
from mediawiki_fixtures import (
    ARTICLE,
    REDIRECT,
    SECOND_ARTICLE,
    SECOND_ARTICLE_REVISIONS,
    TestWiki,
    load_history,
)

pytestmark = pytest.mark.mediawiki


def _sha1_base36(text: str) -> str:
    n = int(hashlib.sha1(text.encode("utf-8")).hexdigest(), 16)
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while n:
        n, r = divmod(n, 36)
        out = digits[r] + out
    return out.rjust(31, "0")


def test_imported_history_is_verbatim(mediawiki: TestWiki) -> None:
    xml = load_history()
    assert len(xml) == 30
    revs = mediawiki.revisions(ARTICLE, anonymous=True)
    assert len(revs) == 30
    for want, got in zip(xml, revs, strict=True):
        assert got["content"] == want["text"]  # byte for byte (same str <=> same UTF-8)
        assert got["sha1"] == hashlib.sha1(got["content"].encode("utf-8")).hexdigest()
        assert _sha1_base36(got["content"]) == want["sha1"]
        assert got["size"] == len(want["text"].encode("utf-8"))
        assert got["timestamp"] == want["timestamp"]
        assert got["user"] == want["user"]  # pre-created users: no "imported>" prefix
        assert got["comment"] == want["comment"]
        assert got["minor"] == want["minor"]
    assert [r["revid"] for r in revs] == list(range(2, 32))
    assert revs[16].get("anon") is True  # the IP edit
    # continuation is followed, as Admin and anonymously
    assert mediawiki.revisions(ARTICLE, chunk_size=7) == revs
    assert mediawiki.revisions(ARTICLE, anonymous=True, chunk_size=4) == revs
    assert mediawiki.page_id(ARTICLE) == 2  # fresh wiki: "Main Page" is 1


def test_second_article_and_redirect(mediawiki: TestWiki) -> None:
    revs = mediawiki.revisions(SECOND_ARTICLE)
    assert [r["content"] for r in revs] == [t for *_, t in SECOND_ARTICLE_REVISIONS]
    assert [r["user"] for r in revs] == [u for u, *_ in SECOND_ARTICLE_REVISIONS]
    assert "{{Infobox settlement" in revs[-1]["content"]

    r = requests.get(
        mediawiki.api_url,
        params={
            "action": "query",
            "titles": REDIRECT,
            "redirects": 1,
            "format": "json",
            "formatversion": 2,
        },
        timeout=10,
    ).json()["query"]
    assert r["redirects"] == [{"from": REDIRECT, "to": ARTICLE}]
    assert r["pages"][0]["title"] == ARTICLE
    page = mediawiki.site().pages[REDIRECT]
    assert page.redirect
    assert page.resolve_redirect().name == ARTICLE
    assert mediawiki.page_id("No such page xyz") is None


def test_edit_creates_exactly_one_revision(mediawiki: TestWiki) -> None:
    before = mediawiki.revisions(ARTICLE)
    text = before[-1]["content"].replace("| result = Ongoing", "| result = Done", 1)
    assert text != before[-1]["content"]
    revid = mediawiki.edit(ARTICLE, text, summary="result", minor=True)
    after = mediawiki.revisions(ARTICLE)
    assert len(after) == len(before) + 1
    assert after[:-1] == before
    new = after[-1]
    assert (new["revid"], new["parentid"]) == (revid, before[-1]["revid"])
    assert (new["content"], new["user"], new["comment"], new["minor"]) == (
        text,
        "Admin",
        "result",
        True,
    )
    with pytest.raises(RuntimeError):  # a null edit creates no revision
        mediawiki.edit(ARTICLE, text)


def test_hide_revision(mediawiki: TestWiki) -> None:
    revs = mediawiki.revisions(ARTICLE)
    mediawiki.hide_revision(revs[5]["revid"], comment=True)
    anon = mediawiki.revisions(ARTICLE, anonymous=True)
    assert anon[5]["slots"]["main"].get("texthidden") is True
    assert anon[5]["content"] is None
    assert anon[5].get("sha1hidden") is True and "sha1" not in anon[5]
    assert anon[5].get("commenthidden") is True and "comment" not in anon[5]
    assert anon[5]["user"] == revs[5]["user"]
    assert anon[4]["content"] == revs[4]["content"]
    # the admin still sees it, flagged
    admin = mediawiki.revisions(ARTICLE)
    assert admin[5]["content"] == revs[5]["content"]
    assert admin[5]["slots"]["main"].get("texthidden") is True
    # the current revision's text cannot be hidden: the API reports it inside a success
    with pytest.raises(RuntimeError, match="revdelete-hide-current"):
        mediawiki.hide_revision(revs[-1]["revid"])


def test_fake_lag(mediawiki: TestWiki) -> None:
    params = {"action": "query", "meta": "siteinfo", "format": "json", "maxlag": 5}
    assert "error" not in requests.get(mediawiki.api_url, params=params, timeout=10).json()
    mediawiki.fake_lag(7)
    r = requests.get(mediawiki.api_url, params=params, timeout=10)
    assert r.json()["error"]["code"] == "maxlag"
    assert r.headers["Retry-After"] == "5"
    assert r.headers["MediaWiki-API-Error"] == "maxlag"
    mediawiki.edit(SECOND_ARTICLE, "still editable while lagged")  # helpers send no maxlag
    mediawiki.fake_lag(None)
    assert "error" not in requests.get(mediawiki.api_url, params=params, timeout=10).json()


def test_stop_and_start(mediawiki: TestWiki) -> None:
    pageid = mediawiki.page_id(ARTICLE)
    mediawiki.stop()
    with (
        pytest.raises(ConnectionRefusedError),
        socket.create_connection(("127.0.0.1", mediawiki.port), timeout=2),
    ):
        pass
    with pytest.raises(requests.ConnectionError):
        requests.get(mediawiki.api_url, timeout=2)
    mediawiki.start()
    assert mediawiki.page_id(ARTICLE) == pageid  # same port, same data, cached login still works


def test_move_and_delete(mediawiki: TestWiki) -> None:
    pageid = mediawiki.page_id(SECOND_ARTICLE)
    mediawiki.move(SECOND_ARTICLE, "Moved article", reason="test")
    assert mediawiki.page_id("Moved article") == pageid
    assert mediawiki.page_id(SECOND_ARTICLE) not in (None, pageid)  # redirect left behind
    mediawiki.delete_page("Moved article")
    assert mediawiki.page_id("Moved article") is None
    assert mediawiki.revisions("Moved article") == []
