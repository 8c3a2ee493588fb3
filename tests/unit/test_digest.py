"""Digests without the daemon: what a digest says about a window of the bundled history
(net changes, attribution, reverts, filters, thresholds, subject, activity), how scheduled
windows chain across `wikimon digest` runs, the outbox, and config errors of the digest keys.

Expected values come from `wikimon changes --json`, `wikimon revisions --json`, `wikimon
show`/`diff` and the digests table, never from the digest code itself."""

from __future__ import annotations

import email
import email.policy
import fnmatch
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from digest_helpers import (
    TITLE,
    Sample,
    cli_json,
    digest_rows,
    export,
    figure_text,
    minute,
    parse_text,
    revision,
    sample_fixture,  # noqa: F401
    sample_template_fixture,  # noqa: F401
    write_config,
)

from monitor.config import Config, DigestConfig
from monitor.context import Context
from monitor.delivery.digest import previous_fire_time, scheduled_window
from monitor.delivery.jobs import make_digest
from monitor.wording import describe as describe_change
from monitor.wording import one_line
from storage import Revision as StoredRevision
from storage import Store, format_time

DAY = ("2024-12-04T00:00:00Z", "2024-12-05T00:00:00Z")  # 8 edits, 4 of them change facts
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def describe(record: dict[str, Any]) -> str:
    """How the monitor says a change record of `wikimon changes --json`."""
    return describe_change(SimpleNamespace(**record))


def dry_run(run, start: str, end: str, config: Path | None = None) -> str:
    result = run("digest", "--dry-run", "--since", start, "--until", end, config=config)
    assert result.exit_code == 0, result.output
    return result.stdout


def at(moment: str, seconds: float = 0) -> str:
    shifted = datetime.strptime(moment, TIME_FORMAT) + timedelta(seconds=seconds)
    return shifted.strftime(TIME_FORMAT)


def net_records(run, sample: Sample, tmp_path: Path, start: str, end: str) -> list[dict]:
    """`wikimon diff --json` of the article as it stood when the window opened and closed."""
    texts = []
    for moment in (start, end):
        revid = sample.revision_before(moment)["revid"]
        result = run("wikitext", TITLE, "--rev", str(revid))
        assert result.exit_code == 0, result.output
        texts.append(tmp_path / f"{revid}.wiki")
        texts[-1].write_text(result.stdout, encoding="utf-8")
    return cli_json(run, "diff", str(texts[0]), str(texts[1]))


def shown(article) -> set[tuple[str, str]]:
    return {(name, c.text) for name, f in article.fields.items() for c in f.changes}


# -- what a window says ------------------------------------------------------------------------


def test_net_change_of_a_window_is_the_facts_diff(sample: Sample, run, tmp_path: Path):
    records = net_records(run, sample, tmp_path, *DAY)
    article = parse_text(dry_run(run, *DAY))[TITLE]
    assert shown(article) == {(r["field"], describe(r)) for r in records}
    # the two changes of the issue, as `wikimon changes` has them
    window = sample.changes_in(*DAY)
    casualty = next(
        c for c in window
        if c["field"] == "casualties2" and (c["old_number"], c["new_number"]) == (208, 220)
    )  # fmt: skip
    hezbollah = next(c for c in window if c["field"] == "combatant2" and c["item"] == "Hezbollah")
    assert figure_text(casualty) == "killed: 208 → 220 (+12)"
    assert any(
        c.text.startswith(figure_text(casualty) + " (")
        for c in article.fields["casualties2"].changes
    )
    assert "+ Hezbollah" in [c.text for c in article.fields["combatant2"].changes]
    assert hezbollah["kind"] == "item_added"
    before, after = sample.revision_before(DAY[0]), sample.revision_before(DAY[1])
    assert article.net_diff_url == (
        f"{sample.index_url}?diff={after['revid']}&oldid={before['revid']}"
    )


def test_each_net_change_names_the_edit_that_made_it(sample: Sample, run):
    article = parse_text(dry_run(run, *DAY))[TITLE]
    window = sample.changes_in(*DAY)
    checked = set()
    for name, field_text in article.fields.items():
        for line in field_text.changes:
            makers = [
                c for c in window
                if c["field"] == name and c["reverted_by"] is None and describe(c) == line.text
            ]  # fmt: skip
            assert makers, f"{name}: {line.text!r} was made by no edit of the window"
            maker = makers[-1]
            assert line.by == maker["user"]
            assert line.when.startswith(minute(maker["timestamp"]))
            assert line.url == (
                f"{sample.index_url}?diff={maker['revid']}&oldid={maker['parent_revid']}"
            )
            checked.add((name, maker["revid"]))
    assert {"casualties2", "combatant2"} <= {name for name, _ in checked}


