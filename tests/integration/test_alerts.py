"""Instant alerts with real parts: edits on the local MediaWiki, `wikimon poll` / `wikimon
alerts` / `wikimon run` (a real process, kill -9 included), a webhook receiver that checks
signatures, apprise to a local json:// endpoint and to mailto:// through aiosmtpd, and an
EventStreams server replaying recorded events mixed with the wiki's own."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from helpers import log_text, read_db, wait_until
from mediawiki_fixtures import ARTICLE, SECOND_ARTICLE, TestWiki
from push_fixtures import (
    EventStreamServer,
    JsonCatcher,
    WebhookReceiver,
    recorded_events,
)
from smtp_fixtures import SmtpServer

from storage import parse_time

pytestmark = pytest.mark.mediawiki

CASUALTY = "| casualties2 = {{flagicon|Syrian Arab Republic}} 142 killed"
SECRET_ENV = "WIKIMON_TEST_WEBHOOK_SECRET"


def write_config(
    tmp_path: Path, wiki: TestWiki, channels: str, *, hold: str = "2s", wiki_extra: str = "",
    extra: str = "",
) -> Path:  # fmt: skip
    path = tmp_path / "config.yaml"
    path.write_text(
        "contact: wikimon tests <tests@example.org>\n"
        f"wikis:\n  local:\n    api: {wiki.api_url}\n{wiki_extra}"
        "poll:\n  interval: 1s\n  jitter: 0\n"
        f"articles:\n  - title: {ARTICLE}\n"
        "digests:\n  - name: news\n    every: 1d\n"
        "log: daemon.log\n"
        f"alerts:\n  - name: newsroom\n    fields: [casualties*, result, combatant*]\n"
        f"    hold: {hold}\n    channels:\n{channels}" + extra,
        encoding="utf-8",
    )
    return path


def webhook_channel(receiver: WebhookReceiver) -> str:
    return f"      - webhook: {receiver.url}\n        secret_env: {SECRET_ENV}\n"


@pytest.fixture(autouse=True)
def secret(monkeypatch, webhook: WebhookReceiver) -> None:
    monkeypatch.setenv(SECRET_ENV, webhook.secret.decode())


def text_of(wiki: TestWiki) -> str:
    return wiki.revisions(ARTICLE)[-1]["content"]


def casualty_update(wiki: TestWiki, killed: int = 154, was: int = 142) -> int:
    text = text_of(wiki)
    line = CASUALTY.replace("142", str(was))
    assert line in text
    return wiki.edit(ARTICLE, text.replace(line, CASUALTY.replace("142", str(killed))), "toll")


def vandalise_and_revert(wiki: TestWiki) -> tuple[int, int]:
    text = text_of(wiki)
    vandal = wiki.edit(ARTICLE, text.replace("| result = Ongoing", "| result = Assad wins lol"))
    return vandal, wiki.edit(ARTICLE, text, "Reverted vandalism")


def wikimon_requests(wiki: TestWiki) -> list[dict]:
    """The API requests wikimon made (not the tests' own, to edit and read the wiki)."""
    return [r for r in wiki.api_requests() if r["ua"].startswith("wikimon/")]


def alert_rows(db: Path) -> list[dict]:
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute("SELECT * FROM alerts ORDER BY id")]


def delivery_rows(db: Path) -> list[dict]:
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute("SELECT * FROM alert_deliveries ORDER BY id")]


