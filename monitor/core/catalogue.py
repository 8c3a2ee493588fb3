"""The template catalogue: how each display template an infobox uses shows on the page.

A handler renders one template call into the renderer's output (:data:`render.Out`):
text, item breaks and annotations (flags, links). Templates not in the catalogue are
rendered by :func:`unknown` from their arguments; templates that show nothing a reader
reads as a value (footnotes, maintenance tags, icons) are listed in :data:`NOTHING`.
"""

from __future__ import annotations

import datetime
import re

from mwparserfromhell import nodes

from . import render
from .names import upper_first
from .numbers import exact_value
from .scan import display_template_name

KIA_MARKER = " †"  # what {{KIA}} (and {{DOW}}, {{Executed}}) display: a dagger


def unknown(node: nodes.Template, name: str, raw_name: str, out: render.Out) -> None:
    """Something readable: the first non-empty positional argument, else the name."""
    positional, _ = render.template_args(node)
    for value in positional:
        if str(value).strip():
            render.render_code(value, out)
            return
    bare = raw_name.strip()
    if re.fullmatch(r"[A-Z]{3}", bare):  # {{CAN}}, {{GER}}: a country's flag and code
        out.append(("flag", bare))
        out.append(bare)
        return
    if ":" in name or bare.isupper() or name.startswith("#"):
        return  # parser functions and magic words cannot be evaluated here
    out.append(display_template_name(raw_name))


def _nothing(node: nodes.Template, name: str, raw_name: str, out: render.Out) -> None:
    return None


def list_template(node: nodes.Template, name: str, raw_name: str, out: render.Out) -> None:
    positional, _ = render.template_args(node)
    out.append(render.BREAK)
    for value in positional:
        render.render_code(value, out)
        out.append(render.BREAK)


def _break(node: nodes.Template, name: str, raw_name: str, out: render.Out) -> None:
    out.append(render.BREAK)


def _first(node: nodes.Template, name: str, raw_name: str, out: render.Out) -> None:
    positional, named = render.template_args(node)
    if positional:
        render.render_code(positional[0], out)
    elif "text" in named:
        render.render_code(named["text"], out)
    elif "1" in named:
        render.render_code(named["1"], out)


def _second(node: nodes.Template, name: str, raw_name: str, out: render.Out) -> None:
    positional, named = render.template_args(node)
    if len(positional) > 1:
        render.render_code(positional[1], out)
    elif "text" in named:
        render.render_code(named["text"], out)


def _last(node: nodes.Template, name: str, raw_name: str, out: render.Out) -> None:
    positional, named = render.template_args(node)
    if positional:
        render.render_code(positional[-1], out)
    elif "text" in named:
        render.render_code(named["text"], out)


def _flagicon(node: nodes.Template, name: str, raw_name: str, out: render.Out) -> None:
    positional, _ = render.template_args(node)
    side = render.text_arg(positional, 0)
    if side:
        out.append(("flag", side))


def _flagicon_image(node: nodes.Template, name: str, raw_name: str, out: render.Out) -> None:
    positional, _ = render.template_args(node)
    file_name = render.text_arg(positional, 0)
    if file_name:
        out.append(("flag", render.file_side(file_name)))


def _flag(node: nodes.Template, name: str, raw_name: str, out: render.Out) -> None:
    """{{flag|X}} / {{flagcountry|X}}: a flag and the linked name; {{flagu|X}}: unlinked."""
    positional, named = render.template_args(node)
    if name == "flagg":  # {{flagg|mode|X}}
        positional = positional[1:]
    side = render.text_arg(positional, 0)
    if not side:
        return
    text = render.flat(named["name"]) if "name" in named else side
    out.append(("flag", side))
    if name not in ("flagu", "flag u"):
        out.append(("link", render.normalize_link_target(side), text))
    out.append(text)


_MILITARY = {
    "army": "Army", "air force": "Air Force", "navy": "Navy", "armed forces": "Armed Forces",
    "naval": "Navy", "marines": "Marines", "coast guard": "Coast Guard",
}  # fmt: skip


def _military(node: nodes.Template, name: str, raw_name: str, out: render.Out) -> None:
    """{{army|Syria}} → flag Syria, "Syria Army" (the real name needs the template's data)."""
    positional, _ = render.template_args(node)
    side = render.text_arg(positional, 0)
    if not side:
        return
    text = f"{side} {_MILITARY[name]}"
    out.append(("flag", side))
    out.append(("link", text, text))
    out.append(text)


