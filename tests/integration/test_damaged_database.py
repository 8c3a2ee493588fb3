"""A damaged database file, as `wikimon` processes meet it (issue 12): every command says so
in one line that names the file and gives `PRAGMA integrity_check`'s verdict, and exits
non-zero; `wikimon check` looks on demand, down to every stored revision; the daemon logs
the line and goes on. And a database this user cannot write is still read."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from digest_helpers import (
    TITLE,
    Sample,
    copy_database,
    sample_fixture,  # noqa: F401
    sample_template_fixture,  # noqa: F401
)
from helpers import WIKIMON, copy_sample, spoil


def wikimon(db: Path, *args: str, user: list[str] | None = None) -> subprocess.CompletedProcess:
    """``user``: a command that runs the rest as another user."""
    result = subprocess.run(
        [*(user or []), *WIKIMON, "--db", str(db), *args],
        capture_output=True, text=True, timeout=300, cwd=db.parent,
    )  # fmt: skip
    assert "Traceback" not in result.stderr, result.stderr
    return result


@pytest.fixture
def spoilt(sample: Sample, db_path: Path) -> Path:
    spoil(db_path)
    return db_path


@pytest.mark.parametrize(
    "command",
    [
        ["status"],
        ["status", "--json"],
        ["changes", TITLE],
        ["show", TITLE],
        ["revisions", TITLE],
        ["report", "--out", "out"],
        ["digest", "--dry-run", "--since", "2024-12-01", "--until", "2024-12-09"],
        ["import", "SAMPLE"],
        ["reanalyze"],
    ],
    ids=lambda command: command[0] + ("-json" if "--json" in command else ""),
)
def test_every_command_says_the_database_is_damaged_in_one_line(
    spoilt: Path, command: list[str]
) -> None:
    if command == ["import", "SAMPLE"]:
        command = ["import", str(copy_sample(spoilt.parent))]
    before = spoilt.read_bytes()
    result = wikimon(spoilt, *command)
    assert result.returncode == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"Error: {spoilt} is damaged: "), line
    assert "(PRAGMA integrity_check: " in line
    assert line.endswith("`wikimon check` lists what is damaged; restore it from a backup")
    assert result.stdout == ""
    assert spoilt.read_bytes() == before  # nothing written over it
    assert not (spoilt.parent / "out").exists()


def test_an_empty_file_is_not_taken_for_a_new_database(tmp_path: Path) -> None:
    db = tmp_path / "cut-short.db"
    db.write_bytes(b"")
    for command in (["status"], ["import", str(copy_sample(tmp_path))]):
        result = wikimon(db, *command)
        assert result.returncode == 1
        assert result.stderr == (
            f"Error: {db} is damaged: the file is empty (0 bytes) (PRAGMA integrity_check: ok, "
            "as an empty file has nothing in it to check); `wikimon check` lists what is "
            "damaged; restore it from a backup\n"
        )
    assert db.stat().st_size == 0
    check = wikimon(db, "check")
    assert check.returncode == 1
    assert check.stdout.splitlines()[-1] == (
        f"{db} is damaged: an empty file. Restore it from a backup."
    )


def test_check_finds_no_damage_in_a_sound_database(sample: Sample, db_path: Path) -> None:
    result = wikimon(db_path, "check")
    assert result.returncode == 0, result.stdout + result.stderr
    with sqlite3.connect(db_path) as conn:
        (texts,) = conn.execute("SELECT COUNT(content) FROM revisions").fetchone()
    conn.close()
    assert 0 < texts < len(sample.revisions)  # one was deleted on the wiki
    assert result.stdout == (
        f"{db_path}: PRAGMA integrity_check: ok\n"
        f"{db_path}: {len(sample.revisions)} revisions of 1 page read back: {texts} texts, "
        f"{texts} decoded, {texts} match their sha1\n"
        "No damage found.\n"
    )


def test_check_lists_what_sqlite_finds(spoilt: Path) -> None:
    result = wikimon(spoilt, "check")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"{spoilt}: PRAGMA integrity_check: ")
    assert lines[0] != f"{spoilt}: PRAGMA integrity_check: ok"
    assert lines[-1].startswith(f"{spoilt} is damaged: ")
    assert lines[-1].endswith(". Restore it from a backup.")
    assert len(lines) <= 50  # the first problems, and how many more


def test_check_reads_every_revision_back(sample: Sample, db_path: Path) -> None:
    """Damage SQLite cannot see: a stored delta with bytes changed, a sha1 that no longer
    matches, an impossible time. `check` names each revision."""
    revids = [r["revid"] for r in sample.revisions]
    with sqlite3.connect(db_path) as conn:
        rows = conn.execute(
            "SELECT revid, coalesce(same_as, delta_base) FROM revisions "
            "WHERE content IS NOT NULL ORDER BY id"
        ).fetchall()
        # a text some later deltas are based on, and every text whose chain leads to it
        bases = {base for _, base in rows}
        broken = next(revid for revid, _ in reversed(rows[:-1]) if revid in bases)
        lost, dependants = {broken}, []
        for revid, base in rows:
            if base in lost:
                lost.add(revid)
                dependants.append((revid, base))
        assert dependants
        (content,) = conn.execute(
            "SELECT content FROM revisions WHERE revid = ?", [broken]
        ).fetchone()
        spoilt = content[:8] + bytes(16) + content[24:]  # a stray write inside the blob
        conn.execute("UPDATE revisions SET content = ? WHERE revid = ?", [spoilt, broken])
        wrong = rows[0][0]  # the first text, which no damaged delta leads to
        conn.execute("UPDATE revisions SET sha1 = ? WHERE revid = ?", ["0" * 40, wrong])
        conn.execute(
            "UPDATE revisions SET timestamp = '2024-02-30T00:00:00Z' WHERE revid = ?", [revids[5]]
        )
    conn.close()
    result = wikimon(db_path, "check")
    assert result.returncode == 1
    out = result.stdout
    assert f"{db_path}: PRAGMA integrity_check: ok\n" in out  # SQLite sees nothing
    assert f"  revision {broken} of {TITLE!r} (enwiki): its text cannot be decoded (" in out
    for revid, base in dependants:
        assert (
            f"  revision {revid} of {TITLE!r} (enwiki): its text is a delta on revision "
            f"{base}, which cannot be decoded" in out
        )
    assert (
        f"  revision {wrong} of {TITLE!r} (enwiki): its text no longer matches its sha1 "
        f"'{'0' * 40}'" in out
    )
    assert (
        f"  revision {revids[5]} of {TITLE!r} (enwiki): its time '2024-02-30T00:00:00Z' is "
        "not a real date and time" in out
    )
    problems = 2 + len(dependants) + 1
    assert out.splitlines()[-1] == (
        f"{db_path} is damaged: {problems} revisions with a problem. Restore it from a backup."
    )
    # the damaged text is one line wherever it is read
    text = wikimon(db_path, "wikitext", TITLE, "--rev", str(broken))
    assert text.returncode == 1
    (line,) = text.stderr.splitlines()
    assert line.startswith(f"Error: {db_path} is damaged: the text of revision {broken} cannot ")


# -- a database this user cannot write ----------------------------------------------------------


@pytest.fixture
def unwritable(sample: Sample, db_path: Path, tmp_path: Path) -> Iterator[tuple[Path, list[str]]]:
    """The sample's database, read-only in a read-only directory of its own, and how to run
    a command as a user to whom they are read-only: this one, or for root a user namespace
    without root in it (SQLite's root is then an ordinary user, who owns files it cannot
    write and whom no capability lets write them)."""
    directory = tmp_path / "ro"
    directory.mkdir()
    db = directory / "w.db"
    copy_database(db_path, db)  # no -wal nor -shm file left
    db.chmod(0o444)
    directory.chmod(0o555)
    try:
        yield db, ["unshare", "--user"] if os.geteuid() == 0 else []
    finally:
        directory.chmod(stat.S_IRWXU)


def test_a_database_this_user_cannot_write_is_read(
    unwritable: tuple[Path, list[str]], sample: Sample, tmp_path: Path
) -> None:
    db, user = unwritable
    result = wikimon(db, "reanalyze", user=user)  # the user cannot write indeed
    assert result.returncode == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"Error: {db}: cannot write to it (attempt to write a readonly "), line
    assert line.endswith(
        "this command writes, the commands that only read (status, changes, show, report…) "
        "can read it"
    )
    assert sorted(p.name for p in db.parent.iterdir()) == ["w.db"]  # nothing made there
    status = wikimon(db, "status", "--json", user=user)
    assert status.returncode == 0, status.stderr
    assert f'"revisions": {len(sample.revisions)}' in status.stdout
    changes = wikimon(db, "changes", TITLE, "--json", user=user)
    assert changes.returncode == 0 and changes.stderr == ""
    assert json.loads(changes.stdout) == sample.changes
    out = tmp_path / "out"
    report = wikimon(db, "report", "--out", str(out), user=user)
    assert report.returncode == 0, report.stderr
    assert (out / "index.html").is_file()
    result = wikimon(db, "import", str(copy_sample(tmp_path)), user=user)
    assert result.returncode == 1 and "cannot write to it" in result.stderr
    assert sorted(p.name for p in db.parent.iterdir()) == ["w.db"]
