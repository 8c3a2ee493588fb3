"""Alerts and feeds without services: the config's alerts: rules and their errors, how
changes are grouped into hold windows, that imports never alert, the Atom feeds (valid
for feedparser, escaped, stable, newest first) and the stream's event filter."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest
from digest_helpers import (
    TITLE,
    Sample,
    cli_json,
    export,
    revision,
    sample_fixture,  # noqa: F401
    sample_template_fixture,  # noqa: F401
    write_config,
)

from monitor.config import AlertRule, Channel, WikiConfig, load_config
from monitor.delivery.alerts import windows
from monitor.errors import ConfigError
from monitor.sources.stream import EventStream, RecentChange, Skipped

RECORDED = Path(__file__).resolve().parent.parent / "data" / "eventstreams" / "recentchange.jsonl"


# -- config ------------------------------------------------------------------------------------


def test_alert_rules_are_read_with_their_channels(tmp_path: Path) -> None:
    config = load_config(
        write_config(
            tmp_path / "c.yaml",
            "wikis:\n  enwiki:\n    api: https://en.wikipedia.org/w/api.php\n"
            "    stream: true\n    recentchanges: true\n"
            "alerts:\n  - name: desk\n    fields: [casualties*]\n    min_change: 5\n"
            "    hold: 10m\n    channels:\n      - ntfy://wikimon-news\n"
            "      - apprise_env: SLACK_URL\n"
            "      - webhook: https://hooks.example.org/w?x=1\n        secret_env: HOOK_SECRET\n",
        )
    )
    (rule,) = config.alerts
    assert (rule.name, rule.fields, rule.min_change, rule.hold) == (
        "desk",
        ("casualties*",),
        5,
        600,
    )
    assert rule.longest_hold == 3600
    assert [c.label for c in rule.channels] == [
        "apprise ntfy://wikimon-news",
        "apprise $SLACK_URL",
        "webhook https://hooks.example.org/w",
    ]
    wiki = config.wikis["enwiki"]
    assert wiki.stream and wiki.recentchanges
    assert wiki.stream_url == "https://stream.wikimedia.org/v2/stream/recentchange"
    # the stream makes polling the slow safety net
    assert config.poll_interval_for("enwiki", "X") == 3600


@pytest.mark.parametrize(
    ("yaml", "message"),
    [
        ("alerts:\n  - name: a\n    channels: []\n", "3: alerts.0.channels: must be a list"),
        (
            "alerts:\n  - name: a\n    channels:\n      - 'mailto://me:hunter2@example.org'\n",
            "4: alerts.0.channels.0: a password never goes in the file",
        ),
        (
            "alerts:\n  - name: a\n    channels:\n      - nosuch://thing\n",
            "4: alerts.0.channels.0: 'nosuch':// is not a notification URL apprise knows",
        ),
        (
            "alerts:\n  - name: a\n    channels:\n      - webhook: ftp://x.org/\n",
            "4: alerts.0.channels.0.webhook: must be an http:// or https:// URL",
        ),
        (
            "alerts:\n  - name: a\n    channels:\n      - webhook: https://x.org/\n"
            "        secret_env: s3cret value\n",
            "5: alerts.0.channels.0.secret_env: must be the NAME of an environment variable",
        ),
        (
            "alerts:\n  - name: a\n    hold: soon\n    channels: [ntfy://t]\n",
            "3: alerts.0.hold: 'soon' is not a duration",
        ),
        (
            "alerts:\n  - name: a\n    hold: 10m\n    max_hold: 1m\n    channels: [ntfy://t]\n",
            "4: alerts.0.max_hold: must be at least as long as hold:",
        ),
        (
            "alerts:\n  - name: a\n    channels: [ntfy://t]\n  - name: a\n    channels: [ntfy://u]\n",
            "4: alerts.1.name: another alert rule is already named 'a'",
        ),
        (
            "alerts:\n  - name: a\n    chanels: [ntfy://t]\n",
            "3: alerts.0.chanels: unknown key",
        ),
        (
            "wikis:\n  w:\n    api: https://x.org/api.php\n    stream: yes please\n",
            "4: wikis.w.stream: must be true or false",
        ),  # fmt: skip
    ],
)
def test_alert_config_errors_name_file_line_and_key(tmp_path: Path, yaml: str, message: str):
    path = write_config(tmp_path / "c.yaml", yaml)
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert str(error.value).startswith(f"{path}:{message}")


def test_secrets_come_from_the_environment(monkeypatch) -> None:
    hook = Channel("webhook", url="https://x.org/", secret_env="HOOK_SECRET")
    monkeypatch.delenv("HOOK_SECRET", raising=False)
    with pytest.raises(ConfigError, match="HOOK_SECRET is not set"):
        hook.secret()
    monkeypatch.setenv("HOOK_SECRET", "abc")
    assert hook.secret() == b"abc"
    assert Channel("apprise", url_env="NOPE_URL").key != Channel("apprise", url_env="X").key


# -- hold windows ------------------------------------------------------------------------------


def test_changes_are_grouped_until_the_article_is_quiet_for_the_hold() -> None:
    rule = AlertRule("r", (), hold=600, max_hold=1800)
    times = ["2024-12-04T09:00:00Z", "2024-12-04T09:05:00Z", "2024-12-04T09:14:00Z",
             "2024-12-04T10:00:00Z"]  # fmt: skip
    assert windows(rule, times) == [
        # 09:05 and 09:14 came within 10 minutes of the change before: one window
        ("2024-12-04T09:00:00Z", "2024-12-04T09:24:00Z", "2024-12-04T09:24:00Z"),
        ("2024-12-04T10:00:00Z", "2024-12-04T10:10:00Z", "2024-12-04T10:10:00Z"),
    ]
    # an article never quiet for the hold is alerted max_hold after the window opened
    busy = [f"2024-12-04T09:{m:02d}:00Z" for m in range(0, 60, 5)]
    assert [w[:2] for w in windows(rule, busy)] == [
        ("2024-12-04T09:00:00Z", "2024-12-04T09:30:00Z"),
        ("2024-12-04T09:30:00Z", "2024-12-04T10:00:00Z"),
    ]
    # no hold: a change's window ends a second later (revisions are dated to the second:
    # another edit of that second may still come) and is due then
    instant = AlertRule("r", (), hold=0)
    assert windows(instant, ["2024-12-04T09:00:00Z", "2024-12-04T09:00:01Z"]) == [
        ("2024-12-04T09:00:00Z", "2024-12-04T09:00:01Z", "2024-12-04T09:00:01Z"),
        ("2024-12-04T09:00:01Z", "2024-12-04T09:00:02Z", "2024-12-04T09:00:02Z"),
    ]


def test_an_import_never_alerts(sample: Sample, run, tmp_path: Path) -> None:
    config = write_config(
        tmp_path / "c.yaml",
        "alerts:\n  - name: desk\n    hold: 0s\n    channels: [json://127.0.0.1:9/]\n",
    )
    # the whole sample history is stored and analysed, by an import: nothing is due
    later = datetime(2030, 1, 1, tzinfo=UTC)
    result = run("alerts", "--dry-run", config=config, clock=lambda: later)
    assert result.exit_code == 0, result.output
    assert result.stdout == "No alert is due.\n"
    assert run("alerts", config=config).stdout == "No alert is due.\n"


# -- feeds -------------------------------------------------------------------------------------


def test_the_feed_is_valid_atom_with_an_entry_per_change_making_revision(
    sample: Sample, run
) -> None:
    result = run("feed", TITLE, "--field", "casualties*", "--limit", "5")
    assert result.exit_code == 0, result.output
    feed = feedparser.parse(result.stdout)
    assert not feed.bozo, feed.bozo_exception
    assert feed.version == "atom10"
    wanted = [c for c in sample.changes if c["field"].startswith("casualties")]
    revids = list(dict.fromkeys(c["revid"] for c in reversed(wanted)))[:5]
    page_id = sample.changes[0]["page_id"]
    assert [e.id for e in feed.entries] == [
        f"tag:wikimon,2024:enwiki/{page_id}/fields/casualties*/revision/{r}" for r in revids
    ]
    assert feed.feed.id == f"tag:wikimon,2024:enwiki/{page_id}/fields/casualties*"
    newest = [c for c in wanted if c["revid"] == revids[0]]
    entry = feed.entries[0]
    assert entry.author == newest[0]["user"]
    assert entry.updated == newest[0]["timestamp"] == feed.feed.updated
    assert entry.link == f"{sample.index_url}?diff={revids[0]}&oldid={newest[0]['parent_revid']}"
    assert len(entry.content[0].value.split("<li>")) == len(newest) + 1  # every record
    # stable: the same feed twice is the same document
    assert run("feed", TITLE, "--field", "casualties*", "--limit", "5").stdout == result.stdout


def test_reverted_changes_are_marked(sample: Sample, run) -> None:
    feed = feedparser.parse(run("feed", TITLE, "--group", "outcome").stdout)
    vandal = next(c for c in sample.changes if c["new"] == "Assad wins lol")
    (entry,) = [e for e in feed.entries if e.id.endswith(f"/revision/{vandal['revid']}")]
    assert entry.title.startswith("[reverted] result: Ongoing → Assad wins lol")
    assert f"reverted by {vandal['reverted_by']}" in entry.content[0].value
    revert = [e for e in feed.entries if e.id.endswith(f"/revision/{vandal['reverted_by']}")]
    assert f"reverts to {vandal['parent_revid']}" in revert[0].content[0].value


def test_wiki_content_is_escaped_in_the_feed(run, tmp_path: Path) -> None:
    evil = '<script>alert(1)</script>&amp; "]]>'
    base = "{{Infobox military conflict\n| result = Ongoing\n}}"
    path = export(tmp_path / "evil.xml", "Evil", 77, [
        revision(1, "2024-01-01T00:00:00Z", "Alice", base),
        revision(2, "2024-01-02T00:00:00Z", evil, base.replace("Ongoing", evil), comment=evil),
    ])  # fmt: skip
    assert run("import", str(path)).exit_code == 0
    text = run("feed", "Evil").stdout
    assert "<script>" not in text and "]]>" not in text
    feed = feedparser.parse(text)
    assert not feed.bozo, feed.bozo_exception
    (entry,) = feed.entries
    assert "<script>" not in entry.content[0].value  # escaped twice: text in the HTML
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&amp;amp;" in entry.content[0].value
    assert entry.author == '<script>alert(1)</script>&amp; "]]>'


def test_the_report_writes_and_links_a_feed_per_article(sample: Sample, run, tmp_path: Path):
    out = tmp_path / "report"
    assert run("report", "--out", str(out)).exit_code == 0
    page_id = sample.changes[0]["page_id"]
    article = (out / "enwiki" / str(page_id) / "index.html").read_text()
    assert '<link rel="alternate" type="application/atom+xml"' in article
    assert f'href="../../enwiki/{page_id}/feed.atom"' in article
    feed = feedparser.parse((out / "enwiki" / str(page_id) / "feed.atom").read_bytes())
    assert not feed.bozo and len(feed.entries) == len({c["revid"] for c in sample.changes})
    assert cli_json(run, "status")[0]["page_id"] == page_id


# -- the stream's filter -------------------------------------------------------------------------


def test_only_events_of_the_configured_wikis_pass_the_filter() -> None:
    enwiki = WikiConfig("en", "https://en.wikipedia.org/w/api.php", stream=True)
    local = WikiConfig("local", "http://127.0.0.1:8089/api.php", stream=True)
    stream = EventStream("http://127.0.0.1:1/v2/stream/recentchange", [enwiki, local], "t")
    lines = RECORDED.read_text(encoding="utf-8").splitlines()
    parsed = [stream.parse(f"id-{n}", line) for n, line in enumerate(lines)]
    changes = [p for p in parsed if isinstance(p, RecentChange)]
    assert changes == [
        RecentChange("id-0", "en", "edit", "Battle of Aleppo (2024)", 1261002731, None, None,
                     "2024-12-04T09:44:58Z"),
    ]  # fmt: skip
    # a local wiki is told apart by its port; garbage is skipped with a reason
    event = {
        "type": "edit", "title": "X", "server_url": "http://127.0.0.1:8089",
        "server_name": "127.0.0.1", "revision": {"new": 5}, "timestamp": 1733305500,
    }  # fmt: skip
    assert stream.parse("a", json.dumps(event)).wiki == "local"  # type: ignore[union-attr]
    other_port = {**event, "server_url": "http://127.0.0.1:9999"}
    assert isinstance(stream.parse("b", json.dumps(other_port)), Skipped)
    assert stream.parse("c", "{not json") == Skipped("c", None, "not JSON")
    no_title = {**event, "title": ["x"]}
    assert stream.parse("d", json.dumps(no_title)).problem == "an event without a title"  # type: ignore[union-attr]
