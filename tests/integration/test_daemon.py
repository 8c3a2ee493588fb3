"""`wikimon run` as a real process against the real local MediaWiki and a real SMTP server."""

from __future__ import annotations

import re
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
from helpers import log_text, read_db, spoil, wait_until
from mediawiki_fixtures import ARTICLE, TestWiki
from smtp_fixtures import SmtpServer

pytestmark = pytest.mark.mediawiki

EVERY = 20  # seconds between digests: edits made at the start fall in the first window


def write_config(
    tmp_path: Path,
    api_url: str,
    smtp_port: int | None,
    *,
    every: int = EVERY,
    retry: str = "1s",
    extra: str = "",
) -> Path:
    smtp = (
        f"smtp:\n  host: 127.0.0.1\n  port: {smtp_port}\n  tls: none\n  retry: {retry}\n"
        if smtp_port
        else ""
    )
    path = tmp_path / "config.yaml"
    path.write_text(
        "contact: wikimon tests <tests@example.org>\n"
        f"wikis:\n  local:\n    api: {api_url}\n"
        "poll:\n  interval: 1s\n  jitter: 0\n"
        f"articles:\n  - title: {ARTICLE}\n"
        f"{smtp}"
        "digests:\n  - name: news\n    to: [reader@example.org]\n"
        f"    every: {every}s\n"
        "log: daemon.log\n" + extra,
        encoding="utf-8",
    )
    return path


def polled(db: Path) -> bool:
    return read_db(db, "SELECT COUNT(*) FROM sync_state WHERE last_poll IS NOT NULL") > 0


def make_edits(wiki: TestWiki) -> dict[str, int]:
    """A casualty update, a vandalism and its revert, a combatant added."""
    text = wiki.revisions(ARTICLE)[-1]["content"]
    casualty = "| casualties2 = {{flagicon|Syrian Arab Republic}} 142 killed"
    combatant = " | {{flagicon|Syrian Arab Republic}} [[Ba'athist Syria]]\n"
    assert casualty in text and combatant in text and "| result = Ongoing" in text
    updated = text.replace(casualty, casualty.replace("142", "154"))
    revids = {"casualty": wiki.edit(ARTICLE, updated, "update toll")}
    vandalised = updated.replace("| result = Ongoing", '| result = Rebel defeat"><b>x</b>')
    revids["vandalism"] = wiki.edit(ARTICLE, vandalised, "lol")
    revids["revert"] = wiki.edit(ARTICLE, updated, "Undo vandalism")
    with_hezbollah = updated.replace(combatant, combatant + " | {{flag|Hezbollah}}\n")
    revids["combatant"] = wiki.edit(ARTICLE, with_hezbollah, "add belligerent")
    return revids


def digests(db: Path) -> list[dict]:
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute("SELECT * FROM digests ORDER BY id")]


def stop(proc: subprocess.Popen) -> tuple[int, str]:
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    return proc.returncode, err.decode()


def test_daemon_polls_and_mails_one_digest_of_the_net_changes(
    mediawiki: TestWiki, smtp_server: SmtpServer, tmp_path: Path, daemon
) -> None:
    db = tmp_path / "w.db"
    proc = daemon(write_config(tmp_path, mediawiki.api_url, smtp_server.port))
    wait_until(lambda: polled(db), "the first poll")
    revids = make_edits(mediawiki)
    (mail,) = smtp_server.wait_for(1)

    text, html = mail.part("plain").replace("\r\n", "\n"), mail.part("html")
    assert mail.rcpt_tos == ["reader@example.org"]
    assert mail.message["Subject"] == "wikimon: 1 article changed — casualties2 154 (+12)"
    for part in (text, html):
        assert "killed: 142 → 154 (+12)" in part
        assert "Hezbollah" in part
        assert "no net change, 1 reverted edit" in part
        assert "Rebel defeat" not in part  # the vandalism is not news
        assert f"diff={revids['casualty']}&amp;oldid=" in part or (
            f"diff={revids['casualty']}&oldid=" in part
        )
        assert f"diff={revids['combatant']}&" in part
        assert "4 edits by 1 editor, 1 revert" in part
    # exactly one change per field: result is listed once, as no net change
    assert text.count("\nresult\n") == 1 and text.count("\ncasualties2\n") == 1

    # recorded once, marked sent, with the Message-ID that went out
    (record,) = [d for d in digests(db) if d["delivery"] != "none"]
    assert record["sent_at"] and record["message_id"] == mail.message["Message-ID"]
    assert record["attempts"] == 1

    # one log line per poll: articles checked, new revisions, changes; together they
    # account for every revision and every change stored
    code, err = stop(proc)
    polls = [
        tuple(map(int, m.groups()))
        for m in re.finditer(
            r"poll local: (\d+) articles? checked, (\d+) new revisions?, (\d+) changes?$",
            log_text(tmp_path),
            re.M,
        )
    ]
    assert len(polls) >= 3 and {checked for checked, _, _ in polls} == {1}
    # and nothing per article without -v
    assert f"{ARTICLE!r}" not in log_text(tmp_path)
    assert "INFO poll local: 1 article added, " in log_text(tmp_path)
    assert sum(new for _, new, _ in polls) == 4 == len(revids)
    assert sum(found for _, _, found in polls) == read_db(db, "SELECT COUNT(*) FROM changes")
    assert code == 0 and "Traceback" not in err
    assert log_text(tmp_path).rstrip().endswith("wikimon run: stopped")
    assert len(smtp_server.received) == 1


