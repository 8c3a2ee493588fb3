"""The template catalogue: how each display template an infobox uses shows on the page.

A handler renders one template call into the renderer's output (:data:`render.Out`):
text, item breaks and annotations (flags, links). What each template shows, and why, is
written down in ``catalogue.md`` next to this file.

The principle: **render what you do not know rather than drop it.** A template that is
not in the catalogue shows its positional arguments and its named arguments that are not
presentational (:func:`unknown`); presentational arguments — style, class, width, size,
align, colours, image sizes, CSS in a positional argument — never become values
(:func:`presentational_arg`, :func:`presentational_value`). Templates that show nothing a
reader reads as a value (footnotes, maintenance tags) are listed in :data:`NOTHING`.
"""

from __future__ import annotations

import re

from mwparserfromhell import nodes

from . import dates, render
from .names import upper_first
from .numbers import exact_value
from .scan import display_template_name
from .tables import COUNTRY_NAMES, LANGUAGES

KIA_MARKER = " †"  # what {{KIA}} (and {{DOW}}, {{Executed}}) display: a dagger

# -- what is presentational -------------------------------------------------------------------

_CSS_PROPERTY = (
    r"(?:line-height|padding(?:-[a-z]+)?|margin(?:-[a-z]+)?|font(?:-[a-z]+)?|color|"
    r"background(?:-[a-z]+)?|text-[a-z]+|vertical-align|white-space|(?:max-|min-)?width|"
    r"(?:max-|min-)?height|border(?:-[a-z]+)?|display|float|clear|overflow|opacity|"
    r"letter-spacing|word-spacing|direction|list-style(?:-[a-z]+)?|box-shadow)"
)
# One or more CSS declarations ("line-height:1.25em", "padding-top:0;line-height:1.4em;"),
# in lower case as CSS is written ("Colour: red" is text): every repetition starts at a
# ";", so the match is linear.
_CSS = re.compile(
    rf"\s*{_CSS_PROPERTY}\s*:[^;{{}}\[\]<>|]*(?:;\s*(?:{_CSS_PROPERTY}\s*:[^;{{}}\[\]<>|]*)?)*"
)
_LENGTH = re.compile(
    r"\s*(?:x?\d+(?:\.\d+)?\s*(?:px|em|ex|pt|rem|%)|\d+x\d+px|upright(?:\s*=?\s*[\d.]+)?)\s*",
    re.IGNORECASE,
)
_COLOUR = re.compile(r"\s*#[0-9a-f]{3,8}\s*", re.IGNORECASE)
_PRESENTATIONAL_NAMES = frozenset(
    {"style", "class", "id", "align", "valign", "float", "width", "height", "size", "fontsize",
     "border", "padding", "margin", "bgcolor", "bgcolour", "background", "color", "colour",
     "fontcolor", "textcolor", "upright", "px", "scale", "dir", "css", "clear", "nowrap",
     "alt", "frame", "thumb", "frameless"}
)  # fmt: skip
_PRESENTATIONAL_ENDINGS = (
    "style", "class", "color", "colour", "size", "width", "height", "align", "_alt",
)  # fmt: skip
# Named arguments that are options or metadata of a template, not text it shows.
_OPTION_NAMES = frozenset(
    {"date", "url", "access-date", "accessdate", "archive-url", "archiveurl", "archive-date",
     "archivedate", "url-status", "df", "mf", "nocat", "nocategory", "ref", "group", "sort",
     "sortkey", "link", "links", "nolink", "lk", "abbr", "disp", "order", "sp", "adj",
     "sigfig", "round", "paren", "italic", "italics", "bot", "lang", "script", "rtl",
     "anchor", "name-list-style", "mode", "format", "display", "embed", "child", "subbox",
     "expand", "collapsed", "autocollapse", "state", "noicon", "icon", "variant",
     "reason", "talk", "section", "fix-attempted", "cs1-dates"}
)  # fmt: skip
_FLAG_VALUES = frozenset({"y", "yes", "n", "no", "true", "false", "on", "off", "0", "1", "none"})


def presentational_value(text: str) -> bool:
    """Whether a positional argument is presentation, not text: CSS declarations
    ("line-height:1.25em"), a length ("20px", "90%", "1.2em"), a colour ("#ebc0b3")."""
    if len(text) > 300:
        return False
    return any(p.fullmatch(text) is not None for p in (_CSS, _LENGTH, _COLOUR))