def reverted_windows(sample: Sample) -> list[tuple[dict, str, str]]:
    """(vandal edit, start, end) of windows from a reverted edit to just after its revert."""
    by_revid = {r["revid"]: r for r in sample.revisions}
    return [
        (c, c["timestamp"], at(by_revid[c["reverted_by"]]["timestamp"], 1))
        for c in sample.changes
        if c["reverted_by"] is not None
    ]


def test_vandalism_reverted_inside_the_window_is_no_net_change(sample: Sample, run):
    found = None
    for vandal, start, end in reverted_windows(sample):
        before = cli_json(run, "show", TITLE, "--at", str(sample.revision_before(start)["revid"]))
        after = cli_json(run, "show", TITLE, "--at", str(sample.revision_before(end)["revid"]))
        if before["fields"].get(vandal["field"]) == after["fields"].get(vandal["field"]):
            found = vandal, start, end
            break
    assert found is not None, "the sample has a vandalism reverted to the same value"
    vandal, start, end = found
    reverted = {
        c["revid"] for c in sample.changes_in(start, end)
        if c["field"] == vandal["field"] and c["reverted_by"] is not None
    }  # fmt: skip
    assert len(reverted) == 1
    text = dry_run(run, start, end)
    field_text = parse_text(text)[TITLE].fields[vandal["field"]]
    assert field_text.changes == []
    assert field_text.no_net_change is not None
    assert field_text.no_net_change.startswith("no net change, 1 reverted edit")
    assert vandal["new"] not in text  # the vandalised value is not news


def test_field_filter_drops_other_fields(sample: Sample, run, tmp_path: Path):
    config = write_config(
        tmp_path / "wikimon.yaml", "digests:\n  - name: d\n    fields: [casualties*]\n"
    )
    filtered = parse_text(dry_run(run, *DAY, config=config))[TITLE]
    unfiltered = parse_text(dry_run(run, *DAY))[TITLE]
    edited = {c["field"] for c in sample.changes_in(*DAY)}
    assert set(unfiltered.fields) == edited
    assert set(filtered.fields) == {f for f in edited if fnmatch.fnmatchcase(f, "casualties*")}
    assert edited - set(filtered.fields)  # there was something to drop
    for name in filtered.fields:
        assert filtered.fields[name] == unfiltered.fields[name]


def _kept(record: dict[str, Any], min_change: int | None, min_percent: float | None) -> bool:
    moved = abs(record["new_number"] - record["old_number"])
    by_change = min_change is not None and moved >= min_change
    by_percent = min_percent is not None and moved * 100 >= min_percent * abs(record["old_number"])
    return by_change or by_percent


@pytest.mark.parametrize(
    "min_change, min_percent, shows",
    [
        (10, 50, "kept by min_change alone"),
        (100, 15, "kept by min_percent alone"),
        (20, 10, "dropped under both"),
        (13, None, "dropped under min_change"),
        (None, 20, "dropped under min_percent"),
    ],
)
def test_thresholds(
    sample: Sample,
    run,
    tmp_path: Path,
    min_change: int | None,
    min_percent: float | None,
    shows: str,
):
    lines = ["digests:", "  - name: d"]
    lines += [f"    min_change: {min_change}"] if min_change is not None else []
    lines += [f"    min_percent: {min_percent}"] if min_percent is not None else []
    config = write_config(tmp_path / "wikimon.yaml", "\n".join(lines) + "\n")
    records = net_records(run, sample, tmp_path, *DAY)
    figures = [r for r in records if r["kind"] == "figure_changed"]
    kept = [r for r in figures if _kept(r, min_change, min_percent)]
    dropped = [r for r in figures if not _kept(r, min_change, min_percent)]
    if shows == "kept by min_change alone":
        assert any(_kept(r, min_change, None) and not _kept(r, None, min_percent) for r in kept)
    elif shows == "kept by min_percent alone":
        assert any(_kept(r, None, min_percent) and not _kept(r, min_change, None) for r in kept)
    else:
        assert any(figure_text(r) == "killed: 208 → 220 (+12)" for r in dropped)
    article = parse_text(dry_run(run, *DAY, config=config))[TITLE]
    figure_lines = {(r["field"], describe(r)) for r in figures}
    assert shown(article) & figure_lines == {(r["field"], describe(r)) for r in kept}
    # thresholds are about figures: items are always news
    others = {(r["field"], describe(r)) for r in records if r["kind"] != "figure_changed"}
    assert others and others <= shown(article)
    for name in {r["field"] for r in dropped} - {r["field"] for r in kept}:
        assert name not in article.fields  # no empty field heading