def test_with_verbose_the_daemon_logs_each_article_too(
    mediawiki: TestWiki, tmp_path: Path, wikimon_process
) -> None:
    config = write_config(tmp_path, mediawiki.api_url, None, every=3600)
    proc = wikimon_process("-v", "--config", str(config), "--db", str(tmp_path / "w.db"), "run")
    try:
        wait_until(lambda: "poll local: 1 article checked" in log_text(tmp_path), "two polls")
        code, err = stop(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert code == 0 and "Traceback" not in err
    log = log_text(tmp_path)
    assert f"DEBUG poll local: {ARTICLE!r} added (listed in the config)\n" in log
    assert "INFO poll local: 1 article added, " in log
    # the line of each article comes before its poll's summary
    polled = log.index("INFO poll local: 1 article checked")
    assert f"DEBUG poll local: {ARTICLE!r}: no new revisions\n" in log[:polled]


def test_a_digest_held_back_by_an_smtp_outage_arrives_once(
    mediawiki: TestWiki, smtp_server: SmtpServer, tmp_path: Path, daemon
) -> None:
    db = tmp_path / "w.db"
    smtp_server.stop()
    proc = daemon(write_config(tmp_path, mediawiki.api_url, smtp_server.port))
    wait_until(lambda: polled(db), "the first poll")
    make_edits(mediawiki)
    wait_until(
        lambda: read_db(db, "SELECT MAX(attempts) FROM digests WHERE sent_at IS NULL") >= 2,
        "two failed attempts",
    )
    (pending,) = [d for d in digests(db) if d["delivery"] == "smtp"]
    assert f"127.0.0.1:{smtp_server.port}" in pending["last_error"]
    assert proc.poll() is None  # an outage is not fatal

    smtp_server.start()
    (mail,) = smtp_server.wait_for(1)
    assert mail.message["Message-ID"] == pending["message_id"]
    assert "killed: 142 → 154 (+12)" in mail.part("plain")
    time.sleep(3)  # several more delivery rounds: nothing is sent twice
    assert len(smtp_server.received) == 1
    assert stop(proc)[0] == 0
    assert "not delivered" in log_text(tmp_path)


def test_kill_9_between_recording_and_sending_delivers_once_after_restart(
    mediawiki: TestWiki, smtp_server: SmtpServer, tmp_path: Path, daemon
) -> None:
    db = tmp_path / "w.db"
    smtp_server.hold()  # the server takes the message but never says 250
    config = write_config(tmp_path, mediawiki.api_url, smtp_server.port, retry="1h")
    first = daemon(config)
    wait_until(lambda: polled(db), "the first poll")
    make_edits(mediawiki)
    smtp_server.wait_held()
    first.send_signal(signal.SIGKILL)
    first.communicate()
    smtp_server.release()
    (recorded,) = [d for d in digests(db) if d["delivery"] == "smtp"]
    assert recorded["sent_at"] is None and not smtp_server.received

    second = daemon(config)  # the lock died with the first; the digest is sent at start
    (mail,) = smtp_server.wait_for(1)
    assert mail.message["Message-ID"] == recorded["message_id"]
    assert mail.data.replace(b"\r\n", b"\n") == recorded["message"].replace(b"\r\n", b"\n")
    wait_until(lambda: digests(db)[-1]["sent_at"], "the digest marked sent")
    assert [d["window_start"] for d in digests(db)].count(recorded["window_start"]) == 1
    assert stop(second)[0] == 0
    assert len(smtp_server.received) == 1


def test_a_second_daemon_on_the_same_database_is_refused(
    mediawiki: TestWiki, tmp_path: Path, daemon
) -> None:
    config = write_config(tmp_path, mediawiki.api_url, None)
    first = daemon(config)
    wait_until(lambda: polled(tmp_path / "w.db"), "the first poll")
    second = daemon(config)
    _, err = second.communicate(timeout=60)
    assert second.returncode == 1
    assert err.decode() == (
        f"Error: another `wikimon run` (pid {first.pid}) is already running on "
        f"{tmp_path / 'w.db'}; one daemon per database (stop it first, or use another --db)\n"
    )
    assert first.poll() is None
    assert stop(first)[0] == 0


def test_an_unreachable_wiki_is_retried_with_backoff_and_never_kills_the_daemon(
    mediawiki: TestWiki, tmp_path: Path, daemon
) -> None:
    db = tmp_path / "w.db"
    mediawiki.stop()
    # one try per request: the backoff seen is the daemon's, not the client's
    proc = daemon(write_config(tmp_path, mediawiki.api_url, None, extra="http:\n  max_tries: 1\n"))
    wait_until(lambda: log_text(tmp_path).count("poll local: failed") >= 2, "two failures")
    waits = [
        float(line.rsplit("next try in ", 1)[1].split()[0])
        for line in log_text(tmp_path).splitlines()
        if "next try in" in line
    ]
    assert waits[:2] == [2.0, 4.0]  # 1 s interval, doubled at each failure
    assert proc.poll() is None
    mediawiki.start()
    wait_until(lambda: polled(db), "a poll once the wiki is back", timeout=90)
    assert read_db(db, "SELECT COUNT(*) FROM revisions") == 1  # the configured article, added
    code, err = stop(proc)
    assert code == 0 and "Traceback" not in err + log_text(tmp_path)


def test_sigterm_lets_the_poll_in_progress_finish_and_commit(
    mediawiki: TestWiki, tmp_path: Path, daemon
) -> None:
    db = tmp_path / "w.db"
    config = write_config(tmp_path, mediawiki.api_url, None)
    first = daemon(config)
    wait_until(lambda: polled(db), "the first poll")
    assert stop(first) == (0, "")
    # The edits are made while no daemon runs, so the poll the next daemon starts with is
    # the one that finds them (a daemon polling every second would race the edits).
    revids = make_edits(mediawiki)
    mediawiki.slow_api(1500)  # that poll takes a few seconds: SIGTERM lands inside it
    seen = len(mediawiki.api_requests())
    (tmp_path / "daemon.log").unlink()
    proc = daemon(config)
    wait_until(lambda: len(mediawiki.api_requests()) > seen, "a poll in progress")
    code, err = stop(proc)
    assert (code, err) == (0, "")
    assert read_db(db, "SELECT MAX(revid) FROM revisions") == revids["combatant"]
    assert read_db(db, "SELECT COUNT(*) FROM changes") > 0  # analysed before exiting
    lines = log_text(tmp_path).splitlines()
    stopping = next(i for i, x in enumerate(lines) if "received Terminated" in x)
    # the poll that was in progress logged its line after the signal, then the daemon stopped
    assert re.search(r"poll local: 1 article checked, 4 new revisions", lines[stopping + 1])
    assert lines[-1].endswith("wikimon run: stopped") and len(lines) == stopping + 3


def test_a_damaged_database_is_one_log_line_per_job_and_the_daemon_goes_on(
    mediawiki: TestWiki, tmp_path: Path, daemon
) -> None:
    db = tmp_path / "w.db"
    proc = daemon(write_config(tmp_path, mediawiki.api_url, None))
    wait_until(lambda: polled(db), "a first poll")
    spoil(db)
    wait_until(lambda: log_text(tmp_path).count(" is damaged: ") >= 2, "the damage, logged twice")
    assert proc.poll() is None  # still running
    code, err = stop(proc)
    log = log_text(tmp_path)
    assert code == 0 and "Traceback" not in err + log
    damaged = [line for line in log.splitlines() if " is damaged: " in line]
    for line in damaged:
        assert f"ERROR {db} is damaged: " in line and "(PRAGMA integrity_check: " in line, line
        assert line.endswith("`wikimon check` lists what is damaged; restore it from a backup")