def _arg_name(name: str) -> str:
    return name.strip().casefold().replace(" ", "_").replace("-", "_")


def presentational_arg(name: str, value: str) -> bool:
    """Whether a named template argument never shows as text: presentation (style, class,
    width, size, align, colours, image sizes, alt text) or an option (``df=y``,
    ``link=no``, ``date=…`` of a maintenance mark)."""
    key = _arg_name(name)
    if key in _PRESENTATIONAL_NAMES or key.endswith(_PRESENTATIONAL_ENDINGS):
        return True
    if key.replace("_", "-") in _OPTION_NAMES or name.strip().casefold() in _OPTION_NAMES:
        return True
    value = value.strip()
    return value.casefold() in _FLAG_VALUES or presentational_value(value)


# Infobox parameters (not template arguments) are facts unless clearly presentation: a
# "width" or "color" can be a fact (a bridge's width, a mineral's colour), so only these.
_PICTURE = (
    r"(?:image|img|map|logo|flag|seal|coa|coat_of_arms|coat|emblem|insignia|photo|crew_photo|"
    r"signature|pushpin_map|pushpin|icon|symbol|locator_map|relief|m|caption|patch|mark|"
    r"banner|cover)"
)
_PRESENTATIONAL_PARAM = re.compile(
    rf"alt|.*_alt|alt_(?:flag|coat|map|image|img|symbol|seal|emblem|logo|caption)\d*|.*(?:style|class)|(?:bg|fg|family|header|title|text|border|box)"
    rf"_?colou?r|background|{_PICTURE}_?(?:size|width|height|upright|px|alt)|"
    r"upright|embed|child|subbox|italic_title|nocat|noicon|autocollapse|.*_?expand"
)


def presentational_param(name: str, value: str) -> bool:
    """Whether an infobox parameter is presentation, not a fact: alt texts, styles and
    classes, header colours, picture sizes (``image_size = 300px``), box options
    (``embed = yes``) — by its name, or by a value that is only a length or CSS."""
    key = _arg_name(name)
    if len(key) <= 60 and _PRESENTATIONAL_PARAM.fullmatch(key) is not None:
        return True
    return presentational_value(value.strip()) and not value.strip().startswith("#")


# -- the handlers -----------------------------------------------------------------------------


def _args_shown(node: nodes.Template) -> list[object]:
    """The arguments an unknown template shows, in order: positional ones that are not
    presentation, then named ones that are neither presentation nor options."""
    positional, _ = render.template_args(node)
    shown: list[object] = [
        value for value in positional
        if str(value).strip() and not presentational_value(render.flat(value))
    ]  # fmt: skip
    for param in node.params:
        key = str(param.name).strip()
        if not param.showkey or render.ascii_digits(key, 4):
            continue
        if str(param.value).strip() and not presentational_arg(key, render.flat(param.value)):
            shown.append(param.value)
    return shown


def unknown(node: nodes.Template, name: str, raw_name: str, out: render.Out) -> None:
    """A template not in the catalogue: what it is given to show (:func:`_args_shown`),
    separated by spaces; with nothing to show, its name (a {{Yes}} shows "Yes"), or a
    country's flag and code for {{CAN}}-style templates."""
    shown = _args_shown(node)
    if shown:
        for i, value in enumerate(shown):
            if i:
                out.append(" ")
            render.render_code(value, out)  # type: ignore[arg-type]
        return
    bare = raw_name.strip()
    if re.fullmatch(r"[A-Z]{3}", bare):  # {{CAN}}, {{GER}}: a country's flag and code
        out.append(("flag", COUNTRY_NAMES.get(bare.casefold(), bare)))
        out.append(bare)
        return
    if ":" in name or bare.isupper() or name.startswith("#"):
        return  # parser functions and magic words cannot be evaluated here
    out.append(display_template_name(raw_name))


def _nothing(node: nodes.Template, name: str, raw_name: str, out: render.Out) -> None:
    return None


