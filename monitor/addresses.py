"""E-mail addresses, including internationalised ones (jörg@exämple.org).

A domain with non-ASCII letters has an ASCII spelling, its IDNA form (``xn--exmple-cua.org``),
which every server and every header understands. Letters beyond ASCII *before* the @ have
none: such an address can only be used with an SMTP server that offers SMTPUTF8 (RFC 6531),
and never in a header that must stay ASCII for the other recipients.
"""

from __future__ import annotations

import re

import idna

_ADDRESS = re.compile(r"^[^@\s<>,;\"()\[\]\\]+@[^@\s<>,;\"()\[\]\\]+\.[^@\s<>,;\"()\[\]\\]+$")


def ascii_domain(domain: str) -> str | None:
    """The domain as it travels: itself when ASCII, else its IDNA form (None when it has
    none: a character no domain name may have)."""
    if domain.isascii():
        return domain
    try:
        return idna.encode(domain, uts46=True).decode("ascii")
    except idna.IDNAError:
        return None


def is_address(value: str) -> bool:
    """A bare e-mail address such as you@example.org: one line, nothing to inject, and a
    domain that can be written in ASCII."""
    if not _ADDRESS.match(value) or any(not c.isprintable() for c in value):
        return False
    return ascii_domain(value.rpartition("@")[2]) is not None


def needs_smtputf8(address: str) -> bool:
    """Letters beyond ASCII before the @: only an SMTPUTF8 server can deliver it."""
    return not address.rpartition("@")[0].isascii()


def ascii_address(address: str) -> str | None:
    """The address in ASCII (the domain in IDNA form), or None when the part before the @
    is not ASCII."""
    local, _, domain = address.rpartition("@")
    encoded = ascii_domain(domain)
    if not local.isascii() or encoded is None:
        return None
    return f"{local}@{encoded}"