def changes_json(run, config: Path) -> list[dict]:
    result = run("changes", ARTICLE, "--json", config=config)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_a_change_that_stood_for_the_hold_goes_to_a_signed_webhook_and_apprise(
    mediawiki: TestWiki, webhook: WebhookReceiver, json_catcher: JsonCatcher, run,
    tmp_path: Path, db_path: Path,
) -> None:  # fmt: skip
    channels = webhook_channel(webhook) + f"      - json://127.0.0.1:{json_catcher.port}/\n"
    config = write_config(tmp_path, mediawiki, channels)
    assert run("poll", config=config).exit_code == 0  # the article is added: its baseline
    assert "No alert is due" in run("alerts", config=config).stdout
    casualty = casualty_update(mediawiki)
    vandal, revert = vandalise_and_revert(mediawiki)
    assert run("poll", config=config).exit_code == 0
    time.sleep(2.5)  # the hold (2 s) passes
    webhook.statuses = [500]  # the first try fails, the second is taken
    dry = run("alerts", "--dry-run", config=config)
    assert "casualties2: killed: 142 → 154 (+12)" in dry.stdout and not webhook.received
    result = run("alerts", config=config)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"alert newsroom: {ARTICLE!r} (local): ")
    assert lines[0].endswith(f"{ARTICLE}: casualties2 154 (+12), recorded as alert 1")
    assert f"alert 1 to webhook {webhook.url}: delivered (HTTP 200)" in lines
    assert f"alert 1 to apprise json://127.0.0.1:{json_catcher.port}: delivered (accepted)" in lines

    # the webhook: tried twice with one idempotency key, signed, the records as `changes --json`
    first, second = webhook.received
    assert (first.status, second.status) == (500, 200)
    assert first.signed and second.signed and first.body == second.body
    assert first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"]
    assert first.headers["X-Wikimon-Rule"] == "newsroom"
    records = second.records
    everything = changes_json(run, config)
    assert records == [r for r in everything if r["revid"] == casualty]
    assert all(r["revid"] not in (vandal, revert) for r in records)
    assert second.body.decode() == json.dumps(records, ensure_ascii=False, indent=2)

    # apprise: one short text, with the diff link, and nothing of the vandalism
    (message,) = json_catcher.bodies
    assert message["title"] == f"{ARTICLE}: casualties2 154 (+12)"
    assert "casualties2: killed: 142 → 154 (+12)" in message["message"]
    assert "Admin" in message["message"] and "index.php?diff=" in message["message"]
    assert "Assad wins" not in message["message"]

    (alert,) = alert_rows(db_path)
    assert [d["sent_at"] is not None for d in delivery_rows(db_path)] == [True, True]
    assert [d["attempts"] for d in delivery_rows(db_path)] == [2, 1]
    assert alert["to_revid"] == revert
    again = run("alerts", config=config)
    assert again.stdout == "No alert is due.\n" and len(webhook.received) == 2


def test_vandalism_reverted_within_the_hold_alerts_nobody(
    mediawiki: TestWiki, webhook: WebhookReceiver, run, tmp_path: Path, db_path: Path
) -> None:
    config = write_config(tmp_path, mediawiki, webhook_channel(webhook), hold="10s")
    assert run("poll", config=config).exit_code == 0
    vandal, revert = vandalise_and_revert(mediawiki)
    times = {r["revid"]: parse_time(r["timestamp"]) for r in mediawiki.revisions(ARTICLE)}
    assert times[revert] - times[vandal] < timedelta(seconds=10)  # reverted within the hold
    assert run("poll", config=config).exit_code == 0
    # at the moment of the revert, the hold has not passed: nothing is due
    within = run("alerts", config=config, clock=lambda: times[revert])
    assert within.stdout == "No alert is due.\n"
    wait_until(lambda: datetime.now(UTC) > times[revert] + timedelta(seconds=11), "the hold")
    result = run("alerts", config=config)
    assert result.exit_code == 0, result.output
    assert "no net change (reverted within the hold), nothing to send" in result.stdout
    (alert,) = alert_rows(db_path)
    assert alert["title"] is None and delivery_rows(db_path) == [] and webhook.received == []


def just_after(mediawiki: TestWiki, revid: int) -> Callable[[], datetime]:
    """A clock two seconds after the revision was saved: with `hold: 0s` its window is due
    once its second has passed (the wiki's times are to the second). The alerts' own poll
    dates itself by the wiki's clock, so the wiki's second must have passed too."""
    (saved,) = [r["timestamp"] for r in mediawiki.revisions(ARTICLE) if r["revid"] == revid]
    due = parse_time(saved) + timedelta(seconds=1)
    wait_until(lambda: datetime.now(UTC) > due + timedelta(seconds=0.2), "the edit's second")
    return lambda: due + timedelta(seconds=1)