# -- articles and digests with nothing to say --------------------------------------------------

BOX = "{{{{Infobox military conflict\n| conflict = {name}\n| casualties1 = {killed} killed\n}}}}\n"


def import_more_articles(run, tmp_path: Path) -> None:
    """Busy article: one figure change in DAY; Prose article: an edit in DAY that leaves the
    infobox as it was; Quiet article: edits long before."""
    busy = [
        revision(501, "2024-11-01T10:00:00Z", "Alice", BOX.format(name="Busy", killed="1,000")),
        revision(502, "2024-12-04T12:00:00Z", "Bob", BOX.format(name="Busy", killed="500,000")),
    ]
    prose = [
        revision(601, "2024-11-01T10:00:00Z", "Alice", BOX.format(name="Prose", killed="5")),
        revision(
            602, "2024-12-04T13:00:00Z", "Bob", BOX.format(name="Prose", killed="5") + "More."
        ),
    ]
    quiet = [
        revision(701, "2024-11-01T10:00:00Z", "Alice", BOX.format(name="Quiet", killed="5")),
        revision(702, "2024-11-02T10:00:00Z", "Bob", BOX.format(name="Quiet", killed="6")),
    ]
    for title, page_id, revisions in [
        ("Busy article", 50, busy), ("Prose article", 60, prose), ("Quiet article", 70, quiet)
    ]:  # fmt: skip
        path = export(tmp_path / f"{page_id}.xml", title, page_id, revisions)
        result = run("import", str(path))
        assert result.exit_code == 0, result.output


def test_articles_with_nothing_to_say_are_left_out(sample: Sample, run, tmp_path: Path):
    import_more_articles(run, tmp_path)
    statuses = cli_json(run, "status")
    assert len(statuses) == 4
    articles = parse_text(dry_run(run, *DAY))
    assert set(articles) == {TITLE, "Busy article"}
    busy = articles["Busy article"]
    assert set(busy.fields) == {"casualties1"}
    assert (busy.edits, busy.editors, busy.reverts, busy.created) == (1, 1, 0, False)


def quiet_window(sample: Sample) -> tuple[str, str]:
    """One second around an edit of the article that changed no fact."""
    changed = {c["revid"] for c in sample.changes}
    quiet = next(r for r in sample.revisions[1:] if r["revid"] not in changed)
    return quiet["timestamp"], at(quiet["timestamp"], 1)


def test_an_empty_digest_is_not_sent(sample: Sample, run, tmp_path: Path):
    start, end = quiet_window(sample)
    assert len(sample.revisions_in(start, end)) == 1  # the article was edited, yet
    result = run("digest", "--dry-run", "--since", start, "--until", end)
    assert result.exit_code == 0 and result.stdout == ""
    assert "nothing to say" in result.stderr
    assert digest_rows(tmp_path / "wikimon.db") == []  # a dry run records nothing

    result = run("digest", "--since", start, "--until", end)
    assert result.exit_code == 0, result.output
    assert "nothing to say; not sent" in result.stdout
    (row,) = digest_rows(tmp_path / "wikimon.db")
    assert (row["delivery"], row["message"], row["subject"]) == ("none", None, None)
    assert row["sent_at"] is not None  # its window is closed
    assert (row["window_start"], row["window_end"]) == (start, end)
    assert not (tmp_path / "outbox").exists()


def test_send_empty_sends_the_empty_digest(sample: Sample, run, tmp_path: Path):
    config = write_config(
        tmp_path / "wikimon.yaml", "digests:\n  - name: d\n    send_empty: true\n"
    )
    result = run("digest", "--since", "2024-10-01", "--until", "2024-10-02", config=config)
    assert result.exit_code == 0, result.output
    (row,) = digest_rows(tmp_path / "wikimon.db")
    assert row["delivery"] == "outbox" and row["sent_at"] is not None
    (path,) = (tmp_path / "outbox").glob("*.eml")
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert path.read_bytes() == row["message"]
    assert message["Subject"] == row["subject"]
    assert message["Subject"].startswith("wikimon: no changes in the facts")
    assert "No changes in the facts" in message.get_body(("plain",)).get_content()


# -- subject and activity ----------------------------------------------------------------------


def outbox_subject(run, tmp_path: Path, config: Path | None = None) -> str:
    result = run("digest", "--since", DAY[0], "--until", DAY[1], config=config)
    assert result.exit_code == 0, result.output
    row = digest_rows(tmp_path / "wikimon.db")[-1]
    (path,) = [p for p in (tmp_path / "outbox").glob("*.eml") if p.read_bytes() == row["message"]]
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert message["Subject"] == row["subject"]
    return message["Subject"]


