"""Numbers as infobox text writes them: one definition for extraction and the diff.

Pure functions, no I/O. :mod:`monitor.extract` finds figures with :data:`QUANTITY` and
:func:`count`; :mod:`monitor.diff` masks the same :func:`quantities` and compares their
:func:`exact_value`, so that both always agree on where a number is and what it is worth.

How a number may be written (ASCII digits, not glued to a letter before them: there is no
number in "Konservatorium2.jpg" or "IUCN3.1"):

* ``1,000`` / ``1,234,567`` (comma groups, optionally ``.5``), ``70 000`` (groups of three
  separated by a space, a no-break space or a thin space), ``1.000`` / ``1.000.000`` (dot
  groups: thousands, as in many languages), ``1000``, ``2.5``;
* followed by a multiplier: ``1.5 million``, ``2,5 million`` (a decimal comma, only before
  a multiplier), ``3 bn``;
* ranges ``70,000–90,000``, ``300 to 400``, ``2–3 million``; a ``+`` after (``1,000+``).

A *count* (the value of a figure) is a whole number no greater than :data:`MAX_FIGURE`;
anything else (decimals such as ``1,234.5``, absurdly long digit strings) stays text.

The words around numbers live here too: figure categories (:data:`CATEGORIES`), the words
that make a number approximate (:data:`APPROXIMATION_WORDS`) or a lower bound
(:data:`PLUS_WORDS`) — :func:`is_qualifier` tells whether some words are only such
qualifiers — and the other words a figure is written with (:data:`FIGURE_WORDS`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Context, Decimal

__all__ = [
    "APPROXIMATE_BEFORE",
    "APPROXIMATION_SYMBOLS",
    "APPROXIMATION_WORDS",
    "CATEGORIES",
    "CATEGORY",
    "FIGURE_WORDS",
    "MAX_FIGURE",
    "MULTIPLIERS",
    "PLUS_BEFORE",
    "PLUS_SYMBOLS",
    "PLUS_WORDS",
    "QUALIFIED_NUMBER",
    "QUANTITY",
    "Quantity",
    "UPPER_BOUND_SYMBOLS",
    "UPPER_BOUND_WORDS",
    "category_name",
    "count",
    "exact_value",
    "is_qualifier",
    "quantities",
]

MAX_FIGURE = 10**15  # larger numbers are not figures (and would not fit an SQLite INTEGER)

MULTIPLIERS = {"million": 10**6, "mln": 10**6, "thousand": 10**3, "billion": 10**9, "bn": 10**9}
_MULTIPLIER = "|".join(MULTIPLIERS)
_GROUP_SPACE = "[ \u00a0\u202f\u2009]"  # space, no-break space, narrow no-break, thin space

# One number as written (without its multiplier); the order of the alternatives matters.
NUMBER = (
    r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?(?![0-9])"  # 1,000  1,234.5
    r"|[0-9]{1,3}(?:\.[0-9]{3})+(?![0-9])"  # 1.000  1.000.000
    rf"|[0-9]{{1,3}}(?:{_GROUP_SPACE}[0-9]{{3}})+(?![0-9])"  # 70 000
    rf"|[0-9]+,[0-9]{{1,2}}(?=\s*(?:{_MULTIPLIER})\b)"  # 2,5 million
    r"|[0-9]+(?:\.[0-9]+)?"  # 1000  2.5
)

# A number or a range as written, with what is glued to it: a, amul (its multiplier), sep,
# b, bmul (a range's second end), plus ("1,000+") and after (letters, %, ° right after the
# digits: "5th", "10km", "75%", "1990s").
QUANTITY = re.compile(
    rf"(?<!\w)(?<![0-9][.,])(?P<a>{NUMBER})(?:\s*(?P<amul>{_MULTIPLIER})\b)?"
    rf"(?:\s*(?P<sep>[–—−-]|to)\s*(?P<b>{NUMBER})(?:\s*(?P<bmul>{_MULTIPLIER})\b)?)?"
    r"(?P<plus>\+)?(?P<after>[^\W\d_]+|%|°|′|″)?",
    re.IGNORECASE,
)

# -- words around numbers -------------------------------------------------------------------

# Categories of figures, in the order they are tried; a phrase of several words matches
# with any spacing. "killed and wounded" (one figure for both) comes first.
CATEGORIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("killed", ("killed", "kia", "dead", "death", "deaths", "died", "dies", "fatalities",
                "fatality", "executed", "slain", "martyred", "murdered", "massacred",
                "lives lost", "lost their lives", "perished", "drowned")),
    ("wounded", ("wounded", "injured", "injuries", "injury", "wia", "hurt", "wounds")),
    ("captured", ("captured", "prisoner", "prisoners", "pow", "pows", "taken prisoner",
                  "surrendered", "hostage", "hostages", "abducted", "kidnapped")),
    ("missing", ("missing", "mia", "disappeared", "unaccounted")),
    ("arrested", ("arrested", "arrest", "arrests", "detained", "detainee", "detainees",
                  "detention", "detentions", "jailed", "imprisoned")),
    ("displaced", ("displaced", "refugee", "refugees", "idp", "idps", "evacuated", "evacuees",
                   "fled", "homeless", "uprooted")),
    ("deserted", ("deserted", "deserter", "deserters", "defected", "defector", "defectors")),
    ("destroyed", ("destroyed", "shot down", "sunk", "downed")),
    ("casualties", ("casualties", "casualty", "losses")),
)  # fmt: skip
_KILLED_AND_WOUNDED = r"(?:killed|dead)\s*(?:,|and|or|&|/)\s*(?:wounded|injured)"

# Before a number: it is approximate ("c. 1,000", "~500") or a lower bound ("over 400").
APPROXIMATION_WORDS = (
    "c", "ca", "circa", "approx", "approximately", "about", "around", "roughly", "nearly",
    "almost", "some", "est", "estimated", "reportedly", "an estimated",
)  # fmt: skip
APPROXIMATION_SYMBOLS = ("~", "≈", "∼")
PLUS_WORDS = (
    "over", "more than", "at least", "in excess of", "upwards of", "minimum of", "min.",
)  # fmt: skip
PLUS_SYMBOLS = (">", "≥")
UPPER_BOUND_WORDS = ("up to",)  # "up to 500": neither approximate nor a lower bound
UPPER_BOUND_SYMBOLS = ("<", "≤")
# Other words a figure is written with ("several hundred killed and some missing").
_CONNECTIVES = (
    "and", "or", "plus", "including", "incl", "several", "dozens", "dozen", "hundreds",
    "thousands", "many", "few", "unknown", "less", "up to", "kill", "wound", "capture",
    "taken", "damaged",
)  # fmt: skip


def _phrase(words: tuple[str, ...] | list[str]) -> str:
    """An alternation of words/phrases, longest first, spaces matching any spacing."""
    ordered = sorted(words, key=len, reverse=True)
    return "|".join(r"\s+".join(map(re.escape, w.split())) for w in ordered)


CATEGORY = re.compile(
    "|".join(
        [rf"(?P<k>\b{_KILLED_AND_WOUNDED}\b)"]
        + [rf"(?P<c{i}>\b(?:{_phrase(words)})\b)" for i, (_, words) in enumerate(CATEGORIES)]
    ),
    re.IGNORECASE,
)
_CATEGORY_NAMES = {"k": "casualties"} | {f"c{i}": name for i, (name, _) in enumerate(CATEGORIES)}

_APPROXIMATION = rf"\b(?:{_phrase(APPROXIMATION_WORDS)}|up\s+to\s+c)\.?"
APPROXIMATE_BEFORE = re.compile(
    rf"(?:{_APPROXIMATION}|[{''.join(APPROXIMATION_SYMBOLS)}])\s*$", re.IGNORECASE
)
_PLUS = rf"\b(?:{_phrase([w for w in PLUS_WORDS if w != 'min.'])})\b|\bmin\."
PLUS_BEFORE = re.compile(rf"(?:{_PLUS}|[{''.join(PLUS_SYMBOLS)}])\s*$", re.IGNORECASE)
# A number with the words that qualify it, as a text key leaves it out: "c. 1,000+",
# "about 2–3 million", "~70 000".
QUALIFIED_NUMBER = re.compile(
    rf"(?:(?:{_APPROXIMATION}|{_PLUS}|\b(?:{_phrase(UPPER_BOUND_WORDS)})\b|"
    rf"[{''.join(APPROXIMATION_SYMBOLS + PLUS_SYMBOLS + UPPER_BOUND_SYMBOLS)}])\s*)?"
    rf"(?<!\w)(?<![0-9][.,])(?:{NUMBER})(?:\s*(?:{_MULTIPLIER})\b)?"
    rf"(?:\s*(?:[–—−-]|to)\s*(?:{NUMBER})(?:\s*(?:{_MULTIPLIER})\b)?)?\+?",
    re.IGNORECASE,
)


_COMMON_WORDS = frozenset({"in", "of", "an", "their"})  # parts of phrases, too common alone


def _tokens(words: tuple[str, ...]) -> set[str]:
    return {token.strip(".") for word in words for token in word.split()} - _COMMON_WORDS


# Every word that belongs to how a figure is written, one token each ("shot", "down").
FIGURE_WORDS = frozenset(
    _tokens(tuple(w for _, words in CATEGORIES for w in words))
    | _tokens(APPROXIMATION_WORDS)
    | _tokens(PLUS_WORDS)
    | _tokens(_CONNECTIVES)
    | _tokens(UPPER_BOUND_WORDS)
)
# How a number is qualified, as a sequence of tokens ("c ." "in excess of" "~"): rewording
# one qualifier into another ("c. 1,000" → "~1,000") changes no text, only (at most) the
# figure's approximate/plus flags.
_QUALIFIER_TOKENS = re.compile(
    r"(?:(?:^| )(?:{}))*".format(
        "|".join(
            re.escape(" ".join(phrase.replace(".", " .").split()))
            for phrase in sorted(
                APPROXIMATION_WORDS
                + PLUS_WORDS
                + UPPER_BOUND_WORDS
                + APPROXIMATION_SYMBOLS
                + PLUS_SYMBOLS
                + UPPER_BOUND_SYMBOLS
                + (".",),
                key=len,
                reverse=True,
            )
        )
    )
)


def is_qualifier(tokens: list[str]) -> bool:
    """Whether ``tokens`` (words and signs, as the diff splits text) are only words that
    qualify a number: "c", "."; "about"; "more", "than"; "~"."""
    return bool(tokens) and _QUALIFIER_TOKENS.fullmatch(" ".join(tokens)) is not None


def category_name(match: re.Match[str]) -> str:
    """The category named by a :data:`CATEGORY` match."""
    assert match.lastgroup is not None
    return _CATEGORY_NAMES[match.lastgroup]


# -- values ---------------------------------------------------------------------------------

_SPACES = re.compile(_GROUP_SPACE)
_COMMA_GROUPS = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?")
_DOT_GROUPS = re.compile(r"[0-9]{1,3}(?:\.[0-9]{3})+")
_PLAIN = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_WIDE = Context(prec=200)


def exact_value(digits: str, multiplier: str | None = None) -> Decimal | None:
    """The exact value of a number as written (see the module documentation), its
    multiplier applied; None when ``digits`` is not a number."""
    plain = _SPACES.sub("", digits)
    if "," in plain:
        if _COMMA_GROUPS.fullmatch(plain):
            plain = plain.replace(",", "")
        elif multiplier and plain.count(",") == 1 and "." not in plain:
            plain = plain.replace(",", ".")  # "2,5 million"
        else:
            return None
    elif _DOT_GROUPS.fullmatch(plain) and (plain.count(".") > 1 or not multiplier):
        plain = plain.replace(".", "")  # "1.000": a thousand ("1.5 million" is a decimal)
    if not _PLAIN.fullmatch(plain):
        return None
    value = Decimal(plain)
    if multiplier:
        value = _WIDE.multiply(value, Decimal(MULTIPLIERS[multiplier.casefold()]))
    return value


def count(digits: str, multiplier: str | None = None) -> int | None:
    """The value of a number as a figure: a whole number from 0 to :data:`MAX_FIGURE`;
    None for decimals ("1,234.5"), too large numbers and anything else."""
    value = exact_value(digits, multiplier)
    if value is None or value > MAX_FIGURE or value != value.to_integral_value():
        return None
    return int(value)


@dataclass(frozen=True)
class Quantity:
    """A number or range in a text: where it is, and its exact ends."""

    start: int
    end: int
    low: Decimal | None  # None: not a number after all ("2,500,5 million")
    high: Decimal | None
    text: str = ""  # as written


def quantities(text: str) -> list[Quantity]:
    """Every number and range of ``text`` (as :data:`QUANTITY` finds them), in order. A
    span ends after the number's multiplier and ``+``; letters or a sign glued after it
    ("5th", "10km", "75%") are not part of it."""
    found = []
    for match in QUANTITY.finditer(text):
        a, amul, b, bmul = match.group("a", "amul", "b", "bmul")
        low = exact_value(a, amul or bmul)
        high = exact_value(b, bmul) if b else low
        end = match.start("after") if match.group("after") else match.end()
        found.append(Quantity(match.start(), end, low, high, text[match.start() : end]))
    return found
