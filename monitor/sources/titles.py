"""MediaWiki title rules: normalisation (first letter, namespace prefixes) and validity."""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..core.names import upper_first
from ..errors import InvalidTitle

# Characters MediaWiki never allows in a title ($wgLegalTitleChars complement).
_ILLEGAL = re.compile(r"[#<>\[\]|{}\x00-\x1f\x7f]")

# Canonical (English) namespace names: valid on every wiki, whatever its language.
CANONICAL_NAMESPACES = (
    "Media", "Special", "Talk", "User", "User talk", "Project", "Project talk", "File",
    "File talk", "MediaWiki", "MediaWiki talk", "Template", "Template talk", "Help",
    "Help talk", "Category", "Category talk", "Wikipedia", "Wikipedia talk", "Portal",
    "Portal talk", "Draft", "Draft talk", "Module", "Module talk",
)  # fmt: skip


def _clean(text: str) -> str:
    return re.sub(r"[ _]+", " ", text).strip()


def normalize_title(
    title: str, namespaces: Iterable[str] = (), *, case_sensitive: bool = False
) -> str:
    """The title as MediaWiki stores it: '2024_Syrian  opposition offensives' ->
    '2024 Syrian opposition offensives'; 'talk:foo' -> 'Talk:Foo'. On a case-sensitive
    wiki (Wiktionary) the first letter is kept. Raises InvalidTitle for titles MediaWiki
    rejects."""
    cleaned = _clean(title)
    if not cleaned:
        raise InvalidTitle("the title is empty")
    bad = _ILLEGAL.search(cleaned)
    if bad:
        raise InvalidTitle(
            f"invalid title {title!r}: MediaWiki titles cannot contain {bad.group()!r}"
        )
    if len(cleaned.encode("utf-8")) > 255:
        raise InvalidTitle(f"invalid title {title[:40]!r}…: longer than 255 bytes")
    fix_case = (lambda text: text) if case_sensitive else upper_first
    prefix, colon, rest = cleaned.partition(":")
    if colon and rest.strip():
        known = {name.casefold(): name for name in (*CANONICAL_NAMESPACES, *namespaces)}
        canonical = known.get(_clean(prefix).casefold())
        if canonical is not None:
            return f"{canonical}:{fix_case(rest.strip())}"
    return fix_case(cleaned)