def test_a_refusal_for_good_is_not_retried_and_backfill_never_alerts(
    mediawiki: TestWiki, webhook: WebhookReceiver, run, tmp_path: Path, db_path: Path
) -> None:
    config = write_config(tmp_path, mediawiki, webhook_channel(webhook), hold="0s")
    assert run("poll", config=config).exit_code == 0
    assert run("backfill", ARTICLE, config=config).exit_code == 0  # 29 older revisions
    assert run("add", SECOND_ARTICLE, config=config).exit_code == 0
    assert run("alerts", config=config).stdout == "No alert is due.\n"
    revid = casualty_update(mediawiki)
    webhook.statuses = [410]
    assert run("poll", config=config).exit_code == 0
    result = run("alerts", config=config, clock=just_after(mediawiki, revid))
    assert result.exit_code == 1
    assert (
        f"Error: alert 1 to webhook {webhook.url}: webhook {webhook.url} answered HTTP 410: "
        "refused for good (refused for good)"
    ) in result.stderr
    (delivery,) = delivery_rows(db_path)
    assert delivery["failed_at"] and delivery["attempts"] == 1
    assert run("alerts", config=config, clock=just_after(mediawiki, revid)).exit_code == 0
    assert len(webhook.received) == 1  # never tried again


def test_mailto_through_smtp_and_test_alert(
    mediawiki: TestWiki, webhook: WebhookReceiver, smtp_server: SmtpServer, run, tmp_path: Path
) -> None:
    mailto = (
        f"mailto://127.0.0.1:{smtp_server.port}?from=wikimon@example.org"
        "&to=desk@example.org&secure=no&user=wikimon"
    )
    channels = f"      - apprise: '{mailto}'\n" + webhook_channel(webhook)
    config = write_config(tmp_path, mediawiki, channels, hold="0s")
    assert run("poll", config=config).exit_code == 0
    revid = casualty_update(mediawiki)
    assert run("poll", config=config).exit_code == 0
    test = run("test-alert", "newsroom", config=config)
    assert test.exit_code == 0, test.output
    assert test.stdout.splitlines() == [
        f"apprise mailto://127.0.0.1:{smtp_server.port}: test alert delivered (accepted)",
        f"webhook {webhook.url}: test alert delivered (HTTP 200)",
    ]
    (sample,) = webhook.received
    assert sample.signed and [r["revid"] for r in sample.records] == [revid]
    mail = smtp_server.wait_for(1)[0]
    assert mail.message["Subject"] == f"[test] wikimon: {ARTICLE}: casualties2"
    assert read_db(tmp_path / "wikimon.db", "SELECT COUNT(*) FROM alerts") == 0  # nothing recorded
    result = run("alerts", config=config, clock=just_after(mediawiki, revid))
    assert result.exit_code == 0 and "recorded as alert 1" in result.stdout, result.output
    mails = smtp_server.wait_for(2)
    assert mails[1].message["Subject"] == f"{ARTICLE}: casualties2 154 (+12)"
    assert "killed: 142 → 154 (+12)" in mails[1].part("plain")
    bad = run("test-alert", "http://127.0.0.1:9/nothing-listens", config=config)
    assert bad.exit_code == 1 and bad.stderr.startswith(
        "Error: webhook http://127.0.0.1:9/nothing-listens: webhook http://127.0.0.1:9/"
        "nothing-listens cannot connect (ConnectionError) (3 tries)"
    )


# -- the daemon ------------------------------------------------------------------------------


def stop(proc: subprocess.Popen) -> tuple[int, str]:
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    return proc.returncode, err.decode()


