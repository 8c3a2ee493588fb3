"""How MediaWiki spells names (pages, templates, files): an underscore is a space, a run of
white space is one space, and the first letter is upper case."""

from __future__ import annotations

import re

__all__ = ["spaced", "upper_first"]

_WS = re.compile(r"\s+")


def spaced(name: str) -> str:
    """``Infobox_military  conflict `` → ``Infobox military conflict``."""
    return _WS.sub(" ", name.replace("_", " ")).strip()


def upper_first(text: str) -> str:
    """The first letter upper case, the rest as written (MediaWiki's ``ucfirst``)."""
    return text[:1].upper() + text[1:]
