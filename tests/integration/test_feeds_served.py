"""`wikimon serve` serves each article's Atom feed, and one per field group, at stable URLs."""

from __future__ import annotations

import feedparser
from digest_helpers import (
    TITLE,
    Sample,
    sample_fixture,  # noqa: F401
    sample_template_fixture,  # noqa: F401
)
from report_helpers import fetch, start_server, stop_server

from monitor.fields import field_group


def test_serve_serves_the_feeds_per_article_and_per_field_group(
    sample: Sample, run, db_path, wikimon_process
) -> None:
    page_id = sample.changes[0]["page_id"]
    proc, base = start_server(wikimon_process, db_path)
    try:
        whole = fetch(f"{base}enwiki/{page_id}/feed.atom")
        assert whole.status == 200
        assert whole.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
        self_link = (
            f'  <link rel="self" type="application/atom+xml" href="{base}enwiki/{page_id}/'
            'feed.atom" />\n'
        )
        assert self_link in whole.body  # the same as `wikimon feed`, with where it is
        assert whole.body.replace(self_link, "") == run("feed", TITLE).stdout
        feed = feedparser.parse(whole.body)
        assert not feed.bozo and any(
            link.rel == "self" and link.href == f"{base}enwiki/{page_id}/feed.atom"
            for link in feed.feed.links
        )
        casualties = feedparser.parse(fetch(f"{base}enwiki/{page_id}/feed-casualties.atom").body)
        assert not casualties.bozo and casualties.entries
        assert {field_group(t.term) for e in casualties.entries for t in e.tags} == {"casualties"}
        assert casualties.feed.id.endswith("/group/casualties")
        assert fetch(f"{base}enwiki/{page_id}/feed-nonsense.atom").status == 404
        article = fetch(f"{base}enwiki/{page_id}/index.html").body
        assert f'href="../../enwiki/{page_id}/feed.atom"' in article
    finally:
        stop_server(proc)
