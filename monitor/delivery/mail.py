"""Digests as e-mail: rendering (the templates of :mod:`monitor.rendering`, text + HTML) and
delivery (SMTP or an outbox).

Everything a wiki says is untrusted: the HTML template autoescapes it, headers only ever
get it through :func:`monitor.wording.one_line`, and the email package refuses any header
value with a line break.
"""

from __future__ import annotations

import contextlib
import email.policy
import os
import smtplib
import socket
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path

from ..addresses import ascii_address
from ..config import Config, SmtpConfig
from ..errors import WikimonError
from ..templating import environment
from ..wording import one_line
from .digest import Digest


class DeliveryError(WikimonError):
    """The SMTP server or the outbox did not take the message. It is retried later,
    unless ``permanent`` (the server refused it for good)."""

    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


def render(digest: Digest, config: Config) -> tuple[str, str]:
    """The text and HTML parts."""
    context = {"digest": digest, "config": config}
    env = environment()
    return (
        env.get_template("digest.txt").render(context),
        env.get_template("digest.html").render(context),
    )


def sender(config: Config) -> str:
    if config.smtp is not None:
        return config.smtp.sender
    return f"wikimon <wikimon@{_domain()}>"


def _domain() -> str:
    name = socket.getfqdn()
    return name if "." in name else "localhost"


def compose(
    digest: Digest, config: Config, recipients: list[str], *, subject_prefix: str = ""
) -> EmailMessage:
    """A ``multipart/alternative`` message: the text part first, the HTML part preferred."""
    text, html = render(digest, config)
    message = EmailMessage(policy=email.policy.SMTP)
    message["Subject"] = one_line(subject_prefix + digest.subject(), 200)
    message["From"] = sender(config)
    if recipients:
        # ASCII for every server: IDNA domains; an address that needs SMTPUTF8 (letters
        # beyond ASCII before the @) has no ASCII form and gets the message unnamed
        shown = [a for a in map(ascii_address, recipients) if a is not None]
        message["To"] = ", ".join(shown) if shown else "undisclosed-recipients:;"
    message["Date"] = formatdate(usegmt=True)
    domain = parseaddr(message["From"])[1].rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid(f"wikimon.{digest.name or 'adhoc'}", domain=domain)
    message["X-Wikimon-Window"] = f"{digest.window_start}/{digest.window_end}"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


@dataclass
class SmtpResult:
    """What the server did with a message it accepted for at least one recipient."""

    retry: list[str] = field(default_factory=list)  # refused for now (4xx): try again
    refused: dict[str, str] = field(default_factory=dict)  # refused for good (5xx): reply


def send_smtp(
    smtp: SmtpConfig, sender_address: str, recipients: list[str], data: bytes
) -> SmtpResult:
    """Hand a message to the SMTP server. DeliveryError says which server and why, and
    whether trying again can help (``permanent``: a 5xx for the message or for every
    recipient).

    Internationalised addresses go as they are when the server offers SMTPUTF8; otherwise
    a domain goes in its IDNA form, and an address with letters beyond ASCII before the @
    is refused for good, alone (the others still get the message)."""
    where = f"SMTP server {smtp.host}:{smtp.port}"
    password = smtp.password() if smtp.user else None  # a missing variable: ConfigError
    client: smtplib.SMTP | None = None
    result = SmtpResult()
    envelope: dict[str, str] = {}  # the address given to the server -> the recipient
    try:
        context = ssl.create_default_context()
        if smtp.tls == "ssl":
            client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout, context=context)
        else:
            client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
        if smtp.tls == "starttls":
            client.starttls(context=context)
        if smtp.user:
            client.login(smtp.user, password or "")
        client.ehlo_or_helo_if_needed()
        envelope = _envelope(recipients, client.has_extn("smtputf8"), where, result)
        options = ["SMTPUTF8"] if any(not a.isascii() for a in envelope) else []
        refused = client.sendmail(
            ascii_address(parseaddr(sender_address)[1]) or "",
            list(envelope),
            data,
            mail_options=options,
        )
        refused = {envelope[to]: reply for to, reply in refused.items()}
    except smtplib.SMTPAuthenticationError as error:
        raise DeliveryError(f"{where} refused the login of {smtp.user}: {_reply(error)}") from None
    except smtplib.SMTPRecipientsRefused as error:
        replies = {
            envelope.get(to, to): _reply_of(code, text)
            for to, (code, text) in error.recipients.items()
        }
        replies.update(result.refused)
        raise DeliveryError(
            f"{where} refused every recipient: "
            + "; ".join(f"{to}: {reply}" for to, reply in replies.items()),
            permanent=all(code >= 500 for code, _ in error.recipients.values()),
        ) from None
    except smtplib.SMTPResponseException as error:
        raise DeliveryError(
            f"{where} answered {_reply(error)}", permanent=error.smtp_code >= 500
        ) from None
    except (smtplib.SMTPException, OSError) as error:
        raise DeliveryError(f"{where}: {error or type(error).__name__}") from None
    finally:
        if client is not None:
            _quit(client)
    for to, (code, text) in refused.items():
        if code < 500:
            result.retry.append(to)
        else:
            result.refused[to] = _reply_of(code, text)
    return result


def _envelope(
    recipients: list[str], smtputf8: bool, where: str, result: SmtpResult
) -> dict[str, str]:
    """The addresses to give the server (each mapped to the recipient it stands for);
    those it cannot take are refused in ``result``. None left: a DeliveryError."""
    envelope: dict[str, str] = {}
    for to in recipients:
        spelled = to if smtputf8 else ascii_address(to)
        if spelled is None:
            result.refused[to] = (
                f"not sent: the {where} does not offer SMTPUTF8, which an address with "
                "letters beyond ASCII before the @ needs"
            )
        else:
            envelope[spelled] = to
    if not envelope:
        raise DeliveryError(
            f"{where} does not offer SMTPUTF8, which every recipient needs (letters beyond "
            f"ASCII before the @): {', '.join(recipients)}",
            permanent=True,
        )
    return envelope


def _quit(client: smtplib.SMTP) -> None:
    """Say goodbye; once DATA was accepted, a bad answer to QUIT changes nothing."""
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        client.close()


def _reply(error: smtplib.SMTPResponseException) -> str:
    return _reply_of(error.smtp_code, error.smtp_error)


def _reply_of(code: int, text: bytes | str) -> str:
    text = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {one_line(text, 200)}"


def write_outbox(outbox: str, name: str, data: bytes) -> Path:
    """Write ``name`` into the outbox directory atomically: a crash leaves the whole file
    or none, and writing it again replaces it (no duplicates)."""
    directory = Path(outbox)
    target = directory / name
    partial = directory / f".{name}.partial"
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with open(partial, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(partial, target)
    except OSError as error:
        # a full disk, a file-size limit: no half-written file is left behind
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        raise DeliveryError(f"cannot write to the outbox {directory}: {error.strerror}") from None
    return target