def headline(records: list[dict[str, Any]]) -> str:
    figures = [r for r in records if r["kind"] == "figure_changed"]
    top = max(figures, key=lambda r: abs(r["new_number"] - r["old_number"]))
    delta = top["new_number"] - top["old_number"]
    return f"{top['field']} {top['new_number']:,} ({delta:+,})"


@pytest.mark.parametrize("fields", [None, "casualties*", "casualties2"])
def test_subject_names_the_biggest_figure_change(
    sample: Sample, run, tmp_path: Path, fields: str | None
):
    text = "digests:\n  - name: d\n" + (f"    fields: [{fields}]\n" if fields else "")
    config = write_config(tmp_path / "wikimon.yaml", text)
    records = [
        r for r in net_records(run, sample, tmp_path, *DAY)
        if fields is None or fnmatch.fnmatchcase(r["field"], fields)
    ]  # fmt: skip
    subject = outbox_subject(run, tmp_path, config)
    assert subject == f"wikimon: 1 article changed — {headline(records)}"
    if fields == "casualties2":
        assert subject == "wikimon: 1 article changed — casualties2 220 (+12)"


def test_subject_counts_articles(sample: Sample, run, tmp_path: Path):
    import_more_articles(run, tmp_path)
    (busy,) = cli_json(run, "changes", "Busy article")
    records = net_records(run, sample, tmp_path, *DAY) + [busy]
    subject = outbox_subject(run, tmp_path)
    assert subject == f"wikimon: 2 articles changed — {headline(records)}"
    assert headline(records).startswith("casualties1 500,000")


def identity_reverts(revisions: list[dict[str, Any]]) -> set[int]:
    """Revisions restoring the text of one of the 15 before them (not the one just before:
    that is a null edit), as MediaWiki counts reverts."""
    reverts = set()
    for i, rev in enumerate(revisions):
        for j in range(i - 1, max(-1, i - 16), -1):
            if revisions[j]["sha1"] == rev["sha1"]:
                if j < i - 1:
                    reverts.add(rev["revid"])
                break
    return reverts


@pytest.mark.parametrize(
    "start, end",
    [
        DAY,
        ("2024-11-27T00:00:00Z", "2024-11-28T00:00:00Z"),
        ("2024-11-29T00:00:00Z", "2024-11-30T00:00:00Z"),
        ("2024-12-08T00:00:00Z", "2024-12-09T00:00:00Z"),
    ],
)
def test_activity_line_counts_the_window(sample: Sample, run, start: str, end: str):
    article = parse_text(dry_run(run, start, end))[TITLE]
    revisions = sample.revisions_in(start, end)
    editors = {r["user"] for r in revisions if not r["userhidden"]}
    reverts = identity_reverts(sample.revisions) & {r["revid"] for r in revisions}
    assert (article.edits, article.editors, article.reverts) == (
        len(revisions), len(editors), len(reverts)
    )  # fmt: skip
    assert article.created == (start <= sample.revisions[0]["timestamp"] < end)


def test_the_activity_windows_include_reverts(sample: Sample):
    # the activity test above is not all zeros: 2024-11-29 has reverts
    reverts = identity_reverts(sample.revisions)
    day = sample.revisions_in("2024-11-29T00:00:00Z", "2024-11-30T00:00:00Z")
    assert {r["revid"] for r in day} & reverts


# -- windows -----------------------------------------------------------------------------------


def test_scheduled_windows_chain_across_runs(sample: Sample, run, tmp_path: Path):
    config = write_config(tmp_path / "wikimon.yaml", "digests:\n  - name: d\n    every: 1h\n")
    db = tmp_path / "wikimon.db"
    now = datetime(2026, 6, 1, 10, 0, 0, tzinfo=UTC)
    assert run("digest", config=config, clock=lambda: now).exit_code == 0
    (first,) = digest_rows(db)
    start, end = (datetime.strptime(first[k], TIME_FORMAT) for k in ("window_start", "window_end"))
    assert end - start == timedelta(hours=1)  # a first digest covers one period

    # neither a dry run nor an ad hoc digest moves the chain
    assert run("digest", "--dry-run", config=config).exit_code == 0
    assert len(digest_rows(db)) == 1
    result = run("digest", "--since", DAY[0], "--until", DAY[1], "--to", "x@example.org",
                 config=config)  # fmt: skip
    assert result.exit_code == 0, result.output
    adhoc = digest_rows(db)[-1]
    assert (adhoc["name"], adhoc["scheduled"]) == ("", 0)
    assert (adhoc["window_start"], adhoc["window_end"]) == DAY
    assert adhoc["recipients"] == '["x@example.org"]'

    for hours in (1, 3):  # an hour later, then two: every run takes up where the last ended
        later = now + timedelta(hours=hours)
        assert run("digest", config=config, clock=lambda later=later: later).exit_code == 0
    scheduled = [r for r in digest_rows(db) if r["scheduled"]]
    assert [r["name"] for r in scheduled] == ["d", "d", "d"]
    assert [(r["window_start"], r["window_end"]) for r in scheduled] == [
        ("2026-06-01T09:00:00Z", "2026-06-01T10:00:00Z"),
        ("2026-06-01T10:00:00Z", "2026-06-01T11:00:00Z"),
        ("2026-06-01T11:00:00Z", "2026-06-01T13:00:00Z"),
    ]