def test_kill_9_in_the_middle_of_a_delivery_delivers_each_alert_once(
    mediawiki: TestWiki, webhook: WebhookReceiver, tmp_path: Path, daemon
) -> None:
    db = tmp_path / "w.db"
    config = write_config(tmp_path, mediawiki, webhook_channel(webhook), hold="0s")
    webhook.holding = True  # takes the POST and answers nothing
    first = daemon(config)
    wait_until(lambda: read_db(db, "SELECT COUNT(*) FROM revisions"), "the article added")
    revid = casualty_update(mediawiki)
    wait_until(lambda: webhook.held, "the alert's POST")
    first.send_signal(signal.SIGKILL)
    first.communicate()
    webhook.holding = False  # the held request is answered 503: not taken
    wait_until(lambda: webhook.received, "the held request answered")
    (recorded,) = alert_rows(db)
    assert read_db(db, "SELECT COUNT(*) FROM alert_deliveries WHERE sent_at IS NULL") == 1

    second = daemon(config)  # the pending delivery goes out at start
    (taken,) = webhook.wait_for(1)
    assert taken.headers["Idempotency-Key"] == webhook.received[0].headers["Idempotency-Key"]
    assert [r["revid"] for r in taken.records] == [revid] and taken.signed
    wait_until(lambda: read_db(db, "SELECT COUNT(*) FROM alert_deliveries WHERE sent_at "
                                   "IS NOT NULL"), "the delivery marked sent")  # fmt: skip
    time.sleep(3)  # more polls and alert passes: nothing is sent twice
    assert len(webhook.accepted()) == 1 and len(alert_rows(db)) == 1
    assert alert_rows(db)[0]["id"] == recorded["id"]
    code, err = stop(second)
    assert code == 0 and "Traceback" not in err + log_text(tmp_path)


def test_the_stream_fetches_an_edit_at_once_resumes_with_last_event_id_and_after_a_restart(
    mediawiki: TestWiki, webhook: WebhookReceiver, event_stream: EventStreamServer,
    tmp_path: Path, daemon,
) -> None:  # fmt: skip
    db = tmp_path / "w.db"
    stream = f"    stream: true\n    stream_url: {event_stream.url}\n"
    # polling is the slow safety net (1 h): what arrives, arrives by the stream
    config = write_config(
        tmp_path, mediawiki, webhook_channel(webhook), hold="0s",
        wiki_extra=stream + "    interval: 1h\n",
    )  # fmt: skip
    for event in recorded_events()[:3]:  # other wikis' traffic
        event_stream.add(event)
    event_stream.tail(mediawiki.recent_changes_file)
    event_stream.drop_after = 2  # the first connection drops after 2 events
    proc = daemon(config)
    wait_until(lambda: "stream local: connected" in log_text(tmp_path), "the stream")
    wait_until(lambda: read_db(db, "SELECT COUNT(*) FROM revisions"), "the article added")
    polls = len(wikimon_requests(mediawiki))
    for event in recorded_events()[3:]:
        event_stream.add(event)  # a canary, a move and an edit on other wikis
    revid = casualty_update(mediawiki)
    (taken,) = webhook.wait_for(1)
    assert [r["revid"] for r in taken.records] == [revid] and taken.signed
    assert f"stream local: '{ARTICLE}' revision {revid}: 1 new revision, 1 change" in (
        log_text(tmp_path)
    )
    # dropped after 2 events (offsets 3 and 4): the reconnection asked for what follows
    first, again = event_stream.connections[:2]
    assert first["last_event_id"] is None and first["user_agent"].startswith("wikimon/")
    assert json.loads(again["last_event_id"])[0]["offset"] == 4
    assert read_db(db, "SELECT COUNT(*) FROM live_revisions WHERE via = 'stream'") == 1
    fetched = wikimon_requests(mediawiki)[polls:]
    # the edited article only: its new revision fetched once (a later event about it, or
    # the safety net, may ask prop=info again: nothing more)
    asked = [r["params"] for r in fetched]
    assert [p.get("prop") for p in asked][:2] == ["info", "revisions"]
    assert [p.get("prop") for p in asked].count("revisions") == 1
    assert {p.get("pageids") for p in asked} == {str(mediawiki.page_id(ARTICLE))}

    assert stop(proc)[0] == 0
    stored = json.loads(
        sqlite3.connect(db).execute("SELECT last_event_id FROM stream_state").fetchone()[0]
    )
    later = casualty_update(mediawiki, 160, was=154)  # while no daemon runs
    wait_until(lambda: len(event_stream.events) > stored[0]["offset"] + 1, "the event")
    proc = daemon(config)
    taken = webhook.wait_for(2)[1]
    assert [r["revid"] for r in taken.records] == [later]
    assert json.loads(event_stream.connections[-1]["last_event_id"]) == stored
    code, err = stop(proc)
    assert code == 0 and "Traceback" not in err + log_text(tmp_path)