def _shows(text: str) -> render.Handler:
    """A handler for a template that always shows ``text`` ({{KIA}}, {{ndash}}, {{!}})."""

    def handler(node: nodes.Template, name: str, raw_name: str, out: render.Out) -> None:
        out.append(text)

    return handler


def _sic(node: nodes.Template, name: str, raw_name: str, out: render.Out) -> None:
    """{{sic|Hel|lo}} → "Hello": the text as written (the editorial "[sic]" is dropped,
    like other maintenance marks)."""
    positional, _ = render.template_args(node)
    for value in positional:
        render.render_code(value, out)


def _circa(node: nodes.Template, name: str, raw_name: str, out: render.Out) -> None:
    positional, _ = render.template_args(node)
    value = render.text_arg(positional, 0)
    out.append(f"c. {value}" if value else "c.")


_RANGE_WORDS = {"-": "–", "–": "–", "—": "–", "to": " to ", "and": " and ", "or": " or ",
                "&": " & ", "x": " × ", "×": " × ", "by": " by ", "+": " + ", "to(-)": " to ",
                "and(-)": " and ", "+/-": " ± ", "±": " ± "}  # fmt: skip


def _convert(node: nodes.Template, name: str, raw_name: str, out: render.Out) -> None:
    """{{convert|20|km}} → "20 km"; {{convert|20|-|30|km}} → "20–30 km"."""
    positional, _ = render.template_args(node)
    values = [render.text_arg(positional, i) for i in range(min(len(positional), 6))]
    if not values:
        return
    if len(values) >= 4 and values[1] in _RANGE_WORDS:
        out.append(f"{values[0]}{_RANGE_WORDS[values[1]]}{values[2]} {values[3]}")
    elif len(values) >= 2:
        out.append(f"{values[0]} {values[1]}")
    else:
        out.append(values[0])


def _lang(node: nodes.Template, name: str, raw_name: str, out: render.Out) -> None:
    """{{lang|xx|text}}, {{langx|xx|text}}, {{lang-xx|text}}, {{transl|xx|text}}."""
    positional, named = render.template_args(node)
    index = 0 if name.startswith("lang-") else 1
    if index < len(positional):
        render.render_code(positional[index], out)
    elif "text" in named:
        render.render_code(named["text"], out)


def _legend(node: nodes.Template, name: str, raw_name: str, out: render.Out) -> None:
    """{{legend|#color|label}}: the label, on a line of its own."""
    positional, named = render.template_args(node)
    out.append(render.BREAK)
    if len(positional) > 1:
        render.render_code(positional[1], out)
    elif "text" in named:
        render.render_code(named["text"], out)
    out.append(render.BREAK)


def _interlanguage(node: nodes.Template, name: str, raw_name: str, out: render.Out) -> None:
    """{{ill|Local|de|Fremd}}: a link to the local page."""
    positional, named = render.template_args(node)
    target = render.text_arg(positional, 0)
    text = render.flat(named["lt"]) if "lt" in named else target
    if target:
        out.append(("link", render.normalize_link_target(target), text))
        out.append(text)


def _sortname(node: nodes.Template, name: str, raw_name: str, out: render.Out) -> None:
    positional, named = render.template_args(node)
    text = " ".join(
        x for x in (render.text_arg(positional, 0), render.text_arg(positional, 1)) if x
    )
    target = render.text_arg(positional, 2) or text
    if "nolink" in named:
        out.append(text)
        return
    out.append(("link", render.normalize_link_target(target), text))
    out.append(text)


def _marriage(node: nodes.Template, name: str, raw_name: str, out: render.Out) -> None:
    """{{marriage|[[Mary Todd]]|1842|1865}} → "Mary Todd (m. 1842–1865)"."""
    positional, _ = render.template_args(node)
    if positional:
        render.render_code(positional[0], out)
    years = "–".join(
        x for x in (render.text_arg(positional, 1), render.text_arg(positional, 2)) if x
    )
    if years:
        out.append(f" (m. {years})")


def _abbr(node: nodes.Template, name: str, raw_name: str, out: render.Out) -> None:
    positional, _ = render.template_args(node)
    if positional:
        render.render_code(positional[0], out)