def list_template(node: nodes.Template, name: str, raw_name: str, out: render.Out) -> None:
    """{{ubl|A|B}}, {{hlist}}, {{plainlist}}…: each item on a line of its own;
    {{collapsible list|title=T|…}} shows its title first (the items on a click)."""
    positional, named = render.template_args(node)
    out.append(render.BREAK)
    title = named.get("title")
    if title is not None and name in ("collapsible list", "cslist"):
        render.render_code(title, out)
        out.append(render.BREAK)
    for value in positional:
        render.render_code(value, out)
        out.append(render.BREAK)


def _break(node: nodes.Template, name: str, raw_name: str, out: render.Out) -> None:
    out.append(render.BREAK)


def _shown_positional(node: nodes.Template) -> list[object]:
    positional, _ = render.template_args(node)
    return [v for v in positional if not presentational_value(render.flat(v))]


def _first(node: nodes.Template, name: str, raw_name: str, out: render.Out) -> None:
    """{{nowrap|text}}, {{small|text}}, {{tooltip|text|title}}…: the text. A first
    argument that is CSS is not text ({{longitem|line-height:1.25em|text}})."""
    positional = _shown_positional(node)
    _, named = render.template_args(node)
    if positional:
        render.render_code(positional[0], out)  # type: ignore[arg-type]
    elif "text" in named:
        render.render_code(named["text"], out)


def _second(node: nodes.Template, name: str, raw_name: str, out: render.Out) -> None:
    positional, named = render.template_args(node)
    if len(positional) > 1:
        render.render_code(positional[1], out)
    elif "text" in named:
        render.render_code(named["text"], out)


def _last(node: nodes.Template, name: str, raw_name: str, out: render.Out) -> None:
    """{{transl|ar|text}}, {{resize|90%|text}}, {{longitem|style|text}}: the last."""
    positional = _shown_positional(node)
    _, named = render.template_args(node)
    if positional:
        render.render_code(positional[-1], out)  # type: ignore[arg-type]
    elif "text" in named:
        render.render_code(named["text"], out)


def _url(node: nodes.Template, name: str, raw_name: str, out: render.Out) -> None:
    """{{URL|http://www.ansi.org/}} → "www.ansi.org"; {{URL|example.org|Example}} →
    "Example"."""
    positional, _ = render.template_args(node)
    label = render.text_arg(positional, 1)
    if label:
        out.append(label)
        return
    address = render.text_arg(positional, 0)
    address = re.sub(r"^(?:https?:)?//", "", address, flags=re.IGNORECASE)
    out.append(address[:-1] if address.endswith("/") and address.count("/") == 1 else address)


# -- flags and armed forces -------------------------------------------------------------------


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
    """{{flag|X}}: a flag and X, linked; {{flagcountry|X}} and {{flagu|X}}: the country's
    short name ({{flagcountry|Kingdom of Great Britain}} → "Great Britain"); ``name=``
    replaces the text. The second argument (a variant, e.g. a year) is not shown."""
    positional, named = render.template_args(node)
    if name == "flagg":  # {{flagg|mode|X}}
        positional = positional[1:]
    side = render.text_arg(positional, 0)
    if not side:
        return
    if "name" in named:
        text = render.flat(named["name"])
    elif name in ("flag", "flagg"):
        text = side
    else:
        text = COUNTRY_NAMES.get(side.casefold(), side)
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


# -- numbers and units ------------------------------------------------------------------------

_RANGE_WORDS = {"-": "–", "–": "–", "—": "–", "to": " to ", "and": " and ", "or": " or ",
                "&": " & ", "x": " × ", "×": " × ", "by": " by ", "+": " + ", "to(-)": " to ",
                "and(-)": " and ", "+/-": " ± ", "±": " ± "}  # fmt: skip
_PLAIN_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def _grouped(number: str) -> str:
    """A plain number with thousands separators, as {{convert}} shows it: 63650 → 63,650."""
    if not _PLAIN_NUMBER.fullmatch(number) or len(number) > 30:
        return number
    whole, dot, fraction = number.partition(".")
    sign = "-" if whole.startswith("-") else ""
    return f"{sign}{int(whole.lstrip('-')):,}{dot}{fraction}"