def test_recentchanges_asks_once_per_wiki_and_interval(
    mediawiki: TestWiki, webhook: WebhookReceiver, run, tmp_path: Path
) -> None:
    config = write_config(
        tmp_path, mediawiki, webhook_channel(webhook), wiki_extra="    recentchanges: true\n"
    )
    text = config.read_text().replace(
        f"  - title: {ARTICLE}\n", f"  - title: {ARTICLE}\n  - title: {SECOND_ARTICLE}\n"
    )
    config.write_text(text)
    assert run("poll", config=config).exit_code == 0  # adds both
    assert run("poll", config=config).exit_code == 0  # the first read: prop=info for all
    seen = len(wikimon_requests(mediawiki))
    result = run("poll", config=config)
    assert result.exit_code == 0, result.output
    idle = wikimon_requests(mediawiki)[seen:]
    assert [r["params"].get("list") for r in idle] == ["recentchanges"]
    revid = casualty_update(mediawiki)
    seen = len(wikimon_requests(mediawiki))
    result = run("poll", "-v", config=config)
    assert f"'{ARTICLE}': 1 new revision ({revid}), 1 change in the facts" in result.stdout
    asked = [r["params"] for r in wikimon_requests(mediawiki)[seen:]]
    assert [p.get("list") or p.get("prop") for p in asked] == ["recentchanges", "info", "revisions"]
    assert asked[1]["pageids"] == str(mediawiki.page_id(ARTICLE))


def test_test_alert_reaches_every_kind_of_channel(
    webhook: WebhookReceiver, json_catcher: JsonCatcher, run, tmp_path: Path, monkeypatch
) -> None:
    """Without a wiki: an inline apprise URL, one read from the environment (apprise_env)
    and a signed webhook, each named by the config, by the rule, or given as a URL."""
    monkeypatch.setenv("WIKIMON_TEST_APPRISE_URL", f"json://127.0.0.1:{json_catcher.port}/env")
    config = tmp_path / "config.yaml"
    config.write_text(
        "contact: wikimon tests <tests@example.org>\n"
        "wikis:\n  local:\n    api: http://127.0.0.1:9/api.php\n"
        "articles: []\n"
        "alerts:\n  - name: desk\n    channels:\n"
        f"      - json://127.0.0.1:{json_catcher.port}/inline\n"
        "      - apprise_env: WIKIMON_TEST_APPRISE_URL\n"
        f"  - name: hooks\n    channels:\n{webhook_channel(webhook)}",
        encoding="utf-8",
    )
    everything = run("test-alert", config=config)
    assert everything.exit_code == 0, everything.output
    assert everything.stdout.splitlines() == [
        f"apprise json://127.0.0.1:{json_catcher.port}/…: test alert delivered (accepted)",
        "apprise $WIKIMON_TEST_APPRISE_URL: test alert delivered (accepted)",
        f"webhook {webhook.url}: test alert delivered (HTTP 200)",
    ]
    assert [b["title"] for b in json_catcher.bodies] == ["[test] wikimon"] * 2
    assert "no change stored yet" in json_catcher.bodies[0]["message"]
    (hook,) = webhook.received
    assert hook.signed and hook.records == [] and hook.headers["X-Wikimon-Rule"] == "hooks"

    by_rule = run("test-alert", "hooks", config=config)
    assert by_rule.stdout == f"webhook {webhook.url}: test alert delivered (HTTP 200)\n"
    by_url = run("test-alert", f"json://127.0.0.1:{json_catcher.port}/", config=config)
    assert by_url.exit_code == 0 and len(json_catcher.bodies) == 3
    assert len(webhook.received) == 2

    monkeypatch.delenv("WIKIMON_TEST_APPRISE_URL")
    missing = run("test-alert", "desk", config=config)
    assert missing.exit_code == 1 and len(json_catcher.bodies) == 4  # the inline one went out
    assert missing.stderr == (
        "Error: apprise $WIKIMON_TEST_APPRISE_URL: alerts: the environment variable "
        "WIKIMON_TEST_APPRISE_URL is not set; export it with the apprise URL of the channel\n"
    )
    unknown = run("test-alert", "nobody", config=config)
    assert unknown.exit_code != 0
    assert "'nobody' is neither an alert rule (configured: desk, hooks)" in unknown.stderr
