"""MediaWiki title rules: normalisation (first letter case-insensitive) and validity."""

from __future__ import annotations

import re

from .errors import InvalidTitle

# Characters MediaWiki never allows in a title ($wgLegalTitleChars complement).
_ILLEGAL = re.compile(r"[#<>\[\]|{}\x00-\x1f\x7f]")


def normalize_title(title: str) -> str:
    """'2024_Syrian  opposition offensives' -> '2024 Syrian opposition offensives';
    'foo' -> 'Foo'. Raises InvalidTitle for titles MediaWiki rejects."""
    cleaned = re.sub(r"[ _]+", " ", title).strip()
    if not cleaned:
        raise InvalidTitle("the title is empty")
    bad = _ILLEGAL.search(cleaned)
    if bad:
        raise InvalidTitle(
            f"invalid title {title!r}: MediaWiki titles cannot contain {bad.group()!r}"
        )
    if len(cleaned.encode("utf-8")) > 255:
        raise InvalidTitle(f"invalid title {title[:40]!r}…: longer than 255 bytes")
    return cleaned[0].upper() + cleaned[1:]