def _coord(node: nodes.Template, name: str, raw_name: str, out: render.Out) -> None:
    """{{coord|52|31|N|13|24|E}} → "52°31′N 13°24′E"; decimal forms as they are."""
    positional, _ = render.template_args(node)
    values = [render.text_arg(positional, i) for i in range(len(positional))]
    parts: list[str] = []
    group: list[str] = []
    marks = ("°", "′", "″")
    for value in values:
        if value.upper() in ("N", "S", "E", "W"):
            parts.append("".join(v + marks[i] for i, v in enumerate(group[:3])) + value.upper())
            group = []
        elif re.fullmatch(r"-?\d+(?:\.\d+)?", value):
            group.append(value)
    if group and not parts:
        parts = ["°, ".join(group[:2]) + "°"]
    out.append(" ".join(parts) if parts else "coordinates")


def _formatnum(node: nodes.Template, name: str, raw_name: str, out: render.Out) -> None:
    value = raw_name.split(":", 1)[1].strip() if ":" in raw_name else ""
    number = exact_value(value.replace(",", "")) if len(value) <= 40 else None
    if number is None:
        out.append(value)
    elif number == number.to_integral_value():
        out.append(f"{int(number):,}")
    else:
        out.append(f"{number:,}")


def _case_function(node: nodes.Template, name: str, raw_name: str, out: render.Out) -> None:
    function, _, value = raw_name.partition(":")
    value = render.clean_text(value)
    function = function.strip().casefold()
    if function == "lc":
        value = value.lower()
    elif function == "uc":
        value = value.upper()
    elif function == "ucfirst":
        value = upper_first(value)
    elif function == "lcfirst":
        value = value[:1].lower() + value[1:]
    out.append(value)


# Dates: deterministic renderings only (an age "as of today" would change by itself).

_MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip


def _month(value: str) -> int | None:
    value = value.strip()
    if render.ascii_digits(value, 2):
        month = int(value)
        return month if 1 <= month <= 12 else None
    for i, month_name in enumerate(_MONTH_NAMES):
        if value and month_name.casefold().startswith(value.casefold()[:3]):
            return i + 1
    return None


Date = tuple[int, int | None, int | None]  # year, month, day


def _ymd(values: list[str]) -> Date | None:
    if not values or not render.ascii_digits(values[0].strip().removeprefix("-"), 6):
        return None
    year = int(values[0])
    month = _month(values[1]) if len(values) > 1 and values[1].strip() else None
    day = None
    if month and len(values) > 2 and render.ascii_digits(values[2].strip(), 2):
        day = int(values[2])
    return year, month, day


def _format_date(date: Date, day_first: bool) -> str:
    year, month, day = date
    if month is None:
        return str(year)
    if day is None:
        return f"{_MONTH_NAMES[month - 1]} {year}"
    if day_first:
        return f"{day} {_MONTH_NAMES[month - 1]} {year}"
    return f"{_MONTH_NAMES[month - 1]} {day}, {year}"


def _date_template(node: nodes.Template, name: str, raw_name: str, out: render.Out) -> None:
    """{{start date|2024|11|27|df=y}} → "27 November 2024"; {{death date and age|…}} adds
    "(aged N)"; {{birth date and age}} shows the date only."""
    positional, named = render.template_args(node)
    values = [render.text_arg(positional, i) for i in range(len(positional))]
    day_first = render.flat(named.get("df")).casefold() in ("y", "yes", "1", "true")
    date = _ymd(values[:3])
    if date is None:
        if values:
            out.append(values[0])
        return
    text = _format_date(date, day_first)
    if name in ("death date and age", "dda", "death-date and age") and len(values) >= 4:
        birth = _ymd(values[3:6])
        if birth is not None:
            years = _years_between(birth, date)
            if years is not None:
                text += f" (aged {years})"
    out.append(text)


def _years_between(a: Date, b: Date) -> int | None:
    if a[1] is None or b[1] is None:
        return None
    years = b[0] - a[0]
    if (b[1], b[2] or 1) < (a[1], a[2] or 1):
        years -= 1
    return years