def _convert(node: nodes.Template, name: str, raw_name: str, out: render.Out) -> None:
    """{{convert|63650|lb|kg}} → "63,650 lb (kg)"; {{convert|20|-|30|km}} → "20–30 km";
    {{convert|5|ft|11|in|m}} → "5 ft 11 in (m)": the value and unit given, and the unit it
    is converted to (the converted number follows from them)."""
    positional, _ = render.template_args(node)
    values = [render.text_arg(positional, i) for i in range(min(len(positional), 8))]
    if not values:
        return
    if len(values) >= 4 and values[1] in _RANGE_WORDS:
        low, high = _grouped(values[0]), _grouped(values[2])
        parts, rest = [f"{low}{_RANGE_WORDS[values[1]]}{high}", values[3]], values[4:]
    else:
        parts, i = [_grouped(values[0])], 1
        while i < len(values):  # 5|ft|11|in: a value in several units
            parts.append(values[i])
            if i + 2 < len(values) and _PLAIN_NUMBER.fullmatch(values[i + 1]):
                parts.append(_grouped(values[i + 1]))
                i += 2
            else:
                i += 1
                break
        rest = values[i:]
    shown = " ".join(p for p in parts if p)
    target = rest[0] if rest and not _PLAIN_NUMBER.fullmatch(rest[0]) else ""
    out.append(f"{shown} ({target})" if target else shown)


_HEIGHT_UNITS = (("m", "m"), ("cm", "cm"), ("ft", "ft"), ("in", "in"), ("hh", "hands"))


def _height(node: nodes.Template, name: str, raw_name: str, out: render.Out) -> None:
    """{{height|ft=5|in=11}} → "5 ft 11 in"; {{height|m=1.80}} → "1.80 m"."""
    _, named = render.template_args(node)
    parts = [f"{render.flat(named[key])} {unit}" for key, unit in _HEIGHT_UNITS
             if render.flat(named.get(key))]  # fmt: skip
    out.append(" ".join(parts))


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


_TRENDS = {
    "increase": "▲", "decrease": "▼", "steady": "▬", "increasepositive": "▲",
    "increasenegative": "▲", "decreasepositive": "▼", "decreasenegative": "▼",
    "increaseneutral": "▲", "decreaseneutral": "▼", "up": "▲", "down": "▼",
}  # fmt: skip


def _trend(node: nodes.Template, name: str, raw_name: str, out: render.Out) -> None:
    """{{increase}} ▲, {{decrease}} ▼, {{steady}} ▬: an arrow a reader sees (flipping it
    is a change of the figure's direction)."""
    out.append(_TRENDS[name] + " ")


# -- codes ------------------------------------------------------------------------------------


def _icd10(node: nodes.Template, name: str, raw_name: str, out: render.Out) -> None:
    """{{ICD10|F|84|0|f|80}} → "F84.0"; {{ICD10|O|04||o|00}} → "O04" (the last two
    arguments only make the link); {{ICD10|F84.0}} as written."""
    positional, _ = render.template_args(node)
    values = [render.text_arg(positional, i) for i in range(min(len(positional), 3))]
    if len(values) < 2:
        out.append(values[0] if values else "")
        return
    code = values[0] + values[1]
    if len(values) > 2 and values[2]:
        code += "." + values[2]
    out.append(code)


def _joined(separator: str, prefix: str = "", most: int = 2) -> render.Handler:
    """A code shown as its arguments joined: {{eMedicine2|ped|180}} → "ped/180",
    {{ICDO|8000|3}} → "M8000/3", {{ICD9|299.00}} → "299.00"."""

    def handler(node: nodes.Template, name: str, raw_name: str, out: render.Out) -> None:
        positional, _ = render.template_args(node)
        values = [render.text_arg(positional, i) for i in range(min(len(positional), most))]
        shown = separator.join(v for v in values if v)
        if shown:
            out.append(prefix + shown)

    return handler


# -- languages --------------------------------------------------------------------------------