def test_chained_windows_say_each_change_once(sample: Sample, tmp_path: Path, db_path: Path):
    # boundaries on the very second of two edits: [.., 09:45:00) and [09:45:00, ..)
    ends = ["2024-12-04T06:00:00Z", "2024-12-04T09:45:00Z", "2024-12-04T15:51:00Z", DAY[1]]
    assert {e for e in ends if any(c["timestamp"] == e for c in sample.changes)} == set(ends[1:3])
    digest = DigestConfig("d", every=6 * 3600.0)
    context = Context(None, str(db_path), config=Config(outbox=str(tmp_path / "outbox")))
    said: list[tuple[str, str]] = []
    try:
        for end in ends:
            now = datetime.strptime(end, TIME_FORMAT).replace(tzinfo=UTC)
            assert make_digest(context, digest, now=now, dry_run=True).record_id is None
            outcome = make_digest(context, digest, now=now)
            assert outcome.record_id is not None
            if outcome.text is not None:
                for article in parse_text(outcome.text).values():
                    said += sorted(shown(article))
            # the same moment again: nothing new to cover
            assert make_digest(context, digest, now=now).digest is None
    finally:
        context.close()
    rows = digest_rows(db_path)
    assert [(r["window_start"], r["window_end"]) for r in rows] == list(
        zip([DAY[0]] + ends[:-1], ends, strict=True)
    )
    whole_day = [
        (c["field"], describe(c)) for c in sample.changes_in(*DAY) if c["reverted_by"] is None
    ]
    assert sorted(said) == sorted(whole_day)  # none lost at a boundary, none said twice


def test_first_window_of_a_cron_schedule():
    paris = DigestConfig("d", cron="0 7 * * *", timezone="Europe/Paris")
    for day in (datetime(2024, 12, 4), datetime(2024, 7, 4)):  # winter and summer time
        seven = day.replace(hour=7, tzinfo=ZoneInfo("Europe/Paris")).astimezone(UTC)
        assert previous_fire_time(paris, seven + timedelta(hours=3)) == seven
        assert previous_fire_time(paris, seven + timedelta(hours=23)) == seven


def test_a_digest_run_when_its_schedule_fires_covers_the_day_before():
    # the daemon's job runs on the fire time itself: the first window is the day that
    # ended then, not the empty period [07:00, 07:00)
    daily = DigestConfig("d", cron="0 7 * * *")
    fire = datetime(2024, 12, 4, 7, 0, 0, 250_000, tzinfo=UTC)
    assert scheduled_window(daily, None, fire, None) == (
        "2024-12-03T07:00:00Z", "2024-12-04T07:00:00Z"
    )  # fmt: skip


def test_scheduled_window_stops_at_the_poll_horizon():
    daily = DigestConfig("d", cron="0 7 * * *")
    now = datetime(2024, 12, 4, 7, 0, 5, tzinfo=UTC)
    last = "2024-12-03T06:59:50Z"
    assert scheduled_window(daily, last, now, "2024-12-04T06:59:50Z") == (
        last, "2024-12-04T06:59:50Z"
    )  # fmt: skip
    assert scheduled_window(daily, last, now, last) is None  # no poll since: wait
    assert scheduled_window(daily, last, now, None) == (last, "2024-12-04T07:00:05Z")


def test_one_line_leaves_nothing_to_start_a_line():
    text = "Evil\r\nBcc: victim@example.org\u2028To: x\u0085\x0bend\t"
    assert one_line(text) == "Evil Bcc: victim@example.org To: x end"
    assert one_line("x" * 300, 20) == "x" * 19 + "…"


# -- dry run, outbox ---------------------------------------------------------------------------


def test_dry_run_prints_the_text_part_it_would_send(sample: Sample, run, tmp_path: Path):
    text = dry_run(run, *DAY)
    assert digest_rows(tmp_path / "wikimon.db") == []
    assert not (tmp_path / "outbox").exists()
    result = run("digest", "--since", DAY[0], "--until", DAY[1])
    assert result.exit_code == 0, result.output
    (path,) = (tmp_path / "outbox").glob("*.eml")
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert message.get_body(("plain",)).get_content().replace("\r\n", "\n") == text


