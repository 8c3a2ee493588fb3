"""Text from a wiki on a terminal (issue 12): the one escaping of the CLI and of its JSON, and
e-mail addresses beyond ASCII."""

from __future__ import annotations

import json

import pytest

from monitor.addresses import ascii_address, is_address, needs_smtputf8
from monitor.wording import escape, escape_json

# (stored, shown): every character that could end a line, start another, drive the terminal
# or reorder the line is a visible escape; everything else is as stored.
ESCAPES = [
    ("Title\r\nenwiki  Forged row", "Title\\r\\nenwiki  Forged row"),
    ("tab\there", "tab\\there"),
    ("\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m"),  # ANSI colours
    ("\x9b2J", "\\x9b2J"),  # the C1 CSI
    ("nul\x00 del\x7f nel\x85", "nul\\x00 del\\x7f nel\\x85"),
    ("line\u2028para\u2029", "line\\u2028para\\u2029"),
    ("Admin\u202e5011089521", "Admin\\u202e5011089521"),  # an RLO reverses what follows
    (
        "\u2066isolate\u2069 \u200emarks\u200f \u061c",
        "\\u2066isolate\\u2069 \\u200emarks\\u200f \\u061c",
    ),
    ("Ünïcödé, العربية, 中文, emoji 🙂, C:\\path", "Ünïcödé, العربية, 中文, emoji 🙂, C:\\path"),
]


@pytest.mark.parametrize(("stored", "shown"), ESCAPES)
def test_escape_makes_one_visible_line(stored: str, shown: str) -> None:
    assert escape(stored) == shown
    assert shown.isprintable()


def test_escape_cuts_before_escaping() -> None:
    assert escape("a\nbcdef", 4) == "a\\nb…"


@pytest.mark.parametrize(("stored", "shown"), ESCAPES)
def test_json_stays_the_same_value_and_prints_safely(stored: str, shown: str) -> None:
    text = escape_json(json.dumps({"title": stored}, ensure_ascii=False, indent=2))
    assert json.loads(text) == {"title": stored}  # the same value, JSON escapes and all
    assert all(line.isprintable() for line in text.split("\n"))
    assert len(text.split("\n")) == 3  # the indentation's line breaks only


@pytest.mark.parametrize(
    ("address", "valid", "utf8", "ascii"),
    [
        ("newsdesk@example.org", True, False, "newsdesk@example.org"),
        ("anna@exämple.org", True, False, "anna@xn--exmple-cua.org"),
        ("jörg@exämple.org", True, True, None),
        ("jörg@example.org", True, True, None),
        ("x@💩.la", False, False, None),  # no IDNA form
        ("x@exa mple.org", False, False, None),
        ("a\u202e@example.org", False, True, None),  # not printable
        ("no-at-sign.example.org", False, False, None),
    ],
)
def test_addresses(address: str, valid: bool, utf8: bool, ascii: str | None) -> None:
    assert is_address(address) is valid
    if valid:
        assert needs_smtputf8(address) is utf8
        assert ascii_address(address) == ascii