def _lang(node: nodes.Template, name: str, raw_name: str, out: render.Out) -> None:
    """{{lang|fr|texte}} → "texte"; {{lang-fr|texte}} and {{langx|fr|texte}} →
    "French: texte" (with a transliteration: ", romanized: …"; a translation: ", lit.
    '…'"); ``label=none`` drops the label; an unknown code shows the text alone."""
    positional, named = render.template_args(node)
    if name.startswith("lang-") and name != "lang-x":
        code, args = name[5:], positional
    else:
        code, args = render.text_arg(positional, 0), positional[1:]
    if args:
        text: object = args[0]
    elif "text" in named:
        text = named["text"]
    else:
        return
    language = LANGUAGES.get(code.strip().casefold().split("-")[0])
    label = render.flat(named.get("label")) if "label" in named else language
    if name != "lang" and label and label.casefold() != "none":
        out.append(f"{label}: ")
    render.render_code(text, out)  # type: ignore[arg-type]
    if name == "lang":
        return
    translit = render.flat(named.get("translit") or named.get("tr")) or (
        render.text_arg(args, 1) if name != "lang" else ""
    )
    if translit:
        out.append(f", romanized: {translit}")
    literal = render.flat(named.get("lit")) or render.text_arg(args, 2)
    if literal:
        out.append(f", lit. '{literal}'")


def _language_icon(node: nodes.Template, name: str, raw_name: str, out: render.Out) -> None:
    """{{fr icon}} → "(in French)"; {{in lang|fr|de}} → "(in French and German)"."""
    if name.endswith(" icon"):
        codes = [name[: -len(" icon")]]
    else:
        positional, _ = render.template_args(node)
        codes = [render.text_arg(positional, i) for i in range(len(positional))]
    names = [LANGUAGES.get(c.casefold(), c) for c in codes if c]
    if names:
        shown = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        out.append(f"(in {shown})")


def _nihongo(node: nodes.Template, name: str, raw_name: str, out: render.Out) -> None:
    """{{nihongo|Tokyo|東京|Tōkyō}} → "Tokyo (東京, Tōkyō)"; {{nihongo3|Tokyo|東京|Tōkyō}}
    → "Tōkyō (東京, Tokyo)"; {{nihongo2|東京}} → "東京"."""
    positional, _ = render.template_args(node)
    values = [render.flat(v) for v in positional[:5]]
    if name == "nihongo3":  # the same arguments, the rōmaji first
        values = [*(values[2:3] or [""]), *values[1:2], *values[:1], *values[3:]]
    shown = [v for v in values if v]
    if not shown:
        return
    if name in ("nihongo2", "nihongo foot") or len(shown) == 1:
        out.append(shown[0])
        return
    out.append(f"{shown[0]} ({', '.join(shown[1:])})")


def _interlanguage(node: nodes.Template, name: str, raw_name: str, out: render.Out) -> None:
    """{{ill|Local|de|Fremd|lt=label}}: a link to the local page, showing the label (the
    "[de]" after it shows only while the local page is missing, which the text cannot
    tell). The older order, {{ill|de|Fremd|Local|label}}, starts with a language code."""
    positional, named = render.template_args(node)
    values = [render.text_arg(positional, i) for i in range(min(len(positional), 4))]
    if len(values) >= 3 and re.fullmatch(r"[a-z]{2,3}(?:-[a-z]+)?", values[0]):
        target = values[2] or values[1]
        text = values[3] if len(values) > 3 and values[3] else target
    else:
        target = values[0] if values else ""
        text = target
    if "lt" in named:
        text = render.flat(named["lt"])
    if target:
        out.append(("link", render.normalize_link_target(target), text))
        out.append(text)


# -- names, places, lists ---------------------------------------------------------------------


def _legend(node: nodes.Template, name: str, raw_name: str, out: render.Out) -> None:
    """{{legend|#color|label}}: the label, on a line of its own."""
    positional, named = render.template_args(node)
    out.append(render.BREAK)
    if len(positional) > 1:
        render.render_code(positional[1], out)
    elif "text" in named:
        render.render_code(named["text"], out)
    out.append(render.BREAK)


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


def _coord(node: nodes.Template, name: str, raw_name: str, out: render.Out) -> None:
    """{{coord|52|31|N|13|24|E}} → "52°31′N 13°24′E"; {{coord|52.5|-13.4}} →
    "52.5°N 13.4°W" (the sign chooses the hemisphere)."""
    positional, _ = render.template_args(node)
    values = [render.text_arg(positional, i) for i in range(min(len(positional), 10))]
    parts: list[str] = []
    group: list[str] = []
    marks = ("°", "′", "″")
    for value in values:
        if value.upper() in ("N", "S", "E", "W"):
            parts.append("".join(v + marks[i] for i, v in enumerate(group[:3])) + value.upper())
            group = []
        elif _PLAIN_NUMBER.fullmatch(value):
            group.append(value)
    if len(group) >= 2 and not parts:
        latitude, longitude = group[0], group[1]
        parts = [
            latitude.lstrip("-") + "°" + ("S" if latitude.startswith("-") else "N"),
            longitude.lstrip("-") + "°" + ("W" if longitude.startswith("-") else "E"),
        ]
    out.append(" ".join(parts) if parts else "coordinates")