def test_outbox_gets_one_file_per_digest_and_redelivery_rewrites_it(
    sample: Sample, run, tmp_path: Path
):
    db, outbox = tmp_path / "wikimon.db", tmp_path / "outbox"  # the embedded default
    for start, end in [DAY, ("2024-12-06", "2024-12-07")]:
        result = run("digest", "--since", start, "--until", end)
        assert result.exit_code == 0, result.output
        assert "delivered to" in result.stdout
    rows = digest_rows(db)
    files = sorted(outbox.glob("*.eml"))
    assert len(rows) == len(files) == 2
    assert {p.read_bytes() for p in files} == {r["message"] for r in rows}
    assert all(r["delivery"] == "outbox" and r["sent_at"] for r in rows)

    # a crash after writing the file, before marking it sent: it is delivered again
    first = next(p for p in files if p.read_bytes() == rows[0]["message"])
    first.write_bytes(b"torn")
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE digests SET sent_at = NULL WHERE id = ?", [rows[0]["id"]])
    conn.close()
    result = run("digest")
    assert result.exit_code == 0, result.output
    assert (
        f"digest ad hoc: 2024-12-04T00:00:00Z – 2024-12-05T00:00:00Z (pending since an "
        f"earlier run, digest {rows[0]['id']}): delivered to outbox/{first.name}\n"
    ) in result.stdout
    assert sorted(outbox.iterdir()) == files  # the same file, no copy, no leftovers
    assert first.read_bytes() == rows[0]["message"]
    assert digest_rows(db)[0]["sent_at"] is not None


# -- config ------------------------------------------------------------------------------------

CONFIG_HEAD = "# wikimon\ncontact: me@example.org\n\n"


@pytest.mark.parametrize(
    "body, key, marker",
    [
        ("digests:\n  - name: d\n    schedule: '61 * * * *'\n", "digests.0.schedule", "schedule"),
        ("digests:\n  - name: d\n    schedule: every day\n", "digests.0.schedule", "schedule"),
        ("digests:\n  - name: d\n    timezone: Mars/Olympus\n", "digests.0.timezone", "timezone"),
        ("smtp:\n  host: smtp.example.org\n  password: hunter2\n", "smtp.password", "password"),
        ("smtp:\n  host: smtp.example.org\n  tls: maybe\n", "smtp.tls", "tls"),
        ("smtp:\n  host: smtp.example.org\n  port: 0\n", "smtp.port", "port"),
        ("smtp:\n  host: smtp.example.org\n  user: me\n", "smtp.user", "user"),
        ("smtp:\n  host: smtp.example.org\n  hots: x\n", "smtp.hots", "hots"),
        ("smtp:\n  host: h\n  from: 'a@b.org\\nBcc: c@d.org'\n", "smtp.from", "from"),
        (
            "digests:\n  - name: d\n    to:\n      - ok@example.org\n      - not-an-address\n",
            "digests.0.to.1",
            "not-an-address",
        ),
        ("digests:\n  - name: d\n    to: 'a@b.org, c@d.org'\n", "digests.0.to", "to:"),
        ("digests:\n  - name: d\n    colour: red\n", "digests.0.colour", "colour"),
        ("digest:\n  - name: d\n", "digest", "digest:"),
        ("digests:\n  - name: d\n    every: 10 minutes\n", "digests.0.every", "every"),
        ("digests:\n  - name: d\n    every: 0\n", "digests.0.every", "every"),
        (
            "digests:\n  - name: d\n    every: 1h\n    schedule: '0 7 * * *'\n",
            "digests.0.every",
            "every",
        ),
        ("digests:\n  - name: d\n    min_change: -1\n", "digests.0.min_change", "min_change"),
        ("digests:\n  - name: d\n    send_empty: maybe\n", "digests.0.send_empty", "send_empty"),
        ("poll:\n  interval: soon\n", "poll.interval", "interval"),
        ("report_url: javascript:alert(1)\n", "report_url", "report_url"),
    ],
)
def test_config_errors_name_file_line_and_key(
    run, tmp_path: Path, body: str, key: str, marker: str
):
    config = write_config(tmp_path / "wikimon.yaml", CONFIG_HEAD + body)
    line = next(i for i, text in enumerate((CONFIG_HEAD + body).splitlines(), 1) if marker in text)
    result = run("digest", "--dry-run", config=config)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert result.stderr.startswith(f"Error: {config}:{line}: {key}: ")
    assert result.stderr.count("\n") == 1
    assert "hunter2" not in result.stderr  # a password is never repeated


