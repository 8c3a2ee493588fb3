"""Digests as e-mail: rendering (jinja2, text + HTML) and delivery (SMTP or an outbox).

Everything a wiki says is untrusted: the HTML template autoescapes it, headers only ever
get it through :func:`monitor.digest.one_line`, and the email package refuses any header
value with a line break.
"""

from __future__ import annotations

import email.policy
import functools
import os
import smtplib
import socket
import ssl
import unicodedata
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path

import jinja2

from . import __version__
from .config import Config, SmtpConfig
from .digest import Digest, one_line
from .errors import WikimonError

# templates/ of the checkout, or the copy a wheel installs as monitor/templates
TEMPLATES = next(
    (
        path
        for path in (
            Path(__file__).resolve().parent.parent / "templates",
            Path(__file__).resolve().parent / "templates",
        )
        if (path / "digest.txt").exists()
    ),
    Path(__file__).resolve().parent / "templates",
)


class DeliveryError(WikimonError):
    """The SMTP server or the outbox did not take the message (it will be retried)."""


@functools.cache
def environment() -> jinja2.Environment:
    """The templates: HTML autoescaped, text not (it is never interpreted as markup)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(["html"], default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["utc"] = utc
    env.filters["oneline"] = one_line
    env.filters["isolate"] = isolate
    env.filters["plural"] = lambda count, noun: f"{count} {noun}{'' if count == 1 else 's'}"
    env.globals["version"] = __version__
    return env


def utc(moment: str | None) -> str:
    """2024-12-01T14:03:00Z → 2024-12-01 14:03 UTC (seconds only when not zero)"""
    if not moment:
        return ""
    seconds = moment[16:19] if moment[17:19] not in ("", "00") else ""
    return f"{moment[:10]} {moment[11:16]}{seconds} UTC"


_BIDI = {"R", "AL", "RLE", "RLO", "LRE", "LRO", "PDF", "RLI", "LRI", "FSI", "PDI"}


def isolate(text: str | None) -> str:
    """One line of wiki text; if it has right-to-left letters or bidi controls, between
    Unicode isolates (FSI … PDI), so it shows as written and cannot reorder the text
    around it."""
    line = one_line(text or "")
    if any(unicodedata.bidirectional(c) in _BIDI for c in line):
        return "\u2068" + line + "\u2069"
    return line


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
        message["To"] = ", ".join(recipients)
    message["Date"] = formatdate(usegmt=True)
    domain = parseaddr(message["From"])[1].rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid(f"wikimon.{digest.name or 'adhoc'}", domain=domain)
    message["X-Wikimon-Window"] = f"{digest.window_start}/{digest.window_end}"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def send_smtp(smtp: SmtpConfig, sender_address: str, recipients: list[str], data: bytes) -> None:
    """Hand a message to the SMTP server; DeliveryError says which server and why."""
    where = f"SMTP server {smtp.host}:{smtp.port}"
    try:
        context = ssl.create_default_context()
        if smtp.tls == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                smtp.host, smtp.port, timeout=smtp.timeout, context=context
            )
        else:
            client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
        with client:
            if smtp.tls == "starttls":
                client.starttls(context=context)
            if smtp.user:
                client.login(smtp.user, smtp.password() or "")
            refused = client.sendmail(parseaddr(sender_address)[1], recipients, data)
    except smtplib.SMTPAuthenticationError as error:
        raise DeliveryError(f"{where} refused the login of {smtp.user}: {_reply(error)}") from None
    except smtplib.SMTPRecipientsRefused as error:
        raise DeliveryError(
            f"{where} refused every recipient: {', '.join(error.recipients)}"
        ) from None
    except smtplib.SMTPResponseException as error:
        raise DeliveryError(f"{where} answered {_reply(error)}") from None
    except (smtplib.SMTPException, OSError) as error:
        raise DeliveryError(f"{where}: {error or type(error).__name__}") from None
    if refused:
        # the others have it: sending again would send it twice to them
        raise PartialDelivery(
            f"{where} refused {', '.join(sorted(refused))}; delivered to the other recipients"
        )


class PartialDelivery(WikimonError):
    """Some recipients were refused for good; the message went to the others."""


def _reply(error: smtplib.SMTPResponseException) -> str:
    text = error.smtp_error
    text = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{error.smtp_code} {one_line(text, 200)}"


def write_outbox(outbox: str, name: str, data: bytes) -> Path:
    """Write ``name`` into the outbox directory atomically: a crash leaves the whole file
    or none, and writing it again replaces it (no duplicates)."""
    directory = Path(outbox)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        target = directory / name
        partial = directory / f".{name}.partial"
        with open(partial, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(partial, target)
    except OSError as error:
        raise DeliveryError(f"cannot write to the outbox {directory}: {error.strerror}") from None
    return target