def _age_template(node: nodes.Template, name: str, raw_name: str, out: render.Out) -> None:
    """{{Age in years, months, weeks and days|year1=…|…|year2=…}} → "1 week and 4 days".
    Without an end date the age is "as of today": nothing is shown."""
    positional, named = render.template_args(node)
    values = [render.text_arg(positional, i) for i in range(len(positional))]

    def date(n: int) -> datetime.date | None:
        keys = (f"year{n}", f"month{n}", f"day{n}")
        if all(k in named for k in keys):
            parts = [render.flat(named[k]) for k in keys]
        else:
            parts = values[(n - 1) * 3 : n * 3]
        if len(parts) < 3:
            return None
        try:
            month = _month(parts[1])
            return datetime.date(int(parts[0]), month or 0, int(parts[2]))
        except (TypeError, ValueError, OverflowError):
            return None

    start, end = date(1), date(2)
    if start is None or end is None or end < start:
        return
    years = end.year - start.year
    months = end.month - start.month
    days = end.day - start.day
    if days < 0:
        months -= 1
        previous_month = end.replace(day=1) - datetime.timedelta(days=1)
        days += previous_month.day
    if months < 0:
        years -= 1
        months += 12
    units: list[tuple[int, str]] = []
    if name in ("age", "age in years"):
        out.append(str(years))
        return
    if "years" in name:
        units.append((years, "year"))
    else:
        months += years * 12
    if "months" in name:
        units.append((months, "month"))
    else:  # {{age in days}}, {{age in years and days}}: the days since the last birthday
        anniversary = start.year + (years if "years" in name else 0)
        try:
            days = (end - start.replace(year=anniversary)).days
        except ValueError:  # 29 February
            days = (end - start.replace(year=anniversary, day=28)).days - 1
    if "weeks" in name:
        units += [(days // 7, "week"), (days % 7, "day")]
    elif "days" in name:
        units.append((days, "day"))
    shown = [f"{n} {unit}{'' if n == 1 else 's'}" for n, unit in units if n]
    if not shown:
        shown = ["0 days"]
    out.append(shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1])


NOTHING = frozenset(
    # footnotes and references
    {"efn", "efn-ua", "efn-lr", "efn-ur", "efn-lg", "efn-la", "efn-ll", "refn",
     "sfn", "sfnp", "sfnm", "sfnb", "harvnb", "harv", "harvp", "harvtxt", "r", "rp", "ref",
     "ref label", "note label", "notetag", "note", "reflist", "notelist", "cite",
     "citation", "cite web", "cite news", "cite book", "cite journal",
     # maintenance tags
     "cn", "citation needed", "fact", "discuss", "dubious", "dubious inline", "better source",
     "better source needed", "bsn", "when", "clarify", "clarification needed", "update inline",
     "update after", "vague", "according to whom", "by whom", "who", "which", "whom",
     "failed verification", "verification needed", "verify source", "page needed",
     "full citation needed", "unreliable source?", "unreliable source", "disputed inline",
     "original research inline", "or", "self-published inline", "self-published source",
     "third-party inline", "primary source inline", "needs update", "dead link",
     "cbignore", "specify", "examples", "weasel inline",
     "peacock inline", "pov inline", "npov inline", "contradictory inline",
     "irrelevant citation", "more citations needed span", "nonspecific", "elucidate",
     "year needed", "date missing", "tone inline", "attribution needed", "by how much",
     "how", "why", "where", "quantify", "unbalanced opinion", "inconsistent", "lopsided",
     "unreliable medical source", "request quotation", "rq", "page numbers needed",
     # icons and layout
     "increase", "decrease", "steady", "increasenegative", "decreasepositive",
     "increasepositive", "decreasenegative", "increaseneutral", "decreaseneutral",
     "nowrap begin", "nowrap end", "clear", "-", "clr", "endplainlist", "startplainlist",
     "endflatlist", "startflatlist", "end plainlist", "start plainlist", "div col end",
     "col-end", "anchor", "short description", "defaultsort", "toc", "void", "nobreak",
     "stack begin", "stack end", "up", "down"}
)  # fmt: skip

HANDLERS: dict[str, render.Handler] = {}


def _register(handler: render.Handler, *names: str) -> None:
    for name in names:
        if name in HANDLERS:  # the later registration would silently win
            raise ValueError(f"template {name!r} registered twice")
        HANDLERS[name] = handler


_register(_flagicon, "flagicon", "flag icon", "flagdeco", "flagicon2", "flagicon-nl")
_register(_flagicon_image, "flagicon image", "flag icon image", "flagdeco image")
_register(_flag, "flag", "flagcountry", "flag country", "flagu", "flag u", "flagg")
_register(_military, *_MILITARY)
_register(list_template, "ubl", "unbulleted list", "ublist", "unbulleted", "plainlist",
          "plain list", "flatlist", "flat list", "hlist", "bulleted list", "bulletted list",
          "blist", "bullet list", "ordered list", "unordered list", "collapsible list",
          "cslist", "vunblist", "ubil", "unbulleted indent list", "div col", "columns-list",
          "col-begin", "indented plainlist")  # fmt: skip
_register(_break, "pb", "br", "break", "crlf", "hr", "paragraph break", "parabr")
_register(_first, "nowrap", "nobr", "small", "smaller", "big", "larger", "nobold", "noitalic",
          "em", "strong", "center", "centre", "bold", "italic", "font",
          "not a typo", "longitem", "nowraplinks", "url", "tooltip", "hover title", "abbrv",
          "small caps", "smallcaps", "sc", "lower", "nihongo", "nastaliq", "large", "huge",
          "midsize", "text", "plain", "nowrap links", "italic title", "ital", "noitalics",
          "no italic", "serif", "mono", "monospace", "clarify span",
          "citation needed span", "abbreviation", "sic?", "nbsp fix", "bigger", "strikethrough",
          "strike", "underline", "sans-serif", "keypress", "highlight", "tooltip2")  # fmt: skip
_register(_second, "color", "colour", "fontcolor", "font color", "native name", "native phrase")
_register(_last, "transl", "transliteration", "lang-rtl", "resize")
_register(_lang, "lang", "langx", "lang-x")
_register(_legend, "legend", "leftlegend", "legend2", "legend inline", "legend-line",
          "legend striped", "legend0", "legend3", "legend-table")  # fmt: skip
_register(_interlanguage, "ill", "interlanguage link", "interlanguage link multi", "link-interwiki")
_register(_sortname, "sortname")
_register(_marriage, "marriage", "married")
_register(_abbr, "abbr", "abbrlink")
_register(_coord, "coord", "coor", "coor d", "coor dm", "coor dms")
_register(_circa, "circa", "c.", "ca.", "ca", "circa.")
_register(_convert, "convert", "cvt")
_register(_shows(KIA_MARKER), "kia", "dow", "executed", "killed in action", "died of wounds")
_register(_shows(" (POW)"), "pow", "prisoner of war")
_register(_shows(" (MIA)"), "mia", "missing in action")
_register(_shows(" (WIA)"), "wia", "wounded in action")
_register(_shows(" (surrendered)"), "surrendered")
_register(_shows("–"), "ndash", "en dash", "dash", "endash", "–")
_register(_shows("—"), "mdash", "em dash", "emdash", "—")
_register(_shows(" – "), "snd", "snds", "spaced ndash", "spnd", "sndash", "spaced en dash")
_register(_shows(" — "), "spaced mdash", "smd", "sm dash")
_register(_shows(" · "), "·", "dot", "middot", "dotsep", "tsep", "·wrap")
_register(_shows(" • "), "•", "bull", "bullet", "ubl bullet")
_register(_shows(" "), "nbsp", "space", "spaces", "thinsp", "hair space", "sp", "zwsp", "ns")
_register(_shows("|"), "!")
_register(_shows("="), "=")
_register(_shows("'"), "'", "apostrophe")
_register(_shows("/"), "slash", "/")
_register(_date_template, "start date", "end date", "start date and age", "end date and age",
          "birth date", "death date", "birth date and age", "death date and age", "dob",
          "bda", "dda", "birth-date", "death-date", "birth date and age2",
          "birth year and age", "death year and age", "start and end dates", "date",
          "film date", "release date", "start-date", "end-date")  # fmt: skip
_register(_age_template, "age in years, months, weeks and days", "age in years, months and days",
          "age in years and days", "age in days", "age in years and months",
          "age in years, months, and days", "age in months, weeks and days",
          "age in weeks and days", "age in years", "age")  # fmt: skip
_register(_nothing, "#tag:ref")
_register(_sic, "sic")

PREFIX_HANDLERS: tuple[tuple[str, render.Handler], ...] = (
    ("formatnum:", _formatnum),
    ("lc:", _case_function),
    ("uc:", _case_function),
    ("ucfirst:", _case_function),
    ("lcfirst:", _case_function),
    ("#tag:", _nothing),
    ("#", _nothing),
    ("lang-", _lang),
    ("cite ", _nothing),
    ("efn", _nothing),
)


# Templates whose handler shows no text (a flag icon is noted as the item's side only).
SHOWS_NO_TEXT = frozenset({_flagicon, _flagicon_image, _nothing})


def handler_for(name: str) -> render.Handler:
    """How to render the template ``name`` (normalized): its handler, a prefix's handler
    ({{lang-fr|…}}, {{formatnum:…}}), nothing for footnotes and maintenance tags, else
    :func:`unknown`."""
    handler = HANDLERS.get(name)
    if handler is not None:
        return handler
    for prefix, prefix_handler in PREFIX_HANDLERS:
        if name.startswith(prefix):
            return prefix_handler
    if name in NOTHING or name.endswith((" inline", " needed")):
        return _nothing
    return unknown