def test_durations_and_defaults(tmp_path: Path):
    from monitor.config import load_config

    config = load_config(
        write_config(
            tmp_path / "wikimon.yaml",
            "poll:\n  interval: 10m\n  jitter: 0\ndigests:\n  - name: d\n    every: 1.5h\n"
            "    fields: casualties*\n    to: a@example.org\n",
        )
    )
    assert (config.poll_interval, config.poll_jitter) == (600.0, 0.0)
    (digest,) = config.digests
    assert (digest.every, digest.fields, digest.to) == (
        5400.0,
        ("casualties*",),
        ("a@example.org",),
    )
    assert config.outbox == str(tmp_path / "outbox")  # next to the config, not the cwd
    assert digest.wants_field("casualties12") and not digest.wants_field("combatant1")


# -- new articles and baselines ----------------------------------------------------------------

NEW_BOX = (
    "{{{{Infobox military conflict\n| conflict = Skirmish\n| combatant1 = {combatants}\n"
    "| casualties1 = {killed} killed\n}}}}\nText."
)


def test_an_article_created_in_the_window(sample: Sample, run, tmp_path: Path):
    revisions = [
        revision(801, "2024-12-04T01:00:00Z", "Founder",
                 NEW_BOX.format(combatants="Red army<br>Blue army", killed="10")),
        revision(802, "2024-12-04T02:00:00Z", "Editor",
                 NEW_BOX.format(combatants="Red army<br>Blue army<br>Green militia", killed="25")),
    ]  # fmt: skip
    path = export(tmp_path / "new.xml", "New battle", 80, revisions)
    assert run("import", str(path)).exit_code == 0
    (founder, editor) = cli_json(run, "revisions", "New battle")
    later = cli_json(run, "changes", "New battle")
    assert {c["user"] for c in later} == {editor["user"]}
    article = parse_text(dry_run(run, *DAY))["New battle"]
    assert article.created and (article.edits, article.editors) == (2, 2)
    assert set(article.fields) == {"conflict", "combatant1", "casualties1"}  # no "*" or such
    by = {(name, c.text): c.by for name, f in article.fields.items() for c in f.changes}
    # what the creation said was said by its author, unless a later edit said it
    added_later = {(c["field"], describe(c)) for c in later if c["kind"] == "item_added"}
    assert added_later == {("combatant1", "+ Green militia")}
    assert by == {
        ("conflict", "+ Skirmish"): founder["user"],
        ("combatant1", "+ Red army"): founder["user"],
        ("combatant1", "+ Blue army"): founder["user"],
        ("combatant1", "+ Green militia"): editor["user"],
        ("casualties1", "+ 25 killed"): editor["user"],
    }
    assert all(len(c.edits) == 1 for f in article.fields.values() for c in f.changes)


def test_a_baseline_revision_is_not_a_new_article(sample: Sample, run, tmp_path: Path):
    # `wikimon add` stores the current revision of an old article: its parent is not
    # stored. A digest covering it must not announce every fact of the infobox as new.
    revisions = [
        revision(901, "2024-12-04T01:00:00Z", "Someone",
                 NEW_BOX.format(combatants="Red army<br>Blue army", killed="10"), parentid=900),
        revision(902, "2024-12-04T02:00:00Z", "Editor",
                 NEW_BOX.format(combatants="Red army<br>Blue army", killed="25")),
    ]  # fmt: skip
    path = export(tmp_path / "old.xml", "Old battle", 90, revisions)
    assert run("import", str(path)).exit_code == 0
    assert cli_json(run, "revisions", "Old battle")[0]["parent_revid"] == 900
    later = cli_json(run, "changes", "Old battle")
    article = parse_text(dry_run(run, *DAY))["Old battle"]
    assert not article.created
    assert shown(article) == {(c["field"], describe(c)) for c in later}
    (change,) = article.fields["casualties1"].changes
    assert change.by == "Editor" and change.text.startswith("killed: 10 → 25 (+15)")


def test_a_range_end_moving_passes_the_thresholds():
    """min_change applies to both ends of a range: "60–70 → 60–80 killed" moves by 10
    though its low end (the record's number) stays."""
    from monitor.config import DigestConfig
    from monitor.core.diff import diff_wikitext
    from monitor.delivery.digest import _figure_ends

    box = "{{Infobox military conflict\n| casualties1 = {{flagicon|Syrian opposition}} %s\n}}"
    (record,) = diff_wikitext(box % "60–70 killed", box % "60–80 killed")
    digest = DigestConfig("daily", min_change=5)
    assert not digest.wants_figure_change(record.old_number, record.new_number)
    assert any(digest.wants_figure_change(a, b) for a, b in _figure_ends(record))
    (small,) = diff_wikitext(box % "60–70 killed", box % "60–72 killed")
    assert not any(digest.wants_figure_change(a, b) for a, b in _figure_ends(small))