def _map_caption(node: nodes.Template, name: str, raw_name: str, out: render.Out) -> None:
    """{{map caption|location_color=green|region=Europe|region_color=dark grey}} →
    "Location (green)", "– in Europe (dark grey)": the colours are text here, naming the
    map's colours. The page's own name (the default location) is not known here."""
    _, named = render.template_args(node)

    def part(place: str, colour_key: str) -> str:
        colour = render.flat(named.get(colour_key))
        return place + (f" ({colour})" if colour else "")

    location = render.flat(named.get("location"))
    prefix = render.flat(named.get("countryprefix"))
    where = " ".join(x for x in (prefix, location) if x)
    out.append(part(f"Location of {where}" if where else "Location", "location_color"))
    for key in ("region", "subregion"):
        place = named.get(key)
        if place is not None and render.flat(place):
            out.append(render.BREAK)
            out.append("– in ")
            render.render_code(place, out)
            colour = render.flat(named.get(f"{key}_color"))
            if colour:
                out.append(f" ({colour})")
    out.append(render.BREAK)


def _fossil_range(node: nodes.Template, name: str, raw_name: str, out: render.Out) -> None:
    """{{fossil range|5|0}} → "5–0 Ma"; {{fossil range|Late Silurian|Recent}} → "Late
    Silurian – Recent"; ``PS=`` text follows. The time bar shows no text of its own."""
    positional, named = render.template_args(node)
    early, late = render.text_arg(positional, 0), render.text_arg(positional, 1)
    numeric = all(_PLAIN_NUMBER.fullmatch(x) for x in (early, late) if x)
    if numeric:
        shown = "–".join(x for x in (early, late) if x) + " Ma" if early or late else ""
    else:
        shown = " – ".join(x for x in (early, late) if x)
    postscript = render.flat(named.get("ps"))
    out.append(" ".join(x for x in (shown, postscript) if x) + " ")


def _taxon_list(node: nodes.Template, name: str, raw_name: str, out: render.Out) -> None:
    """{{taxon list|[[A]]|authority|[[B]]|authority}}: a taxon (and its authority) a line."""
    positional, _ = render.template_args(node)
    out.append(render.BREAK)
    for i in range(0, len(positional), 2):
        render.render_code(positional[i], out)
        if i + 1 < len(positional):
            out.append(" ")
            render.render_code(positional[i + 1], out)
        out.append(render.BREAK)


def _ship(node: nodes.Template, name: str, raw_name: str, out: render.Out) -> None:
    """{{USS|Yorktown|CV-10}} → "USS Yorktown (CV-10)"; {{ship|HMS|Victory}} → "HMS
    Victory". (The display code that may follow is not modelled: see catalogue.md.)"""
    positional, _ = render.template_args(node)
    values = [render.text_arg(positional, i) for i in range(min(len(positional), 3))]
    if name == "ship":
        prefix, values = (values[0] if values else ""), values[1:]
    else:
        prefix = name.upper()
    ship = " ".join(x for x in (prefix, values[0] if values else "") if x)
    hull = values[1] if len(values) > 1 else ""
    text = f"{ship} ({hull})" if hull else ship
    out.append(("link", render.normalize_link_target(text), text))
    out.append(text)


def _based_on(node: nodes.Template, name: str, raw_name: str, out: render.Out) -> None:
    """{{based on|''Work''|Author|Author 2}} → "Work by Author and Author 2"."""
    positional, _ = render.template_args(node)
    if not positional:
        return
    render.render_code(positional[0], out)
    authors = [render.flat(v) for v in positional[1:] if render.flat(v)]
    if authors:
        joined = (
            authors[0] if len(authors) == 1 else ", ".join(authors[:-1]) + " and " + authors[-1]
        )
        out.append(f" by {joined}")


