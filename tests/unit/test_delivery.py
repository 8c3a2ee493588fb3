"""Delivery edge cases: recipients refused for now or for good, a message refused for
good, and which scheduled times count as missed when the daemon starts."""

from __future__ import annotations

import signal
import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from digest_helpers import (
    Sample,
    digest_rows,
    sample_fixture,  # noqa: F401
    sample_template_fixture,  # noqa: F401
    write_config,
)

from monitor.config import Config, load_config
from monitor.context import Context
from monitor.delivery.daemon import Daemon
from monitor.delivery.jobs import deliver_pending
from monitor.wording import isolate
from storage import Store, format_time, parse_time
from storage import digests as digest_log

DAY = ("2024-12-04", "2024-12-05")


def test_a_restart_after_a_sent_digest_does_not_send_another(tmp_path: Path) -> None:
    config = load_config(
        write_config(
            tmp_path / "wikimon.yaml",
            "digests:\n  - name: morning\n    schedule: '0 7 * * *'\n    timezone: Europe/Paris\n",
        )
    )
    db = tmp_path / "w.db"
    daemon = Daemon(config, None, str(db))
    digest = config.digest("morning")
    now = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)  # 10:30 in Paris
    assert not daemon.missed(digest, now)  # never run: it waits for its schedule

    store = Store(db)
    with store.transaction():
        record_id = digest_log.record(
            store, name="morning", scheduled=True, window_start="2026-11-26T05:59:50Z",
            window_end="2026-11-27T05:59:50Z", recipients=[], delivery="none",
        )  # fmt: skip
        # made at 07:00:04 Paris time; the window ended before that (the poll horizon)
        store.conn.execute(
            "UPDATE digests SET created_at = '2026-11-27T06:00:04Z' WHERE id = ?", [record_id]
        )
    store.close()
    assert not daemon.missed(digest, now)  # a restart at 10:30: nothing was missed
    tomorrow = datetime(2026, 11, 28, 6, 30, tzinfo=UTC)  # 07:30 Paris, daemon down at 07:00
    assert daemon.missed(digest, tomorrow)


def test_a_stop_before_the_daemon_runs_ends_the_run_once_it_has_started(tmp_path: Path) -> None:
    """The shutdown a stop hands to its thread waits for the scheduler that run() builds
    (it used to die on the missing scheduler, and the run went on)."""
    config = load_config(write_config(tmp_path / "wikimon.yaml", ""))
    daemon = Daemon(config, None, str(tmp_path / "w.db"))
    handlers = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    rescued = threading.Event()

    def rescue() -> None:  # only if the stop was lost: end the run anyway, and say so
        if daemon.scheduler is not None and not daemon.finished.is_set():
            rescued.set()
            daemon.scheduler.shutdown(wait=False)

    safety = threading.Timer(30, rescue)
    daemon.stop(signal.SIGTERM, None)
    safety.start()
    try:
        assert daemon.run() == 0
    finally:
        safety.cancel()
        for number, handler in handlers.items():
            signal.signal(number, handler)
    assert not rescued.is_set()
    assert daemon.finished.is_set() and daemon.stopping.is_set()


def test_a_pending_digest_recorded_without_its_message_is_given_up(tmp_path: Path) -> None:
    """Only a digest with nothing to deliver is recorded without a message, and as sent; a
    pending one without (a damaged record) is given up with why, not sent as nothing."""
    db = tmp_path / "w.db"
    store = Store(db)
    with store.transaction():
        record_id = digest_log.record(
            store, name="d", scheduled=True, window_start=DAY[0], window_end=DAY[1],
            recipients=["you@example.org"], delivery="outbox",
        )  # fmt: skip
    store.close()
    outbox = tmp_path / "outbox"
    context = Context(None, str(db), config=Config(outbox=str(outbox)))
    try:
        (delivery,) = deliver_pending(context)
    finally:
        context.close()
    assert delivery.record_id == record_id
    assert delivery.gave_up
    assert delivery.error == f"digest {record_id} was recorded without its message"
    assert not outbox.exists()
    (row,) = digest_rows(db)
    assert row["failed_at"] is not None and row["sent_at"] is None
    assert row["last_error"] == delivery.error
    store = Store(db)
    try:
        assert digest_log.pending(store) == []
    finally:
        store.close()


def test_a_revert_after_the_window_does_not_change_it(sample: Sample, run) -> None:
    """The window saw the vandalism, not its revert two seconds later: it reports the
    change, with its author, and no reverted edit."""
    vandal = next(c for c in sample.changes if c["reverted_by"] and c["kind"] == "figure_changed")
    start = vandal["timestamp"]
    end = format_time(parse_time(start) + timedelta(seconds=1))
    reverter = next(r for r in sample.revisions if r["revid"] == vandal["reverted_by"])
    assert reverter["timestamp"] >= end
    result = run("digest", "--dry-run", "--since", start, "--until", end)
    assert result.exit_code == 0, result.output
    assert "reverted edit" not in result.stdout
    assert f"by {vandal['user']}" in result.stdout


def test_a_never_polled_tracked_article_limits_the_window_to_its_newest_revision(
    sample: Sample, run, tmp_path: Path, db_path: Path
) -> None:
    """A configured article imported but not polled yet: the window must not close after
    its newest stored revision, or the first poll would store revisions into it."""
    config = write_config(
        tmp_path / "wikimon.yaml",
        "articles:\n  - 2024 Syrian opposition offensives\ndigests:\n  - name: d\n    every: 30d\n",
    )
    result = run("digest", config=config)  # the write marks the configured article tracked
    assert result.exit_code == 0, result.output
    with sqlite3.connect(db_path) as conn:
        ((end,),) = conn.execute("SELECT window_end FROM digests").fetchall()
    assert end == "2024-12-09T14:09:01Z"  # the newest revision, 14:09:00, is inside


def test_bidi_controls_from_the_wiki_cannot_escape_the_isolate() -> None:
    assert isolate("Admin") == "Admin"  # left-to-right text is left alone
    assert isolate("محمد") == "\u2068محمد\u2069"
    # a stray PDI would close the isolate early and the RLO reverse the rest of the line
    assert isolate("محمد\u2069\u202eevil") == "\u2068محمدevil\u2069"


def test_a_password_is_never_sent_in_clear_text_to_another_host(run, tmp_path: Path) -> None:
    config = write_config(
        tmp_path / "wikimon.yaml",
        "smtp:\n  host: smtp.example.org\n  tls: none\n  user: bot@example.org\n"
        "  password_env: WIKIMON_SMTP_PASSWORD\n",
    )
    result = run("digest", config=config)
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: {config}:3: smtp.tls: tls: none would send the password of bot@example.org "
        "in clear text to smtp.example.org; use starttls or ssl\n"
    )