# -- the first window ----------------------------------------------------------------------------


def track(db: Path, when: datetime, title: str, page_id: int, revisions: list[dict]) -> None:
    """What `wikimon add` and the polls after it leave: a page tracked since ``when`` (the
    store's clock), its current revision then and the revisions polled since."""
    store = Store(db, clock=lambda: when)
    try:
        page = store.upsert_page("enwiki", page_id, title, tracked=True)
        store.writer(page).write(
            StoredRevision(
                revid=r["revid"],
                parent_revid=r["parentid"] or None,
                timestamp=r["timestamp"],
                user=r["user"],
                text=r["content"],
                sha1=r["sha1"],
            )  # fmt: skip
            for r in revisions
        )
    finally:
        store.close()


def set_last_poll(db: Path, moment: str) -> None:
    store = Store(db)
    try:
        for page in store.pages(tracked_only=True):
            store.update_sync_state(page, last_poll=moment)
    finally:
        store.close()


def at_utc(moment: str) -> datetime:
    return datetime.strptime(moment, TIME_FORMAT).replace(tzinfo=UTC)


def test_the_first_window_starts_where_the_tracked_data_starts(run, tmp_path: Path):
    """Articles added on Monday, polled on Tuesday, the daemon's first daily digest on
    Thursday at 07:00: Tuesday's edit is in it (one period back would have lost it)."""
    db = tmp_path / "wikimon.db"
    monday = at_utc("2026-03-02T08:00:00Z")
    track(db, monday, "Old battle", 60, [
        revision(601, "2025-06-01T00:00:00Z", "Someone",
                 NEW_BOX.format(combatants="Red army", killed="10"), parentid=600),
        revision(602, "2026-03-03T09:30:00Z", "Tuesday",
                 NEW_BOX.format(combatants="Red army", killed="25")),
    ])  # fmt: skip
    thursday = at_utc("2026-03-05T07:00:00Z")
    set_last_poll(db, "2026-03-05T06:59:00Z")
    config = write_config(tmp_path / "wikimon.yaml", (
        "digests:\n  - name: daily\n    schedule: '0 7 * * *'\n"
        "  - name: weekly\n    schedule: '0 7 * * mon'\n"
    ))  # fmt: skip
    result = run("digest", "--dry-run", "--name", "daily", config=config, clock=lambda: thursday)
    assert result.exit_code == 0, result.output
    (line,) = parse_text(result.stdout)["Old battle"].fields["casualties1"].changes
    assert line.text.startswith("killed: 10 → 25 (+15)") and line.by == "Tuesday"
    result = run("digest", "--name", "daily", config=config, clock=lambda: thursday)
    assert result.exit_code == 0, result.output
    (daily,) = digest_rows(db)
    tracked_since = format_time(monday - timedelta(seconds=10))  # HORIZON_MARGIN
    assert (daily["window_start"], daily["window_end"]) == (tracked_since, "2026-03-05T06:58:50Z")
    assert b"Tuesday" in daily["message"]
    # the next windows chain from there; a digest configured later starts where the other
    # digests' coverage ends (what they reported is not all news again), at most one period
    # of its own schedule back
    friday = at_utc("2026-03-06T07:00:00Z")
    set_last_poll(db, "2026-03-06T06:59:00Z")
    for name in ("daily", "weekly"):
        assert run("digest", "--name", name, config=config, clock=lambda: friday).exit_code == 0
    windows = {(r["name"], r["window_start"], r["window_end"]) for r in digest_rows(db)}
    assert windows == {
        ("daily", tracked_since, "2026-03-05T06:58:50Z"),
        ("daily", "2026-03-05T06:58:50Z", "2026-03-06T06:58:50Z"),
        ("weekly", "2026-03-02T07:00:00Z", "2026-03-06T06:58:50Z"),  # Monday 07:00
    }


def test_an_imported_archive_is_history_not_news(sample: Sample, run, tmp_path: Path):
    """Not tracked, never polled: the first window is one period back, not the archive."""
    config = write_config(tmp_path / "wikimon.yaml", "digests:\n  - name: d\n    every: 1h\n")
    now = datetime(2026, 6, 1, 10, 0, 0, tzinfo=UTC)
    assert run("digest", config=config, clock=lambda: now).exit_code == 0
    (row,) = digest_rows(tmp_path / "wikimon.db")
    assert (row["window_start"], row["window_end"]) == (
        "2026-06-01T09:00:00Z", "2026-06-01T10:00:00Z",
    )  # fmt: skip