def _medal(label: str) -> render.Handler:
    """{{MedalGold|1996 Atlanta|Singles}} → "Gold medal – 1996 Atlanta – Singles"."""

    def handler(node: nodes.Template, name: str, raw_name: str, out: render.Out) -> None:
        out.append(render.BREAK)
        out.append(label)
        for value in _shown_positional(node):
            out.append(" – ")
            render.render_code(value, out)  # type: ignore[arg-type]
        out.append(render.BREAK)

    return handler


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
     # layout
     "nowrap begin", "nowrap end", "clear", "-", "clr", "endplainlist", "startplainlist",
     "endflatlist", "startflatlist", "end plainlist", "start plainlist", "div col end",
     "col-end", "anchor", "short description", "defaultsort", "toc", "void", "nobreak",
     "stack begin", "stack end"}
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
          "col-begin", "indented plainlist", "vertical list", "vlist")  # fmt: skip
_register(_break, "pb", "br", "break", "crlf", "hr", "paragraph break", "parabr")
_register(_first, "nowrap", "nobr", "small", "smaller", "big", "larger", "nobold", "noitalic",
          "em", "strong", "center", "centre", "bold", "italic", "font",
          "not a typo", "nowraplinks", "tooltip", "hover title", "abbrv",
          "small caps", "smallcaps", "sc", "lower", "nastaliq", "large", "huge",
          "midsize", "text", "plain", "nowrap links", "italic title", "ital", "noitalics",
          "no italic", "serif", "mono", "monospace", "clarify span", "abbr", "abbrlink",
          "citation needed span", "abbreviation", "sic?", "nbsp fix", "bigger", "strikethrough",
          "strike", "underline", "sans-serif", "keypress", "highlight", "tooltip2",
          "script", "ipa", "ipa-all", "ipac-en")  # fmt: skip
_register(_second, "color", "colour", "fontcolor", "font color", "native name", "native phrase")
_register(_last, "transl", "transliteration", "lang-rtl", "resize", "longitem")
_register(_lang, "lang", "langx", "lang-x")
_register(_language_icon, "in lang")
_register(_nihongo, "nihongo", "nihongo2", "nihongo3", "nihongo foot")
_register(_legend, "legend", "leftlegend", "legend2", "legend inline", "legend-line",
          "legend striped", "legend0", "legend3", "legend-table")  # fmt: skip
_register(_interlanguage, "ill", "interlanguage link", "interlanguage link multi", "link-interwiki")
_register(_sortname, "sortname")
_register(_url, "url")
_register(_coord, "coord", "coor", "coor d", "coor dm", "coor dms", "lunar coords and quad cat")
_register(_map_caption, "map caption")
_register(_convert, "convert", "cvt")
_register(_height, "height")
_register(_trend, *_TRENDS)
_register(_icd10, "icd10", "icd10cm")
_register(_joined(""), "icd9", "icd9cm", "icd11", "meshid", "mesh", "omim", "diseasesdb",
          "diseasesdb2", "medlineplus", "snomed ct", "icd10pcs", "orphanet")  # fmt: skip
_register(_joined("/"), "emedicine", "emedicine2")
_register(_joined("/", "M"), "icdo", "icd-o")
_register(_fossil_range, "fossil range", "fossilrange", "fossil_range")
_register(_taxon_list, "taxon list", "taxonlist")
_register(_ship, "uss", "hms", "hmas", "hmcs", "hmnzs", "usns", "uscgc", "ss", "rms", "hmhs",
          "ins", "sms", "hnlms", "ship")  # fmt: skip
_register(_based_on, "based on")
_register(_medal("Gold medal"), "medalgold", "gold medal")
_register(_medal("Silver medal"), "medalsilver", "silver medal")
_register(_medal("Bronze medal"), "medalbronze", "bronze medal")
_register(_shows(" †"), "extinct", "†")
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
for _handler, _names in dates.HANDLERS:
    _register(_handler, *_names)
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
    # embedded boxes ({{Infobox spaceflight/IP}}, child=yes): extraction lifts them out of
    # the value as fields of their own (extract.py); what is left of one shows nothing
    ("infobox", _nothing),
)

_LANGUAGE_ICON = re.compile(r"[a-z]{2,3} icon")

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
    if _LANGUAGE_ICON.fullmatch(name):
        return _language_icon
    return unknown
