"""Date templates of the catalogue: {{start date}}, {{birth date and age}}, {{death date and
age}}, {{start-date}}, {{age in years, months and days}}, {{marriage}}, {{circa}}… as the
page shows them (see catalogue.md). Pure functions, no I/O.

Only deterministic renderings: an age "as of today" ({{birth date and age}}'s "(age 54)",
{{start date and age}}'s "(96 years ago)") would change by itself, so it is not shown.
"""

from __future__ import annotations

import datetime
import re

from mwparserfromhell import nodes

from . import render

__all__ = ["HANDLERS", "MONTH_NAMES"]

MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip


def _month(value: str) -> int | None:
    value = value.strip()
    if render.ascii_digits(value, 2):
        month = int(value)
        return month if 1 <= month <= 12 else None
    for i, month_name in enumerate(MONTH_NAMES):
        if len(value) >= 3 and month_name.casefold().startswith(value.casefold()[:3]):
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
        return f"{MONTH_NAMES[month - 1]} {year}"
    if day_first:
        return f"{day} {MONTH_NAMES[month - 1]} {year}"
    return f"{MONTH_NAMES[month - 1]} {day}, {year}"


_TRUE = ("y", "yes", "1", "true", "on")
_ZONES = {"z": "UTC", "utc": "UTC", "gmt": "GMT"}


def _time(values: list[str]) -> str:
    """Hour, minute, second (and a time zone) after a date: "08:30:23" (UTC)."""
    parts = [v.strip() for v in values[:3]]
    shown: list[str] = []
    for part in parts:
        if not render.ascii_digits(part, 2):
            break
        shown.append(part.zfill(2))
    return ":".join(shown) if len(shown) >= 2 else ""


def _date_template(node: nodes.Template, name: str, raw_name: str, out: render.Out) -> None:
    """{{start date|2024|11|27|df=y}} → "27 November 2024"; with a time, "08:30, …
    (UTC)"; {{death date and age|…}} adds "(aged N)"; {{birth date and age}} shows the
    date only; a date that is not numbers is shown as written."""
    positional, named = render.template_args(node)
    values = [render.text_arg(positional, i) for i in range(len(positional))]
    day_first = render.flat(named.get("df")).casefold() in _TRUE
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
    elif name in ("start date", "end date", "start date and age", "end date and age"):
        clock = _time(values[3:6])
        if clock:
            zone = values[6].strip() if len(values) > 6 else ""
            zone = _ZONES.get(zone.casefold(), zone)
            text = f"{clock}, {text}" + (f" ({zone})" if zone else "")
    elif name in ("film date", "release date") and len(values) > 3 and values[3]:
        text += f" ({values[3]})"  # {{film date|1997|1|17|Spain}}: the release's place
    out.append(text)


def _date_range(node: nodes.Template, name: str, raw_name: str, out: render.Out) -> None:
    """{{start and end dates|1990|1|1|1991|6|30}} → "January 1, 1990 – June 30, 1991"."""
    positional, named = render.template_args(node)
    values = [render.text_arg(positional, i) for i in range(len(positional))]
    day_first = render.flat(named.get("df")).casefold() in _TRUE
    start, end = _ymd(values[:3]), _ymd(values[3:6])
    shown = [_format_date(d, day_first) for d in (start, end) if d is not None]
    out.append(" – ".join(shown) if shown else " ".join(v for v in values if v))


def _free_date(node: nodes.Template, name: str, raw_name: str, out: render.Out) -> None:
    """{{start-date|December 21, 1968, 12:51:00|timezone=yes}}: the date as written."""
    positional, _ = render.template_args(node)
    if positional:
        render.render_code(positional[0], out)


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
        if len(parts) < 3 or not all(render.ascii_digits(p.strip(), 6) or _month(p) for p in parts):
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


# {{marriage|…|end=…}}: how the end of a marriage is abbreviated on the page.
_MARRIAGE_ENDS = {
    "d": "died", "d.": "died", "died": "died", "death": "died", "div": "div.", "div.": "div.",
    "divorced": "div.", "annulled": "ann.", "ann": "ann.", "ann.": "ann.", "sep": "sep.",
    "sep.": "sep.", "separated": "sep.", "w": "wid.", "w.": "wid.", "widowed": "wid.",
    "wid": "wid.", "wid.": "wid.",
}  # fmt: skip


def _marriage(node: nodes.Template, name: str, raw_name: str, out: render.Out) -> None:
    """{{marriage|[[Mary Todd]]|1842|1865}} → "Mary Todd (m. 1842–1865)"; with
    ``end=div.`` → "(m. 1842; div. 1865)"."""
    positional, named = render.template_args(node)
    if positional:
        render.render_code(positional[0], out)
    married, ended = render.text_arg(positional, 1), render.text_arg(positional, 2)
    end = render.flat(named.get("end") or named.get("reason"))
    if not married and not ended:
        return
    if ended and end:
        reason = _MARRIAGE_ENDS.get(end.casefold(), end)
        out.append(f" (m. {married}; {reason} {ended})")
    else:
        out.append(f" (m. {'–'.join(x for x in (married, ended) if x)})")


def _circa(node: nodes.Template, name: str, raw_name: str, out: render.Out) -> None:
    """{{circa|1850}} → "c. 1850"; {{circa|1850|1860}} → "c. 1850 – c. 1860"."""
    positional, _ = render.template_args(node)
    values = [v for v in (render.text_arg(positional, i) for i in range(len(positional))) if v]
    out.append(" – ".join(f"c. {v}" for v in values[:2]) if values else "c.")


_ARCHIVE_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")


def _wayback(node: nodes.Template, name: str, raw_name: str, out: render.Out) -> None:
    """{{wayback|url=…|date=20110812101130|title=…}} → "title Archived 2011-08-12 at the
    Wayback Machine" (``df=y``: "12 August 2011")."""
    _, named = render.template_args(node)
    title = render.flat(named.get("title"))
    stamp = _ARCHIVE_DATE.match(render.flat(named.get("date")))
    when = ""
    if stamp is not None:
        year, month, day = (int(x) for x in stamp.groups())
        if 1 <= month <= 12 and 1 <= day <= 31:
            if render.flat(named.get("df")).casefold() in _TRUE:
                when = f" {day} {MONTH_NAMES[month - 1]} {year}"
            else:
                when = f" {year:04}-{month:02}-{day:02}"
    out.append(f"{title} Archived{when} at the Wayback Machine".strip())


HANDLERS: tuple[tuple[render.Handler, tuple[str, ...]], ...] = (
    (_date_template, ("start date", "end date", "start date and age", "end date and age",
                      "birth date", "death date", "birth date and age", "death date and age",
                      "dob", "bda", "dda", "birth date and age2",
                      "birth year and age", "death year and age", "date", "film date",
                      "release date", "death date and given age")),
    (_date_range, ("start and end dates",)),
    (_free_date, ("start-date", "end-date", "birth-date", "death-date", "birth-date and age",
                  "death-date and age")),
    (_age_template, ("age in years, months, weeks and days", "age in years, months and days",
                     "age in years and days", "age in days", "age in years and months",
                     "age in years, months, and days", "age in months, weeks and days",
                     "age in weeks and days", "age in years", "age")),
    (_marriage, ("marriage", "married")),
    (_circa, ("circa", "c.", "ca.", "ca", "circa.")),
    (_wayback, ("wayback", "webarchive", "web archive")),
)  # fmt: skip
