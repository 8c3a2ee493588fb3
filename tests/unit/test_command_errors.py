"""Bad input to run, digest, test-email, report and serve: a clear message naming what is
wrong, the right exit code, no traceback, and nothing recorded or sent."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from digest_helpers import (
    Sample,
    digest_rows,
    sample_fixture,  # noqa: F401
    sample_template_fixture,  # noqa: F401
    write_config,
)


def no_traceback(result) -> str:
    assert "Traceback" not in result.output
    return result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["test-email", "not-an-address"], "'not-an-address' is not an e-mail address"),
        (["digest", "--to", "x@"], "'x@' is not an e-mail address"),
        (["digest", "--since", "yesterday"], "'yesterday' is not a date: use 2024-12-01"),
        (["digest", "--name", "weekly"], "no digest named 'weekly'; configured: daily"),
    ],
)
def test_bad_digest_arguments_are_refused_before_anything_is_recorded(
    sample: Sample, run, db_path: Path, args: list[str], message: str
) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert message in no_traceback(result)
    assert digest_rows(db_path) == []


def test_run_needs_a_contact_and_a_writable_log(sample: Sample, run, tmp_path: Path) -> None:
    result = run("run", config=write_config(tmp_path / "none.yaml", "poll:\n  interval: 1m\n"))
    assert result.exit_code == 2
    assert no_traceback(result) == (
        f"Error: {tmp_path / 'none.yaml'}: contact: is not set; wikimon sends it in its "
        "User-Agent, as Wikimedia's policy requires. Add e.g. `contact: you@example.org`\n"
    )
    config = write_config(
        tmp_path / "log.yaml", "contact: a@example.org\nlog: missing-dir/daemon.log\n"
    )
    result = run("run", config=config)
    assert result.exit_code == 2
    assert no_traceback(result) == (
        f"Error: {config}: log: cannot open {tmp_path / 'missing-dir/daemon.log'}: "
        "No such file or directory\n"
    )
    assert not (tmp_path / "missing-dir").exists()


def test_serve_on_a_busy_port_is_one_line(sample: Sample, run) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run("serve", "--port", str(port))
    assert result.exit_code == 1
    assert no_traceback(result) == (
        f"Error: cannot listen on 127.0.0.1:{port}: Address already in use\n"
    )


def test_report_and_serve_need_a_database(run, tmp_path: Path) -> None:
    for args in (["report"], ["serve", "--port", "0"]):
        result = run(*args, db=tmp_path / "typo.db")
        assert result.exit_code == 1
        assert no_traceback(result).startswith(f"Error: no database at {tmp_path / 'typo.db'}")
        assert not (tmp_path / "typo.db").exists()
