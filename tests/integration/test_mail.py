"""Digests by e-mail through a real SMTP server (aiosmtpd on 127.0.0.1): both MIME parts,
the test message, an outage and its end (sent once), SMTP login with the password from
the environment, and wiki content that tries to inject markup or headers."""

from __future__ import annotations

import email
import email.policy
import json
import os
import re
import subprocess
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest
from aiosmtpd.smtp import AuthResult
from digest_helpers import (
    TITLE,
    Sample,
    digest_rows,
    export,
    figure_text,
    parse_text,
    revision,
    sample_fixture,  # noqa: F401
    sample_template_fixture,  # noqa: F401
    write_config,
)
from helpers import WIKIMON
from smtp_fixtures import SmtpServer

DAY = ("2024-12-04T00:00:00Z", "2024-12-05T00:00:00Z")
ISOLATES = str.maketrans("", "", "\u2068\u2069")


def smtp_config(tmp_path: Path, server: SmtpServer, extra: str = "") -> Path:
    return write_config(
        tmp_path / "wikimon.yaml",
        f"smtp:\n  host: 127.0.0.1\n  port: {server.port}\n  tls: none\n  timeout: 10\n{extra}",
    )


class Html(HTMLParser):
    """The tags, attributes and text of an HTML part."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.texts: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.texts.append(data)

    @property
    def text(self) -> str:
        return " ".join("".join(self.texts).split())

    @property
    def links(self) -> list[str]:
        return [attrs["href"] or "" for tag, attrs in self.tags if "href" in attrs]


def test_a_digest_arrives_with_the_net_changes_in_both_parts(
    sample: Sample, run, tmp_path: Path, smtp_server: SmtpServer
):
    config = smtp_config(tmp_path, smtp_server)
    window = ["--since", DAY[0], "--until", DAY[1]]
    preview = run("digest", "--dry-run", *window, config=config)
    assert preview.exit_code == 0 and smtp_server.received == []
    result = run("digest", *window, "--to", "a@example.org", config=config)
    assert result.exit_code == 0, result.output
    assert f"delivered to SMTP 127.0.0.1:{smtp_server.port} to a@example.org" in result.stdout

    (received,) = smtp_server.received
    assert received.rcpt_tos == ["a@example.org"]
    message = received.message
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    assert message["To"] == "a@example.org"
    (row,) = digest_rows(tmp_path / "wikimon.db")
    assert (row["name"], row["scheduled"], row["delivery"]) == ("", 0, "smtp")
    assert row["sent_at"] is not None and row["message_id"] == message["Message-ID"]
    assert row["message"] == received.data  # sent as recorded, byte for byte

    text = received.part("plain").replace("\r\n", "\n")
    assert text == preview.stdout  # what --dry-run showed
    casualty = next(
        c for c in sample.changes_in(*DAY)
        if c["field"] == "casualties2" and c["new_number"] == 220
    )  # fmt: skip
    assert figure_text(casualty) + " (" in text and "+ Hezbollah" in text
    html = Html(received.part("html"))
    article = parse_text(text)[TITLE]
    assert article.fields
    for name, field_text in article.fields.items():
        assert name in html.text
        for change in field_text.changes:
            assert change.text in html.text
            assert f"by {change.by}, " in html.text
            assert change.url in html.links
    assert article.net_diff_url in html.links
    assert figure_text(casualty) in html.text and "+ Hezbollah" in html.text


def test_test_email_arrives_with_a_test_subject(
    sample: Sample, run, tmp_path: Path, smtp_server: SmtpServer
):
    result = run("test-email", "you@example.org", config=smtp_config(tmp_path, smtp_server))
    assert result.exit_code == 0, result.output
    (received,) = smtp_server.received
    assert received.rcpt_tos == ["you@example.org"]
    assert received.message["Subject"].startswith("[test] wikimon: ")
    assert received.message.get_content_type() == "multipart/alternative"
    assert received.part("plain") and received.part("html")
    assert digest_rows(tmp_path / "wikimon.db") == []  # a check records nothing


def test_smtp_down_then_up_delivers_the_digest_once(
    sample: Sample, run, tmp_path: Path, smtp_server: SmtpServer
):
    config = smtp_config(tmp_path, smtp_server, "digests:\n  - name: d\n    every: 1h\n")
    db = tmp_path / "wikimon.db"
    smtp_server.stop()
    result = run("digest", "--since", DAY[0], "--until", DAY[1], "--to", "a@example.org",
                 config=config)  # fmt: skip
    assert result.exit_code == 1
    errors = result.stderr.splitlines()
    assert len(errors) == 1 and errors[0].startswith("Error: ")
    assert f"127.0.0.1:{smtp_server.port}" in errors[0]
    (pending,) = digest_rows(db)
    assert pending["sent_at"] is None and pending["attempts"] == 1
    assert f"127.0.0.1:{smtp_server.port}" in pending["last_error"]

    smtp_server.start()
    result = run("digest", config=config)
    assert result.exit_code == 0, result.output
    (received,) = smtp_server.received
    assert received.message["Message-ID"] == pending["message_id"]
    assert received.rcpt_tos == ["a@example.org"]
    assert digest_rows(db)[0]["sent_at"] is not None

    result = run("digest", config=config)  # nothing is sent twice
    assert result.exit_code == 0, result.output
    assert len(smtp_server.received) == 1


def test_a_scheduled_digest_is_retried_after_an_outage(
    sample: Sample, run, tmp_path: Path, smtp_server: SmtpServer
):
    config = smtp_config(
        tmp_path,
        smtp_server,
        "digests:\n  - name: d\n    every: 1h\n    to: [a@example.org, b@example.org]\n"
        "    send_empty: true\n",
    )
    db = tmp_path / "wikimon.db"
    smtp_server.stop()
    assert run("digest", config=config).exit_code == 1
    (pending,) = digest_rows(db)
    assert pending["scheduled"] and pending["sent_at"] is None
    smtp_server.start()
    for _ in range(2):
        assert run("digest", config=config).exit_code == 0
    ids = Counter(r.message["Message-ID"] for r in smtp_server.received)
    assert ids[pending["message_id"]] == 1
    assert set(ids.values()) == {1}  # each window once
    assert all(r["sent_at"] is not None for r in digest_rows(db))
    assert all(r.rcpt_tos == ["a@example.org", "b@example.org"] for r in smtp_server.received)


# -- SMTP login --------------------------------------------------------------------------------


class AuthServer(SmtpServer):
    """An SMTP server that wants AUTH (over plain TCP: a test on loopback)."""

    def __init__(self) -> None:
        super().__init__()
        self.logins: list[tuple[str, str]] = []

    def authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        login, password = auth_data.login.decode(), auth_data.password.decode()
        self.logins.append((login, password))
        # handled=False: aiosmtpd answers 235 or 535 itself
        return AuthResult(success=password == "s3cret pass", handled=False)

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self.controller = Controller(
            self.handler, hostname="127.0.0.1", port=self.port,
            authenticator=self.authenticate, auth_require_tls=False,
        )  # fmt: skip
        self.controller.start()


@pytest.fixture
def auth_server():
    server = AuthServer()
    server.start()
    yield server
    server.stop()


AUTH = "  user: bot@example.org\n  password_env: WIKIMON_TEST_SMTP_PASSWORD\n"


def test_the_password_comes_from_the_environment(
    sample: Sample, run, tmp_path: Path, auth_server: AuthServer, monkeypatch
):
    monkeypatch.setenv("WIKIMON_TEST_SMTP_PASSWORD", "s3cret pass")
    config = smtp_config(tmp_path, auth_server, AUTH)
    assert "s3cret" not in config.read_text()
    result = run("test-email", "you@example.org", config=config)
    assert result.exit_code == 0, result.output
    assert auth_server.logins == [("bot@example.org", "s3cret pass")]
    (received,) = auth_server.received
    assert received.mail_from == "bot@example.org"  # the user is the default sender


def test_a_wrong_password_is_a_clear_error(
    sample: Sample, run, tmp_path: Path, auth_server: AuthServer, monkeypatch
):
    monkeypatch.setenv("WIKIMON_TEST_SMTP_PASSWORD", "wrong")
    result = run("test-email", "you@example.org", config=smtp_config(tmp_path, auth_server, AUTH))
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and "bot@example.org" in result.stderr
    assert "wrong" not in result.stderr.replace("bot@example.org", "")  # no password echoed
    assert auth_server.received == []


def test_a_missing_password_variable_is_a_clear_error(
    sample: Sample, run, tmp_path: Path, auth_server: AuthServer, monkeypatch
):
    monkeypatch.delenv("WIKIMON_TEST_SMTP_PASSWORD", raising=False)
    config = smtp_config(tmp_path, auth_server, AUTH)
    result = run("test-email", "you@example.org", config=config)
    assert result.exit_code == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith("Error: ") and "WIKIMON_TEST_SMTP_PASSWORD" in line
    # digest and run refuse to start: a config mistake, not an outage to retry
    for args in (["digest", "--since", DAY[0], "--until", DAY[1]], ["run"]):
        result = run(*args, config=config)
        assert result.exit_code == 2, args
        (line,) = result.stderr.splitlines()
        assert "WIKIMON_TEST_SMTP_PASSWORD" in line
    assert digest_rows(tmp_path / "wikimon.db") == []
    assert auth_server.received == [] and auth_server.logins == []


# -- malicious wiki content --------------------------------------------------------------------

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
CRLF = "Evil\r\nBcc: victim@example.org"


def evil_box(killed: str, combatants: str, result: str, bcc: str = "3") -> str:
    # entities survive extraction as the characters they stand for: raw markup in the values
    return (
        "{{Infobox military conflict\n"
        "| conflict = Battle &lt;script&gt;alert(1)&lt;/script&gt; &quot;&gt;&lt;img src=x "
        "onerror=alert(1)&gt;\n"
        f"| combatant1 = {combatants}\n"
        f"| casualties1 = {killed} killed &lt;img src=x onerror=alert(1)&gt;\n"
        f"| result = {result}\n"
        f"| casual\nBcc = {bcc} killed\n"  # a parameter name with a line break in it
        "}}\nText."
    )


EVIL_TITLE = 'Evil "quoted" & title javascript:alert(1)'


def import_evil(run, tmp_path: Path, config: Path) -> None:
    revisions = [
        revision(100, "2024-12-03T01:00:00Z", "Founder", evil_box("10", "Red army", "Ongoing")),
        revision(101, "2024-12-04T02:00:00Z", CRLF,
                 evil_box("25", "Red army<br>&lt;script&gt;alert(1)&lt;/script&gt;", "Ongoing"),
                 comment=IMG + "\r\nBcc: victim@example.org"),
        revision(102, "2024-12-04T03:00:00Z", SCRIPT,
                 evil_box("25", "Red army<br>&lt;script&gt;alert(1)&lt;/script&gt;",
                          f"[javascript:alert(1) {CRLF}] {IMG}"),
                 comment="javascript:alert(1)"),
        revision(103, "2024-12-04T04:00:00Z", IMG,
                 evil_box("4,000", "Red army<br>&lt;script&gt;alert(1)&lt;/script&gt;",
                          f"[javascript:alert(1) {CRLF}] {IMG}", bcc="9,000")),
    ]  # fmt: skip
    path = export(tmp_path / "evil.xml", EVIL_TITLE, 4242, revisions)
    result = run("import", "--wiki", "testwiki", str(path), config=config)
    assert result.exit_code == 0, result.output


HEADERS = {
    "Subject", "From", "To", "Date", "Message-ID", "X-Wikimon-Window", "Auto-Submitted",
    "MIME-Version", "Content-Type",
}  # fmt: skip


def test_wiki_content_cannot_inject_markup_or_headers(run, tmp_path: Path, smtp_server: SmtpServer):
    config = smtp_config(
        tmp_path,
        smtp_server,
        "wikis:\n  testwiki:\n    api: https://wiki.example.org/w/api.php\n"
        "report_url: https://reports.example.org/wikimon\n",
    )
    import_evil(run, tmp_path, config)
    result = run("digest", "--since", DAY[0], "--until", DAY[1], "--to", "a@example.org",
                 config=config)  # fmt: skip
    assert result.exit_code == 0, result.output
    (received,) = smtp_server.received
    assert received.rcpt_tos == ["a@example.org"]  # no Bcc: reached the envelope
    message = received.message

    # headers: exactly ours, each on one (possibly folded) line
    assert set(message.keys()) == HEADERS and len(message.keys()) == len(HEADERS)
    assert "\n" not in message["Subject"] and "\r" not in message["Subject"]
    head = received.data.split(b"\r\n\r\n", 1)[0].decode("ascii")
    for line in head.split("\r\n"):
        assert line[:1] in (" ", "\t") or line.split(":", 1)[0] in HEADERS, line
    # the biggest figure change is in the field named "casual\nBcc": said on one line
    changes = run("changes", EVIL_TITLE, "--json", config=config)
    figures = [c for c in json.loads(changes.stdout) if c["kind"] == "figure_changed"]
    top = max(figures, key=lambda c: abs(c["new_number"] - c["old_number"]))
    assert top["field"] == "casual\nBcc"
    assert message["Subject"] == (
        f"wikimon: 1 article changed — casual Bcc {top['new_number']:,} "
        f"({top['new_number'] - top['old_number']:+,})"
    )

    # HTML: the markup from the wiki is text, links only go where the config says
    html_part = received.part("html")
    html = Html(html_part)
    assert "<script" not in html_part.lower() and "<img" not in html_part.lower()
    assert {tag for tag, _ in html.tags} <= {
        "html", "head", "meta", "title", "body", "div", "p", "strong", "time", "h2", "a",
        "span", "bdi", "table", "tr", "td", "br",
    }  # fmt: skip
    assert not any(name.startswith("on") for _, attrs in html.tags for name in attrs)
    assert html.links and all(
        link.startswith(("https://wiki.example.org/w/index.php?", "https://reports.example.org/"))
        for link in html.links
    )
    for shown in (SCRIPT, IMG.strip('">'), "by " + SCRIPT, EVIL_TITLE):
        assert shown in html.text  # escaped, so it reads as it was written

    # text: the user name with a line break stays on its line
    text = received.part("plain").translate(ISOLATES)
    assert "by Evil Bcc: victim@example.org, 2024-12-04 02:00 UTC" in text
    for line in text.splitlines():
        assert not re.match(r"\s*Bcc\s*:", line, re.I), line
        assert not line.startswith("Bcc"), line
    assert SCRIPT in text  # plain text needs no escaping, and says what the wiki said
    assert EVIL_TITLE in text


def test_recipients_refused_for_now_get_it_later_and_only_they(
    sample: Sample, run, tmp_path: Path, db_path: Path, smtp_server: SmtpServer
) -> None:
    handler = smtp_server.handler
    handler.rcpt_replies = {
        "grey@example.org": "450 4.2.0 greylisted, try again",
        "gone@example.org": "550 5.1.1 no such user",
    }
    config = smtp_config(tmp_path, smtp_server)
    to = ["ok@example.org", "grey@example.org", "gone@example.org"]
    args = ["digest", "--since", DAY[0], "--until", DAY[1]]
    for address in to:
        args += ["--to", address]
    result = run(*args, config=config)
    assert result.exit_code == 1
    (line,) = result.stderr.splitlines()
    assert "gone@example.org refused it for good (550 5.1.1 no such user)" in line
    assert "grey@example.org refused it for now (will retry)" in line
    assert [m.rcpt_tos for m in smtp_server.received] == [["ok@example.org"]]
    (row,) = digest_rows(db_path)
    assert row["sent_at"] is None and row["recipients"] == '["grey@example.org"]'

    handler.rcpt_replies = {}  # the greylisting is over
    result = run("digest", "--name", "daily", config=config)
    assert result.exit_code == 0, result.output
    assert [m.rcpt_tos for m in smtp_server.received] == [
        ["ok@example.org"],
        ["grey@example.org"],
    ]
    assert smtp_server.received[0].data == smtp_server.received[1].data  # the same message
    assert digest_rows(db_path)[0]["sent_at"] is not None


def test_a_message_refused_for_good_is_not_retried(
    sample: Sample, run, tmp_path: Path, db_path: Path, smtp_server: SmtpServer
) -> None:
    smtp_server.handler.data_reply = "554 5.6.0 message content rejected"
    config = smtp_config(tmp_path, smtp_server)
    result = run("digest", "--since", DAY[0], "--until", DAY[1], "--to", "a@example.org",
                 config=config)  # fmt: skip
    assert result.exit_code == 1
    assert "554 5.6.0 message content rejected" in result.stderr
    assert "(will retry)" not in result.stderr
    (row,) = digest_rows(db_path)
    assert row["failed_at"] and row["sent_at"] is None
    smtp_server.handler.data_reply = None
    result = run("digest", "--name", "daily", config=config)
    assert "554" not in result.output and not smtp_server.received  # not tried again


# -- addresses beyond ASCII, and a full disk (issue 12) -----------------------------------------

UTF8_TO = ["a@example.org", "anna@exämple.org", "jörg@exämple.org"]


def digest_to(run, config: Path, to: list[str]):
    args = ["digest", "--since", DAY[0], "--until", DAY[1]]
    for address in to:
        args += ["--to", address]
    return run(*args, config=config)


def test_a_server_with_smtputf8_gets_every_address_as_it_is(
    sample: Sample, run, tmp_path: Path, db_path: Path, smtp_server: SmtpServer
) -> None:
    result = digest_to(run, smtp_config(tmp_path, smtp_server), UTF8_TO)
    assert result.exit_code == 0, result.output
    (received,) = smtp_server.received
    assert received.rcpt_tos == UTF8_TO
    # the header stays ASCII for every reader: IDNA for a domain, unnamed without a form
    assert received.message["To"] == "a@example.org, anna@xn--exmple-cua.org"
    assert received.data.isascii()
    (row,) = digest_rows(db_path)
    assert row["sent_at"] is not None


def test_a_server_without_smtputf8_refuses_that_recipient_alone(
    sample: Sample, run, tmp_path: Path, db_path: Path
) -> None:
    server = SmtpServer(smtputf8=False)
    server.start()
    try:
        result = digest_to(run, smtp_config(tmp_path, server), UTF8_TO)
        assert result.exit_code == 1
        (line,) = result.stderr.splitlines()
        assert line.startswith("Error: ") and "Traceback" not in result.output
        assert (
            f"jörg@exämple.org refused it for good (not sent: the SMTP server "
            f"127.0.0.1:{server.port} does not offer SMTPUTF8, which an address with letters "
            "beyond ASCII before the @ needs)" in line
        )
        assert "will retry" not in line
        # the others have it: the domain in its IDNA form
        (received,) = server.received
        assert received.rcpt_tos == ["a@example.org", "anna@xn--exmple-cua.org"]
        (row,) = digest_rows(db_path)
        assert row["sent_at"] is not None  # nothing left pending forever
        result = run("digest", "--name", "daily", config=smtp_config(tmp_path, server))
        assert result.exit_code == 0 and len(server.received) == 1  # not sent again

        # nobody the server can take: refused for good in one line, not retried
        result = digest_to(run, smtp_config(tmp_path, server), ["jörg@exämple.org"])
        assert result.exit_code == 1
        (line,) = result.stderr.splitlines()
        assert "does not offer SMTPUTF8, which every recipient needs" in line
        assert len(server.received) == 1 and "will retry" not in line
    finally:
        server.stop()


def test_a_full_outbox_disk_leaves_no_partial_file_and_delivers_later(
    sample: Sample, tmp_path: Path, db_path: Path
) -> None:
    """The outbox on a tmpfs of 256 KB, filled up (a private mount namespace: root, or a user
    namespace): the digest fails in one line, stays pending, and leaves nothing behind; once
    there is room it is written, once."""
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    config = write_config(tmp_path / "wikimon.yaml", f"outbox: {outbox}\n")
    digest = " ".join(
        [*WIKIMON, "--config", str(config), "--db", str(db_path), "digest"]
        + ["--since", DAY[0], "--until", DAY[1]]
    )
    script = (
        f"mount -t tmpfs -o size=256k none {outbox} && "
        f"(dd if=/dev/zero of={outbox}/fill bs=1k count=1024 2>/dev/null; true) && "
        f"{digest}; echo exit=$?; ls -A {outbox}; rm {outbox}/fill; "
        f"{' '.join(WIKIMON)} --config {config} --db {db_path} digest; echo exit=$?; "
        f"ls -A {outbox}"
    )
    flags = ["--mount"] if os.geteuid() == 0 else ["--mount", "--map-root-user"]
    result = subprocess.run(
        ["unshare", *flags, "sh", "-c", script], capture_output=True, text=True, timeout=120,
        cwd=tmp_path,
    )  # fmt: skip
    assert "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) == 1, (result.stdout, result.stderr)
    (error,) = result.stderr.splitlines()
    assert error == (
        f"Error: digest ad hoc: {DAY[0]} – {DAY[1]}: cannot write to the outbox {outbox}: "
        "No space left on device (will retry)"
    )
    lines = result.stdout.splitlines()
    first = lines.index("exit=1")
    assert lines[first + 1 :][:1] == ["fill"]  # no .partial file
    second = lines.index("exit=0")
    (written,) = lines[second + 1 :]
    assert written.endswith(".eml") and not written.startswith(".")
    (row,) = [r for r in digest_rows(db_path) if not r["scheduled"]]  # the --since/--until one
    assert row["sent_at"] is not None and row["attempts"] == 2


def test_an_outbox_file_names_its_recipients_in_ascii(sample: Sample, run, tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    config = write_config(tmp_path / "wikimon.yaml", f"outbox: {outbox}\n")
    result = digest_to(run, config, UTF8_TO)
    assert result.exit_code == 0, result.output
    (written,) = outbox.iterdir()
    data = written.read_bytes()
    assert data.isascii()  # no raw UTF-8 in a header, no invalid RFC 2047 word
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert message["To"] == "a@example.org, anna@xn--exmple-cua.org"
    assert message.defects == []
